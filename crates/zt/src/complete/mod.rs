//! Shell completion: the scripts that turn it on, and the names a Tab press gets.
//!
//! bash, zsh and fish use clap_complete's dynamic completion: the script zt prints asks
//! `ZT_COMPLETE=bash zt -- <the words on the line>` on every Tab, and [`from_env`] answers
//! before anything else in `main` runs — no async runtime, no sweep, no keyring, no network.
//! The names come from local files only: the ledger (live grants: their ids and resources) and
//! the catalog cache ([`crate::cache`], written whenever zt fetched the catalog), and
//! `config.toml` for profile names. PowerShell and elvish keep clap's static scripts.
//!
//! Every name offered passes [`zt_api::valid_name`] (or, for a profile, holds no control
//! character), and every description is made inert: both files are only data.

mod line;
mod offer;

use std::ffi::OsString;
use std::io::Write;
use std::process::ExitCode;

use clap::CommandFactory;
use clap_complete::engine::CompletionCandidate;
use clap_complete::env::{Bash, CompleteEnv, EnvCompleter, Fish, Shells, Zsh};

use crate::cli::{Cli, Shell};
use crate::env;
use crate::output::inert;
use line::{line_of, on_the_line, profile_of};
use offer::{Known, grant_offer, resource_offer, role_offer, target_offer};

/// The shells that complete dynamically.
const DYNAMIC: Shells<'static> = Shells(&[&Dynamic(&Bash), &Dynamic(&Zsh), &Dynamic(&Fish)]);

/// A description is cut after this many characters.
pub(super) const HELP_MAX: usize = 80;

/// Answer a completion request when the shell made one (`ZT_COMPLETE` set): the exit code;
/// `None` for an ordinary run. `main` calls this first.
pub fn from_env() -> Option<ExitCode> {
    std::env::var_os(env::ZT_COMPLETE)?;
    let cwd = std::env::current_dir().ok();
    let asked = CompleteEnv::with_factory(Cli::command)
        .var(env::ZT_COMPLETE)
        .bin("zt")
        .completer("zt")
        .shells(DYNAMIC)
        .try_complete(std::env::args_os(), cwd.as_deref());
    match asked {
        Ok(true) => Some(ExitCode::SUCCESS),
        Ok(false) => None,
        Err(e) => {
            let _ = e.print();
            Some(ExitCode::from(2))
        }
    }
}

/// The script `zt completions SHELL` prints (and `completions/` holds): for bash, zsh and fish
/// the registration of the dynamic completer, which runs `zt` from `$PATH`.
pub fn script(shell: Shell) -> Vec<u8> {
    let mut buf = Vec::new();
    let dynamic: Option<&dyn EnvCompleter> = match shell {
        Shell::Bash => Some(&Dynamic(&Bash)),
        Shell::Zsh => Some(&Dynamic(&Zsh)),
        Shell::Fish => Some(&Dynamic(&Fish)),
        Shell::Powershell | Shell::Elvish => None,
    };
    match dynamic {
        Some(s) => {
            // Writing into a Vec cannot fail.
            let _ = s.write_registration(env::ZT_COMPLETE, "zt", "zt", "zt", &mut buf);
        }
        None => {
            let target = crate::commands::completion_target(shell);
            clap_complete::generate(target, &mut Cli::command(), "zt", &mut buf);
        }
    }
    buf
}

/// clap's dynamic completer for one shell, with zt's two changes:
/// - clap's zsh script registers itself with `compdef` when sourced. Installed as `_zt` in
///   `$fpath`, the file is instead the body of the `_zt` function compinit autoloads, so it
///   must also complete when run that way (as clap's static zsh script does);
/// - a Tab press ends the process once its answer is on stdout: what is left after it —
///   freeing clap's whole command tree, built for this one press — cost a sixth of the press
///   (callgrind) and changes nothing anyone sees.
struct Dynamic(&'static dyn EnvCompleter);

impl EnvCompleter for Dynamic {
    fn name(&self) -> &'static str {
        self.0.name()
    }
    fn is(&self, name: &str) -> bool {
        self.0.is(name)
    }
    fn write_registration(
        &self,
        var: &str,
        name: &str,
        bin: &str,
        completer: &str,
        buf: &mut dyn std::io::Write,
    ) -> std::io::Result<()> {
        if !Zsh.is(self.0.name()) {
            return self.0.write_registration(var, name, bin, completer, buf);
        }
        let mut inner = Vec::new();
        Zsh.write_registration(var, name, bin, completer, &mut inner)?;
        let text = String::from_utf8_lossy(&inner);
        let function = format!("_clap_dynamic_completer_{}", name.replace('-', "_"));
        let register = format!("compdef {function} {bin}");
        let either = format!(
            "if [ \"$funcstack[1]\" = \"_{bin}\" ]; then\n    {function} \"$@\"\nelse\n    {register}\nfi"
        );
        buf.write_all(text.replacen(&register, &either, 1).as_bytes())
    }
    fn write_complete(
        &self,
        cmd: &mut clap::Command,
        args: Vec<OsString>,
        current_dir: Option<&std::path::Path>,
        _buf: &mut dyn std::io::Write,
    ) -> std::io::Result<()> {
        let mut answer = Vec::new();
        self.0.write_complete(cmd, args, current_dir, &mut answer)?;
        let mut out = std::io::stdout().lock();
        out.write_all(&answer)?;
        out.flush()?;
        std::process::exit(0)
    }
}

/// The completion process's own arguments: `zt -- <the line>`.
fn words() -> Vec<OsString> {
    std::env::args_os().collect()
}

/// What is known for the profile on the line (or `ZT_PROFILE`, or `default`).
fn known() -> Known {
    Known::load(&profile_of(on_the_line(&words())))
}

/// `zt request RESOURCE`: the cached catalog's resources and those with a live grant.
pub fn resources() -> Vec<CompletionCandidate> {
    resource_offer(&known()).candidates()
}

/// `zt exec TARGET`: live grant ids and resources, and the catalog's resources (exec requests
/// one when there is no live grant).
pub fn exec_targets() -> Vec<CompletionCandidate> {
    target_offer(&known(), true).candidates()
}

/// `zt env`/`extend`/`revoke`: live grant ids and the resources they are on.
pub fn live_targets() -> Vec<CompletionCandidate> {
    target_offer(&known(), false).candidates()
}

/// A grant id (`zt credential`).
pub fn grants() -> Vec<CompletionCandidate> {
    grant_offer(&known()).candidates()
}

/// `--role`: the roles of the resource on the line, else all the cache knows.
pub fn roles() -> Vec<CompletionCandidate> {
    let line = line_of(&words());
    role_offer(&Known::load(&line.profile), line.target.as_deref()).candidates()
}

/// `--profile`: the profiles of `config.toml`, each with its broker.
pub fn profiles() -> Vec<CompletionCandidate> {
    let Ok(config) = crate::config::Config::load() else {
        return Vec::new();
    };
    config
        .profiles
        .iter()
        .filter(|(name, _)| {
            !name.is_empty()
                && !name
                    .chars()
                    .any(|c| crate::output::is_hostile(c) || c == ' ')
        })
        .map(|(name, p)| {
            CompletionCandidate::new(name).help(Some(inert(&p.broker, HELP_MAX).into()))
        })
        .collect()
}

#[cfg(test)]
mod tests;
