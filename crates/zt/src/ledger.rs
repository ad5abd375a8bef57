//! The ledger: each thing zt wrote to the user's disk for a grant — which file, which entry,
//! until when. It holds no secret; it is the source of truth for wiping. Changes happen under
//! an `flock` and are written atomically, so concurrent zt processes never lose an entry.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::materialize::ini::{Dialect, IniUndo};
use crate::materialize::kubeyaml::KubeUndo;
use crate::materialize::pgpass::PgpassUndo;
use crate::{fsutil, paths};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Ledger {
    /// Entries of live grants (and of grants whose end no zt has handled yet).
    #[serde(default)]
    pub entries: Vec<Entry>,
    /// Entries of grants that have ended, kept for a grace period because they hold no secret
    /// and explain the end to whoever uses them (a kubeconfig context, an AWS profile whose
    /// `credential_process` prints why). Never live: nothing else treats them as a grant.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ended: Vec<Ended>,
    /// Grants approved ahead of their start (`zt request --start-at`), written at the start
    /// (see [`crate::grants::scheduled`]). Nothing is on disk for them yet.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scheduled: Vec<crate::grants::scheduled::Pending>,
    /// Grants whose entries were written before their first use (their end is the claim
    /// deadline until a helper's first fetch starts the TTL; see `grants::scheduled`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub first_use: Vec<String>,
}

/// An entry whose grant has ended, in its grace period.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Ended {
    pub entry: Entry,
    /// Unix seconds: when the grant ended.
    pub ended_at: i64,
    /// Unix seconds: when the entry goes (then wiped like any other, undo and all).
    pub until: i64,
    pub why: crate::tombstone::Why,
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
    /// A `[header]` section in an INI-style file (AWS config/credentials, pg_service.conf).
    Ini {
        file: PathBuf,
        header: String,
        dialect: IniFile,
        undo: IniUndo,
    },
    /// zt's line in a libpq password file.
    Pgpass {
        file: PathBuf,
        grant: String,
        undo: PgpassUndo,
    },
    /// A whole file zt created (a grant's own kubeconfig for `zt env`/`zt exec`).
    File { file: PathBuf },
    /// A grant's `Host` block in zt's own ssh config `file`; while zt's file has blocks, the
    /// user's ssh `config` includes it (one `Include` line, gone with the last block).
    #[serde(rename = "ssh-host")]
    SshHost {
        file: PathBuf,
        config: PathBuf,
        name: String,
    },
    /// A file of a grant's SSH key, certificate or known_hosts lines: removed at the grant's
    /// end, never kept for a grace period.
    #[serde(rename = "ssh-key")]
    SshKey { file: PathBuf },
    /// A grant's key and certificate in the ssh-agent at `socket`, given with a lifetime (the
    /// agent forgets them at the grant's end by itself); zt removes them earlier on revoke and
    /// logout. The blobs are base64 of the public halves (nothing secret).
    #[serde(rename = "ssh-agent")]
    SshAgent {
        socket: PathBuf,
        certificate: String,
        public_key: String,
    },
}

/// Which INI-style file a section is in (decides the dialect and the wording).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum IniFile {
    AwsConfig,
    AwsCredentials,
    PgService,
}

impl IniFile {
    pub fn dialect(self) -> Dialect {
        match self {
            Self::AwsConfig | Self::AwsCredentials => Dialect::Aws,
            Self::PgService => Dialect::PgService,
        }
    }
}

impl Target {
    pub fn file(&self) -> Option<&std::path::Path> {
        match self {
            Target::Kubeconfig { file, .. }
            | Target::Ini { file, .. }
            | Target::Pgpass { file, .. }
            | Target::File { file }
            | Target::SshHost { file, .. }
            | Target::SshKey { file } => Some(file),
            Target::SshAgent { socket, .. } => Some(socket),
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Target::Kubeconfig { file, name, .. } => {
                format!("kubeconfig context {name} in {}", file.display())
            }
            Target::Ini {
                file,
                header,
                dialect,
                ..
            } => match dialect {
                IniFile::AwsConfig => format!("AWS [{header}] in {}", file.display()),
                IniFile::AwsCredentials => format!("AWS keys [{header}] in {}", file.display()),
                IniFile::PgService => {
                    format!("PostgreSQL service [{header}] in {}", file.display())
                }
            },
            Target::Pgpass { file, .. } => format!("password line in {}", file.display()),
            Target::File { file } => format!("file {}", file.display()),
            Target::SshHost { file, name, .. } => {
                format!("ssh Host {name} in {}", file.display())
            }
            Target::SshKey { file } => format!("SSH key file {}", file.display()),
            Target::SshAgent { socket, .. } => {
                format!("SSH key in the ssh-agent at {}", socket.display())
            }
        }
    }

    /// The name the entry goes by (context, AWS profile, pg service), if it has one.
    pub fn entry_name(&self) -> Option<&str> {
        match self {
            Target::Kubeconfig { name, .. } => Some(name),
            Target::Ini { header, .. } => Some(header.strip_prefix("profile ").unwrap_or(header)),
            Target::SshHost { name, .. } => Some(name),
            Target::Pgpass { .. }
            | Target::File { .. }
            | Target::SshKey { .. }
            | Target::SshAgent { .. } => None,
        }
    }

