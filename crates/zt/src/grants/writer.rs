//! The ledger-first write protocol, one target at a time: record the entry, write the file,
//! record what the write learned (its undo) — and put the ledger back if the write failed.
//! Also a grant's own kubeconfig for `zt env`/`zt exec`.

use std::path::PathBuf;

use crate::credcache::{self, Cached};
use crate::error::{Error, Result};
use crate::ledger::{Entry, IniFile, Ledger, Target};
use crate::materialize::files::{self, Change, Lock};
use crate::materialize::{ini, kubeconfig, kubeyaml, pgpass};
use crate::{fsutil, paths, reaper};
use zt_api::{self as api, Credential};

/// What a kubeconfig entry for a grant holds besides the credential's server and CA: the
/// exec plugin (this zt binary, `[--profile P] credential kube GRANT`) and the expiry recorded
/// in zt's marker. Owned here; [`KubeParts::entry`] borrows it.
struct KubeParts {
    exec_command: String,
    exec_args: Vec<String>,
    expires: String,
}

impl KubeParts {
    fn new(grant: &str, profile: &str, expires_at: api::Timestamp) -> Result<Self> {
        let exe = std::env::current_exe()
            .map_err(|e| Error::io("cannot find the zt binary's own path", e))?;
        let mut exec_args = vec![
            "credential".to_string(),
            "kube".to_string(),
            grant.to_string(),
        ];
        if profile != "default" {
            exec_args.splice(0..0, ["--profile".to_string(), profile.to_string()]);
        }
        Ok(Self {
            exec_command: exe.to_string_lossy().into_owned(),
            exec_args,
            expires: expires_at.to_rfc3339(),
        })
    }

    fn entry<'a>(
        &'a self,
        name: &'a str,
        grant: &'a str,
        cred: &'a Credential,
    ) -> Result<kubeyaml::KubeEntry<'a>> {
        let Credential::Kubernetes {
            server,
            certificate_authority_data,
            namespace,
            ..
        } = cred
        else {
            return Err(Error::other("internal: not a Kubernetes credential"));
        };
        Ok(kubeyaml::KubeEntry {
            name,
            server,
            certificate_authority_data: certificate_authority_data.as_deref(),
            namespace: namespace.as_deref(),
            exec_command: &self.exec_command,
            exec_args: &self.exec_args,
            grant_id: grant,
            expires_at: &self.expires,
        })
    }
}

/// Writes one grant's entries, each under the ledger-first protocol.
pub(super) struct Writer<'a> {
    pub(super) req: &'a api::Request,
    pub(super) profile: &'a str,
    pub(super) expires_at: i64,
    /// Other grants' entries this grant's entries replaced (same name, same file).
    pub(super) replaced: std::cell::RefCell<Vec<Entry>>,
}

