//! `zt inbox`: the pending requests the caller may approve.

use crate::client::BrokerClient;
use crate::commands::Ctx;
use crate::error::Result;
use crate::output::{field, human_ttl};

pub(super) async fn run(ctx: &Ctx) -> Result<()> {
    let (client, _) = BrokerClient::for_profile(&ctx.profile).await?;
    let list = client.list_requests("state=pending&approver=me").await?;
    let p = &ctx.printer;
    if p.json {
        p.json(&list);
        return Ok(());
    }
    if list.requests.is_empty() {
        p.note("Nothing waits for your approval.");
        return Ok(());
    }
    p.out(format!(
        "{:<17} {:<20} {:<22} {:>8} {:>9}  {}",
        "ID", "REQUESTER", "RESOURCE/ROLE", "TTL", "APPROVALS", "REASON"
    ));
    for (r, bundle) in &super::bundles::inbox_entries(&client, &list.requests).await {
        p.out(format!(
            "{:<17} {:<20} {:<22} {:>8} {:>9}  {}{}",
            field(&r.id),
            field(&r.requester),
            field(&format!("{}/{}", r.resource, r.role)),
            human_ttl(r.ttl_secs),
            format!("{}/{}", r.approvals.len(), r.decision.approvals_needed()),
            field(r.reason.as_deref().unwrap_or("-")),
            r.ticket
                .as_deref()
                .map(|t| format!(" [{}]", field(t)))
                .unwrap_or_default()
                // When it would start, for a request asked ahead (`--start-at`).
                + &crate::schedule::clock_words(r)
                    .map(|c| format!(" — {c}"))
                    .unwrap_or_default()
        ));
        if let (Some(items), Some(b)) = (bundle, r.bundle_id.as_deref()) {
            for line in super::bundles::item_lines(b, items) {
                p.out(line);
            }
        }
    }
    p.note("Approve with `zt approve ID`, deny with `zt deny ID`.");
    Ok(())
}
