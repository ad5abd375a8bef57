//! `zt status`: your requests and grants with the time each has left, and what zt wrote for
//! them on this machine. Works from the local ledger alone when the broker is unreachable.
//! `--watch` then counts the live ones down ([`crate::countdown`]).

use std::collections::BTreeMap;
use std::io::IsTerminal;

use serde::Serialize;

use crate::cli::StatusArgs;
use crate::client::BrokerClient;
use crate::commands::Ctx;
use crate::countdown;
use crate::error::{Error, ErrorKind, Result};
use crate::grants;
use crate::ledger::Ledger;
use crate::output::{field, human_secs};
use crate::tombstone::{self, Why};
use zt_api::{self as api, Timestamp};

mod group;

#[derive(Serialize)]
struct Row {
    id: String,
    resource: String,
    role: String,
    state: String,
    expires_at: Option<Timestamp>,
    seconds_left: Option<i64>,
    written: Vec<String>,
    /// Who decided, and what they wrote (a denial's why): the broker's `decision_comment`.
    #[serde(skip_serializing_if = "Option::is_none")]
    decided_by: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    decision_comment: Option<String>,
    /// The bundle the grant is part of (`zt request A B C`).
    #[serde(skip_serializing_if = "Option::is_none")]
    bundle_id: Option<String>,
    /// When a scheduled grant starts (the request's `start_at`).
    #[serde(skip_serializing_if = "Option::is_none")]
    start_at: Option<Timestamp>,
    /// `scheduled` or `first_use` when the clock does not start at approval.
    #[serde(skip_serializing_if = "Option::is_none")]
    activation: Option<api::Activation>,
    /// A first-use grant nobody used yet lapses at this time.
    #[serde(skip_serializing_if = "Option::is_none")]
    claim_by: Option<Timestamp>,
    /// "starts 14:00 (in 1h 59m)", "waiting for first use, lapses in 58m" (text only).
    #[serde(skip)]
    clock: Option<String>,
}

/// Denied requests stay in the list this long, so the requester sees the approver's answer.
const DENIED_SHOWN_SECS: i64 = 24 * 3600;

pub(super) async fn run(args: StatusArgs, ctx: &Ctx) -> Result<()> {
    // A redraw loop is for a person: a script gets a usage error before anything is asked.
    if args.watch && ctx.printer.json {
        return Err(Error::usage("--watch cannot be combined with --json")
            .with_hint("`zt status --json` prints the list once, with `seconds_left` per grant"));
    }
    if args.watch && !std::io::stdout().is_terminal() {
        return Err(
            Error::usage("--watch redraws a countdown and needs a terminal on stdout")
                .with_hint("run `zt status` (or `zt status --json`) for a list a script can read"),
        );
    }
    let rows = rows(ctx).await?;
    if args.watch {
        let live = rows
            .iter()
            .filter(|r| r.seconds_left.is_some_and(|s| s > 0))
            .filter_map(|r| {
                Some(countdown::Item {
                    id: r.id.clone(),
                    label: format!("{}/{}", r.resource, r.role),
                    expires_at: r.expires_at?.0,
                })
            })
            .collect();
        return countdown::run(live, &ctx.profile, &ctx.printer).await;
    }
    print(rows, &ctx.printer)
}

