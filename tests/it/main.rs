//! The one integration-test binary: real `zt` and `zt-broker` processes in sealed HOMEs.

mod common;
mod consumer_parsers;
mod docs;
mod libpq_parsers;
mod offline;

#[cfg(feature = "broker")]
mod at_rest;
#[cfg(feature = "broker")]
mod audit;
#[cfg(feature = "broker")]
mod bad_input;
#[cfg(feature = "broker")]
mod concurrency;
#[cfg(feature = "broker")]
mod consumers;
#[cfg(feature = "broker")]
mod dev_notes;
#[cfg(feature = "broker")]
mod extend;
#[cfg(feature = "broker")]
mod fuzz;
#[cfg(feature = "broker")]
mod grant_life;
#[cfg(feature = "broker")]
mod hostile_files;
#[cfg(feature = "broker")]
mod hostile_text;
#[cfg(feature = "broker")]
mod issuers;
#[cfg(feature = "broker")]
mod journey;
#[cfg(feature = "broker")]
mod keyring;
#[cfg(feature = "broker")]
mod login_life;
#[cfg(feature = "broker")]
mod oidc;
#[cfg(feature = "broker")]
mod policies;
#[cfg(feature = "broker")]
mod readme;
#[cfg(feature = "broker")]
mod replicas;
#[cfg(feature = "broker")]
mod review;
#[cfg(feature = "broker")]
mod workload;
