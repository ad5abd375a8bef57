//! SSH grants end to end against the real OpenSSH (Debian `openssh-server`/`openssh-client`,
//! `ZT_TEST_SSHD`): a real `zt-broker dev` whose user CA the real sshd trusts, real `ssh`,
//! `scp`, `rsync`, `ssh-agent` and `ssh-add`. `ssh` is given `-F <HOME>/.ssh/config`: it finds
//! the user's config through the user database, not `$HOME`, and these HOMEs are sealed.
//!
//! - `ssh zt-prod-ssh` through the Host block zt wrote, scp and rsync over it, and through the
//!   agent alone; after the TTL sshd refuses the same command and the agent no longer lists
//!   the key; then the user's config is byte-identical to what it was;
//! - after an early `zt revoke`, the key copied aside still logs in until the host refreshes
//!   its KRL (`zt-broker ssh krl`), then sshd refuses the still-unexpired certificate;
//! - `zt exec prod-ssh -- ssh …` with the key only in a private agent, gone after the command.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::common::broker::Broker;
use crate::common::sshd::{Agent, Sshd, batch, login_user, sshd_bin};
use crate::common::world::World;
use crate::common::{Out, eventually};

/// What a user's ssh config holds: comments, a Match block, wildcards, CRLF line breaks, no
/// final line break.
pub(crate) const USER_SSH_CONFIG: &str = "# ~/.ssh/config — mine\r\nHost *\r\n    ServerAliveInterval 30\r\n\r\nMatch host *.corp exec \"test -f /nonexistent\"\r\n    ProxyJump bastion\r\n\r\nHost bastion\r\n    HostName 192.0.2.1\r\n    User me";

/// GET `path` from the broker at `url` (plain HTTP on loopback): the body.
pub(crate) fn http_get(url: &str, path: &str) -> Vec<u8> {
    let addr = url.strip_prefix("http://").unwrap();
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.0\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut all = Vec::new();
    s.read_to_end(&mut all).unwrap();
    let at = all.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8_lossy(&all[..at]);
    assert!(
        head.starts_with("HTTP/1.1 200") || head.starts_with("HTTP/1.0 200"),
        "{head}"
    );
    all[at + 4..].to_vec()
}

/// A dev broker whose prod-ssh points at a port an sshd trusting its CA listens on.
pub(crate) struct SshWorld {
    pub broker: Broker,
    /// The dev broker's data directory (its SSH CA, its store).
    pub data: tempfile::TempDir,
    pub sshd: Sshd,
    pub w: World,
}

/// A catalog's text for the sshd's port and the login user.
type Catalog = dyn Fn(u16, &str) -> String;

impl SshWorld {
    pub(crate) fn start(bin: &str, extra: &[&str]) -> SshWorld {
        Self::start_with(bin, extra, None)
    }

    /// With `catalog(port, login user)` as the broker's catalog (`--catalog`) instead of the
    /// demo's.
    pub(crate) fn start_with(bin: &str, extra: &[&str], catalog: Option<&Catalog>) -> SshWorld {
        // sshd first, on a port it was seen listening on; it trusts the broker's CA once the
        // broker (told that port) has made one.
        let sshd = Sshd::start(bin);
        let port = sshd.port;
        let user = login_user();
        let port_s = port.to_string();
        let data = tempfile::Builder::new()
            .prefix("zt-broker-data-")
            .tempdir()
            .unwrap();
        let data_s = data.path().display().to_string();
        let mut args = vec![
            "--auto-login",
            "alice",
            "--ssh-port",
            &port_s,
            "--ssh-user",
            &user,
            "--data-dir",
            &data_s,
        ];
        args.extend_from_slice(extra);
        let catalog_file = data.path().join("catalog.toml");
        let catalog_s = catalog_file.display().to_string();
        if let Some(make) = catalog {
            std::fs::write(&catalog_file, make(port, &user)).unwrap();
            args.extend(["--catalog", &catalog_s]);
        }
        let broker = Broker::start(&args);
        let ca = String::from_utf8(http_get(&broker.url, "/v1/ssh/ca")).unwrap();
        sshd.trust(&ca);
        let w = World::new();
        SshWorld {
            broker,
            data,
            sshd,
            w,
        }
    }

