//! The real OS keyrings, headless: a private Secret Service (D-Bus session bus + gnome-keyring,
//! `tests/fixtures/keyring/secret_service.sh`) that any process can be pointed at, and
//! shell steps run inside a fresh kernel session keyring (`keyctl session -`), since a session
//! keyring is inherited, never joined from outside.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::Duration;

use super::procs::{lines, run_for, until_line};
use super::{Home, Out, peer};

pub(crate) fn fixture(name: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .join("tests/fixtures/keyring")
        .join(name)
}

/// Whether the keyring peers are installed (`ZT_TEST_KEYRING=1` from scripts/test.sh).
pub(crate) fn keyring_peers() -> bool {
    peer("ZT_TEST_KEYRING").is_some()
}

/// A Secret Service of our own, alive until dropped. Its keyring file lives in the HOME it was
/// started for (`~/.local/share/keyrings`, encrypted with a test password).
pub(crate) struct SecretService {
    pub bus: String,
    child: Child,
    stdin: Option<ChildStdin>,
}

impl SecretService {
    pub(crate) fn start(home: &Home) -> SecretService {
        Self::start_with(home, false)
    }

    /// The daemon running but its keyring locked (as after a reboot, before the desktop
    /// unlocks it): reading or writing needs a prompt, which cannot be shown here.
    pub(crate) fn start_locked(home: &Home) -> SecretService {
        Self::start_with(home, true)
    }

    fn start_with(home: &Home, locked: bool) -> SecretService {
        let runtime = home.path().join("xdg-runtime");
        let mut cmd = home.cmd(fixture("secret_service.sh").to_str().unwrap());
        cmd.env("XDG_RUNTIME_DIR", &runtime)
            .env("ZT_TEST_KEYRING_LOCKED", if locked { "1" } else { "0" })
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        let mut child = cmd.spawn().expect("start secret_service.sh");
        let stdin = child.stdin.take();
        let rx = lines(child.stdout.take().unwrap());
        let mut seen = String::new();
        let mut bus = None;
        let ready = until_line(&rx, Duration::from_secs(20), &mut seen, |l| {
            if let Some(a) = l.strip_prefix("DBUS_SESSION_BUS_ADDRESS=") {
                bus = Some(a.to_string());
            }
            (l == "READY").then_some(())
        });
        let (Some(()), Some(bus)) = (ready, bus) else {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the Secret Service did not start:\n{seen}");
        };
        SecretService { bus, child, stdin }
    }

    /// A zt command in `home` that talks to this Secret Service.
    pub(crate) fn zt(&self, home: &Home, args: &[&str]) -> Command {
        let mut c = home.zt(args);
        c.env("DBUS_SESSION_BUS_ADDRESS", &self.bus);
        c
    }
}

impl Drop for SecretService {
    fn drop(&mut self) {
        // Closing stdin ends the script, which stops gnome-keyring and the bus.
        drop(self.stdin.take());
        if super::procs::wait_for(&mut self.child, Duration::from_secs(10)).is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Shell steps run one after another in ONE process tree (a wrapper such as `keyctl session -`
/// around `bash`), each step's output and status kept apart.
pub(crate) struct Steps {
    script: String,
    names: Vec<String>,
}

impl Steps {
    pub(crate) fn new() -> Steps {
        Steps {
            script: String::from(
                "set -u\nstep() { n=$1; shift; \"$@\" >\"$D/$n.out\" 2>\"$D/$n.err\" </dev/null; echo $? >\"$D/$n.rc\"; }\n",
            ),
            names: Vec::new(),
        }
    }

    /// A step running `argv` (each word quoted for the shell).
    pub(crate) fn cmd(mut self, name: &str, argv: &[&str]) -> Steps {
        let words: Vec<String> = argv.iter().map(|w| quote(w)).collect();
        let _ = writeln!(self.script, "step {name} {}", words.join(" "));
        self.names.push(name.to_string());
        self
    }

    /// A step running a line of shell (for `$(…)` and pipes).
    pub(crate) fn sh(mut self, name: &str, line: &str) -> Steps {
        let _ = writeln!(self.script, "step {name} bash -c {}", quote(line));
        self.names.push(name.to_string());
        self
    }

    /// Run the steps as `wrapper… bash SCRIPT` with `home`'s environment plus `env`; the
    /// outcome of each step by name.
    pub(crate) fn run(
        self,
        home: &Home,
        wrapper: &[&str],
        env: &[(&str, &str)],
    ) -> std::collections::HashMap<String, Out> {
        let dir = tempfile::Builder::new()
            .prefix("zt-steps-")
            .tempdir()
            .unwrap();
        let script = dir.path().join("steps.sh");
        std::fs::write(&script, &self.script).unwrap();
        let (program, rest) = wrapper.split_first().expect("a wrapper program");
        let mut c = home.cmd(program);
        c.args(rest)
            .arg("bash")
            .arg(&script)
            .env("D", dir.path())
            .envs(env.iter().copied());
        let whole = run_for(c, Duration::from_secs(120));
        assert_eq!(whole.code, 0, "the step script failed: {whole:#?}");
        let read = |n: &str, ext: &str| {
            std::fs::read_to_string(dir.path().join(format!("{n}.{ext}"))).unwrap_or_default()
        };
        self.names
            .iter()
            .map(|n| {
                let code = read(n, "rc").trim().parse().unwrap_or_else(|_| {
                    panic!("step {n} did not run:\n{}\n{whole:#?}", self.script)
                });
                (
                    n.clone(),
                    Out {
                        code,
                        stdout: read(n, "out"),
                        stderr: read(n, "err"),
                    },
                )
            })
            .collect()
    }
}

fn quote(w: &str) -> String {
    format!("'{}'", w.replace('\'', r"'\''"))
}
