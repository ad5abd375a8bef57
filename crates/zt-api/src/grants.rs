//! What a live grant gives: its extension (`POST /v1/grants/{id}/extend`) and the credentials
//! an issuer mints for it (`POST /v1/grants/{id}/credentials`).

use serde::{Deserialize, Serialize};

use crate::{Timestamp, secs};

/// `POST /v1/grants/{id}/extend` body: the grant then ends `ttl_secs` from now (never earlier
/// than it already does), within the policy's cap on the grant's whole length.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ExtendRequest {
    #[serde(deserialize_with = "secs::deserialize")]
    pub ttl_secs: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// `POST /v1/grants/{id}/credentials` body (optional; an empty body is the same as `{}`).
/// An `ssh` grant needs `public_key`: the OpenSSH public key line (Ed25519) the client made
/// for this grant, which the broker's CA certifies; the private key never leaves the client.
/// The other kinds ignore it.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct CredentialsRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_key: Option<String>,
    /// For a first-use grant not used yet: answer only where to connect (the credential with
    /// its secret parts empty), without starting its TTL, so that `zt request` can write the
    /// entries whose first use by a tool starts it. Ignored for any other grant (then, as by
    /// brokers without first use, the credential is minted).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub connection_only: bool,
}

/// `POST /v1/grants/{id}/credentials`: what an issuer minted, never outliving the grant.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Credential {
    Kubernetes {
        server: String,
        /// Base64 of the PEM CA bundle, as kubeconfig's `certificate-authority-data`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        certificate_authority_data: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        namespace: Option<String>,
        token: String,
        expires_at: Timestamp,
    },
    Aws {
        access_key_id: String,
        secret_access_key: String,
        session_token: String,
        expires_at: Timestamp,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        region: Option<String>,
    },
    Postgres {
        host: String,
        port: u16,
        dbname: String,
        user: String,
        password: String,
        #[serde(default)]
        sslmode: String,
        expires_at: Timestamp,
    },
    /// An OpenSSH user certificate for the public key the client sent.
    Ssh {
        host: String,
        port: u16,
        /// The remote login user (one of the certificate's principals).
        user: String,
        /// One OpenSSH certificate line: `ssh-ed25519-cert-v01@openssh.com AAAA… comment`.
        certificate: String,
        /// known_hosts lines for the host, from the catalog; empty when none are configured.
        #[serde(default)]
        known_hosts: Vec<String>,
        /// More hosts the certificate is for, as ssh_config `Host` patterns (from the catalog;
        /// empty when only `host`).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        hosts: Vec<String>,
        expires_at: Timestamp,
    },
}

impl Credential {
    pub fn expires_at(&self) -> Timestamp {
        match self {
            Self::Kubernetes { expires_at, .. }
            | Self::Aws { expires_at, .. }
            | Self::Postgres { expires_at, .. }
            | Self::Ssh { expires_at, .. } => *expires_at,
        }
    }

    /// The same credential with another end (an issuer moved it, see the broker's extend).
    pub fn with_expires_at(mut self, t: Timestamp) -> Self {
        match &mut self {
            Self::Kubernetes { expires_at, .. }
            | Self::Aws { expires_at, .. }
            | Self::Postgres { expires_at, .. }
            | Self::Ssh { expires_at, .. } => *expires_at = t,
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credential_is_tagged_by_kind() {
        let c = Credential::Kubernetes {
            server: "https://k".into(),
            certificate_authority_data: None,
            namespace: None,
            token: "t".into(),
            expires_at: Timestamp(0),
        };
        let v = serde_json::to_value(&c).unwrap();
        assert_eq!(v["kind"], "kubernetes");
    }

    #[test]
    fn ssh_credential_round_trips_and_known_hosts_default_to_empty() {
        let v = serde_json::json!({
            "kind": "ssh", "host": "127.0.0.1", "port": 2222, "user": "deploy",
            "certificate": "ssh-ed25519-cert-v01@openssh.com AAAA zt",
            "expires_at": "2026-11-23T17:00:00Z",
        });
        let c: Credential = serde_json::from_value(v).unwrap();
        let Credential::Ssh {
            known_hosts, port, ..
        } = &c
        else {
            panic!("{c:?}")
        };
        assert!(known_hosts.is_empty());
        assert_eq!(*port, 2222);
        assert_eq!(serde_json::to_value(&c).unwrap()["kind"], "ssh");
    }

    #[test]
    fn credentials_request_is_optional_in_every_field() {
        let r: CredentialsRequest = serde_json::from_str("{}").unwrap();
        assert_eq!(r, CredentialsRequest::default());
        assert_eq!(serde_json::to_string(&r).unwrap(), "{}");
    }
}
