//! The reference broker (`zt-broker`): HTTP API, store, policy, issuers, expiry reaper, and
//! the embedded development defaults (`zt-broker dev`).
//!
//! What lives where:
//! - [`cli`] the clap definition of `zt-broker`; [`error`] the process error and exit codes;
//!   [`docs`] what its man pages say beyond clap (exit codes, environment, files).
//! - [`serve`] `zt-broker serve` and `check`: the production entry point, wired from the TOML
//!   file [`config`] reads and checks.
//! - [`server`] the router and `serve(listener, state, shutdown)`; [`routes`] one file per
//!   group of `/v1` routes; [`problem`] every HTTP error as RFC 9457 problem+json.
//! - [`state`] the shared [`state::Broker`]; [`domain`] a request's whole life (create,
//!   decide, extend, revoke, and [`domain::lifecycle`]: state changes and their consequences —
//!   wake-ups, issuer revoke, minting) and what callers read of it, with its own error;
//!   [`sync`] per-request wake-ups and locks.
//! - [`store`] requests, credentials and the hash-chained audit log over sqlx: shared SQL in
//!   `store/`, what differs in `store/sqlite/` and `store/postgres/`.
//! - [`catalog`] resources and roles (TOML; the demo one in `dev/demo/`); [`policy`] decisions.
//! - [`oncall`] on-call schedules read from iCalendar feeds: who is on call now, for policy.
//! - [`issuers`] the issuer interface and the real issuers; [`reaper`] expiry at TTL;
//!   [`webhooks`] notifications, delivered in the background.
//! - [`review`] the review page approvers open in a browser (OIDC sign-in, sessions, forms);
//!   [`review_link`] where people review a request (`{base}/review/{id}`).
//! - [`auth`] bearer-token verification; [`tls`] server-side TLS for every HTTPS listener.
//! - [`features`] the cargo features (`aws`, `kubernetes`, `postgres`) that add the production
//!   issuers and store, and the error for one a config names that this build left out.
//! - [`dev`] `zt-broker dev` and everything only it uses: the development OpenID provider, the
//!   development Kubernetes API, the development issuers, the demo catalog. Fenced off:
//!   production modules never import from it (a test in `dev` checks), it imports from them.
//!
//! Unit tests sit next to their code; tests that need a server (this broker over HTTP,
//! PostgreSQL, moto, kubectl, the fake Kubernetes API) are in `tests/broker/`, on the
//! `zt-testkit` crate.

pub mod auth;
pub mod catalog;
pub mod cli;
pub mod config;
pub mod crypto;
pub mod dev;
pub mod docs;
pub mod domain;
pub mod error;
pub mod features;
pub mod issuers;
pub mod logs;
pub mod oncall;
pub mod policy;
pub mod problem;
pub mod reaper;
pub mod review;
pub mod review_link;
pub mod routes;
pub mod serve;
pub mod server;
pub mod state;
pub mod store;
pub mod sync;
pub mod tls;
pub mod webhooks;
