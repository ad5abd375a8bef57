//! `zt logout`: revoke the refresh token at the IdP (when it offers revocation), forget every
//! stored secret of the profile, and wipe the credentials its grants left on this machine.

use crate::auth::{self, store};
use crate::commands::Ctx;
use crate::config::Config;
use crate::error::Result;
use crate::{http, reaper};

pub async fn run(ctx: &Ctx) -> Result<()> {
    let p = &ctx.printer;
    let mut cfg = Config::load()?;
    let Some(profile) = cfg.profiles.get(&ctx.profile).cloned() else {
        p.note(format!("Not logged in (profile {}).", ctx.profile));
        return Ok(());
    };
    if let Ok(Some(tokens)) = store::load(&ctx.profile, &profile.token_store)
        && auth::revoke_at_idp(&http::client()?, &profile, &tokens).await
    {
        p.note("Revoked the refresh token at the identity provider.");
    }
    store::delete(&ctx.profile, &profile.token_store)?;
    let wiped = reaper::wipe_where(p, false, |e| e.profile == ctx.profile)?;
    for e in &wiped {
        p.note(format!("Removed {}", e.target.describe()));
    }
    // Keep the broker address so `zt login` goes back to it, but no token store.
    if let Some(prof) = cfg.profiles.get_mut(&ctx.profile) {
        prof.token_store.clear();
    }
    cfg.save()?;
    p.note(format!(
        "Logged out of {} (profile {}).",
        profile.broker, ctx.profile
    ));
    Ok(())
}
