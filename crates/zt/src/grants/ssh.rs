//! An SSH grant on this machine, each piece under the ledger-first protocol ([`Writer`]): the
//! private key, its certificate (and the broker's known_hosts lines) in the runtime dir, the
//! `Host` block in zt's ssh config with the user's `Include` line, and — when `SSH_AUTH_SOCK`
//! names a running agent — the key and certificate in the agent with a lifetime that ends with
//! the grant. The agent is a convenience: one that refuses or cannot be reached is a warning,
//! the block still works.

use std::path::Path;

use base64::Engine;

use super::writer::Writer;
use crate::client::BrokerClient;
use crate::credcache::{self, Cached};
use crate::error::{Error, Result};
use crate::ledger::{Ledger, Target};
use crate::materialize::sshconfig::HostBlock;
use crate::ssh::{self, CheckedCert, GrantFiles, GrantKey, agent};
use crate::{env, fsutil, materialize, paths};
use zt_api::{self as api, Credential};

/// What the grant's SSH write did: its ledger targets, and warnings for the user.
pub(super) struct SshWritten {
    pub targets: Vec<Target>,
    pub warnings: Vec<String>,
}

impl Writer<'_> {
    pub(super) fn ssh(
        &self,
        key: &GrantKey,
        cert: &CheckedCert,
        cached: &Cached,
        name: &str,
    ) -> Result<SshWritten> {
        let Credential::Ssh {
            host,
            port,
            user,
            known_hosts,
            hosts,
            ..
        } = &cached.credential
        else {
            return Err(Error::other("internal: not an SSH credential"));
        };
        let files = GrantFiles::of(&self.req.id)?;
        paths::ensure_private_dir(&ssh::ssh_runtime_dir()?)?;
        let known = ssh::known_hosts_text(known_hosts)?;
        let mut targets = vec![
            self.file(&files.key, |f| key.write(f))?,
            self.file(&files.cert, |f| {
                fsutil::atomic_write(f, format!("{}\n", cert.line).as_bytes(), 0o600)
            })?,
        ];
        if let Some(k) = &known {
            targets.push(self.file(&files.known_hosts, |f| {
                fsutil::atomic_write(f, k.as_bytes(), 0o600)
            })?);
        }
        let expires = api::Timestamp(self.expires_at).to_rfc3339();
        let block = HostBlock {
            alias: name,
            host_name: host,
            port: *port,
            user,
            identity_file: &files.key,
            certificate_file: &files.cert,
            known_hosts: known.as_ref().map(|_| files.known_hosts.as_path()),
            patterns: hosts,
            grant_id: &self.req.id,
            expires_at: &expires,
        };
        let (zt_file, config) = (paths::zt_ssh_config()?, paths::ssh_config()?);
        let stub = Target::SshHost {
            file: zt_file.clone(),
            config: config.clone(),
            name: name.to_string(),
        };
        targets.push(self.record(stub.clone(), |_| {
            materialize::ssh::apply(&zt_file, &config, &block)?;
            Ok(stub.clone())
        })?);
        let mut warnings = Vec::new();
        if let Some(sock) = env::var(env::SSH_AUTH_SOCK) {
            match self.agent(Path::new(&sock), key, cert) {
                Ok(t) => targets.push(t),
                Err(e) => warnings.push(format!(
                    "the key was not added to your ssh-agent ({}); `ssh {name}` uses the key file",
                    e.message
                )),
            }
        }
        Ok(SshWritten { targets, warnings })
    }

    /// A whole file of the grant's, recorded before it is written.
    fn file(&self, file: &Path, write: impl FnOnce(&Path) -> Result<()>) -> Result<Target> {
        let stub = Target::SshKey {
            file: file.to_path_buf(),
        };
        self.record(stub.clone(), |_| {
            write(file)?;
            Ok(stub.clone())
        })
    }

    /// The key and certificate into the agent at `socket`, for the time the grant has left.
    fn agent(&self, socket: &Path, key: &GrantKey, cert: &CheckedCert) -> Result<Target> {
        let b64 = base64::engine::general_purpose::STANDARD;
        let socket = std::path::absolute(socket)
            .map_err(|e| Error::io("cannot resolve SSH_AUTH_SOCK", e))?;
        let stub = Target::SshAgent {
            socket: socket.clone(),
            certificate: b64.encode(&cert.blob),
            public_key: b64.encode(key.public_blob()?),
        };
        let end = (self.expires_at.max(0) as u64).min(cert.valid_before);
        let left = end.saturating_sub(api::Timestamp::now().0.max(0) as u64);
        let lifetime = u32::try_from(left).unwrap_or(u32::MAX);
        // (The resource name and grant id are checked zt names; the role is not shown raw.)
        let comment = format!("zt {} grant {}", self.req.resource, self.req.id);
        self.record(stub.clone(), |_| {
            agent::add(&socket, key, cert, &comment, lifetime)
                .map_err(|e| Error::other(e.to_string()))?;
            Ok(stub.clone())
        })
    }
}

/// After `zt extend`: a certificate for the grant's key until its new end — into the
/// certificate file, and into the agent the key was given to (the old certificate out). What
/// it did, for the user; nothing when this machine holds no key of the grant.
pub async fn refresh(client: &BrokerClient, grant: &str) -> Result<Vec<String>> {
    let files = GrantFiles::of(grant)?;
    let ledger = Ledger::read()?;
    if !ledger.for_grant(grant).any(|e| {
        e.target
            == Target::SshKey {
                file: files.key.clone(),
            }
    }) {
        return Ok(vec![]);
    }
    let key = GrantKey::load(&files.key)?;
    let credential = client.ssh_credentials(grant, &key.public_line()?).await?;
    let Credential::Ssh { certificate, .. } = &credential else {
        return Err(Error::other(format!(
            "the broker sent no SSH certificate for grant {grant}"
        )));
    };
    let cert = key.check(certificate)?;
    fsutil::atomic_write(&files.cert, format!("{}\n", cert.line).as_bytes(), 0o600)?;
    let mut done = vec![format!(
        "renewed the SSH certificate {}",
        files.cert.display()
    )];
    if let Some(mut c) = credcache::load(grant) {
        c.credential = credential.clone();
        let _ = credcache::store(grant, &c);
    }
    let b64 = base64::engine::general_purpose::STANDARD;
    let new_blob = b64.encode(&cert.blob);
    for e in ledger.for_grant(grant) {
        let Target::SshAgent {
            socket,
            certificate: old,
            public_key,
        } = &e.target
        else {
            continue;
        };
        if *old == new_blob {
            continue;
        }
        let left = cert
            .valid_before
            .saturating_sub(api::Timestamp::now().0.max(0) as u64);
        let comment = format!("zt {} grant {grant}", e.resource);
        if agent::add(
            socket,
            &key,
            &cert,
            &comment,
            u32::try_from(left).unwrap_or(u32::MAX),
        )
        .is_err()
        {
            continue;
        }
        let new = Target::SshAgent {
            socket: socket.clone(),
            certificate: new_blob.clone(),
            public_key: public_key.clone(),
        };
        Ledger::modify(|l| {
            for x in l
                .entries
                .iter_mut()
                .filter(|x| x.grant == grant && x.target == e.target)
            {
                x.target = new.clone();
            }
            Ok(())
        })?;
        if let Ok(old) = b64.decode(old) {
            let _ = agent::remove(socket, &old);
        }
        done.push(format!(
            "renewed the SSH key in the ssh-agent at {}",
            socket.display()
        ));
    }
    Ok(done)
}
