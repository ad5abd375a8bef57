//! Keeping the running policy set in step with its directory: `zt-broker serve` (and `dev
//! --policies`) reload on `SIGHUP` and when a `*.cedar` file there is added, removed or
//! changed (its size or modification time; the directory is looked at every
//! [`POLL`], which needs no inotify and works on every filesystem a config can live on).
//!
//! A reload is whole or nothing ([`ReloadablePolicy::reload`]): a broken file leaves the
//! running set in force. Either way it is audited (`policy.reload` with how many policies are in
//! force, `policy.reload.failed` with every problem at its place) and said on stderr, where the
//! operator who just sent SIGHUP looks.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use tokio::task::JoinHandle;

use super::ReloadablePolicy;
use crate::store::{AuditEntry, BROKER_ACTOR, Store};

/// How often the directory is looked at.
pub const POLL: Duration = Duration::from_secs(2);

/// What a reload looks at: each policy file's name, size and modification time.
type Fingerprint = Vec<(PathBuf, u64, Option<SystemTime>)>;

fn fingerprint(dir: &Path) -> Fingerprint {
    let mut out: Fingerprint = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "cedar"))
        .map(|p| {
            let meta = std::fs::metadata(&p).ok();
            let len = meta.as_ref().map_or(0, |m| m.len());
            let modified = meta.and_then(|m| m.modified().ok());
            (p, len, modified)
        })
        .collect();
    out.sort();
    out
}

/// Reload `policy` from `dir` once, audited; what was said on stderr is returned for tests.
pub async fn reload(store: &Store, policy: &ReloadablePolicy, dir: &Path, why: &str) -> String {
    let shown = dir.display();
    let (line, audit) = match policy.reload(dir) {
        Ok(n) => (
            format!("zt-broker: policies reloaded ({why}): {n} from {shown}"),
            AuditEntry::new(BROKER_ACTOR, "policy.reload", None)
                .detail(format!("{n} policies from {shown} ({why})")),
        ),
        Err(e) => (
            format!("zt-broker: policy reload ({why}) refused, the previous set stays:\n{e}"),
            AuditEntry::new(BROKER_ACTOR, "policy.reload.failed", None)
                .detail(format!("{shown} ({why}); the previous set stays:\n{e}")),
        ),
    };
    match audit.action.ends_with(".failed") {
        true => tracing::error!("{line}"),
        false => tracing::info!("{line}"),
    }
    if let Err(e) = store.append_audit(audit).await {
        tracing::error!("audit append failed: {e}");
    }
    line
}

/// Watch `dir` until `closing` turns true (the broker's shutdown): reload on SIGHUP and when its
/// policy files change, auditing each reload in `store`.
pub fn spawn(
    store: Store,
    mut closing: tokio::sync::watch::Receiver<bool>,
    policy: ReloadablePolicy,
    dir: PathBuf,
    every: Duration,
) -> std::io::Result<JoinHandle<()>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut hup = signal(SignalKind::hangup())?;
    Ok(tokio::spawn(async move {
        let mut seen = fingerprint(&dir);
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            if *closing.borrow_and_update() {
                return;
            }
            let why = tokio::select! {
                _ = closing.changed() => return,
                Some(()) = hup.recv() => "SIGHUP",
                _ = tick.tick() => {
                    let now = fingerprint(&dir);
                    if now == seen {
                        continue;
                    }
                    "a policy file changed"
                }
            };
            // What this reload read; a later edit is a later change.
            seen = fingerprint(&dir);
            reload(&store, &policy, &dir, why).await;
        }
    }))
}
