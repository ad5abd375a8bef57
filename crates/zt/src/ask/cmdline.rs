//! Hints for command lines clap refused: `--ttl 2 hours` is two words to the shell, so clap
//! sees `2` as the value and `hours` as a stray argument. Say to quote it.

use crate::cli::parse_duration;
use crate::output::human_secs;

/// The flags whose value is a duration (`cli::parse_duration`).
const DURATION_FLAGS: [&str; 2] = ["--ttl", "--timeout"];

/// When a duration flag's value and the word after it together make a duration
/// (`--ttl 2 hours`, `--timeout 1h 30m`): how to write it as one argument.
pub fn duration_hint<S: AsRef<str>>(args: &[S]) -> Option<String> {
    let args: Vec<&str> = args.iter().map(AsRef::as_ref).collect();
    for (i, a) in args.iter().enumerate() {
        if *a == "--" {
            break; // the command of `zt exec`, not zt's flags
        }
        let (flag, value, next) = match DURATION_FLAGS
            .iter()
            .find(|f| *a == **f || a.strip_prefix(**f).is_some_and(|r| r.starts_with('=')))
        {
            Some(f) if *a == *f => (*f, args.get(i + 1), args.get(i + 2)),
            Some(f) => (*f, Some(&&a[f.len() + 1..]), args.get(i + 1)),
            None => continue,
        };
        let (Some(value), Some(next)) = (value, next) else {
            continue;
        };
        if next.starts_with('-') || next.is_empty() {
            continue;
        }
        let joined = format!("{value} {next}");
        if let Ok(d) = parse_duration(&joined) {
            let compact = human_secs(d.as_secs() as i64).replace(' ', "");
            return Some(format!(
                "a duration is one argument: quote it, {flag} \"{joined}\", or write {flag} {compact}"
            ));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_word_durations_get_a_hint() {
        let h = duration_hint(&["zt", "request", "prod-k8s", "--ttl", "2", "hours"]).unwrap();
        assert!(h.contains("--ttl \"2 hours\""), "{h}");
        assert!(h.contains("--ttl 2h"), "{h}");
        let h = duration_hint(&["zt", "request", "x", "--timeout=1h", "30m"]).unwrap();
        assert!(
            h.contains("--timeout \"1h 30m\"") && h.contains("1h30m"),
            "{h}"
        );
        let h = duration_hint(&["zt", "extend", "x", "--ttl", "90", "min"]).unwrap();
        assert!(h.contains("--ttl 1h30m"), "{h}");
    }

    #[test]
    fn other_lines_get_none() {
        assert!(duration_hint(&["zt", "request", "prod-k8s", "--ttl", "2h"]).is_none());
        assert!(duration_hint(&["zt", "request", "--ttl", "2h", "--role", "x"]).is_none());
        assert!(duration_hint(&["zt", "request", "--ttl", "2", "prod-k8s"]).is_none());
        assert!(duration_hint(&["zt", "exec", "x", "--", "sleep", "--ttl", "2", "h"]).is_none());
        assert!(duration_hint::<&str>(&[]).is_none());
    }
}
