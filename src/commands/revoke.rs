//! `zt revoke GRANT`: end a grant now (or withdraw a pending request) and remove what zt wrote
//! for it on this machine.

use crate::api::State;
use crate::cli::RevokeArgs;
use crate::client::BrokerClient;
use crate::commands::Ctx;
use crate::error::{ErrorKind, Result};
use crate::reaper;

pub async fn run(args: RevokeArgs, ctx: &Ctx) -> Result<()> {
    let p = &ctx.printer;
    let (client, _) = BrokerClient::for_profile(&ctx.profile).await?;
    let current = client.get_request(&args.grant, None).await?;
    let result = if current.state == State::Pending {
        client.withdraw(&args.grant).await
    } else {
        client.revoke(&args.grant).await
    };
    // Wipe locally whatever the broker says: the user wants it gone from this machine.
    let wiped = reaper::wipe_where(p, false, |e| e.grant == args.grant)?;
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
