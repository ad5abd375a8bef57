//! zt's ssh-agent client (`zt::ssh::agent`) against the real OpenSSH `ssh-agent`, read back
//! with the real `ssh-add -l`: a key added with its certificate and a lifetime is listed as a
//! certificate, is forgotten by the agent itself when the lifetime runs out, and is removed on
//! request; an agent socket that answers garbage is an error, not a hang. Also: a broker that
//! answers `zt request` with a certificate for another public key is refused, and nothing is
//! written (a fake broker: no real one does that on purpose).

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use crate::common::sshd::{Agent, login_user, sshd_bin};
use crate::common::tinyhttp::{Reply, TinyServer};
use crate::common::{Home, broker::Broker, eventually};
use zt::ssh::{GrantKey, agent};

/// A certificate line from `ssh-keygen -s` (the CA in `dir`) for the public key `public`.
fn sign(dir: &Path, public: &str, validity: &str) -> String {
    if !dir.join("ca").exists() {
        let st = Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "", "-f"])
            .arg(dir.join("ca"))
            .status()
            .unwrap();
        assert!(st.success());
    }
    std::fs::write(dir.join("k.pub"), format!("{public}\n")).unwrap();
    let st = Command::new("ssh-keygen")
        .args(["-q", "-s"])
        .arg(dir.join("ca"))
        .args(["-I", "alice grant g1", "-n", &login_user(), "-V", validity])
        .arg(dir.join("k.pub"))
        .status()
        .unwrap();
    assert!(st.success());
    std::fs::read_to_string(dir.join("k-cert.pub"))
        .unwrap()
        .trim()
        .to_string()
}

#[test]
fn the_real_agent_lists_forgets_at_the_lifetime_and_removes() {
    if sshd_bin().is_none() {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let agent_ = Agent::start();
    let key = GrantKey::generate("g1").unwrap();
    let cert = key
        .check(&sign(d.path(), &key.public_line().unwrap(), "+10m"))
        .unwrap();
    agent::add(&agent_.socket, &key, &cert, "zt prod-ssh grant g1", 2).unwrap();
    let listed = agent_.list();
    assert!(listed.contains("(ED25519-CERT)"), "{listed}");
    assert!(listed.contains("zt prod-ssh grant g1"), "{listed}");
    // Ours too: zt's own list reads the same blob back.
    let mine = agent::list(&agent_.socket).unwrap();
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].0, cert.blob);
    // The agent forgets it by itself when its lifetime runs out.
    assert!(
        eventually(Duration::from_secs(10), || agent_.list().is_empty()).is_some(),
        "still listed: {}",
        agent_.list()
    );
    // Removed on request; removing again (nothing there) is no error.
    agent::add(&agent_.socket, &key, &cert, "zt prod-ssh grant g1", 600).unwrap();
    assert!(agent_.list().contains("ED25519-CERT"));
    agent::remove(&agent_.socket, &cert.blob).unwrap();
    assert_eq!(agent_.list(), "");
    agent::remove(&agent_.socket, &cert.blob).unwrap();
    // No agent there: "gone", at once.
    let gone = agent::remove(&d.path().join("none.sock"), &cert.blob);
    assert!(matches!(gone, Err(agent::AgentError::Gone(_))), "{gone:?}");
}

#[test]
fn an_agent_socket_answering_garbage_is_an_error_not_a_hang() {
    use std::io::{Read, Write};
    let d = tempfile::tempdir().unwrap();
    let sock = d.path().join("evil.sock");
    let listener = std::os::unix::net::UnixListener::bind(&sock).unwrap();
    std::thread::spawn(move || {
        for conn in listener.incoming().flatten().take(2) {
            let mut c = conn;
            let mut buf = [0u8; 4096];
            let _ = c.read(&mut buf);
            // A length past the protocol's 256 KiB bound.
            let _ = c.write_all(&u32::MAX.to_be_bytes());
        }
    });
    let started = std::time::Instant::now();
    let r = agent::list(&sock);
    assert!(matches!(r, Err(agent::AgentError::Broken(_))), "{r:?}");
    let r = agent::remove(&sock, b"blob");
    assert!(matches!(r, Err(agent::AgentError::Broken(_))), "{r:?}");
    assert!(started.elapsed() < Duration::from_secs(5));
}

