//! `zt credential kube|aws GRANT`: the kubectl exec credential plugin and the AWS
//! `credential_process`. The warm path reads one
//! 0600 cache file and prints — no keyring, no network, no runtime work — so kubectl's calls
//! cost milliseconds. It never prompts and never opens a browser: a grant that is over exits
//! with its own code and a one-line hint naming the `zt request` that would restore access.

use serde_json::json;

use crate::cli::CredentialArgs;
use crate::client::BrokerClient;
use crate::commands::Ctx;
use crate::credcache::{self, Cached};
use crate::error::{Error, ErrorKind, Result};
use crate::ledger::Ledger;
use crate::reaper;
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
    let Credential::Kubernetes {
        token, expires_at, ..
    } = &cached.credential
    else {
        return Err(Error::usage(format!(
            "grant {} is not for a Kubernetes resource",
            args.grant
        )));
    };
    // Answer in the API version kubectl asked for (KUBERNETES_EXEC_INFO), v1 by default.
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
    ctx.printer.out(out.to_string());
    Ok(())
}

/// AWS `credential_process` output: Version 1 with `Expiration`, so the SDKs and the CLI call
/// again before it runs out (the CLI re-invokes when 15 minutes or less remain).
pub(crate) async fn aws(args: CredentialArgs, ctx: &Ctx) -> Result<()> {
    let cached = live(&args.grant, ctx).await?;
    let Credential::Aws {
        access_key_id,
        secret_access_key,
        session_token,
        expires_at,
        ..
    } = &cached.credential
    else {
        return Err(Error::usage(format!(
            "grant {} is not for an AWS resource",
            args.grant
        )));
    };
    let out = json!({
        "Version": 1,
        "AccessKeyId": access_key_id,
        "SecretAccessKey": secret_access_key,
        "SessionToken": session_token,
        "Expiration": expires_at.to_rfc3339(),
    });
    ctx.printer.out(out.to_string());
    Ok(())
}

/// The cold path: one broker call. A grant that is over is wiped here too.
async fn fetch(grant: &str, ctx: &Ctx) -> Result<Cached> {
    let ledger = Ledger::read().unwrap_or_default();
    // An entry the sweep just removed tells us the grant is over without asking anyone.
    let entry = ledger
        .for_grant(grant)
        .next()
        .or_else(|| ctx.swept.iter().find(|e| e.grant == grant))
        .cloned();
    let profile = entry
        .as_ref()
        .map(|e| e.profile.clone())
        .unwrap_or_else(|| ctx.profile.clone());
    let resource = entry.as_ref().map(|e| e.resource.clone());
    let ended = |why: String| {
        let again = resource
            .as_deref()
            .map(|r| format!("run `zt request {r}` for new access"))
            .unwrap_or_else(|| "run `zt request RESOURCE` for new access".into());
        Error::new(ErrorKind::GrantEnded, why).with_hint(again)
    };
    if let Some(e) = &entry
        && e.expires_at <= Timestamp::now().0
    {
        let _ = reaper::wipe_where(&ctx.printer, false, |x| x.grant == grant);
        return Err(ended(format!(
            "zt grant {grant} for {} has expired",
            e.resource
        )));
    }
    let (client, _) = BrokerClient::for_profile(&profile).await?;
    match client.credentials(grant).await {
        Ok(credential) => {
            let cached = Cached {
                profile,
                resource: resource.unwrap_or_default(),
                credential,
            };
            credcache::store(grant, &cached)?;
            Ok(cached)
        }
        Err(e) if e.kind == ErrorKind::GrantEnded => {
            let _ = reaper::wipe_where(&ctx.printer, false, |x| x.grant == grant);
            Err(ended(format!("zt grant {grant} is over: {}", e.message)))
        }
        Err(e) => Err(e),
    }
}
