//! How long the broker spends checking a bearer token once the issuer's keys are cached: every
//! API call pays this, so it has a budget (≤ 50 µs). Run with `cargo bench -p zt-broker
//! --bench jwt` (add `--profile dev` for a quick, unrepresentative run).

mod common;

use std::time::Instant;

use common::report;

use zt_broker::auth::{JwksSource, TrustedIssuer, Verifier};
use zt_broker::dev::idp::{DevIdp, DevIdpConfig};

const ITERATIONS: usize = 20_000;
const WARMUP: usize = 500;
/// `cargo test --all-targets` runs this binary without `--bench`: just check that it works.
const SMOKE_ITERATIONS: usize = 200;

fn main() -> Result<(), String> {
    let iterations = if std::env::args().any(|a| a == "--bench") {
        ITERATIONS
    } else {
        SMOKE_ITERATIONS
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let cfg = DevIdpConfig::default();
    let issuer = cfg.issuer.clone();
    let audience = cfg.audience.clone();
    let idp = DevIdp::new(cfg)?;
    let token = idp.mint_access_token("alice")?;
    let verifier = Verifier::new(
        vec![TrustedIssuer::new(
            issuer,
            audience,
            JwksSource::Static(idp.jwks()),
        )],
        reqwest::Client::new(),
    );

    // Every call pays this: distinct tokens, so each signature is checked (the first call a
    // client makes with a new access token), then one token again and again (every later
    // call: the verified-token cache).
    let fresh: Vec<String> = (0..iterations)
        .map(|_| idp.mint_access_token("alice"))
        .collect::<Result<_, _>>()?;
    let (signed, cached) = rt.block_on(async {
        for _ in 0..WARMUP {
            verifier.verify(&token).await.map_err(|e| e.0)?;
        }
        let mut signed = Vec::with_capacity(iterations);
        for t in &fresh {
            let start = Instant::now();
            let principal = verifier.verify(t).await;
            signed.push(start.elapsed());
            std::hint::black_box(principal.map_err(|e| e.0)?);
        }
        let mut cached = Vec::with_capacity(iterations);
        for _ in 0..iterations {
            let start = Instant::now();
            let principal = verifier.verify(&token).await;
            cached.push(start.elapsed());
            std::hint::black_box(principal.map_err(|e| e.0)?);
        }
        Ok::<_, String>((signed, cached))
    })?;
    report("jwt verify (ES256, warm JWKS, signature checked)", signed);
    report(
        "jwt verify (same token again, verified-token cache)",
        cached,
    );
    Ok(())
}