    /// The same place: a later grant's entry there replaces this one.
    pub fn same_place(&self, other: &Target) -> bool {
        match (self, other) {
            (
                Target::Kubeconfig {
                    file: a, name: x, ..
                },
                Target::Kubeconfig {
                    file: b, name: y, ..
                },
            ) => a == b && x == y,
            (
                Target::Ini {
                    file: a, header: x, ..
                },
                Target::Ini {
                    file: b, header: y, ..
                },
            ) => a == b && x == y,
            (
                Target::Pgpass {
                    file: a, grant: x, ..
                },
                Target::Pgpass {
                    file: b, grant: y, ..
                },
            ) => a == b && x == y,
            (Target::File { file: a }, Target::File { file: b })
            | (Target::SshKey { file: a }, Target::SshKey { file: b }) => a == b,
            (
                Target::SshHost {
                    file: a, name: x, ..
                },
                Target::SshHost {
                    file: b, name: y, ..
                },
            ) => a == b && x == y,
            (
                Target::SshAgent {
                    socket: a,
                    certificate: x,
                    ..
                },
                Target::SshAgent {
                    socket: b,
                    certificate: y,
                    ..
                },
            ) => a == b && x == y,
            _ => false,
        }
    }
}

impl Ledger {
    /// The ledger as it is now, without locking (readers tolerate a concurrent writer because
    /// writes are atomic renames).
    pub fn read() -> Result<Ledger> {
        let path = paths::ledger_file()?;
        // A zt killed mid-write left its temp file (only a dead process's is removed, so no
        // lock is needed); every run reads the ledger, so none outlives the next run.
        fsutil::remove_dead_temps(&path);
        let Some(bytes) = read_bounded(&path)? else {
            return Ok(Ledger::default());
        };
        // serde_json stops at 128 levels of nesting, so a hostile file cannot recurse deeply.
        serde_json::from_slice(&bytes).map_err(|e| {
            Error::other(format!("cannot read zt's ledger {}: {e}", path.display()))
                .with_hint(LEDGER_HINT)
        })
    }

    /// Change the ledger under its lock: read, `f`, write back if `f` succeeded.
    pub fn modify<R>(f: impl FnOnce(&mut Ledger) -> Result<R>) -> Result<R> {
        let path = paths::ledger_file()?;
        paths::ensure_private_dir(&paths::state_dir()?)?;
        let _lock = fsutil::Flock::exclusive(&path.with_extension("lock"))?;
        let mut ledger = Ledger::read()?;
        let before = ledger.clone();
        let r = f(&mut ledger)?;
        if ledger != before {
            let text = serde_json::to_string_pretty(&ledger)
                .map_err(|e| Error::other(format!("cannot encode the ledger: {e}")))?;
            fsutil::atomic_write(&path, text.as_bytes(), 0o600)?;
        }
        Ok(r)
    }

    pub fn for_grant(&self, grant: &str) -> impl Iterator<Item = &Entry> {
        self.entries.iter().filter(move |e| e.grant == grant)
    }

    /// Keep `grant`'s entries until `expires_at` (an extended grant), under the ledger's lock;
    /// how many there are. The reaper re-reads the ledger, so it wipes them at the new time.
    pub fn extend(grant: &str, expires_at: i64) -> Result<usize> {
        Ledger::modify(|l| {
            let mut n = 0;
            for e in l.entries.iter_mut().filter(|e| e.grant == grant) {
                e.expires_at = e.expires_at.max(expires_at);
                n += 1;
            }
            Ok(n)
        })
    }

    /// When the next entry expires or the next grace period ends (unix seconds).
    pub fn next_expiry(&self) -> Option<i64> {
        let ends = self.entries.iter().map(|e| e.expires_at);
        // A scheduled grant's start is a time to wake for too (its entries are written then).
        let starts = self.scheduled.iter().map(|s| s.starts_at);
        ends.chain(self.ended.iter().map(|e| e.until))
            .chain(starts)
            .min()
    }

    /// The ended entries of `grant` (in their grace period).
    pub fn ended_of(&self, grant: &str) -> impl Iterator<Item = &Ended> {
        self.ended.iter().filter(move |e| e.entry.grant == grant)
    }
}

impl Ledger {
    /// Read a ledger file at an explicit path (tests, `zt doctor`); unreadable reads as empty.
    pub fn read_from(path: &std::path::Path) -> Ledger {
        read_bounded(path)
            .ok()
            .flatten()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default()
    }
}

/// A ledger is a few hundred bytes per entry; anything this large is not one zt wrote, and
/// reading it whole could exhaust memory.
pub const MAX_LEDGER_BYTES: u64 = 16 << 20;

const LEDGER_HINT: &str = "zt will not guess what it wrote; look at the file, fix or remove it (zt-* kubeconfig entries may then need removing by hand)";

/// The file's bytes, at most [`MAX_LEDGER_BYTES`]; `None` when it does not exist.
fn read_bounded(path: &std::path::Path) -> Result<Option<Vec<u8>>> {
    use std::io::Read;
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io(format!("cannot read {}", path.display()), e)),
    };
    let mut bytes = Vec::new();
    file.take(MAX_LEDGER_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::io(format!("cannot read {}", path.display()), e))?;
    if bytes.len() as u64 > MAX_LEDGER_BYTES {
        return Err(Error::other(format!(
            "zt's ledger {} is larger than {} MiB: not a ledger zt wrote",
            path.display(),
            MAX_LEDGER_BYTES >> 20
        ))
        .with_hint(LEDGER_HINT));
    }
    Ok(Some(bytes))
}
