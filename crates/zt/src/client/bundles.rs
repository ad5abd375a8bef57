//! The bundle calls (`POST /v1/bundles`, `GET /v1/bundles/{id}`): several resources in one
//! request, decided per item and approved once.

use std::time::Duration;

use super::{BrokerClient, enc};
use crate::error::{ErrorKind, Result};
use zt_api as api;

impl BrokerClient {
    /// Ask for a bundle; retried like [`BrokerClient::create_request`] (the key makes a retry
    /// answer the same bundle).
    pub async fn create_bundle(
        &self,
        body: &api::CreateBundle,
        idempotency_key: &str,
    ) -> Result<api::Bundle> {
        let mut attempt = 0;
        loop {
            let r = self
                .call(
                    reqwest::Method::POST,
                    "/v1/bundles",
                    Some(body),
                    Some(idempotency_key),
                    None,
                )
                .await;
            match r {
                Err(e) if e.kind == ErrorKind::Unavailable && attempt < 2 => {
                    attempt += 1;
                    tokio::time::sleep(Duration::from_millis(300 * attempt)).await;
                }
                other => return other,
            }
        }
    }

    pub async fn get_bundle(&self, id: &str) -> Result<api::Bundle> {
        self.get(&format!("/v1/bundles/{}", enc(id))).await
    }
}
