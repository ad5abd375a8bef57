//! The bodies' form (`src/routes/body.rs`): checked before the path's id is looked up.

use zt_testkit::broker::TestBroker;

/// A body off the document is a 400 before anything looks at the id in the path (an
/// unknown id would be a 404); a well-formed one reaches the lookup.
#[tokio::test]
async fn a_malformed_body_is_a_400_whatever_the_path_names() {
    let t = TestBroker::start().await;
    let (tok, http) = (t.token("alice"), reqwest::Client::new());
    let send = async |path: &str, body: &str| {
        let r = http
            .post(format!("{}{path}", t.url))
            .bearer_auth(&tok)
            .header("content-type", "application/json")
            .header("Idempotency-Key", format!("k{}", body.len()))
            .body(body.to_owned())
            .send()
            .await
            .unwrap();
        r.status().as_u16()
    };
    let approve = "/v1/requests/ffffffffffffffff/approve";
    let extend = "/v1/grants/ffffffffffffffff/extend";
    for (path, body, status) in [
        (approve, r#"{"comment": "\u001b[31mok"}"#, 400),
        (approve, r#"{"comment": "one\rtwo"}"#, 400),
        (approve, "[]", 400),
        (approve, "\n", 400),
        (approve, "", 404),
        (approve, r#"{"comment": "fine\r\nby me"}"#, 404),
        (extend, r#"{"ttl_secs": 60, "reason": "\u0085"}"#, 400),
        (extend, r#"{"ttl_secs": 0}"#, 400),
        (extend, r#"{"ttl_secs": 31536001}"#, 400),
        (extend, r#"{"ttl_secs": 60.5}"#, 400),
        (extend, r#"{"ttl_secs": 60.0}"#, 404),
        ("/v1/requests", r#"["prod-k8s", null, 60]"#, 400),
        (
            "/v1/requests",
            r#"{"resource": "prod-k8s", "ttl_secs": 600.0}"#,
            201,
        ),
    ] {
        assert_eq!(send(path, body).await, status, "{path} {body}");
    }
}
