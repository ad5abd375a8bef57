//! `zt reap`: remove what expired grants left on disk now (`--dry-run`: only list it);
//! `--daemon` is the background reaper zt starts by itself.

use crate::cli::ReapArgs;
use crate::commands::Ctx;
use crate::error::Result;
use crate::reaper;

pub(super) async fn run(args: ReapArgs, ctx: &Ctx) -> Result<()> {
    let p = &ctx.printer;
    if args.daemon {
        return reaper::daemon(p).await;
    }
    if !args.dry_run {
        crate::credcache::remove_expired(zt_api::Timestamp::now());
    }
    // Asked for by name, the reap keeps nothing for a grace period: what ended grants kept to
    // explain their end goes too.
    let mut gone = reaper::sweep(p, args.dry_run, false)?.wiped;
    gone.extend(reaper::wipe_ended(p, args.dry_run)?);
    let orphans = reaper::sweep_orphans(p, args.dry_run)?;
    // Grants revoked elsewhere, or that the broker no longer knows (restarted, restored): their
    // entries are useless and would otherwise stay until their recorded end.
    let early = reaper::sweep_gone(p, args.dry_run, None, false).await?;
    if p.json {
        let ended: Vec<serde_json::Value> = early
            .iter()
            .map(|(e, why)| serde_json::json!({ "entry": e, "why": why }))
            .collect();
        p.json(&serde_json::json!({ "removed": gone, "orphans": orphans, "ended": ended }));
        return Ok(());
    }
    let verb = if args.dry_run {
        "would remove"
    } else {
        "removed"
    };
    if gone.is_empty() && orphans.is_empty() && early.is_empty() {
        p.note("Nothing has expired.");
    }
    for name in &orphans {
        p.out(format!(
            "{verb} expired kubeconfig entry {name} (in no ledger: brought back by another writer)"
        ));
    }
    for e in gone {
        p.out(format!(
            "{verb} {} (grant {}, {})",
            e.target.describe(),
            e.grant,
            e.resource
        ));
    }
    for (e, why) in early {
        p.out(format!(
            "{verb} {} (grant {}, {}: {})",
            e.target.describe(),
            e.grant,
            e.resource,
            why.describe()
        ));
    }
    Ok(())
}
