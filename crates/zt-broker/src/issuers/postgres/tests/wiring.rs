//! The PostgreSQL issuer in the broker: its latency against a local server, and the
//! `issuer` setting choosing it (bad settings stopping the broker at start).

use super::*;

#[tokio::test]
async fn issue_latency_against_a_local_server() {
    let Some(env) = env().await else { return };
    let issuer = env.issuer();
    let mut issue = vec![];
    let mut revoke = vec![];
    let mut cold = None;
    for i in 0..21 {
        let g = env.grant(&format!("g-lat-{i}"), "lat", "readonly", 600);
        let t = Instant::now();
        issuer.issue(&g).await.unwrap();
        let took = t.elapsed();
        // The first issue opens the pool's connection (TCP + SCRAM): reported on its own.
        if i == 0 {
            cold = Some(took);
        } else {
            issue.push(took);
        }
        let t = Instant::now();
        issuer.revoke(&g).await.unwrap();
        revoke.push(t.elapsed());
    }
    // Of each issue, the SCRAM verifier (4096 PBKDF2-HMAC-SHA256 rounds, here) is this much.
    let mut scram: Vec<_> = (0..20)
        .map(|_| {
            let t = Instant::now();
            sql::scram_verifier("x".repeat(40).as_str(), &[0; 16], sql::SCRAM_ITERATIONS);
            t.elapsed()
        })
        .collect();
    scram.sort();
    issue.sort();
    revoke.sort();
    eprintln!(
        "postgres issuer latency (debug build, local PostgreSQL): issue median {:?} of {} \
         (min {:?}, max {:?}; first, opening the connection: {:?}; SCRAM verifier median \
         {:?}); revoke median {:?}",
        issue[issue.len() / 2],
        issue.len(),
        issue[0],
        issue[issue.len() - 1],
        cold.unwrap_or_default(),
        scram[scram.len() / 2],
        revoke[revoke.len() / 2],
    );
}

#[tokio::test]
async fn the_issuer_setting_selects_the_issuer_and_bad_settings_stop_the_start() {
    use crate::issuers::for_resource;
    let dev: Arc<dyn Issuer> = Arc::new(Dev);
    // The demo catalog has no issuer settings: all dev.
    for res in crate::dev::demo::catalog().unwrap().resources() {
        let got = for_resource(res, dev.clone()).unwrap();
        assert!(Arc::ptr_eq(&got, &dev), "{}", res.name);
    }
    let cat = |settings: &str, role: &str| {
        Catalog::parse(&format!(
            "[[resource]]\nname = \"db\"\nkind = \"postgres\"\ndefault_role = \"r\"\n\
             max_ttl = \"1h\"\nsettings = {{ {settings} }}\n\
             [[resource.role]]\nname = \"r\"\nsettings = {{ {role} }}\n"
        ))
        .unwrap()
    };
    let url = "admin_url = \"postgres://u:p@127.0.0.1:1/app\"";
    let ok = cat(&format!("issuer = \"postgres\", {url}"), "");
    let got = for_resource(ok.resource("db").unwrap(), dev.clone()).unwrap();
    assert!(
        !Arc::ptr_eq(&got, &dev),
        "the postgres issuer, lazily connected"
    );
    // admin_url_env is read at start-up; PATH is always set and is no URL.
    let from_env = cat("issuer = \"postgres\", admin_url_env = \"PATH\"", "");
    let e = for_resource(from_env.resource("db").unwrap(), dev.clone())
        .err()
        .unwrap_or_default();
    assert!(e.contains("not a valid postgres:// URL"), "{e}");
    for (settings, role, why) in [
        ("issuer = \"postgress\"", "", "no issuer \"postgress\""),
        (
            "issuer = \"postgres\"",
            "",
            "needs admin_url or admin_url_env",
        ),
        (
            "issuer = \"postgres\", admin_url_env = \"ZT_TEST_PG_UNSET_VAR\"",
            "",
            "ZT_TEST_PG_UNSET_VAR, which is not set",
        ),
        (
            &format!("issuer = \"postgres\", {url}, member-of = \"x\""),
            "",
            "unknown setting member-of",
        ),
        (
            &format!("issuer = \"postgres\", {url}"),
            url,
            "resource setting",
        ),
        (
            &format!("issuer = \"postgres\", {url}"),
            "sslmode = \"sure\"",
            "sslmode",
        ),
        (
            &format!("issuer = \"postgres\", {url}"),
            "connection_limit = 0",
            "connection_limit",
        ),
        (
            &format!("issuer = \"postgres\", {url}"),
            "member_of = [1]",
            "member_of",
        ),
        (
            "issuer = \"postgres\", admin_url = \"mysql://x\"",
            "",
            "not a valid postgres:// URL",
        ),
    ] {
        let e = for_resource(cat(settings, role).resource("db").unwrap(), dev.clone())
            .err()
            .unwrap_or_else(|| panic!("accepted: {settings} / {role}"));
        assert!(e.contains(why), "{settings} / {role}: {e}");
        assert!(!e.contains("u:p@"), "no URL in errors: {e}");
    }
    let aws = Catalog::parse(
        "[[resource]]\nname = \"a\"\nkind = \"aws\"\ndefault_role = \"r\"\nmax_ttl = \"1h\"\n\
         settings = { issuer = \"postgres\" }\n[[resource.role]]\nname = \"r\"\n",
    )
    .unwrap();
    assert!(for_resource(aws.resource("a").unwrap(), dev).is_err());
}