    pub(crate) fn user_config(&self) -> PathBuf {
        self.w.path().join(".ssh/config")
    }

    /// `ssh` (or scp, rsync) with the HOME's environment plus `extra`.
    pub(crate) fn tool(&self, program: &str, args: &[String], extra: &[(&str, &Path)]) -> Out {
        let mut c = self.w.cmd(program);
        c.args(args);
        for (k, v) in extra {
            c.env(k, v);
        }
        let mut out = Out::from(c.output().unwrap());
        if out.stderr.contains("banner exchange") {
            // Not sshd's answer: say what listened on its port, and what sshd logged.
            let ss = std::process::Command::new("ss")
                .args(["-ltnp", &format!("sport = :{}", self.sshd.port)])
                .output()
                .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
                .unwrap_or_default();
            let log = self.sshd.log();
            let tail: Vec<&str> = log.lines().rev().take(30).collect();
            out.stderr.push_str(&format!(
                "\n--- listening on {} ---\n{ss}--- sshd's log (last lines) ---\n{}\n",
                self.sshd.port,
                tail.into_iter().rev().collect::<Vec<_>>().join("\n")
            ));
        }
        out
    }

    /// `ssh -F ~/.ssh/config zt-prod-ssh CMD` through zt's Host block (no agent).
    pub(crate) fn ssh_host(&self, host: &str, cmd: &str) -> Out {
        let mut a = batch(&self.user_config());
        a.extend(["-o".into(), "StrictHostKeyChecking=no".into()]);
        a.extend(["-o".into(), "UserKnownHostsFile=/dev/null".into()]);
        a.extend([host.to_string(), cmd.to_string()]);
        self.tool("ssh", &a, &[])
    }

    /// `ssh -p PORT user@127.0.0.1 CMD` with no config and no key file: the agent alone.
    pub(crate) fn ssh_agent_only(&self, agent: &Path, cmd: &str) -> Out {
        let a = self.direct_args(cmd, &[]);
        self.tool("ssh", &a, &[("SSH_AUTH_SOCK", agent)])
    }

    /// `ssh` straight at the sshd (no config), with `more` options first.
    pub(crate) fn direct_args(&self, cmd: &str, more: &[&str]) -> Vec<String> {
        let mut a = batch(Path::new("/dev/null"));
        for o in [
            "StrictHostKeyChecking=no",
            "UserKnownHostsFile=/dev/null",
            "IdentitiesOnly=no",
        ] {
            a.extend(["-o".into(), o.into()]);
        }
        a.extend(more.iter().map(|s| s.to_string()));
        a.extend([
            "-p".into(),
            self.sshd.port.to_string(),
            format!("{}@127.0.0.1", login_user()),
            cmd.into(),
        ]);
        a
    }

    /// The grant's key and certificate copied aside (as a thief with the files would have them).
    pub(crate) fn copy_key(&self, grant: &str, to: &Path) -> (PathBuf, PathBuf) {
        let run = self.w.path().join("run/ssh");
        let (k, c) = (to.join("stolen"), to.join("stolen-cert.pub"));
        std::fs::copy(run.join(grant), &k).unwrap();
        std::fs::copy(run.join(format!("{grant}-cert.pub")), &c).unwrap();
        (k, c)
    }

    pub(crate) fn ssh_with_files(&self, key: &Path, cert: &Path, cmd: &str) -> Out {
        let cf = format!("CertificateFile={}", cert.display());
        let a = self.direct_args(cmd, &["-i", &key.display().to_string(), "-o", &cf]);
        self.tool("ssh", &a, &[])
    }
}

#[track_caller]
fn refused(out: &Out) {
    assert_eq!(out.code, 255, "ssh refused: {out:#?}");
    assert!(
        out.stderr.contains("Permission denied"),
        "refused by sshd, not by something else: {out:#?}"
    );
}

