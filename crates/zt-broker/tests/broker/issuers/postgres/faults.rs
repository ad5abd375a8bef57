//! The PostgreSQL issuer under attack and failure: hostile names and ids inject nothing, and
//! faults give clear errors and leave no role behind.

use super::*;

#[tokio::test]
async fn hostile_names_and_ids_inject_nothing() {
    let odd = r#"[[resource.role]]
name = "odd"
settings = { member_of = 'Odd "Group"; --' }"#;
    let Some(env) = env_with(odd).await else {
        return;
    };
    let issuer = env.issuer();
    let roles_before = env.role_names().await;
    let long = "x".repeat(200);
    let mut issued = vec![];
    for (i, requester) in [
        "alice'; DROP TABLE x; --",
        "\"bob\"",
        "ünïcode",
        long.as_str(),
        "robert'); DROP ROLE zt_broker; --\\",
    ]
    .into_iter()
    .enumerate()
    {
        // The grant id ends up in a COMMENT literal: hostile too.
        let id = format!("g{i}'; DROP TABLE canary; --\\");
        let g = env.grant(&id, requester, if i == 0 { "odd" } else { "readonly" }, 600);
        let cred = issuer.issue(&g).await.unwrap();
        let user = user_of(&cred);
        assert!(
            user.len() <= 63
                && user.starts_with("zt_")
                && user
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
            "{requester:?} → {user:?}"
        );
        let mut conn = login(&cred).await.unwrap();
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM canary")
            .fetch_one(&mut conn)
            .await
            .unwrap();
        assert_eq!(n, 1, "the canary survives and the group's privileges work");
        conn.close().await.unwrap();
        issued.push((g, user));
    }
    let mut roles_after = env.role_names().await;
    roles_after.retain(|r| !issued.iter().any(|(_, u)| u == r));
    assert_eq!(
        roles_after, roles_before,
        "no other role was made or dropped"
    );
    let mut app = superuser(&env.pg, "app").await;
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT tablename::text FROM pg_tables WHERE schemaname = 'public' ORDER BY 1",
    )
    .fetch_all(&mut app)
    .await
    .unwrap();
    assert_eq!(tables, ["canary", "x"]);
    for (g, user) in &issued {
        issuer.revoke(g).await.unwrap();
        assert!(!env.role_exists(user).await, "{user}");
    }

    // The quoting itself, through the server: literals read back as written, whatever
    // standard_conforming_strings says; identifiers name exactly the role.
    for scs in ["on", "off"] {
        exec(
            &mut app,
            &format!("SET standard_conforming_strings = {scs}"),
        )
        .await;
        for s in [
            "plain",
            "it's",
            "back\\slash\\'",
            "'; DROP TABLE canary; --",
            "ünï\"cödé",
            "",
        ] {
            let back: String = sqlx::query_scalar(AssertSqlSafe(format!(
                "SELECT {}::text",
                sql::quote_literal(s).unwrap()
            )))
            .fetch_one(&mut app)
            .await
            .unwrap();
            assert_eq!(back, s, "standard_conforming_strings={scs}");
        }
    }
    let name = "Odd \"Group\"; --";
    let found: String = sqlx::query_scalar(AssertSqlSafe(format!(
        "SELECT {}::regrole::text",
        sql::quote_literal(&sql::quote_ident(name).unwrap()).unwrap()
    )))
    .fetch_one(&mut app)
    .await
    .unwrap();
    assert_eq!(found, sql::quote_ident(name).unwrap());
}

#[tokio::test]
async fn faults_give_clear_errors_and_leave_no_role() {
    let Some(env) = env_with(
        "[[resource.role]]\nname = \"broken\"\nsettings = { member_of = [\"app_readonly\", \"no_such_group\"] }",
    )
    .await
    else {
        return;
    };
    let issuer = env.issuer();
    let roles_before = env.role_names().await;

    // A GRANT failing after CREATE ROLE succeeded: the whole message is rolled back.
    let g = env.grant("g-broken", "frank", "broken", 600);
    let e = issuer.issue(&g).await.unwrap_err().to_string();
    assert!(
        e.contains("creating the login role failed") && e.contains("no_such_group"),
        "{e}"
    );
    assert_eq!(env.role_names().await, roles_before, "no orphaned role");
    issuer.revoke(&g).await.unwrap();

    // The target unreachable (a port nothing listens on).
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let text = format!(
        "[[resource]]\nname = \"db\"\nkind = \"postgres\"\ndefault_role = \"readonly\"\n\
         max_ttl = \"1h\"\nsettings = {{ issuer = \"postgres\", connect_timeout = \"1s\", \
         admin_url = \"postgres://zt_broker:{BROKER_PASSWORD}@127.0.0.1:{closed}/app\" }}\n\
         [[resource.role]]\nname = \"readonly\"\n"
    );
    let down = Catalog::parse(&text).unwrap();
    let issuer = PostgresIssuer::new(down.resource("db").unwrap()).unwrap();
    let mut g = env.grant("g-down", "gina", "readonly", 600);
    g.settings = down.resource("db").unwrap().settings.clone();
    let started = Instant::now();
    let e = issuer.issue(&g).await.unwrap_err().to_string();
    eprintln!("unreachable target: {:?}: {e}", started.elapsed());
    assert!(
        e.contains("cannot connect") && e.contains(&format!("127.0.0.1:{closed}")),
        "{e}"
    );
    assert!(!e.contains(BROKER_PASSWORD), "{e}");
    assert!(e.to_lowercase().contains("refused"), "names the cause: {e}");
    assert!(
        issuer.revoke(&g).await.is_err(),
        "revoke fails, so the reaper retries"
    );
    assert_eq!(env.role_names().await, roles_before);
}
