//! `zt-broker serve` and `zt-broker check`: the broker as a configuration file describes it.
//! Wired as `zt-broker dev` wires minus what only a demo has — the dev IdP and the dev
//! Kubernetes API: the store, a [`Verifier`] over the configured trusted issuers, the catalog,
//! the policies of `[policy] dir` (reloaded on SIGHUP or a change there; without it the
//! catalog's group rules), the issuer each resource names, the reaper, and [`server::serve`] on
//! plain HTTP or on TLS ([`crate::tls`]).
//!
//! Production code: nothing here comes from the `dev` module. A resource that names
//! `issuer = "dev"` gets the development issuers the caller hands in ([`DevIssuers`]; the
//! binary passes `dev::issuers::for_serve`), and a loud warning at every start and `check`.
//!
//! [`start`] binds and wires (tests use it on `127.0.0.1:0`), [`Server::run`] serves until
//! the shutdown future; [`main`] is both plus the announcement line; [`check`] reads
//! everything `serve` would without opening or contacting anything.

pub mod audit;
mod check;
mod open;
pub mod ssh;
#[cfg(test)]
mod tests;

use check::check_passkeys;
pub use check::{check, check_main, load_ssh_ca};
pub use open::tls_config;
pub(crate) use open::{load_key, open_store};

use std::future::Future;
use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use tokio::net::TcpListener;

use crate::auth::Verifier;
use crate::catalog::Resource;
use crate::config::{Config, PolicyDir};
use crate::error::{Error, Result};
use crate::issuers::{DevIssuers, Issuer, Issuers};
use crate::policy;
use crate::state::{AppState, Broker};
use crate::store::events::Events;
use crate::tls::TlsListener;
use crate::webhooks::Webhooks;
use crate::{reaper, server};
use zt_api as api;

/// The first line on stdout, which tests and scripts parse.
pub fn listening_line(url: &str) -> String {
    format!("zt-broker listening on {url}")
}

/// Where the review pages' links point: with a review page, the origin it signs people in on
/// (its redirect URI's: a session cookie set there is sent there only), else `url`, where
/// clients reach the broker.
fn review_base(cfg: &Config, url: &str) -> String {
    cfg.review
        .as_ref()
        .and_then(|r| crate::review::origin_of(&r.redirect_uri).ok())
        .map(|(origin, _)| origin)
        .unwrap_or_else(|| url.to_string())
}

/// What decides: the policy directory's set (reloadable), or the catalog's group rules.
enum Loaded {
    Dir(policy::ReloadablePolicy, PolicyDir),
    Catalog(Box<policy::CedarPolicy>),
}

fn load_policy(cfg: &Config) -> Result<Loaded> {
    match &cfg.policy {
        Some(dir) => {
            let known = crate::config::known_acrs(&cfg.trusted_issuers);
            let set = policy::CedarPolicy::load_dir(&dir.dir)
                .and_then(|set| set.check_acrs(&known).map(|()| set))
                .map_err(|e| {
                    Error::usage(format!("[policy] dir {}:\n{e}", dir.shown.display()))
                        .with_hint("fix the policy (see policies/README.md), then start again")
                })?;
            let set = policy::ReloadablePolicy::new(set).with_known_acrs(known);
            Ok(Loaded::Dir(set, dir.clone()))
        }
        None => policy::catalog::policy(&cfg.catalog)
            .map(|p| Loaded::Catalog(Box::new(p)))
            .map_err(|e| Error::other(format!("catalog policies:\n{e}"))),
    }
}

/// `zt-broker serve`: load, bind, wire, announce, serve until `shutdown` ([`signals`] in the
/// binary), then stop the reaper and close the store.
pub async fn main(
    path: &Path,
    dev: DevIssuers,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<()> {
    let cfg = Config::load(path)?;
    let server = start(&cfg, dev).await?;
    {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{}", listening_line(&server.url));
        let _ = out.flush();
    }
    notes(&cfg);
    let served = server.run(shutdown).await;
    tracing::info!("stopped");
    served
}

/// Resolves at SIGINT or SIGTERM: a graceful stop. The binary's shutdown future for `serve`
/// and for a foreground `zt-broker dev`.
pub async fn signals() -> Result<impl Future<Output = ()> + Send + 'static> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term =
        signal(SignalKind::terminate()).map_err(|e| Error::io("cannot watch SIGTERM", e))?;
    let mut int =
        signal(SignalKind::interrupt()).map_err(|e| Error::io("cannot watch SIGINT", e))?;
    Ok(async move {
        tokio::select! {
            _ = term.recv() => {}
            _ = int.recv() => {}
        }
    })
}

