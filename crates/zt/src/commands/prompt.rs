//! `zt prompt`: the segment for a shell prompt ([`crate::segment`]). It runs on the fast path
//! ([`crate::quick`]) and always exits 0: a prompt must never show an error, so a missing or
//! damaged ledger prints nothing (or, with `--json`, `{"grants": []}`).

use std::process::ExitCode;

use crate::output::Printer;
use crate::segment;

/// Print the live grants of `profile` (all profiles when `None`).
pub(crate) fn run(json: bool, profile: Option<&str>) -> ExitCode {
    let live = segment::live(profile);
    let p = Printer::new(json);
    if json {
        p.json(&serde_json::json!({ "grants": live }));
    } else if !live.is_empty() {
        p.out(segment::render(&live));
    }
    ExitCode::SUCCESS
}
