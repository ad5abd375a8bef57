//! Test support shared by zt-broker's integration tests and benches and the end-to-end tests
//! (`tests/`): never a dependency of `zt` or `zt-broker` themselves (`publish = false`).
//!
//! - [`broker`] the dev broker in-process on 127.0.0.1:0 (the real dev wiring, its reaper and
//!   the dev Kubernetes API), called over real HTTP as the dev IdP's users.
//! - [`pg`] a throwaway PostgreSQL server (the real one, from `ZT_TEST_PG_BIN`).
//! - [`kube`] a FAKE Kubernetes API server speaking the real wire format, for the Kubernetes
//!   issuer (no kube-apiserver can run here).

// Test support tells the person running the tests why a test skips (no PostgreSQL found): on
// stderr, as the tests themselves do.
#![allow(clippy::print_stderr)]

pub mod broker;
pub mod kube;
pub mod passkey;
pub mod pg;
