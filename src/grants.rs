//! From a live grant to files on disk: fetch the credential, cache it, write it where the
//! resource's tools look, record each write in the ledger (before writing, so a crash leaves
//! a ledger entry to wipe rather than an entry nobody knows of), and start the reaper.

use std::path::PathBuf;

use serde::Serialize;

use crate::api::{self, Credential};
use crate::client::BrokerClient;
use crate::credcache::{self, Cached};
use crate::error::{Error, Result};
use crate::ledger::{Entry, IniFile, Ledger, Target};
use crate::materialize::files::{self, Change, Lock};
use crate::materialize::{ini, kubeconfig, kubeyaml, pgpass};
use crate::output::{Printer, human_secs};
use crate::{fsutil, paths, reaper};

/// How the user wants the grant written (`zt request` flags).
#[derive(Debug, Clone, Copy, Default)]
pub struct How {
    pub use_context: bool,
    pub static_keys: bool,
}

#[derive(Serialize)]
struct Granted<'a> {
    request: &'a api::Request,
    written: Vec<String>,
    context: Option<String>,
    profile: Option<String>,
    service: Option<String>,
}

pub async fn materialize(
    client: &BrokerClient,
    req: &api::Request,
    profile: &str,
    how: How,
    p: &Printer,
) -> Result<()> {
    // These names become file names, kubeconfig entries and INI section headers: refuse
    // anything outside the safe alphabet rather than escape it, whoever sent it.
    for (what, name) in [("grant id", &req.id), ("resource name", &req.resource)] {
        if !api::valid_name(name) {
            return Err(Error::other(format!(
                "the broker sent an unsafe {what} {name:?}; zt wrote nothing"
            ))
            .with_hint("report this to the broker's operators"));
        }
    }
    let credential = client.credentials(&req.id).await?;
    let cached = Cached {
        profile: profile.to_string(),
        resource: req.resource.clone(),
        credential,
    };
    credcache::store(&req.id, &cached)?;
    let expires_at = req
        .expires_at
        .unwrap_or_else(|| cached.credential.expires_at());
    let w = Writer {
        req,
        profile,
        expires_at: expires_at.0,
    };
    let name = format!("zt-{}", req.resource);
    let mut out = Granted {
        request: req,
        written: vec![],
        context: None,
        profile: None,
        service: None,
    };
    let targets = match &cached.credential {
        Credential::Kubernetes { .. } => {
            out.context = Some(name.clone());
            vec![w.kubeconfig(paths::kubeconfig()?, &name, &cached, how.use_context)?]
        }
        Credential::Aws { .. } if how.static_keys => {
            out.profile = Some(name.clone());
            vec![w.ini(
                paths::aws_credentials()?,
                &name,
                IniFile::AwsCredentials,
                &aws_keys(&cached.credential),
            )?]
        }
        Credential::Aws { region, .. } => {
            out.profile = Some(name.clone());
            let mut e = vec![(
                "credential_process".to_string(),
                helper_command("aws", &req.id, profile)?,
            )];
            if let Some(r) = region {
                e.push(("region".into(), r.clone()));
            }
            vec![w.ini(
                paths::aws_config()?,
                &format!("profile {name}"),
                IniFile::AwsConfig,
                &e,
            )?]
        }
        Credential::Postgres {
            host,
            port,
            dbname,
            user,
            sslmode,
            ..
        } => {
            out.service = Some(name.clone());
            let mut e = vec![
                ("host".to_string(), host.clone()),
                ("port".into(), port.to_string()),
                ("dbname".into(), dbname.clone()),
                ("user".into(), user.clone()),
            ];
            if !sslmode.is_empty() {
                e.push(("sslmode".into(), sslmode.clone()));
            }
            vec![
                w.ini(paths::pg_service()?, &name, IniFile::PgService, &e)?,
                w.pgpass(paths::pgpass()?, &cached.credential)?,
            ]
        }
    };
    out.written = targets.iter().map(Target::describe).collect();
    reaper::ensure_running();

    if p.json {
        // Minting made the grant active; report the request as it is now.
        let now = client
            .get_request(&req.id, None)
            .await
            .unwrap_or_else(|_| req.clone());
        p.json(&Granted {
            request: &now,
            ..out
        });
        return Ok(());
    }
    p.note(format!(
        "✓ Granted {}/{} until {} ({} left). Grant {}.",
        req.resource,
        req.role,
        expires_at,
        human_secs(expires_at.secs_from_now()),
        req.id
    ));
    for w in &out.written {
        p.note(format!("  wrote {w}"));
    }
    if let Some(c) = &out.context {
        p.note(format!("  try: kubectl --context {c} get namespaces"));
        p.out(c);
    }
    if let Some(a) = &out.profile {
        p.note(format!("  try: aws --profile {a} sts get-caller-identity"));
        p.out(a);
    }
    if let Some(s) = &out.service {
        p.note(format!("  try: psql service={s}"));
        p.out(s);
    }
    Ok(())
}

