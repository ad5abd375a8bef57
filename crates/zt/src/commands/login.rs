//! `zt login`: find the broker's identity provider (`/.well-known/zt`), run the device flow,
//! keep the tokens in the OS keyring, and remember the profile.

use serde::Deserialize;

use crate::auth::{self, device, store, workload};
use crate::cli::LoginArgs;
use crate::client::BrokerClient;
use crate::commands::Ctx;
use crate::config::Workload;
use crate::config::{Config, Profile};
use crate::error::{Error, ErrorKind, Result};
use crate::{http, paths};

pub(super) async fn run(args: LoginArgs, ctx: &Ctx) -> Result<()> {
    let p = &ctx.printer;
    let mut cfg = Config::load()?;
    let existing = cfg.profiles.get(&ctx.profile).cloned();
    let broker = match (&args.broker, &existing) {
        (Some(b), _) => b.trim_end_matches('/').to_string(),
        (None, Some(prof)) => prof.broker.clone(),
        (None, None) => local_dev_broker(p).ok_or_else(|| {
            Error::usage("no broker to log in to").with_hint(
                "pass --broker URL (or set ZT_BROKER); for a local try-out start one with `zt-broker dev --detach`",
            )
        })?,
    };

    // Logged in means the broker accepts the login — with the stored access token or one the
    // refresh token still gets. Anything less (refresh refused, a broker that no longer
    // trusts the token) is not a login: say why and log in again.
    if let Some(prof) = existing
        .as_ref()
        .filter(|prof| prof.broker == broker && !args.force)
        && (!prof.token_store.is_empty() || prof.workload.is_some())
    {
        match still_logged_in(&ctx.profile).await {
            Ok(me) => {
                p.note(format!(
                    "Already logged in to {broker} (profile {}) as {}. Use --force to log in again.",
                    ctx.profile,
                    me.email.as_deref().unwrap_or(&me.sub)
                ));
                return Ok(());
            }
            Err(e) if e.kind == ErrorKind::AuthRequired => {
                p.note(format!(
                    "Your stored login no longer works ({}); logging in again.",
                    e.message
                ));
            }
            // A broker or IdP that does not answer says nothing about the login.
            Err(e) => return Err(e),
        }
    }

    let mut disco = BrokerClient::anonymous(&broker)?.discovery().await?;
    // Flags win over what the broker advertises, for IdPs that need it.
    if let Some(i) = &args.issuer {
        disco.issuer = i.trim_end_matches('/').to_string();
    }
    if let Some(c) = &args.client_id {
        disco.client_id = c.clone();
    }
    if !args.scopes.is_empty() {
        disco.scopes = args.scopes.clone();
    }
    if let Some(a) = &args.audience {
        disco.audience = a.clone();
    }
    let http = http::client()?;
    if let Some(source) = workload::source_of(
        args.oidc_token_file.as_deref(),
        args.oidc_token_env.as_deref(),
    ) {
        return workload_login(ctx, cfg, broker, disco, &http, source).await;
    }
    let meta = device::discover(&http, &disco.issuer).await?;
    // Where the tokens will go is settled before the person confirms anything: a login that
    // cannot be kept must not make them walk through the browser first.
    let (token_store, failures) = store::choose(args.insecure_storage)?;
    p.note(format!("Logging in to {broker} through {}", disco.issuer));
    let login = device::DeviceLogin {
        http: &http,
        meta: &meta,
        client_id: &disco.client_id,
        scopes: &disco.scopes,
        audience: &disco.audience,
        login_hint: args.login_hint.as_deref(),
        open_browser: !args.no_browser,
        poll_override: device::poll_override(),
        acr_values: None,
        max_age: None,
    };
    let tokens = store::Tokens::issued(login.run(p).await?);
    let profile = Profile {
        broker: broker.clone(),
        issuer: disco.issuer,
        client_id: disco.client_id,
        audience: disco.audience,
        scopes: disco.scopes,
        token_endpoint: meta.token_endpoint,
        revocation_endpoint: meta.revocation_endpoint,
        token_store: token_store.clone(),
        workload: None,
    };

    // From here on tokens exist at the IdP: whatever fails revokes the refresh token, so no
    // login is left live that nobody holds.
    let kept = keep_login(ctx, &mut cfg, &profile, &tokens, existing.as_ref()).await;
    let me = match kept {
        Ok(me) => me,
        Err(e) => {
            if auth::revoke_at_idp(&http, &profile, &tokens).await {
                p.note("Revoked the tokens just issued at the identity provider.");
            }
            return Err(e);
        }
    };
    if token_store == store::FILE_STORE {
        p.warn(&format!(
            "no OS keyring available ({}); your tokens are in a plain file readable only by you: {}",
            failures.join("; "),
            paths::config_dir()?.join("tokens").display()
        ));
    }
    if p.json {
        p.json(&serde_json::json!({"broker": broker, "profile": ctx.profile, "token_store": token_store, "me": me}));
    } else {
        p.note(format!(
            "✓ Logged in to {broker} as {} (tokens in {token_store}).",
            me.email.as_deref().unwrap_or(&me.sub)
        ));
    }
    Ok(())
}

