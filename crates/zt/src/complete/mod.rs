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

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::process::ExitCode;

use clap::CommandFactory;
use clap_complete::engine::CompletionCandidate;
use clap_complete::env::{Bash, CompleteEnv, EnvCompleter, Fish, Shells, Zsh};
use zt_api::Timestamp;

use crate::cache::CachedCatalog;
use crate::cli::{Cli, ExecArgs, GlobalArgs, RequestArgs, Shell};
use crate::output::inert;
use crate::segment::{self, Live};
use crate::{cache, env};

/// The shells that complete dynamically.
const DYNAMIC: Shells<'static> = Shells(&[&Bash, &ZshAutoload, &Fish]);

/// A description is cut after this many characters.
const HELP_MAX: usize = 80;

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
        Shell::Bash => Some(&Bash),
        Shell::Zsh => Some(&ZshAutoload),
        Shell::Fish => Some(&Fish),
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

/// clap's zsh script registers itself with `compdef` when sourced. Installed as `_zt` in
/// `$fpath`, the file is instead the body of the `_zt` function compinit autoloads, so it
/// must also complete when run that way (as clap's static zsh script does).
struct ZshAutoload;

impl EnvCompleter for ZshAutoload {
    fn name(&self) -> &'static str {
        Zsh.name()
    }
    fn is(&self, name: &str) -> bool {
        Zsh.is(name)
    }
    fn write_registration(
        &self,
        var: &str,
        name: &str,
        bin: &str,
        completer: &str,
        buf: &mut dyn std::io::Write,
    ) -> std::io::Result<()> {
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
        buf: &mut dyn std::io::Write,
    ) -> std::io::Result<()> {
        Zsh.write_complete(cmd, args, current_dir, buf)
    }
}

/// What the command line being completed already says.
#[derive(Debug, Default, PartialEq)]
struct Line {
    profile: String,
    /// `zt request R` / `zt exec R`: the resource (or grant id) given, if any.
    target: Option<String>,
}

/// Read [`Line`] from the words after `--` (`zt -- zt request prod-k8s --role ad`).
fn line_of(words: &[OsString]) -> Line {
    let words = on_the_line(words);
    Line {
        profile: profile_of(words),
        target: target_of(words),
    }
}

/// The words after the first `--`: the shell's line (`zt -- zt request pr` → `zt request pr`).
fn on_the_line(words: &[OsString]) -> &[OsString] {
    match words.iter().position(|w| w == "--") {
        Some(i) => &words[i + 1..],
        None => words,
    }
}

/// `--profile NAME` (or `--profile=NAME`) on the line, else `ZT_PROFILE`, else `default` —
/// what clap would decide, without building every subcommand's definition to ask it.
fn profile_of(words: &[OsString]) -> String {
    let mut named = None;
    let mut rest = words.iter().skip(1).map(|w| w.to_str());
    while let Some(word) = rest.next() {
        match word {
            // What follows belongs to the command `zt exec` runs.
            Some("--") => break,
            Some("--profile") => named = rest.next().flatten().map(str::to_string),
            Some(w) => {
                if let Some(v) = w.strip_prefix("--profile=") {
                    named = Some(v.to_string());
                }
            }
            None => {}
        }
    }
    named
        .filter(|p| !p.is_empty())
        .or_else(|| env::var(env::ZT_PROFILE))
        .unwrap_or_else(|| "default".into())
}

/// The resource (or grant id) given to `zt request` or `zt exec`. The line is unfinished, so
/// clap — told about those two subcommands only, to stay quick — ignores what it would refuse.
fn target_of(words: &[OsString]) -> Option<String> {
    use clap::Args;
    if !words.iter().any(|w| w == "request" || w == "exec") {
        return None;
    }
    let m = GlobalArgs::augment_args(clap::Command::new("zt"))
        .subcommand(RequestArgs::augment_args(clap::Command::new("request")))
        .subcommand(ExecArgs::augment_args(clap::Command::new("exec")))
        .ignore_errors(true)
        .try_get_matches_from(words)
        .ok()?;
    let target = match m.subcommand() {
        Some(("request", sub)) => sub.try_get_one::<String>("resource").ok().flatten(),
        Some(("exec", sub)) => sub.try_get_one::<String>("target").ok().flatten(),
        _ => None,
    };
    target.filter(|t| !t.is_empty()).cloned()
}

