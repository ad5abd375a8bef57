//! `zt revoke GRANT|RESOURCE`: end a grant now (or withdraw a pending request) and remove what zt wrote
//! for it on this machine.

use crate::ask;
use crate::cli::RevokeArgs;
use crate::commands::Ctx;
use crate::credcache;
use crate::error::{Error, ErrorKind, Result};
use crate::reaper;
use zt_api::{self as api, State};

pub(super) async fn run(args: RevokeArgs, ctx: &Ctx) -> Result<()> {
    let p = &ctx.printer;
    let broker = ask::target::Broker::new(&ctx.profile);
    let wanted = ask::target::Wanted {
        target: &args.grant,
        role: None,
        pending_too: true,
        min_left_secs: 0,
        command: "revoke",
    };
    // No live grant or open request matches: take it as an id (one that is over, or that
    // only this machine still remembers).
    let grant = ask::target::resolve(&wanted, &broker, ctx)
        .await?
        .unwrap_or_else(|| args.grant.clone());
    let client = broker.get().await?;
    let current = match client.get_request(&grant, None).await {
        Ok(c) => c,
        // The broker has no such grant (a restarted dev broker, a restored database): what zt
        // wrote for it here is useless, so it goes; only with nothing here is it an error.
        Err(e) if e.kind == ErrorKind::NotFound => {
            return match forgotten(&grant, e, ctx) {
                Err(e) if e.kind == ErrorKind::NotFound => {
                    Err(ask::target::not_found(&grant, &broker).await)
                }
                other => other,
            };
        }
        Err(e) => return Err(e),
    };
    let result = if current.state == State::Pending {
        client.withdraw(&grant).await
    } else {
        client.revoke(&grant).await
    };
    // Wipe locally whatever the broker says: the user wants it gone from this machine.
    let wiped = reaper::wipe_where(p, false, |e| e.grant == grant)?;
    crate::tombstone::revoked(&wiped);
    crate::grants::scheduled::forget(&grant);
    let req = match result {
        Ok(r) => r,
        Err(e) if e.kind == ErrorKind::Other && current.state.is_final() => current,
        Err(e) => return Err(e),
    };
    if p.json {
        p.json(&req);
        return Ok(());
    }
    p.note(format!(
        "{} {} ({}/{}) is {}.",
        if req.state == State::Cancelled {
            "Request"
        } else {
            "Grant"
        },
        req.id,
        req.resource,
        req.role,
        req.state
    ));
    for e in wiped {
        p.note(format!("  removed {}", e.target.describe()));
    }
    Ok(())
}

fn forgotten(grant: &str, e: Error, ctx: &Ctx) -> Result<()> {
    let p = &ctx.printer;
    if !api::valid_name(grant) {
        return Err(e);
    }
    let wiped = reaper::wipe_where(p, false, |x| x.grant == grant)?;
    let cached = credcache::load(grant).is_some();
    let _ = credcache::remove(grant);
    if wiped.is_empty() && !cached {
        return Err(e);
    }
    if p.json {
        p.json(&serde_json::json!({ "id": grant, "state": "unknown", "removed": wiped }));
        return Ok(());
    }
    p.note(format!(
        "The broker does not know grant {grant} (restarted, or its records were reset); removed what zt kept for it here."
    ));
    for e in wiped {
        p.note(format!("  removed {}", e.target.describe()));
    }
    Ok(())
}