/// The broker's view of the stored login (refreshing it when needed), or why there is none.
async fn still_logged_in(profile: &str) -> Result<zt_api::Me> {
    let (client, _) = BrokerClient::for_profile(profile).await?;
    client.me().await
}

/// Ask the broker about the new tokens, then store them and the profile. A login the broker
/// refuses is not stored (exit 4 with its reason). The previous login's secrets go only once
/// the new ones are stored, so a failure keeps the previous login working.
async fn keep_login(
    ctx: &Ctx,
    cfg: &mut Config,
    profile: &Profile,
    tokens: &store::Tokens,
    existing: Option<&Profile>,
) -> Result<zt_api::Me> {
    let me = BrokerClient::with_token(&profile.broker, &tokens.access_token)?
        .me()
        .await
        .map_err(|e| match e.kind {
            ErrorKind::AuthRequired | ErrorKind::Forbidden => Error::new(
                ErrorKind::AuthRequired,
                format!(
                    "the broker refused the login the identity provider just issued: {}",
                    e.message
                ),
            )
            .with_hint(
                "nothing was stored; check that the broker trusts this identity provider and audience (`zt login --audience`), or tell the broker's operators",
            ),
            _ => e,
        })?;
    store::save_new(&ctx.profile, &profile.token_store, tokens)?;
    if let Some(prev) = existing
        && !prev.token_store.is_empty()
        && prev.token_store != profile.token_store
    {
        let _ = store::delete(&ctx.profile, &prev.token_store);
    }
    cfg.profiles.insert(ctx.profile.clone(), profile.clone());
    if let Err(e) = cfg.save() {
        let _ = store::delete(&ctx.profile, &profile.token_store);
        return Err(e);
    }
    Ok(me)
}

/// `--oidc-token-file/--oidc-token-env`: no prompt, no stored secret. Exchange at the IdP
/// when it offers RFC 8693, else present the platform token to the broker as is (the broker
/// then has to trust the platform's issuer).
async fn workload_login(
    ctx: &Ctx,
    mut cfg: Config,
    broker: String,
    disco: zt_api::Discovery,
    http: &reqwest::Client,
    source: String,
) -> Result<()> {
    workload::read(&source)?;
    // The IdP is consulted only to learn whether it can exchange tokens; a broker that trusts
    // the platform's issuer directly needs no IdP at all.
    let meta = device::discover(http, &disco.issuer).await.ok();
    let exchange = meta.as_ref().is_some_and(|m| {
        m.grant_types_supported
            .iter()
            .any(|g| g == device::TOKEN_EXCHANGE)
    });
    let profile = Profile {
        broker: broker.clone(),
        issuer: disco.issuer.clone(),
        client_id: disco.client_id.clone(),
        audience: disco.audience.clone(),
        scopes: disco.scopes.clone(),
        token_endpoint: meta
            .as_ref()
            .map(|m| m.token_endpoint.clone())
            .unwrap_or_default(),
        revocation_endpoint: None,
        token_store: String::new(),
        workload: Some(Workload {
            source: source.clone(),
            exchange,
        }),
    };
    cfg.profiles.insert(ctx.profile.clone(), profile);
    cfg.save()?;
    let (client, _) = BrokerClient::for_profile(&ctx.profile).await?;
    let me = client.me().await?;
    let p = &ctx.printer;
    let mode = if exchange {
        "exchanged at the IdP (RFC 8693)"
    } else {
        "presented to the broker as is"
    };
    if p.json {
        p.json(&serde_json::json!({"broker": broker, "profile": ctx.profile, "workload": {"source": source, "exchange": exchange}, "me": me}));
    } else {
        p.note(format!(
            "✓ Logged in to {broker} as workload {} (token from {source}, {mode}; nothing stored).",
            me.sub
        ));
    }
    Ok(())
}

#[derive(Deserialize)]
struct DevBrokerFile {
    url: String,
}

/// The URL of a `zt-broker dev` running on this machine, if any: it writes
/// `dev-broker.json` in the state dir.
fn local_dev_broker(p: &crate::output::Printer) -> Option<String> {
    let path = paths::state_dir().ok()?.join("dev-broker.json");
    let f: DevBrokerFile = serde_json::from_slice(&std::fs::read(path).ok()?).ok()?;
    p.note(format!(
        "Using the local development broker at {} (zt-broker dev).",
        f.url
    ));
    Some(f.url)
}
