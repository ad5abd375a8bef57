//! The broker's REAL credential issuers, end to end through the `zt` client. Real here: zt and
//! zt-broker (`zt-broker dev --catalog FILE` with `settings.issuer` set, so the aws-sts,
//! postgres and kubernetes issuers mint, not the dev ones), the AWS CLI against moto's STS
//! server (a local AWS API, PyPI `moto[server]`: it runs AssumeRole but checks no signatures),
//! the PostgreSQL server and psql (Debian), and kubectl v1.34. FAKE: the Kubernetes API server —
//! the Kubernetes issuer's fake (`zt_testkit::kube`); no kube-apiserver runs here.
//!
//! Each peer comes from `scripts/test.sh`; without it a test skips with a message, unless
//! `ZT_TEST_REQUIRE_PEERS=1`. Everything listens on 127.0.0.1 only.
//!
//! The AWS issuer also with a first-use role: the CLI's first `credential_process` call starts
//! the grant.
//!
//! Not covered end to end: a requester whose name carries quotes or semicolons. The dev IdP's
//! users are fixed (`DevIdp::demo_users`: alice, bob, …), so no test can choose the name; the
//! issuers' own tests cover it (zt-broker's `src/issuers/*` unit tests and
//! `crates/zt-broker/tests/broker/issuers/`).

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use crate::common::broker::Broker;
use crate::common::moto::Moto;
use crate::common::world::{CatalogFile, World, demo_catalog_with};
use crate::common::{Out, eventually, peer};
use zt_testkit::pg::{TestPg, ident, literal};

fn tail(s: &str) -> String {
    let lines: Vec<&str> = s.lines().collect();
    lines[lines.len().saturating_sub(40)..].join("\n")
}

