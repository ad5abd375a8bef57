//! Issue-and-sign latency of the `ssh` kind at the broker: the CA signing one certificate, and
//! the whole `POST /v1/grants/{id}/credentials` of an ssh grant over HTTP on the dev broker
//! (SQLite) — token check, the client's key parsed, a serial written to the store, the
//! certificate signed, the credential sealed and stored with its audit row — each with a
//! fresh Ed25519 key as a client would send. Run with `cargo bench -p zt-broker --bench
//! ssh_sign` (add `--profile dev` for a quick, unrepresentative run). It prints figures and
//! asserts nothing.

mod common;

use std::time::Instant;

use common::report;

use serde_json::json;
use zt_broker::issuers::ssh::ca::{CertSpec, SshCa};
use zt_testkit::broker::TestBroker;

const SIGNS: usize = 5_000;
const MINTS: usize = 500;
/// `cargo test --all-targets` runs this binary without `--bench`: just check that it works.
const SMOKE: usize = 20;

fn main() -> Result<(), String> {
    let full = std::env::args().any(|a| a == "--bench");
    let (signs, mints) = if full { (SIGNS, MINTS) } else { (SMOKE, SMOKE) };

    let ca = SshCa::generate()?;
    let keys: Vec<_> = (0..signs.max(mints))
        .map(|_| SshCa::generate().map(|k| k.public_key().clone()))
        .collect::<Result<_, _>>()?;
    let mut signed = Vec::with_capacity(signs);
    for (i, key) in keys.iter().take(signs).enumerate() {
        let spec = CertSpec {
            serial: i as u64 + 1,
            key_id: format!("zt alice@example.com grant g{i}"),
            principals: vec!["deploy".into()],
            valid_after: 1_700_000_000,
            valid_before: 1_700_003_600,
            critical_options: vec![],
            extensions: vec!["permit-pty".into()],
            comment: "zt".into(),
        };
        let start = Instant::now();
        let cert = ca.sign(key, &spec)?;
        signed.push(start.elapsed());
        std::hint::black_box(cert);
    }
    report("ssh certificate signed by the CA (Ed25519)", signed);

    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let minted = rt.block_on(async {
        let t = TestBroker::start().await;
        // The grants first (prod-ssh/login is granted at once): what is timed is the mint.
        let mut ids = Vec::with_capacity(mints);
        for _ in 0..mints {
            let r = t.create("alice", "prod-ssh", "login", 3600).await;
            if r.status != 201 {
                return Err(format!("create: {} {}", r.status, r.body));
            }
            ids.push(r.id());
        }
        let mut minted = Vec::with_capacity(mints);
        for (id, key) in ids.iter().zip(&keys) {
            let body = json!({ "public_key": key.to_openssh().map_err(|e| e.to_string())? });
            let path = format!("/v1/grants/{id}/credentials");
            let start = Instant::now();
            let r = t.post("alice", &path, Some(body)).await;
            minted.push(start.elapsed());
            if r.status != 200 || r.body["kind"] != "ssh" {
                return Err(format!("credentials: {} {}", r.status, r.body));
            }
        }
        t.stop().await;
        Ok(minted)
    })?;
    report(
        "POST /v1/grants/{id}/credentials, ssh (HTTP, token, serial, sign, store, audit)",
        minted,
    );
    Ok(())
}
