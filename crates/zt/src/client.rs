//! The broker client: every `/v1` call, and the one place where an HTTP status or an RFC 9457
//! problem `type` becomes an [`ErrorKind`] (and so an exit code).

use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::config::{Config, Profile};
use crate::error::{Error, ErrorKind, Result};
use crate::output::{self, inert};
use crate::{auth, http};
use zt_api::{self as api, problem};

pub struct BrokerClient {
    pub base: String,
    http: reqwest::Client,
    token: std::sync::Mutex<Option<String>>,
    /// The profile the token came from, so a refused token can be refreshed once.
    login: Option<(String, Profile)>,
}

impl BrokerClient {
    /// An anonymous client (discovery only).
    pub fn anonymous(base: &str) -> Result<Self> {
        Ok(Self {
            base: base.trim_end_matches('/').to_string(),
            http: http::client()?,
            token: std::sync::Mutex::new(None),
            login: None,
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

    pub async fn catalog(&self) -> Result<api::Catalog> {
        self.get("/v1/catalog").await
    }

    pub async fn create_request(
        &self,
        body: &api::CreateRequest,
        idempotency_key: &str,
    ) -> Result<api::Request> {
        // A retried POST with the same key never makes a second request, so retrying a
        // request that failed on the wire is safe.
        let mut attempt = 0;
        loop {
            let r = self
                .call(
                    reqwest::Method::POST,
                    "/v1/requests",
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
        self.post(&format!("/v1/grants/{}/credentials", enc(id)), &())
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
    /// user is sent to `zt login`.
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

/// The kind (and so the exit code) of each problem slug the broker sends; `None` for a slug
/// this client does not know (a newer broker), which [`problem_error`] reports as `Other`.
/// Every slug in [`problem::ALL`] has its own arm: a new slug must be classified here.
pub fn problem_kind(slug: &str) -> Option<ErrorKind> {
    Some(match slug {
        problem::UNAUTHENTICATED => ErrorKind::AuthRequired,
        problem::FORBIDDEN | problem::SELF_APPROVAL => ErrorKind::Forbidden,
        problem::NOT_FOUND => ErrorKind::NotFound,
        // An unknown role was a 400 invalid-request before it was a 422: still exit 2.
        problem::INVALID_REQUEST | problem::TTL_EXCEEDED | problem::UNKNOWN_ROLE => {
            ErrorKind::Usage
        }
        problem::DENIED => ErrorKind::Denied,
        problem::GRANT_NOT_LIVE => ErrorKind::GrantEnded,
        problem::ISSUER_FAILED => ErrorKind::Unavailable,
        // The request is not in the state the action needs, or a key was reused: nothing a
        // flag fixes, so the general error (exit 1), with the broker's explanation.
        problem::CONFLICT => ErrorKind::Other,
        // The broker broke (it answered, so it is not unreachable): the general error.
        problem::INTERNAL => ErrorKind::Other,
        _ => return None,
    })
}

/// The broker's problem `type` decides the kind; its `detail` is the message.
pub fn problem_error(p: &api::Problem) -> Error {
    // The broker's words, made inert and capped: a detail may be of any size and content.
    let msg = inert(
        p.detail.as_deref().unwrap_or(&p.title),
        output::NOTE_MAX / 2,
    );
    let slug = inert(problem::slug(&p.type_), 100);
    let slug = slug.as_str();
    let Some(kind) = problem_kind(slug) else {
        return Error::other(format!("the broker answered: {msg} ({slug})"));
    };
    let e = match kind {
        ErrorKind::AuthRequired => {
            return Error::auth_required(format!("the broker did not accept your login: {msg}"));
        }
        kind => Error::new(kind, msg),
    };
    match slug {
        // The detail already says who may decide (and whether approve or deny was asked).
        problem::SELF_APPROVAL => e.with_hint(
            "your own requests are decided by someone else; `zt revoke ID` withdraws one you no longer need",
        ),
        problem::TTL_EXCEEDED => e.with_hint("ask for a shorter --ttl"),
        problem::UNKNOWN_ROLE => e.with_hint("`zt catalog` lists each resource's roles"),
        problem::ISSUER_FAILED => e.with_hint(
            "the broker could not reach the target system; try again, or tell the broker's operators",
        ),
        problem::INTERNAL => e.with_hint("the broker failed; its operators will find the cause in its log"),
        _ => e,
    }
}

fn status_error(status: u16, base: &str, bytes: &[u8]) -> Error {
    match status {
        401 => Error::auth_required("the broker did not accept your login"),
        403 => Error::new(ErrorKind::Forbidden, "the broker refused (HTTP 403)"),
        404 => Error::new(
            ErrorKind::NotFound,
            format!("{base} has no such zt API route (HTTP 404)"),
        )
        .with_hint("check the broker URL; is it a zt broker?"),
        502..=504 => Error::new(
            ErrorKind::Unavailable,
            format!("the broker at {base} is unavailable (HTTP {status})"),
        ),
        _ => {
            let what = if bytes.trim_ascii_start().starts_with(b"<") {
                "an HTML page"
            } else {
                "an answer that is not zt's API"
            };
            Error::other(format!(
                "the broker at {base} answered HTTP {status} with {what}"
            ))
            .with_hint("check that the URL points at a zt broker")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problem_types_map_to_kinds() {
        let p = |slug: &str| api::Problem {
            type_: format!("{}{slug}", problem::BASE),
            title: "t".into(),
            status: 400,
            detail: Some("d".into()),
        };
        assert_eq!(
            problem_error(&p(problem::UNAUTHENTICATED)).kind,
            ErrorKind::AuthRequired
        );
        assert_eq!(
            problem_error(&p(problem::SELF_APPROVAL)).kind,
            ErrorKind::Forbidden
        );
        assert_eq!(
            problem_error(&p(problem::GRANT_NOT_LIVE)).kind,
            ErrorKind::GrantEnded
        );
        assert_eq!(
            problem_error(&p(problem::TTL_EXCEEDED)).kind,
            ErrorKind::Usage
        );
        assert_eq!(problem_error(&p("something-new")).kind, ErrorKind::Other);
    }

    /// Every slug the broker may send is classified on purpose, never by the fall-back arm,
    /// and the classification is the exit-code table's (README): changing one is deliberate.
    #[test]
    fn every_problem_slug_has_its_own_kind() {
        let expected = [
            (problem::UNAUTHENTICATED, 4),
            (problem::FORBIDDEN, 9),
            (problem::NOT_FOUND, 8),
            (problem::INVALID_REQUEST, 2),
            (problem::DENIED, 3),
            (problem::TTL_EXCEEDED, 2),
            (problem::CONFLICT, 1),
            (problem::SELF_APPROVAL, 9),
            (problem::GRANT_NOT_LIVE, 6),
            (problem::ISSUER_FAILED, 7),
            (problem::INTERNAL, 1),
            (problem::UNKNOWN_ROLE, 2),
        ];
        let listed: Vec<&str> = expected.iter().map(|(s, _)| *s).collect();
        assert_eq!(
            listed,
            problem::ALL,
            "problem::ALL changed: classify the new slug"
        );
        for (slug, code) in expected {
            let kind = problem_kind(slug).unwrap_or_else(|| panic!("{slug} is not classified"));
            assert_eq!(kind.exit_code(), code, "{slug}");
            let p = api::Problem {
                type_: format!("{}{slug}", problem::BASE),
                title: "t".into(),
                status: 400,
                detail: Some("d".into()),
            };
            assert_eq!(problem_error(&p).kind, kind, "{slug}");
        }
        assert_eq!(problem_kind("something-new"), None);
    }

    #[test]
    fn ids_cannot_escape_the_path() {
        assert_eq!(enc("abc123"), "abc123");
        assert_eq!(enc("../x"), "%2E%2E%2Fx");
    }
}
