//! The AWS STS issuer against moto, a local STS started here (`ZT_TEST_MOTO`, or
//! `moto_server` on PATH; skipped without one unless `ZT_TEST_REQUIRE_PEERS=1`): sessions named
//! after the requester and capped at the grant, short grants, and the credential endpoint
//! through the lifecycle. moto checks neither signatures, nor that the role exists, nor the
//! role's maximum duration: what it proves is the wire format, the parameters sent and
//! answered, and that the minted keys are an assumed-role session (GetCallerIdentity with them
//! names the role and the session). (The pure parts are unit tests in `src/issuers/aws/`.)

use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use aws_sdk_sts::config::{BehaviorVersion, Credentials, Region, SharedCredentialsProvider};

use zt_api::{Credential, ResourceKind, Timestamp};
use zt_broker::catalog::Catalog;
use zt_broker::issuers::aws::AwsStsIssuer;
use zt_broker::issuers::{Grant, Issuer, Issuers};

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

/// A moto STS server on a free loopback port, killed on drop.
struct Moto {
    child: Child,
    url: String,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn moto_binary() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("ZT_TEST_MOTO").filter(|p| !p.is_empty()) {
        return Some(p.into());
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join("moto_server"))
        .find(|p| p.is_file())
}

/// Start moto, or `None` (with a message) when it is not installed — a failure instead under
/// `ZT_TEST_REQUIRE_PEERS=1`, the project's test command.
// A test helper, outside `#[test]`: it says why a test skips (clippy print_stderr).
#[allow(clippy::print_stderr)]
fn start_moto() -> Option<Moto> {
    let Some(bin) = moto_binary() else {
        assert!(
            std::env::var("ZT_TEST_REQUIRE_PEERS").as_deref() != Ok("1"),
            "no moto_server (ZT_TEST_MOTO unset, none on PATH) but ZT_TEST_REQUIRE_PEERS=1: \
             run the README's test command"
        );
        eprintln!("skipping: no moto_server (set ZT_TEST_MOTO or put it on PATH)");
        return None;
    };
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let mut cmd = Command::new(&bin);
    cmd.args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    // moto needs no credentials; make sure none of the developer's leak into it.
    for var in [
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
    ] {
        cmd.env_remove(var);
    }
    let mut child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", bin.display()));
    // Python imports moto's backends before listening: seconds on a loaded machine.
    let started = Instant::now();
    loop {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            break;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("moto_server exited before listening: {status}");
        }
        if started.elapsed() > Duration::from_secs(90) {
            let _ = child.kill();
            panic!("moto_server did not listen on 127.0.0.1:{port} within 90 s");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    eprintln!("moto_server listening after {:?}", started.elapsed());
    Some(Moto {
        child,
        url: format!("http://127.0.0.1:{port}"),
    })
}

/// `GetCallerIdentity` signed with the minted keys: which principal they are.
async fn caller_arn(endpoint: &str, cred: &Credential) -> String {
    let Credential::Aws {
        access_key_id,
        secret_access_key,
        session_token,
        ..
    } = cred
    else {
        panic!("not an AWS credential")
    };
    let conf = aws_sdk_sts::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("eu-west-1"))
        .endpoint_url(endpoint)
        .credentials_provider(Credentials::new(
            access_key_id.clone(),
            secret_access_key.clone(),
            Some(session_token.clone()),
            None,
            "minted",
        ))
        .build();
    let who = aws_sdk_sts::Client::from_conf(conf)
        .get_caller_identity()
        .send()
        .await
        .expect("GetCallerIdentity with the minted keys");
    who.arn().expect("caller ARN").to_string()
}

