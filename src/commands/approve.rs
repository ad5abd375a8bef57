//! `zt approve ID`: approve someone else's pending request. Shares [`decide`] with `zt deny`.

use crate::api::State;
use crate::cli::DecideArgs;
use crate::client::BrokerClient;
use crate::commands::Ctx;
use crate::error::Result;
use crate::output::human_secs;

pub async fn run(args: DecideArgs, ctx: &Ctx) -> Result<()> {
    decide("approve", args, ctx).await
}

/// Approve or deny (`verb`), then say what happened.
pub async fn decide(verb: &str, args: DecideArgs, ctx: &Ctx) -> Result<()> {
    let (client, _) = BrokerClient::for_profile(&ctx.profile).await?;
    let req = client.decide(&args.id, verb, args.comment).await?;
    let p = &ctx.printer;
    if p.json {
        p.json(&req);
    } else if verb == "approve" && req.state == State::Pending {
        // A decision that needs several approvers: this one was counted, others must follow.
        let needed = req.decision.approvals_needed();
        let missing = needed.saturating_sub(req.approvals.len() as u32);
        p.note(format!(
            "✓ Approval counted for {} ({} of {needed}): it waits for {} from {}",
            req.id,
            req.approvals.len(),
            match missing {
                1 => "one more approval".to_string(),
                n => format!("{n} more approvals"),
            },
            req.decision.approver_groups.join(" or ")
        ));
    } else {
        p.note(format!(
            "{} {}: {} may {} {}/{} ({}){}",
            if verb == "approve" {
                "✓ Approved"
            } else {
                "✗ Denied"
            },
            req.id,
            req.requester,
            if verb == "approve" { "use" } else { "not use" },
            req.resource,
            req.role,
            human_secs(req.ttl_secs as i64),
            req.reason
                .as_deref()
                .map(|r| format!(" — {r}"))
                .unwrap_or_default()
        ));
    }
    Ok(())
}
