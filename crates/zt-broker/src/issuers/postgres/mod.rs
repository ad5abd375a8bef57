//! The PostgreSQL issuer: each credential is its own login role, made at issue time and
//! dropped at revoke time, so nothing standing is left at the target once a grant ends.
//!
//! Issue: one simple-protocol message — `CREATE ROLE` (LOGIN, a SCRAM verifier of a fresh
//! random password, `VALID UNTIL` the grant's end, a connection limit), `GRANT` of the catalog's
//! group roles, `COMMENT ON ROLE` naming the grant. PostgreSQL runs the statements of one such
//! message as a single transaction, so a failing `GRANT` leaves no orphaned role behind.
//! Revoke: every role whose comment names the grant is set `NOLOGIN`, its sessions are
//! terminated (`VALID UNTIL` alone lets an open session go on), what it owns is reassigned and
//! its privileges dropped in every database that records it (`pg_shdepend`), then it is
//! dropped. Finding roles by comment makes revoke idempotent and covers every credential a
//! grant ever had (re-mints after an extension, a mint whose answer was lost).
//!
//! The broker's own connection is a small lazy pool: a fresh connection per operation would
//! cost a TCP and SCRAM handshake each time (the 20 ms issue budget), and a lazy pool lets the
//! broker start while the database is down. The admin role needs `CREATEROLE` (and, from
//! PostgreSQL 16, `ADMIN OPTION` on the `member_of` roles).
//!
//! Without the cargo feature `postgres` ([`crate::features`]) only the naming and quoting in
//! [`sql`] are here: the dev issuers name their logins as this issuer does.

#[cfg(feature = "postgres")]
mod issuer;
#[cfg(feature = "postgres")]
pub(crate) mod settings;
pub mod sql;
#[cfg(all(test, feature = "postgres"))]
mod tests;

#[cfg(feature = "postgres")]
pub use issuer::PostgresIssuer;
/// The dev issuers name their PostgreSQL logins as this issuer does.
pub use sql::pg_name;