/// `<absolute path of zt> [--profile P] credential KIND GRANT`, quoted for botocore's shell split.
fn helper_command(kind: &str, grant: &str, profile: &str) -> Result<String> {
    let exe = std::env::current_exe()
        .map_err(|e| Error::io("cannot find the zt binary's own path", e))?;
    let exe = exe.to_string_lossy();
    let exe = if exe.contains([' ', '"', '\'', '\\']) {
        format!("\"{}\"", exe.replace('\\', "\\\\").replace('"', "\\\""))
    } else {
        exe.into_owned()
    };
    let prof = if profile == "default" {
        String::new()
    } else {
        format!(" --profile {profile}")
    };
    Ok(format!("{exe}{prof} credential {kind} {grant}"))
}

fn aws_keys(c: &Credential) -> Vec<(String, String)> {
    match c {
        Credential::Aws {
            access_key_id,
            secret_access_key,
            session_token,
            ..
        } => vec![
            ("aws_access_key_id".into(), access_key_id.clone()),
            ("aws_secret_access_key".into(), secret_access_key.clone()),
            ("aws_session_token".into(), session_token.clone()),
        ],
        _ => vec![],
    }
}

fn kube_entry_args(grant: &str, profile: &str) -> Vec<String> {
    let mut a = vec![
        "credential".to_string(),
        "kube".to_string(),
        grant.to_string(),
    ];
    if profile != "default" {
        a.splice(0..0, ["--profile".to_string(), profile.to_string()]);
    }
    a
}

/// Writes one grant's entries, each under the ledger-first protocol.
struct Writer<'a> {
    req: &'a api::Request,
    profile: &'a str,
    expires_at: i64,
}

impl Writer<'_> {
    /// Record `stub` in the ledger (replacing an older grant's entry at the same place), run
    /// `apply` with that older entry's target, and record what it returns. If `apply` fails
    /// nothing was written, and the ledger goes back to what it was.
    fn record(
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
        Ledger::modify(|l| {
            let (old, keep): (Vec<Entry>, Vec<Entry>) = l
                .entries
                .drain(..)
                .partition(|e| e.target.same_place(&stub));
            l.entries = keep;
            // Until the write is done, the older entry's undo is the right one to wipe with.
            l.entries.push(entry(
                old.first()
                    .map(|o| o.target.clone())
                    .unwrap_or_else(|| stub.clone()),
            ));
            replaced = old;
            Ok(())
        })?;
        let target = match apply(replaced.first().map(|e| &e.target)) {
            Ok(t) => t,
            Err(e) => {
                let _ = Ledger::modify(|l| {
                    l.entries
                        .retain(|x| !(x.grant == self.req.id && x.target.same_place(&stub)));
                    l.entries.extend(replaced.iter().cloned());
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
        }
        Ok(target)
    }

    fn kubeconfig(
        &self,
        file: PathBuf,
        name: &str,
        cached: &Cached,
        use_context: bool,
    ) -> Result<Target> {
        let Credential::Kubernetes {
            server,
            certificate_authority_data,
            namespace,
            ..
        } = &cached.credential
        else {
            return Err(Error::other("internal: not a Kubernetes credential"));
        };
        let exe = std::env::current_exe()
            .map_err(|e| Error::io("cannot find the zt binary's own path", e))?;
        let exec_command = exe.to_string_lossy().into_owned();
        let exec_args = kube_entry_args(&self.req.id, self.profile);
        let expires = api::Timestamp(self.expires_at).to_rfc3339();
        let entry = kubeyaml::KubeEntry {
            name,
            server,
            certificate_authority_data: certificate_authority_data.as_deref(),
            namespace: namespace.as_deref(),
            exec_command: &exec_command,
            exec_args: &exec_args,
            grant_id: &self.req.id,
            expires_at: &expires,
        };
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

    fn ini(
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
            files::edit(&file, Lock::Zt, |text| {
                let (new, u) = ini::apply(text.unwrap_or(""), &section, kind.dialect())
                    .map_err(|e| kubeconfig::refused(&file, e))?;
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

    fn pgpass(&self, file: PathBuf, c: &Credential) -> Result<Target> {
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
            files::edit(&file, Lock::Zt, |text| {
                let (new, u) = pgpass::apply(text.unwrap_or(""), &line)
                    .map_err(|e| kubeconfig::refused(&file, e))?;
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
    let Credential::Kubernetes {
        server,
        certificate_authority_data,
        namespace,
        expires_at,
        ..
    } = &cached.credential
    else {
        return Err(Error::other("internal: not a Kubernetes credential"));
    };
    let file = paths::grant_kubeconfig(grant, tag)?;
    if let Some(dir) = file.parent() {
        paths::ensure_private_dir(dir)?;
    }
    let exe = std::env::current_exe()
        .map_err(|e| Error::io("cannot find the zt binary's own path", e))?;
    let exec_command = exe.to_string_lossy().into_owned();
    let exec_args = kube_entry_args(grant, profile);
    let expires = expires_at.to_rfc3339();
    let name = format!("zt-{}", cached.resource);
    let entry = kubeyaml::KubeEntry {
        name: &name,
        server,
        certificate_authority_data: certificate_authority_data.as_deref(),
        namespace: namespace.as_deref(),
        exec_command: &exec_command,
        exec_args: &exec_args,
        grant_id: grant,
        expires_at: &expires,
    };
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
