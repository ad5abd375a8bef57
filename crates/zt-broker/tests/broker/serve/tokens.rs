//! Whose tokens the broker believes: each trusted issuer with its own audience, keys and claim
//! mapping, the configured admin groups, and the tokens it must refuse.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::*;

#[tokio::test]
async fn serves_trusted_issuers_with_their_claim_mappings() {
    let people = Idp::start("/realms/zt").await;
    let ci = Idp::start("/ci").await;
    let b = Running::start(dir_with_catalog(), &config(&people, &ci)).await;
    // Port 0 was asked for; the URL carries the real one.
    let port = b.url.strip_prefix("http://127.0.0.1:").unwrap();
    assert_ne!(port.parse::<u16>().unwrap(), 0);

    // Discovery advertises [login].
    let (status, _, d) = b.get("/.well-known/zt", None).await;
    assert_eq!(status, 200);
    let d: zt_api::Discovery = serde_json::from_value(d).unwrap();
    assert_eq!(d.issuer, people.issuer);
    assert_eq!(
        (d.client_id.as_str(), d.audience.as_str()),
        ("zt-cli", "zt-broker")
    );
    assert_eq!(d.scopes, ["openid", "offline_access", "roles"]);

    // People: groups from realm_access.roles, name from preferred_username.
    let alice = person(&people, "alice", &["engineering", "offline_access"]);
    let (status, _, me) = b.get("/v1/me", Some(&alice)).await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(
        me,
        json!({
            "sub": "u-alice", "issuer": people.issuer, "email": "alice@example.com",
            "name": "alice", "groups": ["engineering", "offline_access"],
        })
    );

    // CI, keys found by discovery: its own subject, email and groups claims.
    let job = ci.token(
        "zt-ci",
        json!({
            "sub": "repo:acme/deploy:ref:refs/heads/main",
            "job": { "id": "job-42" },
            "actor_email": "ci@acme.example",
            "repository": "acme/deploy",
        }),
    );
    let (status, _, me) = b.get("/v1/me", Some(&job)).await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["sub"], "job-42");
    assert_eq!(me["issuer"], ci.issuer.as_str());
    assert_eq!(me["email"], "ci@acme.example");
    assert_eq!(me["groups"], json!(["acme/deploy"]));

    // View through this broker is granted at once per the catalog, and the dev issuer sends
    // kubectl to the configured API server.
    let (status, _, r) = b
        .post(
            "/v1/requests",
            &alice,
            Some(json!({"resource": "prod-k8s", "role": "view", "ttl_secs": 600})),
        )
        .await;
    assert_eq!(status, 201, "{r}");
    assert_eq!(
        (r["state"].as_str(), r["decision"]["outcome"].as_str()),
        (Some("approved"), Some("grant"))
    );
    let grant = r["id"].as_str().unwrap().to_owned();
    let (status, _, c) = b
        .post(&format!("/v1/grants/{grant}/credentials"), &alice, None)
        .await;
    assert_eq!(status, 200, "{c}");
    assert_eq!(
        (
            c["kind"].as_str(),
            c["server"].as_str(),
            c["namespace"].as_str()
        ),
        (
            Some("kubernetes"),
            Some("https://k8s.example.com:6443"),
            Some("apps")
        )
    );
    // The CI job gets edit at once (its repository is an auto-approve group); alice must wait.
    let edit = json!({"resource": "prod-k8s", "role": "edit", "ttl_secs": 600});
    let (status, _, r) = b.post("/v1/requests", &job, Some(edit.clone())).await;
    assert_eq!(
        (status, r["state"].as_str()),
        (201, Some("approved")),
        "{r}"
    );
    let (_, _, r) = b.post("/v1/requests", &alice, Some(edit)).await;
    assert_eq!(r["state"], "pending", "{r}");

    // admin_groups is what the config says: zt-admins no longer revokes others' grants,
    // platform-admins (a realm role here) does.
    let revoke = format!("/v1/grants/{grant}/revoke");
    let old_admin = person(&people, "root", &["zt-admins"]);
    let (status, ctype, p) = b.post(&revoke, &old_admin, None).await;
    assert_eq!(
        (status, ctype.as_str()),
        (403, "application/problem+json"),
        "{p}"
    );
    assert!(
        p["detail"].as_str().unwrap().contains("platform-admins"),
        "{p}"
    );
    let admin = person(&people, "pat", &["platform-admins"]);
    let (status, _, r) = b.post(&revoke, &admin, None).await;
    assert_eq!((status, r["state"].as_str()), (200, Some("revoked")), "{r}");

    let dir = b.stop().await;
    // The store was created where the URL said, private.
    use std::os::unix::fs::PermissionsExt;
    let db = dir.path().join("data/broker.db");
    let mode = std::fs::metadata(&db).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
}

#[tokio::test]
async fn refuses_tokens_it_should_not_believe() {
    let people = Idp::start("/realms/zt").await;
    let ci = Idp::start("/ci").await;
    let stranger = Idp::start("/realms/zt").await;
    let b = Running::start(dir_with_catalog(), &config(&people, &ci)).await;
    let claims = json!({"sub": "u-alice", "realm_access": {"roles": ["engineering"]}});
    // Sanity: the same claims, properly signed, pass.
    let good = people.token("zt-broker", claims.clone());
    assert_eq!(b.get("/v1/me", Some(&good)).await.0, 200);

    let mut expired = json!({
        "iss": people.issuer, "aud": "zt-broker", "sub": "u-alice",
        "exp": now() - 600, "iat": now() - 900,
    });
    let expired_tok = people.sign(&expired);
    // Forged: the people IdP's kid, signed by another key.
    expired["exp"] = json!(now() + 300);
    let (other_key, _, _) = p256();
    let mut h = Header::new(Algorithm::ES256);
    h.kid = Some(people.kid.clone());
    let forged = jsonwebtoken::encode(&h, &expired, &other_key).unwrap();
    // `alg: none`: the claims of a good token, no signature.
    let b64 = |v: &Value| URL_SAFE_NO_PAD.encode(serde_json::to_vec(v).unwrap());
    let none = format!(
        "{}.{}.",
        b64(&json!({"alg": "none", "typ": "JWT"})),
        b64(&expired)
    );
    // Same-looking issuer URL, different IdP (its own port and keys): not trusted.
    let untrusted = stranger.token("zt-broker", claims.clone());
    // A token minted for someone else, and a CI token carrying the people audience (each
    // issuer is held to its own audience).
    let wrong_aud = people.token("another-service", claims.clone());
    let ci_with_people_aud = ci.token("zt-broker", json!({"job": {"id": "j"}}));

    for (what, token, why) in [
        (
            "untrusted issuer",
            untrusted.as_str(),
            "issuer is not trusted",
        ),
        ("wrong audience", wrong_aud.as_str(), "audience"),
        (
            "CI token for the people audience",
            ci_with_people_aud.as_str(),
            "audience",
        ),
        ("expired", expired_tok.as_str(), "has expired"),
        ("forged signature", forged.as_str(), "signature is invalid"),
        // jsonwebtoken knows no `none` algorithm: the header itself does not parse.
        ("alg none", none.as_str(), "malformed token (header)"),
    ] {
        let (status, ctype, p) = b.get("/v1/me", Some(token)).await;
        assert_eq!(status, 401, "{what}: {p}");
        assert_eq!(ctype, "application/problem+json", "{what}");
        let detail = p["detail"].as_str().unwrap_or_default();
        assert!(detail.contains(why), "{what}: {detail}");
    }
    b.stop().await;
}
