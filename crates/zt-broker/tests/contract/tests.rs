//! The contract itself: the document's operations are the server's routes; its problem types
//! are exactly the broker's slugs (that the client classifies each: `tests/it/problems.rs`); every problem response says
//! which types it carries; and the real broker, driven through every documented answer of
//! every operation, answers only as documented.

use std::collections::BTreeSet;

use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderValue};
use serde_json::{Value, json};

use super::check::{Contract, problem_types};
use super::spec::Spec;
use super::{bundles, grants, requests, step_up};
use zt_api::problem;
use zt_broker::problem::ALL;
use zt_broker::server::ROUTES;
use zt_testkit::broker::{Resp, TestBroker};

#[test]
fn the_document_has_exactly_the_servers_routes() {
    let spec = Spec::load();
    let documented: BTreeSet<_> = spec
        .operations()
        .into_iter()
        .map(|op| (op.method, op.template))
        .collect();
    let served: BTreeSet<_> = ROUTES
        .iter()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect();
    assert_eq!(documented, served);
}

/// Every response object the document has: each operation's, and `components.responses`.
fn all_responses(spec: &Spec) -> Vec<(String, &Value)> {
    let mut out = vec![];
    for op in spec.operations() {
        for status in op.statuses() {
            let r = spec.resolve(op.response(status).unwrap());
            out.push((format!("{} {status}", op.id), r));
        }
    }
    for (name, r) in spec.doc["components"]["responses"].as_object().unwrap() {
        out.push((name.clone(), r));
    }
    out
}

#[test]
fn problem_types_are_the_brokers_and_the_client_maps_each() {
    let spec = Spec::load();
    let listed: Vec<&str> = spec.doc["components"]["schemas"]["ProblemType"]["enum"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            let uri = v.as_str().unwrap();
            uri.strip_prefix(problem::BASE)
                .unwrap_or_else(|| panic!("{uri} is not under {}", problem::BASE))
        })
        .collect();
    assert_eq!(listed, ALL, "ProblemType's enum and problem::ALL differ");
    let mut used = BTreeSet::new();
    for (name, r) in all_responses(&spec) {
        for slug in problem_types(r) {
            assert!(ALL.contains(&slug), "{name}: {slug} is no problem type");
            used.insert(slug);
        }
    }
    for slug in ALL {
        assert!(used.contains(slug), "no response documents {slug}");
    }
}

#[test]
fn errors_are_problems_that_list_their_types() {
    let spec = Spec::load();
    for (name, r) in all_responses(&spec) {
        let media: Vec<&String> = r["content"].as_object().unwrap().keys().collect();
        let is_problem = media == ["application/problem+json"];
        let is_error = !name.split(' ').nth(1).is_some_and(|s| s.starts_with('2'));
        assert_eq!(is_problem, is_error, "{name}: {media:?}");
        assert_eq!(
            is_problem,
            !problem_types(r).is_empty(),
            "{name}: x-problem-types"
        );
        if !is_problem {
            // JSON, but for what SSH hosts read: the CA's key line and the binary KRL.
            let want = match name.split(' ').next() {
                Some("sshCa") => "text/plain",
                Some("sshKrl") => "application/octet-stream",
                _ => "application/json",
            };
            assert_eq!(media, [want], "{name}");
        }
    }
}

fn fake(status: u16, content_type: &'static str, body: Value) -> Resp {
    let mut headers = HeaderMap::new();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    Resp {
        status,
        headers,
        body,
    }
}

/// The checker is not a rubber stamp: an undocumented status fails it…
#[test]
#[should_panic(expected = "status 418 is not documented for me")]
fn an_undocumented_status_fails() {
    let body = json!({"type": "https://zt.dev/problems/internal", "title": "t", "status": 418});
    Contract::new().check(
        "GET",
        "/v1/me",
        &fake(418, "application/problem+json", body),
    );
}

/// …and so does a problem type the status does not list…
#[test]
#[should_panic(expected = "problem type \"forbidden\" is not one of [\"not-found\"]")]
fn an_unlisted_problem_type_fails() {
    let body = json!({"type": "https://zt.dev/problems/forbidden", "title": "t", "status": 404});
    let r = fake(404, "application/problem+json", body);
    Contract::new().check("GET", "/v1/requests/x", &r);
}

/// …and a body that breaks its schema…
#[test]
#[should_panic(expected = "$.sub: expected string, got integer")]
fn a_body_off_its_schema_fails() {
    let body = json!({"sub": 7, "issuer": "i"});
    Contract::new().check("GET", "/v1/me", &fake(200, "application/json", body));
}

/// …and a documented answer no test produced.
#[test]
#[should_panic(expected = "never produced by a test")]
fn an_answer_nobody_produced_fails() {
    let c = Contract::new();
    let me = json!({"sub": "alice", "issuer": "i", "groups": []});
    c.check("GET", "/v1/me", &fake(200, "application/json", me));
    c.assert_covered();
}

#[tokio::test]
async fn every_operation_gives_every_documented_answer_and_no_other() {
    let c = Contract::new();
    let t = TestBroker::start().await;
    requests::info_and_authentication(&c, &t).await;
    requests::creating(&c, &t).await;
    requests::listing(&c, &t).await;
    requests::getting(&c, &t).await;
    requests::withdrawing(&c, &t).await;
    requests::deciding(&c, &t).await;
    bundles::bundles(&c, &t).await;
    grants::revoking(&c, &t).await;
    grants::credentials(&c, &t).await;
    grants::extending(&c, &t).await;
    grants::audit(&c, &t).await;
    grants::issuer_down(&c).await;
    grants::store_down(&c).await;
    step_up::stepping_up(&c).await;
    c.assert_covered();
}
