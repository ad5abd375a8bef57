//! The bundle calls (`POST /v1/bundles`, `GET /v1/bundles/{id}`): several resources in one
//! request, decided per item and approved once.

use super::{BrokerClient, enc};
use crate::error::Result;
use zt_api as api;

impl BrokerClient {
    /// Ask for a bundle; retried like [`BrokerClient::create_request`] (the key makes a retry
    /// answer the same bundle).
    pub async fn create_bundle(
        &self,
        body: &api::CreateBundle,
        idempotency_key: &str,
    ) -> Result<api::Bundle> {
        self.create("/v1/bundles", body, idempotency_key).await
    }

    pub async fn get_bundle(&self, id: &str) -> Result<api::Bundle> {
        self.get(&format!("/v1/bundles/{}", enc(id))).await
    }
}
