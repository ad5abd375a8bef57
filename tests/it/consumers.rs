//! Real consumers read what zt writes. Real here: the AWS CLI (v1, PyPI `awscli`) against
//! moto's STS server (a local AWS API, PyPI `moto[server]`), the PostgreSQL server and psql
//! (Debian), kubectl v1.34, bash and sh; zt and zt-broker are the real binaries. The dev
//! broker's issuers mint credentials in the real formats with fake values (moto checks no
//! signatures; the dev PostgreSQL issuer creates no role, so the test creates it as the
//! superuser, as a real issuer would). The Kubernetes API behind kubectl is the dev broker's
//! fake (discovery + namespaces, bearer check) — no kube-apiserver runs here.
//!
//! Each peer comes from `scripts/test.sh` (`ZT_TEST_AWS`, `ZT_TEST_MOTO`, `ZT_TEST_PG_BIN`,
//! `ZT_TEST_KUBECTL`); without it a test checks zt's side only and says what it skipped,
//! unless `ZT_TEST_REQUIRE_PEERS=1`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::common::broker::Broker;
use crate::common::moto::Moto;
use crate::common::world::{
    CatalogFile, World, demo_catalog_with, ini_sections, mode, write_private,
};
use crate::common::{Out, kubectl, peer};
use zt_testkit::pg::TestPg;

const USER_AWS_CONFIG: &str = "\
# ~/.aws/config — written by hand; zt must leave every byte of it alone
[default]
region = eu-west-1
output = json

[profile other]
# assumes a role with my own keys
role_arn = arn:aws:iam::111122223333:role/other
source_profile = default
region = eu-central-1
s3 =
    max_concurrent_requests = 20
    multipart_threshold = 64MB

[sso-session corp]
sso_start_url = https://corp.awsapps.com/start
sso_region = eu-west-1
sso_registration_scopes = sso:account:access
; last line: a comment
";

const USER_AWS_CREDENTIALS: &str = "\
# my long-lived keys (AWS's documentation examples)
[default]
aws_access_key_id = AKIAIOSFODNN7EXAMPLE
aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY

[other-account]
aws_access_key_id=AKIAI44QH8DHBEXAMPLE
aws_secret_access_key=je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY
";

const USER_PGPASS: &str = "\
# hostname:port:database:username:password
db.internal.example.com:5432:app:me:my-own-password
*:*:*:postgres:local\\:superuser-pw
# the staging replica, any database
staging-db:5432:*:me:staging-pw
";

const USER_PG_SERVICE: &str = "\
# my services
[mine]
host=db.internal.example.com
port=5432
dbname=app
user=me
";

