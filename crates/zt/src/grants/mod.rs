//! From a live grant to files on disk: fetch the credential, cache it, write it where the
//! resource's tools look, record each write in the ledger (before writing, so a crash leaves
//! a ledger entry to wipe rather than an entry nobody knows of), and start the reaper.

use serde::Serialize;

use crate::client::BrokerClient;
use crate::credcache::{self, Cached};
use crate::error::{Error, Result};
use crate::ledger::{IniFile, Target};
use crate::output::{Printer, human_secs};
use crate::{paths, reaper};
use zt_api::{self as api, Credential};

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
    /// The `Host` alias of an SSH grant (`ssh zt-prod-ssh`).
    #[serde(skip_serializing_if = "Option::is_none")]
    ssh_host: Option<String>,
    /// A live grant already written on this machine answered the request; nothing was minted.
    reused: bool,
    /// The Kubernetes namespace the grant's role works in, for the "try:" line.
    #[serde(skip)]
    namespace: Option<String>,
}

pub async fn materialize(
    client: &BrokerClient,
    req: &api::Request,
    profile: &str,
    how: How,
    revoke_on_failure: bool,
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
    let (credential, ssh) = match fetch(client, req, how).await {
        Ok(x) => x,
        Err(e) => return Err(abandon(client, req, e, revoke_on_failure, p).await),
    };
    let cached = Cached {
        profile: profile.to_string(),
        resource: req.resource.clone(),
        credential,
    };
    // A first-use grant's entries, written before its first use: no credential to keep.
    let first_use = scheduled::is_placeholder(&cached.credential);
    if first_use {
        scheduled::note_first_use(&req.id)?;
    } else {
        credcache::store(&req.id, &cached)?;
    }
    let expires_at = req
        .expires_at
        .unwrap_or_else(|| cached.credential.expires_at());
    let w = Writer {
        req,
        profile,
        expires_at: expires_at.0,
        replaced: Default::default(),
    };
    let name = names::pick(&Ledger::read()?, profile, &req.resource, &req.role, &req.id)?;
    let mut out = Granted {
        request: req,
        written: vec![],
        context: None,
        profile: None,
        service: None,
        ssh_host: None,
        reused: false,
        namespace: match &cached.credential {
            Credential::Kubernetes { namespace, .. } => namespace.clone(),
            _ => None,
        },
    };
    let written = match &ssh {
        Some((key, cert)) => w.ssh(key, cert, &cached, &name).map(|s| {
            out.ssh_host = Some(name.clone());
            (s.targets, s.warnings)
        }),
        None => write(&w, &cached, &name, how, &mut out).map(|t| (t, vec![])),
    };
    let (targets, warnings) = match written {
        Ok(t) => t,
        Err(e) => return Err(abandon(client, req, e, revoke_on_failure, p).await),
    };
    for warning in &warnings {
        p.warn(warning);
    }
    out.written = targets.iter().map(Target::describe).collect();
    reaper::ensure_running();
    if ssh.is_some() {
        // The older grant whose Host block this one took over keeps nothing here either: its
        // key, certificate and agent entry go now (and so it is revoked below, unused).
        let olds: Vec<String> = w
            .replaced
            .borrow()
            .iter()
            .map(|o| o.grant.clone())
            .collect();
        let _ = reaper::wipe_where(p, false, |e| e.grant != req.id && olds.contains(&e.grant));
    }
    supersede(client, &w, p).await;
    show(client, req, expires_at, out, first_use, p).await
}

