use base64::Engine;
use ssh_key::certificate::{Builder, CertType};

use super::*;

/// A certificate line for `subject`, signed by `ca`, as a broker would send it.
fn cert_line(ca: &GrantKey, subject: &PublicKey, kind: CertType, valid: (u64, u64)) -> String {
    let mut b = Builder::new([7u8; 16], subject.key_data().clone(), valid.0, valid.1).unwrap();
    b.cert_type(kind).unwrap();
    b.serial(42).unwrap();
    b.key_id("alice grant g1").unwrap();
    b.valid_principal("deploy").unwrap();
    let cert = b.sign(&ca.key).unwrap();
    cert.to_openssh().unwrap()
}

fn now() -> u64 {
    zt_api::Timestamp::now().0 as u64
}

#[test]
fn a_certificate_for_the_key_zt_sent_is_taken() {
    let ca = GrantKey::generate("ca").unwrap();
    let key = GrantKey::generate("g1").unwrap();
    let end = now() + 600;
    let line = cert_line(&ca, key.public(), CertType::User, (now() - 60, end));
    let c = key.check(&line).unwrap();
    assert_eq!(c.valid_before, end);
    let b64 = line.split(' ').nth(1).unwrap();
    assert_eq!(
        base64::engine::general_purpose::STANDARD.encode(&c.blob),
        b64
    );
    // The public line is what ssh-keygen writes: type, base64, comment.
    let public = key.public_line().unwrap();
    assert!(public.starts_with("ssh-ed25519 AAAA"), "{public}");
    assert!(public.ends_with(" zt grant g1"), "{public}");
}

#[test]
fn certificates_zt_must_not_use_are_refused() {
    let ca = GrantKey::generate("ca").unwrap();
    let key = GrantKey::generate("g1").unwrap();
    let other = GrantKey::generate("g2").unwrap();
    let valid = (now() - 60, now() + 600);
    let cases = [
        (
            cert_line(&ca, other.public(), CertType::User, valid),
            "another public key",
        ),
        (
            cert_line(&ca, key.public(), CertType::Host, valid),
            "not a user certificate",
        ),
        (
            cert_line(&ca, key.public(), CertType::User, (now() - 600, now() - 60)),
            "expired",
        ),
        (key.public_line().unwrap(), "not an Ed25519 certificate"),
        (
            "ssh-ed25519-cert-v01@openssh.com AAAA!!".into(),
            "not base64",
        ),
        (
            "ssh-ed25519-cert-v01@openssh.com".into(),
            "not a certificate line",
        ),
        (
            format!(
                "{}\nHost *",
                cert_line(&ca, key.public(), CertType::User, valid)
            ),
            "not one line",
        ),
    ];
    for (line, why) in cases {
        let e = key
            .check(&line)
            .err()
            .unwrap_or_else(|| panic!("{why}: taken"));
        assert!(e.message.contains(why), "{why}: {}", e.message);
        assert!(e.message.contains("zt wrote nothing"), "{}", e.message);
    }
    // A signature that does not verify: one byte of the signed body changed.
    let line = cert_line(&ca, key.public(), CertType::User, valid);
    let mut blob = base64::engine::general_purpose::STANDARD
        .decode(line.split(' ').nth(1).unwrap())
        .unwrap();
    let at = 45; // in the nonce, which the signature covers
    blob[at] ^= 1;
    let tampered = format!(
        "ssh-ed25519-cert-v01@openssh.com {}",
        base64::engine::general_purpose::STANDARD.encode(&blob)
    );
    assert!(key.check(&tampered).is_err());
}

#[test]
fn a_written_key_reads_back_private_and_the_same() {
    use std::os::unix::fs::PermissionsExt;
    let d = tempfile::tempdir().unwrap();
    let f = d.path().join("g1");
    let key = GrantKey::generate("g1").unwrap();
    key.write(&f).unwrap();
    assert_eq!(
        std::fs::metadata(&f).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let back = GrantKey::load(&f).unwrap();
    assert_eq!(back.public_line().unwrap(), key.public_line().unwrap());
    assert!(
        std::fs::read_to_string(&f)
            .unwrap()
            .starts_with("-----BEGIN OPENSSH PRIVATE KEY-----\n")
    );
}

#[test]
fn known_hosts_lines_are_checked() {
    assert_eq!(known_hosts_text(&[]).unwrap(), None);
    let ok = "[127.0.0.1]:2222 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB".to_string();
    assert_eq!(
        known_hosts_text(std::slice::from_ref(&ok)).unwrap(),
        Some(format!("{ok}\n"))
    );
    assert!(known_hosts_text(&[format!("{ok}\nevil")]).is_err());
    assert!(known_hosts_text(&["justone".into()]).is_err());
    assert!(known_hosts_text(&vec![ok; 65]).is_err());
}
