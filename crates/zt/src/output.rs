//! The Printer: stdout is data (text or `--json`), stderr is for people. Spinners and hints go
//! to stderr and vanish when it is not a terminal, so scripts see only what they asked for.

use std::io::{IsTerminal, Write};
use std::time::Duration;

use serde::Serialize;

use crate::error::Error;

#[derive(Debug, Clone)]
pub struct Printer {
    pub json: bool,
    stderr_tty: bool,
    one_line: bool,
    verbose: bool,
    /// Data lines go to stderr too: for work done beside a command (writing a scheduled grant
    /// at its start), whose stdout belongs to the command.
    data_to_stderr: bool,
}

impl Printer {
    pub fn new(json: bool) -> Self {
        Self {
            json,
            stderr_tty: std::io::stderr().is_terminal(),
            one_line: false,
            verbose: false,
            data_to_stderr: false,
        }
    }

    /// For work done beside the command: people's text only, nothing on stdout, no JSON.
    pub fn beside(&self) -> Self {
        Self {
            json: false,
            data_to_stderr: true,
            ..self.clone()
        }
    }

    /// Errors with their cause chain (`--verbose`).
    pub fn verbose(mut self, on: bool) -> Self {
        self.verbose = on;
        self
    }

    /// Errors as one line (`zt: message; hint`), for credential helpers.
    pub fn one_line_errors(mut self, on: bool) -> Self {
        self.one_line = on;
        self
    }

    /// A line of data on stdout.
    pub fn out(&self, line: impl AsRef<str>) {
        if self.data_to_stderr {
            self.note(line);
            return;
        }
        let mut o = std::io::stdout().lock();
        let _ = writeln!(o, "{}", line.as_ref());
    }

    /// A value as pretty JSON on stdout (`--json`).
    pub fn json<T: Serialize>(&self, value: &T) {
        match serde_json::to_string_pretty(value) {
            Ok(s) => self.out(s),
            Err(e) => self.warn(&format!("cannot encode JSON output: {e}")),
        }
    }

    /// A note for people on stderr.
    /// Its lines pass through [`inert_lines`]: whatever a caller embedded from the broker or
    /// another person cannot steer the terminal, even where a field was not escaped itself.
    pub fn note(&self, line: impl AsRef<str>) {
        let line = inert_lines(line.as_ref(), NOTE_MAX);
        let _ = writeln!(std::io::stderr().lock(), "{line}");
    }

    pub fn warn(&self, line: &str) {
        self.note(format!("warning: {line}"));
    }

    pub fn error(&self, e: &Error) {
        if matches!(e.kind, crate::error::ErrorKind::Child(_)) {
            return; // `zt exec`: the command spoke for itself
        }
        let mut err = std::io::stderr().lock();
        let message = inert_lines(&e.message, NOTE_MAX);
        let hint = e.hint.as_deref().map(|h| inert_lines(h, NOTE_MAX));
        // Causes are library errors that may quote a server or a file: made inert like notes.
        let causes: Vec<String> = match self.verbose {
            true => e
                .causes()
                .iter()
                .map(|c| inert_lines(c, NOTE_MAX))
                .collect(),
            false => Vec::new(),
        };
        if self.json && !self.one_line {
            let mut v = error_json(e, &message, hint.as_deref());
            if self.verbose {
                v["error"]["causes"] = serde_json::json!(causes);
            }
            let _ = writeln!(err, "{v}");
            return;
        }
        if self.one_line {
            let hint = hint.map(|h| format!("; {h}")).unwrap_or_default();
            let _ = writeln!(err, "zt: {}{hint}", message.replace('\n', " "));
            return;
        }
        let _ = writeln!(err, "error: {message}");
        for c in &causes {
            let _ = writeln!(err, "  caused by: {c}");
        }
        if let Some(h) = &hint {
            let _ = writeln!(err, "hint: {h}");
        }
    }

    /// A spinner on stderr, or nothing when stderr is not a terminal.
    pub fn spinner(&self, message: &str) -> Option<indicatif::ProgressBar> {
        if !self.stderr_tty {
            return None;
        }
        let pb = indicatif::ProgressBar::new_spinner();
        pb.set_draw_target(indicatif::ProgressDrawTarget::stderr());
        if let Ok(style) = indicatif::ProgressStyle::with_template("{spinner} {msg} [{elapsed}]") {
            pb.set_style(style);
        }
        pb.set_message(message.to_string());
        pb.enable_steady_tick(Duration::from_millis(120));
        Some(pb)
    }
}

/// `--json` errors, one line on stderr: `{"error": {"kind", "message", "hint", "exit_code"}}`
/// (and `causes` with `--verbose`).
/// The shape is documented in the README; fields are only ever added.
fn error_json(e: &Error, message: &str, hint: Option<&str>) -> serde_json::Value {
    serde_json::json!({
        "error": {
            "kind": e.kind.name(),
            "message": message,
            "hint": hint,
            "exit_code": e.kind.exit_code(),
        }
    })
}