impl Writer<'_> {
    /// Record `stub` in the ledger (replacing an older grant's entry at the same place), run
    /// `apply` with that older entry's target, and record what it returns. If `apply` fails
    /// nothing was written, and the ledger goes back to what it was.
    pub(super) fn record(
        &self,
        stub: Target,
        apply: impl FnOnce(Option<&Target>) -> Result<Target>,
    ) -> Result<Target> {
        let mut replaced: Vec<Entry> = Vec::new();
        let entry = |target: Target| Entry {
            grant: self.req.id.clone(),
            profile: self.profile.to_string(),
            resource: self.req.resource.clone(),
            role: self.req.role.clone(),
            expires_at: self.expires_at,
            target,
        };
        // An ended grant's entry kept there for its grace period is replaced too; its undo
        // (how the file was before zt) is the one to keep, but its grant is over already.
        let mut was_ended: Vec<crate::ledger::Ended> = Vec::new();
        Ledger::modify(|l| {
            let (old, keep): (Vec<Entry>, Vec<Entry>) = l
                .entries
                .drain(..)
                .partition(|e| e.target.same_place(&stub));
            l.entries = keep;
            let (ended, keep): (Vec<_>, Vec<_>) = l
                .ended
                .drain(..)
                .partition(|e| e.entry.target.same_place(&stub));
            l.ended = keep;
            was_ended = ended;
            // Until the write is done, the older entry's undo is the right one to wipe with.
            l.entries.push(entry(
                old.first()
                    .or(was_ended.first().map(|e| &e.entry))
                    .map(|o| o.target.clone())
                    .unwrap_or_else(|| stub.clone()),
            ));
            replaced = old;
            Ok(())
        })?;
        let prior = (replaced.first())
            .or(was_ended.first().map(|e| &e.entry))
            .map(|e| &e.target);
        let target = match apply(prior) {
            Ok(t) => t,
            Err(e) => {
                let _ = Ledger::modify(|l| {
                    l.entries
                        .retain(|x| !(x.grant == self.req.id && x.target.same_place(&stub)));
                    l.entries.extend(replaced.iter().cloned());
                    l.ended.extend(was_ended.iter().cloned());
                    Ok(())
                });
                return Err(e);
            }
        };
        Ledger::modify(|l| {
            for e in l
                .entries
                .iter_mut()
                .filter(|e| e.grant == self.req.id && e.target.same_place(&stub))
            {
                *e = entry(target.clone());
            }
            Ok(())
        })?;
        for old in replaced.iter().filter(|o| o.grant != self.req.id) {
            let _ = credcache::remove(&old.grant);
            self.replaced.borrow_mut().push(old.clone());
        }
        Ok(target)
    }

    pub(super) fn kubeconfig(
        &self,
        file: PathBuf,
        name: &str,
        cached: &Cached,
        use_context: bool,
    ) -> Result<Target> {
        let parts = KubeParts::new(&self.req.id, self.profile, api::Timestamp(self.expires_at))?;
        let entry = parts.entry(name, &self.req.id, &cached.credential)?;
        let stub = Target::Kubeconfig {
            file: file.clone(),
            name: name.to_string(),
            undo: Default::default(),
        };
        self.record(stub, |prior| {
            let undo = kubeconfig::apply(&file, &entry, use_context)?;
            // A re-request: the first apply knew the original file; keep what it learned.
            let undo = match prior {
                Some(Target::Kubeconfig { undo: first, .. }) => first.clone().merge(undo),
                _ => undo,
            };
            Ok(Target::Kubeconfig {
                file: file.clone(),
                name: name.to_string(),
                undo,
            })
        })
    }

    pub(super) fn ini(
        &self,
        file: PathBuf,
        header: &str,
        kind: IniFile,
        entries: &[(String, String)],
    ) -> Result<Target> {
        let expires = api::Timestamp(self.expires_at).to_rfc3339();
        let section = ini::IniSection {
            header,
            entries,
            grant_id: &self.req.id,
            expires_at: &expires,
        };
        let stub = Target::Ini {
            file: file.clone(),
            header: header.to_string(),
            dialect: kind,
            undo: Default::default(),
        };
        self.record(stub, |prior| {
            let mut undo = None;
            let keep = match kind {
                IniFile::AwsCredentials => fsutil::Keep::Private,
                IniFile::AwsConfig | IniFile::PgService => fsutil::Keep::ModeAndOwner,
            };
            files::edit(&file, Lock::Zt, keep, |text| {
                let (new, mut u) = ini::apply(text.unwrap_or(""), &section, kind.dialect())
                    .map_err(|e| kubeconfig::refused(&file, e))?;
                // A file the user had (even an empty one) is never removed by the wipe.
                u.created &= text.is_none();
                undo = Some(u);
                Ok(Change::Write(new))
            })?;
            // A re-request replaces zt's section in place; the first apply's undo knows how
            // the file looked before zt.
            let undo = undo.unwrap_or_default();
            let undo = match prior {
                Some(Target::Ini { undo: first, .. }) => first.clone().merge(undo),
                _ => undo,
            };
            Ok(Target::Ini {
                file: file.clone(),
                header: header.to_string(),
                dialect: kind,
                undo,
            })
        })
    }

    pub(super) fn pgpass(&self, file: PathBuf, c: &Credential) -> Result<Target> {
        let Credential::Postgres {
            host,
            port,
            dbname,
            user,
            password,
            ..
        } = c
        else {
            return Err(Error::other("internal: not a PostgreSQL credential"));
        };
        let expires = api::Timestamp(self.expires_at).to_rfc3339();
        let line = pgpass::PgpassEntry {
            host,
            port: *port,
            database: dbname,
            user,
            password,
            grant_id: &self.req.id,
            expires_at: &expires,
        };
        let stub = Target::Pgpass {
            file: file.clone(),
            grant: self.req.id.clone(),
            undo: Default::default(),
        };
        self.record(stub, |_| {
            let mut undo = None;
            files::edit(&file, Lock::Zt, fsutil::Keep::Private, |text| {
                let (new, mut u) = pgpass::apply(text.unwrap_or(""), &line)
                    .map_err(|e| kubeconfig::refused(&file, e))?;
                u.created &= text.is_none();
                undo = Some(u);
                Ok(Change::Write(new))
            })?;
            Ok(Target::Pgpass {
                file: file.clone(),
                grant: self.req.id.clone(),
                undo: undo.unwrap_or_default(),
            })
        })
    }
}

/// A kubeconfig of the grant's own (exec plugin, no token), in the runtime dir, recorded in
/// the ledger: for `zt env` (`tag` None, kept until the grant ends) and `zt exec` (a tag per
/// run, removed when the command exits).
pub fn standalone_kubeconfig(
    grant: &str,
    cached: &Cached,
    profile: &str,
    tag: Option<&str>,
) -> Result<PathBuf> {
    let expires_at = cached.credential.expires_at();
    let file = paths::grant_kubeconfig(grant, tag)?;
    if let Some(dir) = file.parent() {
        paths::ensure_private_dir(dir)?;
    }
    let name = format!("zt-{}", cached.resource);
    let parts = KubeParts::new(grant, profile, expires_at)?;
    let entry = parts.entry(&name, grant, &cached.credential)?;
    let (text, _) = kubeyaml::apply("", &entry, true).map_err(|e| kubeconfig::refused(&file, e))?;
    let target = Target::File { file: file.clone() };
    Ledger::modify(|l| {
        if !l.entries.iter().any(|e| e.target == target) {
            l.entries.push(Entry {
                grant: grant.to_string(),
                profile: profile.to_string(),
                resource: cached.resource.clone(),
                role: String::new(),
                expires_at: expires_at.0,
                target: target.clone(),
            });
        }
        Ok(())
    })?;
    fsutil::atomic_write(&file, text.as_bytes(), 0o600)?;
    reaper::ensure_running();
    Ok(file)
}
