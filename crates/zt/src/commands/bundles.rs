//! How `zt inbox` and `zt approve`/`zt deny` show a bundle (issue 16): its requests are one
//! entry — the first pending one's line, then each item of the bundle with its state — and a
//! decision on one of them says which items it decided with it.

use crate::client::BrokerClient;
use crate::output::{Printer, field};
use zt_api as api;

/// The inbox's requests with each bundle's gathered at its first one's place: `(request,
/// Some(items))` for a bundle's entry (all its items, read from the broker), `None` for a
/// request of its own. A bundle's other pending requests are left out (its entry lists them).
pub(super) async fn inbox_entries(
    client: &BrokerClient,
    requests: &[api::Request],
) -> Vec<(api::Request, Option<Vec<api::Request>>)> {
    let mut out: Vec<(api::Request, Option<Vec<api::Request>>)> = Vec::new();
    let mut seen: Vec<&str> = Vec::new();
    for r in requests {
        let Some(b) = r.bundle_id.as_deref() else {
            out.push((r.clone(), None));
            continue;
        };
        if seen.contains(&b) {
            continue;
        }
        seen.push(b);
        // The whole bundle, granted and denied items too; without it, what the inbox has.
        let items = match client.get_bundle(b).await {
            Ok(bundle) => bundle.requests,
            Err(_) => requests
                .iter()
                .filter(|o| o.bundle_id.as_deref() == Some(b))
                .cloned()
                .collect(),
        };
        out.push((r.clone(), Some(items)));
    }
    out
}

/// The lines under a bundle's inbox entry: `  + prod-db/readwrite  pending`.
pub(super) fn item_lines(bundle: &str, items: &[api::Request]) -> Vec<String> {
    let mut lines = vec![format!(
        "  bundle {} — approving or denying it decides every pending item:",
        field(bundle)
    )];
    for i in items {
        lines.push(format!(
            "  + {:<22} {}",
            field(&format!("{}/{}", i.resource, i.role)),
            i.state
        ));
    }
    lines
}

/// After a decision on a bundle's request: the bundle's items and their states now.
pub(super) async fn note_decided(client: &BrokerClient, req: &api::Request, p: &Printer) {
    let Some(b) = req.bundle_id.as_deref() else {
        return;
    };
    let Ok(bundle) = client.get_bundle(b).await else {
        return;
    };
    let items: Vec<String> = bundle
        .requests
        .iter()
        .map(|i| {
            format!(
                "{} {}",
                field(&format!("{}/{}", i.resource, i.role)),
                i.state
            )
        })
        .collect();
    p.note(format!(
        "Bundle {} (decided as a whole): {}",
        field(b),
        items.join(", ")
    ));
}
