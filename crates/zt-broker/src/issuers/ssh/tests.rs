//! The CA's certificates as OpenSSH reads them, and the KRL checked by
//! the real `ssh-keygen -Q` (OpenSSH's own KRL parser) when it is installed.

use std::path::Path;
use std::process::Command;

use ssh_key::certificate::CertType;
use ssh_key::{Certificate, PublicKey};

use super::ca::{CertSpec, SshCa};
use super::krl::Krl;
use super::*;

fn client() -> (SshCa, PublicKey) {
    // Any Ed25519 key stands in for the client's: a second "CA" is just a key pair.
    let k = SshCa::generate().unwrap();
    let pk = k.public_key().clone();
    (k, pk)
}

fn spec(serial: u64, principals: &[&str]) -> CertSpec {
    CertSpec {
        serial,
        key_id: "zt alice@example.com grant g1".into(),
        principals: principals.iter().map(|s| s.to_string()).collect(),
        valid_after: 1_000,
        valid_before: 5_000,
        critical_options: vec![("source-address".into(), "10.0.0.0/8".into())],
        extensions: vec!["permit-pty".into()],
        comment: "zt grant g1".into(),
    }
}

#[test]
fn certificates_carry_what_the_spec_says_and_verify_under_the_ca() {
    let ca = SshCa::generate().unwrap();
    let (_, subject) = client();
    let cert = ca.sign(&subject, &spec(42, &["deploy"])).unwrap();
    assert_eq!(cert.serial(), 42);
    assert_eq!(cert.cert_type(), CertType::User);
    assert_eq!(cert.key_id(), "zt alice@example.com grant g1");
    assert_eq!(cert.valid_principals(), ["deploy"]);
    assert_eq!((cert.valid_after(), cert.valid_before()), (1_000, 5_000));
    assert_eq!(cert.public_key(), subject.key_data());
    assert_eq!(
        cert.critical_options()
            .get("source-address")
            .map(String::as_str),
        Some("10.0.0.0/8")
    );
    assert!(cert.extensions().contains_key("permit-pty"));
    assert!(!cert.extensions().contains_key("permit-agent-forwarding"));
    let fp = ca.public_key().fingerprint(ssh_key::HashAlg::Sha256);
    cert.validate_at(2_000, [&fp]).unwrap();
    assert!(cert.validate_at(6_000, [&fp]).is_err(), "expired");
    let other = SshCa::generate().unwrap();
    let other_fp = other.public_key().fingerprint(ssh_key::HashAlg::Sha256);
    assert!(cert.validate_at(2_000, [&other_fp]).is_err(), "another CA");
    // The line the client gets parses back to the same certificate.
    let line = cert.to_openssh().unwrap();
    assert!(
        line.starts_with("ssh-ed25519-cert-v01@openssh.com AAAA"),
        "{line}"
    );
    assert!(line.ends_with(" zt grant g1"), "{line}");
    assert_eq!(Certificate::from_openssh(&line).unwrap(), cert);
}

#[test]
fn the_ca_line_is_trusted_user_ca_keys_form_and_the_key_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ca");
    let made = SshCa::load_or_create(&path).unwrap();
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let again = SshCa::load_or_create(&path).unwrap();
    assert_eq!(made.public_line(), again.public_line());
    let line = made.public_line();
    assert!(line.starts_with("ssh-ed25519 AAAA"), "{line}");
    assert!(line.ends_with(" zt-broker user CA"), "{line}");
    assert_eq!(line.lines().count(), 1);

    // A key others can read is refused, naming the file.
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let e = SshCa::load(&ca::CaSource::File(path.clone())).unwrap_err();
    assert!(e.contains("readable by others") && e.contains("ca"), "{e}");
    // From a variable: its name in errors, never the value.
    let e = SshCa::load(&ca::CaSource::Env("ZT_TEST_NO_SUCH_SSH_CA_VAR".into())).unwrap_err();
    assert!(
        e.contains("ZT_TEST_NO_SUCH_SSH_CA_VAR") && e.contains("not set"),
        "{e}"
    );
    assert!(SshCa::from_openssh("not a key").is_err());
}

#[test]
fn client_keys_must_be_ed25519_public_key_lines() {
    let (_, pk) = client();
    let line = pk.to_openssh().unwrap();
    let req = |k: Option<&str>| CredentialsRequest {
        public_key: k.map(str::to_string),
        ..Default::default()
    };
    assert_eq!(client_key(&req(Some(&line))).unwrap(), pk);
    assert_eq!(
        client_key(&req(Some(&format!("{line} me@laptop\n"))))
            .unwrap()
            .key_data(),
        pk.key_data()
    );
    let e = client_key(&req(None)).unwrap_err();
    assert!(e.contains("needs public_key"), "{e}");
    for bad in ["", "ssh-ed25519", "ssh-ed25519 !!!!", "hello world"] {
        assert!(client_key(&req(Some(bad))).is_err(), "{bad:?}");
    }
    // A private key is not a public key line (and nothing echoes it).
    let e = client_key(&req(Some("-----BEGIN OPENSSH PRIVATE KEY-----"))).unwrap_err();
    assert!(!e.contains("BEGIN"), "{e}");
    // ECDSA: a valid public key of another algorithm.
    let ecdsa = "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBEmKSENjQEezOmxkZMy7opKgwFB9nkt5YRrYMjNuG5N87uRgg6CLrbo5wAdT/y6v0mKV0U2w0WZ2YB/++Tpockg=";
    let e = client_key(&req(Some(ecdsa))).unwrap_err();
    assert!(e.contains("not ssh-ed25519"), "{e}");
}