/// A HOME logged in to `broker` whose AWS files live at non-default places (so both zt and
/// the CLI must honour `AWS_CONFIG_FILE` / `AWS_SHARED_CREDENTIALS_FILE`), seeded with the
/// user's own realistic files.
fn aws_world(broker: &Broker) -> (World, PathBuf, PathBuf) {
    let mut w = World::new();
    let config = w.path().join("aws-files/config");
    let creds = w.path().join("aws-files/credentials");
    w.set("AWS_CONFIG_FILE", &config)
        .set("AWS_SHARED_CREDENTIALS_FILE", &creds)
        // Never ask an instance-metadata endpoint: loopback only.
        .set("AWS_EC2_METADATA_DISABLED", "true");
    write_private(&config, USER_AWS_CONFIG);
    write_private(&creds, USER_AWS_CREDENTIALS);
    w.login(broker);
    (w, config, creds)
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// `aws --profile P sts get-caller-identity` against moto, with botocore's debug log (which
/// shows the signed request, hence which access key the CLI got).
fn caller_identity(w: &World, aws: &str, moto: &Moto, profile: &str, extra: &[&str]) -> Out {
    let mut args = vec!["--profile", profile];
    args.extend_from_slice(extra);
    w.run_cmd(
        aws,
        &[
            &args[..],
            &[
                "--endpoint-url",
                &moto.url,
                "--output",
                "json",
                "--debug",
                "sts",
                "get-caller-identity",
            ],
        ]
        .concat(),
    )
}

#[track_caller]
fn assert_signed_with(out: &Out, key: &str) {
    assert_eq!(
        out.code,
        0,
        "aws sts get-caller-identity failed:\n{}",
        tail(&out.stderr)
    );
    let id: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert!(id["Account"].as_str().is_some(), "{id}");
    assert!(
        id["Arn"]
            .as_str()
            .is_some_and(|a| a.starts_with("arn:aws:")),
        "{id}"
    );
    assert!(
        out.stderr.contains(&format!("Credential={key}/")),
        "the CLI did not sign with zt's key {key}:\n{}",
        tail(&out.stderr)
    );
}

/// The user's sections, in their order, and zt's once (wherever zt's editor puts it).
#[track_caller]
fn assert_sections(sections: &[String], user: &[&str], zt: &str) {
    let theirs: Vec<&str> = sections
        .iter()
        .map(String::as_str)
        .filter(|s| *s != zt)
        .collect();
    assert_eq!(theirs, user, "{sections:?}");
    assert_eq!(sections.len(), user.len() + 1, "[{zt}] once: {sections:?}");
}

fn tail(s: &str) -> String {
    let lines: Vec<&str> = s.lines().collect();
    lines[lines.len().saturating_sub(40)..].join("\n")
}

#[test]
fn aws_cli_runs_zts_credential_process_and_loses_the_profile_on_revoke() {
    let broker = Broker::start(&["--auto-login", "alice"]);
    let (w, config, creds) = aws_world(&broker);
    let (aws, moto) = (peer("ZT_TEST_AWS"), Moto::start());

    let out = w.run(&["request", "prod-aws", "--ttl", "20m", "--json"]);
    let v = out.ok().json();
    let grant = v["request"]["id"].as_str().unwrap().to_string();
    assert_eq!(v["profile"], "zt-prod-aws");

    let text = read(&config);
    let sections = ini_sections(&text).unwrap_or_else(|e| panic!("{e}:\n{text}"));
    assert_sections(
        &sections,
        &["default", "profile other", "sso-session corp"],
        "profile zt-prod-aws",
    );
    assert!(
        text.contains(&format!(
            "credential_process = {} credential aws {grant}",
            crate::common::zt_bin()
        )),
        "{text}"
    );
    assert_eq!(mode(&config), 0o600);
    assert_eq!(
        read(&creds),
        USER_AWS_CREDENTIALS,
        "credential_process mode leaves keys alone"
    );
    assert!(!text.contains("ASIA"), "no key in the config file:\n{text}");

    // What the helper prints: credential_process Version 1 with an Expiration.
    let helper = w.run(&["credential", "aws", &grant]);
    let h = helper.ok().json();
    assert_eq!(h["Version"], 1);
    let key = h["AccessKeyId"].as_str().unwrap().to_string();
    assert!(key.starts_with("ASIA"), "{h}");
    assert!(
        h["Expiration"].as_str().is_some_and(|e| e.ends_with('Z')),
        "{h}"
    );

    if let (Some(aws), Some(moto)) = (&aws, &moto) {
        // The CLI reads the profile from AWS_CONFIG_FILE, runs zt, accepts the JSON.
        let region = w.run_cmd(
            aws,
            &["configure", "get", "region", "--profile", "zt-prod-aws"],
        );
        assert_eq!(region.ok().stdout.trim(), "us-east-1");
        assert_signed_with(&caller_identity(&w, aws, moto, "zt-prod-aws", &[]), &key);
        // The user's own profiles still resolve.
        let other = w.run_cmd(aws, &["configure", "get", "role_arn", "--profile", "other"]);
        assert_eq!(
            other.ok().stdout.trim(),
            "arn:aws:iam::111122223333:role/other"
        );
    }

    w.run(&["revoke", &grant]).ok();
    assert_eq!(
        read(&config),
        USER_AWS_CONFIG,
        "byte for byte what the user had"
    );
    assert_eq!(read(&creds), USER_AWS_CREDENTIALS);
    w.run(&["credential", "aws", &grant]).code(6);
    if let (Some(aws), Some(moto)) = (&aws, &moto) {
        let gone = caller_identity(&w, aws, moto, "zt-prod-aws", &[]);
        assert_ne!(gone.code, 0, "the profile must be gone:\n{}", gone.stdout);
        assert!(
            gone.stderr.contains("could not be found"),
            "{}",
            tail(&gone.stderr)
        );
    }
}

#[test]
fn aws_cli_reads_static_keys_from_the_credentials_file() {
    let broker = Broker::start(&["--auto-login", "alice"]);
    let (w, config, creds) = aws_world(&broker);
    let (aws, moto) = (peer("ZT_TEST_AWS"), Moto::start());

    let grant = w.request(&["prod-aws", "--ttl", "20m", "--static"]);
    let env = w.env_of(&grant);
    let key = env["AWS_ACCESS_KEY_ID"].as_str().unwrap().to_string();
    let text = read(&creds);
    let sections = ini_sections(&text).unwrap_or_else(|e| panic!("{e}:\n{text}"));
    assert_sections(&sections, &["default", "other-account"], "zt-prod-aws");
    assert!(
        text.contains(&format!("aws_access_key_id = {key}")),
        "{text}"
    );
    assert!(text.contains(&format!(
        "aws_session_token = {}",
        env["AWS_SESSION_TOKEN"].as_str().unwrap()
    )));
    assert_eq!(mode(&creds), 0o600);
    // The keys go to the credentials file; the region to a profile of its own in the config
    // (the CLI wants one), with the user's config otherwise untouched.
    let cfg_now = read(&config);
    assert!(cfg_now.starts_with(USER_AWS_CONFIG.trim_end()), "{cfg_now}");
    assert!(
        cfg_now.contains("[profile zt-prod-aws]") && cfg_now.contains("region = us-east-1"),
        "{cfg_now}"
    );
    assert!(!cfg_now.contains("credential_process"), "{cfg_now}");

    if let (Some(aws), Some(moto)) = (&aws, &moto) {
        let out = caller_identity(&w, aws, moto, "zt-prod-aws", &[]);
        assert_signed_with(&out, &key);
    }

    w.run(&["revoke", &grant]).ok();
    assert_eq!(
        read(&creds),
        USER_AWS_CREDENTIALS,
        "byte for byte what the user had"
    );
    assert_eq!(read(&config), USER_AWS_CONFIG);
    if let (Some(aws), Some(moto)) = (&aws, &moto) {
        let gone = caller_identity(&w, aws, moto, "zt-prod-aws", &[]);
        assert_ne!(gone.code, 0, "the profile must be gone:\n{}", gone.stdout);
        // The user's own keys still work.
        let mine = caller_identity(&w, aws, moto, "default", &[]);
        assert_signed_with(&mine, "AKIAIOSFODNN7EXAMPLE");
    }
}

#[test]
fn psql_connects_through_zts_service_and_pgpass_lines() {
    let pg = TestPg::start();
    // With a server, prod-db points at it; without one, at a closed port.
    let (port, db) = (pg.as_ref().map_or(9, |p| p.port), "app");
    if let Some(pg) = &pg {
        pg.create_db(db);
    }
    let catalog = CatalogFile::new(&demo_catalog_with(
        r#"settings = { host = "127.0.0.1", port = 5432, dbname = "app" }"#,
        &format!(r#"settings = {{ host = "127.0.0.1", port = {port}, dbname = "{db}" }}"#),
    ));
    let broker = Broker::start(&["--auto-login", "alice", "--catalog", catalog.arg()]);
    // libpq's default files in the sealed HOME: ~/.pg_service.conf and ~/.pgpass.
    let w = World::new();
    let (service, pgpass) = (w.path().join(".pg_service.conf"), w.path().join(".pgpass"));
    write_private(&pgpass, USER_PGPASS);
    write_private(&service, USER_PG_SERVICE);
    w.login(&broker);

    let out = w.run(&["request", "prod-db", "--ttl", "20m", "--json"]);
    let v = out.ok().json();
    let grant = v["request"]["id"].as_str().unwrap().to_string();
    assert_eq!(v["service"], "zt-prod-db");
    let env = w.env_of(&grant);
    let (user, password) = (
        env["PGUSER"].as_str().unwrap().to_string(),
        env["PGPASSWORD"].as_str().unwrap().to_string(),
    );
    assert!(user.starts_with("zt_alice_"), "{user}");
    assert_eq!(env["PGPORT"], port.to_string());
    assert_eq!(env["PGDATABASE"], db);
    assert_eq!(
        mode(&pgpass),
        0o600,
        "libpq ignores a pgpass readable by others"
    );
    assert!(read(&pgpass).contains(&format!("127.0.0.1:{port}:{db}:{user}:{password}")));
    let svc = read(&service);
    assert!(
        svc.contains("[zt-prod-db]") && svc.contains(&format!("user={user}")),
        "{svc}"
    );
    assert!(!svc.contains(&password), "no password in the service file");

    if let Some(pg) = &pg {
        pg.create_login(&user, &password, db);
        // -w: never prompt, so the password can only come from ~/.pgpass.
        let psql = |conninfo: &str| {
            w.run_cmd(
                pg.psql(),
                &[
                    conninfo,
                    "-X",
                    "-w",
                    "-A",
                    "-t",
                    "-c",
                    "select current_user, current_database()",
                ],
            )
        };
        let out = psql("service=zt-prod-db");
        assert_eq!(out.ok().stdout.trim(), format!("{user}|{db}"));

        w.run(&["revoke", &grant]).ok();
        let gone = psql("service=zt-prod-db");
        assert_ne!(gone.code, 0, "{gone:#?}");
        assert!(
            gone.stderr
                .contains(r#"definition of service "zt-prod-db" not found"#),
            "{}",
            gone.stderr
        );
        // zt's pgpass line is gone too: the same connection without the service gets no
        // password from the file (the dev issuer leaves the role; a real one drops it).
        let conninfo = format!("host=127.0.0.1 port={port} dbname={db} user={user}");
        let nopw = psql(&conninfo);
        assert_ne!(nopw.code, 0, "{nopw:#?}");
        assert!(
            nopw.stderr.contains("no password supplied"),
            "{}",
            nopw.stderr
        );
    } else {
        w.run(&["revoke", &grant]).ok();
    }
    assert_eq!(
        read(&pgpass),
        USER_PGPASS,
        "byte for byte what the user had"
    );
    assert_eq!(
        read(&service),
        USER_PG_SERVICE,
        "byte for byte what the user had"
    );
    assert_eq!(mode(&pgpass), 0o600);
}

#[test]
fn zt_env_is_evaluated_by_bash_and_kubectl_uses_its_kubeconfig() {
    let broker = Broker::start(&["--auto-login", "alice"]);
    let (w, config, _) = aws_world(&broker);
    let grant = w.request(&["prod-aws", "--ttl", "20m"]);
    let want = w.env_of(&grant);
    assert!(
        want["AWS_ACCESS_KEY_ID"]
            .as_str()
            .unwrap()
            .starts_with("ASIA")
    );
    assert_eq!(want["AWS_REGION"], "us-east-1");

    // `eval "$(zt env G)"` in bash: every variable exported, byte for byte (the session token
    // is base64, with `+`, `/` and `=`); `env` shows only what was exported.
    let script = format!(
        r#"eval "$('{}' env '{grant}')" && env"#,
        crate::common::zt_bin()
    );
    let out = w.run_cmd("bash", &["-c", &script]);
    let got: BTreeMap<&str, &str> = out
        .ok()
        .stdout
        .lines()
        .filter_map(|l| l.split_once('='))
        .collect();
    for (k, v) in &want {
        assert_eq!(got.get(k.as_str()).copied(), v.as_str(), "{k} after eval");
    }
    // The other shells' syntax, checked by name only (no fish or pwsh here).
    let fish = w.run(&["env", &grant, "--shell", "fish"]);
    assert!(fish.ok().stdout.contains("set -gx AWS_ACCESS_KEY_ID 'ASIA"));
    assert_eq!(read(&config).matches("[profile zt-prod-aws]").count(), 1);

    // Kubernetes: `zt env` points KUBECONFIG at a grant-own file (exec plugin); kubectl uses it.
    let kgrant = w.request(&["prod-k8s", "--ttl", "20m"]);
    let kenv = w.env_of(&kgrant);
    let kubeconfig = kenv["KUBECONFIG"].as_str().unwrap().to_string();
    assert!(Path::new(&kubeconfig).exists());
    assert_eq!(mode(Path::new(&kubeconfig)), 0o600);
    if let Some(k) = kubectl() {
        let script = format!(
            r#"eval "$('{}' env '{kgrant}')" && '{k}' get namespaces -o name"#,
            crate::common::zt_bin()
        );
        let out = w.run_cmd("bash", &["-c", &script]);
        assert!(out.ok().stdout.contains("namespace/default"), "{out:#?}");
    }
    w.run(&["revoke", &kgrant]).ok();
    assert!(
        !Path::new(&kubeconfig).exists(),
        "the grant's kubeconfig goes with it"
    );
    w.run(&["revoke", &grant]).ok();
}

/// Every regular file under `dir` and its bytes.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            let t = e.file_type().unwrap();
            if t.is_dir() {
                stack.push(p);
            } else if t.is_file()
                && let Ok(b) = std::fs::read(&p)
            {
                out.insert(p, b);
            }
        }
    }
    out
}

