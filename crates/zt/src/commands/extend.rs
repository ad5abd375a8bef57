//! `zt extend GRANT|RESOURCE --ttl 30m`: ask the broker for more time on a live grant (policy
//! decides again), then keep what zt wrote on this machine until the new end — the ledger
//! entries move, so the reaper wipes them then instead of at the old time. Credentials already
//! minted keep their own expiry; the helpers fetch a fresh one from the broker near its end.

use crate::cli::ExtendArgs;
use crate::commands::Ctx;
use crate::error::{Error, Result};
use crate::ledger::Ledger;
use crate::output::{field, human_secs};
use crate::{ask, grants};
use zt_api as api;

#[derive(serde::Serialize)]
struct Extended<'a> {
    request: &'a api::Request,
    /// How many of the grant's entries on this machine now last until the new end.
    entries_kept: usize,
}

pub(super) async fn run(args: ExtendArgs, ctx: &Ctx) -> Result<()> {
    let p = &ctx.printer;
    let broker = ask::target::Broker::new(&ctx.profile);
    let wanted = ask::target::Wanted {
        target: &args.target,
        role: None,
        pending_too: false,
        min_left_secs: 0,
        command: "extend",
    };
    let Some(grant) = ask::target::resolve(&wanted, &broker, ctx).await? else {
        return Err(ask::target::not_found(&args.target, &broker).await);
    };
    let client = broker.get().await?;
    let body = api::ExtendRequest {
        ttl_secs: args.ttl.as_secs(),
        reason: args.reason.clone(),
    };
    let req = client.extend(&grant, &body).await?;
    let end = req.expires_at.ok_or_else(|| {
        Error::other(format!(
            "the broker extended grant {grant} but sent no end time"
        ))
    })?;
    let kept = Ledger::extend(&grant, end.0)?;
    // An SSH certificate ends where the grant ended before: one until the new end.
    let renewed = match req.kind {
        api::ResourceKind::Ssh => match grants::refresh_ssh(client, &grant).await {
            Ok(done) => done,
            Err(e) => {
                p.warn(&format!(
                    "could not renew the grant's SSH certificate: {}; it ends at the old time",
                    e.message
                ));
                vec![]
            }
        },
        _ => vec![],
    };
    if p.json {
        p.json(&Extended {
            request: &req,
            entries_kept: kept,
        });
        return Ok(());
    }
    p.note(format!(
        "✓ Extended {}/{} until {} ({} left). Grant {}.",
        field(&req.resource),
        field(&req.role),
        end,
        human_secs(end.secs_from_now()),
        req.id
    ));
    if kept > 0 {
        p.note(format!(
            "  kept {kept} entr{} on this machine until then",
            if kept == 1 { "y" } else { "ies" }
        ));
    }
    for r in renewed {
        p.note(format!("  {r}"));
    }
    Ok(())
}
