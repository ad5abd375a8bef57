//! Bundles: one request for several resources (`POST /v1/bundles`), each item decided by
//! policy on its own, all created together or not at all, approved once. The requests of a
//! bundle are ordinary requests (grants) that share a `bundle_id`.

use serde::{Deserialize, Serialize};

use crate::{ClientContext, Request, Timestamp, secs};

/// The most items one bundle may name (the broker refuses more with a 400).
pub const MAX_BUNDLE_ITEMS: usize = 16;

/// One resource of a bundle, and optionally its role (`None`: the resource's default role).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct BundleItem {
    pub resource: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
}

/// `POST /v1/bundles` body, sent with an `Idempotency-Key` header: either `items` or the
/// `name` of a catalog bundle (not both), with one TTL, reason, ticket and context for all.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CreateBundle {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub items: Vec<BundleItem>,
    /// A bundle of the catalog (`GET /v1/catalog`'s `bundles`), instead of `items`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(deserialize_with = "secs::deserialize")]
    pub ttl_secs: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ticket: Option<String>,
    #[serde(default)]
    pub break_glass: bool,
    #[serde(default)]
    pub context: ClientContext,
    /// When the grants should start (scheduled grants), as [`crate::CreateRequest::start_at`]
    /// for every item.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_at: Option<Timestamp>,
}

/// A bundle: its id (each request's `bundle_id`), the catalog bundle it was made from, and
/// its requests in the order the items were given. Each request has its own state and
/// decision (a policy may deny one item and grant another).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Bundle {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub requests: Vec<Request>,
}

/// A named bundle of the catalog (`GET /v1/catalog`'s `bundles`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CatalogBundle {
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub items: Vec<BundleItem>,
}
