//! The one line for people every body carries (`text`; Slack renders `*bold*`): who asked for
//! what and why, the approver groups a pending request waits for, who decided and their
//! comment. Typed values are escaped for Slack ([`super::mrkdwn`]), kept on the line and cut.

use super::mrkdwn;
use zt_api::{self as api, Outcome};

/// The most characters of one typed value (a reason, a ticket, a comment) on the line.
const VALUE_MAX: usize = 500;

fn typed(s: &str) -> String {
    mrkdwn::field(&mrkdwn::one_line(s), VALUE_MAX)
}

/// "alice@example.com", "prod-k8s/admin": names the broker checked, escaped all the same.
fn name(s: &str) -> String {
    mrkdwn::field(s, 200)
}

/// " — reason (ticket)", or nothing.
fn why(r: &api::Request) -> String {
    match (&r.reason, &r.ticket) {
        (Some(reason), Some(t)) => format!(" — {} ({})", typed(reason), typed(t)),
        (Some(reason), None) => format!(" — {}", typed(reason)),
        (None, Some(t)) => format!(" — {}", typed(t)),
        (None, None) => String::new(),
    }
}

/// "sre-leads or oncall" (the groups whose members may approve).
pub(super) fn approver_groups(r: &api::Request) -> String {
    name(&r.decision.approver_groups.join(" or "))
}

/// One line for people (Slack renders `*bold*`).
pub fn text(event: &str, r: &api::Request) -> String {
    let what = format!("{}/{}", name(&r.resource), name(&r.role));
    let requester = name(&r.requester);
    let why = why(r);
    let by = name(r.decided_by.as_deref().unwrap_or("policy"));
    let line = match event {
        "request.created" => {
            let outcome = match r.decision.outcome {
                Outcome::Grant => "granted at once".to_string(),
                Outcome::RequireApproval => {
                    format!("waiting for approval by {}", approver_groups(r))
                }
                Outcome::Deny => "denied by policy".to_string(),
            };
            format!(
                "{requester} asked for *{what}* for {}s{why}: {outcome}",
                r.ttl_secs
            )
        }
        "request.decided" => {
            let comment = r
                .decision_comment
                .as_deref()
                .map(|c| format!(": “{}”", typed(c)))
                .unwrap_or_default();
            format!(
                "{by} {} {requester}'s request for *{what}*{comment}",
                r.state
            )
        }
        "grant.expired" => format!("{requester}'s grant of *{what}* expired"),
        "grant.revoked" => format!("{requester}'s grant of *{what}* was revoked"),
        "credential.revoke_failed" => format!(
            ":warning: the credential of {requester}'s grant of *{what}* could not be revoked \
             at its target; the broker keeps retrying (grant {})",
            name(&r.id)
        ),
        "break_glass" => format!(
            ":rotating_light: BREAK-GLASS: {requester} asked for *{what}* for {}s{why} ({})",
            r.ttl_secs, r.state
        ),
        other => format!("{other}: *{what}* of {requester}"),
    };
    // A bundle's requests are announced one by one; each says which bundle it is part of.
    let bundle = r
        .bundle_id
        .as_deref()
        .map(|b| format!(" (bundle {})", name(b)))
        .unwrap_or_default();
    format!("zt: {line} [{}]{bundle}", name(&r.id))
}
