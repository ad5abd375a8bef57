//! The one integration-test binary: real `zt` and `zt-broker` processes in sealed HOMEs.

// Test support prints what it saw when a peer misbehaves.
#![allow(clippy::print_stderr)]

mod common;

mod ask;
mod at_rest;
mod audit;
mod bad_input;
mod broker_sshd;
mod bundles;
mod concurrency;
mod consumer_parsers;
mod consumers;
mod dev_notes;
mod docs;
mod extend;
mod first_use;
mod fuzz;
mod grant_end;
mod grant_life;
mod hostile_files;
mod hostile_text;
mod issuers;
mod journey;
mod keyring;
mod libpq_parsers;
mod local;
mod login_life;
mod logs;
mod offline;
mod oidc;
mod on_postgres;
mod oncall;
mod passkey;
mod policies;
mod problems;
mod readme;
mod replicas;
mod review;
mod review_page;
mod scheduled;
mod serve_issuers;
mod ssh;
mod ssh_agent;
mod ssh_files;
mod step_up;
mod told;
mod tty_login;
mod tty_pickers;
mod webhooks;
mod workload;