fn notes(cfg: &Config) {
    let issuers: Vec<&str> = cfg
        .trusted_issuers
        .iter()
        .map(|t| t.issuer.as_str())
        .collect();
    let resources: Vec<&str> = cfg
        .catalog
        .resources()
        .iter()
        .map(|r| r.name.as_str())
        .collect();
    tracing::info!("trusting {}", issuers.join(", "));
    tracing::info!("catalog: {}", resources.join(", "));
    match &cfg.policy {
        Some(p) => tracing::info!(
            "policies: {} (reloaded on SIGHUP and when a file there changes)",
            p.shown.display()
        ),
        None => tracing::info!("policies: the catalog's groups (no [policy] dir)"),
    }
    if let Some(r) = &cfg.review {
        tracing::info!(
            "review page: {} (signs in at {} as client {})",
            r.redirect_uri.trim_end_matches("/callback"),
            cfg.login.issuer,
            r.client_id
        );
    }
    warn_dev_issuers(cfg);
}

/// The resources that chose `issuer = "dev"`: credentials in the real formats with nothing
/// real behind them, handed out by a production broker.
pub fn dev_issued(cfg: &Config) -> Vec<&str> {
    cfg.catalog
        .resources()
        .iter()
        .filter(|r| r.settings.get("issuer").and_then(|v| v.as_str()) == Some("dev"))
        .map(|r| r.name.as_str())
        .collect()
}

/// Say it loudly, at every start and in `check`, where operators look: a resource on the dev
/// issuers in production is almost always a mistake.
fn warn_dev_issuers(cfg: &Config) {
    let dev = dev_issued(cfg);
    if !dev.is_empty() {
        tracing::warn!(
            "WARNING: {} use the development issuers (issuer = \"dev\"): credentials \
             in the real formats that open nothing. Not for production: set settings.issuer to \
             kubernetes, postgres or aws-sts",
            dev.join(", ")
        );
    }
}

enum Listener {
    Plain(TcpListener),
    Tls(TlsListener),
}

/// A bound, wired broker, not serving yet.
pub struct Server {
    /// Where clients reach it: `public_url`, else derived from the bound address.
    pub url: String,
    pub state: AppState,
    listener: Listener,
    /// PostgreSQL: the other replicas' changes, already `LISTEN`ed to.
    events: Option<Events>,
    /// `[policy] dir`: the set to reload and where from.
    policies: Option<(policy::ReloadablePolicy, PolicyDir)>,
}

/// Bind the configured address and wire the broker. The TLS files are read first, so a bad
/// certificate fails before anything is bound or opened. `dev` makes the issuers of resources
/// that name `issuer = "dev"`.
pub async fn start(cfg: &Config, dev: DevIssuers) -> Result<Server> {
    let tls = cfg.server.tls.as_ref().map(tls_config).transpose()?;
    let addr = cfg.server.listen;
    let tcp = TcpListener::bind(addr)
        .await
        .map_err(|e| Error::io(format!("cannot listen on {addr}"), e))?;
    let local = tcp.local_addr().map_err(|e| Error::io("listener", e))?;
    let scheme = if tls.is_some() { "https" } else { "http" };
    let url = match &cfg.server.public_url {
        Some(u) => u.clone(),
        None => format!("{scheme}://{local}"),
    };
    let listener = match tls {
        Some(config) => Listener::Tls(
            TlsListener::new(tcp, config, "zt-broker").map_err(|e| Error::io("listener", e))?,
        ),
        None => Listener::Plain(tcp),
    };
    let (state, policies) = wire(cfg, dev).await?;
    let base = review_base(cfg, &url);
    let dir_asks = policies
        .as_ref()
        .is_some_and(|(p, _)| p.current().asks_for_passkeys());
    check_passkeys(cfg, dir_asks, &base)?;
    let set = policies.as_ref().map(|(p, _)| p.current());
    crate::oncall::check::warn_unknown(cfg, set.as_deref());
    state.broker.set_public_base(&base);
    // The schedules' first read, before serving: a feed that fails now is retried in the
    // background (and nobody is on call for it meanwhile), it does not stop the broker.
    if let Some(oc) = state.broker.oncall() {
        oc.refresh_all(&state.broker.store).await;
    }
    let events = Events::listen(&state.broker.store)
        .await
        .map_err(|e| Error::other(format!("store: listening for other replicas' changes: {e}")))?;
    Ok(Server {
        url,
        state,
        listener,
        events,
        policies,
    })
}