/// How many characters of one field from someone else (a reason, a name, a description) are
/// shown before "…": enough for any honest value, not enough to flood a terminal.
pub const FIELD_MAX: usize = 200;
/// The same for a whole message or note (a problem's detail, an error with fields in it).
pub const NOTE_MAX: usize = 2000;

/// Characters that must never reach a terminal raw: C0 and C1 controls and DEL (escape
/// sequences, carriage returns that overwrite a line), the Unicode bidi controls that reorder
/// what is shown (Trojan Source, CVE-2021-42574), and the Unicode line separators.
pub fn is_hostile(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{200E}' | '\u{200F}' | '\u{061C}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
                | '\u{2028}' | '\u{2029}'
        )
}

/// One field written by the broker or another person, made inert for a terminal: every
/// control or bidi character (newlines too: a field stays on its line) is shown escaped
/// (`\u{1b}`, `\n`), and the result is at most about `max` characters, ending in "…".
pub fn inert(s: &str, max: usize) -> String {
    escape(s, max, false)
}

/// [`inert`] for a text of several lines zt composed: newlines stay, all else is escaped.
pub fn inert_lines(s: &str, max: usize) -> String {
    escape(s, max, true)
}

/// [`inert`] at [`FIELD_MAX`], the usual cap for a field in a table or sentence.
pub fn field(s: &str) -> String {
    inert(s, FIELD_MAX)
}

fn escape(s: &str, max: usize, keep_newlines: bool) -> String {
    if s.len() <= max && !s.chars().any(is_hostile) {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len().min(max + 16));
    let mut shown = 0usize;
    for (i, c) in s.char_indices() {
        if shown >= max {
            let rest = s[i..].chars().count();
            out.push_str(&format!("… ({rest} more characters)"));
            break;
        }
        if is_hostile(c) && !(keep_newlines && c == '\n') {
            for e in c.escape_default() {
                out.push(e);
                shown += 1;
            }
        } else {
            out.push(c);
            shown += 1;
        }
    }
    out
}

/// The one human form of a duration in zt's messages: "3h 59m", "4m", "1m 30s", "59s" — the
/// two largest units, no zero parts, no padding; "expired" at or below zero. For people, never
/// parsed back (`--json` keeps numbers).
pub fn human_secs(secs: i64) -> String {
    if secs <= 0 {
        return "expired".into();
    }
    let secs = secs as u64;
    let (h, m, s) = (secs / 3600, (secs % 3600) / 60, secs % 60);
    let parts: &[(u64, &str)] = match (h, m) {
        (0, 0) => &[(s, "s")],
        (0, _) => &[(m, "m"), (s, "s")],
        _ => &[(h, "h"), (m, "m")],
    };
    parts
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, unit)| format!("{n}{unit}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// A grant's length ("30m", "1h 30m"): [`human_secs`]'s form, "0s" for nothing.
pub fn human_ttl(secs: u64) -> String {
    match secs {
        0 => "0s".into(),
        n => human_secs(n.min(i64::MAX as u64) as i64),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_inert_and_capped() {
        assert_eq!(field("plain reason"), "plain reason");
        let evil = "ok\x1b[2K\rapprove me\n\u{202e}nimda\u{7f}\u{9b}";
        let shown = field(evil);
        assert!(!shown.chars().any(is_hostile), "{shown:?}");
        assert_eq!(
            shown,
            "ok\\u{1b}[2K\\rapprove me\\n\\u{202e}nimda\\u{7f}\\u{9b}"
        );
        let long = "\x1b".repeat(1_000_000);
        let shown = inert(&long, 100);
        assert!(shown.chars().count() < 140, "{}", shown.len());
        assert!(shown.ends_with("more characters)"), "{shown}");
        assert_eq!(inert_lines("a\nb\r", 10), "a\nb\\r");
        assert_eq!(
            field(&"é".repeat(300))
                .chars()
                .filter(|c| *c == 'é')
                .count(),
            200
        );
    }

    #[test]
    fn ttls_have_no_zero_parts() {
        assert_eq!(human_ttl(1800), "30m");
        assert_eq!(human_ttl(3600), "1h");
        assert_eq!(human_ttl(5400), "1h 30m");
        assert_eq!(human_ttl(90), "1m 30s");
        assert_eq!(human_ttl(3601), "1h");
        assert_eq!(human_ttl(0), "0s");
    }

    #[test]
    fn human_durations() {
        assert_eq!(super::human_secs(0), "expired");
        assert_eq!(super::human_secs(59), "59s");
        assert_eq!(super::human_secs(61), "1m 1s");
        assert_eq!(super::human_secs(240), "4m");
        assert_eq!(super::human_secs(3720), "1h 2m");
        assert_eq!(super::human_secs(3600), "1h");
        assert_eq!(super::human_secs(14393), "3h 59m");
        assert_eq!(super::human_secs(8 * 3600), "8h");
        assert_eq!(super::human_secs(-5), "expired");
    }
}
