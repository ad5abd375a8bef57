//! `zt logout`: end what the profile's login opened — its live grants at the broker (unless
//! `--keep-grants`), the refresh token at the IdP (when it offers revocation), every stored
//! secret of the profile, the credentials its grants left on this machine (the files zt wrote
//! and the runtime cache of minted credentials). Logging out twice is not an error.

use crate::auth::{self, store};
use crate::cli::LogoutArgs;
use crate::client::BrokerClient;
use crate::commands::Ctx;
use crate::config::{Config, Profile};
use crate::error::Result;
use crate::output::Printer;
use crate::{credcache, http, reaper};

pub(super) async fn run(args: LogoutArgs, ctx: &Ctx) -> Result<()> {
    let p = &ctx.printer;
    let mut cfg = Config::load()?;
    let profile = cfg.profiles.get(&ctx.profile).cloned();
    let logged_in = profile
        .as_ref()
        .is_some_and(|prof| !prof.token_store.is_empty() || prof.workload.is_some());
    let mut did = false;
    let mut revoked = Vec::new();

    // The grants first: revoking them needs the login that is about to go.
    if logged_in && !args.keep_grants {
        let (any, ids) = revoke_grants(p, &ctx.profile).await;
        did |= any;
        revoked = ids;
    }
    if let Some(prof) = profile.as_ref().filter(|_| logged_in) {
        if let Ok(Some(tokens)) = store::load(&ctx.profile, &prof.token_store)
            && auth::revoke_at_idp(&http::client()?, prof, &tokens).await
        {
            p.note("Revoked the refresh token at the identity provider.");
        }
        if !prof.token_store.is_empty() {
            store::delete(&ctx.profile, &prof.token_store)?;
        }
    }
    // What this machine holds, whether or not the login still worked.
    let wiped = reaper::wipe_where(p, false, |e| e.profile == ctx.profile)?;
    // The grants logout revoked ended now; a helper still asked for one says so (tombstone.rs).
    let ended: Vec<_> = wiped
        .iter()
        .filter(|e| revoked.contains(&e.grant))
        .cloned()
        .collect();
    crate::tombstone::revoked(&ended);
    for e in &wiped {
        p.note(format!("Removed {}", e.target.describe()));
    }
    let cached = credcache::remove_profile(&ctx.profile)?;
    if !cached.is_empty() {
        p.note(format!(
            "Removed the cached credential{} of grant{} {}.",
            plural(cached.len()),
            plural(cached.len()),
            cached.join(", ")
        ));
    }
    did |= !wiped.is_empty() || !cached.is_empty();
    if p.json {
        // What the notes on stderr say, for scripts (`--json` prints on stdout for every command).
        p.json(&serde_json::json!({
            "profile": ctx.profile,
            "logged_out": logged_in,
            "revoked": revoked,
            "removed": wiped.iter().map(|e| e.target.describe()).collect::<Vec<_>>(),
            "cached_credentials_removed": cached,
        }));
    }

    match profile {
        Some(prof) if logged_in => {
            forget_login(&mut cfg, &ctx.profile)?;
            p.note(format!(
                "Logged out of {} (profile {}).",
                prof.broker, ctx.profile
            ));
        }
        _ if did => p.note(format!(
            "Not logged in (profile {}); removed what it left on this machine.",
            ctx.profile
        )),
        _ => p.note(format!(
            "Nothing to do: not logged in (profile {}).",
            ctx.profile
        )),
    }
    Ok(())
}

/// Revoke the caller's live grants at the broker, saying so; a broker that cannot be asked
/// is a warning (the grants then end at their TTL), not a reason to keep the login.
/// Whether there were any, and the ids revoked.
async fn revoke_grants(p: &Printer, profile: &str) -> (bool, Vec<String>) {
    let listed = async {
        let (client, _) = BrokerClient::for_profile(profile).await?;
        let live = client
            .list_requests("requester=me&state=approved,active")
            .await?;
        Ok::<_, crate::error::Error>((client, live.requests))
    }
    .await;
    let (client, live) = match listed {
        Ok(x) => x,
        Err(e) => {
            p.warn(&format!(
                "could not revoke your grants at the broker ({}); they stay live until their TTL",
                e.message
            ));
            return (false, vec![]);
        }
    };
    if live.is_empty() {
        return (false, vec![]);
    }
    p.note(format!(
        "Revoking your {} live grant{} at the broker (`zt logout --keep-grants` keeps them).",
        live.len(),
        plural(live.len())
    ));
    let mut revoked = Vec::new();
    for r in &live {
        match client.revoke(&r.id).await {
            Ok(_) => {
                p.note(format!("Revoked {} ({}/{}).", r.id, r.resource, r.role));
                revoked.push(r.id.clone());
            }
            Err(e) => p.warn(&format!("could not revoke {}: {}", r.id, e.message)),
        }
    }
    (true, revoked)
}

/// Keep the broker address so `zt login` goes back to it, but no token store.
fn forget_login(cfg: &mut Config, name: &str) -> Result<()> {
    if let Some(prof) = cfg.profiles.get_mut(name) {
        clear(prof);
    }
    cfg.save()
}

fn clear(prof: &mut Profile) {
    prof.token_store.clear();
    // A workload login stores nothing but where its token comes from: forgetting that is
    // what logging it out means.
    prof.workload = None;
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}
