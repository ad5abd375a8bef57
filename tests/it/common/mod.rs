//! The sealed test world: each `Home` is a temp HOME with its own config, state and runtime
//! dirs and an environment cleared of the developer's (jj's test_environment style), and
//! `Broker` is a real `zt-broker dev` bound to 127.0.0.1:0.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

pub(crate) fn zt_bin() -> &'static str {
    built_bin("zt")
}

pub(crate) fn broker_bin() -> &'static str {
    built_bin("zt-broker")
}

/// A binary of the workspace, from the target dir this test runs in (`target/<profile>/deps/it-*`
/// → `target/<profile>/`). Cargo hands `CARGO_BIN_EXE_*` only to a package's own tests, and
/// `zt` and `zt-broker` are two other packages; `cargo test --workspace` builds both binaries
/// before it runs any test (each of their crates has an integration test of its own).
fn built_bin(name: &str) -> &'static str {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};
    static FOUND: OnceLock<Mutex<HashMap<String, &'static str>>> = OnceLock::new();
    let mut found = FOUND.get_or_init(Default::default).lock().unwrap();
    if let Some(p) = found.get(name) {
        return p;
    }
    // ZT_TEST_ZT: another build of `zt` to drive, e.g. the static PIE that install.sh and
    // scripts/test.sh build (scripts/build-zt.sh).
    if let Some(p) = std::env::var_os("ZT_TEST_ZT").filter(|_| name == "zt") {
        let p: &'static str = Box::leak(p.to_string_lossy().into_owned().into_boxed_str());
        found.insert(name.to_string(), p);
        return p;
    }
    let exe = std::env::current_exe().expect("the test binary's own path");
    let dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("the test binary lives in target/<profile>/deps");
    let path = dir.join(name);
    assert!(
        path.is_file(),
        "{} is missing: run the end-to-end tests with `cargo test --workspace` (or `cargo build --workspace --bins` first)",
        path.display()
    );
    let path: &'static str = Box::leak(path.display().to_string().into_boxed_str());
    found.insert(name.to_string(), path);
    path
}

pub(crate) struct Home {
    pub dir: tempfile::TempDir,
}

impl Home {
    pub(crate) fn new() -> Home {
        let dir = tempfile::Builder::new()
            .prefix("zt-home-")
            .tempdir()
            .unwrap();
        for sub in [".config/zt", ".local/state/zt", "run", ".kube"] {
            std::fs::create_dir_all(dir.path().join(sub)).unwrap();
        }
        Home { dir }
    }

    pub(crate) fn path(&self) -> &Path {
        self.dir.path()
    }

    pub(crate) fn kubeconfig(&self) -> PathBuf {
        self.path().join(".kube/config")
    }

    pub(crate) fn state(&self) -> PathBuf {
        self.path().join(".local/state/zt")
    }

    /// The environment every process in this HOME sees, and nothing else (PATH kept so that
    /// kubectl and system tools resolve).
    pub(crate) fn envs(&self) -> Vec<(String, String)> {
        let h = self.path().display().to_string();
        vec![
            ("HOME".into(), h.clone()),
            ("PATH".into(), std::env::var("PATH").unwrap_or_default()),
            ("ZT_CONFIG_DIR".into(), format!("{h}/.config/zt")),
            ("ZT_STATE_DIR".into(), format!("{h}/.local/state/zt")),
            ("ZT_RUNTIME_DIR".into(), format!("{h}/run")),
            ("KUBECONFIG".into(), format!("{h}/.kube/config")),
            ("ZT_DEVICE_POLL_INTERVAL".into(), "0.2".into()),
            ("ZT_KEYRING_TIMEOUT".into(), "3".into()),
        ]
    }

    pub(crate) fn cmd(&self, program: &str) -> Command {
        let mut c = Command::new(program);
        c.env_clear()
            .envs(self.envs())
            .current_dir(self.path())
            .stdin(Stdio::null());
        c
    }

    pub(crate) fn zt(&self, args: &[&str]) -> Command {
        let mut c = self.cmd(zt_bin());
        c.args(args);
        c
    }

    pub(crate) fn run(&self, args: &[&str]) -> Out {
        Out::from(self.zt(args).output().unwrap())
    }
}

#[derive(Debug)]
pub(crate) struct Out {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl From<Output> for Out {
    fn from(o: Output) -> Out {
        Out {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

impl Out {
    #[track_caller]
    pub(crate) fn ok(&self) -> &Self {
        assert_eq!(self.code, 0, "expected success\n{self:#?}");
        self
    }

    #[track_caller]
    pub(crate) fn code(&self, code: i32) -> &Self {
        assert_eq!(self.code, code, "expected exit {code}\n{self:#?}");
        self
    }

    pub(crate) fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {self:#?}"))
    }
}

/// Poll `f` until it is true or `limit` passes; returns how long it took.
pub(crate) fn eventually(limit: Duration, mut f: impl FnMut() -> bool) -> Option<Duration> {
    let start = Instant::now();
    while start.elapsed() < limit {
        if f() {
            return Some(start.elapsed());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    None
}

/// The kubectl to drive, when the test command installed one (`ZT_TEST_KUBECTL`). With
/// `ZT_TEST_REQUIRE_PEERS=1` (the README's test command) a missing peer fails the test.
pub(crate) fn kubectl() -> Option<String> {
    peer("ZT_TEST_KUBECTL")
}

/// The request id from a waiting `zt request`'s first stderr line, `Request ID needs approval …`.
pub(crate) fn read_request_id(err: &mut impl std::io::BufRead) -> String {
    let mut line = String::new();
    err.read_line(&mut line).unwrap();
    line.split_whitespace()
        .nth(1)
        .filter(|_| line.starts_with("Request "))
        .unwrap_or_else(|| panic!("expected 'Request ID … needs approval', got {line:?}"))
        .to_string()
}

pub(crate) fn peer(var: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(p) if !p.is_empty() => Some(p),
        _ => {
            assert!(
                std::env::var("ZT_TEST_REQUIRE_PEERS").as_deref() != Ok("1"),
                "{var} is not set but ZT_TEST_REQUIRE_PEERS=1: run the README's test command"
            );
            eprintln!("skipping the part that needs {var} (run the README's test command for it)");
            None
        }
    }
}

pub(crate) mod broker;
pub(crate) mod browser;

pub(crate) mod keyring;
pub(crate) mod moto;
pub(crate) mod oidc;
pub(crate) mod procs;
pub(crate) mod serve;
pub(crate) mod sshd;
pub(crate) mod tinyhttp;
pub(crate) mod tmux;
pub(crate) mod world;

pub(crate) use oidc::external_broker;
