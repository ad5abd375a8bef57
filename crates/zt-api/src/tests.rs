//! Unit tests of the wire types: RFC 3339 timestamps, name validation, credential tagging.

use super::*;

#[test]
fn timestamps_round_trip_rfc3339() {
    let t = Timestamp(1_795_000_000);
    let s = t.to_rfc3339();
    assert!(s.ends_with('Z'), "{s}");
    assert_eq!(Timestamp::parse_rfc3339(&s), Some(t));
    assert_eq!(serde_json::to_string(&t).unwrap(), format!("\"{s}\""));
}

#[test]
fn names_reject_separators_and_newlines() {
    for bad in ["", "a]b", "a=b", "a:b", "a/b", "a\nb", "-x", ".x", "a b"] {
        assert!(!valid_name(bad), "{bad:?}");
    }
    for good in ["prod-k8s", "prod_db", "view", "a.b"] {
        assert!(valid_name(good), "{good:?}");
    }
}

#[test]
fn credential_is_tagged_by_kind() {
    let c = Credential::Kubernetes {
        server: "https://k".into(),
        certificate_authority_data: None,
        namespace: None,
        token: "t".into(),
        expires_at: Timestamp(0),
    };
    let v = serde_json::to_value(&c).unwrap();
    assert_eq!(v["kind"], "kubernetes");
}
