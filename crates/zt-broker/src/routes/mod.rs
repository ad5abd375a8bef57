//! The `/v1` HTTP API, one file per group of routes; [`extract`] turns headers, bodies and
//! query strings into typed values or problem+json 400/401 answers.

pub mod acts;
pub mod audit;
pub mod body;
pub mod create;
pub mod decide;
pub mod extend;
pub mod extract;
pub mod grants;
pub mod info;
pub mod requests;
pub mod text;
