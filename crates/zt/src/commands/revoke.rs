//! `zt revoke GRANT`: end a grant now (or withdraw a pending request) and remove what zt wrote
//! for it on this machine.

use crate::cli::RevokeArgs;
use crate::client::BrokerClient;
use crate::commands::Ctx;
use crate::credcache;
use crate::error::{Error, ErrorKind, Result};
use crate::reaper;
use zt_api::{self as api, State};

pub(super) async fn run(args: RevokeArgs, ctx: &Ctx) -> Result<()> {
    let p = &ctx.printer;
    let (client, _) = BrokerClient::for_profile(&ctx.profile).await?;
    let current = match client.get_request(&args.grant, None).await {
        Ok(c) => c,
        // The broker has no such grant (a restarted dev broker, a restored database): what zt
        // wrote for it here is useless, so it goes; only with nothing here is it an error.
        Err(e) if e.kind == ErrorKind::NotFound => return forgotten(&args.grant, e, ctx),
        Err(e) => return Err(e),
    };
    let result = if current.state == State::Pending {
        client.withdraw(&args.grant).await
    } else {
        client.revoke(&args.grant).await
    };
    // Wipe locally whatever the broker says: the user wants it gone from this machine.
    let wiped = reaper::wipe_where(p, false, |e| e.grant == args.grant)?;
    crate::tombstone::revoked(&wiped);
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
