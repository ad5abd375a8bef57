//! `zt-broker check` on the documented example configuration (`broker.example.toml`), its
//! store key included: nothing is bound or contacted. `serve` itself, running over real
//! HTTP(S): the integration tests in `tests/broker/serve/`.

use std::path::Path;

use crate::serve;

#[test]
fn check_accepts_the_documented_example() {
    let path = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../..")).join("broker.example.toml");
    if !cfg!(feature = "kubernetes") {
        // Its prod-k8s names the kubernetes issuer: a build without it says which feature and
        // which install flag bring it.
        let e = serve::check(&path).unwrap_err();
        assert!(
            e.message
                .starts_with("catalog: prod-k8s: issuer \"kubernetes\" is not in this build")
                && e.message.contains("feature \"kubernetes\"")
                && e.message.contains("./install.sh --production"),
            "{}",
            e.message
        );
        assert_eq!(e.code, 2);
        return;
    }
    let summary = serve::check(&path).unwrap();
    assert!(
        summary.contains(
            "ok: http on 127.0.0.1:8443 as https://zt.example.com; store sqlite \
         /var/lib/zt/broker.db; 2 trusted issuer(s); catalog (inline) 2 resource(s), 4 role(s); \
         admin groups: zt-admins; review page https://zt.example.com/review (client zt-review); \
         14 policies in "
        ),
        "{summary}"
    );
    // The example's [policy] dir is the repository's example policies, all of them loaded.
    let policies = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../..")).join("policies");
    assert!(
        summary.ends_with(&format!("14 policies in {}", policies.display())),
        "{summary}"
    );
    assert!(!summary.contains('\n'));
}

/// (The example's catalog needs the kubernetes issuer: see the test above for a build without.)
#[cfg(feature = "kubernetes")]
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

#[test]
fn check_refuses_a_review_client_secret_whose_variable_is_unset() {
    if !cfg!(feature = "kubernetes") {
        return;
    }
    let root = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."));
    let text = std::fs::read_to_string(root.join("broker.example.toml"))
        .unwrap()
        .replace(
            "dir = \"policies\"",
            &format!("dir = \"{}\"", root.join("policies").display()),
        )
        .replace(
            "# client_secret_env = \"ZT_REVIEW_CLIENT_SECRET\"",
            "client_secret_env = \"ZT_TEST_REVIEW_SECRET_NEVER_SET\"",
        );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broker.toml");
    std::fs::write(&path, text).unwrap();
    let e = serve::check(&path).unwrap_err();
    assert!(
        e.message
            .contains("$ZT_TEST_REVIEW_SECRET_NEVER_SET is not set"),
        "{}",
        e.message
    );
    assert_eq!(e.code, 2);
}

/// A role asking for passkey approvals needs the review pages on a host name: `check` refuses
/// a public URL (and review page) whose host is an IP address, saying why and what to set.
#[cfg(feature = "kubernetes")]
#[test]
fn passkey_approvals_refuse_an_ip_address_as_public_url() {
    let dir = tempfile::tempdir().unwrap();
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
    let example = std::fs::read_to_string(Path::new(root).join("broker.example.toml")).unwrap();
    let text = example
        .replace("dir = \"policies\"", &format!("dir = \"{root}/policies\""))
        .replacen(
            "\napprover_groups = [",
            "\napproval_assurance = \"passkey\"\napprover_groups = [",
            1,
        );
    assert_ne!(text, example);
    let config = dir.path().join("broker.toml");
    std::fs::write(&config, &text).unwrap();
    if let Err(e) = serve::check(&config) {
        panic!("{}", e.message);
    }
    let on_ip = text.replace("https://zt.example.com", "https://10.0.0.5");
    std::fs::write(&config, on_ip).unwrap();
    let e = serve::check(&config).unwrap_err();
    assert!(
        e.message.starts_with("passkey approvals need")
            && e.message.contains("IP address 10.0.0.5"),
        "{}",
        e.message
    );
    assert_eq!(e.code, 2);
    // A role value that is not one is a catalog error.
    let wrong = text.replace(
        "approval_assurance = \"passkey\"",
        "approval_assurance = \"pin\"",
    );
    std::fs::write(&config, wrong).unwrap();
    let e = serve::check(&config).unwrap_err();
    assert!(
        e.message.contains("approval_assurance \"pin\""),
        "{}",
        e.message
    );
}

/// `check` loads the SSH CA an ssh resource needs: its fingerprint in the summary; a key
/// others can read, or none where the file says, refused naming the file and never the key.
#[test]
fn check_loads_the_ssh_ca() {
    use crate::issuers::ssh::ca::SshCa;
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("broker.toml");
    std::fs::write(
        &config,
        "[server]\nlisten = \"127.0.0.1:0\"\n[store]\nurl = \"sqlite://broker.db\"\n\
         [login]\nissuer = \"https://id.example.com\"\nclient_id = \"zt-cli\"\n\
         audience = \"zt-broker\"\n[[trusted_issuer]]\nissuer = \"https://id.example.com\"\n\
         audience = \"zt-broker\"\n[catalog]\n[[catalog.resource]]\nname = \"hosts\"\n\
         kind = \"ssh\"\ndefault_role = \"login\"\nmax_ttl = \"1h\"\n\
         settings = { issuer = \"ssh-ca\", host = \"10.0.0.5\" }\n\
         [[catalog.resource.role]]\nname = \"login\"\nsettings = { principals = [\"deploy\"] }\n\
         [ssh]\nca_key_file = \"ssh_ca\"\n",
    )
    .unwrap();
    let key = dir.path().join("ssh_ca");
    let e = serve::check(&config).unwrap_err();
    assert!(e.message.contains("ssh_ca"), "{}", e.message);
    let ca = SshCa::load_or_create(&key).unwrap();
    let summary = serve::check(&config).unwrap();
    assert!(
        summary.ends_with(&format!("; SSH CA {}", ca.fingerprint())),
        "{summary}"
    );
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o640)).unwrap();
    let e = serve::check(&config).unwrap_err();
    assert!(
        e.message.contains("readable by others") && !e.message.contains("PRIVATE"),
        "{}",
        e.message
    );
    assert_eq!(e.code, 2);
}
