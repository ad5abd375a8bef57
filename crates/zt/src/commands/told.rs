//! What `zt request` tells the requester beyond the wait itself: where approvers review the
//! request (the broker's `review_url`, to pass on), and the approver's comment on a denial —
//! both from the broker or another person, so shown inert; a comment of several lines stays
//! several lines, each escaped and indented under its label.

use crate::output::{FIELD_MAX, inert};
use zt_api as api;

/// The most lines of a comment shown; the rest is counted.
const COMMENT_LINES: usize = 20;
/// The longest review link shown (a longer one is no link anyone would follow).
const URL_MAX: usize = 1000;

/// The request's review link as shown: only when the broker gave one that is a link (http or
/// https, no whitespace or control character, not absurdly long), made inert.
pub(super) fn review_link(req: &api::Request) -> Option<String> {
    let url = req.review_url.as_deref()?;
    let is_link = (url.starts_with("https://") || url.starts_with("http://"))
        && url.len() <= URL_MAX
        && !url.chars().any(|c| c.is_whitespace() || c.is_control());
    is_link.then(|| inert(url, URL_MAX))
}

/// "Approvers can review it at URL" — when the broker gave a link that is one.
pub(super) fn review_line(req: &api::Request) -> Option<String> {
    review_link(req).map(|url| format!("Approvers can review it at {url}"))
}

/// The decision's comment as lines under "comment:" (the message names who decided), each
/// made inert; empty when there is none.
pub(super) fn comment_block(req: &api::Request) -> String {
    let Some(c) = req
        .decision_comment
        .as_deref()
        .filter(|c| !c.trim().is_empty())
    else {
        return String::new();
    };
    let lines: Vec<&str> = c.trim_end().lines().collect();
    let mut out = String::from("\n  comment:");
    for line in lines.iter().take(COMMENT_LINES) {
        out.push_str("\n    ");
        out.push_str(&inert(line, FIELD_MAX * 5));
    }
    if lines.len() > COMMENT_LINES {
        out.push_str(&format!(
            "\n    … ({} more lines; `zt status --json` has it all)",
            lines.len() - COMMENT_LINES
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(comment: Option<&str>, url: Option<&str>) -> api::Request {
        serde_json::from_value(serde_json::json!({
            "id": "r1", "requester": "alice", "resource": "prod-k8s", "kind": "kubernetes",
            "role": "edit", "ttl_secs": 60, "state": "denied", "created_at": "2026-01-01T00:00:00Z",
            "decision": {"outcome": "require_approval"}, "decided_by": "bob",
            "decision_comment": comment, "review_url": url,
        }))
        .unwrap()
    }

    #[test]
    fn a_comment_of_several_lines_stays_readable_and_inert() {
        let r = req(Some("use view\ninstead \x1b[31mnow\r\n\u{202e}x\n"), None);
        assert_eq!(
            comment_block(&r),
            "\n  comment:\n    use view\n    instead \\u{1b}[31mnow\n    \\u{202e}x"
        );
        assert_eq!(comment_block(&req(None, None)), "");
        let many = "l\n".repeat(100);
        let shown = comment_block(&req(Some(&many), None));
        // The leading line break, the label, the lines shown, the count of the rest.
        assert_eq!(shown.lines().count(), 2 + COMMENT_LINES + 1, "{shown}");
        assert!(shown.ends_with("(80 more lines; `zt status --json` has it all)"));
    }

    #[test]
    fn only_a_link_is_shown_as_one() {
        let ok = req(None, Some("http://localhost:1/review/r1"));
        assert_eq!(
            review_line(&ok).unwrap(),
            "Approvers can review it at http://localhost:1/review/r1"
        );
        for bad in [
            "javascript:alert(1)",
            "http://x/\x1b[2J",
            "http://x/ y",
            &format!("https://x/{}", "a".repeat(2000)),
        ] {
            assert_eq!(review_line(&req(None, Some(bad))), None, "{bad}");
        }
        assert_eq!(review_line(&req(None, None)), None);
    }
}