#[test]
fn ssh_scp_and_rsync_through_the_host_block_and_the_agent_then_nothing_after_the_ttl() {
    let Some(bin) = sshd_bin() else { return };
    let mut s = SshWorld::start(&bin, &[]);
    let agent = Agent::start();
    s.w.set("SSH_AUTH_SOCK", &agent.socket);
    // No background reaper: after the TTL the Host block is still there (until the next zt
    // run), so the very same command reaches sshd and is refused there.
    s.w.set("ZT_REAPER", "0");
    std::fs::create_dir_all(s.w.path().join(".ssh")).unwrap();
    std::fs::write(s.user_config(), USER_SSH_CONFIG).unwrap();
    s.w.login(&s.broker);

    let out = s.w.run(&["request", "prod-ssh", "--ttl", "12s", "--json"]);
    let v = out.ok().json();
    assert_eq!(v["ssh_host"], "zt-prod-ssh", "{v}");
    let grant = v["request"]["id"].as_str().unwrap().to_string();
    let text = std::fs::read_to_string(s.user_config()).unwrap();
    let zt_file = s.w.path().join(".ssh/zt/config");
    assert_eq!(
        text,
        format!("Include {}\r\n{USER_SSH_CONFIG}", zt_file.display()),
        "one line at the top, every other byte kept"
    );

    // Through the Host block: ssh, scp, rsync.
    let out = s.ssh_host("zt-prod-ssh", "echo logged-in as $(id -un)");
    out.ok();
    assert!(
        out.stdout
            .contains(&format!("logged-in as {}", login_user())),
        "{out:#?}"
    );
    let local = s.w.path().join("payload.txt");
    std::fs::write(&local, "over scp\n").unwrap();
    let remote = tempfile::tempdir().unwrap();
    let cfg = s.user_config().display().to_string();
    let mut a = batch(&s.user_config());
    a.extend([
        "-o".into(),
        "StrictHostKeyChecking=no".into(),
        "-o".into(),
        "UserKnownHostsFile=/dev/null".into(),
    ]);
    a.extend([
        local.display().to_string(),
        format!("zt-prod-ssh:{}/scp.txt", remote.path().display()),
    ]);
    s.tool("scp", &a, &[]).ok();
    assert_eq!(
        std::fs::read_to_string(remote.path().join("scp.txt")).unwrap(),
        "over scp\n"
    );
    let e = format!(
        "ssh -F {cfg} -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null"
    );
    let a: Vec<String> = vec![
        "-e".into(),
        e,
        local.display().to_string(),
        format!("zt-prod-ssh:{}/rsync.txt", remote.path().display()),
    ];
    s.tool("rsync", &a, &[]).ok();
    assert_eq!(
        std::fs::read_to_string(remote.path().join("rsync.txt")).unwrap(),
        "over scp\n"
    );

    // Through the agent alone: no config, no key file.
    let listed = agent.list();
    assert!(
        listed.contains("ED25519-CERT") && listed.contains(&grant),
        "{listed}"
    );
    s.ssh_agent_only(&agent.socket, "true").ok();

    // After the TTL: the same command is refused by sshd (the certificate expired), and the
    // agent has forgotten the key by itself.
    let end = eventually(Duration::from_secs(30), || {
        s.ssh_host("zt-prod-ssh", "true").code != 0
    });
    assert!(end.is_some(), "still logging in after the TTL");
    refused(&s.ssh_host("zt-prod-ssh", "true"));
    assert!(
        s.sshd.log().contains("expired") || s.sshd.log().contains("not yet valid"),
        "sshd says why: {}",
        s.sshd.log()
    );
    assert!(
        eventually(Duration::from_secs(10), || agent.list().is_empty()).is_some(),
        "the agent still lists: {}",
        agent.list()
    );
    // The next zt run wipes what is left: block, Include line, key files — byte for byte.
    s.w.run(&["status"]).ok();
    assert_eq!(
        std::fs::read_to_string(s.user_config()).unwrap(),
        USER_SSH_CONFIG
    );
    assert!(!zt_file.exists());
    assert!(!s.w.path().join(format!("run/ssh/{grant}")).exists());
    assert!(
        !s.w.path()
            .join(format!("run/ssh/{grant}-cert.pub"))
            .exists()
    );
}

