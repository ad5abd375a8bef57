//! How the broker is reached and checked: HTTPS with the configured certificate (and TLS files
//! refused before anything binds), the announced public URL, `check` on the documented example.

use std::path::Path;

use super::*;
use crate::serve;

#[tokio::test]
async fn serves_https_with_the_configured_certificate() {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
    let people = Idp::start("/realms/zt").await;
    let ci = Idp::start("/ci").await;
    let dir = dir_with_catalog();
    // A private CA and a certificate it signs for the loopback names.
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_cert = ca_params.self_signed(&ca_key).unwrap();
    let ca = Issuer::new(ca_params, ca_key);
    let key = KeyPair::generate().unwrap();
    let cert = CertificateParams::new(vec!["localhost".into(), "127.0.0.1".into()])
        .unwrap()
        .signed_by(&key, &ca)
        .unwrap();
    std::fs::create_dir(dir.path().join("tls")).unwrap();
    std::fs::write(dir.path().join("tls/cert.pem"), cert.pem()).unwrap();
    let key_path = dir.path().join("tls/key.pem");
    std::fs::write(&key_path, key.serialize_pem()).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&key_path, std::fs::Permissions::from_mode(0o600)).unwrap();

    let text = config(&people, &ci).replace(
        "listen = \"127.0.0.1:0\"",
        "listen = \"127.0.0.1:0\"\ntls_cert = \"tls/cert.pem\"\ntls_key = \"tls/key.pem\"",
    );
    std::fs::write(dir.path().join("broker.toml"), &text).unwrap();
    let summary = serve::check(&dir.path().join("broker.toml")).unwrap();
    assert!(summary.contains(": ok: https on 127.0.0.1:0"), "{summary}");

    let trusting = reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(ca_cert.pem().as_bytes()).unwrap()])
        .build()
        .unwrap();
    let b = Running::start_with(dir, &text, trusting).await;
    assert!(b.url.starts_with("https://127.0.0.1:"), "{}", b.url);
    let (status, _, d) = b.get("/.well-known/zt", None).await;
    assert_eq!((status, d["client_id"].as_str()), (200, Some("zt-cli")));
    let alice = person(&people, "alice", &["engineering"]);
    assert_eq!(b.get("/v1/me", Some(&alice)).await.0, 200);
    // Plain HTTP on the HTTPS port gets nowhere, and a client that does not trust the CA
    // does not connect.
    let plain = b.url.replace("https://", "http://");
    assert!(
        reqwest::get(format!("{plain}/.well-known/zt"))
            .await
            .is_err()
    );
    assert!(
        reqwest::Client::new()
            .get(format!("{}/.well-known/zt", b.url))
            .send()
            .await
            .is_err()
    );
    let dir = b.stop().await;

    // `check` and `serve` read the TLS files: a key readable by everyone, or a key that is not
    // the certificate's, is refused before anything binds.
    let cfg_path = dir.path().join("broker.toml");
    std::fs::set_permissions(&key_path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let e = serve::check(&cfg_path).unwrap_err();
    assert!(
        e.message.contains("accessible by every user"),
        "{}",
        e.message
    );
    std::fs::write(&key_path, KeyPair::generate().unwrap().serialize_pem()).unwrap();
    std::fs::set_permissions(&key_path, std::fs::Permissions::from_mode(0o600)).unwrap();
    let e = serve::check(&cfg_path).unwrap_err();
    assert!(e.message.starts_with("tls_cert "), "{}", e.message);
    std::fs::write(dir.path().join("tls/cert.pem"), "not pem").unwrap();
    let e = serve::check(&cfg_path).unwrap_err();
    assert!(e.message.contains("no CERTIFICATE"), "{}", e.message);
}

#[tokio::test]
async fn public_url_is_announced_as_written() {
    let people = Idp::start("/realms/zt").await;
    let ci = Idp::start("/ci").await;
    let text = config(&people, &ci).replace(
        "listen = \"127.0.0.1:0\"",
        "listen = \"127.0.0.1:0\"\npublic_url = \"https://zt.example.com/\"",
    );
    let dir = dir_with_catalog();
    let path = dir.path().join("broker.toml");
    std::fs::write(&path, &text).unwrap();
    let server = serve::start(
        &Config::load(&path).unwrap(),
        crate::dev::issuers::for_serve,
    )
    .await
    .unwrap();
    assert_eq!(server.url, "https://zt.example.com");
    assert_eq!(
        serve::listening_line(&server.url),
        "zt-broker listening on https://zt.example.com"
    );
    // `main` as the binary runs it: up, then down at the shutdown signal.
    drop(server);
    serve::main(&path, crate::dev::issuers::for_serve, async {})
        .await
        .unwrap();
}

#[test]
fn check_accepts_the_documented_example() {
    let path = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../..")).join("broker.example.toml");
    let summary = serve::check(&path).unwrap();
    assert!(
        summary.contains(
            "ok: http on 127.0.0.1:8443 as https://zt.example.com; store sqlite \
         /var/lib/zt/broker.db; 2 trusted issuer(s); catalog (inline) 2 resource(s), 4 role(s); \
         admin groups: zt-admins; 9 policies in "
        ),
        "{summary}"
    );
    // The example's [policy] dir is the repository's example policies, all of them loaded.
    let policies = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../..")).join("policies");
    assert!(
        summary.ends_with(&format!("9 policies in {}", policies.display())),
        "{summary}"
    );
    assert!(!summary.contains('\n'));
}

#[test]
fn check_loads_the_store_key_and_never_prints_it() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let example =
        Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../..")).join("broker.example.toml");
    let text = std::fs::read_to_string(example).unwrap().replace(
        "url = \"sqlite:///var/lib/zt/broker.db\"",
        "url = \"sqlite://broker.db\"\ncredential_key_file = \"store.key\"",
    );
    let text = text.replace(
        "dir = \"policies\"",
        &format!(
            "dir = \"{}/policies\"",
            concat!(env!("CARGO_MANIFEST_DIR"), "/../..")
        ),
    );
    let config = dir.path().join("broker.toml");
    std::fs::write(&config, text).unwrap();
    let key = dir.path().join("store.key");
    let check = || serve::check(&config);
    // Named but missing: refused (only a SQLite store's default key is made at start).
    let e = check().unwrap_err();
    assert!(e.message.contains("store.key"), "{}", e.message);
    // Readable by others: refused, and the message does not quote it.
    let secret = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
    std::fs::write(&key, format!("{secret}\n")).unwrap();
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    let e = check().unwrap_err();
    assert!(
        e.message.contains("readable by other users"),
        "{}",
        e.message
    );
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
    assert!(check().is_ok());
    std::fs::write(&key, "bm90IDMyIGJ5dGVz\n").unwrap();
    let e = check().unwrap_err();
    assert!(
        e.message.contains("32 bytes") && !e.message.contains("bm90IDMyIGJ5dGVz"),
        "{}",
        e.message
    );
    assert!(!format!("{e:?}").contains(secret));
}
