//! The `/v1` HTTP API, one file per group of routes; [`extract`] turns headers, bodies and
//! query strings into typed values or problem+json 400/401 answers. A route checks the form of
//! what it extracted, calls [`crate::domain`] for everything else (who may, what policy says,
//! what the store holds), and [`errors`] maps the domain's errors to problem+json, once.

pub mod audit;
pub mod body;
pub mod bundles;
pub mod challenge;
pub mod create;
pub mod decide;
mod errors;
pub mod extend;
pub mod extract;
pub mod grants;
pub mod info;
pub mod requests;
pub mod ssh;
pub mod text;
