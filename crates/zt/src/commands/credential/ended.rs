//! What the helpers say about a grant's end, on stderr, in one line a person reading kubectl's
//! or the AWS CLI's error understands: that it ended, when, why, and the command that restores
//! access — or, shortly before the end, how long is left and the command that extends it.

use std::io::Write;
use std::os::fd::AsRawFd;
use std::time::{Duration, SystemTime};

use crate::credcache::{self, Cached};
use crate::error::{Error, ErrorKind};
use crate::ledger::Ledger;
use crate::output::human_secs;
use crate::settings;
use crate::tombstone::{self, Tombstone};
use zt_api::Timestamp;

/// The error for a grant that has ended, from its tombstone or its entries in their grace
/// period; `None` when zt knows nothing of its end.
pub(super) fn explain(grant: &str) -> Option<Error> {
    let t = tombstone::find(grant).or_else(|| {
        let ledger = Ledger::read().ok()?;
        let mut ended: Vec<_> = ledger.ended_of(grant).collect();
        // An entry that knows the role (a grant's own kubeconfig does not) says more.
        ended.sort_by_key(|e| e.entry.role.is_empty());
        let e = ended.first()?;
        Some(Tombstone::of(&e.entry, e.ended_at, e.why))
    })?;
    Some(Error::new(ErrorKind::GrantEnded, line(&t)))
}

/// `prod-k8s/admin ended at 14:02 (expired) — run: zt request prod-k8s --role admin`.
fn line(t: &Tombstone) -> String {
    let what = match t.role.as_str() {
        "" => t.resource.clone(),
        role => format!("{}/{role}", t.resource),
    };
    let role = match t.role.as_str() {
        "" => String::new(),
        role => format!(" --role {role}"),
    };
    format!(
        "{what} ended at {} ({}) — run: zt request {}{role}{}",
        tombstone::clock(t.ended_at, Timestamp::now().0),
        t.why.describe(),
        t.resource,
        profile_flag(&t.profile),
    )
}

fn profile_flag(profile: &str) -> String {
    match profile {
        "default" | "" => String::new(),
        p => format!(" --profile {p}"),
    }
}

/// At most one warning per grant in this long.
const WARN_EVERY: Duration = Duration::from_secs(60);

/// When the grant behind `cached` has less than the warning time left, say so on stderr —
/// once per grant per minute, whichever helper process runs (a marker file's mtime, under
/// `flock`, in the runtime dir; it goes with the grant's cached credential). Never stdout.
pub(crate) fn warn_if_ending(grant: &str, cached: &Cached) {
    let before = settings::warn_before_secs();
    let now = Timestamp::now().0;
    // A credential never outlives its grant: only near the credential's end can the grant
    // be near its own, and only then is the ledger read (an extended grant ends later).
    if before <= 0 || cached.credential.expires_at().0.saturating_sub(now) >= before {
        return;
    }
    let ledger = Ledger::read().unwrap_or_default();
    let mine = ledger.for_grant(grant);
    let (end, role) = mine
        .map(|e| (e.expires_at, e.role.clone()))
        .max_by_key(|(end, role)| (*end, !role.is_empty()))
        .unwrap_or((cached.credential.expires_at().0, String::new()));
    let left = end.saturating_sub(now);
    if left <= 0 || left >= before || !first_this_minute(grant) {
        return;
    }
    // Names zt wrote itself; a hand-edited cache with anything else gets no line.
    if !zt_api::valid_name(&cached.resource) || !(role.is_empty() || zt_api::valid_name(&role)) {
        return;
    }
    let what = match role.as_str() {
        "" => cached.resource.clone(),
        r => format!("{}/{r}", cached.resource),
    };
    let prof = match zt_api::valid_name(&cached.profile) {
        true => profile_flag(&cached.profile),
        false => String::new(),
    };
    let _ = writeln!(
        std::io::stderr().lock(),
        "zt: {what} ends in {} — zt extend {} --ttl 30m{prof}",
        human_secs(left),
        cached.resource,
    );
}

/// Whether no helper warned about `grant` in the last minute; if so, this one does (the
/// marker's mtime moves to now).
fn first_this_minute(grant: &str) -> bool {
    let Ok(path) = credcache::warned_path(grant) else {
        return false;
    };
    use std::os::unix::fs::OpenOptionsExt;
    let Ok(f) = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .mode(0o600)
        .open(&path)
    else {
        return false;
    };
    // Helpers run side by side (kubectl starts several): one at a time decides.
    if unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX) } != 0 {
        return false;
    }
    let Ok(meta) = f.metadata() else {
        return false;
    };
    // A new marker is empty (never warned); a warned one holds a byte.
    let recent = meta.len() > 0
        && meta
            .modified()
            .ok()
            .and_then(|t| SystemTime::now().duration_since(t).ok())
            .is_some_and(|d| d < WARN_EVERY);
    if recent {
        return false;
    }
    let mut w = &f;
    let _ = w.write_all(b"w");
    let _ = f.set_modified(SystemTime::now());
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tombstone::Why;

    fn t(profile: &str, role: &str, why: Why) -> Tombstone {
        Tombstone {
            grant: "g1".into(),
            profile: profile.into(),
            resource: "prod-k8s".into(),
            role: role.into(),
            kind: "kubernetes".into(),
            ended_at: Timestamp::now().0,
            why,
        }
    }

    #[test]
    fn the_line_names_the_command_that_restores_access() {
        let l = line(&t("default", "admin", Why::Expired));
        assert!(l.starts_with("prod-k8s/admin ended at "), "{l}");
        assert!(
            l.ends_with(" (expired) — run: zt request prod-k8s --role admin"),
            "{l}"
        );
        let l = line(&t("work", "view", Why::RevokedBySomeoneElse));
        assert!(
            l.ends_with(
                " (revoked by someone else) — run: zt request prod-k8s --role view --profile work"
            ),
            "{l}"
        );
        let l = line(&t("default", "", Why::UnknownToBroker));
        assert!(l.starts_with("prod-k8s ended at "), "{l}");
        assert!(
            l.ends_with("(unknown to the broker) — run: zt request prod-k8s"),
            "{l}"
        );
    }
}
