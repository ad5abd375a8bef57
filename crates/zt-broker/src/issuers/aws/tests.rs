//! Unit tests of the AWS STS issuer: the pure parts (names, tags, durations, settings, which
//! resources it is installed for) and what it does without any STS to answer (revoke, an
//! ended grant, an unreachable endpoint). `AssumeRole` against a real moto STS server is in
//! the integration tests (`tests/broker/issuers/aws.rs`).

use std::time::{Duration, Instant};

use aws_sdk_sts::config::{Credentials, SharedCredentialsProvider};

use super::*;

/// Dummy keys for the broker itself: moto ignores signatures, and the test must never reach
/// for real ones (the standard chain is bypassed).
const BROKER_KEY_ID: &str = "AKIAZTTESTBROKER0001";
const BROKER_SECRET: &str = "zt-test-broker-secret-do-not-leak-0123456";
const ROLE_ARN: &str = "arn:aws:iam::123456789012:role/zt-readonly";

fn dummy_broker_credentials() -> SharedCredentialsProvider {
    SharedCredentialsProvider::new(Credentials::new(
        BROKER_KEY_ID,
        BROKER_SECRET,
        None,
        None,
        "zt-test",
    ))
}

fn grant(requester: &str, left_secs: i64, settings: &str) -> Grant {
    let now = Timestamp::now();
    Grant {
        id: "req-7f3a".into(),
        requester: requester.into(),
        resource: "prod-aws".into(),
        kind: ResourceKind::Aws,
        role: "readonly".into(),
        ticket: Some("INC-4211".into()),
        not_before: now,
        expires_at: now.add_secs(left_secs),
        settings: toml::from_str(settings).expect("test settings"),
    }
}

fn settings(extra: &str, endpoint: &str) -> String {
    format!(
        "issuer = \"aws-sts\"\nregion = \"eu-west-1\"\nendpoint_url = \"{endpoint}\"\nrole_arn = \"{ROLE_ARN}\"\n{extra}"
    )
}

// ---- pure parts ----

#[test]
fn session_names_keep_aws_charset_and_length() {
    assert_eq!(session_name("alice@example.com"), "alice@example.com");
    assert_eq!(session_name("a.b+c=d,e-f_g"), "a.b+c=d,e-f_g");
    let odd = session_name("bob o'neil; drop");
    assert_eq!(odd, "bob_o_neil__drop");
    assert_eq!(session_name(&"x".repeat(200)).len(), 64);
    // Each non-ASCII character becomes one `_`, so multi-byte input cannot push past 64 bytes.
    assert_eq!(session_name("jürgen"), "j_rgen");
    assert_eq!(session_name("李小龍"), "___");
    assert_eq!(session_name(&"é".repeat(100)).len(), 64);
    assert_eq!(session_name("q"), "q_");
    assert_eq!(session_name(""), "zt");
    for s in ["alice@example.com", "bob o'neil; drop", "李", "", "🙂🙂🙂"] {
        let n = session_name(s);
        assert!((2..=64).contains(&n.len()), "{n}");
        assert!(
            n.chars()
                .all(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c)),
            "{n}"
        );
    }
}

#[test]
fn tag_values_keep_the_tag_charset_and_length() {
    assert_eq!(tag_value("INC-4211"), "INC-4211");
    assert_eq!(tag_value("https://jira/x?y=1&z"), "https://jira/x_y=1_z");
    assert_eq!(tag_value("ünïcode; rm"), "_n_code_ rm");
    assert_eq!(tag_value(&"t".repeat(300)).len(), 256);
}

#[test]
fn durations_are_the_grant_rest_capped_at_the_role_max_and_at_least_900() {
    assert_eq!(duration_secs(1800, 3600), 1800);
    assert_eq!(duration_secs(4 * 3600, 3600), 3600);
    assert_eq!(duration_secs(4 * 3600, 43_200), 4 * 3600);
    assert_eq!(duration_secs(300, 3600), 900);
    assert_eq!(duration_secs(1, 3600), 900);
}

