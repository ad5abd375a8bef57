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
}

impl Printer {
    pub fn new(json: bool) -> Self {
        Self {
            json,
            stderr_tty: std::io::stderr().is_terminal(),
            one_line: false,
        }
    }

    /// Errors as one line (`zt: message; hint`), for credential helpers.
    pub fn one_line_errors(mut self, on: bool) -> Self {
        self.one_line = on;
        self
    }

    /// A line of data on stdout.
    pub fn out(&self, line: impl AsRef<str>) {
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
    pub fn note(&self, line: impl AsRef<str>) {
        let _ = writeln!(std::io::stderr().lock(), "{}", line.as_ref());
    }

    pub fn warn(&self, line: &str) {
        self.note(format!("warning: {line}"));
    }

    pub fn error(&self, e: &Error) {
        if matches!(e.kind, crate::error::ErrorKind::Child(_)) {
            return; // `zt exec`: the command spoke for itself
        }
        let mut err = std::io::stderr().lock();
        if self.one_line {
            let hint = e
                .hint
                .as_deref()
                .map(|h| format!("; {h}"))
                .unwrap_or_default();
            let _ = writeln!(err, "zt: {}{hint}", e.message);
            return;
        }
        let _ = writeln!(err, "error: {}", e.message);
        if let Some(h) = &e.hint {
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

/// "1h 2m", "59s", "expired": for people, never parsed back.
pub fn human_secs(secs: i64) -> String {
    if secs <= 0 {
        return "expired".into();
    }
    let (h, m, s) = (secs / 3600, (secs % 3600) / 60, secs % 60);
    match (h, m) {
        (0, 0) => format!("{s}s"),
        (0, _) => format!("{m}m {s:02}s"),
        _ => format!("{h}h {m:02}m"),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn human_durations() {
        assert_eq!(super::human_secs(0), "expired");
        assert_eq!(super::human_secs(59), "59s");
        assert_eq!(super::human_secs(61), "1m 01s");
        assert_eq!(super::human_secs(3720), "1h 02m");
    }
}