#[tokio::test]
async fn assume_role_against_moto_names_the_requester_and_caps_at_the_grant() {
    let Some(moto) = start_moto() else { return };
    let iss = AwsStsIssuer::with_credentials(dummy_broker_credentials());
    let policy = r#"session_policy = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}'"#;

    // A 2 h grant on a role whose max is 1 h: STS is asked for 3600 s, and the credential
    // expires with the session (before the grant), so the broker re-mints after it.
    let g = grant("alice@example.com", 7200, &settings(policy, &moto.url));
    let now = Timestamp::now();
    let t0 = Instant::now();
    let m = iss.mint(&g, now).await.expect("AssumeRole at moto");
    eprintln!(
        "first AssumeRole (config load + connect): {:?}",
        t0.elapsed()
    );
    assert_eq!(m.duration_secs, 3600);
    assert!(
        (m.sts_expires_at.0 - (now.0 + 3600)).abs() <= 5,
        "STS expiry {} vs now+3600 {}",
        m.sts_expires_at,
        now.0 + 3600
    );
    let Credential::Aws {
        access_key_id,
        expires_at,
        region,
        secret_access_key,
        session_token,
    } = &m.credential
    else {
        panic!("not an AWS credential")
    };
    assert!(access_key_id.starts_with("ASIA"), "{access_key_id}");
    assert!(!secret_access_key.is_empty() && !session_token.is_empty());
    assert_eq!(*expires_at, m.sts_expires_at);
    assert!(*expires_at <= g.expires_at);
    assert_eq!(region.as_deref(), Some("eu-west-1"));
    assert_eq!(
        m.assumed_role_arn.as_deref(),
        Some("arn:aws:sts::123456789012:assumed-role/zt-readonly/alice@example.com")
    );
    assert_eq!(
        caller_arn(&moto.url, &m.credential).await,
        "arn:aws:sts::123456789012:assumed-role/zt-readonly/alice@example.com"
    );

    // A 40 min grant under a 12 h role max: the session lasts exactly the grant.
    let g = grant(
        "bob o'neil; drop",
        2400,
        &settings("max_session_secs = 43200\nsession_tags = false", &moto.url),
    );
    let now = Timestamp::now();
    let t1 = Instant::now();
    let m = iss.issue(&g).await.expect("AssumeRole at moto");
    eprintln!("second AssumeRole (cached client): {:?}", t1.elapsed());
    assert!((m.expires_at().0 - (now.0 + 2400)).abs() <= 5);
    assert!(m.expires_at() <= g.expires_at);
    assert_eq!(
        caller_arn(&moto.url, &m).await,
        "arn:aws:sts::123456789012:assumed-role/zt-readonly/bob_o_neil__drop"
    );
}

#[tokio::test]
async fn a_short_grant_gets_900_s_at_sts_but_ends_with_the_grant() {
    let Some(moto) = start_moto() else { return };
    let iss = AwsStsIssuer::with_credentials(dummy_broker_credentials());
    let g = grant(&"ü".repeat(200), 300, &settings("", &moto.url));
    let now = Timestamp::now();
    let m = iss.mint(&g, now).await.expect("AssumeRole at moto");
    assert_eq!(m.duration_secs, 900);
    assert!(
        (m.sts_expires_at.0 - (now.0 + 900)).abs() <= 5,
        "STS expiry {} vs now+900",
        m.sts_expires_at
    );
    // The handed-out credential stops at the grant's end, 10 minutes before the session.
    assert_eq!(m.credential.expires_at(), g.expires_at);
    assert!(m.sts_expires_at > g.expires_at);
    assert_eq!(
        caller_arn(&moto.url, &m.credential).await,
        format!(
            "arn:aws:sts::123456789012:assumed-role/zt-readonly/{}",
            "_".repeat(64)
        )
    );
}

