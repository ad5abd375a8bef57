//! The key cache behind [`Verifier`](super::Verifier): for each trusted issuer, the JWKs it
//! may sign with (each pinned to one algorithm, symmetric and encryption keys refused), and the
//! fetching of its key set — by `jwks_uri` or OpenID discovery — refetched when a token names an
//! unknown key (rate-limited) or the set grows old (in the background).

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::{
    AlgorithmParameters, EllipticCurve, Jwk, JwkSet, KeyOperations, PublicKeyUse,
};
use jsonwebtoken::{Algorithm, AlgorithmFamily, DecodingKey, Header, Validation};
use serde_json::Value;

use super::{AuthError, JwksSource, TrustedIssuer};

/// A JWKS or discovery document larger than this is refused.
const MAX_DOCUMENT_BYTES: usize = 1024 * 1024;
/// Time limit of one JWKS or discovery request.
const FETCH_TIMEOUT: Duration = Duration::from_secs(10);
/// Fetched key sets older than this are refreshed in the background (keys the IdP withdrew
/// stop being trusted even if no token ever names an unknown key).
const MAX_KEY_AGE: Duration = Duration::from_secs(3600);

/// One usable verification key, with the algorithm it is pinned to and the `Validation`
/// tokens signed with it are checked against.
pub(super) struct KeyEntry {
    pub(super) alg: Algorithm,
    pub(super) key: DecodingKey,
    pub(super) validation: Validation,
}

pub(super) struct KeySet {
    pub(super) by_kid: HashMap<String, Arc<KeyEntry>>,
    pub(super) all: Vec<Arc<KeyEntry>>,
    fetched_at: Instant,
    /// Bumped on every successful fetch; lets waiters see that someone else refreshed.
    generation: u64,
}

enum Miss {
    UnknownKid,
    NoKidAmbiguous,
    NoKidNoKey,
}

impl Miss {
    fn error(&self) -> AuthError {
        AuthError::new(match self {
            Miss::UnknownKid => "token is signed with an unknown key",
            Miss::NoKidAmbiguous => "token has no kid and the issuer has several keys",
            Miss::NoKidNoKey => "token has no kid and no key of its algorithm is known",
        })
    }
}

impl KeySet {
    pub(super) fn empty() -> Self {
        Self {
            by_kid: HashMap::new(),
            all: Vec::new(),
            fetched_at: Instant::now(),
            generation: 0,
        }
    }

    pub(super) fn build(set: &JwkSet, cfg: &TrustedIssuer, generation: u64) -> Self {
        let mut ks = Self {
            generation,
            ..Self::empty()
        };
        for jwk in &set.keys {
            let Some(alg) = pinned_alg(jwk) else { continue };
            let Ok(key) = DecodingKey::from_jwk(jwk) else {
                continue;
            };
            let entry = Arc::new(KeyEntry {
                alg,
                key,
                validation: validation_for(alg, cfg),
            });
            if let Some(kid) = &jwk.common.key_id {
                ks.by_kid
                    .entry(kid.clone())
                    .or_insert_with(|| entry.clone());
            }
            ks.all.push(entry);
        }
        ks
    }

    fn select(&self, header: &Header) -> Result<Arc<KeyEntry>, Miss> {
        match &header.kid {
            Some(kid) => self
                .by_kid
                .get(kid.as_str())
                .cloned()
                .ok_or(Miss::UnknownKid),
            None => {
                let mut candidates = self.all.iter().filter(|k| k.alg == header.alg);
                match (candidates.next(), candidates.next()) {
                    (Some(only), None) => Ok(only.clone()),
                    (Some(_), Some(_)) => Err(Miss::NoKidAmbiguous),
                    (None, _) => Err(Miss::NoKidNoKey),
                }
            }
        }
    }
}

