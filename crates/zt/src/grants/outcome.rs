//! What happens around a grant's write besides the write: a write that fails after the grant
//! was issued revokes it; older grants a new one replaces are revoked; a live grant already
//! written here answers a repeated request without minting.

use super::{Granted, How, Writer, present, tries};
use crate::client::BrokerClient;
use crate::credcache;
use crate::error::{Error, Result};
use crate::ledger::{Ledger, Target};
use crate::output::{Printer, human_secs};
use crate::reaper;
use zt_api as api;

/// The local write failed after the grant was issued: remove what was written, and revoke the
/// grant at the broker (unless `revoke` is false: it was live before), so no live grant is left
/// that nothing uses (running the command again then does not mint a second one next to it).
/// The error says which happened.
pub(super) async fn abandon(
    client: &BrokerClient,
    req: &api::Request,
    e: Error,
    revoke: bool,
    p: &Printer,
) -> Error {
    let _ = reaper::wipe_where(p, false, |x| x.grant == req.id);
    let _ = credcache::remove(&req.id);
    let what = if !revoke {
        format!(
            "the grant {} stays live (it was granted before this command; `zt revoke {}` ends it)",
            req.id, req.id
        )
    } else {
        match client.revoke(&req.id).await {
            Ok(_) => format!("the grant {} was revoked at the broker", req.id),
            Err(r) => format!(
                "the grant {} could not be revoked at the broker ({}): `zt revoke {}` ends it",
                req.id, r.message, req.id
            ),
        }
    };
    let hint = match e.hint.as_deref() {
        Some(h) => format!("{what}; {h}"),
        None => format!("{what}; run the command again once the cause is fixed"),
    };
    Error {
        hint: Some(hint),
        ..e
    }
}

/// Older grants of the same profile, resource and role whose entries this grant took over and
/// that end no later: nothing on this machine uses them any more, so they are revoked rather
/// than left live at the broker until their end.
pub(super) async fn supersede(client: &BrokerClient, w: &Writer<'_>, p: &Printer) {
    let mut olds: Vec<String> = w
        .replaced
        .borrow()
        .iter()
        .filter(|o| {
            o.grant != w.req.id
                && o.profile == w.profile
                && o.resource == w.req.resource
                && o.role == w.req.role
                && o.expires_at <= w.expires_at
        })
        .map(|o| o.grant.clone())
        .collect();
    olds.sort();
    olds.dedup();
    let Ok(ledger) = Ledger::read() else { return };
    for old in olds {
        if ledger.for_grant(&old).next().is_some() {
            continue;
        }
        if client.revoke(&old).await.is_ok() && !p.json {
            p.note(format!(
                "  revoked the older grant {old} (this one replaces it)"
            ));
        }
    }
}

/// A live grant already written here answers the request: say so, and print what
/// [`materialize`] would have printed. False (write it again) when something of it is no
/// longer on disk, or the flags ask for a different write (`--use`, `--static`).
pub fn already_granted(req: &api::Request, profile: &str, how: How, p: &Printer) -> Result<bool> {
    if how.use_context || how.static_keys {
        return Ok(false);
    }
    let ledger = Ledger::read()?;
    let entries: Vec<&crate::ledger::Entry> = ledger
        .for_grant(&req.id)
        .filter(|e| e.profile == profile && !matches!(e.target, Target::File { .. }))
        .collect();
    let mut disk = present::Disk::default();
    if entries.is_empty() || !entries.iter().all(|e| disk.has(e)) {
        return Ok(false);
    }
    let name = entries
        .iter()
        .find_map(|e| e.target.entry_name())
        .map(String::from);
    let mut out = Granted {
        request: req,
        written: entries.iter().map(|e| e.target.describe()).collect(),
        context: None,
        profile: None,
        service: None,
        ssh_host: None,
        reused: true,
        // The namespace the first answer's "try:" line named, from the cached credential.
        namespace: match credcache::load(&req.id).map(|c| c.credential) {
            Some(api::Credential::Kubernetes { namespace, .. }) => namespace,
            _ => None,
        },
    };
    match req.kind {
        api::ResourceKind::Kubernetes => out.context = name,
        api::ResourceKind::Aws => out.profile = name,
        api::ResourceKind::Postgres => out.service = name,
        api::ResourceKind::Ssh => out.ssh_host = name,
    }
    let end = req
        .expires_at
        .unwrap_or(api::Timestamp(entries[0].expires_at));
    if p.json {
        p.json(&out);
        return Ok(true);
    }
    p.note(format!(
        "✓ Already granted {}/{} until {} ({} left). Grant {}; nothing new was requested.",
        req.resource,
        req.role,
        end,
        human_secs(end.secs_from_now()),
        req.id
    ));
    p.note(format!(
        "  `zt extend {}` gives it more time; `zt revoke {}` ends it",
        req.id, req.id
    ));
    tries(&out, p);
    Ok(true)
}