/// The issuer wired as `zt-broker` wires it (selected by `settings.issuer` in a catalog),
/// driven through the lifecycle's credential endpoint logic: mint, store, answer again from
/// the store, and refuse once the grant is revoked (STS has nothing to delete).
#[tokio::test]
async fn through_the_lifecycle_the_credential_endpoint_mints_then_refuses_after_revoke() {
    use zt_api::{self as api, ClientContext, Decision, Outcome, State};
    use zt_broker::auth::Verifier;
    use zt_broker::dev::demo::DemoPolicy;
    use zt_broker::domain::lifecycle;
    use zt_broker::state::Broker;
    use zt_broker::store::{AuditEntry, Record, Store};

    let Some(moto) = start_moto() else { return };
    let catalog = Catalog::parse(&format!(
        "[[resource]]\nname = \"prod-aws\"\nkind = \"aws\"\ndefault_role = \"readonly\"\n\
         max_ttl = \"4h\"\nrequester_groups = [\"engineering\"]\n\
         settings = {{ issuer = \"aws-sts\", region = \"eu-west-1\", endpoint_url = \"{}\" }}\n\
         [[resource.role]]\nname = \"readonly\"\nsettings = {{ role_arn = \"{ROLE_ARN}\" }}\n",
        moto.url
    ))
    .expect("catalog");
    let mut issuers = Issuers::default();
    AwsStsIssuer::with_credentials(dummy_broker_credentials())
        .install(&mut issuers, &catalog)
        .expect("install");
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(&dir.path().join("db")).await.expect("store");
    let b = Broker::new(
        store,
        catalog,
        Box::new(DemoPolicy),
        issuers,
        Verifier::new(vec![], reqwest::Client::new()),
        api::Discovery {
            issuer: "http://idp".into(),
            client_id: "c".into(),
            scopes: vec![],
            audience: "a".into(),
            broker_version: "0".into(),
        },
    );
    let now = Timestamp::now();
    let rec = Record {
        request: api::Request {
            id: "g-aws".into(),
            requester: "alice@example.com".into(),
            resource: "prod-aws".into(),
            kind: ResourceKind::Aws,
            role: "readonly".into(),
            ttl_secs: 1200,
            reason: Some("INC-4211".into()),
            ticket: Some("INC-4211".into()),
            break_glass: false,
            state: State::Approved,
            decision: Decision {
                outcome: Outcome::Grant,
                policy_ids: vec![],
                reason: String::new(),
                approver_groups: vec![],
                approvals_required: 0,
                approval_assurance: None,
            },
            decided_by: None,
            decision_comment: None,
            approvals: vec![],
            created_at: now,
            not_before: Some(now),
            expires_at: Some(now.add_secs(1200)),
            review_url: None,
            bundle_id: None,
            start_at: None,
            activation: None,
            claim_by: None,
        },
        requester_issuer: "http://idp".into(),
        requester_sub: "alice".into(),
        idempotency_key: "g-aws".into(),
        body_sha256: String::new(),
        context: ClientContext::default(),
        comment: None,
        approvals: vec![],
        claim_secs: None,
    };
    b.store
        .insert_request(&rec, AuditEntry::new("t", "create", Some("g-aws")))
        .await
        .expect("insert");

    let first = lifecycle::credential(&b, "g-aws", "alice@example.com")
        .await
        .expect("minted through the lifecycle");
    let Credential::Aws { access_key_id, .. } = &first else {
        panic!("not an AWS credential")
    };
    assert!(access_key_id.starts_with("ASIA"));
    assert_eq!(first.expires_at(), now.add_secs(1200));
    assert!(
        caller_arn(&moto.url, &first)
            .await
            .ends_with("/zt-readonly/alice@example.com")
    );
    let again = lifecycle::credential(&b, "g-aws", "alice@example.com")
        .await
        .expect("the stored credential");
    assert_eq!(
        again, first,
        "a live stored credential is answered, not re-minted"
    );

    let live = b.store.get("g-aws").await.expect("record");
    let (_, revoked) =
        lifecycle::end_grant(&b, &live, State::Revoked, "root@example.com", "test".into())
            .await
            .expect("revoke");
    assert!(
        revoked,
        "nothing to delete at STS: the revoke is done at once"
    );
    let e = zt_broker::problem::ApiError::from(
        lifecycle::credential(&b, "g-aws", "alice@example.com")
            .await
            .expect_err("refused after the revoke"),
    );
    assert_eq!(e.slug, zt_api::problem::GRANT_NOT_LIVE, "{e:?}");
}
