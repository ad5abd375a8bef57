//! Writing grants where tools look for credentials, and wiping them again: each target has
//! `apply` and `wipe`. Text editing ([`kubeyaml`]) is pure; the file layers lock and write.

pub mod ini;
pub mod kubeconfig;
pub mod kubeyaml;
pub mod pgpass;