/// The algorithm a JWK may verify: its `alg` when given (and consistent with the key), else
/// derived from the key type. Symmetric (`oct`) keys, encryption keys and unknown curves are
/// never usable.
fn pinned_alg(jwk: &Jwk) -> Option<Algorithm> {
    if matches!(
        jwk.common.public_key_use,
        Some(PublicKeyUse::Encryption | PublicKeyUse::Other(_))
    ) {
        return None;
    }
    if let Some(ops) = &jwk.common.key_operations
        && !ops.iter().any(|o| matches!(o, KeyOperations::Verify))
    {
        return None;
    }
    let derived = match &jwk.algorithm {
        AlgorithmParameters::RSA(_) => Algorithm::RS256,
        AlgorithmParameters::EllipticCurve(p) => match p.curve {
            EllipticCurve::P256 => Algorithm::ES256,
            EllipticCurve::P384 => Algorithm::ES384,
            _ => return None,
        },
        AlgorithmParameters::OctetKeyPair(p) => match p.curve {
            EllipticCurve::Ed25519 => Algorithm::EdDSA,
            _ => return None,
        },
        _ => return None,
    };
    let Some(declared) = jwk.common.key_algorithm else {
        return Some(derived);
    };
    let declared = Algorithm::try_from(declared).ok()?;
    let consistent = match derived {
        // An RSA key may be declared for any RSA signature scheme.
        Algorithm::RS256 => declared.family() == AlgorithmFamily::Rsa,
        other => declared == other,
    };
    consistent.then_some(declared)
}

fn validation_for(alg: Algorithm, cfg: &TrustedIssuer) -> Validation {
    let mut v = Validation::new(alg);
    v.leeway = cfg.leeway_secs;
    v.validate_exp = true;
    v.validate_nbf = true;
    v.validate_aud = true;
    // jsonwebtoken skips the iss/aud checks when the claim is absent unless it is required.
    v.set_required_spec_claims(&["exp", "iss", "aud"]);
    v.set_issuer(&[cfg.issuer.as_str()]);
    v.set_audience(&[cfg.audience.as_str()]);
    v
}

#[derive(Default)]
pub(super) struct FetchState {
    last_attempt: Option<Instant>,
    /// The `jwks_uri` learnt by discovery (forgotten when a fetch fails).
    discovered_jwks_uri: Option<String>,
    /// Why the last fetch failed, repeated while the rate limit holds.
    last_error: Option<String>,
}

pub(super) struct IssuerState {
    pub(super) cfg: TrustedIssuer,
    pub(super) keys: RwLock<Arc<KeySet>>,
    /// Serialises fetches and carries the rate limit.
    pub(super) fetch: tokio::sync::Mutex<FetchState>,
}

