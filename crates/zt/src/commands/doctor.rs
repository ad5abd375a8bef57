//! `zt doctor`: check the setup, one line per check, and say what to do about each problem:
//! the profile, the token store in use and why, the keyrings this machine offers, the broker
//! and the identity provider, the files zt writes, the ledger and the reaper.

use serde::Serialize;

use crate::auth::{device, store};
use crate::client::BrokerClient;
use crate::commands::Ctx;
use crate::config::Config;
use crate::error::{Error, Result};
use crate::ledger::Ledger;
use crate::output::human_secs;
use crate::{fsutil, http, paths};
use zt_api::Timestamp;

#[derive(Serialize)]
struct Check {
    name: String,
    ok: bool,
    detail: String,
    /// Whether a ✗ here is a problem (the exit status): a keyring this machine does not offer
    /// is ✗ — it cannot keep tokens — but one working store is enough.
    #[serde(skip)]
    counts: bool,
}

pub(super) async fn run(ctx: &Ctx) -> Result<()> {
    let mut checks: Vec<Check> = Vec::new();

    // A real write of a throwaway entry, deleted again: a read alone passes on a keyring
    // that refuses writes.
    let mut keyrings = Vec::new();
    for (kind, r) in store::probe() {
        let (ok, detail) = match r {
            Ok(()) => (
                true,
                "available (a test entry was written and deleted)".into(),
            ),
            Err(e) => (false, format!("not available: {e}")),
        };
        keyrings.push(Check {
            name: format!("keyring {kind}"),
            ok,
            detail,
            counts: false,
        });
    }
    if !keyrings.is_empty() && keyrings.iter().all(|k| !k.ok) {
        keyrings.push(Check {
            name: "token storage".into(),
            ok: false,
            detail: "no OS keyring can keep tokens here; `zt login --insecure-storage` keeps them in a 0600 file".into(),
            counts: false,
        });
    }
    checks.extend(keyrings);
    let mut add = |name: &str, ok: bool, detail: String| {
        checks.push(Check {
            name: name.into(),
            ok,
            detail,
            counts: true,
        })
    };
    let cfg = Config::load()?;
    match cfg.profiles.get(&ctx.profile) {
        None => add(
            "profile",
            false,
            format!("no profile {:?}: run `zt login --broker URL`", ctx.profile),
        ),
        Some(p) => {
            add(
                "profile",
                true,
                format!("{} → broker {}, issuer {}", ctx.profile, p.broker, p.issuer),
            );
            if let Some(w) = &p.workload {
                add(
                    "token store",
                    true,
                    format!(
                        "none: workload token from {} ({})",
                        w.source,
                        if w.exchange {
                            "exchanged at the IdP"
                        } else {
                            "presented as is"
                        }
                    ),
                );
            } else if p.token_store.is_empty() {
                add("token store", false, "logged out: run `zt login`".into());
            } else {
                let why = if p.token_store == store::FILE_STORE {
                    format!(
                        "a 0600 file ({}), chosen with --insecure-storage because no keyring was available",
                        store::token_file_path(&ctx.profile)?.display()
                    )
                } else {
                    "the OS keyring that answered at login".into()
                };
                add("token store", true, format!("{}: {why}", p.token_store));
                match store::load(&ctx.profile, &p.token_store) {
                    Ok(Some(t)) => add(
                        "tokens",
                        true,
                        format!(
                            "access token {}, refresh token {}",
                            if t.expires_at > Timestamp::now().0 {
                                format!(
                                    "valid for {}",
                                    human_secs(t.expires_at - Timestamp::now().0)
                                )
                            } else {
                                "expired".into()
                            },
                            if t.refresh_token.is_some() {
                                "present"
                            } else {
                                "absent"
                            }
                        ),
                    ),
                    Ok(None) => add("tokens", false, "none stored: run `zt login`".into()),
                    Err(e) => add("tokens", false, e.message),
                }
            }
            let http = http::client()?;
            match BrokerClient::anonymous(&p.broker)?.discovery().await {
                Ok(d) => add(
                    "broker",
                    true,
                    format!("{} answers (version {})", p.broker, d.broker_version),
                ),
                Err(e) => add("broker", false, e.message),
            }
            if !p.issuer.is_empty() {
                match device::discover(&http, &p.issuer).await {
                    Ok(m) => add(
                        "identity provider",
                        true,
                        format!(
                            "{} (device flow: {})",
                            m.issuer,
                            if m.device_authorization_endpoint.is_some() {
                                "yes"
                            } else {
                                "no"
                            }
                        ),
                    ),
                    Err(e) => add("identity provider", p.workload.is_some(), e.message),
                }
            }
            match BrokerClient::for_profile(&ctx.profile).await {
                Ok((c, _)) => match c.me().await {
                    Ok(me) => add(
                        "login",
                        true,
                        format!(
                            "the broker knows you as {}",
                            me.email.as_deref().unwrap_or(&me.sub)
                        ),
                    ),
                    Err(e) => add("login", false, e.message),
                },
                Err(e) => add("login", false, e.message),
            }
        }
    }
    for (what, path) in [
        ("kubeconfig", paths::kubeconfig()?),
        ("AWS config", paths::aws_config()?),
        ("PostgreSQL services", paths::pg_service()?),
        ("pgpass", paths::pgpass()?),
    ] {
        add(what, true, path.display().to_string());
    }
    let runtime = paths::runtime_dir()?;
    add(
        "credential cache",
        true,
        format!(
            "{}{}",
            runtime.display(),
            if crate::env::var(crate::env::XDG_RUNTIME_DIR).is_some() {
                ""
            } else {
                " (no XDG_RUNTIME_DIR: not memory-backed)"
            }
        ),
    );
    match Ledger::read() {
        Ok(l) => add(
            "ledger",
            true,
            format!(
                "{} entr{}{}",
                l.entries.len(),
                if l.entries.len() == 1 { "y" } else { "ies" },
                l.next_expiry()
                    .map(|n| format!(", next expiry in {}", human_secs(n - Timestamp::now().0)))
                    .unwrap_or_default()
            ),
        ),
        Err(e) => add("ledger", false, e.message),
    }
    let reaper = matches!(
        fsutil::Flock::try_exclusive(&paths::state_dir()?.join("reaper.lock")),
        Ok(None)
    );
    add(
        "reaper",
        true,
        if reaper {
            "running".into()
        } else {
            "not running (started by the next grant)".into()
        },
    );

    let p = &ctx.printer;
    let problems = checks.iter().filter(|c| !c.ok && c.counts).count();
    if p.json {
        p.json(&checks);
    } else {
        for c in &checks {
            p.out(format!(
                "{} {:<20} {}",
                if c.ok { "✓" } else { "✗" },
                c.name,
                // Details quote the broker, the IdP and the files: data, never terminal control.
                crate::output::inert(&c.detail, crate::output::NOTE_MAX)
            ));
        }
    }
    if problems > 0 {
        return Err(Error::other(format!(
            "{problems} problem{} found",
            if problems == 1 { "" } else { "s" }
        )));
    }
    Ok(())
}
