//! `zt extend GRANT|RESOURCE --ttl 30m`: ask the broker for more time on a live grant (policy
//! decides again), then keep what zt wrote on this machine until the new end — the ledger
//! entries move, so the reaper wipes them then instead of at the old time. Credentials already
//! minted keep their own expiry; the helpers fetch a fresh one from the broker near its end.

use crate::cli::ExtendArgs;
use crate::client::BrokerClient;
use crate::commands::Ctx;
use crate::error::{Error, ErrorKind, Result};
use crate::ledger::Ledger;
use crate::output::human_secs;
use zt_api::{self as api, Timestamp};

#[derive(serde::Serialize)]
struct Extended<'a> {
    request: &'a api::Request,
    /// How many of the grant's entries on this machine now last until the new end.
    entries_kept: usize,
}

pub(super) async fn run(args: ExtendArgs, ctx: &Ctx) -> Result<()> {
    let p = &ctx.printer;
    let (client, _) = BrokerClient::for_profile(&ctx.profile).await?;
    let grant = resolve(&args.target, &client, ctx).await?;
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
    if p.json {
        p.json(&Extended {
            request: &req,
            entries_kept: kept,
        });
        return Ok(());
    }
    p.note(format!(
        "✓ Extended {}/{} until {} ({} left). Grant {}.",
        req.resource,
        req.role,
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
    Ok(())
}

/// A grant id as given, or the one live grant of this profile on a resource — from this
/// machine's ledger first, else from the broker.
async fn resolve(target: &str, client: &BrokerClient, ctx: &Ctx) -> Result<String> {
    if !api::valid_name(target) {
        return Err(
            Error::usage(format!("{target:?} is not a grant id or resource name"))
                .with_hint("see `zt status` for your grants"),
        );
    }
    let now = Timestamp::now();
    let ledger = Ledger::read()?;
    if ledger.entries.iter().any(|e| e.grant == target) {
        return Ok(target.to_owned());
    }
    let mut local: Vec<&str> = ledger
        .entries
        .iter()
        .filter(|e| e.resource == target && e.profile == ctx.profile && e.expires_at > now.0)
        .map(|e| e.grant.as_str())
        .collect();
    local.dedup();
    if let [one] = local.as_slice() {
        return Ok((*one).to_owned());
    }
    let mine = client
        .list_requests("requester=me&state=approved,active")
        .await?;
    if mine.requests.iter().any(|r| r.id == target) {
        return Ok(target.to_owned());
    }
    let live: Vec<&api::Request> = mine
        .requests
        .iter()
        .filter(|r| r.resource == target && r.expires_at.is_some_and(|t| t > now))
        .collect();
    match live.as_slice() {
        [one] => Ok(one.id.clone()),
        [] => Err(Error::new(
            ErrorKind::NotFound,
            format!("no live grant of yours is called or on {target:?}"),
        )
        .with_hint(format!(
            "see `zt status`; `zt request {target}` asks for a new one"
        ))),
        several => Err(Error::usage(format!(
            "you hold {} live grants on {target}: {}",
            several.len(),
            several
                .iter()
                .map(|r| format!("{} ({})", r.id, r.role))
                .collect::<Vec<_>>()
                .join(", ")
        ))
        .with_hint("name the grant id")),
    }
}
