//! zt: just-in-time privileged access from the terminal.
//!
//! What lives where:
//! - [`cli`] every clap definition of `zt`; [`commands`] one file per subcommand.
//! - `zt_api` (its own crate) the broker's wire types, shared by client and broker; [`client`]
//!   the broker client; [`http`] the HTTP plumbing both it and [`auth`] use.
//! - [`auth`] device-flow login, the token store (keyring | file), refresh.
//! - [`grants`] turns a live grant into files; [`materialize`] edits those files;
//!   [`ledger`] remembers what was written; [`reaper`] wipes it at TTL (keeping what explains
//!   the end for a grace period, [`settings`]) and leaves a [`tombstone`]; [`credcache`] keeps
//!   minted credentials for the credential helpers.
//! - [`error`] error kinds and exit codes; [`env`] every variable; [`paths`] every path;
//!   [`config`] the profiles; [`output`] stdout/stderr; [`prompt`] questions; [`fsutil`]
//!   atomic writes and locks; [`docs`] man pages and completions, [`manpages`] the pages'
//!   sections beyond clap; [`ask`] what zt asks (or suggests) when an argument is missing or
//!   wrong.
//! - [`quick`] answers from local files before the general run: [`complete`] (Tab presses,
//!   from the ledger and the catalog [`cache`]) and `zt prompt` ([`segment`]).
//! - The reference broker behind `zt-broker` is its own crate (`zt_broker`); this one never
//!   depends on it.

pub mod ask;
pub mod auth;
pub mod cache;
pub mod cli;
pub mod client;
pub mod commands;
pub mod complete;
pub mod config;
pub mod countdown;
pub mod credcache;
pub mod credenv;
pub mod docs;
pub mod env;
pub mod error;
pub mod fsutil;
pub mod grants;
pub mod http;
pub mod ledger;
pub mod manpages;
pub mod materialize;
pub mod output;
pub mod paths;
pub mod prompt;
pub mod quick;
pub mod reaper;
pub mod schedule;
pub mod segment;
pub mod settings;
pub mod ssh;
pub mod tombstone;

use std::process::ExitCode;

/// A command line clap refused (or `--help`, `--version`): clap's own text and exit code, but
/// under `--json` a usage error is the JSON error shape like every other error (exit 2).
pub fn refused_command_line(e: clap::Error) -> ExitCode {
    use clap::error::ErrorKind as K;
    let json = std::env::args_os().any(|a| a == "--json");
    let informational = matches!(
        e.kind(),
        K::DisplayHelp | K::DisplayVersion | K::DisplayHelpOnMissingArgumentOrSubcommand
    );
    // `--ttl 2 hours`: the shell split the duration; clap cannot know it was one.
    let args: Vec<String> = std::env::args_os()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let duration_hint = match informational {
        true => None,
        false => ask::cmdline::duration_hint(&args),
    };
    if !json || informational {
        let _ = e.print();
        if let Some(h) = &duration_hint {
            output::Printer::new(false).note(format!("hint: {h}"));
        }
        return ExitCode::from(e.exit_code().clamp(0, 255) as u8);
    }
    let text = e.render().to_string();
    // clap's first paragraph is the whole complaint; some span lines ("the following required
    // arguments were not provided:" then each argument on a line of its own).
    let paragraph: Vec<&str> = text
        .lines()
        .skip_while(|l| l.trim().is_empty())
        .take_while(|l| !l.trim().is_empty())
        .map(str::trim)
        .collect();
    let first = paragraph.join(" ");
    let first = if first.is_empty() {
        "invalid command line".to_string()
    } else {
        first
    };
    let message = first.strip_prefix("error: ").unwrap_or(&first);
    let err = error::Error::usage(message)
        .with_hint(duration_hint.unwrap_or_else(|| "see `zt --help`".into()));
    output::Printer::new(true).error(&err);
    err.exit_code()
}

/// Run `zt`: sweep expired entries, dispatch the command, print an error with its hint, and
/// return the exit code. `main` calls only this.
pub fn run(cli: cli::Cli) -> ExitCode {
    // Credential helpers speak to kubectl/the AWS CLI, which show their stderr to the user:
    // exactly one line on failure, nothing on success.
    let helper = matches!(cli.command, cli::Command::Credential(_));
    let printer = output::Printer::new(cli.global.json)
        .one_line_errors(helper)
        .verbose(cli.global.verbose);
    let mut swept = Vec::new();
    if commands::sweeps_first(&cli.command) {
        // Cached credentials of grants that have ended (an exec grant's has no ledger entry to
        // take it along). Not on the credential helpers' path: they run on every kubectl/aws
        // call and look after their own grant's credential.
        if !helper {
            credcache::remove_expired(zt_api::Timestamp::now());
        }
        match reaper::sweep(&printer, false, true) {
            Ok(s) => {
                if !helper {
                    for k in &s.kept {
                        printer.note(format!(
                            "Grant {} ({}/{}) has ended; {} stays until {} to say so.",
                            k.entry.grant,
                            k.entry.resource,
                            k.entry.role,
                            k.entry.target.describe(),
                            tombstone::clock(k.until, zt_api::Timestamp::now().0),
                        ));
                    }
                }
                swept = s.wiped;
            }
            Err(e) if !helper => {
                printer.warn(&format!("could not sweep expired entries: {}", e.message))
            }
            Err(_) => {}
        }
    }
    if !helper {
        for e in &swept {
            printer.note(format!(
                "Removed expired {} (grant {}).",
                e.target.describe(),
                e.grant
            ));
        }
    }
    let ctx = commands::Ctx {
        profile: cli.global.profile.clone(),
        printer: printer.clone(),
        swept,
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            let e = error::Error::io("cannot start the async runtime", e);
            printer.error(&e);
            return e.exit_code();
        }
    };
    let sweeps = commands::sweeps_first(&cli.command) && !helper;
    let work = async {
        // Scheduled grants whose start has come are written by the first zt run after it.
        if sweeps {
            grants::scheduled::activate_due(&printer.beside()).await;
        }
        commands::dispatch(cli.command, &ctx).await
    };
    match runtime.block_on(work) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            printer.error(&e);
            e.exit_code()
        }
    }
}
