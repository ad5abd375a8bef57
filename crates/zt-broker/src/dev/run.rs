//! `zt-broker dev` in the foreground: bind (the broker's plain-HTTP port and the dev Kubernetes
//! API's HTTPS port), wire, announce (one line on stdout that tests parse, notes for people on
//! stderr), serve until the shutdown future (SIGINT/SIGTERM), then clean up the state file and
//! a temporary data directory.

// What `zt-broker dev` says to the person who ran it is its answer, not a log line.
#![allow(clippy::print_stderr)]

use std::future::Future;
use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use super::k8s;
use super::statefile::{self, DevBrokerFile};
use super::wire::{self, DevOptions};
use crate::catalog::{Catalog, Resource};
use crate::cli::DevArgs;
use crate::crypto;
use crate::dev::idp::DevIdp;
use crate::error::{Error, Result};
use crate::{reaper, server};

/// The data directory: kept (`--data-dir`) or temporary, removed when dropped.
struct DataDir {
    path: PathBuf,
    temporary: bool,
}

impl DataDir {
    fn new(kept: Option<&Path>) -> Result<Self> {
        let (path, temporary) = match kept {
            Some(p) => (
                std::path::absolute(p).map_err(|e| Error::io(p.display(), e))?,
                false,
            ),
            None => {
                let rand = crypto::random_string(crypto::LOWER_ALNUM, 8).map_err(Error::other)?;
                (
                    std::env::temp_dir()
                        .join(format!("zt-broker-dev-{}-{rand}", std::process::id())),
                    true,
                )
            }
        };
        zt_files::ensure_private_dir(&path).map_err(|e| Error::other(e.to_string()))?;
        Ok(Self { path, temporary })
    }
}