#[test]
fn settings_are_read_and_checked() {
    let t = |s: &str| RoleSettings::from_settings(&toml::from_str(s).expect("toml"));
    let ok = t(&format!("role_arn = \"{ROLE_ARN}\"")).expect("minimal settings");
    // A misspelt setting is refused, not ignored (the example file documents every one).
    let e = t(&format!("role_arn = \"{ROLE_ARN}\"\nsession_tag = false")).unwrap_err();
    assert!(e.contains("unknown setting session_tag"), "{e}");
    assert_eq!(
        ok,
        RoleSettings {
            role_arn: ROLE_ARN.into(),
            region: None,
            endpoint_url: None,
            max_session_secs: 3600,
            session_policy: None,
            source_identity: true,
            session_tags: true,
        }
    );
    let full = t(
        "role_arn = \"arn:aws-us-gov:iam::123456789012:role/ops/zt-admin\"\nregion = \"us-gov-west-1\"\n\
         max_session_secs = 43200\nsession_tags = false\n\
         session_policy = '''{ \"Version\": \"2012-10-17\",\n \"Statement\": [] }'''",
    )
    .expect("full settings");
    assert_eq!(full.max_session_secs, 43_200);
    assert!(!full.session_tags && full.source_identity);
    // Compacted JSON (key order is serde_json's, which depends on its features): compare values.
    let policy: serde_json::Value =
        serde_json::from_str(full.session_policy.as_deref().unwrap()).unwrap();
    assert_eq!(
        policy,
        serde_json::json!({"Statement": [], "Version": "2012-10-17"})
    );
    assert!(
        !full
            .session_policy
            .as_deref()
            .unwrap()
            .contains(['\n', ' ']),
        "compacted"
    );

    for (bad, needle) in [
        ("region = \"eu-west-1\"", "role_arn is missing"),
        ("role_arn = \"zt-readonly\"", "not an IAM role ARN"),
        ("role_arn = \"arn:aws:iam::12345:role/x\"", "12 digits"),
        (
            "role_arn = \"arn:aws:s3:::bucket/role/xyz\"",
            "service must be iam",
        ),
        (
            "role_arn = \"arn:aws:iam::123456789012:user/alice\"",
            "role/NAME",
        ),
        (
            "role_arn = \"arn:aws:iam::123456789012:role/a b\"",
            "role name",
        ),
        ("role_arn = 7", "must be a string"),
    ] {
        let e = t(bad).expect_err(bad);
        assert!(e.contains(needle), "{bad}: {e}");
    }
    for (extra, needle) in [
        ("max_session_secs = 600", "max_session_secs"),
        ("max_session_secs = 50000", "max_session_secs"),
        ("max_session_secs = \"1h\"", "max_session_secs"),
        (
            "session_policy = \"{not json\"",
            "session_policy is not JSON",
        ),
        ("session_policy = \"[]\"", "JSON policy object"),
        ("endpoint_url = \"127.0.0.1:5000\"", "endpoint_url"),
        ("region = \"EU West\"", "region"),
        ("source_identity = \"no\"", "source_identity"),
    ] {
        let e = t(&format!("role_arn = \"{ROLE_ARN}\"\n{extra}")).expect_err(extra);
        assert!(e.contains(needle), "{extra}: {e}");
    }
}

#[test]
fn install_selects_by_settings_issuer_and_checks_every_role() {
    let base = |issuer: &str, kind: &str, role_arn: &str| {
        format!(
            "[[resource]]\nname = \"cloud\"\nkind = \"{kind}\"\ndefault_role = \"ro\"\nmax_ttl = \"1h\"\n\
             settings = {{ issuer = \"{issuer}\" }}\n\
             [[resource.role]]\nname = \"ro\"\nsettings = {{ role_arn = \"{role_arn}\" }}\n\
             [[resource]]\nname = \"other\"\nkind = \"aws\"\ndefault_role = \"ro\"\nmax_ttl = \"1h\"\n\
             [[resource.role]]\nname = \"ro\"\n"
        )
    };
    let iss = AwsStsIssuer::with_credentials(dummy_broker_credentials());

    let catalog = Catalog::parse(&base("aws-sts", "aws", ROLE_ARN)).expect("catalog");
    let mut issuers = Issuers::default();
    iss.install(&mut issuers, &catalog).expect("install");
    assert!(issuers.get("cloud").is_some());
    assert!(
        issuers.get("other").is_none(),
        "only resources that ask for it"
    );

    let bad_arn = Catalog::parse(&base("aws-sts", "aws", "nope")).expect("catalog");
    let e = iss
        .install(&mut Issuers::default(), &bad_arn)
        .expect_err("bad role_arn");
    assert!(e.contains("cloud/ro") && e.contains("role_arn"), "{e}");

    let wrong_kind = Catalog::parse(&base("aws-sts", "postgres", ROLE_ARN)).expect("catalog");
    let e = iss
        .install(&mut Issuers::default(), &wrong_kind)
        .expect_err("wrong kind");
    assert!(e.contains("needs kind \"aws\""), "{e}");

    let other = Catalog::parse(&base("postgres", "postgres", ROLE_ARN)).expect("catalog");
    let mut issuers = Issuers::default();
    iss.install(&mut issuers, &other).expect("not ours");
    assert!(issuers.get("cloud").is_none());
}

