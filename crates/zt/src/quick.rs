//! Answers that need only local files, given before the general [`crate::run`]: a credential
//! helper's warm call (`zt credential kube|aws GRANT` with a cached credential), a Tab press
//! ([`crate::complete`]) and a prompt redraw (`zt prompt`). kubectl, the AWS CLI and the shell
//! run these on every use, so none starts the async runtime, sweeps expired entries, takes a
//! lock or opens the keyring.

use std::ffi::OsString;
use std::process::ExitCode;

use clap::parser::ValueSource;
use clap::{CommandFactory, FromArgMatches};

use crate::cli::{Cli, Command};
use crate::{commands, complete, env, refused_command_line};

/// The exit code when this run was one of those answers; `None` for every other command.
/// `main` calls this before it parses the command line itself.
pub fn answer() -> Option<ExitCode> {
    // kubectl's exec plugin and AWS `credential_process` on their warm path (a cached
    // credential with time left): first, they run on every use of a grant.
    if let Some(code) = commands::credential::fast::answer() {
        return Some(code);
    }
    if let Some(code) = complete::from_env() {
        return Some(code);
    }
    if !names_prompt(std::env::args_os().skip(1)) {
        return None;
    }
    // The usual line (`zt prompt`, `zt --profile work prompt --json`) needs no clap: building
    // every subcommand's definition would be most of a prompt's time.
    if let Some(line) = plain_prompt(std::env::args_os().skip(1)) {
        let profile = line.profile.or_else(|| env::var(env::ZT_PROFILE));
        return Some(commands::prompt::run(line.json, profile.as_deref()));
    }
    let matches = match Cli::command().try_get_matches() {
        Ok(m) => m,
        Err(e) => return Some(refused_command_line(e)),
    };
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(c) => c,
        Err(e) => return Some(refused_command_line(e)),
    };
    if !matches!(cli.command, Command::Prompt) {
        return None;
    }
    // Every profile's grants unless one was named (`--profile`, `ZT_PROFILE`).
    let named = matches.value_source("profile") != Some(ValueSource::DefaultValue);
    Some(commands::prompt::run(
        cli.global.json,
        named.then_some(cli.global.profile.as_str()),
    ))
}

/// Whether the subcommand is `prompt`: the first word that is not a global flag (or the
/// value of `--profile`).
fn names_prompt(args: impl Iterator<Item = OsString>) -> bool {
    let mut args = args;
    while let Some(a) = args.next() {
        match a.to_str() {
            Some("--json" | "--verbose") => {}
            Some("--profile") => {
                args.next();
            }
            Some(s) if s.starts_with("--profile=") => {}
            Some(s) => return s == "prompt",
            None => return false,
        }
    }
    false
}

#[derive(Debug, Default, PartialEq)]
struct PromptLine {
    json: bool,
    profile: Option<String>,
}

/// `prompt` with nothing but the global flags around it; `None` for anything else (`--help`,
/// a mistake), which clap then reads.
fn plain_prompt(args: impl Iterator<Item = OsString>) -> Option<PromptLine> {
    let mut line = PromptLine::default();
    let mut seen = false;
    let mut args = args;
    while let Some(a) = args.next() {
        match a.to_str()? {
            "prompt" if !seen => seen = true,
            "--json" => line.json = true,
            "--verbose" => {}
            "--profile" => line.profile = Some(args.next()?.into_string().ok()?),
            s => line.profile = Some(s.strip_prefix("--profile=")?.to_string()),
        }
    }
    match line.profile.as_deref() {
        Some("") => None,
        _ => seen.then_some(line),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn says(line: &str) -> bool {
        names_prompt(line.split_whitespace().map(OsString::from))
    }

    #[test]
    fn finds_the_prompt_subcommand_after_globals() {
        assert!(says("prompt"));
        assert!(says("--json prompt"));
        assert!(says("--profile prompt prompt"));
        assert!(says("--profile=x --verbose prompt --json"));
        assert!(!says("--profile prompt"));
        assert!(!says("request prompt"));
        assert!(!says("status"));
        assert!(!says(""));
    }

    fn plain(line: &str) -> Option<PromptLine> {
        plain_prompt(line.split_whitespace().map(OsString::from))
    }

    #[test]
    fn reads_a_plain_prompt_line_without_clap() {
        assert_eq!(plain("prompt"), Some(PromptLine::default()));
        let work = Some(PromptLine {
            json: true,
            profile: Some("work".into()),
        });
        assert_eq!(plain("--profile work prompt --json"), work);
        assert_eq!(plain("--json prompt --profile=work --verbose"), work);
        for other in [
            "prompt --help",
            "prompt extra",
            "prompt prompt",
            "prompt --profile",
            "prompt --profile=",
            "--jsonx prompt",
            "status",
        ] {
            assert_eq!(plain(other), None, "{other}");
        }
    }
}
