//! The bodies, as golden shapes: the one-line text, the JSON event, the `{"text"}` body and the
//! Slack Block Kit message — typed text escaped, several lines kept readable, sizes bounded.

use serde_json::{Value, json};

use super::{Format, Payload, text, transition_event};
use zt_api::{Approval, Decision, Outcome, Request, ResourceKind, State, Timestamp};

const AT: Timestamp = Timestamp(1_800_000_000);

fn pending() -> Request {
    Request {
        id: "0123456789abcdef".into(),
        requester: "alice@example.com".into(),
        resource: "prod-k8s".into(),
        kind: ResourceKind::Kubernetes,
        role: "admin".into(),
        ttl_secs: 1800,
        reason: Some("INC-4211: pods\ncrash-looping".into()),
        ticket: Some("INC-4211".into()),
        break_glass: false,
        state: State::Pending,
        decision: Decision {
            outcome: Outcome::RequireApproval,
            policy_ids: vec!["catalog/prod-k8s/admin".into()],
            reason: "admin needs an approver".into(),
            approver_groups: vec!["sre-leads".into()],
            approvals_required: 0,
            approval_assurance: None,
        },
        decided_by: None,
        decision_comment: None,
        approvals: vec![],
        created_at: AT,
        not_before: None,
        expires_at: None,
        review_url: Some("http://localhost:8080/review/0123456789abcdef".into()),
        bundle_id: None,
        start_at: None,
        activation: None,
        claim_by: None,
    }
}

fn denied() -> Request {
    let mut r = pending();
    r.state = State::Denied;
    r.decided_by = Some("bob@example.com".into());
    r.decision_comment = Some("use view\ninstead <!channel> & <@U123>".into());
    r.review_url = None;
    r
}

fn body(format: Format, event: &'static str, r: &Request) -> Value {
    let p = Payload {
        event,
        request: r.clone(),
        at: AT,
        text: text(event, r),
    };
    serde_json::from_slice(&format.body(&p).unwrap()).unwrap()
}

#[test]
fn a_pending_request_in_slack_has_its_facts_the_groups_and_a_review_button() {
    let r = pending();
    let line = "zt: alice@example.com asked for *prod-k8s/admin* for 1800s — INC-4211: pods / \
                crash-looping (INC-4211): waiting for approval by sre-leads [0123456789abcdef]";
    assert_eq!(text("request.created", &r), line);
    let fact = |t: &str| json!({"type": "mrkdwn", "text": t, "verbatim": true});
    assert_eq!(
        body(Format::Slack, "request.created", &r),
        json!({
            "text": line,
            "blocks": [
                {
                    "type": "section",
                    "text": fact(":lock: *alice@example.com* asks for *prod-k8s/admin*: one approval from *sre-leads* needed"),
                    "fields": [
                        fact("*Requester*\nalice@example.com"),
                        fact("*Resource*\nprod-k8s/admin"),
                        fact("*TTL*\n30m"),
                        fact("*Approvers*\nsre-leads (0 of 1)"),
                        fact("*Ticket*\nINC-4211"),
                        fact("*Break-glass*\nno"),
                        fact("*State*\npending"),
                    ],
                },
                {"type": "section", "text": fact("*Reason*\n>INC-4211: pods\n>crash-looping")},
                {
                    "type": "actions",
                    "elements": [{
                        "type": "button",
                        "action_id": "zt-review",
                        "text": {"type": "plain_text", "text": "Review", "emoji": false},
                        "style": "primary",
                        "url": "http://localhost:8080/review/0123456789abcdef",
                    }],
                },
                {
                    "type": "context",
                    "elements": [fact("zt · request `0123456789abcdef` · 2027-01-15T08:00:00Z")],
                },
            ],
        })
    );
}

#[test]
fn a_denial_carries_its_comment_escaped_and_quoted_line_by_line() {
    let r = denied();
    let line = "zt: bob@example.com denied alice@example.com's request for *prod-k8s/admin*: \
                “use view / instead &lt;!channel&gt; &amp; &lt;@U123&gt;” [0123456789abcdef]";
    assert_eq!(text("request.decided", &r), line);
    let b = body(Format::Slack, "request.decided", &r);
    assert_eq!(b["text"], line);
    let blocks = b["blocks"].as_array().unwrap();
    assert_eq!(
        blocks[0]["text"]["text"],
        "*bob@example.com* denied *alice@example.com*'s request for *prod-k8s/admin*"
    );
    assert_eq!(
        blocks[2]["text"]["text"],
        "*Comment from bob@example.com*\n>use view\n>instead &lt;!channel&gt; &amp; &lt;@U123&gt;"
    );
    // Decided: nothing left to review, no button.
    assert!(blocks.iter().all(|b| b["type"] != "actions"), "{b:#}");
    // The other formats: the same line; the event in full.
    assert_eq!(
        body(Format::Text, "request.decided", &r),
        json!({ "text": line })
    );
    let j = body(Format::Json, "request.decided", &r);
    assert_eq!(j["event"], "request.decided");
    assert_eq!(j["text"], line);
    assert_eq!(j["at"], "2027-01-15T08:00:00Z");
    assert_eq!(
        j["request"]["decision_comment"],
        "use view\ninstead <!channel> & <@U123>"
    );
    assert_eq!(j.as_object().unwrap().len(), 4, "{j:#}");
}

