//! The fake's TokenRequest endpoint: tokens minted for a ServiceAccount, with the API's bounds
//! on their lifetime.

use axum::http::StatusCode;
use axum::response::Response;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

use super::authz::Who;
use super::reply::{bad_request, forbidden, invalid, json_response, not_found};
use super::{API_AUDIENCE, Minted, World};
use zt_api::Timestamp;
use zt_broker::crypto;

pub(super) fn token_request(
    w: &mut World,
    who: &Who,
    ns: &str,
    name: &str,
    body: Value,
) -> Response {
    if w.refuse_tokens {
        return forbidden(who, "create", "", "serviceaccounts/token", Some(ns));
    }
    // The body may leave out apiVersion/kind; given, they must be TokenRequest's.
    if !body.is_object()
        || body
            .get("apiVersion")
            .is_some_and(|v| v != "authentication.k8s.io/v1")
        || body.get("kind").is_some_and(|v| v != "TokenRequest")
    {
        return bad_request("the body of the request was not a TokenRequest");
    }
    let Some(sa) = w.service_accounts.get(&(ns.to_owned(), name.to_owned())) else {
        return not_found("", "serviceaccounts", name);
    };
    let uid = sa["metadata"]["uid"].as_str().unwrap_or("").to_owned();
    // Defaulted to an hour when left out, as the API does.
    let asked = body["spec"]["expirationSeconds"].as_i64().unwrap_or(3600);
    let why = if asked < 600 {
        Some("may not specify a duration less than 10 minutes")
    } else if asked >= 1 << 32 {
        Some("may not specify a duration larger than 2^32 seconds")
    } else {
        None
    };
    if let Some(why) = why {
        return invalid(
            "TokenRequest",
            "authentication.k8s.io",
            name,
            "spec.expirationSeconds",
            &format!("Invalid value: {asked}: {why}"),
        );
    }
    let seconds = w.max_token_seconds.map_or(asked, |max| asked.min(max));
    let now = w.now();
    let expires = now + seconds;
    let audiences = match body["spec"]["audiences"].as_array() {
        Some(a) if !a.is_empty() => Value::Array(a.clone()),
        _ => json!([API_AUDIENCE]),
    };
    // Shaped like the API server's JWTs; the fake knows its tokens by value, so the
    // "signature" is just randomness.
    let claims = json!({
        "aud": audiences, "exp": expires, "iat": now, "nbf": now,
        "iss": API_AUDIENCE,
        "kubernetes.io": {"namespace": ns, "serviceaccount": {"name": name, "uid": uid}},
        "sub": format!("system:serviceaccount:{ns}:{name}"),
    });
    let token = format!(
        "{}.{}.{}",
        URL_SAFE_NO_PAD.encode(r#"{"alg":"RS256","kid":"zt-fake"}"#),
        URL_SAFE_NO_PAD.encode(claims.to_string()),
        URL_SAFE_NO_PAD.encode(crypto::random_bytes(64).expect("random"))
    );
    w.tokens.insert(
        token.clone(),
        Minted {
            namespace: ns.to_owned(),
            name: name.to_owned(),
            uid,
            expires,
        },
    );
    json_response(
        StatusCode::CREATED,
        &json!({
            "kind": "TokenRequest", "apiVersion": "authentication.k8s.io/v1",
            "metadata": {"name": name, "namespace": ns, "creationTimestamp": null},
            "spec": {"audiences": audiences, "expirationSeconds": seconds, "boundObjectRef": null},
            "status": {"token": token, "expirationTimestamp": Timestamp(expires).to_rfc3339()},
        }),
    )
}
