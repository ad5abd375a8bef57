//! Bearer-token verification: every broker call carries an OAuth access token (a JWT from the
//! OpenID provider `zt login` signed in with); this module decides whether to believe it and
//! who it names. The embedded development provider and a production IdP go through the same
//! code path: keys come from a JWKS (static, a URL, or OpenID discovery), are cached, and are
//! refetched — rate-limited — when a token names a key the cache does not know.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::jwk::{
    AlgorithmParameters, EllipticCurve, Jwk, JwkSet, KeyOperations, PublicKeyUse,
};
use jsonwebtoken::{Algorithm, AlgorithmFamily, DecodingKey, Header, Validation};
use serde::Deserialize;
use serde_json::{Map, Value};

/// Tokens longer than this are refused before any parsing.
const MAX_TOKEN_BYTES: usize = 16 * 1024;
/// A JWKS or discovery document larger than this is refused.
const MAX_DOCUMENT_BYTES: usize = 1024 * 1024;
/// Time limit of one JWKS or discovery request.
const FETCH_TIMEOUT: Duration = Duration::from_secs(10);
/// Fetched key sets older than this are refreshed in the background (keys the IdP withdrew
/// stop being trusted even if no token ever names an unknown key).
const MAX_KEY_AGE: Duration = Duration::from_secs(3600);

/// Who a verified token names.
#[derive(Debug, Clone, PartialEq)]
pub struct Principal {
    pub sub: String,
    pub issuer: String,
    pub email: Option<String>,
    pub name: Option<String>,
    pub groups: Vec<String>,
}

impl Principal {
    /// How to show this person: the email when the token has one, else the subject.
    pub fn display(&self) -> &str {
        self.email.as_deref().unwrap_or(&self.sub)
    }
}

/// Which claims hold the subject, email, name and groups. Each may be a dot path into nested
/// objects (`realm_access.roles` for Keycloak); a claim whose literal name contains dots
/// (`https://example.com/groups`) is found too.
#[derive(Debug, Clone)]
pub struct ClaimNames {
    pub sub: String,
    pub email: String,
    pub name: String,
    pub groups: String,
}

impl Default for ClaimNames {
    fn default() -> Self {
        Self {
            sub: "sub".into(),
            email: "email".into(),
            name: "name".into(),
            groups: "groups".into(),
        }
    }
}

/// Where an issuer's public keys come from.
#[derive(Debug, Clone)]
pub enum JwksSource {
    /// A fixed key set (the embedded development provider; tests). Never refetched.
    Static(JwkSet),
    /// The provider's `jwks_uri`.
    Url(String),
    /// `{issuer}/.well-known/openid-configuration` → `jwks_uri`.
    Discover,
}

/// One identity provider the broker accepts tokens from.
#[derive(Debug, Clone)]
pub struct TrustedIssuer {
    /// Compared exactly with the token's `iss`.
    pub issuer: String,
    /// Must be in the token's `aud` (a string or an array).
    pub audience: String,
    pub jwks: JwksSource,
    pub claims: ClaimNames,
    /// Clock skew allowed on `exp` and `nbf`, in seconds.
    pub leeway_secs: u64,
    /// At most one JWKS fetch per this interval, however many unknown `kid`s arrive.
    pub min_refetch_interval: Duration,
}

impl TrustedIssuer {
    /// An issuer with the default claim names, 60 s leeway and a 30 s refetch interval.
    pub fn new(issuer: impl Into<String>, audience: impl Into<String>, jwks: JwksSource) -> Self {
        Self {
            issuer: issuer.into(),
            audience: audience.into(),
            jwks,
            claims: ClaimNames::default(),
            leeway_secs: 60,
            min_refetch_interval: Duration::from_secs(30),
        }
    }
}

/// Why a token was refused. The message is safe to return to the client: it never contains
/// the token (nor any claim value taken from it).
#[derive(Debug, Clone, PartialEq)]
pub struct AuthError(pub String);

impl AuthError {
    fn new(msg: impl Into<String>) -> Self {
        Self(msg.into())
    }
}

impl fmt::Display for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for AuthError {}

/// Verifies bearer tokens against a fixed list of trusted issuers. `Send + Sync`; share it
/// through an `Arc`.
pub struct Verifier {
    issuers: Vec<Arc<IssuerState>>,
    http: reqwest::Client,
}

impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.issuers.iter().map(|i| i.cfg.issuer.as_str()).collect();
        f.debug_struct("Verifier").field("issuers", &names).finish()
    }
}

impl Verifier {
    pub fn new(issuers: Vec<TrustedIssuer>, http: reqwest::Client) -> Self {
        let issuers = issuers
            .into_iter()
            .map(|cfg| {
                let keys = match &cfg.jwks {
                    JwksSource::Static(set) => KeySet::build(set, &cfg, 0),
                    JwksSource::Url(_) | JwksSource::Discover => KeySet::empty(),
                };
                Arc::new(IssuerState {
                    cfg,
                    keys: RwLock::new(Arc::new(keys)),
                    fetch: tokio::sync::Mutex::new(FetchState::default()),
                })
            })
            .collect();
        Self { issuers, http }
    }

