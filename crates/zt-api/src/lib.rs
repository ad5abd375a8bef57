//! Wire types of the broker's HTTP API (`/v1`), shared by the `zt` client and `zt-broker` so
//! the two can never disagree on a field name. The OpenAPI document beside the code
//! (`openapi.yaml` at this crate's root, [`OPENAPI`]) describes the same shapes for other
//! clients.
//!
//! Times on the wire are RFC 3339 UTC strings (`2026-11-23T17:00:00Z`); durations are whole
//! seconds. Both are converted at the edges with [`Timestamp`].
//!
//! The types live in one module per part of the API and are all re-exported here
//! (`zt_api::Request`, …): `identity` (discovery, `/v1/me`), `catalog` (resources, roles,
//! [`valid_name`]), `requests` (a request, its state, decision and approvals), `grants`
//! (extending a grant, its [`Credential`]), `audit` (the log's pages), [`problem`] (the error
//! body and its slugs), `timestamp` and [`secs`] (time and durations on the wire).

mod audit;
mod bundles;
mod catalog;
mod grants;
mod identity;
pub mod problem;
mod requests;
mod rfc3339;
pub mod secs;
mod timestamp;

/// The OpenAPI 3.1 document of the API (`openapi.yaml`, YAML): what other clients read, what
/// the broker's contract test holds the broker to.
pub const OPENAPI: &str = include_str!("../openapi.yaml");

pub use audit::{AuditPage, AuditRecord};
pub use bundles::{Bundle, BundleItem, CatalogBundle, CreateBundle, MAX_BUNDLE_ITEMS};
pub use catalog::{Catalog, CatalogEntry, ResourceKind, RoleInfo, valid_name};
pub use grants::{Credential, CredentialsRequest, ExtendRequest};
pub use identity::{Discovery, Me};
pub use problem::Problem;
pub use requests::{
    APPROVAL_HEADER, Activation, Approval, ApprovalAssurance, ClientContext, Comment,
    CreateRequest, Decision, Outcome, PasskeyUse, Request, RequestList, State, approvals_phrase,
};
pub use rfc3339::{days_from_civil, days_in_month};
pub use timestamp::Timestamp;