#[test]
fn revoke_wipes_at_once_and_a_refreshed_krl_refuses_the_unexpired_certificate() {
    let Some(bin) = sshd_bin() else { return };
    let mut s = SshWorld::start(&bin, &[]);
    let agent = Agent::start();
    s.w.set("SSH_AUTH_SOCK", &agent.socket);
    s.w.login(&s.broker);
    let grant = s.w.request(&["prod-ssh", "--ttl", "10m"]);
    // zt created ~/.ssh/config (0600) and ~/.ssh (0700) for its line.
    assert_eq!(crate::common::world::mode(&s.w.path().join(".ssh")), 0o700);
    assert_eq!(crate::common::world::mode(&s.user_config()), 0o600);
    assert_eq!(
        crate::common::world::mode(&s.w.path().join(format!("run/ssh/{grant}"))),
        0o600
    );
    s.ssh_host("zt-prod-ssh", "true").ok();
    let aside = tempfile::tempdir().unwrap();
    let (key, cert) = s.copy_key(&grant, aside.path());
    s.ssh_with_files(&key, &cert, "true").ok();

    let out = s.w.run(&["revoke", "prod-ssh"]);
    out.ok();
    // Gone here at once: agent entry, files, block, the Include line and the config zt made.
    assert_eq!(agent.list(), "", "{}", out.stderr);
    assert!(!s.user_config().exists(), "{}", out.stderr);
    assert!(!s.w.path().join(".ssh/zt").exists());
    assert!(!s.w.path().join(format!("run/ssh/{grant}")).exists());
    // The copy still works: the certificate has not expired and the host's KRL is old…
    s.ssh_with_files(&key, &cert, "true").ok();
    // …until the host refreshes its KRL from the broker.
    let data = s.data.path();
    let out = Command::new(crate::common::broker_bin())
        .args(["ssh", "krl", "--data-dir"])
        .arg(data)
        .arg("--out")
        .arg(s.sshd.krl())
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    refused(&s.ssh_with_files(&key, &cert, "true"));
    assert!(s.sshd.log().contains("revoked"), "{}", s.sshd.log());
}

/// A resource whose certificate is for more hosts than its alias (`hosts`, ssh_config patterns):
/// `ssh USER@localhost` — no alias, no agent — logs in with the grant's key through the second
/// `Host` line of zt's block, and is refused again once the grant is revoked.
#[test]
fn host_patterns_from_the_catalog_log_in_under_their_own_names() {
    let Some(bin) = sshd_bin() else { return };
    let catalog = |port: u16, user: &str| {
        format!(
            "[[resource]]\nname = \"fleet\"\nkind = \"ssh\"\ndefault_role = \"login\"\n\
             max_ttl = \"1h\"\n\
             settings = {{ host = \"127.0.0.1\", port = {port}, hosts = [\"localhost\", \"!bastion\"] }}\n\
             [[resource.role]]\nname = \"login\"\nauto_approve_groups = [\"engineering\"]\n\
             settings = {{ principals = [\"{user}\"] }}\n"
        )
    };
    let s = SshWorld::start_with(&bin, &[], Some(&catalog));
    s.w.login(&s.broker);
    let by_name = |s: &SshWorld| {
        let mut a = batch(&s.user_config());
        for o in ["StrictHostKeyChecking=no", "UserKnownHostsFile=/dev/null"] {
            a.extend(["-o".into(), o.into()]);
        }
        a.extend([
            "-p".into(),
            s.sshd.port.to_string(),
            format!("{}@localhost", login_user()),
            "true".into(),
        ]);
        s.tool("ssh", &a, &[])
    };
    std::fs::create_dir_all(s.w.path().join(".ssh")).unwrap();
    std::fs::write(s.user_config(), "").unwrap();
    refused(&by_name(&s));
    let grant = s.w.request(&["fleet", "--ttl", "10m"]);
    let zt_config = std::fs::read_to_string(s.w.path().join(".ssh/zt/config")).unwrap();
    assert!(
        zt_config.contains("Host localhost !bastion\n"),
        "{zt_config}"
    );
    by_name(&s).ok();
    s.ssh_host("zt-fleet", "true").ok();
    s.w.run(&["revoke", &grant]).ok();
    refused(&by_name(&s));
}

