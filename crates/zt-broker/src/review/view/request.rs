//! The page of one request (`GET /review/{id}`): the facts, the approvals, the decision form
//! for an approver who may decide it (or why not), the requester's recent requests.

use std::fmt::Write;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use super::{error_page, human_secs, plausible_id, state_badge, when};
use crate::domain;
use crate::review::page::{escape, html, layout, message, text};
use crate::review::{Review, ReviewState, Session};
use crate::store::Record;
use zt_api as api;

/// How many of the requester's other requests the page lists.
const RECENT: usize = 10;

#[derive(Deserialize)]
pub(crate) struct Shown {
    /// What the last form did (`approved`, `counted`, `already-counted`, `denied`): a banner.
    #[serde(default)]
    done: Option<String>,
}

/// `GET /review/{id}`.
pub(crate) async fn request(
    State(review): State<ReviewState>,
    session: Session,
    Path(id): Path<String>,
    shown: Result<Query<Shown>, axum::extract::rejection::QueryRejection>,
) -> Response {
    if !plausible_id(&id) {
        return message(
            StatusCode::NOT_FOUND,
            "No such request",
            "There is no request with this id.",
            Some(&session),
            Some("/review"),
        );
    }
    let b = &review.broker;
    let rec = match domain::visible(b, &id, &session.principal).await {
        Ok(rec) => rec,
        Err(e) => return error_page(e, &session, Some("/review")),
    };
    let recent = match b
        .store
        .recent_by_requester(&rec.requester_issuer, &rec.requester_sub, RECENT as i64 + 1)
        .await
    {
        Ok(list) => list,
        Err(e) => return error_page(e.into(), &session, Some("/review")),
    };
    let done = shown.ok().and_then(|Query(s)| s.done);
    let mut body = request_body(&review, &session, &rec, &recent, done.as_deref());
    body.insert_str(0, &super::bundle::section(b, &rec).await);
    let r = &rec.request;
    let title = format!("{} asks for {}/{}", r.requester, r.resource, r.role);
    let mut resp = html(
        StatusCode::OK,
        layout(&clip(&title, 200), Some(&session), &body),
    );
    if crate::review::passkey::needed(&r.decision) {
        crate::review::passkey::allow_script(&mut resp);
    }
    resp
}

fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_owned()
    } else {
        format!("{}…", s.chars().take(max).collect::<String>())
    }
}

/// Whether `session`'s person may decide `rec` now — the form is offered — or why not.
fn may_decide(rec: &Record, session: &Session) -> Result<(), String> {
    let p = &session.principal;
    let groups = rec.request.decision.approver_groups.join(" or ");
    if rec.state() != api::State::Pending {
        return Err(format!(
            "This request is {}: there is nothing to decide.",
            rec.state()
        ));
    }
    if rec.is_requester(p) {
        return Err(format!(
            "This is your own request: someone else in {groups} must approve it."
        ));
    }
    if !rec.is_approver(p) {
        return Err(if groups.is_empty() {
            "This request takes no approvals.".into()
        } else {
            format!("Only members of {groups} may decide this request.")
        });
    }
    if rec.approved_by(p) {
        return Err("You have approved this request; it waits for the other approvers.".into());
    }
    Ok(())
}

