//! Build the whole dev broker for a URL: store, dev IdP, verifier trusting it, demo catalog
//! and policy, dev issuers, the extra `/oidc` routes, and the dev Kubernetes API's router for
//! its own HTTPS port. The foreground `zt-broker dev` and the tests use this same wiring.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;

use super::issuers::{DevIssuer, for_resource};
use crate::auth::{ClaimNames, JwksSource, TrustedIssuer, Verifier};
use crate::catalog::Catalog;
use crate::dev::idp::{DevIdp, DevIdpConfig, DevUser, WebClient};
use crate::dev::k8s::{self, tls::Endpoint};
use crate::error::{Error, Result};
use crate::issuers::ssh::ca::{DEV_CA_FILE, SshCa};
use crate::issuers::{Issuer, Issuers};
use crate::policy::{self, CedarPolicy, Policy, ReloadablePolicy};
use crate::review::{CALLBACK_PATH, DEFAULT_SESSION_TTL, Review, ReviewSettings};
use crate::state::{AppState, Broker};
use crate::store::Store;
use zt_api as api;

pub const CLIENT_ID: &str = "zt-cli";
/// The review page's client at the dev IdP (authorization code with PKCE).
pub const REVIEW_CLIENT_ID: &str = "zt-review";
pub const AUDIENCE: &str = "zt-broker";
/// Files in the data directory (the store's name is production's, as `audit verify` finds it).
pub use crate::config::{DB_FILE, SCOPES};
pub const IDP_KEY_FILE: &str = "dev-idp-key.pem";

pub struct DevOptions {
    /// Holds the SQLite database and the IdP's signing key.
    pub data_dir: PathBuf,
    pub users: Vec<DevUser>,
    pub auto_login: Option<String>,
    /// The dev Kubernetes API's HTTPS address and CA, as the dev issuer hands them out.
    pub k8s: Endpoint,
    /// A catalog to serve instead of the demo one (`--catalog FILE`).
    pub catalog: Option<PathBuf>,
    /// A real OpenID provider to trust beside the dev IdP, and to send `zt login` to
    /// (`--trust-issuer URL --audience AUD`).
    pub external: Option<ExternalIdp>,
    /// A directory of Cedar policies to decide with instead of the embedded demo ones (tests;
    /// not a `zt-broker dev` flag yet). They are loaded and validated here, so a bad file
    /// stops startup.
    pub policies: Option<PathBuf>,
    /// A PostgreSQL database (`postgres://…`) to keep the state in instead of the SQLite
    /// file (the load bench; not a `zt-broker dev` flag).
    pub store_url: Option<String>,
    /// The demo catalog's `prod-ssh`: where its sshd listens and whom it logs in as.
    pub ssh: DevSsh,
}

/// `zt-broker dev --ssh-port --ssh-user`: the demo `prod-ssh` host (on 127.0.0.1).
#[derive(Debug, Clone)]
pub struct DevSsh {
    pub port: u16,
    pub user: String,
}

impl Default for DevSsh {
    /// Port 2222 as the current user (`$USER`, else `dev`).
    fn default() -> Self {
        Self {
            port: DEFAULT_SSH_PORT,
            user: current_user(),
        }
    }
}

/// `zt-broker dev --ssh-port`'s default.
pub use crate::cli::DEV_SSH_PORT as DEFAULT_SSH_PORT;

/// The user running the dev broker, as `--ssh-user`'s default: `$USER` (`$LOGNAME`), else the
/// password database's name for this uid, else `dev`.
pub fn current_user() -> String {
    for var in ["USER", "LOGNAME"] {
        if let Ok(u) = std::env::var(var)
            && !u.is_empty()
        {
            return u;
        }
    }
    let out = std::process::Command::new("id").arg("-un").output();
    match out {
        Ok(o) if o.status.success() => {
            let name = String::from_utf8_lossy(&o.stdout).trim().to_string();
            if name.is_empty() { "dev".into() } else { name }
        }
        _ => "dev".into(),
    }
}