impl IssuerState {
    fn current(&self) -> Arc<KeySet> {
        match self.keys.read() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    fn install(&self, ks: KeySet) {
        let ks = Arc::new(ks);
        match self.keys.write() {
            Ok(mut guard) => *guard = ks,
            Err(poisoned) => *poisoned.into_inner() = ks,
        }
    }

    fn fetches(&self) -> bool {
        !matches!(self.cfg.jwks, JwksSource::Static(_))
    }

    pub(super) async fn key_for(
        self: &Arc<Self>,
        header: &Header,
        http: &reqwest::Client,
    ) -> Result<Arc<KeyEntry>, AuthError> {
        let ks = self.current();
        let miss = match ks.select(header) {
            Ok(entry) => {
                if self.fetches() && ks.fetched_at.elapsed() > MAX_KEY_AGE {
                    self.refresh_in_background(ks.generation, http);
                }
                return Ok(entry);
            }
            Err(miss) => miss,
        };
        if !self.fetches() {
            return Err(miss.error());
        }
        match self.refresh(ks.generation, http).await {
            Ok(()) => self.current().select(header).map_err(|m| m.error()),
            Err(Refresh::RateLimited(None)) => Err(miss.error()),
            Err(Refresh::RateLimited(Some(why)) | Refresh::Failed(why)) => {
                Err(AuthError::new(format!(
                    "{}; the issuer's key set could not be fetched: {why}",
                    miss.error()
                )))
            }
        }
    }

    fn refresh_in_background(self: &Arc<Self>, seen: u64, http: &reqwest::Client) {
        let Ok(rt) = tokio::runtime::Handle::try_current() else {
            return;
        };
        // Skip when a fetch is already under way.
        if self.fetch.try_lock().is_err() {
            return;
        }
        let me = self.clone();
        let http = http.clone();
        rt.spawn(async move {
            let _ = me.refresh(seen, &http).await;
        });
    }

    /// Fetches the key set unless someone else did since generation `seen`, or the last
    /// attempt was less than `min_refetch_interval` ago.
    async fn refresh(&self, seen: u64, http: &reqwest::Client) -> Result<(), Refresh> {
        let mut st = self.fetch.lock().await;
        if self.current().generation != seen {
            return Ok(());
        }
        if let Some(last) = st.last_attempt
            && last.elapsed() < self.cfg.min_refetch_interval
        {
            return Err(Refresh::RateLimited(st.last_error.clone()));
        }
        st.last_attempt = Some(Instant::now());
        let result = match self.fetch_keys(&mut st, http).await {
            Ok(set) => {
                let ks = KeySet::build(&set, &self.cfg, seen.wrapping_add(1));
                if ks.all.is_empty() {
                    // Keep the keys we have rather than lock everyone out over a broken
                    // document.
                    Err("it has no usable signing key".to_string())
                } else {
                    self.install(ks);
                    Ok(())
                }
            }
            Err(why) => {
                st.discovered_jwks_uri = None;
                Err(why)
            }
        };
        st.last_error = result.as_ref().err().cloned();
        result.map_err(Refresh::Failed)
    }

    async fn fetch_keys(
        &self,
        st: &mut FetchState,
        http: &reqwest::Client,
    ) -> Result<JwkSet, String> {
        let uri = match &self.cfg.jwks {
            JwksSource::Static(set) => return Ok(set.clone()),
            JwksSource::Url(u) => u.clone(),
            JwksSource::Discover => match &st.discovered_jwks_uri {
                Some(u) => u.clone(),
                None => {
                    let u = self.discover(http).await?;
                    st.discovered_jwks_uri = Some(u.clone());
                    u
                }
            },
        };
        let doc = get_json(http, &uri)
            .await
            .map_err(|e| format!("JWKS: {e}"))?;
        parse_jwks(&doc).ok_or_else(|| "JWKS: not a key set".to_string())
    }

    async fn discover(&self, http: &reqwest::Client) -> Result<String, String> {
        let url = format!(
            "{}/.well-known/openid-configuration",
            self.cfg.issuer.trim_end_matches('/')
        );
        let doc = get_json(http, &url)
            .await
            .map_err(|e| format!("discovery: {e}"))?;
        // OpenID Connect Discovery §4.3: the document must name the issuer we asked.
        if doc.get("issuer").and_then(Value::as_str) != Some(self.cfg.issuer.as_str()) {
            return Err("discovery: the document names a different issuer".into());
        }
        doc.get("jwks_uri")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| "discovery: no jwks_uri".to_string())
    }
}

enum Refresh {
    /// Not fetched: too soon after the last attempt (whose failure, if it failed).
    RateLimited(Option<String>),
    Failed(String),
}

/// Keys that do not parse (unknown types, odd parameters) are skipped, not fatal.
fn parse_jwks(doc: &Value) -> Option<JwkSet> {
    let keys = doc.get("keys")?.as_array()?;
    Some(JwkSet {
        keys: keys
            .iter()
            .filter_map(|k| serde_json::from_value::<Jwk>(k.clone()).ok())
            .collect(),
    })
}

async fn get_json(http: &reqwest::Client, url: &str) -> Result<Value, String> {
    let describe = |e: reqwest::Error| {
        if e.is_timeout() {
            "timed out".to_string()
        } else if e.is_connect() {
            "could not connect".to_string()
        } else {
            "request failed".to_string()
        }
    };
    let mut resp = http
        .get(url)
        .header(reqwest::header::ACCEPT, "application/json")
        .timeout(FETCH_TIMEOUT)
        .send()
        .await
        .map_err(describe)?;
    if !resp.status().is_success() {
        return Err(format!("HTTP {}", resp.status().as_u16()));
    }
    if resp
        .content_length()
        .is_some_and(|n| n > MAX_DOCUMENT_BYTES as u64)
    {
        return Err("document too large".into());
    }
    let mut body = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(describe)? {
        if body.len() + chunk.len() > MAX_DOCUMENT_BYTES {
            return Err("document too large".into());
        }
        body.extend_from_slice(&chunk);
    }
    serde_json::from_slice(&body).map_err(|_| "not JSON".to_string())
}

#[cfg(test)]
mod tests;
