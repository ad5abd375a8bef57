//! Building the provider: configuration checks, the demo users, and the signing key persisted
//! (mode 0600) and reloaded across restarts.

use super::*;

#[test]
fn demo_users() {
    let users = DevIdp::demo_users();
    let find = |n: &str| users.iter().find(|u| u.name == n).unwrap().groups.clone();
    assert_eq!(find("alice"), vec!["engineering"]);
    assert_eq!(find("bob"), vec!["engineering", "sre-leads", "zt-admins"]);
}

#[tokio::test]
async fn key_is_persisted_and_reloaded() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested/dev-idp.pem");
    let cfg = DevIdpConfig {
        key_path: Some(path.clone()),
        ..DevIdpConfig::default()
    };
    let first = DevIdp::new(cfg.clone()).unwrap();
    assert!(
        std::fs::read_to_string(&path)
            .unwrap()
            .starts_with("-----BEGIN PRIVATE KEY-----")
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    let token = first.mint_access_token("alice").unwrap();
    drop(first);

    let second = DevIdp::new(cfg.clone()).unwrap();
    let kid = |idp: &DevIdp| idp.jwks().keys[0].common.key_id.clone();
    assert_eq!(kid(&second), Some(second.key.kid.clone()));
    let v = Verifier::new(
        vec![TrustedIssuer::new(
            &cfg.issuer,
            "zt-broker",
            JwksSource::Static(second.jwks()),
        )],
        reqwest::Client::new(),
    );
    assert!(
        v.verify(&token).await.is_ok(),
        "a token from before the restart still verifies"
    );
    // In memory: a new key each time.
    let a = DevIdp::new(DevIdpConfig::default()).unwrap();
    let b = DevIdp::new(DevIdpConfig::default()).unwrap();
    assert_ne!(kid(&a), kid(&b));
    assert_ne!(kid(&a), kid(&second));

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let err = DevIdp::new(cfg.clone()).err().unwrap();
        assert!(err.contains("chmod 600"), "{err}");
    }
    let junk = dir.path().join("junk.pem");
    std::fs::write(&junk, "not a key").unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&junk, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let err = DevIdp::new(DevIdpConfig {
        key_path: Some(junk),
        ..DevIdpConfig::default()
    })
    .err()
    .unwrap();
    assert!(err.contains("PKCS#8"), "{err}");
}

#[test]
fn config_is_checked() {
    let bad = |cfg: DevIdpConfig| DevIdp::new(cfg).err().unwrap();
    bad(DevIdpConfig {
        issuer: "127.0.0.1:8421".into(),
        ..DevIdpConfig::default()
    });
    bad(DevIdpConfig {
        users: vec![],
        ..DevIdpConfig::default()
    });
    bad(DevIdpConfig {
        client_id: String::new(),
        ..DevIdpConfig::default()
    });
}
