//! The reference broker (`zt-broker`): HTTP API, store, policy, issuers, expiry reaper, and
//! the embedded development defaults (`zt-broker dev`).

pub mod auth;
pub mod devidp;