fn files_containing(snap: &BTreeMap<PathBuf, Vec<u8>>, needle: &str) -> Vec<PathBuf> {
    snap.iter()
        .filter(|(_, b)| b.windows(needle.len()).any(|w| w == needle.as_bytes()))
        .map(|(p, _)| p.clone())
        .collect()
}

#[test]
fn zt_exec_gives_credentials_only_to_the_command_and_passes_its_status() {
    let broker = Broker::start(&["--auto-login", "alice"]);
    let (w, config, creds) = aws_world(&broker);
    let (aws, moto) = (peer("ZT_TEST_AWS"), Moto::start());
    let grant = w.request(&["prod-aws", "--ttl", "20m"]);
    let key = w.env_of(&grant)["AWS_SECRET_ACCESS_KEY"]
        .as_str()
        .unwrap()
        .to_string();
    let id = w.env_of(&grant)["AWS_ACCESS_KEY_ID"]
        .as_str()
        .unwrap()
        .to_string();

    let before = snapshot(w.path());
    let holders = files_containing(&before, &key);
    let out = w.run(&[
        "exec",
        &grant,
        "--",
        "sh",
        "-c",
        r#"echo "$AWS_ACCESS_KEY_ID""#,
    ]);
    assert_eq!(out.ok().stdout.trim(), id);
    let after = snapshot(w.path());
    assert_eq!(
        after.get(&config),
        before.get(&config),
        "AWS config unchanged"
    );
    assert_eq!(
        after.get(&creds),
        before.get(&creds),
        "AWS credentials unchanged"
    );
    assert_eq!(
        files_containing(&after, &key),
        holders,
        "the secret is in no new file (only zt's credential cache had it)"
    );
    let new: Vec<_> = after.keys().filter(|p| !before.contains_key(*p)).collect();
    assert!(
        new.iter()
            .all(|p| p.starts_with(w.path().join(".local/state/zt"))),
        "zt exec created files outside its state dir: {new:?}"
    );

    // The command's exit status is zt's; its stdout and stderr are the command's own.
    w.run(&["exec", &grant, "--", "sh", "-c", "exit 7"]).code(7);
    w.run(&["exec", &grant, "--", "sh", "-c", "exit 0"]).ok();
    let both = w.run(&[
        "exec",
        &grant,
        "--",
        "sh",
        "-c",
        "echo out; echo err >&2; exit 3",
    ]);
    assert_eq!((both.code, both.stdout.as_str()), (3, "out\n"));
    assert!(both.stderr.starts_with("err\n"), "{both:#?}");

    // The real CLI takes the keys from its environment.
    if let (Some(aws), Some(moto)) = (&aws, &moto) {
        let out = w.run(&[
            "exec",
            &grant,
            "--",
            aws,
            "--endpoint-url",
            &moto.url,
            "--output",
            "json",
            "--debug",
            "sts",
            "get-caller-identity",
        ]);
        assert_signed_with(&out, &id);
    }
    w.run(&["revoke", &grant]).ok();
}

