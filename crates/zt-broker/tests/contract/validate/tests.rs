//! The validator fails where it must: a test that passes because the checker accepts anything
//! proves nothing, so each rule is shown refusing a bad value, with the path it names.

use serde_json::{Value, json};

use super::Validator;
use crate::spec::Spec;

fn schema(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

fn request() -> Value {
    json!({
        "id": "0123456789abcdef", "requester": "alice@example.com", "resource": "prod-k8s",
        "kind": "kubernetes", "role": "view", "ttl_secs": 600, "break_glass": false,
        "state": "approved",
        "decision": {"outcome": "grant", "policy_ids": ["p"], "reason": "", "approver_groups": []},
        "created_at": "2026-11-23T17:00:00Z",
        "not_before": "2026-11-23T17:00:00Z", "expires_at": "2026-11-23T17:10:00Z"
    })
}

fn errors(closed: bool, s: &Value, v: &Value) -> Vec<String> {
    let spec = Spec::load();
    let mut e = Validator::new(&spec, closed).errors(s, v);
    e.sort();
    e
}

#[test]
fn a_real_request_validates() {
    assert_eq!(
        errors(true, &schema("Request"), &request()),
        Vec::<String>::new()
    );
    let list = json!({"requests": [request(), request()]});
    assert!(errors(true, &schema("RequestList"), &list).is_empty());
}

#[test]
fn a_wrong_type_fails_with_its_path() {
    let mut r = request();
    r["ttl_secs"] = json!("600");
    let e = errors(true, &schema("Request"), &r);
    assert_eq!(e.len(), 1, "{e:?}");
    assert!(
        e[0].starts_with("$.ttl_secs: expected integer, got string"),
        "{e:?}"
    );
    r["ttl_secs"] = json!(1.5);
    assert!(errors(true, &schema("Request"), &r)[0].contains("got number"));
    let list = json!({"requests": [request(), {"id": 7}]});
    let e = errors(true, &schema("RequestList"), &list);
    assert!(
        e.iter()
            .any(|e| e.starts_with("$.requests[1].id: expected string")),
        "{e:?}"
    );
}

#[test]
fn a_missing_required_field_fails() {
    let mut r = request();
    r.as_object_mut().unwrap().remove("state");
    r["decision"].as_object_mut().unwrap().remove("outcome");
    let e = errors(true, &schema("Request"), &r);
    assert_eq!(
        e,
        [
            "$.decision: missing required property \"outcome\"",
            "$: missing required property \"state\""
        ]
    );
}

#[test]
fn an_unknown_enum_value_fails() {
    let mut r = request();
    r["state"] = json!("sleeping");
    r["decision"]["outcome"] = json!("maybe");
    let e = errors(true, &schema("Request"), &r);
    assert_eq!(e.len(), 2, "{e:?}");
    assert!(e[0].starts_with("$.decision.outcome: \"maybe\" is not one of"));
    assert!(e[1].starts_with("$.state: \"sleeping\" is not one of"));
    let p = json!({"type": "https://zt.dev/problems/oops", "title": "t", "status": 400});
    assert!(errors(true, &schema("Problem"), &p)[0].starts_with("$.type: "));
}

#[test]
fn closed_objects_refuse_undocumented_fields_and_open_ones_accept_them() {
    let mut r = request();
    r["surprise"] = json!(1);
    let e = errors(true, &schema("Request"), &r);
    assert_eq!(e.len(), 1);
    assert!(e[0].starts_with("$.surprise: not in the schema"), "{e:?}");
    assert!(errors(false, &schema("Request"), &r).is_empty());
    let no_extra = json!({"type": "object", "properties": {}, "additionalProperties": false});
    assert!(!errors(false, &no_extra, &json!({"a": 1})).is_empty());
    let ints = json!({"type": "object", "additionalProperties": {"type": "integer"}});
    assert_eq!(
        errors(true, &ints, &json!({"a": 1, "b": "x"})),
        ["$.b: expected integer, got string \"x\""]
    );
}

#[test]
fn nullable_fields_and_type_lists() {
    let row = json!({
        "seq": 1, "at": "2026-11-23T17:00:00Z", "actor": "a", "action": "x",
        "request_id": null, "decision": null, "policy_ids": [], "detail": "",
        "prev_sha256": "0", "sha256": "1"
    });
    assert!(errors(true, &schema("AuditRecord"), &row).is_empty());
    let mut bad = row.clone();
    bad["actor"] = Value::Null;
    assert_eq!(
        errors(true, &schema("AuditRecord"), &bad),
        ["$.actor: expected string, got null null"]
    );
    let old_style = json!({"type": "string", "nullable": true});
    assert!(errors(true, &old_style, &Value::Null).is_empty());
    assert!(!errors(true, &old_style, &json!(3)).is_empty());
}

#[test]
fn date_times_must_be_rfc3339_utc() {
    let mut r = request();
    r["created_at"] = json!("yesterday");
    r["expires_at"] = json!(1700000000);
    let e = errors(true, &schema("Request"), &r);
    assert!(
        e.iter()
            .any(|e| e.starts_with("$.created_at: \"yesterday\" is not")),
        "{e:?}"
    );
    assert!(
        e.iter()
            .any(|e| e.starts_with("$.expires_at: expected string")),
        "{e:?}"
    );
}

#[test]
fn one_of_picks_exactly_one_branch() {
    let k8s = json!({
        "kind": "kubernetes", "server": "https://k", "token": "t",
        "expires_at": "2026-11-23T17:00:00Z", "namespace": "default"
    });
    assert!(errors(true, &schema("Credential"), &k8s).is_empty());
    let mut bad = k8s.clone();
    bad["kind"] = json!("aws");
    let e = errors(true, &schema("Credential"), &bad);
    assert_eq!(e.len(), 1);
    assert!(e[0].starts_with("$: matches no oneOf branch"), "{e:?}");
    let both = json!({"oneOf": [{"type": "integer"}, {"type": "number"}]});
    assert_eq!(
        errors(true, &both, &json!(1)),
        ["$: matches 2 oneOf branches"]
    );
    let any = json!({"anyOf": [{"type": "integer"}, {"type": "number"}]});
    assert!(errors(true, &any, &json!(1)).is_empty());
}

#[test]
fn bounds_and_unknown_keywords() {
    let s = json!({"type": "integer", "minimum": 1, "maximum": 3});
    assert_eq!(errors(true, &s, &json!(0)), ["$: 0 breaks minimum 1"]);
    assert_eq!(errors(true, &s, &json!(4)), ["$: 4 breaks maximum 3"]);
    let s = json!({"type": "string", "maxLength": 2});
    assert_eq!(errors(true, &s, &json!("abc")), ["$: 3 breaks maxLength 2"]);
    let s = json!({"type": "string", "pattern": "^a"});
    assert_eq!(
        errors(true, &s, &json!("a")),
        ["$: unsupported schema keyword \"pattern\""]
    );
    let s = json!({"type": "string", "format": "uuid"});
    assert_eq!(
        errors(true, &s, &json!("a")),
        ["$: unsupported format \"uuid\""]
    );
}
