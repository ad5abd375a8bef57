//! `zt login` as a person sees it, in real bash under tmux against a dev broker that waits for
//! a person (no `--auto-login`): the QR code of the verification URL, drawn module for module,
//! and the countdown to the code's expiry ticking beside the spinner. A terminal too narrow for
//! the code, `--json`, and a run whose stderr is not a terminal show no QR code — and the last
//! no control sequences at all.

use std::time::Duration;

use qrcode::{EcLevel, QrCode};

use crate::common::Home;
use crate::common::broker::Broker;
use crate::common::oidc::{block_on, start_login};
use crate::common::tmux::{Shell, Tmux};

const LIMIT: Duration = Duration::from_secs(30);
const BLOCKS: [char; 3] = ['▀', '▄', '█'];

fn login_line(broker: &Broker) -> String {
    format!(
        "zt login --broker {} --no-browser --insecure-storage",
        broker.url
    )
}

/// The address with the code filled in, from "(or open URL, which has the code filled in)",
/// also when a narrow terminal wrapped it over several rows.
fn complete_url(screen: &str) -> String {
    let joined: String = screen.lines().collect();
    joined
        .split_once("(or open")
        .and_then(|(_, rest)| rest.trim_start().split_once(", which has"))
        .map(|(url, _)| url.to_string())
        .unwrap_or_else(|| panic!("no complete verification URL on screen:\n{screen}"))
}

fn user_code(text: &str) -> String {
    text.lines()
        .find_map(|l| l.trim().strip_prefix("First copy your one-time code: "))
        .unwrap_or_else(|| panic!("no user code in:\n{text}"))
        .to_string()
}

/// The countdown on the spinner's line, "expires in 9m 58s", in seconds.
fn remaining(screen: &str) -> Option<u64> {
    let text = screen
        .lines()
        .find_map(|l| l.split_once(" expires in ").map(|(_, rest)| rest.trim()))?;
    let mut secs = 0;
    for part in text.split_whitespace() {
        let (n, unit) = part.split_at(part.len().checked_sub(1)?);
        let n: u64 = n.parse().ok()?;
        secs += n * match unit {
            "h" => 3600,
            "m" => 60,
            "s" => 1,
            _ => return None,
        };
    }
    Some(secs)
}

