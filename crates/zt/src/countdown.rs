//! `zt status --watch`: one line per live grant, redrawn every second with the time it has
//! left, until the last one ends (or Ctrl-C).
//!
//! Drawn with indicatif rather than hand-written ANSI: it is already how zt draws progress
//! (the request spinner), and its `MultiProgress` redraws a block of lines in place — moving
//! the cursor back over exactly what it drew, measuring lines against the terminal's width —
//! which a plain `\x1b[NA` redraw gets wrong as soon as a line wraps or the window narrows.
//!
//! The times come from the broker once (what `zt status` shows), then from the clock and the
//! ledger: it is re-read every second (no lock, like `zt prompt`), so `zt extend` moves a line's
//! end and a grant whose entries `zt revoke` or the reaper removed stops counting.

use std::collections::HashMap;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use zt_api::Timestamp;

use crate::error::Result;
use crate::output::{Printer, field, human_secs};
use crate::segment;

/// A live grant to count down.
#[derive(Debug, Clone)]
pub struct Item {
    pub id: String,
    /// `resource/role`.
    pub label: String,
    /// Unix seconds.
    pub expires_at: i64,
}

/// How a watched line stands at one tick.
#[derive(Debug, Clone, PartialEq)]
enum Now {
    Left(i64),
    Ended,
    /// Its ledger entries went away before its end (revoked, or removed by hand).
    Removed,
}

/// One watched grant and what the ledger said of it when the watch began.
struct Watched {
    item: Item,
    in_ledger: bool,
    bar: ProgressBar,
    done: bool,
}

/// The state of `item` at `now`, given the ledger's live grants (`None`: it had no entry to
/// begin with, so only the clock counts). A longer end in the ledger (`zt extend`) is taken.
fn tick(item: &mut Item, in_ledger: bool, ledger: &HashMap<String, i64>, now: i64) -> Now {
    if in_ledger {
        match ledger.get(&item.id) {
            Some(&end) => item.expires_at = item.expires_at.max(end),
            None if item.expires_at > now => return Now::Removed,
            None => {}
        }
    }
    match item.expires_at.saturating_sub(now) {
        left if left > 0 => Now::Left(left),
        _ => Now::Ended,
    }
}

fn ledger_now(profile: &str) -> HashMap<String, i64> {
    segment::live(Some(profile))
        .into_iter()
        .map(|l| (l.grant, l.expires_at.0))
        .collect()
}

fn message(left: i64) -> String {
    let warn = if left < segment::WARN_SECS {
        "⚠ "
    } else {
        ""
    };
    format!("{warn}{} left", human_secs(left))
}

/// Count `items` down on stdout (a terminal: the caller checked) until all have ended.
pub async fn run(items: Vec<Item>, profile: &str, p: &Printer) -> Result<()> {
    if items.is_empty() {
        p.note("No live grants to watch.");
        return Ok(());
    }
    // Before the first draw: a line written between two redraws would be drawn over.
    p.note("Counting down; Ctrl-C stops.");
    let style = ProgressStyle::with_template("{prefix}  {bar:24}  {msg}")
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("█▌ ");
    let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stdout());
    let at_start = ledger_now(profile);
    let now = Timestamp::now().0;
    let mut watched: Vec<Watched> = items
        .into_iter()
        .map(|item| {
            let left = item.expires_at.saturating_sub(now).max(1) as u64;
            let bar = multi.add(ProgressBar::new(left).with_style(style.clone()));
            bar.set_prefix(format!(
                "{:<17} {:<26}",
                field(&item.id),
                field(&item.label)
            ));
            Watched {
                in_ledger: at_start.contains_key(&item.id),
                item,
                bar,
                done: false,
            }
        })
        .collect();
    let mut every_second = tokio::time::interval(Duration::from_secs(1));
    every_second.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    loop {
        tokio::select! {
            _ = every_second.tick() => {}
            _ = &mut ctrl_c => {
                // Leave the last frame as it is: a redraw now would be drawn over the `^C` the
                // terminal echoed, and repeat a line.
                multi.set_draw_target(ProgressDrawTarget::hidden());
                p.out("");
                return Ok(());
            }
        }
        let ledger = ledger_now(profile);
        let now = Timestamp::now().0;
        for w in watched.iter_mut().filter(|w| !w.done) {
            match tick(&mut w.item, w.in_ledger, &ledger, now) {
                Now::Left(left) => {
                    let left = left as u64;
                    if left > w.bar.length().unwrap_or(0) {
                        w.bar.set_length(left);
                    }
                    w.bar.set_position(left);
                    w.bar.set_message(message(left as i64));
                }
                end => {
                    w.done = true;
                    // `abandon`, not `finish`: finishing fills the bar, and this one is empty.
                    w.bar.set_position(0);
                    w.bar.abandon_with_message(match end {
                        Now::Removed => "removed from this machine",
                        _ => "ended",
                    });
                }
            }
        }
        if watched.iter().all(|w| w.done) {
            p.note("Every watched grant has ended.");
            return Ok(());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(end: i64) -> Item {
        Item {
            id: "g1".into(),
            label: "prod-k8s/admin".into(),
            expires_at: end,
        }
    }

    #[test]
    fn counts_down_to_the_end() {
        let none = HashMap::new();
        let mut i = item(100);
        assert_eq!(tick(&mut i, false, &none, 40), Now::Left(60));
        assert_eq!(tick(&mut i, false, &none, 100), Now::Ended);
        assert_eq!(tick(&mut i, false, &none, i64::MIN), Now::Left(i64::MAX));
    }

    #[test]
    fn follows_the_ledger() {
        let mut ledger = HashMap::from([("g1".to_string(), 400)]);
        let mut i = item(100);
        // Extended: the later end counts.
        assert_eq!(tick(&mut i, true, &ledger, 40), Now::Left(360));
        // An earlier end in the ledger never shortens what the broker said.
        ledger.insert("g1".into(), 50);
        assert_eq!(tick(&mut i, true, &ledger, 40), Now::Left(360));
        // Entries gone before the end: revoked or removed.
        ledger.clear();
        assert_eq!(tick(&mut i, true, &ledger, 40), Now::Removed);
        // Gone at the end (the reaper's work): simply ended.
        assert_eq!(tick(&mut i, true, &ledger, 400), Now::Ended);
    }

    #[test]
    fn messages_warn_near_the_end() {
        assert!(message(299).starts_with('⚠'));
        assert!(!message(300).starts_with('⚠'));
    }
}