/// A real OpenID provider the dev broker trusts: its keys come from its discovery document.
#[derive(Debug, Clone)]
pub struct ExternalIdp {
    /// Exactly the provider's `issuer` (no trailing slash).
    pub issuer: String,
    /// What its access tokens for this broker carry in `aud`.
    pub audience: String,
}

pub struct DevBroker {
    pub url: String,
    pub state: AppState,
    pub idp: Arc<DevIdp>,
    /// The dev Kubernetes API, for [`k8s::serve`] on the listener `k8s` was bound for.
    pub k8s: Router,
    /// With [`DevOptions::policies`]: the set in force, for [`policy::watch`] to reload.
    pub policies: Option<ReloadablePolicy>,
}

/// Wire a dev broker that will answer at `url` (`http://127.0.0.1:PORT`, no trailing slash).
pub async fn build(url: &str, opts: DevOptions) -> Result<DevBroker> {
    if let Some(u) = &opts.auto_login
        && !opts.users.iter().any(|d| &d.name == u)
    {
        let names: Vec<_> = opts.users.iter().map(|d| d.name.as_str()).collect();
        return Err(Error::usage(format!(
            "--auto-login {u}: no such demo user (users: {})",
            names.join(", ")
        )));
    }
    let issuer = format!("{url}/oidc");
    // Where people open the review page: `http://localhost:PORT` (a host name, as WebAuthn
    // requires; the API's URL stays as it is).
    let review_base = crate::review_link::localhost_base(url);
    let store = match &opts.store_url {
        Some(url) => {
            let key = crate::store::KeySource::File {
                path: opts.data_dir.join(format!("{DB_FILE}.key")),
                create: true,
            };
            let key = crate::serve::load_key(&key)?;
            Store::connect_postgres(url, key).await?
        }
        None => Store::open(&opts.data_dir.join(DB_FILE)).await?,
    };
    let idp = DevIdp::new(DevIdpConfig {
        issuer: issuer.clone(),
        client_id: CLIENT_ID.into(),
        audience: AUDIENCE.into(),
        users: opts.users,
        auto_login: opts.auto_login,
        key_path: Some(opts.data_dir.join(IDP_KEY_FILE)),
        access_ttl: Duration::from_secs(15 * 60),
        interval_secs: 1,
        web_clients: vec![WebClient {
            client_id: REVIEW_CLIENT_ID.into(),
            redirect_uris: vec![format!("{review_base}{CALLBACK_PATH}")],
        }],
    })
    .map_err(|e| Error::other(format!("dev IdP: {e}")))?;
    let mut trusted = vec![TrustedIssuer {
        issuer: issuer.clone(),
        audience: AUDIENCE.into(),
        jwks: JwksSource::Static(idp.jwks()),
        claims: ClaimNames::default(),
        leeway_secs: 30,
        min_refetch_interval: Duration::from_secs(300),
        acr_values: vec![super::idp::DEV_ACR.to_string()],
    }];
    if let Some(ext) = &opts.external {
        if !(ext.issuer.starts_with("https://") || ext.issuer.starts_with("http://")) {
            return Err(Error::usage(format!(
                "--trust-issuer {}: not an http(s) URL",
                ext.issuer
            )));
        }
        // Its ACR values, weakest first, as its discovery document lists them (the dev
        // broker has no config to list them in; `serve` takes them from the config) — read
        // only when there are policies whose `@step_up` they are checked against.
        let acr_values = match &opts.policies {
            Some(_) => crate::auth::discover_acr_values(&reqwest::Client::new(), &ext.issuer).await,
            None => Vec::new(),
        };
        trusted.push(TrustedIssuer {
            leeway_secs: 30,
            acr_values,
            ..TrustedIssuer::new(&ext.issuer, &ext.audience, JwksSource::Discover)
        });
    }
    let known_acrs = crate::config::known_acrs(&trusted);
    let verifier = Verifier::new(trusted, reqwest::Client::new());
    let catalog = match &opts.catalog {
        None => {
            super::demo::catalog_with_ssh(opts.ssh.port, &opts.ssh.user).map_err(Error::other)?
        }
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| Error::io(format!("cannot read the catalog {}", path.display()), e))?;
            Catalog::parse(&text).map_err(|e| Error::other(format!("{}: {e}", path.display())))?
        }
    };
    let mut issuers = Issuers::default();
    let dev_issuer: Arc<dyn Issuer> = DevIssuer::new(
        opts.k8s.server.as_str(),
        Some(&opts.k8s.ca_pem),
        store.clone(),
    );
    // The SSH user CA: the data directory's (0600), made at the first start.
    let ssh_ca =
        Arc::new(SshCa::load_or_create(&opts.data_dir.join(DEV_CA_FILE)).map_err(Error::other)?);
    for res in catalog.resources() {
        if res.kind == api::ResourceKind::Ssh {
            let issuer = crate::issuers::ssh_issuer(res, Some(&ssh_ca), &store)
                .map_err(|e| Error::usage(format!("catalog: {e}")))?;
            issuers.insert(res.name.clone(), issuer);
            continue;
        }
        // A catalog given with `--catalog` may point a resource at a real target.
        let issuer = for_resource(res, dev_issuer.clone()).map_err(Error::other)?;
        issuers.insert(res.name.clone(), issuer);
    }
    let issuer_for_review = issuer.clone();
    // `zt login` goes where the broker says: the external provider when there is one.
    let (login_issuer, login_audience) = match &opts.external {
        Some(ext) => (ext.issuer.clone(), ext.audience.clone()),
        None => (issuer, AUDIENCE.to_string()),
    };
    let discovery = api::Discovery {
        issuer: login_issuer,
        client_id: CLIENT_ID.into(),
        scopes: SCOPES.iter().map(|s| s.to_string()).collect(),
        audience: login_audience,
        broker_version: env!("CARGO_PKG_VERSION").into(),
    };
    let (policy, reloadable): (Box<dyn Policy>, _) = match &opts.policies {
        // The catalog's own group rules, as Cedar policies (the demo catalog's or --catalog's).
        None => (
            Box::new(
                policy::catalog::policy(&catalog)
                    .map_err(|e| Error::other(format!("catalog policies:\n{e}")))?,
            ),
            None,
        ),
        Some(dir) => {
            let set = CedarPolicy::load_dir(dir)
                .and_then(|set| set.check_acrs(&known_acrs).map(|()| set))
                .map_err(|e| {
                    Error::usage(format!("policies {}:\n{e}", dir.display()))
                        .with_hint("fix the policy (see policies/README.md), then start again")
                })?;
            let set = ReloadablePolicy::new(set).with_known_acrs(known_acrs);
            (Box::new(set.clone()), Some(set))
        }
    };
    let broker = Broker::new(store.clone(), catalog, policy, issuers, verifier, discovery);
    broker.set_ssh_ca(ssh_ca);
    broker.set_public_base(&review_base);
    // The review page signs in at the dev IdP (also when `zt login` goes to an external one).
    let review = Review::new(
        broker.clone(),
        ReviewSettings {
            issuer: issuer_for_review,
            client_id: REVIEW_CLIENT_ID.into(),
            client_secret: None,
            redirect_uri: format!("{review_base}{CALLBACK_PATH}"),
            scopes: ["openid", "email", "profile", "groups"]
                .map(String::from)
                .to_vec(),
            session_ttl: DEFAULT_SESSION_TTL,
        },
    )
    .map_err(|e| Error::other(format!("review page: {e}")))?;
    let extra = Router::new()
        .nest("/oidc", idp.clone().router())
        .merge(crate::review::router(review));
    Ok(DevBroker {
        url: url.to_owned(),
        state: AppState::new(broker).with_routes(extra),
        idp,
        k8s: k8s::router(store),
        policies: reloadable,
    })
}
