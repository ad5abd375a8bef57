//! A bundle's part of a request's review page (issue 16): the bundle's items, each with its
//! state, so that the approver sees what one decision decides (every pending item).

use std::fmt::Write;

use super::state_badge;
use crate::review::page::{escape, text};
use crate::state::Broker;
use crate::store::Record;

/// The section, or nothing for a request of its own (or when the bundle cannot be read: the
/// page still shows the request).
pub(super) async fn section(b: &Broker, rec: &Record) -> String {
    let Some(id) = rec.request.bundle_id.as_deref() else {
        return String::new();
    };
    let Ok(items) = b.store.bundle(id).await else {
        return String::new();
    };
    let mut out = format!(
        "<section class=\"card\"><h2>Bundle <code>{}</code>: {} items</h2>\
         <p class=\"muted\">Approving or denying this request decides every pending item of \
         the bundle at once.</p><table><tr><th>Resource / role</th><th>State</th>\
         <th>Policy</th></tr>",
        escape(id),
        items.len()
    );
    for i in &items {
        let q = &i.request;
        let _ = write!(
            out,
            "<tr><td class=\"nw\"><code>{}/{}</code></td><td class=\"nw\">{}</td><td>{}</td></tr>",
            text(&q.resource, 100),
            text(&q.role, 100),
            state_badge(q.state),
            text(&q.decision.reason, 200),
        );
    }
    out.push_str("</table></section>");
    out
}