    /// Checks a bearer token (without the `Bearer ` prefix) and says whom it names.
    pub async fn verify(&self, token: &str) -> Result<Principal, AuthError> {
        if token.len() > MAX_TOKEN_BYTES {
            return Err(AuthError::new("token too large"));
        }
        if token.is_empty() {
            return Err(AuthError::new("empty token"));
        }
        let header = jsonwebtoken::decode_header(token)
            .map_err(|_| AuthError::new("malformed token (header)"))?;
        if header.alg.family() == AlgorithmFamily::Hmac {
            return Err(AuthError::new(
                "token algorithm not accepted (HMAC-signed tokens are refused)",
            ));
        }
        // RFC 7515 §4.1.11: no header extension is understood here. Keys named in the header
        // (`jwk`, `jku`, `x5u`, `x5c`) are never used: keys come only from the issuer's JWKS.
        if header.crit.is_some() || header.zip.is_some() || header.enc.is_some() {
            return Err(AuthError::new(
                "token uses header extensions that are not supported",
            ));
        }
        let issuer = self.issuer_of(token)?;
        let key = issuer.key_for(&header, &self.http).await?;
        if key.alg != header.alg {
            return Err(AuthError::new(
                "token algorithm does not match its signing key",
            ));
        }
        let data = jsonwebtoken::decode::<Map<String, Value>>(token, &key.key, &key.validation)
            .map_err(|e| map_jwt_error(e.kind()))?;
        principal_from_claims(&data.claims, &issuer.cfg)
    }

    /// The trusted issuer named by the token's `iss`, read before the signature is checked
    /// (to choose whose keys check it).
    fn issuer_of(&self, token: &str) -> Result<&Arc<IssuerState>, AuthError> {
        #[derive(Deserialize)]
        struct Peek<'a> {
            #[serde(borrow, default)]
            iss: Option<Cow<'a, str>>,
        }
        let malformed = || AuthError::new("malformed token (payload)");
        let mut parts = token.split('.');
        let (Some(_), Some(payload), Some(_), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(AuthError::new("malformed token (not three parts)"));
        };
        let bytes = URL_SAFE_NO_PAD.decode(payload).map_err(|_| malformed())?;
        let peek: Peek<'_> = serde_json::from_slice(&bytes).map_err(|_| malformed())?;
        let iss = match peek.iss {
            Some(iss) if !iss.is_empty() => iss,
            _ => return Err(AuthError::new("token has no issuer")),
        };
        self.issuers
            .iter()
            .find(|i| i.cfg.issuer == iss)
            .ok_or_else(|| AuthError::new("token issuer is not trusted"))
    }
}

fn map_jwt_error(kind: &ErrorKind) -> AuthError {
    AuthError::new(match kind {
        ErrorKind::ExpiredSignature => "token has expired".to_string(),
        ErrorKind::ImmatureSignature => "token is not valid yet (nbf)".to_string(),
        ErrorKind::InvalidAudience => "token audience does not include this broker".to_string(),
        ErrorKind::InvalidIssuer => "token issuer mismatch".to_string(),
        ErrorKind::InvalidSignature => "token signature is invalid".to_string(),
        ErrorKind::InvalidAlgorithm | ErrorKind::InvalidAlgorithmName => {
            "token algorithm not accepted".to_string()
        }
        // The claim names come from our own Validation, never from the token.
        ErrorKind::MissingRequiredClaim(c) => format!("token lacks the `{c}` claim"),
        ErrorKind::InvalidClaimFormat(c) => format!("token has a malformed `{c}` claim"),
        _ => "malformed token".to_string(),
    })
}

/// Looks a claim up by its literal name, else as a dot path into nested objects.
fn claim<'a>(claims: &'a Map<String, Value>, path: &str) -> Option<&'a Value> {
    if let Some(v) = claims.get(path) {
        return Some(v);
    }
    let mut segments = path.split('.');
    let mut cur = claims.get(segments.next()?)?;
    for seg in segments {
        cur = cur.as_object()?.get(seg)?;
    }
    Some(cur)
}

fn string_claim(claims: &Map<String, Value>, path: &str) -> Option<String> {
    match claim(claims, path) {
        Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
        _ => None,
    }
}

fn principal_from_claims(
    claims: &Map<String, Value>,
    cfg: &TrustedIssuer,
) -> Result<Principal, AuthError> {
    let names = &cfg.claims;
    let sub =
        string_claim(claims, &names.sub).ok_or_else(|| AuthError::new("token has no subject"))?;
    let groups = match claim(claims, &names.groups) {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|v| v.as_str())
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
        Some(Value::String(s)) if !s.is_empty() => vec![s.clone()],
        _ => Vec::new(),
    };
    Ok(Principal {
        sub,
        issuer: cfg.issuer.clone(),
        email: string_claim(claims, &names.email),
        name: string_claim(claims, &names.name),
        groups,
    })
}

/// One usable verification key, with the algorithm it is pinned to and the `Validation`
/// tokens signed with it are checked against.
struct KeyEntry {
    alg: Algorithm,
    key: DecodingKey,
    validation: Validation,
}

struct KeySet {
    by_kid: HashMap<String, Arc<KeyEntry>>,
    all: Vec<Arc<KeyEntry>>,
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
    fn empty() -> Self {
        Self {
            by_kid: HashMap::new(),
            all: Vec::new(),
            fetched_at: Instant::now(),
            generation: 0,
        }
    }

