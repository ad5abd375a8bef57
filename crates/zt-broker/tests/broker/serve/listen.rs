//! How the broker is reached and checked: HTTPS with the configured certificate (and TLS files
//! refused before anything binds), the announced public URL. (`check` on the documented
//! example: the unit tests in `src/serve/tests.rs`.)

use super::*;
use zt_broker::serve;

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
        zt_broker::dev::issuers::for_serve,
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
    serve::main(&path, zt_broker::dev::issuers::for_serve, async {})
        .await
        .unwrap();
}
