//! The broker's SSH CA against the real OpenSSH server (Debian `openssh-server`,
//! `ZT_TEST_SSHD`; run as root, sshd needs `/run/sshd`): an sshd on a loopback port trusts the
//! CA exactly as `zt-broker ssh ca` prints it and reads the KRL `zt-broker ssh krl --out`
//! writes. A key made here with ssh-keygen is signed through the broker's API (no zt client:
//! the client-driven journey is `tests/it/ssh.rs`'s), logs in; a certificate for another
//! principal is refused; after a revoke, the old KRL still lets it in (sshd knows only what
//! the file says) and the refreshed one does not.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

use crate::common::serve::{Login, fetch_json};
use crate::common::{broker::Broker, broker_bin, eventually, peer};

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn run(cmd: &mut Command) -> Output {
    let out = cmd.stdin(Stdio::null()).output().unwrap();
    assert!(
        out.status.success(),
        "{cmd:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// sshd on 127.0.0.1:`port` trusting the CA in `dir/ca.pub`, revoking by `dir/krl`, certificate
/// logins only. Killed on drop.
struct Sshd(std::process::Child);

impl Sshd {
    fn start(bin: &str, dir: &Path, port: u16) -> Sshd {
        std::fs::create_dir_all("/run/sshd").unwrap();
        run(Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "", "-f"])
            .arg(dir.join("host")));
        let d = dir.display();
        let cfg = format!(
            "Port {port}\nListenAddress 127.0.0.1\nHostKey {d}/host\nTrustedUserCAKeys {d}/ca.pub\n\
             RevokedKeys {d}/krl\nPermitRootLogin prohibit-password\nPasswordAuthentication no\n\
             KbdInteractiveAuthentication no\nAuthorizedKeysFile none\nUsePAM no\nStrictModes no\n\
             PidFile {d}/sshd.pid\nLogLevel VERBOSE\n"
        );
        std::fs::write(dir.join("sshd_config"), cfg).unwrap();
        let log = std::fs::File::create(dir.join("sshd.log")).unwrap();
        let child = Command::new(bin)
            .args(["-D", "-e", "-f"])
            .arg(dir.join("sshd_config"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start sshd");
        let up = eventually(Duration::from_secs(10), || {
            std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
        });
        assert!(up.is_some(), "sshd did not listen on {port}");
        Sshd(child)
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `ssh -i key -o CertificateFile=cert user@127.0.0.1 -p port whoami`: its stdout on
/// success, `None` when refused.
fn login(dir: &Path, port: u16, user: &str, cert: &Path) -> Option<String> {
    let out = Command::new("ssh")
        .args([
            "-F",
            "/dev/null",
            "-o",
            "BatchMode=yes",
            "-o",
            "StrictHostKeyChecking=no",
            "-o",
            "UserKnownHostsFile=/dev/null",
            "-o",
            "IdentitiesOnly=yes",
            "-o",
            "IdentityAgent=none",
            "-o",
            "ConnectTimeout=10",
            "-p",
            &port.to_string(),
            "-i",
        ])
        .arg(dir.join("key"))
        .arg("-o")
        .arg(format!("CertificateFile={}", cert.display()))
        .arg(format!("{user}@127.0.0.1"))
        .arg("whoami")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

fn zt_broker(args: &[&str]) -> Output {
    run(Command::new(broker_bin()).args(args))
}

/// POST as `token` to the broker; the JSON answer.
fn post(url: &str, token: &str, path: &str, body: Value, key: Option<&str>) -> Value {
    let mut req = reqwest::Client::new()
        .post(format!("{url}{path}"))
        .bearer_auth(token)
        .json(&body);
    if let Some(k) = key {
        req = req.header("Idempotency-Key", k);
    }
    fetch_json(req)
}

/// A grant of `role` on `prod-ssh` for the token's user, and the certificate of `pubkey`.
fn certificate(url: &str, token: &str, role: &str, pubkey: &str) -> (String, String) {
    let r = post(
        url,
        token,
        "/v1/requests",
        json!({"resource": "prod-ssh", "role": role, "ttl_secs": 600, "reason": "e2e"}),
        Some(&format!("e2e-{role}")),
    );
    assert_eq!(r["state"], "approved", "{r}");
    let id = r["id"].as_str().unwrap().to_string();
    let c = post(
        url,
        token,
        &format!("/v1/grants/{id}/credentials"),
        json!({ "public_key": pubkey }),
        None,
    );
    assert_eq!(c["kind"], "ssh", "{c}");
    (id, c["certificate"].as_str().unwrap().to_string())
}

#[test]
fn sshd_trusts_the_brokers_certificates_until_revoked_and_the_krl_refreshed() {
    let Some(sshd_bin) = peer("ZT_TEST_SSHD") else {
        return;
    };
    let dir = tempfile::Builder::new()
        .prefix("zt-sshd-")
        .tempdir()
        .unwrap();
    let d = dir.path();
    let data = d.join("broker-data");
    let user = String::from_utf8(run(Command::new("id").arg("-un")).stdout)
        .unwrap()
        .trim()
        .to_string();
    let port = free_port();
    // prod-ssh on this sshd: `login` as the user running the test, `other` as someone else.
    let catalog = format!(
        "[[resource]]\nname = \"prod-ssh\"\nkind = \"ssh\"\ndefault_role = \"login\"\n\
         max_ttl = \"1h\"\nrequester_groups = [\"engineering\"]\n\
         settings = {{ host = \"127.0.0.1\", port = {port} }}\n\
         [[resource.role]]\nname = \"login\"\nauto_approve_groups = [\"engineering\"]\n\
         settings = {{ principals = [\"{user}\"] }}\n\
         [[resource.role]]\nname = \"other\"\nauto_approve_groups = [\"engineering\"]\n\
         settings = {{ principals = [\"zt-someone-else\"] }}\n"
    );
    std::fs::write(d.join("catalog.toml"), catalog).unwrap();
    let broker = Broker::start(&[
        "--data-dir",
        data.to_str().unwrap(),
        "--catalog",
        d.join("catalog.toml").to_str().unwrap(),
    ]);
    let data = data.to_str().unwrap();

    // The host trusts the CA as `zt-broker ssh ca` prints it — the line /v1/ssh/ca serves.
    let ca = String::from_utf8(zt_broker(&["ssh", "ca", "--data-dir", data]).stdout).unwrap();
    let served = crate::common::serve::runtime().block_on(async {
        reqwest::get(format!("{}/v1/ssh/ca", broker.url))
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    });
    assert_eq!(ca, served);
    std::fs::write(d.join("ca.pub"), &ca).unwrap();
    let krl = d.join("krl");
    let krl_s = krl.to_str().unwrap();
    let wrote = zt_broker(&["ssh", "krl", "--data-dir", data, "--out", krl_s]);
    assert!(
        String::from_utf8_lossy(&wrote.stdout).contains("0 revoked certificate(s)"),
        "{wrote:?}"
    );
    let _sshd = Sshd::start(&sshd_bin, d, port);

    // A key made here; only its public half goes to the broker.
    run(Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", "e2e", "-f"])
        .arg(d.join("key")));
    let pubkey = std::fs::read_to_string(d.join("key.pub")).unwrap();
    let token = Login::discover(&broker.url).token("alice");
    let (id, cert) = certificate(&broker.url, &token, "login", pubkey.trim());
    let cert_file = d.join("key-cert.pub");
    std::fs::write(&cert_file, format!("{cert}\n")).unwrap();
    let shown = String::from_utf8(
        run(Command::new("ssh-keygen")
            .arg("-L")
            .arg("-f")
            .arg(&cert_file))
        .stdout,
    )
    .unwrap();
    assert!(
        shown.contains(&format!("Key ID: \"zt alice@example.com grant {id}\"")),
        "{shown}"
    );
    let sshd_log = || std::fs::read_to_string(d.join("sshd.log")).unwrap_or_default();
    assert_eq!(
        login(d, port, &user, &cert_file).as_deref(),
        Some(user.as_str()),
        "the broker's certificate logs in; sshd said:\n{}",
        sshd_log()
    );

    // A certificate for another principal does not let anyone in as this user.
    let (_, other) = certificate(&broker.url, &token, "other", pubkey.trim());
    let other_file = d.join("other-cert.pub");
    std::fs::write(&other_file, format!("{other}\n")).unwrap();
    assert_eq!(login(d, port, &user, &other_file), None);
    assert_eq!(login(d, port, "zt-someone-else", &other_file), None);

    // Revoked: the broker knows at once, sshd once its KRL is refreshed.
    let r = post(
        &broker.url,
        &token,
        &format!("/v1/grants/{id}/revoke"),
        json!({}),
        None,
    );
    assert_eq!(r["state"], "revoked", "{r}");
    assert_eq!(
        login(d, port, &user, &cert_file).as_deref(),
        Some(user.as_str()),
        "the old KRL does not name it yet"
    );
    let wrote = zt_broker(&["ssh", "krl", "--data-dir", data, "--out", krl_s]);
    assert!(
        String::from_utf8_lossy(&wrote.stdout).contains("1 revoked certificate(s)"),
        "{wrote:?}"
    );
    assert_eq!(
        login(d, port, &user, &cert_file),
        None,
        "refused after the KRL refresh"
    );
    assert!(
        sshd_log().contains("revoked"),
        "sshd says why:\n{}",
        sshd_log()
    );
    // The KRL file is what GET /v1/ssh/krl serves, and ssh-keygen reads it so.
    let served = crate::common::serve::runtime().block_on(async {
        reqwest::get(format!("{}/v1/ssh/krl", broker.url))
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap()
    });
    let on_disk = std::fs::read(&krl).unwrap();
    // The same list (the header's generated time may differ by a second).
    assert_eq!(served[..20], on_disk[..20]);
    assert_eq!(served[28..], on_disk[28..]);
    let q = Command::new("ssh-keygen")
        .arg("-Q")
        .arg("-f")
        .arg(&krl)
        .arg(&cert_file)
        .output()
        .unwrap();
    assert_eq!(q.status.code(), Some(1), "{q:?}");
}
