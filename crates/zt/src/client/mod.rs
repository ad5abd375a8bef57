//! The broker client: every `/v1` call. An answer that is not a success becomes an
//! [`ErrorKind`] (and so an exit code) in one place, `problem`: from its RFC 9457 problem
//! `type`, or from the bare HTTP status.

mod bundles;
mod problem;

use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::config::{Config, Profile};
use crate::error::{ErrorKind, Result};
use crate::{auth, http};
use zt_api as api;

use problem::status_error;
pub use problem::{problem_error, problem_kind};

pub struct BrokerClient {
    pub base: String,
    http: reqwest::Client,
    token: std::sync::Mutex<Option<String>>,
    /// The profile the token came from, so a refused token can be refreshed once.
    login: Option<(String, Profile)>,
    /// The RFC 9470 challenge of the last answer, when it was a step-up 401.
    step_up: std::sync::Mutex<Option<auth::step_up::Challenge>>,
}

impl BrokerClient {
    /// An anonymous client (discovery only).
    pub fn anonymous(base: &str) -> Result<Self> {
        Ok(Self {
            base: base.trim_end_matches('/').to_string(),
            http: http::client()?,
            token: std::sync::Mutex::new(None),
            login: None,
            step_up: Default::default(),
        })
    }

    /// A client with a given access token and no profile to refresh it from: `zt login`
    /// asks the broker about a new login before storing it.
    pub fn with_token(base: &str, token: &str) -> Result<Self> {
        let c = Self::anonymous(base)?;
        if let Ok(mut t) = c.token.lock() {
            *t = Some(token.to_string());
        }
        Ok(c)
    }

    /// A client for a logged-in profile, with a fresh access token.
    pub async fn for_profile(name: &str) -> Result<(Self, Profile)> {
        let cfg = Config::load()?;
        let profile = cfg.profile(name)?.clone();
        let http = http::client()?;
        let token = auth::access_token(name, &profile, &http).await?;
        Ok((
            Self {
                base: profile.broker.trim_end_matches('/').to_string(),
                http,
                token: std::sync::Mutex::new(Some(token)),
                login: Some((name.to_string(), profile.clone())),
                step_up: Default::default(),
            },
            profile,
        ))
    }

    pub async fn discovery(&self) -> Result<api::Discovery> {
        self.get("/.well-known/zt").await
    }

    pub async fn me(&self) -> Result<api::Me> {
        self.get("/v1/me").await
    }

    /// The catalog, also remembered for shell completion ([`crate::cache`]).
    pub async fn catalog(&self) -> Result<api::Catalog> {
        let catalog: api::Catalog = self.get("/v1/catalog").await?;
        if let Some((profile, _)) = &self.login {
            crate::cache::store(profile, &catalog);
        }
        Ok(catalog)
    }

    pub async fn create_request(
        &self,
        body: &api::CreateRequest,
        idempotency_key: &str,
    ) -> Result<api::Request> {
        self.create("/v1/requests", body, idempotency_key).await
    }

