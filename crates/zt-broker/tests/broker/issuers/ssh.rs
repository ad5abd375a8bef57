//! The `ssh-ca` issuer inside the broker, over HTTP (the dev broker harness, on SQLite and on a
//! throwaway PostgreSQL): the CA endpoint, the client's public key required and checked, a
//! certificate only ever for the key that was sent, a new one after an extension, serials
//! unique and on the KRL once their grant is revoked (read back by the real `ssh-keygen -Q`
//! when installed). The real sshd is the end-to-end test's (`tests/it/broker_sshd.rs`).

use std::path::Path;
use std::process::Command;

use serde_json::{Value, json};
use ssh_key::{Certificate, PublicKey};
use zt_api::Timestamp;
use zt_broker::issuers::ssh::ca::{DEV_CA_FILE, SshCa};
use zt_testkit::broker::TestBroker;
use zt_testkit::pg::TestPg;

/// A fresh Ed25519 public key line, as a client would make one for a grant.
fn client_key() -> (PublicKey, String) {
    let k = SshCa::generate().unwrap().public_key().clone();
    let line = k.to_openssh().unwrap();
    (k, line)
}

async fn ssh_grant(t: &TestBroker, ttl: u64) -> String {
    let r = t.create("alice", "prod-ssh", "login", ttl).await;
    assert_eq!(r.body["state"], "approved", "{:?}", r.body);
    r.id()
}

async fn sign(t: &TestBroker, id: &str, key: Option<&str>) -> zt_testkit::broker::Resp {
    let body = key.map(|k| json!({ "public_key": k }));
    t.post("alice", &format!("/v1/grants/{id}/credentials"), body)
        .await
}

fn cert_of(body: &Value) -> Certificate {
    Certificate::from_openssh(body["certificate"].as_str().unwrap()).unwrap()
}

async fn raw_get(t: &TestBroker, path: &str) -> reqwest::Response {
    reqwest::get(format!("{}{path}", t.url)).await.unwrap()
}

#[tokio::test]
async fn the_ca_is_public_and_the_same_as_the_data_directorys() {
    let t = TestBroker::start().await;
    let r = raw_get(&t, "/v1/ssh/ca").await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["cache-control"], "public, max-age=3600");
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let line = r.text().await.unwrap();
    let on_disk = SshCa::load_or_create(&t.dir.as_ref().unwrap().path().join(DEV_CA_FILE))
        .unwrap()
        .public_line();
    assert_eq!(line, format!("{on_disk}\n"));
    let key = PublicKey::from_openssh(line.trim()).unwrap();
    assert_eq!(key.algorithm(), ssh_key::Algorithm::Ed25519);
    assert!(!line.contains("PRIVATE"));
}

#[tokio::test]
async fn an_ssh_grant_needs_an_ed25519_public_key_and_mints_nothing_without_one() {
    let t = TestBroker::start().await;
    let id = ssh_grant(&t, 600).await;
    let rsa = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQDQ user@host";
    let ecdsa = "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBEmKSENjQEezOmxkZMy7opKgwFB9nkt5YRrYMjNuG5N87uRgg6CLrbo5wAdT/y6v0mKV0U2w0WZ2YB/++Tpockg=";
    for (key, says) in [
        (None, "needs public_key"),
        (Some(""), "not an OpenSSH public key line"),
        (Some("ssh-ed25519 AAAA"), "not an OpenSSH public key line"),
        (Some(rsa), "ssh-rsa, not ssh-ed25519"),
        (Some(ecdsa), "not ssh-ed25519"),
        (
            Some("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjE="),
            "not an OpenSSH public key line",
        ),
    ] {
        let r = sign(&t, &id, key).await;
        assert_eq!((r.status, r.slug()), (400, "invalid-request"), "{key:?}");
        let detail = r.body["detail"].as_str().unwrap();
        assert!(detail.contains(says), "{key:?}: {detail}");
        assert!(
            !detail.contains("BEGIN"),
            "the body is not echoed: {detail}"
        );
    }
    // A body that is not JSON, or too long a key: 400 before the grant is looked at.
    let too_long = format!("ssh-ed25519 {}", "A".repeat(9000));
    assert_eq!(sign(&t, &id, Some(&too_long)).await.status, 400);
    // Nothing was signed or stored: the grant is still only approved, no serial was used.
    let req = t.get("alice", &format!("/v1/requests/{id}")).await;
    assert_eq!(req.body["state"], "approved");
    assert!(
        t.broker
            .store
            .ssh_certificates_of(&id)
            .await
            .unwrap()
            .is_empty()
    );
    // `null`, what zt sent before the body existed, is no body: still a 400 here…
    let r = t
        .post(
            "alice",
            &format!("/v1/grants/{id}/credentials"),
            Some(Value::Null),
        )
        .await;
    assert_eq!((r.status, r.slug()), (400, "invalid-request"));
    assert!(
        r.body["detail"]
            .as_str()
            .unwrap()
            .contains("needs public_key")
    );
    // …and fine for the other kinds, which ignore the body.
    let k8s = t.create("alice", "prod-k8s", "view", 600).await.id();
    let r = t
        .post(
            "alice",
            &format!("/v1/grants/{k8s}/credentials"),
            Some(Value::Null),
        )
        .await;
    assert_eq!(
        (r.status, r.body["kind"].as_str()),
        (200, Some("kubernetes"))
    );
    let (_, line) = client_key();
    let r = sign(&t, &k8s, Some(&line)).await;
    assert_eq!(
        (r.status, r.body["kind"].as_str()),
        (200, Some("kubernetes"))
    );
}