/// Write the grant's entries where its resource's tools look; which names went where goes
/// into `out`.
fn write(
    w: &Writer,
    cached: &Cached,
    name: &str,
    how: How,
    out: &mut Granted,
) -> Result<Vec<Target>> {
    let req = w.req;
    let profile = w.profile;
    let name = name.to_string();
    Ok(match &cached.credential {
        Credential::Ssh { .. } => {
            return Err(Error::other(
                "internal: an SSH grant's credential needs its key (grants/ssh.rs)",
            ));
        }
        Credential::Kubernetes { .. } => {
            out.context = Some(name.clone());
            vec![w.kubeconfig(paths::kubeconfig()?, &name, cached, how.use_context)?]
        }
        Credential::Aws { region, .. } if how.static_keys => {
            out.profile = Some(name.clone());
            let mut t = vec![w.ini(
                paths::aws_credentials()?,
                &name,
                IniFile::AwsCredentials,
                &aws_keys(&cached.credential),
            )?];
            // Keys live in the credentials file, but the region belongs in the config file;
            // without it the CLI asks for one.
            if let Some(r) = region {
                let e = vec![("region".to_string(), r.clone())];
                t.push(w.ini(
                    paths::aws_config()?,
                    &format!("profile {name}"),
                    IniFile::AwsConfig,
                    &e,
                )?);
            }
            t
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
    })
}

async fn show(
    client: &BrokerClient,
    req: &api::Request,
    expires_at: api::Timestamp,
    out: Granted<'_>,
    first_use: bool,
    p: &Printer,
) -> Result<()> {
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
    if first_use {
        p.note(scheduled::first_use_note(req, expires_at));
    } else {
        p.note(format!(
            "✓ Granted {}/{} until {} ({} left). Grant {}.",
            req.resource,
            req.role,
            expires_at,
            human_secs(expires_at.secs_from_now()),
            req.id
        ));
    }
    for w in &out.written {
        p.note(format!("  wrote {w}"));
    }
    tries(&out, p);
    Ok(())
}

/// How to use what was written ("try: …" on stderr, the name on stdout).
fn tries(out: &Granted, p: &Printer) {
    if let Some(c) = &out.context {
        p.note(format!(
            "  try: {}",
            kubectl_hint(c, out.namespace.as_deref())
        ));
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
    if let Some(h) = &out.ssh_host {
        p.note(format!(
            "  try: ssh {h}   (scp and rsync too: scp FILE {h}:)"
        ));
        p.out(h);
    }
}

/// The grant's credential from the broker. An SSH grant's is a certificate for a key made
/// here and now: the key pair, and the certificate once checked to be for that key.
async fn fetch(
    client: &BrokerClient,
    req: &api::Request,
    how: How,
) -> Result<(
    Credential,
    Option<(crate::ssh::GrantKey, crate::ssh::CheckedCert)>,
)> {
    // A first-use grant: where it will connect, starting nothing (else, an issuer that
    // cannot tell: the credential, which starts it now).
    if scheduled::waits_for_first_use(req, how) {
        match client.connection(&req.id).await {
            Ok(c) => return Ok((c, None)),
            Err(e) if e.kind == crate::error::ErrorKind::Other => {}
            Err(e) => return Err(e),
        }
    }
    if req.kind != api::ResourceKind::Ssh {
        return Ok((client.credentials(&req.id).await?, None));
    }
    let key = crate::ssh::GrantKey::generate(&req.id)?;
    let credential = client.ssh_credentials(&req.id, &key.public_line()?).await?;
    let Credential::Ssh { certificate, .. } = &credential else {
        return Err(Error::other(format!(
            "the broker sent a {} credential for an SSH grant; zt wrote nothing",
            kind_of(&credential)
        )));
    };
    let cert = key.check(certificate)?;
    Ok((credential, Some((key, cert))))
}

fn kind_of(c: &Credential) -> &'static str {
    match c {
        Credential::Kubernetes { .. } => "Kubernetes",
        Credential::Aws { .. } => "AWS",
        Credential::Postgres { .. } => "PostgreSQL",
        Credential::Ssh { .. } => "SSH",
    }
}

/// A first kubectl command the grant's role can run: its pods in the grant's namespace (the
/// kubeconfig's). Not `get namespaces`: namespaces are cluster-wide, and a role bound in one
/// namespace may not list them. A namespace that is not a DNS label is not printed.
fn kubectl_hint(context: &str, namespace: Option<&str>) -> String {
    let label = |ns: &str| {
        !ns.is_empty()
            && ns.len() <= 63
            && ns
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    };
    match namespace {
        Some(ns) if label(ns) => format!("kubectl --context {context} get pods -n {ns}"),
        _ => format!("kubectl --context {context} get pods"),
    }
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

mod names;
mod outcome;
pub mod preflight;
pub mod present;
pub mod reuse;
pub mod scheduled;
mod ssh;
mod writer;

use crate::ledger::Ledger;
pub use outcome::already_granted;
use outcome::{abandon, supersede};
pub use ssh::refresh as refresh_ssh;
use writer::Writer;
pub use writer::standalone_kubeconfig;
