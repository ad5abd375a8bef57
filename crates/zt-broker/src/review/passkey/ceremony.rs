//! The WebAuthn ceremonies, on webauthn-rs: registering a passkey, and the assertion that
//! confirms an approval. The relying party is the review pages' host (WebAuthn refuses IP
//! addresses as RP ids), the origin their scheme, host and port.
//!
//! An approval's challenge is not webauthn-rs's random one but SHA-256 over a label, the
//! request id and a nonce the store keeps for that approver and request ([`challenge`]): the
//! authenticator's signature then covers which request it approves, and the nonce, used once
//! and deleted by the approval, makes every assertion count once. An assertion made for
//! another request, or one already used, carries another challenge and fails verification.
//! webauthn-rs checks the rest: signature, origin, RP id hash, user presence and
//! verification (passkeys require UV), and that the credential is one of the approver's.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use webauthn_rs::prelude::{
    CreationChallengeResponse, Passkey, PasskeyAuthentication, PasskeyRegistration,
    PublicKeyCredential, RegisterPublicKeyCredential, RequestChallengeResponse, Url, Uuid,
    Webauthn, WebauthnBuilder, WebauthnError,
};

use crate::crypto::{hex, random_bytes};

/// The label the approval challenge is hashed under (a version, should it ever change).
const LABEL: &[u8] = b"zt approval v1";

/// How long an approval nonce or a registration in progress is good for, in seconds: a
/// person at the page, not a stored assertion for later.
pub const CEREMONY_SECS: i64 = 10 * 60;

/// The relying party: who the passkeys are for.
pub struct RelyingParty {
    webauthn: Webauthn,
    rp_id: String,
}

impl std::fmt::Debug for RelyingParty {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RelyingParty")
            .field("rp_id", &self.rp_id)
            .finish()
    }
}

impl RelyingParty {
    /// The relying party of review pages served under `base` (`[server] public_url`, or the
    /// URL the broker listens on): its host is the RP id. An IP address is refused —
    /// browsers refuse it as an RP id — with a message that says what to configure.
    pub fn from_base(base: &str) -> Result<Self, String> {
        let url = Url::parse(base).map_err(|e| format!("the review pages' URL {base:?}: {e}"))?;
        let host = url
            .host_str()
            .ok_or_else(|| format!("the review pages' URL {base:?} has no host"))?;
        if host
            .trim_matches(['[', ']'])
            .parse::<std::net::IpAddr>()
            .is_ok()
        {
            return Err(format!(
                "passkey approvals need the review pages on a host name, not the IP address {host} \
                 (WebAuthn refuses IP addresses as relying-party ids): set [server] public_url (and \
                 [review] redirect_uri) to a URL with a host name (http://localhost:PORT on one \
                 machine)"
            ));
        }
        if !matches!(url.scheme(), "https" | "http") {
            return Err(format!(
                "the review pages' URL {base:?} is neither https nor http"
            ));
        }
        let origin = Url::parse(&url.origin().ascii_serialization())
            .map_err(|e| format!("the review pages' origin: {e}"))?;
        let webauthn = WebauthnBuilder::new(host, &origin)
            .and_then(|b| b.rp_name("zt").build())
            .map_err(|e| format!("passkeys for {host}: {e}"))?;
        Ok(Self {
            webauthn,
            rp_id: host.to_owned(),
        })
    }

    pub fn rp_id(&self) -> &str {
        &self.rp_id
    }

    /// Start registering a passkey for the person `issuer`/`sub` (`name` is what
    /// authenticators show), excluding the ones they have: the options for
    /// `navigator.credentials.create`, and the state to keep until they answer.
    pub fn start_registration(
        &self,
        issuer: &str,
        sub: &str,
        name: &str,
        existing: &[Passkey],
    ) -> Result<(CreationChallengeResponse, String), String> {
        let exclude = existing.iter().map(|k| k.cred_id().clone()).collect();
        let (options, state) = self
            .webauthn
            .start_passkey_registration(user_handle(issuer, sub), name, name, Some(exclude))
            .map_err(|e| format!("passkey registration: {e}"))?;
        let state = serde_json::to_string(&state).map_err(|e| e.to_string())?;
        Ok((options, state))
    }

    /// Finish a registration: the browser's answer checked against the kept state.
    pub fn finish_registration(&self, answer: &str, state: &str) -> Result<Passkey, Refusal> {
        let answer: RegisterPublicKeyCredential = serde_json::from_str(answer)
            .map_err(|e| Refusal(format!("the browser's answer is not a passkey: {e}")))?;
        let state: PasskeyRegistration = serde_json::from_str(state)
            .map_err(|e| Refusal(format!("the registration in progress is unreadable: {e}")))?;
        self.webauthn
            .finish_passkey_registration(&answer, &state)
            .map_err(|e| Refusal(format!("the passkey was not registered: {e}")))
    }

