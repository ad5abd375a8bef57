//! From a live grant to files on disk: fetch the credential, cache it, write it for the
//! resource's kind, record each write in the ledger (before writing, so a crash leaves a
//! ledger entry to wipe rather than an entry nobody knows of), and start the reaper.

use serde::Serialize;

use crate::api::{self, Credential};
use crate::client::BrokerClient;
use crate::error::{Error, Result};
use crate::ledger::{Entry, Ledger, Target};
use crate::materialize::kubeyaml::KubeUndo;
use crate::materialize::{kubeconfig, kubeyaml};
use crate::output::{Printer, human_secs};
use crate::{credcache, paths, reaper};

#[derive(Serialize)]
struct Granted<'a> {
    request: &'a api::Request,
    written: Vec<String>,
    context: Option<String>,
}

pub async fn materialize(
    client: &BrokerClient,
    req: &api::Request,
    profile: &str,
    use_context: bool,
    p: &Printer,
) -> Result<()> {
    let cred = client.credentials(&req.id).await?;
    credcache::store(
        &req.id,
        &credcache::Cached {
            profile: profile.to_string(),
            resource: req.resource.clone(),
            credential: cred.clone(),
        },
    )?;
    let expires_at = req.expires_at.unwrap_or_else(|| cred.expires_at());
    let mut written = Vec::new();
    let mut context = None;
    match &cred {
        Credential::Kubernetes {
            server,
            certificate_authority_data,
            namespace,
            ..
        } => {
            let name = format!("zt-{}", req.resource);
            let file = paths::kubeconfig()?;
            let exe = std::env::current_exe()
                .map_err(|e| Error::io("cannot find the zt binary's own path", e))?;
            let mut exec_args = vec!["credential".to_string(), "kube".to_string(), req.id.clone()];
            if profile != "default" {
                exec_args.splice(0..0, ["--profile".to_string(), profile.to_string()]);
            }
            let exec_command = exe.to_string_lossy().into_owned();
            let expires = expires_at.to_rfc3339();
            let entry = kubeyaml::KubeEntry {
                name: &name,
                server,
                certificate_authority_data: certificate_authority_data.as_deref(),
                namespace: namespace.as_deref(),
                exec_command: &exec_command,
                exec_args: &exec_args,
                grant_id: &req.id,
                expires_at: &expires,
            };
            // The ledger first: a crash between the two leaves an entry to wipe, never an orphan.
            let mut led = Entry {
                grant: req.id.clone(),
                profile: profile.to_string(),
                resource: req.resource.clone(),
                role: req.role.clone(),
                expires_at: expires_at.0,
                target: Target::Kubeconfig {
                    file: file.clone(),
                    name: name.clone(),
                    undo: Default::default(),
                },
            };
            // A new grant for the same resource takes over the old entry; what the first apply
            // learned about the file (an original `[]`, the user's context) must survive.
            let mut replaced: Vec<Entry> = Vec::new();
            Ledger::modify(|l| {
                let (old, keep): (Vec<Entry>, Vec<Entry>) =
                    l.entries.drain(..).partition(|e| same_place(e, &led));
                l.entries = keep;
                replaced = old;
                led.target = with_undo(&led.target, prior_undo(&replaced));
                l.entries.push(led.clone());
                Ok(())
            })?;
            let undo = match kubeconfig::apply(&file, &entry, use_context) {
                Ok(u) => u,
                Err(e) => {
                    // Nothing was written: the ledger goes back to what it was.
                    let _ = Ledger::modify(|l| {
                        l.entries.retain(|x| x.grant != req.id);
                        l.entries.extend(replaced.iter().cloned());
                        Ok(())
                    });
                    return Err(e);
                }
            };
            let undo = match prior_undo(&replaced) {
                Some(first) => first.merge(undo),
                None => undo,
            };
            led.target = with_undo(&led.target, Some(undo));
            Ledger::modify(|l| {
                for e in l.entries.iter_mut().filter(|e| e.grant == req.id) {
                    *e = led.clone();
                }
                Ok(())
            })?;
            for old in replaced.iter().filter(|o| o.grant != req.id) {
                let _ = credcache::remove(&old.grant);
            }
            written.push(format!("kubeconfig context {name} in {}", file.display()));
            context = Some(name);
        }
        other => {
            p.warn(&format!(
                "zt does not yet write {} credentials to disk; the grant is live, and `zt credential` support for it is coming",
                kind_of(other)
            ));
        }
    }
    reaper::ensure_running();

    if p.json {
        // Minting made the grant active; report the request as it is now.
        let now = client
            .get_request(&req.id, None)
            .await
            .unwrap_or_else(|_| req.clone());
        p.json(&Granted {
            request: &now,
            written,
            context,
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
    for w in &written {
        p.note(format!("  wrote {w}"));
    }
    if let Some(c) = context {
        p.note(format!("  try: kubectl --context {c} get namespaces"));
        p.out(c);
    }
    Ok(())
}

fn prior_undo(replaced: &[Entry]) -> Option<KubeUndo> {
    replaced
        .iter()
        .map(|e| match &e.target {
            Target::Kubeconfig { undo, .. } => undo.clone(),
        })
        .next()
}

fn with_undo(t: &Target, undo: Option<KubeUndo>) -> Target {
    match t {
        Target::Kubeconfig { file, name, .. } => Target::Kubeconfig {
            file: file.clone(),
            name: name.clone(),
            undo: undo.unwrap_or_default(),
        },
    }
}

/// A new grant for the same resource replaces the old entry (same kubeconfig entry name).
fn same_place(a: &Entry, b: &Entry) -> bool {
    match (&a.target, &b.target) {
        (
            Target::Kubeconfig {
                file: fa, name: na, ..
            },
            Target::Kubeconfig {
                file: fb, name: nb, ..
            },
        ) => fa == fb && na == nb,
    }
}

fn kind_of(c: &Credential) -> &'static str {
    match c {
        Credential::Kubernetes { .. } => "kubernetes",
        Credential::Aws { .. } => "aws",
        Credential::Postgres { .. } => "postgres",
    }
}
