//! The one integration-test binary: real `zt` and `zt-broker` processes in sealed HOMEs.

mod common;
mod docs;
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
mod issuers;
#[cfg(feature = "broker")]
mod journey;
#[cfg(feature = "broker")]
mod keyring;
#[cfg(feature = "broker")]
mod oidc;
#[cfg(feature = "broker")]
mod policies;
#[cfg(feature = "broker")]
mod replicas;
#[cfg(feature = "broker")]
mod review;
#[cfg(feature = "broker")]
mod workload;
