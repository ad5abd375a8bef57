//! `zt approve [ID]`: approve someone else's pending request (no id: pick from the inbox).
//! Shares [`decide`] with `zt deny`.

use crate::cli::DecideArgs;
use crate::client::BrokerClient;
use crate::commands::Ctx;
use crate::error::{Error, ErrorKind, Result};
use crate::output::{Printer, field, human_ttl};
use crate::{ask, prompt};
use zt_api::State;

pub(super) async fn run(args: DecideArgs, ctx: &Ctx) -> Result<()> {
    decide("approve", args, ctx).await
}

/// Approve or deny (`verb`), then say what happened.
pub(super) async fn decide(verb: &str, args: DecideArgs, ctx: &Ctx) -> Result<()> {
    let client = match BrokerClient::for_profile(&ctx.profile).await {
        Ok((c, _)) => c,
        // A script missing the argument hears that first, logged in or not.
        Err(_) if args.id.is_none() && !prompt::can_prompt() => {
            return Err(ask::inbox::missing(verb, None));
        }
        Err(e) => return Err(e),
    };
    // No id: a picker over the inbox on a terminal, a usage error listing the ids in a script.
    let id = match args.id {
        Some(id) => id,
        None => ask::inbox::pick(verb, &client).await?,
    };
    let comment = match verb {
        "deny" => ask::inbox::deny_comment(args.comment)?,
        _ => args.comment,
    };
    let p = &ctx.printer;
    let (req, said) = match client.decide(&id, verb, comment).await {
        // The broker's passkey-required: this approval is given on the review page.
        Err(e) if verb == "approve" && e.kind == ErrorKind::Pending => {
            return Err(review_instead(&client, &id, e, p).await);
        }
        other => other?,
    };
    let (id, requester) = (field(&req.id), field(&req.requester));
    let what = field(&format!("{}/{}", req.resource, req.role));
    if p.json {
        p.json(&req);
    } else if verb == "approve" && req.state == State::Pending {
        // A decision that needs several approvers: this one was counted (now or before),
        // others must follow.
        let needed = req.decision.approvals_needed();
        let missing = needed.saturating_sub(req.approvals.len() as u32);
        let head = if said.as_deref() == Some("already-counted") {
            format!("Your approval of {id} was already counted")
        } else {
            format!("✓ Approval counted for {id}")
        };
        p.note(format!(
            "{head} ({} of {needed}): it waits for {} from {}",
            req.approvals.len(),
            match missing {
                1 => "one more approval".to_string(),
                n => format!("{n} more approvals"),
            },
            field(&req.decision.approver_groups.join(" or "))
        ));
    } else {
        let reason = req
            .reason
            .as_deref()
            .map(|r| format!(" — {}", field(r)))
            .unwrap_or_default();
        let ttl = human_ttl(req.ttl_secs);
        if verb == "approve" {
            p.note(format!(
                "✓ Approved {id}: {requester} may use {what} ({ttl}){reason}"
            ));
        } else {
            let by = field(req.decided_by.as_deref().unwrap_or("you"));
            p.note(format!(
                "✗ Denied {id} by {by}: {requester} may not use {what} ({ttl}){reason}"
            ));
        }
        super::bundles::note_decided(&client, &req, p).await;
    }
    Ok(())
}

/// A request whose policy wants a passkey's approval (`@approval_assurance("passkey")`): not
/// approved here. The review link goes to stdout (alone on its line, for scripts; under
/// `--json` in the error's hint), and the error — exit 5, the request still pending — says to
/// open it.
async fn review_instead(client: &BrokerClient, id: &str, e: Error, p: &Printer) -> Error {
    let link = match client.get_request(id, None).await {
        Ok(req) => super::told::review_link(&req),
        Err(_) => None,
    };
    let shown = field(id);
    let message = format!(
        "request {shown} needs an approval confirmed with a passkey: it was not approved here"
    );
    match link {
        Some(link) => {
            if !p.json {
                p.out(&link);
            }
            Error::new(ErrorKind::Pending, message).with_hint(format!(
                "open {link} in a browser and approve it there with your passkey"
            ))
        }
        None => Error::new(ErrorKind::Pending, message).with_hint(
            e.hint
                .unwrap_or_else(|| "approve it on its review page, with your passkey".into()),
        ),
    }
}
