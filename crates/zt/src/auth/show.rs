//! What the person sees while a device login waits for them: the one-time code and where to
//! confirm it, a QR code of that address on a terminal that has room for one, the browser
//! opened when there is a display, and a spinner counting down to the code's expiry. Scripts
//! (stderr not a terminal) get the plain lines only; `--json` never gets a QR code.

use std::io::{IsTerminal, Write};
use std::time::Duration;

use tokio::time::Instant;

use super::qr;
use crate::env;
use crate::output::{Printer, field, human_secs};

/// The device authorization answer's parts a person needs.
pub(super) struct Code<'a> {
    pub user_code: &'a str,
    pub verification_uri: &'a str,
    pub verification_uri_complete: Option<&'a str>,
    /// When the code stops working.
    pub deadline: Instant,
}

/// Rows kept free under the QR code: its caption and the spinner's line, so the whole code
/// and the countdown are on screen together.
const QR_RESERVE: u16 = 2;

/// Show the code and where to confirm it (open the browser there, when asked); then the
/// spinner with its countdown, or `None` when stderr is not a terminal.
pub(super) fn ask_person(
    printer: &Printer,
    code: &Code<'_>,
    open_browser: bool,
) -> Option<indicatif::ProgressBar> {
    // What the IdP sent is shown as data: escaped, one line each, capped (issue 11). Scripts
    // read the first line: its wording does not change.
    printer.note(format!(
        "First copy your one-time code: {}",
        field(code.user_code)
    ));
    printer.note(format!(
        "Then open {} in a browser and confirm.",
        field(code.verification_uri)
    ));
    if let Some(c) = code.verification_uri_complete {
        printer.note(format!(
            "(or open {}, which has the code filled in)",
            field(c)
        ));
    }
    let open_url = code
        .verification_uri_complete
        .unwrap_or(code.verification_uri);
    if !printer.json
        && std::io::stderr().is_terminal()
        && env::var(env::TERM).is_none_or(|t| t != "dumb")
        && is_web_address(open_url)
        && let Some((cols, rows)) = qr::stderr_size()
        && let Some(lines) = qr::for_terminal(open_url, cols, rows, QR_RESERVE)
    {
        let mut err = std::io::stderr().lock();
        let _ = writeln!(err, "Or scan this with your phone:");
        for l in lines {
            let _ = writeln!(err, "{l}");
        }
    }
    if open_browser {
        open_in_browser(open_url);
    }
    let spinner = printer.spinner("Waiting for you to confirm in the browser…");
    match &spinner {
        Some(s) => {
            let user_code = field(code.user_code);
            let deadline = code.deadline;
            let ticking = move |_: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                let left = deadline.saturating_duration_since(Instant::now());
                let _ = w.write_str(&countdown(&user_code, left));
            };
            if let Ok(style) = indicatif::ProgressStyle::with_template("{spinner} {msg} {expires}")
            {
                s.set_style(style.with_key("expires", ticking));
            }
        }
        None => printer.note(format!(
            "The code expires in {}.",
            human_secs(secs_left(code.deadline))
        )),
    }
    spinner
}

/// The spinner's countdown: "code WDJB-MJHT expires in 14m 32s" (`user_code` already escaped).
pub(super) fn countdown(user_code: &str, left: Duration) -> String {
    let secs = left.as_secs() as i64 + i64::from(left.subsec_nanos() > 0);
    match secs {
        0 => format!("code {user_code} has expired"),
        s => format!("code {user_code} expires in {}", human_secs(s)),
    }
}

fn secs_left(deadline: Instant) -> i64 {
    let left = deadline.saturating_duration_since(Instant::now());
    left.as_secs() as i64 + i64::from(left.subsec_nanos() > 0)
}

/// Only a web address is opened or drawn: an IdP's `file:` or `javascript:` URI, or one with
/// controls in it, is shown (escaped) and nothing more.
fn is_web_address(url: &str) -> bool {
    (url.starts_with("https://") || url.starts_with("http://"))
        && !url.chars().any(crate::output::is_hostile)
}

/// Open a URL in the user's browser, if there is a display; failures are silent (the URL is
/// printed anyway).
fn open_in_browser(url: &str) {
    if !is_web_address(url) {
        return;
    }
    let has_display = cfg!(target_os = "macos")
        || env::var(env::DISPLAY).is_some()
        || env::var(env::WAYLAND_DISPLAY).is_some();
    if !has_display {
        return;
    }
    let opener = env::var(env::BROWSER).unwrap_or_else(|| {
        if cfg!(target_os = "macos") {
            "open".into()
        } else {
            "xdg-open".into()
        }
    });
    let _ = std::process::Command::new(opener)
        .arg(url)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_countdown_reads_as_people_write_time() {
        let at = |s: f64| countdown("WDJB-MJHT", Duration::from_secs_f64(s));
        assert_eq!(at(872.0), "code WDJB-MJHT expires in 14m 32s");
        // A part of a second still counts: the code is not expired while any is left.
        assert_eq!(at(871.2), "code WDJB-MJHT expires in 14m 32s");
        assert_eq!(at(59.0), "code WDJB-MJHT expires in 59s");
        assert_eq!(at(0.3), "code WDJB-MJHT expires in 1s");
        assert_eq!(
            at(3720.0),
            format!("code WDJB-MJHT expires in {}", human_secs(3720))
        );
        assert_eq!(at(0.0), "code WDJB-MJHT has expired");
    }

    #[test]
    fn only_web_addresses_are_drawn_or_opened() {
        assert!(is_web_address("https://idp.example/device?user_code=A"));
        assert!(is_web_address("http://127.0.0.1:8421/oidc/device"));
        for no in [
            "javascript:alert(1)",
            "file:///etc/passwd",
            "https://idp.example/\x1b[2J",
            "https://idp.example/\u{202e}x",
        ] {
            assert!(!is_web_address(no), "{no:?}");
        }
    }
}