#[tokio::test]
async fn the_certificate_is_for_the_key_sent_the_grant_and_its_end() {
    let t = TestBroker::start().await;
    let id = ssh_grant(&t, 600).await;
    let (key, line) = client_key();
    let before = Timestamp::now().0;
    let r = sign(&t, &id, Some(&line)).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let grant = t.get("alice", &format!("/v1/requests/{id}")).await.body;
    assert_eq!(grant["state"], "active");
    let end = Timestamp::parse_rfc3339(grant["expires_at"].as_str().unwrap()).unwrap();
    assert_eq!(r.body["expires_at"], grant["expires_at"]);
    assert_eq!(
        (r.body["host"].as_str(), r.body["port"].as_u64()),
        (Some("127.0.0.1"), Some(2222))
    );
    let user = r.body["user"].as_str().unwrap().to_string();
    assert_eq!(r.body["known_hosts"], json!([]));
    let cert = cert_of(&r.body);
    assert_eq!(cert.public_key(), key.key_data(), "the key that was sent");
    assert_eq!(cert.valid_principals(), [user]);
    assert_eq!(cert.key_id(), format!("zt alice@example.com grant {id}"));
    assert_eq!(cert.valid_before() as i64, end.0);
    let after = cert.valid_after() as i64;
    assert!(
        (before - 125..=before - 115).contains(&after),
        "valid from now minus the clock-skew allowance: {after} vs {before}"
    );
    assert!(cert.extensions().contains_key("permit-pty"));
    assert!(!cert.extensions().contains_key("permit-agent-forwarding"));
    assert!(!cert.extensions().contains_key("permit-port-forwarding"));
    let ca = t.broker.ssh_ca().unwrap();
    cert.validate([&ca.public_key().fingerprint(ssh_key::HashAlg::Sha256)])
        .unwrap();

    // Asked again with the same key: the same certificate.
    assert_eq!(sign(&t, &id, Some(&line)).await.body, r.body);
    // With another key: a certificate of THAT key (a new serial), never the stored one.
    let (other, other_line) = client_key();
    let r2 = sign(&t, &id, Some(&other_line)).await;
    let cert2 = cert_of(&r2.body);
    assert_eq!(cert2.public_key(), other.key_data());
    assert_ne!(cert2.public_key(), key.key_data());
    assert!(cert2.serial() > cert.serial());
    // Another user's grant: refused whatever the key.
    let r = t
        .post(
            "bob",
            &format!("/v1/grants/{id}/credentials"),
            Some(json!({ "public_key": line })),
        )
        .await;
    assert_eq!((r.status, r.slug()), (403, "forbidden"));

    // The mint is audited with the serial and the key's fingerprint.
    let audit = t.get("root", &format!("/v1/audit?request_id={id}")).await;
    let issued: Vec<&str> = audit.body["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["action"] == "credential.issue")
        .map(|r| r["detail"].as_str().unwrap())
        .collect();
    assert_eq!(issued.len(), 2, "{issued:?}");
    let fp = key.fingerprint(ssh_key::HashAlg::Sha256).to_string();
    assert!(
        issued[0].contains(&format!("certificate serial {} of key {fp}", cert.serial())),
        "{}",
        issued[0]
    );

    // An admin role grants what the catalog allows it: forwarding.
    let admin = t.approved("alice", "prod-ssh", "admin", 600).await;
    let r = sign(&t, &admin, Some(&line)).await;
    let c = cert_of(&r.body);
    assert!(c.extensions().contains_key("permit-agent-forwarding"));
    assert!(c.extensions().contains_key("permit-port-forwarding"));
}

#[tokio::test]
async fn an_extended_grant_gets_a_new_certificate_to_its_new_end() {
    let t = TestBroker::start().await;
    let id = ssh_grant(&t, 600).await;
    let (_, line) = client_key();
    let first = cert_of(&sign(&t, &id, Some(&line)).await.body);
    let r = t
        .post(
            "alice",
            &format!("/v1/grants/{id}/extend"),
            Some(json!({"ttl_secs": 3600})),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let end = Timestamp::parse_rfc3339(r.body["expires_at"].as_str().unwrap()).unwrap();
    let second = cert_of(&sign(&t, &id, Some(&line)).await.body);
    assert_eq!(second.valid_before() as i64, end.0);
    assert!(second.valid_before() > first.valid_before());
    assert!(second.serial() > first.serial());
}

/// `ssh-keygen -Q`'s verdict on `cert` against `krl`, if OpenSSH's client tools are here.
fn keygen_says_revoked(krl: &[u8], cert: &str) -> Option<bool> {
    if !Path::new("/usr/bin/ssh-keygen").exists() {
        assert!(
            std::env::var_os("ZT_TEST_REQUIRE_PEERS").is_none(),
            "ssh-keygen is not installed (Debian openssh-client)"
        );
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("krl"), krl).unwrap();
    std::fs::write(dir.path().join("c-cert.pub"), cert).unwrap();
    let out = Command::new("/usr/bin/ssh-keygen")
        .args(["-Q", "-f", "krl", "c-cert.pub"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    match out.status.code() {
        Some(0) => Some(false),
        Some(1) if text.contains("REVOKED") => Some(true),
        _ => panic!("ssh-keygen -Q: {out:?}"),
    }
}

async fn krl(t: &TestBroker) -> Vec<u8> {
    let r = raw_get(t, "/v1/ssh/krl").await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["cache-control"], "no-cache");
    assert_eq!(r.headers()["content-type"], "application/octet-stream");
    r.bytes().await.unwrap().to_vec()
}

/// Revoking puts the grant's certificates (every key's) on the KRL; another grant's stay off.
async fn revoked_certificates_go_on_the_krl(t: &TestBroker) {
    let id = ssh_grant(t, 600).await;
    let other = ssh_grant(t, 600).await;
    let (_, a) = client_key();
    let (_, b) = client_key();
    let c1 = sign(t, &id, Some(&a)).await.body["certificate"]
        .as_str()
        .unwrap()
        .to_string();
    let c2 = sign(t, &id, Some(&b)).await.body["certificate"]
        .as_str()
        .unwrap()
        .to_string();
    let kept = sign(t, &other, Some(&a)).await.body["certificate"]
        .as_str()
        .unwrap()
        .to_string();
    let empty = krl(t).await;
    assert!(empty.starts_with(b"SSHKRL\n\0"));
    for c in [&c1, &c2, &kept] {
        assert!(!keygen_says_revoked(&empty, c).unwrap_or(false));
    }
    let r = t
        .post("alice", &format!("/v1/grants/{id}/revoke"), None)
        .await;
    assert_eq!(r.body["state"], "revoked");
    let serials = t.broker.store.ssh_certificates_of(&id).await.unwrap();
    assert_eq!(serials.len(), 2);
    assert!(serials.iter().all(|(_, revoked)| *revoked), "{serials:?}");
    let listed = t
        .broker
        .store
        .revoked_ssh_serials(Timestamp::now())
        .await
        .unwrap();
    let mine: Vec<u64> = serials.iter().map(|(s, _)| *s).collect();
    assert_eq!(listed.serials, mine);
    assert!(listed.version > 0);
    let now = krl(t).await;
    assert_ne!(now, empty);
    if let Some(revoked) = keygen_says_revoked(&now, &c1) {
        assert!(revoked, "the revoked grant's first certificate");
        assert!(keygen_says_revoked(&now, &c2).unwrap(), "its second");
        assert!(
            !keygen_says_revoked(&now, &kept).unwrap(),
            "another grant's"
        );
    }
    // A revoked grant signs nothing more.
    let r = sign(t, &id, Some(&a)).await;
    assert_eq!((r.status, r.slug()), (410, "grant-not-live"));
}

#[tokio::test]
async fn revoked_certificates_go_on_the_krl_sqlite() {
    let t = TestBroker::start().await;
    revoked_certificates_go_on_the_krl(&t).await;
    t.stop().await;
}

#[tokio::test]
async fn revoked_certificates_go_on_the_krl_postgres() {
    let Some(pg) = TestPg::start() else { return };
    let t = TestBroker::start_on_postgres(&pg.superuser_url("postgres")).await;
    revoked_certificates_go_on_the_krl(&t).await;
    t.stop().await;
}

/// A grant that ran to its end needs no KRL entry (its certificates end with it).
#[tokio::test]
async fn certificates_of_expired_grants_stay_off_the_krl() {
    let t = TestBroker::start().await;
    let id = ssh_grant(&t, 2).await;
    let (_, line) = client_key();
    assert_eq!(sign(&t, &id, Some(&line)).await.status, 200);
    let mut state = String::new();
    for _ in 0..100 {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        state = t.get("alice", &format!("/v1/requests/{id}")).await.body["state"]
            .as_str()
            .unwrap()
            .to_string();
        if state == "expired" {
            break;
        }
    }
    assert_eq!(state, "expired");
    let serials = t.broker.store.ssh_certificates_of(&id).await.unwrap();
    assert_eq!(serials.len(), 1);
    assert!(!serials[0].1, "not revoked: it ended with the grant");
    assert!(
        t.broker
            .store
            .revoked_ssh_serials(Timestamp::now())
            .await
            .unwrap()
            .serials
            .is_empty()
    );
}
