//! What every handler, the reaper and the dev endpoints share: one [`Broker`] (store, catalog,
//! policy, issuers, verifier, wake-ups), behind an `Arc` in the axum state [`AppState`].

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;

use crate::auth::{Principal, Verifier};
use crate::catalog::Catalog;
use crate::issuers::Issuers;
use crate::policy::Policy;
use crate::store::Store;
use crate::store::events::Events;
use crate::sync::{MintLocks, Notifier};
use crate::webhooks::Webhooks;
use zt_api as api;

/// Members of this group may revoke anyone's grant and read any request, unless the broker is
/// given other admin groups ([`Broker::with_admin_groups`]; `admin_groups` in the config).
pub const ADMIN_GROUP: &str = "zt-admins";

pub struct Broker {
    pub store: Store,
    pub catalog: Catalog,
    pub policy: Box<dyn Policy>,
    pub issuers: Issuers,
    pub verifier: Verifier,
    /// `GET /.well-known/zt`.
    pub discovery: api::Discovery,
    /// Long-poll wake-ups by request id.
    pub notifier: Arc<Notifier>,
    pub mint_locks: MintLocks,
    /// Wakes the reaper when a new grant (a new next expiry) appears.
    pub reaper_wake: Notify,
    /// When the reaper looks next, in Unix milliseconds; `i64::MAX` while it is looking (or
    /// has not yet): see [`Broker::reaper_due`].
    reaper_next_look: AtomicI64,
    /// Flips to `true` when the server starts shutting down: long-polls answer at once and
    /// the reaper stops.
    pub closing: watch::Sender<bool>,
    /// Members of any of these may revoke anyone's grant and read any request.
    pub admin_groups: Vec<String>,
    /// How long a pending request waits for a decision before it expires, in seconds
    /// ([`Broker::review_window`]).
    review_window_secs: AtomicU64,
    /// Where notifications go (`[[webhook]]`); unset: nowhere.
    webhooks: OnceLock<Webhooks>,
    /// Where people open the review pages (`review_link`); set once, at wiring.
    public_base: OnceLock<String>,
    /// The SSH user CA (`[ssh]`; the dev broker's own): `GET /v1/ssh/ca` and `/v1/ssh/krl`.
    ssh_ca: OnceLock<Arc<crate::issuers::ssh::ca::SshCa>>,
    /// `[grants]`: first-use claim window, how far ahead a grant may be scheduled.
    pub schedule: crate::domain::schedule::Windows,
    /// Failed revocations so far, by grant (this replica's count; cleared on success).
    revoke_failures: std::sync::Mutex<std::collections::HashMap<String, u32>>,
    /// The on-call schedules (`[oncall.NAME]`; `zt-broker dev --oncall`); unset: none.
    oncall: OnceLock<Arc<crate::oncall::OnCall>>,
}

/// `[requests] review_window` when the configuration says nothing.
pub const DEFAULT_REVIEW_WINDOW: Duration = Duration::from_secs(24 * 3600);

impl Broker {
    pub fn new(
        store: Store,
        catalog: Catalog,
        policy: Box<dyn Policy>,
        issuers: Issuers,
        verifier: Verifier,
        discovery: api::Discovery,
    ) -> Arc<Self> {
        Self::with_admin_groups(
            store,
            catalog,
            policy,
            issuers,
            verifier,
            discovery,
            vec![ADMIN_GROUP.into()],
        )
    }

    /// [`Broker::new`] with the admin groups named (an empty list: no admins).
    pub fn with_admin_groups(
        store: Store,
        catalog: Catalog,
        policy: Box<dyn Policy>,
        issuers: Issuers,
        verifier: Verifier,
        discovery: api::Discovery,
        admin_groups: Vec<String>,
    ) -> Arc<Self> {
        Arc::new(Self {
            store,
            catalog,
            policy,
            issuers,
            verifier,
            discovery,
            notifier: Arc::default(),
            mint_locks: MintLocks::default(),
            reaper_wake: Notify::new(),
            reaper_next_look: AtomicI64::new(i64::MAX),
            closing: watch::channel(false).0,
            admin_groups,
            review_window_secs: AtomicU64::new(DEFAULT_REVIEW_WINDOW.as_secs()),
            webhooks: OnceLock::new(),
            public_base: OnceLock::new(),
            ssh_ca: OnceLock::new(),
            revoke_failures: Default::default(),
            oncall: OnceLock::new(),
            schedule: Default::default(),
        })
    }

    /// How long a pending request may wait for a decision.
    pub fn review_window(&self) -> Duration {
        Duration::from_secs(self.review_window_secs.load(Ordering::Relaxed))
    }

    /// Something new falls due at `due` (a grant's end, a pending request's review deadline),
    /// already committed: wake the reaper, unless it will look by then anyway — a burst of
    /// creates costs it no extra passes. It is woken while it is looking, because that look
    /// may have read the store before the commit.
    pub fn reaper_due(&self, due: api::Timestamp) {
        if due.0.saturating_mul(1000) < self.reaper_next_look.load(Ordering::SeqCst) {
            self.reaper_wake.notify_one();
        }
    }