/// Approve `code` as `user` on the dev broker's verification page, as a person's browser would.
fn approve(broker: &Broker, code: &str, user: &str) {
    block_on(async {
        let page = format!("{}/oidc/device", broker.url);
        let c = reqwest::Client::new();
        let form = c
            .get(format!("{page}?user_code={code}"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(form.contains("<form"), "no form on the page: {form}");
        let done = c
            .post(&page)
            .form(&[("user_code", code), ("user", user), ("action", "approve")])
            .send()
            .await
            .unwrap();
        assert!(done.status().is_success(), "{:?}", done.status());
    });
}

/// The half-block rows after the caption, read back into modules (true = dark), each row
/// padded to `side` (tmux trims the light quiet zone at a line's end).
fn drawn_modules(screen: &str, side: usize) -> Vec<Vec<bool>> {
    let rows: Vec<&str> = screen
        .lines()
        .skip_while(|l| !l.contains("Or scan this with your phone:"))
        .skip(1)
        .take(side.div_ceil(2))
        .collect();
    assert_eq!(rows.len(), side.div_ceil(2), "QR rows:\n{screen}");
    let mut modules = Vec::new();
    for row in rows {
        let mut top = Vec::new();
        let mut bottom = Vec::new();
        for c in row.chars().chain(std::iter::repeat(' ')).take(side) {
            let (t, b) = match c {
                ' ' => (false, false),
                '▀' => (true, false),
                '▄' => (false, true),
                '█' => (true, true),
                other => panic!("{other:?} in a QR row {row:?}"),
            };
            top.push(t);
            bottom.push(b);
        }
        assert!(
            row.chars().count() <= side,
            "a QR row wider than the code: {row:?}"
        );
        modules.push(top);
        modules.push(bottom);
    }
    modules
}

#[test]
fn login_on_a_terminal_shows_a_qr_code_and_a_ticking_countdown() {
    let broker = Broker::start(&[]);
    let home = Home::new();
    let Some(t) = Tmux::start(&home, Shell::Bash) else {
        return;
    };
    t.send_line(&login_line(&broker));
    let screen = t.wait_for("the QR code and the countdown", LIMIT, |s| {
        s.contains("Or scan this with your phone:") && remaining(s).is_some()
    });

    // The QR code is the complete URL's, module for module, in its quiet zone.
    let url = complete_url(&screen);
    assert!(url.contains("user_code="), "{url}");
    let code = QrCode::with_error_correction_level(url.as_bytes(), EcLevel::L).unwrap();
    let n = code.width();
    let side = n + 8;
    let colors = code.to_colors();
    let drawn = drawn_modules(&screen, side);
    for (y, row) in drawn.iter().enumerate().take(side) {
        for (x, &dark) in row.iter().enumerate() {
            let inside = (4..n + 4).contains(&x) && (4..n + 4).contains(&y);
            let want = inside && colors[(y - 4) * n + (x - 4)] == qrcode::Color::Dark;
            assert_eq!(dark, want, "module ({x}, {y}) of {n}×{n}:\n{screen}");
        }
    }

    // The countdown ticks: a later screen shows less time left.
    let first = remaining(&screen).unwrap();
    let later = t.wait_for("the countdown to move", Duration::from_secs(5), |s| {
        remaining(s).is_some_and(|r| r != first)
    });
    let second = remaining(&later).unwrap();
    assert!(second < first && first <= 600, "{first}s then {second}s");

    // The person confirms; the login ends as always.
    approve(&broker, &user_code(&screen), "alice");
    t.wait_text("✓ Logged in", LIMIT);
}

#[test]
fn a_narrow_terminal_and_json_show_no_qr_code() {
    let broker = Broker::start(&[]);
    for (width, json) in [(40u16, false), (120, true)] {
        let home = Home::new();
        let Some(t) = Tmux::start_sized(&home, Shell::Bash, width, 40, &[]) else {
            return;
        };
        let line = login_line(&broker);
        let line = match json {
            true => line.replacen("zt login", "zt --json login", 1),
            false => line,
        };
        t.send_line(&line);
        let screen = t.wait_for("the countdown", LIMIT, |s| s.contains(" expires in "));
        // The code would need more columns than this terminal has.
        let url = complete_url(&screen);
        let side = QrCode::with_error_correction_level(url.as_bytes(), EcLevel::L)
            .unwrap()
            .width()
            + 8;
        if !json {
            assert!(
                side > usize::from(width),
                "a {side}-wide code fits in {width}"
            );
        }
        assert!(
            !screen.contains("Or scan") && !screen.contains(BLOCKS),
            "width {width}, json {json}:\n{screen}"
        );
        t.send_keys(&["C-c"]);
        t.wait_text("login cancelled", LIMIT);
    }
}

#[test]
fn a_login_without_a_terminal_shows_no_qr_code_and_no_control_sequences() {
    let broker = Broker::start(&[]);
    let home = Home::new();
    let pending = start_login(home.zt(&[
        "login",
        "--broker",
        &broker.url,
        "--no-browser",
        "--insecure-storage",
    ]));
    approve(&broker, &pending.user_code, "alice");
    let out = pending.finish(LIMIT);
    out.ok();
    let all = format!("{}{}", out.stdout, out.stderr);
    assert!(!all.contains('\x1b') && !all.contains('\r'), "{all:?}");
    assert!(!all.contains(BLOCKS) && !all.contains("Or scan"), "{all}");
    // Said once, plainly, instead of a countdown.
    assert!(
        out.stderr.contains("The code expires in "),
        "{}",
        out.stderr
    );
}
