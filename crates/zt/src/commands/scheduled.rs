//! `zt request`'s answer for a grant approved ahead of its start (`--start-at`/`--start-in`):
//! noted in the ledger to be written at the start, the background reaper started to do it,
//! and when it starts said in local time and as "in 1h 59m".

use serde::Serialize;

use crate::error::Result;
use crate::grants::{self, How};
use crate::output::{Printer, field, human_secs};
use crate::{reaper, tombstone};
use zt_api::{self as api, Timestamp};

#[derive(Serialize)]
struct Scheduled<'a> {
    request: &'a api::Request,
    /// Nothing is written before the start.
    written: Vec<String>,
    scheduled: bool,
}

pub(super) fn report(req: &api::Request, profile: &str, how: How, p: &Printer) -> Result<()> {
    grants::scheduled::record(req, profile, how)?;
    reaper::ensure_running();
    if p.json {
        p.json(&Scheduled {
            request: req,
            written: vec![],
            scheduled: true,
        });
        return Ok(());
    }
    let now = Timestamp::now();
    let (Some(nb), Some(end)) = (req.not_before, req.expires_at) else {
        return Ok(());
    };
    p.note(format!(
        "✓ Scheduled {}/{}: starts {} (in {}), until {}. Grant {}.",
        field(&req.resource),
        field(&req.role),
        tombstone::clock(nb.0, now.0),
        human_secs(nb.0 - now.0),
        tombstone::clock(end.0, now.0),
        field(&req.id)
    ));
    p.note("  zt writes its entries at the start (its background reaper, or any zt run after it); the broker refuses its credential before.");
    p.out(&req.id);
    Ok(())
}