impl Drop for DataDir {
    fn drop(&mut self) {
        if self.temporary {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

/// The line tests and `--detach` parse: the first line on stdout.
pub fn listening_line(url: &str) -> String {
    format!("zt-broker dev listening on {url}")
}

/// The real issuer a resource's settings pick (`settings.issuer`, other than `dev`).
fn real_issuer(res: &Resource) -> Option<&str> {
    res.settings
        .get("issuer")
        .and_then(|v| v.as_str())
        .filter(|i| *i != "dev")
}

/// What is printed at start: the catalog as served (the demo one, or `--catalog`'s), and
/// whether what it issues opens anything real.
fn notes(url: &str, k8s: &str, catalog: &Catalog, data: &DataDir, auto_login: Option<&str>) {
    let users: Vec<String> = DevIdp::demo_users()
        .iter()
        .map(|u| format!("{} ({})", u.name, u.groups.join(", ")))
        .collect();
    let kept = if data.temporary {
        "temporary, deleted at exit"
    } else {
        "kept"
    };
    let resources = catalog.resources();
    let real: Vec<String> = resources
        .iter()
        .filter_map(|r| real_issuer(r).map(|i| format!("{} ({i})", r.name)))
        .collect();
    if real.is_empty() {
        eprintln!("zt-broker dev: a development broker; nothing it issues opens anything real.");
    } else {
        eprintln!(
            "zt-broker dev: a development broker with REAL issuers: the credentials of {} open \
             real systems.",
            real.join(", ")
        );
    }
    let listed: Vec<String> = resources
        .iter()
        .map(|r| match real_issuer(r) {
            Some(i) => format!("{} ({}, {i} issuer)", r.name, r.kind),
            None => format!("{} ({})", r.name, r.kind),
        })
        .collect();
    let dev_k8s: Vec<&str> = resources
        .iter()
        .filter(|r| r.kind == zt_api::ResourceKind::Kubernetes && real_issuer(r).is_none())
        .map(|r| r.name.as_str())
        .collect();
    eprintln!("  log in:   zt login --broker {url}");
    eprintln!("  users:    {}", users.join(", "));
    eprintln!("  catalog:  {}", listed.join(", "));
    if !dev_k8s.is_empty() {
        eprintln!(
            "  k8s API:  {k8s} ({}; its CA goes into the kubeconfigs zt writes)",
            dev_k8s.join(", ")
        );
    }
    eprintln!(
        "  review:   {}/review (approvers sign in in the browser)",
        crate::review_link::localhost_base(url)
    );
    let ssh: Vec<String> = resources
        .iter()
        .filter(|r| r.kind == zt_api::ResourceKind::Ssh)
        .map(|r| {
            let at = |k: &str| r.settings.get(k).map(|v| v.to_string()).unwrap_or_default();
            format!(
                "{} on {}:{}",
                r.name,
                at("host").trim_matches('"'),
                at("port")
            )
        })
        .collect();
    if !ssh.is_empty() {
        eprintln!(
            "  ssh CA:   {url}/v1/ssh/ca (KRL: /v1/ssh/krl); {} open only an sshd that trusts it \
             (README \"SSH hosts\")",
            ssh.join(", ")
        );
    }
    eprintln!("  data:     {} ({kept})", data.path.display());
    eprintln!("  stop:     Ctrl-C, or `zt-broker dev stop` when detached");
    if let Some(u) = auto_login {
        eprintln!();
        eprintln!("  !!! DEV ONLY: --auto-login {u} !!!");
        eprintln!("  !!! Every device login is approved as {u} without asking. Anyone who can");
        eprintln!("  !!! reach {url} can act as {u}. Never use this outside a demo or a test.");
    }
}

pub async fn run(
    args: &DevArgs,
    state_dir: &Path,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<()> {
    if !args.listen.is_loopback() {
        return Err(Error::usage(format!(
            "--listen {}: the dev broker listens on loopback only",
            args.listen
        ))
        .with_hint("its API port has no TLS and it hands out demo logins; use 127.0.0.1 or ::1"));
    }
    if let Some(f) = statefile::running(state_dir).await {
        return Err(Error::other(format!(
            "a dev broker is already running at {} (pid {})",
            f.url, f.pid
        ))
        .with_hint("stop it with `zt-broker dev stop`"));
    }
    let data = DataDir::new(args.data_dir.as_deref())?;
    let addr = SocketAddr::new(args.listen, args.port);
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| {
        Error::io(format!("cannot listen on {addr}"), e)
            .with_hint("pick another --port (0: any free one)")
    })?;
    let local = listener
        .local_addr()
        .map_err(|e| Error::io("listener", e))?;
    let url = format!("http://{local}");
    // The CA and port are kept only with a kept data directory: a temporary one dies with us.
    let keep = (!data.temporary).then_some(data.path.as_path());
    let (k8s_listener, k8s) = k8s::tls::bind(args.listen, keep).await?;
    let dev = wire::build(
        &url,
        DevOptions {
            data_dir: data.path.clone(),
            users: DevIdp::demo_users(),
            auto_login: args.auto_login.clone(),
            k8s: k8s.clone(),
            catalog: args.catalog.clone(),
            external: args.trust_issuer.as_ref().map(|issuer| wire::ExternalIdp {
                issuer: issuer.trim_end_matches('/').to_string(),
                audience: args.audience.clone(),
            }),
            policies: args.policies.clone(),
            store_url: None,
            ssh: wire::DevSsh {
                port: args.ssh_port,
                user: args.ssh_user.clone().unwrap_or_else(wire::current_user),
            },
        },
    )
    .await?;
    let broker = dev.state.broker.clone();
    broker.set_review_window(args.review_window);
    broker.schedule.set(
        args.claim_window,
        crate::domain::schedule::DEFAULT_MAX_START_AHEAD,
    );
    let reaper = reaper::spawn(broker.clone());
    // Before the announcement: a feed file that does not read stops the start.
    let oncall = super::oncall::start(&broker, args).await?;
    let watcher = match (dev.policies.clone(), &args.policies) {
        (Some(set), Some(dir)) => Some(
            crate::policy::watch::spawn(
                broker.store.clone(),
                broker.closing.subscribe(),
                set,
                dir.clone(),
                crate::policy::watch::POLL,
            )
            .map_err(|e| Error::io("SIGHUP handler", e))?,
        ),
        _ => None,
    };
    let k8s_server = tokio::spawn(k8s::serve(
        k8s_listener,
        dev.k8s,
        broker.closing.subscribe(),
    ));

    let pid = std::process::id();
    statefile::write(
        state_dir,
        &DevBrokerFile {
            url: url.clone(),
            pid,
            data_dir: data.path.clone(),
        },
    )?;
    {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{}", listening_line(&url));
        let _ = out.flush();
    }
    notes(
        &url,
        &k8s.server,
        &broker.catalog,
        &data,
        args.auto_login.as_deref(),
    );
    if let Some(dir) = &args.policies {
        eprintln!(
            "  policies: {} (reloaded on SIGHUP and when a file there changes)",
            dir.display()
        );
    }
    if let Some(i) = &args.trust_issuer {
        eprintln!(
            "  login:    through {i} (audience {}); the dev IdP is trusted too",
            args.audience
        );
    }

    let served = server::serve(listener, dev.state, shutdown).await;
    broker.closing.send_replace(true);
    if let Ok(Err(e)) = k8s_server.await {
        tracing::error!("dev Kubernetes API: {e}");
    }
    let _ = reaper.await;
    for task in [watcher, oncall].into_iter().flatten() {
        let _ = task.await;
    }
    broker.store.close().await;
    statefile::remove_if_ours(state_dir, pid);
    eprintln!("zt-broker dev: stopped");
    served.map_err(|e| Error::io("server", e))
}