#[test]
fn zt_exec_logs_in_with_the_key_only_in_a_private_agent() {
    let Some(bin) = sshd_bin() else { return };
    let s = SshWorld::start(&bin, &[]);
    s.w.login(&s.broker);
    // No grant yet, no agent of the user's: exec asks for one, and its key never touches disk.
    let args = s.direct_args("echo via-exec", &[]);
    let mut cmd: Vec<&str> = vec!["exec", "prod-ssh", "--ttl", "10m", "--", "ssh"];
    cmd.extend(args.iter().map(String::as_str));
    let out = s.w.run(&cmd);
    out.ok();
    assert!(out.stdout.contains("via-exec"), "{out:#?}");
    let run = s.w.path().join("run/ssh");
    let left: Vec<String> = std::fs::read_dir(&run)
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    assert!(left.is_empty(), "no key file, no agent left: {left:?}");
    // The child's agent holds exactly the grant's certificate, and only while it runs.
    let out = s.w.run(&[
        "exec",
        "prod-ssh",
        "--",
        "sh",
        "-c",
        "ssh-add -l; echo $SSH_AUTH_SOCK",
    ]);
    out.ok();
    assert!(out.stdout.contains("ED25519-CERT"), "{out:#?}");
    let sock = out.stdout.lines().last().unwrap().to_string();
    assert!(sock.starts_with(&run.display().to_string()), "{sock}");
    assert!(!Path::new(&sock).exists(), "the private agent is gone");
}

#[test]
fn extend_renews_the_certificate_in_its_file_and_in_the_agent() {
    let Some(bin) = sshd_bin() else { return };
    let mut s = SshWorld::start(&bin, &[]);
    let agent = Agent::start();
    s.w.set("SSH_AUTH_SOCK", &agent.socket);
    s.w.login(&s.broker);
    let grant = s.w.request(&["prod-ssh", "--ttl", "5m"]);
    let cert_file = s.w.path().join(format!("run/ssh/{grant}-cert.pub"));
    let valid = || {
        let out = Command::new("ssh-keygen")
            .arg("-L")
            .arg("-f")
            .arg(&cert_file)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        text.lines()
            .find_map(|l| l.trim().strip_prefix("Valid: "))
            .unwrap_or_else(|| panic!("{text}"))
            .to_string()
    };
    let before = (valid(), std::fs::read_to_string(&cert_file).unwrap());
    let out = s.w.run(&["extend", "prod-ssh", "--ttl", "30m"]);
    out.ok();
    assert!(
        out.stderr.contains("renewed the SSH certificate"),
        "{}",
        out.stderr
    );
    let after = (valid(), std::fs::read_to_string(&cert_file).unwrap());
    assert_ne!(
        before.0, after.0,
        "a new validity: {} → {}",
        before.0, after.0
    );
    // The agent holds the new certificate, not the old one.
    let listed = Command::new("ssh-add")
        .arg("-L")
        .env_clear()
        .env("SSH_AUTH_SOCK", &agent.socket)
        .output()
        .unwrap();
    let listed = String::from_utf8_lossy(&listed.stdout);
    let blob = |c: &str| c.split_whitespace().nth(1).unwrap().to_string();
    assert!(listed.contains(&blob(&after.1)), "{listed}");
    assert!(!listed.contains(&blob(&before.1)), "{listed}");
    s.ssh_host("zt-prod-ssh", "true").ok();
    s.ssh_agent_only(&agent.socket, "true").ok();
}
