//! The helpers' warm path, taken before anything else runs: for exactly `zt [--profile P]
//! credential kube|aws GRANT` with a cached credential that has time left, read the cache,
//! warn if the grant is about to end, print, exit. No clap, no async runtime, no ledger sweep
//! (the daemon wipes on time; the cold path, any other command and `zt reap` sweep). Anything
//! else — another command line, no usable cache, a grant that is over — falls through to the
//! general run, which answers as it always has.

use std::ffi::OsString;
use std::io::Write;
use std::process::ExitCode;

use super::{REFRESH_MARGIN_SECS, aws_json, ended, kube_json};
use crate::credcache;

/// The exit code when the warm path answered; `None` to run the general path.
pub(crate) fn answer() -> Option<ExitCode> {
    let (kind, grant) = helper_args(std::env::args_os().skip(1))?;
    // (An invalid grant id has no cache path: the general path explains.)
    let cached = credcache::load(&grant)?;
    if cached.credential.expires_at().secs_from_now() <= REFRESH_MARGIN_SECS {
        return None;
    }
    let out = match kind {
        Kind::Kube => kube_json(&cached)?,
        Kind::Aws => aws_json(&cached)?,
    };
    ended::warn_if_ending(&grant, &cached);
    let mut o = std::io::stdout().lock();
    match writeln!(o, "{out}").and_then(|()| o.flush()) {
        Ok(()) => Some(ExitCode::SUCCESS),
        // stdout closed: nothing more to say to anyone.
        Err(_) => Some(ExitCode::FAILURE),
    }
}

#[derive(Debug, PartialEq)]
enum Kind {
    Kube,
    Aws,
}

/// `[--profile P | --profile=P] credential kube|aws GRANT`, nothing more.
fn helper_args(args: impl Iterator<Item = OsString>) -> Option<(Kind, String)> {
    let args: Vec<String> = args.map(|a| a.into_string().ok()).collect::<Option<_>>()?;
    let rest: &[String] = match args.first().map(String::as_str) {
        Some("--profile") => args.get(2..)?,
        Some(a) if a.starts_with("--profile=") => &args[1..],
        _ => &args,
    };
    match rest {
        [c, k, grant] if c == "credential" && !grant.starts_with('-') => {
            let kind = match k.as_str() {
                "kube" => Kind::Kube,
                "aws" => Kind::Aws,
                _ => return None,
            };
            Some((kind, grant.clone()))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> Option<(Kind, String)> {
        helper_args(line.split_whitespace().map(OsString::from))
    }

    #[test]
    fn only_the_exact_helper_command_lines() {
        assert_eq!(parse("credential kube g1"), Some((Kind::Kube, "g1".into())));
        assert_eq!(
            parse("--profile work credential aws g1"),
            Some((Kind::Aws, "g1".into()))
        );
        assert_eq!(
            parse("--profile=work credential kube g1"),
            Some((Kind::Kube, "g1".into()))
        );
        for other in [
            "",
            "credential",
            "credential kube",
            "credential kube g1 extra",
            "credential kube --help",
            "credential pg g1",
            "--json credential kube g1",
            "credential kube g1 --verbose",
            "--profile",
            "status",
            "--profile credential kube g1",
        ] {
            assert_eq!(parse(other), None, "{other}");
        }
    }
}
