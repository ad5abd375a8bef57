//! `zt approve` / `zt deny` without an id: on a terminal, a picker over your inbox (who asks,
//! for what, how long, why, since when, approvals so far); in a script, a usage error naming
//! the argument and listing the ids. And the comment a denial asks for.

use crate::client::BrokerClient;
use crate::error::{Error, Result};
use crate::output::{field, human_secs, human_ttl};
use crate::prompt::{self, Choice};
use zt_api::{self as api, Timestamp};

/// The request to decide (`verb`: approve or deny).
pub async fn pick(verb: &str, client: &BrokerClient) -> Result<String> {
    let inbox = client.list_requests("state=pending&approver=me").await;
    if !prompt::can_prompt() {
        return Err(missing(verb, inbox.ok().as_ref()));
    }
    let inbox = inbox?;
    if inbox.requests.is_empty() {
        return Err(Error::usage(format!(
            "nothing waits for your approval, so nothing to {verb}"
        ))
        .with_hint("`zt inbox` lists what waits for you"));
    }
    let items: Vec<Choice> = inbox
        .requests
        .iter()
        .zip(rows(&inbox.requests, Timestamp::now().0))
        .map(|(r, row)| Choice {
            label: format!(
                "{} ({}: {}/{})",
                field(&r.id),
                field(&r.requester),
                field(&r.resource),
                field(&r.role)
            ),
            row,
        })
        .collect();
    let question = format!("Request to {verb} (type to filter)");
    let i = prompt::fuzzy_pick(&question, &items, 0)?;
    Ok(inbox.requests[i].id.clone())
}

/// The note that goes with a denial, asked on a terminal when --comment was not given; Enter
/// alone gives none.
pub fn deny_comment(given: Option<String>) -> Result<Option<String>> {
    if given.is_some() || !prompt::can_prompt() {
        return Ok(given);
    }
    let c = prompt::text("Comment for the requester (Enter for none)", true)?;
    Ok(Some(c).filter(|c| !c.is_empty()))
}

/// One line per pending request: requester, resource/role, TTL, reason, age, approvals.
fn rows(requests: &[api::Request], now: i64) -> Vec<String> {
    let col = |f: &dyn Fn(&api::Request) -> String| {
        requests
            .iter()
            .map(|r| f(r).chars().count())
            .max()
            .unwrap_or(0)
    };
    let who = |r: &api::Request| field(&r.requester);
    let what = |r: &api::Request| field(&format!("{}/{}", r.resource, r.role));
    let (who_w, what_w) = (col(&who), col(&what));
    requests
        .iter()
        .map(|r| {
            let reason: String = field(r.reason.as_deref().unwrap_or("-"))
                .chars()
                .take(60)
                .collect();
            format!(
                "{:<who_w$}  {:<what_w$}  {:<7}  {:>3}/{} approvals  {:<8} ago  {reason}",
                who(r),
                what(r),
                human_ttl(r.ttl_secs),
                r.approvals.len(),
                r.decision.approvals_needed(),
                human_secs((now - r.created_at.0).max(1)),
            )
        })
        .collect()
}

/// The script's error: the argument is missing; here are the ids (when the inbox could be read).
pub fn missing(verb: &str, inbox: Option<&api::RequestList>) -> Error {
    let e = Error::usage(format!("the ID argument is missing: `zt {verb} ID`"));
    match inbox {
        Some(l) if l.requests.is_empty() => e.with_hint("nothing waits for your approval"),
        Some(l) => {
            let ids: Vec<String> = l
                .requests
                .iter()
                .map(|r| {
                    format!(
                        "{} ({}: {}/{})",
                        field(&r.id),
                        field(&r.requester),
                        field(&r.resource),
                        field(&r.role)
                    )
                })
                .collect();
            e.with_hint(format!("waiting for you: {}", ids.join(", ")))
        }
        None => e.with_hint("`zt inbox` lists the ids"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(reason: &str) -> api::Request {
        serde_json::from_value(serde_json::json!({
            "id": "r1", "requester": "alice", "resource": "prod-k8s", "kind": "kubernetes",
            "role": "admin", "ttl_secs": 14393, "reason": reason, "state": "pending",
            "decision": {"outcome": "require_approval", "approvals_required": 2},
            "created_at": "2026-12-07T01:00:00Z"
        }))
        .unwrap()
    }

    #[test]
    fn rows_say_who_what_how_long_why_and_since_when() {
        let r = req("INC-1\u{1b}[2J");
        let now = r.created_at.0 + 125;
        let row = &rows(&[r], now)[0];
        assert!(row.starts_with("alice  prod-k8s/admin  3h 59m"), "{row}");
        assert!(row.contains("0/2 approvals"), "{row}");
        assert!(row.contains("2m 5s"), "{row}");
        assert!(row.contains("INC-1\\u{1b}[2J"), "escaped: {row}");
    }

    #[test]
    fn scripts_get_the_ids() {
        let list = api::RequestList {
            requests: vec![req("x")],
        };
        let e = missing("deny", Some(&list));
        assert_eq!(e.kind.exit_code(), 2);
        assert!(e.message.contains("zt deny ID"));
        assert!(e.hint.unwrap().contains("r1 (alice: prod-k8s/admin)"));
        let e = missing("approve", None);
        assert!(e.hint.unwrap().contains("zt inbox"));
    }
}
