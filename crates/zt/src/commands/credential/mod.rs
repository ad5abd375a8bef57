//! `zt credential kube|aws GRANT`: the kubectl exec credential plugin and the AWS
//! `credential_process`. The warm path ([`fast`], before the command line is even parsed by
//! clap) reads one 0600 cache file and prints — no keyring, no network, no runtime work — so
//! kubectl's calls cost milliseconds. It never prompts and never opens a browser: a grant that
//! is over exits with its own code and one line naming the `zt request` that would restore
//! access ([`ended`]); a grant about to end gets a warning line on stderr.

mod ended;
pub(crate) mod fast;

use serde_json::json;

use crate::cli::CredentialArgs;
use crate::client::BrokerClient;
use crate::commands::Ctx;
use crate::credcache::{self, Cached};
use crate::error::{Error, ErrorKind, Result};
use crate::ledger::Ledger;
use crate::reaper;
use crate::tombstone::Why;
use zt_api::{Credential, Timestamp};

/// Ask the broker again when the cached credential has less than this left.
const REFRESH_MARGIN_SECS: i64 = 10;

/// The cached credential while it has more than the margin left, else a fresh one.
pub(crate) async fn live(grant: &str, ctx: &Ctx) -> Result<Cached> {
    if !zt_api::valid_name(grant) {
        return Err(Error::usage(format!("{grant:?} is not a grant id"))
            .with_hint("see `zt status` for your grants"));
    }
    let usable = |c: Option<Cached>| {
        c.filter(|c| c.credential.expires_at().secs_from_now() > REFRESH_MARGIN_SECS)
    };
    if let Some(c) = usable(credcache::load(grant)) {
        return Ok(c);
    }
    // kubectl and the SDKs start several helpers at once: one asks the broker, the others wait
    // for it and then find its answer in the cache.
    let _one_at_a_time = credcache::fetch_lock(grant)?;
    if let Some(c) = usable(credcache::load(grant)) {
        return Ok(c);
    }
    fetch(grant, ctx).await
}

pub(crate) async fn kube(args: CredentialArgs, ctx: &Ctx) -> Result<()> {
    let cached = live(&args.grant, ctx).await?;
    let out = kube_json(&cached).ok_or_else(|| {
        Error::usage(format!(
            "grant {} is not for a Kubernetes resource",
            args.grant
        ))
    })?;
    ended::warn_if_ending(&args.grant, &cached);
    ctx.printer.out(out);
    Ok(())
}

/// AWS `credential_process` output: Version 1 with `Expiration`, so the SDKs and the CLI call
/// again before it runs out (the CLI re-invokes when 15 minutes or less remain).
pub(crate) async fn aws(args: CredentialArgs, ctx: &Ctx) -> Result<()> {
    let cached = live(&args.grant, ctx).await?;
    let out = aws_json(&cached)
        .ok_or_else(|| Error::usage(format!("grant {} is not for an AWS resource", args.grant)))?;
    ended::warn_if_ending(&args.grant, &cached);
    ctx.printer.out(out);
    Ok(())
}

/// The ExecCredential kubectl reads, in the API version it asked for (`KUBERNETES_EXEC_INFO`),
/// v1 by default; `None` for a credential that is not a Kubernetes one.
fn kube_json(cached: &Cached) -> Option<String> {
    let Credential::Kubernetes {
        token, expires_at, ..
    } = &cached.credential
    else {
        return None;
    };
    let api_version = std::env::var("KUBERNETES_EXEC_INFO")
        .ok()
        .and_then(|s| serde_json::from_str::<serde_json::Value>(&s).ok())
        .and_then(|v| v["apiVersion"].as_str().map(String::from))
        .unwrap_or_else(|| "client.authentication.k8s.io/v1".into());
    let out = json!({
        "apiVersion": api_version,
        "kind": "ExecCredential",
        "status": { "token": token, "expirationTimestamp": expires_at.to_rfc3339() },
    });
    Some(out.to_string())
}

/// `credential_process`'s JSON; `None` for a credential that is not an AWS one.
fn aws_json(cached: &Cached) -> Option<String> {
    let Credential::Aws {
        access_key_id,
        secret_access_key,
        session_token,
        expires_at,
        ..
    } = &cached.credential
    else {
        return None;
    };
    let out = json!({
        "Version": 1,
        "AccessKeyId": access_key_id,
        "SecretAccessKey": secret_access_key,
        "SessionToken": session_token,
        "Expiration": expires_at.to_rfc3339(),
    });
    Some(out.to_string())
}

/// The cold path: one broker call. A grant that is over says so (from its tombstone, or its
/// entries in their grace period) and its entries end here too.
async fn fetch(grant: &str, ctx: &Ctx) -> Result<Cached> {
    if let Some(e) = ended::explain(grant) {
        return Err(e);
    }
    let ledger = Ledger::read().unwrap_or_default();
    let entry = ledger.for_grant(grant).next().cloned();
    let profile = entry
        .as_ref()
        .map(|e| e.profile.clone())
        .unwrap_or_else(|| ctx.profile.clone());
    let resource = entry.as_ref().map(|e| e.resource.clone());
    // The grant is over: end its entries here (as the sweep does) and say why.
    let end = |why: Why, at: i64, fallback: String| {
        let _ = reaper::end_where(&ctx.printer, false, true, |x| {
            (x.grant == grant).then_some((why, at))
        });
        ended::explain(grant).unwrap_or_else(|| {
            let again = resource
                .as_deref()
                .map(|r| format!("run `zt request {r}` for new access"))
                .unwrap_or_else(|| "run `zt request RESOURCE` for new access".into());
            Error::new(ErrorKind::GrantEnded, fallback).with_hint(again)
        })
    };
    if let Some(e) = &entry
        && e.expires_at <= Timestamp::now().0
    {
        let why = format!("zt grant {grant} for {} has expired", e.resource);
        return Err(end(Why::Expired, e.expires_at, why));
    }
    let (client, _) = BrokerClient::for_profile(&profile).await?;
    match client.credentials(grant).await {
        Ok(credential) => {
            // A first-use grant's first fetch started its TTL: its entries end with it now.
            crate::grants::scheduled::fetched(&client, grant).await;
            let cached = Cached {
                profile,
                resource: resource.unwrap_or_default(),
                credential,
            };
            credcache::store(grant, &cached)?;
            Ok(cached)
        }
        Err(e) if e.kind == ErrorKind::GrantEnded => {
            let why = format!("zt grant {grant} is over: {}", e.message);
            // Before its time: someone else revoked it (an admin, another machine).
            Err(end(Why::RevokedBySomeoneElse, Timestamp::now().0, why))
        }
        Err(e) => Err(e),
    }
}
