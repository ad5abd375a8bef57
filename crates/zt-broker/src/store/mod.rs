//! The broker's durable state: one [`Store`] over sqlx's `Any` driver, on SQLite (the default,
//! one process) or PostgreSQL (several `serve` replicas sharing one database). Requests and
//! their grants, minted credentials, and the hash-chained audit log. Every state change is a
//! conditional UPDATE (`WHERE id = $1 AND state = $2`) in the same transaction as its audit
//! row, so no transition is skipped, doubled, or left unaudited.
//!
//! Organised by what differs, its files import each other in one direction only (a scan of
//! the sources in the test-only `layers`, like `dev`'s fence, checks it):
//! - on top, the facade: [`Store`] and its dispatch to the backend in `facade`, write
//!   transactions in `tx`, the grouped inserts in `inserts`; the store's calls, written once
//!   for both databases, in requests, approvals, passkeys, extend, pending, credentials,
//!   schedule (scheduled and first-use grants: windows, claims, lapses), audit, audit_query;
//! - below it, what differs: [`sqlite`] (one process: writers take turns on one connection,
//!   readers of their own, a thread for grouped inserts, private files) and [`postgres`]
//!   (replicas: pools, a write lock across replicas, `LISTEN`/`NOTIFY` on every audited
//!   change, advisory locks);
//! - at the bottom, the shared pieces, which import neither: the row types (`rows`), the
//!   schema and its migrations (`schema`), the SQL that runs inside a write transaction
//!   (`sql`, the audit chain and its signed head in `audit::chain` and `audit::head`) on any
//!   write transaction (`conn`), the key (`keys`) and the errors (`error`). The SQL uses `$N`
//!   placeholders and BIGINT/TEXT/BOOLEAN columns, which both databases read alike.

mod approvals;
mod audit;
mod audit_query;
mod bundles;
mod conn;
mod credentials;
mod error;
mod extend;
mod facade;
mod inserts;
mod keys;
#[cfg(test)]
mod layers;
mod passkeys;
mod pending;
mod postgres;
mod requests;
mod rows;
mod schedule;
mod schema;
mod sql;
mod sqlite;
mod ssh;
mod tx;

pub use approvals::Approval;
pub use audit_query::AuditFilter;
pub use error::{Result, StoreError};
pub use extend::Extended;
pub use facade::{Backend, Store};
pub use keys::{KEY_LEN, KeySource, StoreKey};
pub use passkeys::{PasskeyProof, StoredPasskey};
pub use postgres::events;
pub use postgres::{GrantLock, ReaperLease};
pub use requests::ForCreate;
pub use rows::{AuditEntry, AuditRow, BROKER_ACTOR, GENESIS, Given, Record};
pub use schedule::{Claimed, window as grant_window};
pub use sql::{Change, legal_transition};
pub use ssh::RevokedSerials;