#[tokio::test]
async fn revoke_is_a_no_op_at_sts() {
    let iss = AwsStsIssuer::with_credentials(dummy_broker_credentials());
    let g = grant(
        "alice@example.com",
        600,
        &settings("", "http://127.0.0.1:9"),
    );
    iss.revoke(&g).await.expect("nothing to delete at STS");
}

#[tokio::test]
async fn a_first_use_grants_profile_is_known_without_minting_once_its_region_is() {
    let iss = AwsStsIssuer::with_credentials(dummy_broker_credentials());
    // The role names its region: the profile's region, no keys, the grant's end.
    let g = grant(
        "alice@example.com",
        600,
        &settings("", "http://127.0.0.1:9"),
    );
    match iss.connection(&g) {
        Some(Credential::Aws {
            access_key_id,
            secret_access_key,
            session_token,
            expires_at,
            region,
        }) => {
            assert!(access_key_id.is_empty() && secret_access_key.is_empty());
            assert!(session_token.is_empty());
            assert_eq!(expires_at, g.expires_at);
            assert_eq!(region.as_deref(), Some("eu-west-1"));
        }
        other => panic!("{other:?}"),
    }
    // No region and the broker's own configuration not loaded: not known without minting.
    let bare = grant(
        "alice@example.com",
        600,
        &format!("issuer = \"aws-sts\"\nrole_arn = \"{ROLE_ARN}\""),
    );
    assert!(iss.connection(&bare).is_none());
    // Once loaded (here by a mint's first step), the broker's region: what a mint would hand.
    iss.base().await;
    match iss.connection(&bare) {
        Some(Credential::Aws { region, .. }) => {
            assert_eq!(region.as_deref(), Some(FALLBACK_REGION));
        }
        other => panic!("{other:?}"),
    }
    // Bad settings: nothing.
    let bad = grant("alice@example.com", 600, "role_arn = \"x\"");
    assert!(iss.connection(&bad).is_none());
}

#[tokio::test]
async fn an_ended_grant_or_bad_settings_mint_nothing() {
    let iss = AwsStsIssuer::with_credentials(dummy_broker_credentials());
    let ended = grant("alice@example.com", -1, &settings("", "http://127.0.0.1:9"));
    let e = iss.issue(&ended).await.expect_err("ended grant");
    assert!(e.0.contains("ended"), "{e}");
    let bad = grant(
        "alice@example.com",
        600,
        "role_arn = \"arn:aws:iam::1:role/x\"",
    );
    let e = iss.issue(&bad).await.expect_err("malformed ARN");
    assert!(
        e.0.contains("prod-aws/readonly") && e.0.contains("role_arn"),
        "{e}"
    );
}

#[tokio::test]
async fn unreachable_sts_is_an_issue_error_without_secrets() {
    // A port nothing listens on: bind one, note it, let it go.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let iss = AwsStsIssuer::with_credentials(dummy_broker_credentials());
    let g = grant(
        "alice@example.com",
        1800,
        &settings("", &format!("http://127.0.0.1:{port}")),
    );
    let started = Instant::now();
    let e = iss.issue(&g).await.expect_err("nothing listens there");
    let took = started.elapsed();
    eprintln!("unreachable STS answered in {took:?}: {e}");
    assert!(e.0.contains("could not be reached"), "{e}");
    assert!(e.0.contains(&format!("127.0.0.1:{port}")), "{e}");
    assert!(
        !e.0.contains(BROKER_SECRET) && !e.0.contains(BROKER_KEY_ID),
        "{e}"
    );
    assert!(
        took < OPERATION_TIMEOUT + Duration::from_secs(5),
        "{took:?}"
    );
}