/// Your requests and grants: the broker's list joined with this machine's ledger.
async fn rows(ctx: &Ctx) -> Result<Vec<Row>> {
    let p = &ctx.printer;
    let ledger = Ledger::read()?;
    let mut rows: BTreeMap<String, Row> = BTreeMap::new();
    let mut client = None;
    let remote = async {
        let (c, _) = BrokerClient::for_profile(&ctx.profile).await?;
        let list = c
            .list_requests("requester=me&state=pending,approved,active,denied")
            .await?;
        client = Some(c);
        Ok::<_, crate::error::Error>(list)
    }
    .await;
    let mut live: Vec<String> = vec![];
    match remote {
        Ok(list) => {
            let recent = |r: &api::Request| -r.created_at.secs_from_now() < DENIED_SHOWN_SECS;
            for r in list.requests {
                if r.state != api::State::Denied || recent(&r) {
                    live.push(r.id.clone());
                    rows.insert(r.id.clone(), row_of(&r));
                }
            }
        }
        Err(e) if matches!(e.kind, ErrorKind::Unavailable | ErrorKind::AuthRequired) => {
            p.warn(&format!(
                "{} — showing only what this machine knows",
                e.message
            ));
        }
        Err(e) => return Err(e),
    }
    let mut disk = grants::present::Disk::default();
    for e in ledger.entries.iter().filter(|e| e.profile == ctx.profile) {
        let row = rows
            .entry(e.grant.clone())
            .or_insert_with(|| row_of_entry(e));
        // Only what is really there: an entry removed by hand, or never finished, is not.
        if disk.has(e) {
            row.written.push(e.target.describe());
        }
    }
    // Ended grants' entries kept to explain the end: shown as ended, never as live.
    for g in ledger
        .ended
        .iter()
        .filter(|g| g.entry.profile == ctx.profile)
    {
        let e = &g.entry;
        let row = rows.entry(e.grant.clone()).or_insert_with(|| Row {
            state: if g.why == Why::Expired {
                "expired"
            } else {
                "revoked"
            }
            .into(),
            expires_at: Some(Timestamp(e.expires_at)),
            seconds_left: None,
            ..row_of_entry(e)
        });
        if disk.has(e) {
            let until = tombstone::clock(g.until, Timestamp::now().0);
            row.written.push(format!(
                "{} (ended; kept until {until} to say so)",
                e.target.describe()
            ));
        }
    }
    // Grants this machine has entries for that the broker does not list as open: ask what
    // became of them rather than guess ("unknown" only when the broker cannot be asked).
    let mut stale = 0;
    if let Some(client) = &client {
        for row in rows.values_mut().filter(|r| !live.contains(&r.id)) {
            row.state = match client.get_request(&row.id, None).await {
                Ok(r) => r.state.to_string(),
                Err(e) if e.kind == ErrorKind::NotFound => "gone".into(),
                Err(_) => continue,
            };
            row.seconds_left = None;
            stale += 1;
        }
        // An ended grant with nothing left on disk is not worth a row.
        rows.retain(|id, r| live.contains(id) || !r.written.is_empty());
    }
    let rows: Vec<Row> = rows.into_values().collect();
    let kept = |r: &Row| r.written.iter().all(|w| w.ends_with("to say so)"));
    if stale > 0
        && rows
            .iter()
            .any(|r| r.seconds_left.is_none() && !r.written.is_empty() && !kept(r))
    {
        p.note("Grants that are over still have entries here: `zt reap` removes them.");
    }
    Ok(rows)
}

fn print(rows: Vec<Row>, p: &crate::output::Printer) -> Result<()> {
    if p.json {
        p.json(&rows);
        return Ok(());
    }
    if rows.is_empty() {
        p.note("No open requests or live grants.");
        return Ok(());
    }
    p.out(format!(
        "{:<17} {:<22} {:<9} {:>9}  {}",
        "ID", "RESOURCE/ROLE", "STATE", "LEFT", "ON THIS MACHINE"
    ));
    for (bundle, r) in group::grouped(rows) {
        if let Some((id, n)) = bundle {
            p.out(format!("bundle {} ({n} items):", field(&id)));
        }
        let said = match (&r.decided_by, &r.decision_comment) {
            (Some(by), Some(c)) if r.state == "denied" => {
                format!(" — denied by {}: {}", field(by), field(c))
            }
            (Some(by), None) if r.state == "denied" => format!(" — denied by {}", field(by)),
            _ => String::new(),
        };
        let said = match &r.clock {
            Some(c) => format!("{said} — {c}"),
            None => said,
        };
        p.out(format!(
            "{:<17} {:<22} {:<9} {:>9}  {}{said}",
            field(&r.id),
            field(&format!("{}/{}", r.resource, r.role)),
            r.state,
            r.seconds_left.map(human_secs).unwrap_or_else(|| "-".into()),
            if r.written.is_empty() {
                "-".into()
            } else {
                r.written.join("; ")
            }
        ));
    }
    Ok(())
}

/// A grant only the ledger knows of (the broker cannot be asked).
fn row_of_entry(e: &crate::ledger::Entry) -> Row {
    Row {
        id: e.grant.clone(),
        resource: e.resource.clone(),
        role: e.role.clone(),
        state: "unknown".into(),
        expires_at: Some(Timestamp(e.expires_at)),
        seconds_left: Some(Timestamp(e.expires_at).secs_from_now()),
        written: vec![],
        decided_by: None,
        decision_comment: None,
        bundle_id: None,
        start_at: None,
        activation: None,
        claim_by: None,
        clock: None,
    }
}

fn row_of(r: &api::Request) -> Row {
    Row {
        id: r.id.clone(),
        resource: r.resource.clone(),
        role: r.role.clone(),
        state: r.state.to_string(),
        expires_at: r.expires_at,
        seconds_left: r.expires_at.map(|t| t.secs_from_now()),
        written: vec![],
        decided_by: r.decided_by.clone(),
        decision_comment: r.decision_comment.clone(),
        bundle_id: r.bundle_id.clone(),
        start_at: r.start_at,
        activation: r.activation,
        claim_by: r.claim_by,
        clock: crate::schedule::clock_words(r),
    }
}
