//! `zt inbox`: the pending requests the caller may approve.

use crate::client::BrokerClient;
use crate::commands::Ctx;
use crate::error::Result;
use crate::output::human_secs;

pub async fn run(ctx: &Ctx) -> Result<()> {
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
    for r in &list.requests {
        p.out(format!(
            "{:<17} {:<20} {:<22} {:>8} {:>9}  {}{}",
            r.id,
            r.requester,
            format!("{}/{}", r.resource, r.role),
            human_secs(r.ttl_secs as i64),
            format!("{}/{}", r.approvals.len(), r.decision.approvals_needed()),
            r.reason.as_deref().unwrap_or("-"),
            r.ticket
                .as_deref()
                .map(|t| format!(" [{t}]"))
                .unwrap_or_default()
        ));
    }
    p.note("Approve with `zt approve ID`, deny with `zt deny ID`.");
    Ok(())
}