#[test]
fn no_typed_text_mentions_or_links_and_every_part_fits_slack() {
    let mut r = denied();
    let evil = "<!here> <https://evil.example|approve> &".repeat(200);
    r.reason = Some(evil.clone());
    r.ticket = Some(evil.clone());
    r.decision_comment = Some(format!("{evil}\n").repeat(40));
    r.requester = evil.clone();
    r.approvals = vec![Approval {
        by: evil.clone(),
        at: AT,
        comment: Some(evil.clone()),
        passkey: None,
    }];
    for event in super::EVENTS {
        for f in [Format::Slack, Format::Text, Format::Json] {
            let b = body(f, event, &r);
            let texts = strings(&b);
            if f != Format::Json {
                for t in &texts {
                    assert!(
                        !t.contains('<') && !t.contains('>') || t.starts_with('>'),
                        "{t}"
                    );
                }
            }
            if f == Format::Slack {
                let blocks = b["blocks"].as_array().unwrap();
                assert!(blocks.len() <= 50);
                for block in blocks {
                    if let Some(t) = block["text"]["text"].as_str() {
                        assert!(t.chars().count() <= 3000, "{event}: {}", t.len());
                    }
                    for field in block["fields"].as_array().into_iter().flatten() {
                        let t = field["text"].as_str().unwrap();
                        assert!(t.chars().count() <= 2000, "{event}: {}", t.len());
                        assert!(!t.contains("<!here>"), "{t}");
                    }
                    assert!(block["fields"].as_array().is_none_or(|f| f.len() <= 10));
                }
            }
            let line = b["text"].as_str().unwrap();
            assert!(
                !line.contains('\n') && line.chars().count() < 4000,
                "{line}"
            );
        }
    }
}

/// Every string in a JSON value, bar the quote marks Slack's block quotes begin lines with.
fn strings(v: &Value) -> Vec<String> {
    match v {
        Value::String(s) => vec![
            s.lines()
                .map(|l| l.strip_prefix('>').unwrap_or(l))
                .collect::<Vec<_>>()
                .join("\n"),
        ],
        Value::Array(a) => a.iter().flat_map(strings).collect(),
        Value::Object(o) => o.values().flat_map(strings).collect(),
        _ => vec![],
    }
}

#[test]
fn break_glass_and_expiry_read_as_one_line() {
    let mut r = pending();
    r.state = State::Approved;
    r.decision.outcome = Outcome::Grant;
    r.role = "view".into();
    r.ticket = None;
    r.break_glass = true;
    r.reason = Some("INC-9".into());
    let t = text("break_glass", &r);
    assert!(
        t.starts_with("zt: :rotating_light: BREAK-GLASS: alice@example.com"),
        "{t}"
    );
    assert!(t.contains("INC-9") && !t.contains('\n'), "{t}");
    assert_eq!(
        text("grant.expired", &r),
        format!(
            "zt: alice@example.com's grant of *prod-k8s/view* expired [{}]",
            r.id
        )
    );
    let b = body(Format::Slack, "break_glass", &r);
    let facts = b["blocks"][0]["fields"].to_string();
    assert!(facts.contains(":rotating_light: yes"), "{facts}");
    use zt_api::State::*;
    assert_eq!(transition_event(Pending, Approved), Some("request.decided"));
    assert_eq!(transition_event(Active, Expired), Some("grant.expired"));
    assert_eq!(transition_event(Approved, Revoked), Some("grant.revoked"));
    assert_eq!(transition_event(Pending, Expired), None);
    assert_eq!(transition_event(Approved, Active), None);
}

/// A bundle's requests are announced one by one, each naming its bundle; the JSON body
/// carries `bundle_id` with the request.
#[test]
fn a_bundles_request_names_its_bundle() {
    let mut r = pending();
    r.bundle_id = Some("fedcba9876543210".into());
    let line = text("request.created", &r);
    assert!(
        line.ends_with("[0123456789abcdef] (bundle fedcba9876543210)"),
        "{line}"
    );
    let json = body(Format::Json, "request.created", &r);
    assert_eq!(json["request"]["bundle_id"], "fedcba9876543210");
}