impl Server {
    /// Serve until `shutdown` resolves; then stop the reaper and close the store.
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send + 'static) -> Result<()> {
        let broker = self.state.broker.clone();
        let reaper = reaper::spawn(broker.clone());
        let follower = broker.follow(self.events);
        let oncall = crate::oncall::refresh::spawn(&broker);
        let watcher = match self.policies {
            Some((p, dir)) => Some(
                policy::watch::spawn(
                    broker.store.clone(),
                    broker.closing.subscribe(),
                    p,
                    dir.dir,
                    policy::watch::POLL,
                )
                .map_err(|e| Error::io("SIGHUP handler", e))?,
            ),
            None => None,
        };
        let served = match self.listener {
            Listener::Plain(l) => server::serve(l, self.state, shutdown).await,
            Listener::Tls(l) => server::serve(l, self.state, shutdown).await,
        };
        // Also when serving failed: the reaper stops only when told.
        broker.closing.send_replace(true);
        let _ = reaper.await;
        for task in [follower, watcher, oncall].into_iter().flatten() {
            let _ = task.await;
        }
        broker.store.close().await;
        served.map_err(|e| Error::io("server", e))
    }
}

/// The broker for a configuration: what `dev::wire::build` does, minus the dev IdP (tokens come
/// from the trusted issuers) and the dev Kubernetes API. With `[policy] dir`, also the set to
/// reload from there. The policies load before the store opens: a broken one changes nothing.
pub async fn wire(
    cfg: &Config,
    dev: DevIssuers,
) -> Result<(AppState, Option<(policy::ReloadablePolicy, PolicyDir)>)> {
    let (decides, reloadable): (Box<dyn policy::Policy>, _) = match load_policy(cfg)? {
        Loaded::Dir(p, dir) => (Box::new(p.clone()), Some((p, dir))),
        Loaded::Catalog(p) => (p, None),
    };
    let ssh_ca = load_ssh_ca(cfg)?;
    let store = open_store(&cfg.store, &cfg.store_key).await?;
    let verifier = Verifier::new(cfg.trusted_issuers.clone(), reqwest::Client::new());
    let mut issuers = Issuers::default();
    // Every resource names its issuer (the configuration insists); `"dev"` selects no real one.
    let mut dev_issuer: Option<Arc<dyn Issuer>> = None;
    for res in cfg.catalog.resources() {
        if res.kind == api::ResourceKind::Ssh {
            let issuer = crate::issuers::ssh_issuer(res, ssh_ca.as_ref(), &store)
                .map_err(|e| Error::usage(format!("catalog: {e}")))?;
            issuers.insert(res.name.clone(), issuer);
            continue;
        }
        let issuer = match real_issuer(res)? {
            Some(real) => real,
            None => dev_issuer.get_or_insert_with(|| dev(store.clone())).clone(),
        };
        issuers.insert(res.name.clone(), issuer);
    }
    let discovery = api::Discovery {
        issuer: cfg.login.issuer.clone(),
        client_id: cfg.login.client_id.clone(),
        scopes: cfg.login.scopes.clone(),
        audience: cfg.login.audience.clone(),
        broker_version: env!("CARGO_PKG_VERSION").into(),
    };
    let broker = Broker::with_admin_groups(
        store,
        cfg.catalog.clone(),
        decides,
        issuers,
        verifier,
        discovery,
        cfg.admin_groups.clone(),
    );
    broker.set_review_window(cfg.requests.review_window);
    broker
        .schedule
        .set(cfg.grants.claim_window, cfg.grants.max_start_ahead);
    if let Some(ca) = ssh_ca {
        broker.set_ssh_ca(ca);
    }
    if !cfg.webhooks.is_empty() {
        broker.set_webhooks(Webhooks::start(cfg.webhooks.clone(), broker.store.clone()));
    }
    if !cfg.oncall.is_empty() {
        let clock = Arc::new(crate::oncall::clock::SystemClock);
        broker.set_oncall(crate::oncall::OnCall::new(cfg.oncall.clone(), clock));
    }
    let mut state = AppState::new(broker.clone());
    if let Some(r) = &cfg.review {
        state = state.with_routes(review_routes(broker, &cfg.login.issuer, r)?);
    }
    Ok((state, reloadable))
}

/// The review page (`[review]`), signing in at the `[login]` issuer.
fn review_routes(
    broker: Arc<Broker>,
    issuer: &str,
    r: &crate::config::ReviewConfig,
) -> Result<axum::Router> {
    let settings = crate::review::ReviewSettings {
        issuer: issuer.to_owned(),
        client_id: r.client_id.clone(),
        client_secret: r.client_secret().map_err(Error::usage)?,
        redirect_uri: r.redirect_uri.clone(),
        scopes: r.scopes.clone(),
        session_ttl: r.session_ttl,
    };
    let review = crate::review::Review::new(broker, settings)
        .map_err(|e| Error::usage(format!("[review]: {e}")))?;
    Ok(crate::review::router(review))
}

/// The real issuer a resource's `settings.issuer` selects, checked (settings of every role)
/// without contacting anything; `None` for `"dev"` (the configuration refuses a resource
/// without the setting).
pub fn real_issuer(res: &Resource) -> Result<Option<Arc<dyn Issuer>>> {
    crate::issuers::real(res).map_err(|e| Error::usage(format!("catalog: {e}")))
}
