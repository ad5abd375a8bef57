//! The `format = "slack"` body: a Block Kit message — a section with the request's facts
//! (requester, resource/role, TTL, approver groups, ticket, break-glass), the reason and a
//! decision's comment quoted, and while the request is pending a "Review" button to its review
//! page — beside the one-line `text` Slack shows in notifications.
//!
//! Within Slack's limits, so it never refuses a message: a section's text at most 3000
//! characters, a field 2000, at most 10 fields, a button's URL 3000. Every text object is
//! `mrkdwn` with `verbatim: true` and typed values escaped ([`super::mrkdwn`]).

use std::time::Duration;

use serde_json::{Value, json};

use super::{Payload, mrkdwn, text};
use zt_api::{self as api, Outcome};

/// Slack's limit on a section's text.
pub const SECTION_MAX: usize = 3000;
/// Slack's limit on one of a section's fields.
const FIELD_MAX: usize = 2000;
/// Slack's limit on a button's URL.
const URL_MAX: usize = 3000;

fn mrkdwn_text(s: String) -> Value {
    json!({ "type": "mrkdwn", "text": mrkdwn::bound(&s, SECTION_MAX), "verbatim": true })
}

/// `*Label*` over its value (already escaped).
fn fact(label: &str, value: String) -> Value {
    json!({
        "type": "mrkdwn",
        "text": mrkdwn::bound(&format!("*{label}*\n{value}"), FIELD_MAX),
        "verbatim": true,
    })
}

/// A quoted passage someone typed, under its label (several lines stay several lines).
fn passage(label: String, typed: &str) -> Value {
    // The label and the quote marks take a little: the typed text gets the rest.
    let body = mrkdwn::field(typed.trim_end(), SECTION_MAX - 300);
    json!({ "type": "section", "text": mrkdwn_text(format!("*{label}*\n{}", mrkdwn::quote(&body))) })
}

fn name(s: &str) -> String {
    mrkdwn::field(s, 200)
}

/// What happened, in one sentence.
fn headline(event: &str, r: &api::Request, line: &str) -> String {
    let who = name(&r.requester);
    let what = format!("{}/{}", name(&r.resource), name(&r.role));
    match (event, r.decision.outcome) {
        ("request.created", Outcome::RequireApproval) => format!(
            ":lock: *{who}* asks for *{what}*: {} from *{}* needed",
            api::approvals_phrase(r.decision.approvals_needed()),
            text::approver_groups(r)
        ),
        ("request.created", Outcome::Grant) => {
            format!(":white_check_mark: *{who}* was granted *{what}* at once")
        }
        ("request.created", Outcome::Deny) => {
            format!(":no_entry: *{who}* asked for *{what}*: denied by policy")
        }
        ("request.decided", _) => format!(
            "*{}* {} *{who}*'s request for *{what}*",
            name(r.decided_by.as_deref().unwrap_or("policy")),
            r.state
        ),
        // The other events say it well in their line (escaped already), minus the prefix.
        _ => line.strip_prefix("zt: ").unwrap_or(line).to_owned(),
    }
}

fn facts(r: &api::Request) -> Vec<Value> {
    let mut f = vec![
        fact("Requester", name(&r.requester)),
        fact(
            "Resource",
            format!("{}/{}", name(&r.resource), name(&r.role)),
        ),
        fact(
            "TTL",
            crate::catalog::human_ttl(Duration::from_secs(r.ttl_secs)),
        ),
    ];
    if r.decision.outcome == Outcome::RequireApproval {
        let got = r.approvals.len();
        let need = r.decision.approvals_needed();
        f.push(fact(
            "Approvers",
            format!("{} ({got} of {need})", text::approver_groups(r)),
        ));
    }
    if let Some(t) = &r.ticket {
        f.push(fact("Ticket", mrkdwn::field(&mrkdwn::one_line(t), 500)));
    }
    f.push(fact(
        "Break-glass",
        if r.break_glass {
            ":rotating_light: yes".into()
        } else {
            "no".into()
        },
    ));
    f.push(fact("State", r.state.to_string()));
    f
}

/// The review page's link, when it is one Slack takes for a button.
fn review_url(r: &api::Request) -> Option<&str> {
    r.review_url
        .as_deref()
        .filter(|u| u.starts_with("https://") || u.starts_with("http://"))
        .filter(|u| u.len() <= URL_MAX)
}

/// The whole message.
pub fn message(p: &Payload) -> Value {
    let r = &p.request;
    let mut blocks = vec![json!({
        "type": "section",
        "text": mrkdwn_text(headline(p.event, r, &p.text)),
        "fields": facts(r),
    })];
    if let Some(reason) = &r.reason {
        blocks.push(passage("Reason".into(), reason));
    }
    if p.event == "request.decided"
        && let Some(c) = &r.decision_comment
    {
        let by = name(r.decided_by.as_deref().unwrap_or("the approver"));
        blocks.push(passage(format!("Comment from {by}"), c));
    }
    if let Some(url) = review_url(r) {
        blocks.push(json!({
            "type": "actions",
            "elements": [{
                "type": "button",
                "action_id": "zt-review",
                "text": { "type": "plain_text", "text": "Review", "emoji": false },
                "style": "primary",
                "url": url,
            }],
        }));
    }
    blocks.push(json!({
        "type": "context",
        "elements": [mrkdwn_text(format!("zt · request `{}` · {}", name(&r.id), p.at))],
    }));
    json!({ "text": p.text, "blocks": blocks })
}
