//! Issue 16's requests through the real binaries with the broker's store on a real PostgreSQL
//! (Debian's server, one per test): `zt` — login, request, approve, status and the helpers the
//! AWS CLI calls — against `zt-broker serve` whose `[store]` is PostgreSQL. The other e2e
//! modules run the same flows against `zt-broker dev` (SQLite); `replicas.rs` runs them through
//! the API on two replicas.
//! - A bundle (prod-k8s/view granted at once, prod-aws/admin waiting) approved once by bob with
//!   `zt approve`: alice's waiting `zt request` writes both; the rows share the bundle id.
//! - A scheduled grant refused before its start (exit 5) and written by the first zt run after
//!   it; a first-use grant the real AWS CLI's `credential_process` call starts (moto's STS).
//! - Step-up against the real `oidc-provider` with two ACR levels: a password sign-in is
//!   refused (exit 4, audited in PostgreSQL), a sign-in with MFA is granted.
//!
//! People sign in at a `zt-broker dev`'s OpenID provider (its verification page) or at the
//! `oidc-provider`. The credentials come from the development issuers (real formats, nothing
//! behind them): what is under test is zt and the broker on PostgreSQL, not an issuer.

use std::io::BufReader;
use std::process::Stdio;
use std::time::Duration;

use crate::common::Home;
use crate::common::broker::Broker;
use crate::common::moto::{Moto, aws_cli_or_helper};
use crate::common::oidc::{AUDIENCE, Provider, start_login};
use crate::common::procs::run_for;
use crate::common::serve::{PgStore, Replica};
use crate::common::world::{World, kubeconfig_contexts};

const CATALOG: &str = r#"
[[catalog.resource]]
name = "prod-k8s"
kind = "kubernetes"
default_role = "view"
max_ttl = "1h"
requester_groups = ["engineering"]
settings = { issuer = "dev", server = "https://127.0.0.1:1", namespace = "default" }

[[catalog.resource.role]]
name = "view"
auto_approve_groups = ["engineering"]

[[catalog.resource]]
name = "prod-aws"
kind = "aws"
default_role = "readonly"
max_ttl = "1h"
requester_groups = ["engineering"]
settings = { issuer = "dev", region = "us-east-1", account_id = "123456789012" }

[[catalog.resource.role]]
name = "readonly"
auto_approve_groups = ["engineering"]
activation = "first_use"
settings = { role_arn = "arn:aws:iam::123456789012:role/zt-readonly" }

[[catalog.resource.role]]
name = "admin"
approver_groups = ["sre-leads"]
settings = { role_arn = "arn:aws:iam::123456789012:role/zt-admin" }
"#;

/// `zt-broker serve` on PostgreSQL with [`CATALOG`], `login` (its `[login]` and
/// `[[trusted_issuer]]`) and `extra` sections; `None` when PostgreSQL is not installed.
fn serve(home: &Home, login: &str, extra: &str) -> Option<(PgStore, Replica)> {
    let pg = PgStore::start(home)?;
    let config = home.path().join("broker.toml");
    std::fs::write(
        &config,
        format!(
            "[server]\nlisten = \"127.0.0.1:0\"\n\n{}\n{login}\n{extra}\n{CATALOG}",
            pg.toml()
        ),
    )
    .unwrap();
    let replica = Replica::start(home, &config, &pg.env());
    Some((pg, replica))
}

fn contexts(w: &World) -> Vec<String> {
    let text = std::fs::read_to_string(w.home.kubeconfig()).unwrap_or_default();
    kubeconfig_contexts(&text).unwrap_or_default()
}