/// A logged-in HOME whose profile points at a fake broker that grants `prod-ssh` at once and
/// answers the credential call with a certificate for a key zt did not send.
#[test]
fn a_certificate_for_another_public_key_is_refused_and_nothing_is_written() {
    if sshd_bin().is_none() {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let other = GrantKey::generate("other").unwrap();
    let foreign = sign(d.path(), &other.public_line().unwrap(), "+10m");
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let end = zt_api::Timestamp(zt_api::Timestamp::now().0 + 1800).to_rfc3339();
    // The fake sees paths without their query and not the method: the one answer for the list
    // (GET /v1/requests?…) and the create (POST /v1/requests) reads as either.
    let request = serde_json::json!({
        "requests": [],
        "id": "g1ssh", "requester": "alice", "resource": "prod-ssh", "kind": "ssh",
        "role": "login", "ttl_secs": 1800, "state": "active",
        "decision": {"outcome": "grant", "reason": "auto-approved"},
        "created_at": "2026-01-01T00:00:00Z", "expires_at": end,
    });
    let server = {
        let seen = seen.clone();
        TinyServer::start(move |_, path| {
            seen.lock().unwrap().push(path.to_string());
            if path.starts_with("/v1/catalog") {
                Reply::json(
                    serde_json::json!({"resources": [{
                        "name": "prod-ssh", "kind": "ssh", "description": "",
                        "roles": [{"name": "login", "auto_approve": true, "max_ttl_secs": 3600}],
                        "default_role": "login", "max_ttl_secs": 3600,
                    }]})
                    .to_string(),
                )
            } else if path.starts_with("/v1/requests") || path.ends_with("/revoke") {
                Reply::json(request.to_string())
            } else if path.ends_with("/credentials") {
                Reply::json(
                    serde_json::json!({
                        "kind": "ssh", "host": "127.0.0.1", "port": 22, "user": "alice",
                        "certificate": foreign, "expires_at": end,
                    })
                    .to_string(),
                )
            } else {
                Reply::new(404, "text/plain", "no")
            }
        })
    };
    let broker = Broker::start(&["--auto-login", "alice"]);
    let home = Home::new();
    home.run(&[
        "login",
        "--broker",
        &broker.url,
        "--insecure-storage",
        "--no-browser",
    ])
    .ok();
    let cfg = home.path().join(".config/zt/config.toml");
    let text = std::fs::read_to_string(&cfg).unwrap();
    std::fs::write(&cfg, text.replace(&broker.url, &server.url)).unwrap();
    let user_config = "# mine\r\nHost *\r\n  ServerAliveInterval 5\r\n";
    std::fs::create_dir_all(home.path().join(".ssh")).unwrap();
    std::fs::write(home.path().join(".ssh/config"), user_config).unwrap();

    let out = home.run(&["request", "prod-ssh", "--ttl", "30m"]);
    out.code(1);
    assert!(
        out.stderr.contains("certifies another public key"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("revoked at the broker"),
        "{}",
        out.stderr
    );
    assert!(
        seen.lock().unwrap().iter().any(|p| p.ends_with("/revoke")),
        "the grant is revoked: {:?}",
        seen.lock().unwrap()
    );
    // Nothing written: the user's config as it was, no zt file, no key, an empty ledger.
    assert_eq!(
        std::fs::read_to_string(home.path().join(".ssh/config")).unwrap(),
        user_config
    );
    assert!(!home.path().join(".ssh/zt").exists());
    let ssh_run = home.path().join("run/ssh");
    let left: Vec<_> = std::fs::read_dir(&ssh_run)
        .map(|d| d.flatten().map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "{left:?}");
    let ledger = std::fs::read_to_string(home.state().join("ledger.json")).unwrap_or_default();
    assert!(!ledger.contains("ssh-"), "{ledger}");
}
