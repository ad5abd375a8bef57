//! openapi.yaml (`crates/zt-api/`) says exactly what the broker accepts: schemathesis (PyPI,
//! `scripts/peers.sh schemathesis`) generates requests from the document — valid ones and, in
//! its negative mode, ones the document forbids — against a real `zt-broker dev`, and every
//! check it has must pass: a schema-valid request is never a 400 (only 403/404/409/410/422 for
//! what it means), a schema-violating one is a 400 and nothing else, every answer matches its
//! documented status, headers and schema, nothing is a 5xx. Its stateful phase follows the
//! document's links from `createRequest` to the operations on the request and its grant.
//!
//! The configuration (tests/fixtures/schemathesis/) names the demo catalog's resources and
//! roles so generated requests reach the logic behind "no such resource", and a hook keeps
//! long-poll waits short. Fixed seed, bounded examples: the same run every time.

use std::process::Stdio;
use std::time::Instant;

use crate::common::broker::Broker;
use crate::common::serve::Login;
use crate::common::{Home, peer};

/// The seed (`ZT_FUZZ_SEED` overrides it, to explore) and examples per operation: about two
/// thousand requests, under a minute.
const SEED: &str = "20";
const EXAMPLES: &str = "100";

#[test]
fn schemathesis_finds_nothing_the_document_and_the_broker_disagree_on() {
    let Some(st) = peer("ZT_TEST_SCHEMATHESIS") else {
        return;
    };
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let fixtures = format!("{root}/tests/fixtures/schemathesis");
    let broker = Broker::start(&[]);
    // alice requests; bob (sre-leads, zt-admins) decides and reads the audit log (the
    // configuration says which operation sends which token): every operation has answers
    // besides 403, and a scenario can go from a new request to its grant's revocation.
    let login = Login::discover(&broker.url);
    let (token, approver) = (login.token("alice"), login.token("bob"));
    let home = Home::new();
    let seed = std::env::var("ZT_FUZZ_SEED").unwrap_or_else(|_| SEED.into());
    let started = Instant::now();
    let out = home
        .cmd(&st)
        .env("ZT_FUZZ_TOKEN", &token)
        .env("ZT_FUZZ_APPROVER_TOKEN", &approver)
        .env("SCHEMATHESIS_HOOKS", format!("{fixtures}/hooks.py"))
        // No __pycache__ beside the hooks in the source tree.
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .args(["--config-file", &format!("{fixtures}/schemathesis.toml")])
        .args([
            "--no-color",
            "run",
            &format!("{root}/crates/zt-api/openapi.yaml"),
        ])
        .args(["--url", &broker.url, "--checks", "all"])
        // The one DELETE, withdrawRequest, withdraws: the request is kept, readable in state
        // cancelled (openapi.yaml says so), so a 200 for it afterwards is no "use after free".
        .args(["--exclude-checks", "use_after_free"])
        .args(["--seed", &seed, "--max-examples", EXAMPLES])
        // One worker: hypothesis's lambda descriptions call ast.parse, which CPython 3.11
        // breaks when threads do it at once ("AST constructor recursion depth mismatch").
        .args(["--generation-database", "none", "--workers", "1"])
        .args(["--request-timeout", "30"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .expect("run schemathesis");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    // Shown with --nocapture, or when the test fails.
    eprintln!("{stdout}\nschemathesis took {:?}", started.elapsed());
    assert!(
        out.status.success(),
        "schemathesis found requests the document and the broker disagree on:\n{stdout}\n{stderr}"
    );
    // It ran, and every phase with it: a run that tested nothing must not pass.
    let counts = stdout
        .lines()
        .find(|l| l.contains(" generated, "))
        .unwrap_or_else(|| panic!("no summary in schemathesis's output:\n{stdout}"));
    eprintln!("schemathesis: {}", counts.trim());
    for l in stdout.lines().filter(|l| l.contains("API Links:")) {
        eprintln!("schemathesis stateful: {}", l.trim());
    }
    let generated: u32 = counts
        .split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no count in {counts:?}"));
    assert!(generated >= 500, "only {generated} cases:\n{stdout}");
    for phase in ["Examples", "Coverage", "Fuzzing", "Stateful"] {
        assert!(
            stdout.contains(&format!("✅ {phase}")),
            "phase {phase} did not pass:\n{stdout}"
        );
    }
    for t in [&token, &approver] {
        assert!(!stdout.contains(t.as_str()), "a token is in the output");
    }
}
