//! The ledger: each thing zt wrote to the user's disk for a grant — which file, which entry,
//! until when. It holds no secret; it is the source of truth for wiping. Changes happen under
//! an `flock` and are written atomically, so concurrent zt processes never lose an entry.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::materialize::kubeyaml::KubeUndo;
use crate::{fsutil, paths};

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Ledger {
    #[serde(default)]
    pub entries: Vec<Entry>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Entry {
    pub grant: String,
    pub profile: String,
    pub resource: String,
    pub role: String,
    /// Unix seconds: the grant's end, when this entry must be gone.
    pub expires_at: i64,
    pub target: Target,
}

/// Where an entry lives.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Target {
    /// A cluster + user + context `name` in a kubeconfig file.
    Kubeconfig {
        file: PathBuf,
        name: String,
        undo: KubeUndo,
    },
}

impl Target {
    pub fn describe(&self) -> String {
        match self {
            Target::Kubeconfig { file, name, .. } => {
                format!("kubeconfig context {name} in {}", file.display())
            }
        }
    }
}

impl Ledger {
    /// The ledger as it is now, without locking (readers tolerate a concurrent writer because
    /// writes are atomic renames).
    pub fn read() -> Result<Ledger> {
        let path = paths::ledger_file()?;
        let Some(text) = fsutil::read_optional(&path)? else {
            return Ok(Ledger::default());
        };
        serde_json::from_str(&text).map_err(|e| {
            Error::other(format!("cannot read zt's ledger {}: {e}", path.display())).with_hint(
                "zt will not guess what it wrote; look at the file, fix or remove it (zt-* kubeconfig entries may then need removing by hand)",
            )
        })
    }

    /// Change the ledger under its lock: read, `f`, write back if `f` succeeded.
    pub fn modify<R>(f: impl FnOnce(&mut Ledger) -> Result<R>) -> Result<R> {
        let path = paths::ledger_file()?;
        paths::ensure_private_dir(&paths::state_dir()?)?;
        let _lock = fsutil::Flock::exclusive(&path.with_extension("lock"))?;
        let mut ledger = Ledger::read()?;
        let before = ledger.entries.clone();
        let r = f(&mut ledger)?;
        if ledger.entries != before {
            let text = serde_json::to_string_pretty(&ledger)
                .map_err(|e| Error::other(format!("cannot encode the ledger: {e}")))?;
            fsutil::atomic_write(&path, text.as_bytes(), 0o600)?;
        }
        Ok(r)
    }

    pub fn for_grant(&self, grant: &str) -> impl Iterator<Item = &Entry> {
        self.entries.iter().filter(move |e| e.grant == grant)
    }

    /// When the next entry expires (unix seconds).
    pub fn next_expiry(&self) -> Option<i64> {
        self.entries.iter().map(|e| e.expires_at).min()
    }
}

impl Ledger {
    /// Read a ledger file at an explicit path (tests, `zt doctor`); unreadable reads as empty.
    pub fn read_from(path: &std::path::Path) -> Ledger {
        std::fs::read(path)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default()
    }
}
