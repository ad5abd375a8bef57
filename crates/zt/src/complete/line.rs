//! What the command line being completed already says: the profile, and the resource (or grant
//! id) a `--role` is for.

use std::ffi::OsString;

use crate::cli::{ExecArgs, GlobalArgs, RequestArgs};
use crate::env;

/// What the command line being completed already says.
#[derive(Debug, Default, PartialEq)]
pub(super) struct Line {
    pub(super) profile: String,
    /// `zt request R` / `zt exec R`: the resource (or grant id) given, if any.
    pub(super) target: Option<String>,
}

/// Read [`Line`] from the words after `--` (`zt -- zt request prod-k8s --role ad`).
pub(super) fn line_of(words: &[OsString]) -> Line {
    let words = on_the_line(words);
    Line {
        profile: profile_of(words),
        target: target_of(words),
    }
}

/// The words after the first `--`: the shell's line (`zt -- zt request pr` → `zt request pr`).
pub(super) fn on_the_line(words: &[OsString]) -> &[OsString] {
    match words.iter().position(|w| w == "--") {
        Some(i) => &words[i + 1..],
        None => words,
    }
}

/// `--profile NAME` (or `--profile=NAME`) on the line, else `ZT_PROFILE`, else `default` —
/// what clap would decide, without building every subcommand's definition to ask it.
pub(super) fn profile_of(words: &[OsString]) -> String {
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
        // Several resources make a bundle (where `--role` does not apply): the last one's.
        Some(("request", sub)) => sub
            .try_get_many::<String>("resources")
            .ok()
            .flatten()
            .and_then(|mut v| v.next_back()),
        Some(("exec", sub)) => sub.try_get_one::<String>("target").ok().flatten(),
        _ => None,
    };
    target.filter(|t| !t.is_empty()).cloned()
}