    fn build(set: &JwkSet, cfg: &TrustedIssuer, generation: u64) -> Self {
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
struct FetchState {
    last_attempt: Option<Instant>,
    /// The `jwks_uri` learnt by discovery (forgotten when a fetch fails).
    discovered_jwks_uri: Option<String>,
    /// Why the last fetch failed, repeated while the rate limit holds.
    last_error: Option<String>,
}

struct IssuerState {
    cfg: TrustedIssuer,
    keys: RwLock<Arc<KeySet>>,
    /// Serialises fetches and carries the rate limit.
    fetch: tokio::sync::Mutex<FetchState>,
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

    async fn key_for(
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
mod tests {
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use aws_lc_rs::rand::SystemRandom;
    use aws_lc_rs::signature::{
        ECDSA_P256_SHA256_FIXED_SIGNING, ECDSA_P384_SHA384_FIXED_SIGNING, EcdsaKeyPair,
    };
    use jsonwebtoken::jwk::{KeyAlgorithm, ThumbprintHash};
    use jsonwebtoken::{EncodingKey, encode};
    use serde_json::json;

    use super::*;

    const ISS: &str = "https://idp.test/realms/zt";
    const AUD: &str = "zt-broker";

    /// A fixed RSA-2048 key for tests only (RSA key generation is too slow to do per test).
    const RSA_PEM: &str = "-----BEGIN RSA PRIVATE KEY-----
MIIEowIBAAKCAQEAoFWjL5RdFjDfOTLo/iKTDYFN47uN9u0nM0AUIH9SUoeUHWU+
6Z8bkp7Dw07jSOB/n1S8Vq2KCSmWslgpV6OLAyIsdxWykG7pTYc4sLEvEWtAebg3
n58ZfrvUETD9UKR/Z6M8LLd6Lz/EOwrqUVn9lRbaSwQ67BX5in9/nOQrsvcxy2J7
cOtaPIPoCaggXp5Az8eKdjT+8IRD2afnhOQP6JLjovr8eBEUwiHu4skivrAq0Dx5
7j9VwDu38V0dFm3XH4aVXJFWbpC0kjKLyZ1wPp9lKJ7iJXRFE8ze0PQCf2JQk5h5
sGKVtg23c9tuVKxBts37+XwQlQiNln0sRBFiAwIDAQABAoIBAA4OA7yKsmN2f3lD
OhzEIutG2VeSgnE4IvAORW7/cKCoa6m6AG5SErfJfNqhjzEjvaKinThLhRnX6fLF
rkLiJLAh7kKDUrOJ7WygFmGZK2MvaVr7wYoXoPbOXnQiI1dO3C/Vcm073JUvIoBh
Rnh0I+0BfSHUHWaPNJOl9b9NWkey2bp8ERaEA9X2CGfnXuw8N8u8ZIohRU1roOiB
80tvY5WsYsNhpf+Rm1KYdLNSCdHKHSk9UJxRqKfn2vHO7EGV3124dNDNsdOfhhdT
1rfdBK9E4D9CV+CtZI+CXOeO1kmypYHakInKE2t4nyb83LfhNZWHAUqjxUMT0YDw
CIepkxkCgYEA3gvGYNsfK3R709W1+d2ulDHq28nSJySjMXl9WoA68Srwe9h2qVRz
xk4hZYAeYUQkuv6nC1ItNR9k5pRqH+o73nzvZUNAeLhVTDrwb2sLd46mmuGl+Hp8
wioyBzV9gSxV4yj+4I0y5cZmlGy+FS8Exdw3XlaTFPGQNgAvTfqLfxkCgYEAuNoa
Brq7+lxOXMc4z10kjuaatwTJSbDgzZpGpGVMAiks55ggYjfHOcI/iHkUYKecyWSz
CClrpc9jKCXUDl0vQC20lDG2dJq6AowaJEv5IO1BFesdOV6Dr6ExFrx9Z9oExGCw
2cH+OnGeUAnoceBwwVmXxyk4LDZwPwbkGWFM+XsCgYAVclm03TVDgzq6mTe8bJcC
JVgj5nhv43AHxU5AQYZv6M/VhnDfphKQotdC8H7+shBCJ3qG82b+bIvYYZlmf79M
nBCbXUWK43MJq9+xQ0uWPqcE6qqXN215a43teFMo+NlK2ZjUo4649tLNnzs03Je/
bKfEauRF75cYQChRhdOXcQKBgQCT/K/HYWmqhomJx0iY4nWpHb8Q9Hj9UOi4UWFq
rVoLhNFZW7XZS9RoTjW02VJSCv3/UWnvB9IRfZVhh99b3Ig+dhjSZ3Ytpc1yyp0H
H/eDv81ScdcEncEJMx/sltxC7wzP9qS+wIr6WQmoBDaeLFO4xzQ2kq5Q3wg/vRGR
rA8GzwKBgCX3Q/V5ZzhUXEVO+eaWEIMf2UMxB2q3pujaQB+gh6mVC5sr4Bn2xq6Y
r4MaLZ1oDOXkd+F3HOMtjKpkytwXNw/sZR8+W4spR4AUwc+CWS4ywYYHhYlVjzgD
STo9mLC7m4WRa1X2ssunw78iuFkwZKIuJ9g01qzTOeeYOgFr3QLV
-----END RSA PRIVATE KEY-----
";

    struct TestKey {
        enc: EncodingKey,
        jwk: Jwk,
        alg: Algorithm,
        kid: String,
    }

    fn keyed(enc: EncodingKey, alg: Algorithm) -> TestKey {
        let mut jwk = Jwk::from_encoding_key(&enc, alg).unwrap();
        let kid = jwk.thumbprint(ThumbprintHash::SHA256).unwrap();
        jwk.common.key_id = Some(kid.clone());
        TestKey { enc, jwk, alg, kid }
    }

    fn ec_key(alg: Algorithm) -> TestKey {
        let signing = match alg {
            Algorithm::ES256 => &ECDSA_P256_SHA256_FIXED_SIGNING,
            Algorithm::ES384 => &ECDSA_P384_SHA384_FIXED_SIGNING,
            other => panic!("not an EC alg: {other:?}"),
        };
        let doc = EcdsaKeyPair::generate_pkcs8(signing, &SystemRandom::new()).unwrap();
        keyed(EncodingKey::from_ec_der(doc.as_ref()), alg)
    }

    fn rsa_key(alg: Algorithm) -> TestKey {
        keyed(EncodingKey::from_rsa_pem(RSA_PEM.as_bytes()).unwrap(), alg)
    }

    fn now() -> u64 {
        jsonwebtoken::get_current_timestamp()
    }

    fn claims() -> Value {
        json!({
            "iss": ISS, "aud": AUD, "sub": "alice", "exp": now() + 300, "iat": now(),
            "email": "alice@example.com", "name": "Alice", "groups": ["engineering", "sre"],
        })
    }

    fn with(mut claims: Value, key: &str, value: Value) -> Value {
        claims[key] = value;
        claims
    }

    fn without(mut claims: Value, key: &str) -> Value {
        claims.as_object_mut().unwrap().remove(key);
        claims
    }

    fn sign(key: &TestKey, claims: &Value) -> String {
        let mut h = Header::new(key.alg);
        h.kid = Some(key.kid.clone());
        encode(&h, claims, &key.enc).unwrap()
    }

    fn b64(v: &Value) -> String {
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(v).unwrap())
    }

    fn jwks(keys: &[&TestKey]) -> JwkSet {
        JwkSet {
            keys: keys.iter().map(|k| k.jwk.clone()).collect(),
        }
    }

    fn verifier(keys: &[&TestKey]) -> Verifier {
        Verifier::new(
            vec![TrustedIssuer::new(ISS, AUD, JwksSource::Static(jwks(keys)))],
            reqwest::Client::new(),
        )
    }

    async fn refused(v: &Verifier, token: &str) -> String {
        match v.verify(token).await {
            Ok(p) => panic!("token accepted: {p:?}"),
            Err(AuthError(msg)) => {
                // The message never echoes the token or any part of it.
                for part in token.split('.').filter(|p| p.len() > 8) {
                    assert!(!msg.contains(part), "{msg}");
                }
                msg
            }
        }
    }

    #[test]
    fn verifier_is_send_and_sync_and_verify_is_send() {
        fn send_sync<T: Send + Sync>() {}
        fn send<T: Send>(_: &T) {}
        send_sync::<Verifier>();
        let v = verifier(&[]);
        let fut = v.verify("x");
        send(&fut);
    }

    #[tokio::test]
    async fn valid_es256_token_gives_the_principal() {
        let k = ec_key(Algorithm::ES256);
        let v = verifier(&[&k]);
        let p = v.verify(&sign(&k, &claims())).await.unwrap();
        assert_eq!(
            p,
            Principal {
                sub: "alice".into(),
                issuer: ISS.into(),
                email: Some("alice@example.com".into()),
                name: Some("Alice".into()),
                groups: vec!["engineering".into(), "sre".into()],
            }
        );
        assert_eq!(p.display(), "alice@example.com");
        let bare = without(without(claims(), "email"), "name");
        let p = v.verify(&sign(&k, &bare)).await.unwrap();
        assert_eq!((p.display(), &p.email, &p.name), ("alice", &None, &None));
    }

    #[tokio::test]
    async fn valid_rs256_token_and_jwk_without_alg() {
        let mut k = rsa_key(Algorithm::RS256);
        let v = verifier(&[&k]);
        assert_eq!(v.verify(&sign(&k, &claims())).await.unwrap().sub, "alice");
        // No `alg` in the JWK: RS256 is derived from the key type.
        k.jwk.common.key_algorithm = None;
        let v = verifier(&[&k]);
        assert_eq!(v.verify(&sign(&k, &claims())).await.unwrap().sub, "alice");
    }

    #[tokio::test]
    async fn forged_signatures_are_refused() {
        let k = ec_key(Algorithm::ES256);
        let v = verifier(&[&k]);
        // Signed by another key claiming the trusted kid.
        let mut attacker = ec_key(Algorithm::ES256);
        attacker.kid = k.kid.clone();
        let msg = refused(&v, &sign(&attacker, &claims())).await;
        assert!(msg.contains("signature"), "{msg}");
        // A genuine token with its payload swapped.
        let good = sign(&k, &claims());
        let parts: Vec<&str> = good.split('.').collect();
        let evil = b64(&with(claims(), "sub", json!("bob")));
        let msg = refused(&v, &format!("{}.{}.{}", parts[0], evil, parts[2])).await;
        assert!(msg.contains("signature"), "{msg}");
        // A signature that is not base64url, or empty.
        refused(&v, &format!("{}.{}.!!!", parts[0], parts[1])).await;
        refused(&v, &format!("{}.{}.", parts[0], parts[1])).await;
        // RSA too.
        let r = rsa_key(Algorithm::RS256);
        let v = verifier(&[&r]);
        let good = sign(&r, &claims());
        let parts: Vec<&str> = good.split('.').collect();
        refused(&v, &format!("{}.{}.{}", parts[0], evil, parts[2])).await;
    }

    #[tokio::test]
    async fn audience_is_checked() {
        let k = ec_key(Algorithm::ES256);
        let v = verifier(&[&k]);
        let msg = refused(&v, &sign(&k, &with(claims(), "aud", json!("zt-cli")))).await;
        assert!(msg.contains("audience"), "{msg}");
        refused(&v, &sign(&k, &with(claims(), "aud", json!(["a", "b"])))).await;
        refused(&v, &sign(&k, &with(claims(), "aud", json!([])))).await;
        let msg = refused(&v, &sign(&k, &without(claims(), "aud"))).await;
        assert!(msg.contains("aud"), "{msg}");
        let ok = sign(&k, &with(claims(), "aud", json!(["zt-cli", AUD])));
        assert!(v.verify(&ok).await.is_ok());
    }

    #[tokio::test]
    async fn issuer_is_checked() {
        let k = ec_key(Algorithm::ES256);
        let v = verifier(&[&k]);
        let msg = refused(
            &v,
            &sign(&k, &with(claims(), "iss", json!("https://evil.test"))),
        )
        .await;
        assert!(msg.contains("not trusted"), "{msg}");
        refused(
            &v,
            &sign(&k, &with(claims(), "iss", json!(format!("{ISS}/")))),
        )
        .await;
        refused(&v, &sign(&k, &with(claims(), "iss", json!([ISS])))).await;
        refused(&v, &sign(&k, &with(claims(), "iss", json!("")))).await;
        refused(&v, &sign(&k, &without(claims(), "iss"))).await;
    }

    #[tokio::test]
    async fn one_issuers_key_does_not_vouch_for_another() {
        let a = ec_key(Algorithm::ES256);
        let b = ec_key(Algorithm::ES256);
        let v = Verifier::new(
            vec![
                TrustedIssuer::new(ISS, AUD, JwksSource::Static(jwks(&[&a]))),
                TrustedIssuer::new("https://other.test", AUD, JwksSource::Static(jwks(&[&b]))),
            ],
            reqwest::Client::new(),
        );
        assert!(v.verify(&sign(&a, &claims())).await.is_ok());
        let other = with(claims(), "iss", json!("https://other.test"));
        assert_eq!(
            v.verify(&sign(&b, &other)).await.unwrap().issuer,
            "https://other.test"
        );
        // Claims issuer A, signed with B's key.
        let msg = refused(&v, &sign(&b, &claims())).await;
        assert!(msg.contains("unknown key"), "{msg}");
    }

    #[tokio::test]
    async fn expiry_not_before_and_leeway() {
        let k = ec_key(Algorithm::ES256);
        let v = verifier(&[&k]);
        let t = now();
        let msg = refused(&v, &sign(&k, &with(claims(), "exp", json!(t - 120)))).await;
        assert!(msg.contains("expired"), "{msg}");
        // Within the default 60 s leeway.
        assert!(
            v.verify(&sign(&k, &with(claims(), "exp", json!(t - 30))))
                .await
                .is_ok()
        );
        let msg = refused(&v, &sign(&k, &with(claims(), "nbf", json!(t + 120)))).await;
        assert!(msg.contains("not valid yet"), "{msg}");
        assert!(
            v.verify(&sign(&k, &with(claims(), "nbf", json!(t + 30))))
                .await
                .is_ok()
        );
        assert!(
            v.verify(&sign(&k, &with(claims(), "nbf", json!(t - 30))))
                .await
                .is_ok()
        );
        let msg = refused(&v, &sign(&k, &without(claims(), "exp"))).await;
        assert!(msg.contains("exp"), "{msg}");
        refused(&v, &sign(&k, &with(claims(), "exp", json!("tomorrow")))).await;
        refused(&v, &sign(&k, &with(claims(), "nbf", json!("yesterday")))).await;

        let mut strict = TrustedIssuer::new(ISS, AUD, JwksSource::Static(jwks(&[&k])));
        strict.leeway_secs = 0;
        let v = Verifier::new(vec![strict], reqwest::Client::new());
        refused(&v, &sign(&k, &with(claims(), "exp", json!(t - 30)))).await;
        refused(&v, &sign(&k, &with(claims(), "nbf", json!(t + 30)))).await;
    }

    #[tokio::test]
    async fn alg_none_is_refused() {
        let k = ec_key(Algorithm::ES256);
        let v = verifier(&[&k]);
        for alg in ["none", "None", "NONE", ""] {
            let h = json!({ "alg": alg, "typ": "JWT", "kid": k.kid });
            refused(&v, &format!("{}.{}.", b64(&h), b64(&claims()))).await;
            refused(&v, &format!("{}.{}.c2ln", b64(&h), b64(&claims()))).await;
        }
        let h = json!({ "typ": "JWT", "kid": k.kid });
        refused(&v, &format!("{}.{}.", b64(&h), b64(&claims()))).await;
    }

    #[tokio::test]
    async fn hmac_with_the_public_key_is_refused() {
        let k = ec_key(Algorithm::ES256);
        let r = rsa_key(Algorithm::RS256);
        let v = verifier(&[&k, &r]);
        let AlgorithmParameters::RSA(rsa) = &r.jwk.algorithm else {
            panic!()
        };
        let AlgorithmParameters::EllipticCurve(ec) = &k.jwk.algorithm else {
            panic!()
        };
        let mut point = vec![4u8];
        point.extend(URL_SAFE_NO_PAD.decode(&ec.x).unwrap());
        point.extend(URL_SAFE_NO_PAD.decode(&ec.y).unwrap());
        let secrets: Vec<(Vec<u8>, &str)> = vec![
            (point, k.kid.as_str()),
            (serde_json::to_vec(&k.jwk).unwrap(), k.kid.as_str()),
            (URL_SAFE_NO_PAD.decode(&rsa.n).unwrap(), r.kid.as_str()),
            (serde_json::to_vec(&r.jwk).unwrap(), r.kid.as_str()),
        ];
        for (secret, kid) in &secrets {
            for alg in [Algorithm::HS256, Algorithm::HS384, Algorithm::HS512] {
                let mut h = Header::new(alg);
                h.kid = Some(kid.to_string());
                let token = encode(&h, &claims(), &EncodingKey::from_secret(secret)).unwrap();
                let msg = refused(&v, &token).await;
                assert!(msg.contains("HMAC"), "{msg}");
                h.kid = None;
                let token = encode(&h, &claims(), &EncodingKey::from_secret(secret)).unwrap();
                refused(&v, &token).await;
            }
        }
    }

    #[tokio::test]
    async fn header_extensions_and_embedded_keys() {
        let k = ec_key(Algorithm::ES256);
        let v = verifier(&[&k]);
        let mut h = Header::new(Algorithm::ES256);
        h.kid = Some(k.kid.clone());
        h.crit = Some(vec!["exp".into()]);
        let msg = refused(&v, &encode(&h, &claims(), &k.enc).unwrap()).await;
        assert!(msg.contains("extensions"), "{msg}");
        // A key carried in the header is ignored: the attacker's own key does not vouch.
        let attacker = ec_key(Algorithm::ES256);
        let mut h = Header::new(Algorithm::ES256);
        h.jwk = Some(attacker.jwk.clone());
        refused(&v, &encode(&h, &claims(), &attacker.enc).unwrap()).await;
        h.kid = Some(k.kid.clone());
        refused(&v, &encode(&h, &claims(), &attacker.enc).unwrap()).await;
    }

    #[tokio::test]
    async fn symmetric_keys_in_a_jwks_are_never_used() {
        let oct: Jwk = serde_json::from_value(
            json!({ "kty": "oct", "k": "c2VjcmV0LXNlY3JldC1zZWNyZXQ", "kid": "hmac", "alg": "HS256" }),
        )
        .unwrap();
        let cfg = TrustedIssuer::new(ISS, AUD, JwksSource::Discover);
        let ks = KeySet::build(
            &JwkSet {
                keys: vec![oct.clone()],
            },
            &cfg,
            0,
        );
        assert!(ks.all.is_empty() && ks.by_kid.is_empty());
        let v = Verifier::new(
            vec![TrustedIssuer::new(
                ISS,
                AUD,
                JwksSource::Static(JwkSet { keys: vec![oct] }),
            )],
            reqwest::Client::new(),
        );
        let mut h = Header::new(Algorithm::HS256);
        h.kid = Some("hmac".into());
        let token = encode(
            &h,
            &claims(),
            &EncodingKey::from_secret(b"secret-secret-secret"),
        )
        .unwrap();
        refused(&v, &token).await;
    }

    #[tokio::test]
    async fn header_alg_must_match_the_key() {
        let k256 = ec_key(Algorithm::ES256);
        let k384 = ec_key(Algorithm::ES384);
        let v = verifier(&[&k256]);
        // ES384 header naming the P-256 key, signed with a P-384 key.
        let mut h = Header::new(Algorithm::ES384);
        h.kid = Some(k256.kid.clone());
        let msg = refused(&v, &encode(&h, &claims(), &k384.enc).unwrap()).await;
        assert!(msg.contains("does not match"), "{msg}");

        // An RSA key pinned to RS256 (declared or derived) refuses PS256, and vice versa.
        let mut r = rsa_key(Algorithm::RS256);
        let mut ps = Header::new(Algorithm::PS256);
        ps.kid = Some(r.kid.clone());
        let ps_token = encode(&ps, &claims(), &r.enc).unwrap();
        refused(&verifier(&[&r]), &ps_token).await;
        r.jwk.common.key_algorithm = None;
        refused(&verifier(&[&r]), &ps_token).await;
        r.jwk.common.key_algorithm = Some(KeyAlgorithm::PS256);
        let v = verifier(&[&r]);
        assert!(v.verify(&ps_token).await.is_ok());
        let rs_token = sign(&rsa_key(Algorithm::RS256), &claims());
        refused(&v, &rs_token).await;

        // A JWK whose declared alg contradicts its key type is not used at all.
        let mut bad = ec_key(Algorithm::ES256);
        bad.jwk.common.key_algorithm = Some(KeyAlgorithm::ES384);
        refused(&verifier(&[&bad]), &sign(&bad, &claims())).await;
        bad.jwk.common.key_algorithm = Some(KeyAlgorithm::RS256);
        refused(&verifier(&[&bad]), &sign(&bad, &claims())).await;
    }

    #[tokio::test]
    async fn tokens_without_kid() {
        let a = ec_key(Algorithm::ES256);
        let b = ec_key(Algorithm::ES256);
        let r = rsa_key(Algorithm::RS256);
        let no_kid = |k: &TestKey| encode(&Header::new(k.alg), &claims(), &k.enc).unwrap();
        // Exactly one key of the pinned kind: accepted.
        assert!(verifier(&[&a]).verify(&no_kid(&a)).await.is_ok());
        assert!(verifier(&[&a, &r]).verify(&no_kid(&a)).await.is_ok());
        assert!(verifier(&[&a, &r]).verify(&no_kid(&r)).await.is_ok());
        // Two candidates: refused, even for the right one.
        let msg = refused(&verifier(&[&a, &b]), &no_kid(&a)).await;
        assert!(msg.contains("several keys"), "{msg}");
        // None of its kind.
        refused(&verifier(&[&r]), &no_kid(&a)).await;
        refused(&verifier(&[]), &no_kid(&a)).await;
    }

    #[tokio::test]
    async fn unknown_kid_with_a_static_jwks() {
        let a = ec_key(Algorithm::ES256);
        let mut b = ec_key(Algorithm::ES256);
        b.kid = "nope".into();
        let msg = refused(&verifier(&[&a]), &sign(&b, &claims())).await;
        assert!(msg.contains("unknown key"), "{msg}");
    }

    #[tokio::test]
    async fn garbage_never_panics() {
        let k = ec_key(Algorithm::ES256);
        let v = verifier(&[&k]);
        let good = sign(&k, &claims());
        let mut inputs: Vec<String> = [
            "",
            ".",
            "..",
            "...",
            "a.b.c",
            "a.b.c.d",
            "Bearer x.y.z",
            "null",
            "{}",
            "é.ü.ß",
            "eyJhbGciOiJFUzI1NiJ9",
            "eyJhbGciOiJFUzI1NiJ9..",
            "eyJhbGciOiJFUzI1NiJ9.e30.",
            "eyJhbGciOiJFUzI1NiJ9.bnVsbA.AAAA",
            "eyJhbGciOiJFUzI1NiJ9.WzFd.AAAA",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        inputs.extend((0..good.len()).step_by(5).map(|n| good[..n].to_string()));
        inputs.push(format!("{good}."));
        inputs.push(format!("{good}x"));
        inputs.push(format!(" {good}"));
        inputs.push("a".repeat(1 << 20));
        inputs.push(format!("{good}{}", "A".repeat(1 << 20)));
        for input in &inputs {
            assert!(
                v.verify(input).await.is_err(),
                "accepted {:?}",
                &input[..input.len().min(40)]
            );
        }
        let big = with(claims(), "pad", json!("x".repeat(17 * 1024)));
        let msg = refused(&v, &sign(&k, &big)).await;
        assert!(msg.contains("too large"), "{msg}");
    }

    #[tokio::test]
    async fn claim_mapping() {
        let k = ec_key(Algorithm::ES256);
        let mut keycloak = TrustedIssuer::new(ISS, AUD, JwksSource::Static(jwks(&[&k])));
        keycloak.claims = ClaimNames {
            sub: "preferred_username".into(),
            groups: "realm_access.roles".into(),
            ..ClaimNames::default()
        };
        let v = Verifier::new(vec![keycloak], reqwest::Client::new());
        let c = with(
            with(claims(), "preferred_username", json!("alice.k")),
            "realm_access",
            json!({ "roles": ["admin", 7, "", "ops"] }),
        );
        let p = v.verify(&sign(&k, &c)).await.unwrap();
        assert_eq!(p.sub, "alice.k");
        assert_eq!(p.groups, vec!["admin", "ops"]);
        // The subject claim missing: refused even though `sub` exists.
        let msg = refused(&v, &sign(&k, &claims())).await;
        assert!(msg.contains("subject"), "{msg}");

        let mut auth0 = TrustedIssuer::new(ISS, AUD, JwksSource::Static(jwks(&[&k])));
        auth0.claims.groups = "https://zt.dev/groups".into();
        let v = Verifier::new(vec![auth0], reqwest::Client::new());
        let c = with(claims(), "https://zt.dev/groups", json!(["a.b"]));
        assert_eq!(v.verify(&sign(&k, &c)).await.unwrap().groups, vec!["a.b"]);

        let v = verifier(&[&k]);
        let one = with(claims(), "groups", json!("admins"));
        assert_eq!(
            v.verify(&sign(&k, &one)).await.unwrap().groups,
            vec!["admins"]
        );
        for odd in [json!(null), json!(3), json!({ "a": 1 }), json!("")] {
            let c = with(claims(), "groups", odd);
            assert!(v.verify(&sign(&k, &c)).await.unwrap().groups.is_empty());
        }
        assert!(
            v.verify(&sign(&k, &without(claims(), "groups")))
                .await
                .unwrap()
                .groups
                .is_empty()
        );
        for bad_sub in [json!(""), json!(42), json!(null)] {
            refused(&v, &sign(&k, &with(claims(), "sub", bad_sub))).await;
        }
        refused(&v, &sign(&k, &without(claims(), "sub"))).await;
    }

    /// A JWKS (and discovery document) served over real HTTP, whose keys a test can swap.
    struct JwksServer {
        base: String,
        keys: Arc<Mutex<JwkSet>>,
        jwks_hits: Arc<AtomicUsize>,
        discovery_hits: Arc<AtomicUsize>,
    }

    impl JwksServer {
        async fn start(keys: JwkSet, advertised_issuer: Option<&str>) -> Self {
            use axum::routing::get;
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let base = format!("http://{}", listener.local_addr().unwrap());
            let issuer = advertised_issuer.unwrap_or(&base).to_string();
            let keys = Arc::new(Mutex::new(keys));
            let jwks_hits = Arc::new(AtomicUsize::new(0));
            let discovery_hits = Arc::new(AtomicUsize::new(0));
            let (k, jh, dh) = (keys.clone(), jwks_hits.clone(), discovery_hits.clone());
            let doc = json!({ "issuer": issuer, "jwks_uri": format!("{base}/jwks") });
            let app = axum::Router::new()
                .route(
                    "/jwks",
                    get(move || async move {
                        jh.fetch_add(1, Ordering::SeqCst);
                        let set = k.lock().unwrap().clone();
                        axum::Json(set)
                    }),
                )
                .route(
                    "/.well-known/openid-configuration",
                    get(move || async move {
                        dh.fetch_add(1, Ordering::SeqCst);
                        axum::Json(doc)
                    }),
                );
            tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
            Self {
                base,
                keys,
                jwks_hits,
                discovery_hits,
            }
        }

        fn hits(&self) -> usize {
            self.jwks_hits.load(Ordering::SeqCst)
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn key_rotation_refetches_once_and_the_rate_limit_holds() {
        let interval = Duration::from_millis(1000);
        let a = ec_key(Algorithm::ES256);
        let b = ec_key(Algorithm::ES256);
        let srv = JwksServer::start(jwks(&[&a]), None).await;
        let mut cfg = TrustedIssuer::new(ISS, AUD, JwksSource::Url(format!("{}/jwks", srv.base)));
        cfg.min_refetch_interval = interval;
        let v = Arc::new(Verifier::new(vec![cfg], reqwest::Client::new()));

        // First use fetches; later uses hit the cache.
        assert!(v.verify(&sign(&a, &claims())).await.is_ok());
        assert!(v.verify(&sign(&a, &claims())).await.is_ok());
        assert_eq!(srv.hits(), 1);

        // The IdP rotates to B. Too soon after the last fetch: no refetch, refused.
        *srv.keys.lock().unwrap() = jwks(&[&b]);
        refused(&v, &sign(&b, &claims())).await;
        assert_eq!(srv.hits(), 1);
        // Once the interval has passed, B's kid triggers exactly one refetch.
        tokio::time::sleep(interval + Duration::from_millis(100)).await;
        assert!(v.verify(&sign(&b, &claims())).await.is_ok());
        assert_eq!(srv.hits(), 2);
        // A is gone from the new set (no refetch: rate-limited).
        refused(&v, &sign(&a, &claims())).await;

        // A flood of random kids does not reach the IdP.
        for i in 0..50 {
            let mut x = ec_key(Algorithm::ES256);
            x.kid = format!("random-{i}");
            refused(&v, &sign(&x, &claims())).await;
        }
        assert!(v.verify(&sign(&b, &claims())).await.is_ok());
        assert_eq!(srv.hits(), 2);

        // After the interval, many concurrent unknown kids cause a single fetch.
        tokio::time::sleep(interval + Duration::from_millis(100)).await;
        let tasks: Vec<_> = (0..16)
            .map(|i| {
                let v = v.clone();
                let mut x = ec_key(Algorithm::ES256);
                x.kid = format!("burst-{i}");
                let token = sign(&x, &claims());
                tokio::spawn(async move { v.verify(&token).await })
            })
            .collect();
        for t in tasks {
            assert!(t.await.unwrap().is_err());
        }
        assert_eq!(srv.hits(), 3);
        assert!(v.verify(&sign(&b, &claims())).await.is_ok());
    }

    #[tokio::test]
    async fn discovery_finds_the_jwks() {
        let a = ec_key(Algorithm::ES256);
        let srv = JwksServer::start(jwks(&[&a]), None).await;
        let v = Verifier::new(
            vec![TrustedIssuer::new(
                srv.base.clone(),
                AUD,
                JwksSource::Discover,
            )],
            reqwest::Client::new(),
        );
        let c = with(claims(), "iss", json!(srv.base));
        assert_eq!(v.verify(&sign(&a, &c)).await.unwrap().issuer, srv.base);
        assert!(v.verify(&sign(&a, &c)).await.is_ok());
        assert_eq!(srv.discovery_hits.load(Ordering::SeqCst), 1);
        assert_eq!(srv.hits(), 1);
    }

    #[tokio::test]
    async fn discovery_naming_another_issuer_is_refused() {
        let a = ec_key(Algorithm::ES256);
        let srv = JwksServer::start(jwks(&[&a]), Some("https://impostor.test")).await;
        let v = Verifier::new(
            vec![TrustedIssuer::new(
                srv.base.clone(),
                AUD,
                JwksSource::Discover,
            )],
            reqwest::Client::new(),
        );
        let c = with(claims(), "iss", json!(srv.base));
        let msg = refused(&v, &sign(&a, &c)).await;
        assert!(msg.contains("different issuer"), "{msg}");
        assert_eq!(srv.hits(), 0);
    }

    #[tokio::test]
    async fn unreachable_jwks_is_an_auth_error_and_rate_limited() {
        // A port that was just free: nothing listens there.
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let a = ec_key(Algorithm::ES256);
        let cfg = TrustedIssuer::new(
            ISS,
            AUD,
            JwksSource::Url(format!("http://127.0.0.1:{port}/jwks")),
        );
        let v = Verifier::new(vec![cfg], reqwest::Client::new());
        let msg = refused(&v, &sign(&a, &claims())).await;
        assert!(msg.contains("could not be fetched"), "{msg}");
        let started = Instant::now();
        let msg = refused(&v, &sign(&a, &claims())).await;
        assert!(msg.contains("could not be fetched"), "{msg}");
        assert!(started.elapsed() < Duration::from_millis(500));
    }
}
