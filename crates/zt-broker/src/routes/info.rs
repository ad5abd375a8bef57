//! Who is asking and what they may ask for: `GET /.well-known/zt`, `/v1/me`, `/v1/catalog`.

use axum::Json;
use axum::extract::State;

use super::extract::Caller;
use crate::domain;
use crate::state::AppState;
use zt_api as api;

/// Discovery: where to log in. No authentication.
pub async fn discovery(State(s): State<AppState>) -> Json<api::Discovery> {
    Json(s.broker.discovery.clone())
}

pub async fn me(Caller(p): Caller) -> Json<api::Me> {
    Json(api::Me {
        sub: p.sub,
        issuer: p.issuer,
        email: p.email,
        name: p.name,
        groups: p.groups,
    })
}

/// The roles this caller may request, each with whether policy would grant it at once
/// ([`domain::catalog::view`]).
pub async fn catalog(State(s): State<AppState>, Caller(p): Caller) -> Json<api::Catalog> {
    Json(domain::catalog::view(&s.broker, &p))
}