fn request_body(
    review: &Review,
    session: &Session,
    rec: &Record,
    recent: &[Record],
    done: Option<&str>,
) -> String {
    let r = &rec.request;
    let d = &r.decision;
    let mut out = String::new();
    match done {
        Some("approved") => {
            out.push_str("<p class=\"banner ok\">Approved: the request is granted.</p>")
        }
        Some("counted") => out.push_str(
            "<p class=\"banner ok\">Your approval is counted; the request waits for more \
             approvers.</p>",
        ),
        Some("already-counted") => {
            out.push_str("<p class=\"banner note\">You had already approved this request.</p>")
        }
        Some("denied") => out.push_str("<p class=\"banner no\">Denied.</p>"),
        _ => {}
    }
    if r.break_glass {
        out.push_str(
            "<p class=\"banner no\"><span class=\"glass\">BREAK-GLASS</span> This is an \
             emergency request.</p>",
        );
    }
    out.push_str("<section class=\"card\"><dl class=\"facts\">");
    let mut fact = |name: &str, value: String| {
        let _ = write!(out, "<dt>{}</dt><dd>{value}</dd>", escape(name));
    };
    fact("Requester", text(&r.requester, 200));
    fact(
        "Resource",
        format!(
            "<code>{}</code> <span class=\"muted\">({})</span>",
            text(&r.resource, 200),
            escape(&r.kind.to_string())
        ),
    );
    fact("Role", format!("<code>{}</code>", text(&r.role, 200)));
    fact("For", escape(&human_secs(r.ttl_secs)));
    // When the clock starts, if not at approval: a scheduled start, or the first use.
    match r.activation {
        Some(api::Activation::Scheduled) => {
            if let Some(at) = r.start_at {
                fact("Starts", escape(&when(at)));
            }
        }
        Some(api::Activation::FirstUse) => fact(
            "Starts",
            "at its first use (the TTL runs from the first credential a tool fetches)".into(),
        ),
        _ => {}
    }
    fact(
        "Reason",
        match &r.reason {
            Some(reason) => format!("<div class=\"prose\">{}</div>", text(reason, 1000)),
            None => "<span class=\"muted\">none given</span>".into(),
        },
    );
    fact(
        "Ticket",
        match &r.ticket {
            Some(t) => text(t, 200),
            None => "<span class=\"muted\">none</span>".into(),
        },
    );
    fact(
        "Break-glass",
        if r.break_glass {
            "<span class=\"glass\">yes</span>".into()
        } else {
            "no".into()
        },
    );
    fact("State", state_badge(r.state));
    fact("Requested", escape(&when(r.created_at)));
    if r.state == api::State::Pending {
        fact(
            "Decide by",
            escape(&when(review.broker.review_deadline(r.created_at))),
        );
    }
    let policies = if d.policy_ids.is_empty() {
        "<span class=\"muted\">none</span>".to_string()
    } else {
        d.policy_ids
            .iter()
            .take(20)
            .map(|p| format!("<code>{}</code>", text(p, 200)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    fact(
        "Policies",
        format!(
            "{policies}<div class=\"muted prose\">{}</div>",
            text(&d.reason, 500)
        ),
    );
    fact(
        "Approvers",
        if d.approver_groups.is_empty() {
            "<span class=\"muted\">none</span>".into()
        } else {
            text(&d.approver_groups.join(", "), 300)
        },
    );
    let mut approvals = format!("{} of {}", r.approvals.len(), d.approvals_needed());
    if !r.approvals.is_empty() {
        approvals.push_str("<ul class=\"approvals\">");
        for a in &r.approvals {
            let comment = match &a.comment {
                Some(c) => format!(": <span class=\"prose\">{}</span>", text(c, 1000)),
                None => String::new(),
            };
            let _ = write!(
                approvals,
                "<li><strong>{}</strong> <span class=\"muted\">at {}</span>{}{comment}</li>",
                text(&a.by, 200),
                escape(&when(a.at)),
                crate::review::passkey::approval_note(a),
            );
        }
        approvals.push_str("</ul>");
    }
    fact("Approvals", approvals);
    if let Some(by) = &r.decided_by {
        fact("Decided by", text(by, 200));
    }
    if let Some(c) = &r.decision_comment {
        fact(
            "Comment",
            format!("<div class=\"prose\">{}</div>", text(c, 1000)),
        );
    }
    if let (Some(from), Some(to)) = (r.not_before, r.expires_at) {
        fact(
            "Grant window",
            format!(
                "{} → {}",
                escape(&from.to_string()),
                escape(&to.to_string())
            ),
        );
    }
    out.push_str("</dl></section>");

    out.push_str("<h2>Decision</h2>");
    match may_decide(rec, session) {
        Ok(()) if crate::review::passkey::needed(d) => {
            out.push_str(&crate::review::passkey::form(&r.id, &session.csrf));
        }
        Ok(()) => {
            let id = escape(&r.id);
            let _ = write!(
                out,
                "<form class=\"decide card\" method=\"post\" action=\"/review/{id}/approve\">\
<input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
<label for=\"comment\">Comment <span class=\"muted\">(optional; the requester sees it)</span>\
</label><textarea id=\"comment\" name=\"comment\" maxlength=\"1000\" rows=\"4\"></textarea>\
<div class=\"buttons\"><button class=\"approve\" type=\"submit\" name=\"decision\" \
value=\"approve\">Approve</button><button class=\"deny\" type=\"submit\" name=\"decision\" \
value=\"deny\" formaction=\"/review/{id}/deny\">Deny</button></div></form>",
                csrf = escape(&session.csrf),
            );
        }
        Err(why) => {
            let _ = write!(out, "<p class=\"banner note\">{}</p>", escape(&why));
        }
    }

    let others: Vec<&Record> = recent
        .iter()
        .filter(|o| o.id() != r.id)
        .take(RECENT)
        .collect();
    let _ = write!(
        out,
        "<h2>{}'s recent requests</h2>",
        text(&r.requester, 200)
    );
    if others.is_empty() {
        out.push_str("<p class=\"muted\">None before this one.</p>");
    } else {
        out.push_str(
            "<table><tr><th>Requested</th><th>Resource / role</th><th>For</th><th>State</th>\
             <th>Reason</th></tr>",
        );
        for o in others {
            let q = &o.request;
            let _ = write!(
                out,
                "<tr><td class=\"nw\">{}</td><td class=\"nw\"><code>{}/{}</code>{}</td>\
<td class=\"nw\">{}</td><td class=\"nw\">{}</td><td>{}</td></tr>",
                escape(&when(q.created_at)),
                text(&q.resource, 100),
                text(&q.role, 100),
                if q.break_glass {
                    " <span class=\"glass\">BG</span>"
                } else {
                    ""
                },
                escape(&human_secs(q.ttl_secs)),
                state_badge(q.state),
                q.reason
                    .as_deref()
                    .map(|x| text(x, 120))
                    .unwrap_or_default(),
            );
        }
        out.push_str("</table>");
    }
    out
}