    /// The reaper starts a look (`None`), or will look next after `sleep`.
    pub fn reaper_looks(&self, sleep: Option<Duration>) {
        let at = sleep.map_or(i64::MAX, |d| {
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap_or_default();
            i64::try_from((now + d).as_millis()).unwrap_or(i64::MAX)
        });
        self.reaper_next_look.store(at, Ordering::SeqCst);
    }

    /// Set at wiring, before the reaper starts (from the configuration or `zt-broker dev
    /// --review-window`).
    pub fn set_review_window(&self, window: Duration) {
        self.review_window_secs
            .store(window.as_secs().max(1), Ordering::Relaxed);
    }

    /// Send notifications to these webhooks from now on (set once, at wiring).
    pub fn set_webhooks(&self, hooks: Webhooks) {
        if self.webhooks.set(hooks).is_err() {
            tracing::warn!("webhooks were already set; the second set is ignored");
        }
    }

    /// The broker's SSH user CA from now on (set once, at wiring).
    pub fn set_ssh_ca(&self, ca: Arc<crate::issuers::ssh::ca::SshCa>) {
        if self.ssh_ca.set(ca).is_err() {
            tracing::warn!("the SSH CA was already set; the second set is ignored");
        }
    }

    /// The on-call schedules from now on (set once, at wiring).
    pub fn set_oncall(&self, oncall: Arc<crate::oncall::OnCall>) {
        if self.oncall.set(oncall).is_err() {
            tracing::warn!("the on-call schedules were already set; the second set is ignored");
        }
    }

    /// The on-call schedules, when there are any.
    pub fn oncall(&self) -> Option<&Arc<crate::oncall::OnCall>> {
        self.oncall.get()
    }

    /// The broker's SSH user CA, when it has one.
    pub fn ssh_ca(&self) -> Option<&Arc<crate::issuers::ssh::ca::SshCa>> {
        self.ssh_ca.get()
    }

    /// The base of the review links (`public_url`, else the URL served; no trailing slash).
    /// Set once, at wiring.
    pub fn set_public_base(&self, base: &str) {
        if self
            .public_base
            .set(base.trim_end_matches('/').to_owned())
            .is_err()
        {
            tracing::warn!("the public base was already set; the second set is ignored");
        }
    }

    /// See [`Broker::set_public_base`]; `None` until then.
    pub fn public_base(&self) -> Option<&str> {
        self.public_base.get().map(String::as_str)
    }

    /// Queue a webhook notification, if any webhook is configured. Never waits. The request
    /// goes as the API shows it (with its review link while pending).
    pub fn announce(&self, event: &'static str, request: &api::Request) {
        if let Some(w) = self.webhooks.get() {
            w.send(event, crate::review_link::stamped(self, request.clone()));
        }
    }

    /// Count one more failed revocation of grant `id`'s credential. Returns the attempt
    /// number when it should be told (audited, announced): the 1st, 2nd, 4th, 8th, … — the
    /// reaper retries every few seconds, the alerts back off exponentially.
    pub fn revoke_failed(&self, id: &str) -> Option<u32> {
        let mut map = self
            .revoke_failures
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        let n = map.entry(id.to_owned()).or_default();
        *n = n.saturating_add(1);
        n.is_power_of_two().then_some(*n)
    }

    /// Grant `id`'s credential was revoked: forget its failures.
    pub fn revoke_succeeded(&self, id: &str) {
        let mut map = self
            .revoke_failures
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        map.remove(id);
    }

    /// When a pending request created at `created_at` expires undecided.
    pub fn review_deadline(&self, created_at: api::Timestamp) -> api::Timestamp {
        created_at.add_secs(i64::try_from(self.review_window().as_secs()).unwrap_or(i64::MAX))
    }

    pub fn is_admin(&self, p: &Principal) -> bool {
        crate::policy::acts::is_admin(p, &self.admin_groups)
    }

    /// Turn the changes other replicas make into this one's wake-ups (long-polls, the
    /// reaper) until the broker closes. `events` is `None` on SQLite: nothing to follow.
    pub fn follow(self: &Arc<Self>, events: Option<Events>) -> Option<JoinHandle<()>> {
        let events = events?;
        let b = Arc::clone(self);
        Some(tokio::spawn(async move {
            let closing = b.closing.subscribe();
            events
                .run(
                    |id| {
                        match id {
                            Some(id) => b.notifier.notify(id),
                            None => b.notifier.notify_all(),
                        }
                        b.reaper_wake.notify_one();
                    },
                    closing,
                )
                .await;
        }))
    }
}

/// The axum state: the broker, and routes mounted beside the API (the dev IdP, the dev
/// Kubernetes API) that carry their own state.
#[derive(Clone)]
pub struct AppState {
    pub broker: Arc<Broker>,
    pub extra: Router,
}

impl AppState {
    pub fn new(broker: Arc<Broker>) -> Self {
        Self {
            broker,
            extra: Router::new(),
        }
    }

    pub fn with_routes(mut self, routes: Router) -> Self {
        self.extra = self.extra.merge(routes);
        self
    }
}