#[test]
fn zt_exec_on_a_resource_without_a_live_grant_requests_one() {
    let broker = Broker::start(&["--auto-login", "alice"]);
    let (w, config, creds) = aws_world(&broker);
    let st = w.run(&["status", "--json"]);
    assert_eq!(st.ok().json(), serde_json::json!([]), "no grant yet");

    let out = w.run(&[
        "exec",
        "prod-aws",
        "--ttl",
        "5m",
        "--reason",
        "one-off",
        "--",
        "sh",
        "-c",
        r#"printf '%s %s' "$AWS_ACCESS_KEY_ID" "$AWS_REGION""#,
    ]);
    let printed = out.ok().stdout.clone();
    let (id, region) = printed.split_once(' ').unwrap();
    assert!(id.starts_with("ASIA"), "{out:#?}");
    assert_eq!(region, "us-east-1");

    let st = w.run(&["status", "--json"]);
    let rows = st.ok().json();
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["resource"], "prod-aws");
    assert_eq!(rows[0]["state"], "active");
    let secs = rows[0]["seconds_left"].as_i64().unwrap();
    assert!((240..=300).contains(&secs), "--ttl 5m: {secs}s left");
    assert_eq!(read(&config), USER_AWS_CONFIG, "exec writes no profile");
    assert_eq!(read(&creds), USER_AWS_CREDENTIALS);

    // A second run reuses that grant instead of asking again.
    let again = w.run(&[
        "exec",
        "prod-aws",
        "--",
        "sh",
        "-c",
        r#"printf %s "$AWS_ACCESS_KEY_ID""#,
    ]);
    assert_eq!(again.ok().stdout, id);
    assert_eq!(
        w.run(&["status", "--json"])
            .ok()
            .json()
            .as_array()
            .unwrap()
            .len(),
        1
    );
}
