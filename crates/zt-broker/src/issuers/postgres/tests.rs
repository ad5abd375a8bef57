//! The `issuer` setting choosing the PostgreSQL issuer, and bad settings stopping the broker
//! at start (no server needed: the issuer connects lazily). That no setting means the dev
//! issuers under `zt-broker dev` is `dev::issuers`' test. Against a real PostgreSQL server:
//! the integration tests in `tests/broker/issuers/postgres/`.

use crate::catalog::Catalog;
use crate::issuers::real;

#[tokio::test]
async fn the_issuer_setting_selects_the_postgres_issuer_and_bad_settings_stop_the_start() {
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
    let got = real(ok.resource("db").unwrap()).unwrap();
    assert!(got.is_some(), "the postgres issuer, lazily connected");
    // admin_url_env is read at start-up; PATH is always set and is no URL.
    let from_env = cat("issuer = \"postgres\", admin_url_env = \"PATH\"", "");
    let e = real(from_env.resource("db").unwrap())
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
        let e = real(cat(settings, role).resource("db").unwrap())
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
    assert!(real(aws.resource("a").unwrap()).is_err());
}
