//! Grants whose clock does not start when `zt request` returns (issue 16). A grant approved
//! ahead of its start is noted in the ledger ([`Pending`]) and written at the start by whichever
//! zt gets there first: the background reaper (`zt reap --daemon` wakes at the start) or any
//! zt run after it ([`activate_due`]). A first-use grant's entries are written at once from
//! where it will connect (the broker's `connection_only` answer, no credential) — only for the
//! entries that call zt as a helper (a kubeconfig exec plugin, an AWS `credential_process`
//! profile), so the first tool call starts its TTL; the kinds whose entries hold the
//! credential itself fetch it at once, which starts it then.

use serde::{Deserialize, Serialize};

use super::How;
use crate::client::BrokerClient;
use crate::error::{ErrorKind, Result};
use crate::ledger::Ledger;
use crate::output::Printer;
use zt_api::{self as api, Credential, ResourceKind, Timestamp};

/// A grant approved ahead of its start, to be written at `starts_at`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Pending {
    pub grant: String,
    pub profile: String,
    pub resource: String,
    pub role: String,
    /// Unix seconds: when to write it.
    pub starts_at: i64,
    /// Unix seconds: the grant's end (past it, nothing is written).
    pub expires_at: i64,
    #[serde(default)]
    pub use_context: bool,
    #[serde(default)]
    pub static_keys: bool,
}

/// Note `req` (approved, not started) to be written at its start, once.
pub fn record(req: &api::Request, profile: &str, how: How) -> Result<()> {
    let (Some(nb), Some(end)) = (req.not_before, req.expires_at) else {
        return Ok(());
    };
    let p = Pending {
        grant: req.id.clone(),
        profile: profile.to_string(),
        resource: req.resource.clone(),
        role: req.role.clone(),
        starts_at: nb.0,
        expires_at: end.0,
        use_context: how.use_context,
        static_keys: how.static_keys,
    };
    Ledger::modify(|l| {
        l.scheduled.retain(|s| s.grant != p.grant);
        l.scheduled.push(p);
        Ok(())
    })
}

/// `grant` ended (revoked here): nothing to write at its start.
pub fn forget(grant: &str) {
    let _ = Ledger::modify(|l| {
        l.scheduled.retain(|s| s.grant != grant);
        l.first_use.retain(|g| g != grant);
        Ok(())
    });
}

/// Write the scheduled grants whose start has come. Each is taken off the list under the
/// ledger's lock first, so two zts never both write one; one that cannot be written now for
/// want of the broker goes back on the list for the next try.
pub async fn activate_due(printer: &Printer) {
    let now = Timestamp::now().0;
    if !Ledger::read().is_ok_and(|l| l.scheduled.iter().any(|s| s.starts_at <= now)) {
        return;
    }
    let Ok(due) = Ledger::modify(|l| {
        let (due, later) = l.scheduled.drain(..).partition(|s| s.starts_at <= now);
        l.scheduled = later;
        Ok::<Vec<Pending>, _>(due)
    }) else {
        return;
    };
    for p in due {
        if p.expires_at <= now {
            continue;
        }
        if let Err(e) = activate(&p, printer).await {
            if matches!(e.kind, ErrorKind::Unavailable | ErrorKind::AuthRequired) {
                let _ = Ledger::modify(|l| {
                    l.scheduled.push(p.clone());
                    Ok(())
                });
            }
            printer.warn(&format!(
                "scheduled grant {} ({}/{}) was not written: {}",
                p.grant, p.resource, p.role, e.message
            ));
        }
    }
}

async fn activate(p: &Pending, printer: &Printer) -> Result<()> {
    let (client, _) = BrokerClient::for_profile(&p.profile).await?;
    let req = client.get_request(&p.grant, None).await?;
    if !req.state.is_live() {
        printer.note(format!(
            "Scheduled grant {} ({}/{}) is {}; nothing written.",
            p.grant, req.resource, req.role, req.state
        ));
        return Ok(());
    }
    let how = How {
        use_context: p.use_context,
        static_keys: p.static_keys,
    };
    super::materialize(&client, &req, &p.profile, how, false, printer).await
}

/// Whether `req`'s entries are written without a credential: a first-use grant nobody used
/// yet, of a kind whose entries call zt as a helper.
pub fn waits_for_first_use(req: &api::Request, how: How) -> bool {
    req.is_unclaimed()
        && match req.kind {
            ResourceKind::Kubernetes => true,
            ResourceKind::Aws => !how.static_keys,
            _ => false,
        }
}

/// A credential with its secret parts empty: the broker's `connection_only` answer.
pub fn is_placeholder(c: &Credential) -> bool {
    match c {
        Credential::Kubernetes { token, .. } => token.is_empty(),
        Credential::Aws { access_key_id, .. } => access_key_id.is_empty(),
        _ => false,
    }
}

/// `grant`'s entries were written before its first use: they end at its claim deadline until
/// a credential helper's first fetch starts its TTL ([`fetched`]).
pub fn note_first_use(grant: &str) -> Result<()> {
    Ledger::modify(|l| {
        // Those whose entries are gone (lapsed, revoked, wiped) are forgotten here.
        let written: Vec<String> = l.entries.iter().map(|e| e.grant.clone()).collect();
        l.first_use.retain(|g| written.contains(g));
        if !l.first_use.iter().any(|g| g == grant) {
            l.first_use.push(grant.to_string());
        }
        Ok(())
    })
}

/// A credential helper just fetched `grant`'s credential. The first fetch of a first-use
/// grant started its TTL: its entries now end when the grant does (earlier or later than its
/// claim deadline), as the broker says. One broker call, once per such grant.
pub async fn fetched(client: &BrokerClient, grant: &str) {
    if !Ledger::read().is_ok_and(|l| l.first_use.iter().any(|g| g == grant)) {
        return;
    }
    let Ok(req) = client.get_request(grant, None).await else {
        return;
    };
    if req.is_unclaimed() {
        return;
    }
    let end = req.expires_at.map(|t| t.0);
    let _ = Ledger::modify(|l| {
        l.first_use.retain(|g| g != grant);
        if let Some(end) = end {
            for e in l.entries.iter_mut().filter(|e| e.grant == grant) {
                e.expires_at = end;
            }
        }
        Ok(())
    });
}

/// What `zt request` says of a first-use grant whose entries it wrote: when it lapses unused.
pub fn first_use_note(req: &api::Request, claim_by: Timestamp) -> String {
    format!(
        "✓ Approved {}/{}: its {} start at its first use, by {} ({}), else it lapses. Grant {}.",
        crate::output::field(&req.resource),
        crate::output::field(&req.role),
        crate::output::human_ttl(req.ttl_secs),
        crate::tombstone::clock(claim_by.0, Timestamp::now().0),
        crate::output::human_secs(claim_by.secs_from_now()),
        crate::output::field(&req.id)
    )
}