    /// The options for `navigator.credentials.get` that approve request `id` with one of
    /// `passkeys`, under the approver's current `nonce` for it.
    pub fn approval_options(
        &self,
        passkeys: &[Passkey],
        id: &str,
        nonce: &str,
    ) -> Result<RequestChallengeResponse, String> {
        let (mut options, _) = self
            .webauthn
            .start_passkey_authentication(passkeys)
            .map_err(|e| format!("passkey approval: {e}"))?;
        options.public_key.challenge = challenge(id, nonce);
        Ok(options)
    }

    /// Check `assertion` (the browser's JSON) as an approval of request `id` under `nonce`
    /// by one of `passkeys`: the passkey used, with its counter moved on, and the flags.
    pub fn verify_approval(
        &self,
        passkeys: &[Passkey],
        id: &str,
        nonce: &str,
        assertion: &str,
    ) -> Result<Verified, Refusal> {
        let assertion: PublicKeyCredential = serde_json::from_str(assertion).map_err(|e| {
            Refusal(format!(
                "the browser's answer is not a passkey assertion: {e}"
            ))
        })?;
        let (_, state) = self
            .webauthn
            .start_passkey_authentication(passkeys)
            .map_err(|e| Refusal(format!("passkey approval: {e}")))?;
        let state = with_challenge(state, &challenge(id, nonce))
            .map_err(|e| Refusal(format!("passkey approval: {e}")))?;
        let result = self
            .webauthn
            .finish_passkey_authentication(&assertion, &state)
            .map_err(|e| Refusal(refusal(&e, id)))?;
        let mut passkey = passkeys
            .iter()
            .find(|k| k.cred_id() == result.cred_id())
            .cloned()
            .ok_or_else(|| Refusal("the passkey is not one of yours".into()))?;
        passkey.update_credential(&result);
        Ok(Verified {
            credential_id: URL_SAFE_NO_PAD.encode(result.cred_id()),
            user_verified: result.user_verified(),
            counter: result.counter(),
            passkey,
        })
    }
}

/// A verified approval assertion.
#[derive(Debug)]
pub struct Verified {
    /// Base64url, no padding.
    pub credential_id: String,
    pub user_verified: bool,
    pub counter: u32,
    /// The passkey, its counter and backup state moved on: store it back.
    pub passkey: Passkey,
}

/// Why an answer from the browser was refused: for the person and the audit log.
#[derive(Debug, Clone, PartialEq)]
pub struct Refusal(pub String);

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn refusal(e: &WebauthnError, id: &str) -> String {
    match e {
        WebauthnError::MismatchedChallenge => format!(
            "the passkey signed another challenge than request {id}'s current one: a replayed \
             assertion, or one made for another request"
        ),
        WebauthnError::CredentialNotFound => "the passkey is not one of yours".into(),
        WebauthnError::UserNotVerified => {
            "the authenticator did not verify you (PIN or biometrics)".into()
        }
        WebauthnError::InvalidRPOrigin | WebauthnError::InvalidRPIDHash => {
            "the assertion was made for another site".into()
        }
        other => format!("the passkey assertion does not verify: {other}"),
    }
}

/// The challenge of `id`'s approval under `nonce`: SHA-256(label, 0, id, 0, nonce).
pub fn challenge(id: &str, nonce: &str) -> Vec<u8> {
    let mut data = Vec::with_capacity(LABEL.len() + id.len() + nonce.len() + 2);
    data.extend_from_slice(LABEL);
    data.push(0);
    data.extend_from_slice(id.as_bytes());
    data.push(0);
    data.extend_from_slice(nonce.as_bytes());
    aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &data)
        .as_ref()
        .to_vec()
}

/// A fresh nonce: 32 random bytes, hex.
pub fn new_nonce() -> Result<String, String> {
    Ok(hex(&random_bytes(32)?))
}

/// webauthn-rs makes its own random challenge; the state it verifies against is its
/// documented serialised form, so the derived challenge is put there.
fn with_challenge(
    state: PasskeyAuthentication,
    challenge: &[u8],
) -> Result<PasskeyAuthentication, String> {
    let mut v = serde_json::to_value(&state).map_err(|e| e.to_string())?;
    let slot = v
        .get_mut("ast")
        .and_then(|ast| ast.get_mut("challenge"))
        .ok_or("webauthn-rs's authentication state has no challenge")?;
    *slot = serde_json::Value::String(URL_SAFE_NO_PAD.encode(challenge));
    serde_json::from_value(v).map_err(|e| e.to_string())
}

/// The WebAuthn user handle of `issuer`/`sub`: stable, and revealing neither.
fn user_handle(issuer: &str, sub: &str) -> Uuid {
    let mut data = Vec::new();
    data.extend_from_slice(b"zt user handle\0");
    data.extend_from_slice(issuer.as_bytes());
    data.push(0);
    data.extend_from_slice(sub.as_bytes());
    let d = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &data);
    let mut b = [0u8; 16];
    b.copy_from_slice(&d.as_ref()[..16]);
    Uuid::from_bytes(b)
}