#[test]
fn a_stored_certificate_fits_only_its_key_and_the_grants_end() {
    let ca = SshCa::generate().unwrap();
    let (_, pk) = client();
    let (_, other) = client();
    let cert = ca.sign(&pk, &spec(1, &["deploy"])).unwrap();
    let cred = Credential::Ssh {
        host: "h".into(),
        port: 22,
        user: "deploy".into(),
        certificate: cert.to_openssh().unwrap(),
        known_hosts: vec![],
        hosts: vec![],
        expires_at: Timestamp(5_000),
    };
    assert!(fits(&cred, &pk, Timestamp(5_000)));
    assert!(!fits(&cred, &other, Timestamp(5_000)), "another key");
    assert!(
        !fits(&cred, &pk, Timestamp(9_000)),
        "the grant was extended"
    );
    let d = describe(&cred).unwrap();
    assert!(d.starts_with("certificate serial 1 of key SHA256:"), "{d}");
}

/// OpenSSH's tools, if installed (Debian openssh-client): `ZT_TEST_REQUIRE_PEERS=1` makes
/// their absence a failure instead of a skip.
fn ssh_keygen() -> Option<&'static str> {
    let path = "/usr/bin/ssh-keygen";
    if Path::new(path).exists() {
        return Some(path);
    }
    assert!(
        std::env::var_os("ZT_TEST_REQUIRE_PEERS").is_none(),
        "ssh-keygen is not installed (Debian openssh-client)"
    );
    None
}

/// Whether `ssh-keygen -Q -f krl cert` says the certificate is revoked (exit 1, "REVOKED")
/// or not (exit 0, "ok").
fn revoked(keygen: &str, krl: &Path, cert: &Path) -> bool {
    let out = Command::new(keygen)
        .arg("-Q")
        .arg("-f")
        .arg(krl)
        .arg(cert)
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    match out.status.code() {
        Some(0) if text.contains(": ok") => false,
        Some(1) if text.contains("REVOKED") => true,
        _ => panic!("ssh-keygen -Q: {:?}: {text}", out.status),
    }
}

#[test]
fn openssh_reads_the_krl_as_written() {
    let Some(keygen) = ssh_keygen() else { return };
    let dir = tempfile::tempdir().unwrap();
    let ca = SshCa::generate().unwrap();
    let other_ca = SshCa::generate().unwrap();
    let (_, pk) = client();
    let ca_blob = ca.public_key().to_bytes().unwrap();
    let write_cert = |name: &str, by: &SshCa, serial: u64| {
        let mut s = spec(serial, &["deploy"]);
        s.valid_before = 4_000_000_000;
        let path = dir.path().join(name);
        std::fs::write(&path, by.sign(&pk, &s).unwrap().to_openssh().unwrap()).unwrap();
        path
    };
    // Listed (1, 2, 20), ranged (10..=13), outside both (3, 9, 14, 19, 21), huge serials.
    let serials = [1u64, 2, 10, 11, 12, 13, 20, u64::MAX - 1, u64::MAX];
    let krl = dir.path().join("krl");
    std::fs::write(
        &krl,
        Krl {
            ca_key: &ca_blob,
            version: 3,
            generated: 1_700_000_000,
            comment: "zt test",
            serials: &serials,
        }
        .encode(),
    )
    .unwrap();
    for s in [1, 2, 10, 11, 12, 13, 20, u64::MAX - 1, u64::MAX] {
        let c = write_cert(&format!("in-{s}-cert.pub"), &ca, s);
        assert!(revoked(keygen, &krl, &c), "serial {s} should be revoked");
    }
    for s in [3, 9, 14, 19, 21, u64::MAX - 2] {
        let c = write_cert(&format!("out-{s}-cert.pub"), &ca, s);
        assert!(
            !revoked(keygen, &krl, &c),
            "serial {s} should not be revoked"
        );
    }
    // The serials are this CA's: another CA's certificate with a listed serial is not named.
    let c = write_cert("other-ca-cert.pub", &other_ca, 1);
    assert!(!revoked(keygen, &krl, &c));
    // An empty list is a valid KRL too.
    std::fs::write(
        &krl,
        Krl {
            ca_key: &ca_blob,
            version: 0,
            generated: 0,
            comment: "",
            serials: &[],
        }
        .encode(),
    )
    .unwrap();
    let c = write_cert("any-cert.pub", &ca, 1);
    assert!(!revoked(keygen, &krl, &c));
    // And ssh-keygen lists what it read (-l): the version, the ranges.
    std::fs::write(
        &krl,
        Krl {
            ca_key: &ca_blob,
            version: 9,
            generated: 0,
            comment: "listed",
            serials: &[5, 6, 7, 8],
        }
        .encode(),
    )
    .unwrap();
    let out = Command::new(keygen)
        .args(["-Q", "-l", "-f"])
        .arg(&krl)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    let fp = ca.fingerprint();
    assert!(
        text.contains("# KRL version 9")
            && text.contains(&format!("# CA key ssh-ed25519 {fp}"))
            && text.contains("\nserial: 5-8\n"),
        "{text}"
    );
}