/// What this machine knows for one profile.
struct Known {
    catalog: Option<CachedCatalog>,
    live: Vec<Live>,
    now: Timestamp,
}

impl Known {
    fn load(profile: &str) -> Known {
        Known {
            catalog: cache::load(profile),
            live: segment::live(Some(profile)),
            now: Timestamp::now(),
        }
    }

    fn cached_resources(&self) -> impl Iterator<Item = &zt_api::CatalogEntry> {
        self.catalog
            .iter()
            .flat_map(|c| c.catalog.resources.iter())
            .filter(|r| zt_api::valid_name(&r.name))
    }

    /// " (cached 3d ago)" on names from a stale cache.
    fn staleness(&self) -> String {
        match &self.catalog {
            Some(c) if c.is_stale(self.now) => {
                let age = c.age_secs(self.now);
                let age = match age / 86_400 {
                    0 => segment::left(age),
                    days => format!("{days}d"),
                };
                format!(" (cached {age} ago)")
            }
            _ => String::new(),
        }
    }
}

/// `(value, description)` pairs, deduplicated by value (the first description wins).
#[derive(Default)]
struct Offer(BTreeMap<String, String>);

impl Offer {
    fn add(&mut self, value: &str, help: String) {
        if zt_api::valid_name(value) {
            self.0.entry(value.to_string()).or_insert(help);
        }
    }

    fn candidates(self) -> Vec<CompletionCandidate> {
        self.0
            .into_iter()
            .map(|(value, help)| {
                CompletionCandidate::new(value).help(Some(inert(&help, HELP_MAX).into()))
            })
            .collect()
    }
}

fn catalog_resources(k: &Known, offer: &mut Offer) {
    let stale = k.staleness();
    for r in k.cached_resources() {
        let roles: Vec<String> = r
            .roles
            .iter()
            .map(|role| format!("{}{}", role.name, if role.auto_approve { "*" } else { "" }))
            .collect();
        offer.add(&r.name, format!("{}: {}{stale}", r.kind, roles.join(" ")));
    }
}

fn live_grants(k: &Known, offer: &mut Offer, ids: bool, resources: bool) {
    for l in &k.live {
        let left = segment::left(l.seconds_left);
        if ids {
            offer.add(&l.grant, format!("{}/{} · {left} left", l.resource, l.role));
        }
        if resources {
            offer.add(&l.resource, format!("live grant {} · {left} left", l.grant));
        }
    }
}

fn resource_offer(k: &Known) -> Offer {
    let mut offer = Offer::default();
    catalog_resources(k, &mut offer);
    live_grants(k, &mut offer, false, true);
    offer
}

fn target_offer(k: &Known, with_catalog: bool) -> Offer {
    let mut offer = Offer::default();
    live_grants(k, &mut offer, true, true);
    if with_catalog {
        catalog_resources(k, &mut offer);
    }
    offer
}

fn grant_offer(k: &Known) -> Offer {
    let mut offer = Offer::default();
    live_grants(k, &mut offer, true, false);
    offer
}

/// The roles of `target` (a resource, or a live grant's id) when the cache knows it, else
/// every role the cache names.
fn role_offer(k: &Known, target: Option<&str>) -> Offer {
    let resource = target.map(|t| {
        k.live
            .iter()
            .find(|l| l.grant == t)
            .map_or(t, |l| l.resource.as_str())
    });
    let known = resource.is_some_and(|r| k.cached_resources().any(|c| c.name == r));
    let mut offer = Offer::default();
    for r in k.cached_resources() {
        if known && Some(r.name.as_str()) != resource {
            continue;
        }
        for role in &r.roles {
            let how = match role.auto_approve {
                true => "granted at once",
                false => "needs an approval",
            };
            let default = if role.name == r.default_role {
                ", default"
            } else {
                ""
            };
            let help = match known {
                true => format!("{how}{default}"),
                false => format!("{} ({how})", r.name),
            };
            offer.add(&role.name, help);
        }
    }
    for l in k
        .live
        .iter()
        .filter(|l| resource.is_none_or(|r| r == l.resource))
    {
        offer.add(&l.role, format!("live on {}", l.resource));
    }
    offer
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