/// `zt request RESOURCE --json` that must succeed: the grant id and the requester the broker
/// recorded.
#[track_caller]
fn request(w: &World, resource: &str) -> (String, String) {
    let out = w.run(&["request", resource, "--ttl", "20m", "--json"]);
    let v = out.ok().json();
    let id = v["request"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{out:#?}"));
    let who = v["request"]["requester"]
        .as_str()
        .unwrap_or_else(|| panic!("no requester: {out:#?}"));
    (id.to_string(), who.to_string())
}

// ---- AWS STS: the real issuer against moto, the real AWS CLI ----

/// The demo catalog with prod-aws on the aws-sts issuer, at moto's STS in `region`.
fn sts_catalog(moto: &Moto, region: &str) -> String {
    demo_catalog_with(
        r#"settings = { region = "us-east-1", account_id = "123456789012" }"#,
        &format!(
            r#"settings = {{ issuer = "aws-sts", region = "{region}", endpoint_url = "{}" }}"#,
            moto.url
        ),
    )
}

/// A dev broker with `catalog` where alice logs in by herself, with the broker's own AWS
/// credentials from the standard chain's environment step: moto checks no signature, and
/// nothing may look for an instance role.
fn sts_broker(catalog: &CatalogFile) -> Broker {
    Broker::start_with_env(
        &["--auto-login", "alice", "--catalog", catalog.arg()],
        &[
            ("AWS_ACCESS_KEY_ID", "AKIAZTBROKERTESTKEY1"),
            (
                "AWS_SECRET_ACCESS_KEY",
                "zt-broker-test-secret-not-a-real-key",
            ),
            ("AWS_EC2_METADATA_DISABLED", "true"),
        ],
    )
}

#[test]
fn aws_sts_issuer_assumes_the_role_the_cli_signs_with_and_revoke_removes_the_profile() {
    let (Some(aws), Some(moto)) = (peer("ZT_TEST_AWS"), Moto::start()) else {
        return;
    };
    let arn = "arn:aws:iam::123456789012:role/zt-readonly";
    let catalog = CatalogFile::new(&sts_catalog(&moto, "us-east-1"));
    let broker = sts_broker(&catalog);
    let w = World::with_aws_files();
    let config = w.aws_config();
    w.login(&broker);

    let (grant, requester) = request(&w, "prod-aws");
    let text = std::fs::read_to_string(&config).unwrap();
    assert!(
        text.contains("[profile zt-prod-aws]")
            && text.contains(&format!(
                "credential_process = {} credential aws {grant}",
                crate::common::zt_bin()
            )),
        "{text}"
    );
    let helper = w.run(&["credential", "aws", &grant]);
    let key = helper.ok().json()["AccessKeyId"]
        .as_str()
        .unwrap()
        .to_string();

    // The CLI runs zt's credential_process and signs with what AssumeRole returned; moto
    // knows the key as that role session's, so the caller is the assumed role, named after
    // the requester.
    let who = w.run_cmd(
        &aws,
        &[
            "--profile",
            "zt-prod-aws",
            "--endpoint-url",
            &moto.url,
            "--output",
            "json",
            "--debug",
            "sts",
            "get-caller-identity",
        ],
    );
    assert_eq!(
        who.code,
        0,
        "aws sts get-caller-identity:\n{}",
        tail(&who.stderr)
    );
    assert!(
        who.stderr.contains(&format!("Credential={key}/")),
        "the CLI did not sign with zt's key {key}:\n{}",
        tail(&who.stderr)
    );
    let id: serde_json::Value = serde_json::from_str(&who.stdout).unwrap();
    let session = zt_broker::issuers::aws::session_name(&requester);
    assert_eq!(
        id["Arn"],
        format!("arn:aws:sts::123456789012:assumed-role/zt-readonly/{session}"),
        "{id} (role {arn}, requester {requester:?})"
    );
    assert_eq!(id["Account"], "123456789012", "{id}");

    w.run(&["revoke", &grant]).ok();
    let text = std::fs::read_to_string(&config).unwrap_or_default();
    assert!(
        !text.contains("zt-prod-aws"),
        "the profile must be gone:\n{text}"
    );
    w.run(&["credential", "aws", &grant]).code(6);
    let gone = w.run_cmd(
        &aws,
        &[
            "--profile",
            "zt-prod-aws",
            "--endpoint-url",
            &moto.url,
            "sts",
            "get-caller-identity",
        ],
    );
    assert_ne!(gone.code, 0, "{gone:#?}");
    assert!(
        gone.stderr.contains("could not be found"),
        "{}",
        tail(&gone.stderr)
    );
}

/// A first-use role (`activation = "first_use"`) on the real issuer: `zt request` writes the
/// profile (its region from the role's settings) without an `AssumeRole`; the AWS CLI's first
/// `credential_process` call claims the grant, and its TTL runs from then.
#[test]
fn aws_sts_first_use_grant_starts_at_the_clis_first_call() {
    let (Some(aws), Some(moto)) = (peer("ZT_TEST_AWS"), Moto::start()) else {
        return;
    };
    let role = "name = \"readonly\"\nauto_approve_groups = [\"engineering\"]\n";
    let text = sts_catalog(&moto, "eu-west-1");
    assert!(text.contains(role));
    let catalog =
        CatalogFile::new(&text.replacen(role, &format!("{role}activation = \"first_use\"\n"), 1));
    let broker = sts_broker(&catalog);
    let w = World::with_aws_files();
    w.login(&broker);

    let v = w
        .run(&["request", "prod-aws", "--ttl", "20m", "--json"])
        .ok()
        .json();
    let grant = v["request"]["id"].as_str().unwrap().to_string();
    assert_eq!(v["request"]["activation"], "first_use", "{v}");
    let s = w.status_of(&grant);
    assert_eq!(s["state"], "approved", "waiting for its first use: {s}");
    assert!(s["claim_by"].is_string(), "{s}");
    let text = std::fs::read_to_string(w.aws_config()).unwrap();
    assert!(
        text.contains("[profile zt-prod-aws]") && text.contains("region = eu-west-1"),
        "{text}"
    );

    let first = zt_api::Timestamp::now();
    let who = moto.caller_identity(&aws, &w, "zt-prod-aws");
    assert_eq!(who.code, 0, "{}", tail(&who.stderr));
    assert!(
        who.stdout.contains("assumed-role/zt-readonly/"),
        "{}",
        who.stdout
    );
    let s = w.status_of(&grant);
    assert_eq!(s["state"], "active", "{s}");
    assert!(s.get("claim_by").is_none(), "{s}");
    let end = zt_api::Timestamp::parse_rfc3339(s["expires_at"].as_str().unwrap()).unwrap();
    assert!(
        end.0 >= first.0 + 1200,
        "the TTL runs from the first call: {end}"
    );
    w.run(&["revoke", &grant]).ok();
}

// ---- PostgreSQL: the real issuer, server and psql ----

/// Lines of a child's stdout, read on a thread so every wait is bounded.
fn line_reader(child: &mut Child) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    let out = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

#[test]
fn postgres_issuer_creates_a_login_role_psql_uses_and_revoke_drops_it_and_its_sessions() {
    let Some(pg) = TestPg::start() else { return };
    let db = "app";
    pg.create_db(db);
    // The broker's admin: CREATEROLE, with ADMIN OPTION on the group it hands out (PostgreSQL
    // 16+ asks for it), not a superuser. The group may read one table.
    let admin_pw = "zt-admin-test-pw";
    pg.sql(&format!(
        "CREATE ROLE zt_admin LOGIN CREATEROLE PASSWORD {}; \
         CREATE ROLE app_readonly NOLOGIN; \
         CREATE ROLE app_readwrite NOLOGIN; \
         GRANT app_readonly, app_readwrite TO zt_admin WITH ADMIN OPTION; \
         GRANT CONNECT ON DATABASE {} TO app_readonly",
        literal(admin_pw),
        ident(db)
    ));
    pg.sql_in(
        db,
        "CREATE TABLE orders (id int, item text); \
         INSERT INTO orders VALUES (1, 'apples'), (2, 'pears'); \
         GRANT SELECT ON orders TO app_readonly",
    );
    let admin_url = format!("postgres://zt_admin:{admin_pw}@127.0.0.1:{}/{db}", pg.port);
    let catalog = CatalogFile::new(&demo_catalog_with(
        r#"settings = { host = "127.0.0.1", port = 5432, dbname = "app" }"#,
        &format!(
            r#"settings = {{ issuer = "postgres", admin_url_env = "ZT_TEST_PG_ADMIN_URL", host = "127.0.0.1", port = {}, dbname = "{db}" }}"#,
            pg.port
        ),
    ));
    let broker = Broker::start_with_env(
        &["--auto-login", "alice", "--catalog", catalog.arg()],
        &[("ZT_TEST_PG_ADMIN_URL", &admin_url)],
    );
    let w = World::new();
    w.login(&broker);
    assert_eq!(
        pg.sql(
            "SELECT count(*) FROM pg_roles WHERE rolname LIKE 'zt\\_%' AND rolname <> 'zt_admin'"
        ),
        "0",
        "no login role before the request"
    );

    let (grant, _) = request(&w, "prod-db");
    let env = w.env_of(&grant);
    let user = env["PGUSER"].as_str().unwrap().to_string();
    assert!(user.starts_with("zt_alice_"), "{user}");
    // The issuer made it (the test created none): a login role, tied to the grant, in the group.
    assert_eq!(
        pg.sql(&format!(
            "SELECT rolcanlogin, rolsuper, rolcreaterole, shobj_description(oid, 'pg_authid'), \
             pg_has_role(oid, 'app_readonly', 'MEMBER') FROM pg_roles WHERE rolname = {}",
            literal(&user)
        )),
        format!("t|f|f|zt-grant:{grant}|t")
    );

    let psql = |args: &[&str]| {
        let mut a = vec!["service=zt-prod-db", "-X", "-w", "-A", "-t"];
        a.extend_from_slice(args);
        w.run_cmd(pg.psql(), &a)
    };
    let out = psql(&["-c", "select current_user, current_database()"]);
    assert_eq!(out.ok().stdout.trim(), format!("{user}|{db}"));
    let out = psql(&["-c", "select item from orders order by id"]);
    assert_eq!(
        out.ok().stdout.trim(),
        "apples\npears",
        "the group's privilege"
    );

    // A session left open across the revoke.
    let mut open = w
        .cmd(pg.psql())
        .args(["service=zt-prod-db", "-X", "-w", "-A", "-t"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let lines = line_reader(&mut open);
    let mut stdin = open.stdin.take().unwrap();
    writeln!(stdin, "select 'open-' || pg_backend_pid();").unwrap();
    // psql may hold its output while stdout is a pipe: find the session at the server.
    let mut pid = String::new();
    let seen = eventually(Duration::from_secs(20), || {
        pid = pg.sql(&format!(
            "SELECT pid FROM pg_stat_activity WHERE usename = {}",
            literal(&user)
        ));
        !pid.is_empty()
    });
    assert!(seen.is_some(), "the open psql session never showed up");
    w.run(&["revoke", &grant]).ok();

    assert_eq!(
        pg.sql(&format!(
            "SELECT count(*) FROM pg_roles WHERE rolname = {}",
            literal(&user)
        )),
        "0",
        "the login role is dropped"
    );
    assert_eq!(
        pg.sql(&format!(
            "SELECT count(*) FROM pg_stat_activity WHERE pid = {pid}"
        )),
        "0",
        "the open session was terminated"
    );
    // The open psql finds its connection gone at its next statement.
    let _ = writeln!(stdin, "select 'still-' || current_user;");
    drop(stdin);
    let exited = eventually(Duration::from_secs(20), || {
        matches!(open.try_wait(), Ok(Some(_)))
    });
    if exited.is_none() {
        let _ = open.kill();
    }
    let status = open.wait().unwrap();
    let rest: Vec<String> =
        std::iter::from_fn(|| lines.recv_timeout(Duration::from_secs(5)).ok()).collect();
    let mut err = String::new();
    std::io::Read::read_to_string(open.stderr.as_mut().unwrap(), &mut err).unwrap();
    assert!(exited.is_some(), "the open psql did not end");
    assert_eq!(
        rest.first(),
        Some(&format!("open-{pid}")),
        "{rest:?}\n{err}"
    );
    assert!(
        !rest.iter().any(|l| l.starts_with("still-")),
        "the old session ran a statement after the revoke: {rest:?}"
    );
    assert!(!status.success(), "{status:?}\n{err}");
    assert!(
        err.contains("terminating connection") || err.contains("connection to server"),
        "{err}"
    );

    // A new session: zt's service entry is gone, and the role itself too.
    let gone = psql(&["-c", "select 1"]);
    assert_ne!(gone.code, 0, "{gone:#?}");
    let conninfo = format!(
        "host=127.0.0.1 port={} dbname={db} user={user} password={}",
        pg.port,
        env["PGPASSWORD"].as_str().unwrap()
    );
    let direct = w.run_cmd(pg.psql(), &[&conninfo, "-X", "-w", "-c", "select 1"]);
    assert_ne!(direct.code, 0, "{direct:#?}");
    assert!(
        direct.stderr.contains("password authentication failed"),
        "the old password opens nothing: {}",
        direct.stderr
    );
    // Revoking again is harmless.
    w.run(&["revoke", &grant]);
    assert_eq!(
        pg.sql("SELECT count(*) FROM pg_roles WHERE rolname LIKE 'zt\\_alice\\_%'"),
        "0"
    );
}

// ---- Kubernetes: the real issuer and kubectl against the issuer's FAKE API server ----

#[test]
fn kubernetes_issuer_mints_a_service_account_token_kubectl_uses_and_revoke_kills_it() {
    use zt_testkit::kube::FakeApi;

    let Some(kubectl) = crate::common::kubectl() else {
        return;
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    // The fake serves on the runtime's worker while the test drives processes.
    let fake = rt.block_on(FakeApi::start());
    let dir = tempfile::Builder::new()
        .prefix("zt-k8s-fake-")
        .tempdir()
        .unwrap();
    let broker_kubeconfig = dir.path().join("broker-kubeconfig");
    fake.write_kubeconfig(&broker_kubeconfig, &fake.broker_token, false);
    let ca_file = dir.path().join("ca.pem");
    std::fs::write(&ca_file, &fake.ca_pem).unwrap();
    use base64::Engine;
    let ca = base64::engine::general_purpose::STANDARD.encode(&fake.ca_pem);

    let catalog = CatalogFile::new(
        &demo_catalog_with(
            r#"settings = { namespace = "default" }"#,
            &format!(
                r#"settings = {{ issuer = "kubernetes", server = "{}", certificate_authority_data = "{ca}", namespace = "zt-grants", kubeconfig = "{}", context = "fake" }}"#,
                fake.server,
                broker_kubeconfig.display()
            ),
        )
        // Listing namespaces takes a cluster-wide binding.
        .replace(
            r#"settings = { cluster_role = "view" }"#,
            r#"settings = { cluster_role = "view", scope = "cluster" }"#,
        ),
    );
    let broker = Broker::start(&["--auto-login", "alice", "--catalog", catalog.arg()]);
    let w = World::new();
    w.login(&broker);

    let (grant, requester) = request(&w, "prod-k8s");
    let name = zt_broker::issuers::kubernetes::object_name(&requester, &grant);
    {
        let world = fake.world();
        assert!(
            world
                .service_accounts
                .contains_key(&("zt-grants".to_string(), name.clone())),
            "no ServiceAccount {name}: {:?}",
            world.writes()
        );
        assert!(
            world.cluster_role_bindings.contains_key(&name),
            "no ClusterRoleBinding {name}: {:?}",
            world.writes()
        );
    }

    // kubectl runs zt's exec plugin (the user zt wrote for the context) and lists namespaces.
    let kc = |args: &[&str]| {
        let mut a = vec!["--request-timeout=20s"];
        a.extend_from_slice(args);
        w.run_cmd(&kubectl, &a)
    };
    let out = kc(&[
        "--context",
        "zt-prod-k8s",
        "get",
        "namespaces",
        "-o",
        "name",
    ]);
    assert!(out.ok().stdout.contains("namespace/zt-grants"), "{out:#?}");
    let last_sa_call = fake
        .world()
        .calls
        .iter()
        .rev()
        .find(|c| c.path.starts_with("/api/v1/namespaces"))
        .map(|c| c.who.clone());
    assert_eq!(
        last_sa_call.as_deref(),
        Some(format!("system:serviceaccount:zt-grants:{name}").as_str()),
        "kubectl called as the grant's ServiceAccount"
    );

    // The token itself, to call without zt's cache once the grant is gone.
    let cred = w.run(&["credential", "kube", &grant]);
    let token = cred.ok().json()["status"]["token"]
        .as_str()
        .unwrap()
        .to_string();
    let ca_arg = format!("--certificate-authority={}", ca_file.display());
    let with_token = |token: &str| {
        let kubeconfig = dir.path().join("empty-kubeconfig");
        std::fs::write(&kubeconfig, "apiVersion: v1\nkind: Config\n").unwrap();
        let mut c = w.cmd(&kubectl);
        c.env("KUBECONFIG", &kubeconfig).args([
            "--request-timeout=20s",
            "--server",
            &fake.server,
            &ca_arg,
            "--token",
            token,
            "get",
            "namespaces",
            "-o",
            "name",
        ]);
        Out::from(c.output().unwrap())
    };
    with_token(&token).ok();

    w.run(&["revoke", &grant]).ok();
    {
        let world = fake.world();
        assert!(
            world.service_accounts.is_empty(),
            "the ServiceAccount is deleted: {:?}",
            world.service_accounts.keys()
        );
        assert!(
            world.cluster_role_bindings.is_empty() && world.role_bindings.is_empty(),
            "the binding is deleted"
        );
    }
    let gone = with_token(&token);
    assert_ne!(gone.code, 0, "{gone:#?}");
    assert!(gone.stderr.contains("Unauthorized"), "{}", gone.stderr);
    // And zt's context went with the grant.
    let ctx = kc(&["--context", "zt-prod-k8s", "get", "namespaces"]);
    assert_ne!(ctx.code, 0, "{ctx:#?}");
    assert!(
        !std::path::Path::new(&w.path().join(".kube/config")).exists() || {
            let text = std::fs::read_to_string(w.path().join(".kube/config")).unwrap();
            !text.contains("zt-prod-k8s")
        }
    );
    drop(broker);
    drop(fake);
}
