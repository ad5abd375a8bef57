//! The `zt` binary this crate builds starts and knows its version. The end-to-end tests
//! (`tests/it`, their own package) run this same binary from the target dir; a test here is
//! also what makes `cargo test --workspace` build it before any test runs.

use std::process::Command;

#[test]
fn zt_reports_its_version() {
    let out = Command::new(env!("CARGO_BIN_EXE_zt"))
        .arg("--version")
        .env_clear()
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("zt {}\n", env!("CARGO_PKG_VERSION"))
    );
}