#[test]
fn a_bundle_is_approved_once_with_zt_approve_and_both_grants_are_written() {
    let idp = Broker::start(&[]);
    let login = crate::common::serve::Login::discover(&idp.url).toml();
    let home = Home::new();
    let Some((pg, broker)) = serve(&home, &login, "") else {
        return;
    };
    let w = World::with_aws_files();
    idp.sign_in_to(&broker.url, &w.home, "alice");
    let bob = Home::new();
    idp.sign_in_to(&broker.url, &bob, "bob");
    let moto = Moto::start();

    let mut waiting = w
        .zt(&[
            "request",
            "prod-k8s",
            "prod-aws:admin",
            "--ttl",
            "10m",
            "--reason",
            "INC-16",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut err = BufReader::new(waiting.stderr.take().unwrap());
    let id = crate::bundles::pending_id(&mut err);
    let inbox = bob.run(&["inbox", "--json"]).ok().json();
    let mine = inbox["requests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == id.as_str())
        .cloned()
        .unwrap_or_else(|| panic!("{id} not in bob's inbox: {inbox}"));
    let bundle = mine["bundle_id"].as_str().unwrap().to_string();
    let approve = bob.run(&["approve", &id]);
    assert!(
        approve
            .ok()
            .stderr
            .contains(&format!("Bundle {bundle} (decided as a whole)")),
        "{}",
        approve.stderr
    );
    let status = waiting.wait().unwrap();
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut err, &mut rest).unwrap();
    assert!(status.success(), "zt request after the approval: {rest}");

    // Both written; both rows in PostgreSQL carry the bundle id, approved by bob once.
    assert!(contexts(&w).contains(&"zt-prod-k8s".to_string()));
    let config = std::fs::read_to_string(w.aws_config()).unwrap();
    assert!(config.contains("[profile zt-prod-aws]"), "{config}");
    aws_cli_or_helper(&w, &id, &moto);
    let rows = w.run(&["status", "--json"]).ok().json();
    let items: Vec<_> = rows
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["bundle_id"] == bundle.as_str())
        .collect();
    assert_eq!(items.len(), 2, "{rows}");
    assert_eq!(
        pg.sql(&format!(
            "SELECT string_agg(resource || '/' || role, ' ' ORDER BY resource) FROM requests \
             WHERE bundle_id = '{bundle}'"
        )),
        "prod-aws/admin prod-k8s/view"
    );
    assert_eq!(
        pg.sql("SELECT string_agg(request_id, ' ') FROM audit WHERE action = 'request.approve'"),
        id,
        "one approval decided the bundle"
    );
    w.run(&["revoke", "prod-k8s"]).ok();
    w.run(&["revoke", "prod-aws"]).ok();
    assert!(!contexts(&w).contains(&"zt-prod-k8s".to_string()));
}

#[test]
fn a_scheduled_grant_waits_for_its_start_and_a_first_use_grant_for_the_aws_cli() {
    let idp = Broker::start(&[]);
    let login = crate::common::serve::Login::discover(&idp.url).toml();
    let home = Home::new();
    let Some((pg, broker)) = serve(&home, &login, "") else {
        return;
    };
    let mut w = World::with_aws_files();
    w.set("ZT_REAPER", "0");
    idp.sign_in_to(&broker.url, &w.home, "alice");

    // Scheduled: refused before its start, written by the first zt run after it.
    let v = w
        .run(&[
            "request",
            "prod-k8s",
            "--ttl",
            "2m",
            "--start-in",
            "3s",
            "--json",
        ])
        .ok()
        .json();
    assert_eq!(v["scheduled"], true, "{v}");
    let scheduled = v["request"]["id"].as_str().unwrap().to_string();
    let early = w.run(&["credential", "kube", &scheduled]);
    assert_eq!(early.code, 5, "{early:#?}");
    assert!(early.stderr.contains("starts at"), "{}", early.stderr);
    assert!(!contexts(&w).contains(&"zt-prod-k8s".to_string()));
    std::thread::sleep(Duration::from_secs(4));
    w.run(&["status"]).ok();
    assert!(
        contexts(&w).contains(&"zt-prod-k8s".to_string()),
        "{:?}",
        contexts(&w)
    );
    w.run(&["credential", "kube", &scheduled]).ok();

    // First use: zt request writes the profile without minting; the AWS CLI's first
    // credential_process call claims it, recorded in PostgreSQL.
    let v = w
        .run(&["request", "prod-aws", "--ttl", "10m", "--json"])
        .ok()
        .json();
    let first = v["request"]["id"].as_str().unwrap().to_string();
    assert_eq!(v["request"]["activation"], "first_use", "{v}");
    assert_eq!(w.status_of(&first)["state"], "approved");
    let claimed = |pg: &PgStore| {
        pg.sql(&format!(
            "SELECT count(*) FROM audit WHERE action = 'grant.claimed' AND request_id = '{first}'"
        ))
    };
    assert_eq!(claimed(&pg), "0");
    aws_cli_or_helper(&w, &first, &Moto::start());
    let s = w.status_of(&first);
    assert_eq!(s["state"], "active", "{s}");
    assert!(s.get("claim_by").is_none(), "{s}");
    assert_eq!(claimed(&pg), "1");
    assert_eq!(
        pg.sql(&format!(
            "SELECT claim_by IS NULL FROM requests WHERE id = '{first}'"
        )),
        "t"
    );
    w.run(&["revoke", &scheduled]).ok();
    w.run(&["revoke", &first]).ok();
}

#[test]
fn a_password_sign_in_is_refused_a_step_up_and_an_mfa_sign_in_is_granted() {
    const PWD: &str = "urn:zt:acr:pwd";
    const MFA: &str = "urn:zt:acr:mfa";
    let Some(provider) = Provider::start(&[]) else {
        return;
    };
    let home = Home::new();
    let dir = home.path().join("policies");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("step-up.cedar"), crate::step_up::POLICY).unwrap();
    let login = format!(
        "[login]\nissuer = \"{issuer}\"\nclient_id = \"zt-cli\"\naudience = \"{AUDIENCE}\"\n\n\
         [[trusted_issuer]]\nissuer = \"{issuer}\"\naudience = \"{AUDIENCE}\"\n\
         acr_values = [\"{PWD}\", \"{MFA}\"]\n",
        issuer = provider.issuer
    );
    let Some((pg, broker)) = serve(&home, &login, "[policy]\ndir = \"policies\"\n") else {
        return;
    };
    let w = World::with_aws_files();
    let sign_in = |acr: &str| {
        let pending = start_login(w.zt(&[
            "login",
            "--broker",
            &broker.url,
            "--no-browser",
            "--insecure-storage",
            "--force",
        ]));
        provider.approve_at(&pending.user_code, "alice", acr);
        let out = pending.finish(Duration::from_secs(60));
        assert_eq!(out.code, 0, "{}", out.stderr);
    };
    let request = || {
        run_for(
            w.zt(&[
                "request", "prod-k8s", "--role", "view", "--ttl", "10m", "--reason", "INC-7",
            ]),
            Duration::from_secs(60),
        )
    };
    sign_in(PWD);
    let out = request();
    assert_eq!(out.code, 4, "{}", out.stderr);
    assert!(out.stderr.contains(MFA), "{}", out.stderr);
    assert_eq!(pg.sql("SELECT count(*) FROM requests"), "0");
    assert_eq!(
        pg.sql("SELECT count(*) FROM audit WHERE action = 'auth.step_up_required'"),
        "1"
    );
    sign_in(MFA);
    let out = request();
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(contexts(&w).contains(&"zt-prod-k8s".to_string()));
    assert_eq!(
        pg.sql("SELECT string_agg(state, ' ') FROM requests WHERE resource = 'prod-k8s'"),
        "active"
    );
}