    /// POST a create under `idempotency_key`, retried twice when the broker is unreachable: a
    /// retried POST with the same key never makes a second request (or bundle), so retrying
    /// one that failed on the wire is safe.
    pub(super) async fn create<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
        idempotency_key: &str,
    ) -> Result<T> {
        let mut attempt = 0;
        loop {
            let r = self
                .call(
                    reqwest::Method::POST,
                    path,
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

    /// The request; with `wait`, the broker holds the call while it stays pending.
    pub async fn get_request(&self, id: &str, wait: Option<Duration>) -> Result<api::Request> {
        let path = match wait {
            Some(w) => format!("/v1/requests/{}?wait={}s", enc(id), w.as_secs()),
            None => format!("/v1/requests/{}", enc(id)),
        };
        self.call(
            reqwest::Method::GET,
            &path,
            None::<&()>,
            None,
            wait.map(|w| w + Duration::from_secs(15)),
        )
        .await
    }

    pub async fn list_requests(&self, query: &str) -> Result<api::RequestList> {
        self.get(&format!("/v1/requests?{query}")).await
    }

    /// Approve or deny; with the broker's word on what an approval did
    /// ([`api::APPROVAL_HEADER`]: `counted`, `already-counted`, `approved`), when it said.
    pub async fn decide(
        &self,
        id: &str,
        verb: &str,
        comment: Option<String>,
    ) -> Result<(api::Request, Option<String>)> {
        let body = api::Comment { comment };
        let path = format!("/v1/requests/{}/{verb}", enc(id));
        let (req, headers) = self
            .call_full(reqwest::Method::POST, &path, Some(&body), None, None)
            .await?;
        let outcome = headers
            .get(api::APPROVAL_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        Ok((req, outcome))
    }

    pub async fn withdraw(&self, id: &str) -> Result<api::Request> {
        self.call(
            reqwest::Method::DELETE,
            &format!("/v1/requests/{}", enc(id)),
            None::<&()>,
            None,
            None,
        )
        .await
    }

    pub async fn revoke(&self, id: &str) -> Result<api::Request> {
        self.post(
            &format!("/v1/grants/{}/revoke", enc(id)),
            &api::Comment::default(),
        )
        .await
    }

    pub async fn extend(&self, id: &str, body: &api::ExtendRequest) -> Result<api::Request> {
        self.post(&format!("/v1/grants/{}/extend", enc(id)), body)
            .await
    }

    pub async fn credentials(&self, id: &str) -> Result<api::Credential> {
        // `{}`: the documented empty body (older zts sent `null`).
        let body = api::CredentialsRequest::default();
        self.post(&format!("/v1/grants/{}/credentials", enc(id)), &body)
            .await
    }

    /// Where a first-use grant not used yet will connect (its credential without secrets),
    /// starting nothing; a broker or issuer that cannot tell answers with the credential
    /// itself or a conflict (see `api::CredentialsRequest::connection_only`).
    pub async fn connection(&self, id: &str) -> Result<api::Credential> {
        let body = api::CredentialsRequest {
            connection_only: true,
            ..Default::default()
        };
        self.post(&format!("/v1/grants/{}/credentials", enc(id)), &body)
            .await
    }

    /// An SSH grant's certificate for `public_key` (an OpenSSH public key line).
    pub async fn ssh_credentials(&self, id: &str, public_key: &str) -> Result<api::Credential> {
        let body = api::CredentialsRequest {
            public_key: Some(public_key.to_string()),
            ..Default::default()
        };
        self.post(&format!("/v1/grants/{}/credentials", enc(id)), &body)
            .await
    }

    async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T> {
        self.call(reqwest::Method::GET, path, None::<&()>, None, None)
            .await
    }

    async fn post<B: Serialize, T: DeserializeOwned>(&self, path: &str, body: &B) -> Result<T> {
        self.call(reqwest::Method::POST, path, Some(body), None, None)
            .await
    }

    async fn call<B: Serialize, T: DeserializeOwned>(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&B>,
        idempotency_key: Option<&str>,
        timeout: Option<Duration>,
    ) -> Result<T> {
        self.call_full(method, path, body, idempotency_key, timeout)
            .await
            .map(|(t, _)| t)
    }

    /// One API call, with the answer's headers; a 401 for a token zt believed fresh gets one
    /// forced refresh and a retry (the IdP rotated a key, or the clocks disagree) before the
    /// user is sent to `zt login`. A step-up 401 (RFC 9470) gets, on a terminal, one new
    /// sign-in at the level asked for and one retry ([`auth::step_up`]); never more.
    async fn call_full<B: Serialize, T: DeserializeOwned>(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&B>,
        idempotency_key: Option<&str>,
        timeout: Option<Duration>,
    ) -> Result<(T, reqwest::header::HeaderMap)> {
        let first = self
            .call_once(method.clone(), path, body, idempotency_key, timeout)
            .await;
        if let Err(e) = &first
            && let Some(ch) = self.take_step_up()
        {
            let Some((name, profile)) = &self.login else {
                return Err(auth::step_up::needed(&ch, &e.message));
            };
            let fresh =
                auth::step_up::sign_in_again(name, profile, &self.http, &ch, &e.message).await?;
            if let Ok(mut t) = self.token.lock() {
                *t = Some(fresh);
            }
            let again = self
                .call_once(method, path, body, idempotency_key, timeout)
                .await;
            // Still not enough (the IdP signed in at another level): said, not asked again.
            return match (again, self.take_step_up()) {
                (Err(e), Some(ch)) => Err(auth::step_up::needed(&ch, &e.message)),
                (other, _) => other,
            };
        }
        match (&first, &self.login) {
            (Err(e), Some((name, profile)))
                if e.kind == ErrorKind::AuthRequired && profile.workload.is_none() =>
            {
                let fresh = auth::refreshed_token(name, profile, &self.http).await?;
                if let Ok(mut t) = self.token.lock() {
                    *t = Some(fresh);
                }
                self.call_once(method, path, body, idempotency_key, timeout)
                    .await
            }
            _ => first,
        }
    }

    fn take_step_up(&self) -> Option<auth::step_up::Challenge> {
        self.step_up.lock().ok().and_then(|mut c| c.take())
    }

    async fn call_once<B: Serialize, T: DeserializeOwned>(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&B>,
        idempotency_key: Option<&str>,
        timeout: Option<Duration>,
    ) -> Result<(T, reqwest::header::HeaderMap)> {
        let url = format!("{}{path}", self.base);
        let mut req = self
            .http
            .request(method, &url)
            .header("accept", "application/json");
        let token = self.token.lock().ok().and_then(|t| t.clone());
        if let Some(t) = &token {
            req = req.bearer_auth(t);
        }
        if let Some(k) = idempotency_key {
            req = req.header("idempotency-key", k);
        }
        if let Some(b) = body {
            req = req.json(b);
        }
        if let Some(t) = timeout {
            req = req.timeout(t);
        }
        let resp = req
            .send()
            .await
            .map_err(|e| http::send_error("broker", &self.base, e))?;
        let status = resp.status().as_u16();
        let is_problem = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/problem+json"));
        let headers = resp.headers().clone();
        if status == 401 {
            let challenge = headers
                .get_all(reqwest::header::WWW_AUTHENTICATE)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .find_map(auth::step_up::Challenge::parse);
            if let Ok(mut c) = self.step_up.lock() {
                *c = challenge;
            }
        }
        let bytes = http::body("broker", &self.base, resp).await?;
        if (200..300).contains(&status) {
            return http::decode("broker", &self.base, status, &bytes).map(|t| (t, headers));
        }
        let problem = if is_problem || status >= 400 {
            serde_json::from_slice::<api::Problem>(&bytes).ok()
        } else {
            None
        };
        Err(match problem {
            Some(p) => problem_error(&p),
            None => status_error(status, &self.base, &bytes),
        })
    }
}

fn enc(id: &str) -> String {
    // Ids are [a-z0-9]; anything else is escaped so it cannot change the path.
    id.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b == b'-' || b == b'_' {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_cannot_escape_the_path() {
        assert_eq!(enc("abc123"), "abc123");
        assert_eq!(enc("../x"), "%2E%2E%2Fx");
    }
}
