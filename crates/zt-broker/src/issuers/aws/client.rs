//! The broker's own AWS configuration, loaded at first use, and its STS clients, one per
//! region and endpoint.

use aws_config::{BehaviorVersion, SdkConfig, timeout::TimeoutConfig};
use aws_sdk_sts::config::Region;

use super::{AwsStsIssuer, CONNECT_TIMEOUT, FALLBACK_REGION, OPERATION_TIMEOUT};

/// STS clients are built once per (region, endpoint): each keeps its connection pool, and all
/// share the broker's own credentials and their cache.
pub(super) type ClientKey = (String, Option<String>);

impl AwsStsIssuer {
    pub(super) async fn base(&self) -> &SdkConfig {
        self.base
            .get_or_init(|| async {
                let mut loader = aws_config::defaults(BehaviorVersion::latest()).timeout_config(
                    TimeoutConfig::builder()
                        .connect_timeout(CONNECT_TIMEOUT)
                        .operation_timeout(OPERATION_TIMEOUT)
                        .build(),
                );
                if let Some(c) = &self.credentials {
                    // Given credentials mean no environment to read a region from either:
                    // skip the region chain (its instance-metadata probe costs seconds off
                    // EC2). Resources name their region; else the fallback applies.
                    loader = loader
                        .credentials_provider(c.clone())
                        .region(Region::new(FALLBACK_REGION));
                }
                loader.load().await
            })
            .await
    }

    pub(super) async fn client(
        &self,
        region: &str,
        endpoint_url: Option<&str>,
    ) -> aws_sdk_sts::Client {
        let key = (region.to_string(), endpoint_url.map(str::to_string));
        // A poisoned lock only means another mint panicked mid-insert; the map is still sound.
        if let Some(c) = self
            .clients
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&key)
        {
            return c.clone();
        }
        let base = self.base().await;
        let mut conf = aws_sdk_sts::config::Builder::from(base).region(Region::new(key.0.clone()));
        if let Some(u) = &key.1 {
            conf = conf.endpoint_url(u.clone());
        }
        let client = aws_sdk_sts::Client::from_conf(conf.build());
        self.clients
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(key)
            .or_insert(client)
            .clone()
    }
}
