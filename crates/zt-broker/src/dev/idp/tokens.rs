//! What the dev IdP signs: access tokens (RFC 9068 `at+jwt`), ID tokens, and the token
//! endpoint's answer with a fresh refresh token.

use std::time::Instant;

use serde::Serialize;

use super::{DevIdp, DevUser, REFRESH_TTL, RefreshGrant, State, random_token, unix_now};

/// RFC 6749 §5.1 successful token response.
#[derive(Debug, Serialize)]
pub(super) struct TokenResponse {
    access_token: String,
    token_type: &'static str,
    expires_in: u64,
    refresh_token: String,
    id_token: String,
    scope: String,
}

#[derive(Serialize)]
struct AccessClaims<'a> {
    iss: &'a str,
    sub: &'a str,
    aud: &'a str,
    exp: u64,
    iat: u64,
    nbf: u64,
    jti: String,
    email: &'a str,
    name: &'a str,
    groups: &'a [String],
    client_id: &'a str,
    scope: &'a str,
    /// How and when they signed in (step-up authentication reads these): the dev IdP has
    /// one level, [`DEV_ACR`], and no methods worth naming.
    acr: &'a str,
    auth_time: u64,
}

/// The one authentication level of the dev IdP's sign-in (a user picked on a form): the
/// dev broker lists it as the dev IdP's only `acr_values`, so a `@step_up` there can ask
/// for a fresh sign-in (`max_age`) but no stronger one.
pub const DEV_ACR: &str = "urn:zt:dev:sign-in";

#[derive(Serialize)]
struct IdClaims<'a> {
    iss: &'a str,
    sub: &'a str,
    aud: &'a str,
    azp: &'a str,
    exp: u64,
    iat: u64,
    auth_time: u64,
    email: &'a str,
    email_verified: bool,
    name: &'a str,
    preferred_username: &'a str,
    groups: &'a [String],
    /// The sign-in's level, as in the access tokens (the review page's step-up reads it).
    acr: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    nonce: Option<&'a str>,
}

impl DevIdp {
    pub(super) fn sign_access(
        &self,
        user: &DevUser,
        client_id: &str,
        scope: &str,
        auth_time: u64,
    ) -> Result<String, String> {
        let now = unix_now();
        let claims = AccessClaims {
            iss: &self.cfg.issuer,
            sub: &user.name,
            aud: &self.cfg.audience,
            exp: now + self.cfg.access_ttl.as_secs(),
            iat: now,
            nbf: now,
            jti: random_token(16)?,
            email: &user.email,
            name: &user.name,
            groups: &user.groups,
            client_id,
            scope,
            acr: DEV_ACR,
            auth_time,
        };
        // RFC 9068: access tokens say so in `typ`, so an ID token cannot pass for one.
        self.key.sign(&claims, "at+jwt")
    }

    pub(super) fn sign_id(
        &self,
        user: &DevUser,
        client_id: &str,
        nonce: Option<&str>,
    ) -> Result<String, String> {
        let now = unix_now();
        let claims = IdClaims {
            iss: &self.cfg.issuer,
            sub: &user.name,
            aud: client_id,
            azp: client_id,
            exp: now + self.cfg.access_ttl.as_secs(),
            iat: now,
            auth_time: now,
            email: &user.email,
            email_verified: true,
            name: &user.name,
            preferred_username: &user.name,
            groups: &user.groups,
            acr: DEV_ACR,
            nonce,
        };
        self.key.sign(&claims, "JWT")
    }

    /// Mints an access token, an ID token and a fresh refresh token (recorded in `st`).
    pub(super) fn issue(
        &self,
        st: &mut State,
        user: &DevUser,
        client_id: &str,
        scope: &str,
        auth_time: u64,
    ) -> Result<TokenResponse, String> {
        let access_token = self.sign_access(user, client_id, scope, auth_time)?;
        let id_token = self.sign_id(user, client_id, None)?;
        let refresh_token = random_token(32)?;
        st.refresh.insert(
            refresh_token.clone(),
            RefreshGrant {
                auth_time,
                user: user.name.clone(),
                client_id: client_id.to_string(),
                scope: scope.to_string(),
                expires_at: Instant::now() + REFRESH_TTL,
            },
        );
        Ok(TokenResponse {
            access_token,
            token_type: "Bearer",
            expires_in: self.cfg.access_ttl.as_secs(),
            refresh_token,
            id_token,
            scope: scope.to_string(),
        })
    }
}
