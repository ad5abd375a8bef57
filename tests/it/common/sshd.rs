//! The real OpenSSH server (Debian `openssh-server`, `ZT_TEST_SSHD`) on a loopback port for the
//! SSH tests: it trusts a user CA (the broker's, `TrustedUserCAKeys`) and reads a key
//! revocation list (`RevokedKeys`, reread on every connection), logs in only by certificate,
//! and runs as root (sshd needs `/run/sshd`; the login user is the one running the tests).
//! Also a real `ssh-agent` per test. Both are killed on drop.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use super::eventually;

/// The sshd to run, when the test command installed OpenSSH (`ZT_TEST_SSHD`).
pub(crate) fn sshd_bin() -> Option<String> {
    super::peer("ZT_TEST_SSHD")
}

/// The user the tests run as: the certificate's principal and sshd's login user.
pub(crate) fn login_user() -> String {
    let out = Command::new("id").arg("-un").output().unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

pub(crate) struct Sshd {
    pub port: u16,
    pub dir: tempfile::TempDir,
    /// The host key's public line, for known_hosts.
    pub host_key: String,
    child: Child,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Sshd {
    /// An sshd on a free port with an empty KRL, trusting no CA yet ([`Sshd::trust`]): the
    /// port is one this sshd was seen listening on (a port probed free can be taken by another
    /// test's listener before sshd binds it; then another port is tried).
    pub(crate) fn start(bin: &str) -> Sshd {
        let mut seen = String::new();
        for _ in 0..5 {
            match Sshd::try_start(bin, free_port()) {
                Ok(sshd) => return sshd,
                Err(log) => seen = log,
            }
        }
        panic!("sshd did not start on a free port five times; its last log:\n{seen}");
    }

    /// Trust the user CA whose public key line is `ca` (sshd reads the file at each login).
    pub(crate) fn trust(&self, ca: &str) {
        std::fs::write(self.dir.path().join("ca.pub"), format!("{}\n", ca.trim())).unwrap();
    }

    /// sshd on `port`, or its log when it did not come to listen there.
    fn try_start(bin: &str, port: u16) -> Result<Sshd, String> {
        std::fs::create_dir_all("/run/sshd").unwrap();
        let dir = tempfile::Builder::new()
            .prefix("zt-sshd-")
            .tempdir()
            .unwrap();
        let d = dir.path();
        let st = Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "", "-f"])
            .arg(d.join("host"))
            .status()
            .unwrap();
        assert!(st.success());
        std::fs::write(d.join("ca.pub"), "").unwrap();
        // An empty KRL: sshd refuses every key when RevokedKeys names no readable file.
        let st = Command::new("ssh-keygen")
            .args(["-q", "-k", "-f"])
            .arg(d.join("krl"))
            .arg("/dev/null")
            .status()
            .unwrap();
        assert!(st.success());
        let cfg = format!(
            "Port {port}\nListenAddress 127.0.0.1\nHostKey {d}/host\nTrustedUserCAKeys {d}/ca.pub\n\
             RevokedKeys {d}/krl\nPermitRootLogin prohibit-password\nPasswordAuthentication no\n\
             KbdInteractiveAuthentication no\nAuthorizedKeysFile none\nUsePAM no\nStrictModes no\n\
             PidFile {d}/pid\nLogLevel VERBOSE\nSubsystem sftp internal-sftp\n",
            d = d.display()
        );
        std::fs::write(d.join("cfg"), cfg).unwrap();
        let log = std::fs::File::create(d.join("sshd.log")).unwrap();
        let child = Command::new(bin)
            .args(["-D", "-e", "-f"])
            .arg(d.join("cfg"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start sshd");
        let host_key = std::fs::read_to_string(d.join("host.pub")).unwrap();
        let host_key = host_key
            .split_whitespace()
            .take(2)
            .collect::<Vec<_>>()
            .join(" ");
        let mut sshd = Sshd {
            port,
            dir,
            host_key,
            child,
        };
        // Listening, by sshd's own word (not just anything on the port), and still running.
        let listening = format!("Server listening on 127.0.0.1 port {port}");
        let up = eventually(Duration::from_secs(10), || {
            sshd.log().contains(&listening) || !matches!(sshd.child.try_wait(), Ok(None))
        });
        if up.is_some() && matches!(sshd.child.try_wait(), Ok(None)) {
            Ok(sshd)
        } else {
            Err(sshd.log())
        }
    }

    pub(crate) fn krl(&self) -> PathBuf {
        self.dir.path().join("krl")
    }

    pub(crate) fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("sshd.log")).unwrap_or_default()
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A real ssh-agent on a socket of its own (`SSH_AUTH_SOCK`).
pub(crate) struct Agent {
    pub socket: PathBuf,
    _dir: tempfile::TempDir,
    child: Child,
}

impl Agent {
    pub(crate) fn start() -> Agent {
        let dir = tempfile::Builder::new()
            .prefix("zt-agent-")
            .tempdir()
            .unwrap();
        let socket = dir.path().join("agent.sock");
        let child = Command::new("ssh-agent")
            .arg("-D")
            .arg("-a")
            .arg(&socket)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start ssh-agent");
        assert!(
            eventually(Duration::from_secs(5), || {
                std::os::unix::net::UnixStream::connect(&socket).is_ok()
            })
            .is_some()
        );
        Agent {
            socket,
            _dir: dir,
            child,
        }
    }

    /// `ssh-add -l` against this agent: its stdout (one line per key), or "" for none (it then
    /// exits 1 saying "The agent has no identities.").
    pub(crate) fn list(&self) -> String {
        let out = Command::new("ssh-add")
            .arg("-l")
            .env_clear()
            .env("SSH_AUTH_SOCK", &self.socket)
            .output()
            .unwrap();
        match out.status.code() {
            Some(0) => String::from_utf8_lossy(&out.stdout).into_owned(),
            Some(1) => String::new(),
            _ => panic!("ssh-add -l: {out:?}"),
        }
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The arguments of an `ssh` that never asks anything and never touches the real user's
/// known_hosts.
pub(crate) fn batch(config: &Path) -> Vec<String> {
    vec![
        "-F".into(),
        config.display().to_string(),
        "-o".into(),
        "BatchMode=yes".into(),
        "-o".into(),
        "ConnectTimeout=10".into(),
    ]
}
