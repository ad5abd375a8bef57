//! `zt request`: ask, wait for the decision (long-poll, a spinner on stderr, Ctrl-C offers to
//! withdraw), fetch the credential, write it where the tools look, and leave a ledger entry so
//! it is wiped when the grant ends.

use std::time::{Duration, Instant};

use crate::api::{self, State};
use crate::cli::{RequestArgs, RequestOpts};
use crate::client::BrokerClient;
use crate::commands::Ctx;
use crate::error::{Error, ErrorKind, Result};
use crate::output::field;
use crate::{grants, ids, prompt};

pub async fn run(args: RequestArgs, ctx: &Ctx) -> Result<()> {
    let (client, _) = BrokerClient::for_profile(&ctx.profile).await?;
    let Some(req) = obtain(&args.resource, &args.opts, args.no_wait, &client, ctx).await? else {
        return Ok(());
    };
    let how = grants::How {
        use_context: args.use_context,
        static_keys: args.static_keys,
    };
    grants::materialize(&client, &req, &ctx.profile, how, &ctx.printer).await
}

/// Ask for `resource` and wait for the decision. `Ok(None)`: still pending and `no_wait`
/// (already reported). A denial is an error with its own exit code.
pub async fn obtain(
    resource: &str,
    opts: &RequestOpts,
    no_wait: bool,
    client: &BrokerClient,
    ctx: &Ctx,
) -> Result<Option<api::Request>> {
    let p = &ctx.printer;
    if !api::valid_name(resource) {
        return Err(Error::usage(format!("{resource:?} is not a resource name"))
            .with_hint("names are letters, digits, '-', '_' and '.'; see `zt catalog`"));
    }
    if let Some(r) = opts.role.as_deref().filter(|r| !api::valid_name(r)) {
        return Err(Error::usage(format!("{r:?} is not a role name"))
            .with_hint("see `zt catalog` for the roles"));
    }
    let body = api::CreateRequest {
        resource: resource.to_string(),
        role: opts.role.clone(),
        ttl_secs: opts.ttl.as_secs(),
        reason: opts.reason.clone(),
        ticket: opts.ticket.clone(),
        break_glass: opts.break_glass,
        context: client_context(),
    };
    let mut req = client.create_request(&body, &ids::random_hex(16)).await?;
    if req.state == State::Pending {
        if no_wait {
            report_pending(ctx, &req)?;
            return Ok(None);
        }
        req = wait(client, req, opts.timeout, ctx).await?;
    }
    match req.state {
        State::Approved | State::Active => Ok(Some(req)),
        State::Denied => {
            let by = req
                .decided_by
                .as_deref()
                .map(|b| format!(" by {}", field(b)))
                .unwrap_or_default();
            let policies = if req.decision.policy_ids.is_empty() {
                String::new()
            } else {
                format!(" (policy: {})", field(&req.decision.policy_ids.join(", ")))
            };
            // The approver's comment, when one denied it: the requester's answer to "why?".
            let comment = req
                .decision_comment
                .as_deref()
                .map(|c| format!("; comment: {}", field(c)))
                .unwrap_or_default();
            if p.json {
                p.json(&req);
            }
            Err(Error::new(
                ErrorKind::Denied,
                format!(
                    "{}/{} was denied{by}: {}{policies}{comment}",
                    field(&req.resource),
                    field(&req.role),
                    field(&req.decision.reason)
                ),
            ))
        }
        // Never granted: nobody decided it within the broker's review window.
        State::Expired if req.not_before.is_none() => {
            if p.json {
                p.json(&req);
            }
            Err(Error::new(
                ErrorKind::GrantEnded,
                format!(
                    "request {} for {}/{} expired: nobody approved it within the broker's review window",
                    field(&req.id), field(&req.resource), field(&req.role)
                ),
            )
            .with_hint(format!(
                "ask an approver first, then `zt request {} --role {}` again",
                field(&req.resource), field(&req.role)
            )))
        }
        other => Err(Error::new(
            ErrorKind::Other,
            format!("request {} is {other}", field(&req.id)),
        )),
    }
}

fn report_pending(ctx: &Ctx, req: &api::Request) -> Result<()> {
    let p = &ctx.printer;
    if p.json {
        p.json(req);
    } else {
        let (id, res, role) = (field(&req.id), field(&req.resource), field(&req.role));
        p.out(&id);
        p.note(format!(
            "Request {id} for {res}/{role} is waiting for approval by {}. `zt status` shows it; `zt request {res} --role {role}` again picks it up once approved.",
            approvers(req)
        ));
    }
    Ok(())
}

/// Who must still approve: "a member of sre-leads", "2 different members of sre-leads".
fn approvers(req: &api::Request) -> String {
    let missing = req
        .decision
        .approvals_needed()
        .saturating_sub(req.approvals.len() as u32)
        .max(1);
    let who = match missing {
        1 => "a member".to_string(),
        n => format!("{n} different members"),
    };
    if req.decision.approver_groups.is_empty() {
        if missing == 1 {
            "an approver".into()
        } else {
            format!("{missing} different approvers")
        }
    } else {
        format!(
            "{who} of {}",
            field(&req.decision.approver_groups.join(" or "))
        )
    }
}

/// Long-poll until the request leaves `pending`, the timeout passes, or the user presses Ctrl-C.
async fn wait(
    client: &BrokerClient,
    mut req: api::Request,
    timeout: Option<Duration>,
    ctx: &Ctx,
) -> Result<api::Request> {
    let p = &ctx.printer;
    let start = Instant::now();
    p.note(format!(
        "Request {} for {}/{} needs approval by {} ({}).",
        field(&req.id),
        field(&req.resource),
        field(&req.role),
        approvers(&req),
        if req.decision.reason.is_empty() {
            "policy".into()
        } else {
            field(&req.decision.reason)
        }
    ));
    let spinner = p.spinner(&format!("Waiting for approval of {}", field(&req.id)));
    let outcome = loop {
        let left = timeout.map(|t| t.saturating_sub(start.elapsed()));
        if left == Some(Duration::ZERO) {
            break Err(Error::new(
                ErrorKind::Pending,
                format!("request {} is still pending", req.id),
            )
            .with_hint(format!(
                "it stays open; `zt status` shows it, `zt revoke {}` withdraws it",
                req.id
            )));
        }
        let wait = left
            .unwrap_or(Duration::from_secs(25))
            .min(Duration::from_secs(25))
            .max(Duration::from_secs(1));
        tokio::select! {
            r = client.get_request(&req.id, Some(wait)) => {
                match r {
                    Ok(r) if r.state != State::Pending => break Ok(r),
                    Ok(r) => req = r,
                    // A broker restart or a network blip: keep waiting, a little slower.
                    Err(e) if e.kind == ErrorKind::Unavailable => tokio::time::sleep(Duration::from_secs(2)).await,
                    Err(e) => break Err(e),
                }
            }
            _ = tokio::signal::ctrl_c() => {
                if let Some(s) = &spinner { s.finish_and_clear(); }
                break Err(interrupted(client, &req, ctx).await);
            }
        }
    };
    if let Some(s) = spinner {
        s.finish_and_clear();
    }
    let r = outcome?;
    if r.state.is_live() {
        p.note(format!(
            "✓ Approved by {}.",
            field(r.decided_by.as_deref().unwrap_or("policy"))
        ));
    }
    Ok(r)
}

/// Ctrl-C while waiting: ask whether to withdraw; without a terminal, withdraw.
async fn interrupted(client: &BrokerClient, req: &api::Request, ctx: &Ctx) -> Error {
    let withdraw =
        prompt::confirm(&format!("\nWithdraw request {}?", req.id), true).unwrap_or(true);
    if withdraw {
        match client.withdraw(&req.id).await {
            Ok(_) => ctx.printer.note(format!("Withdrew request {}.", req.id)),
            Err(e) => ctx
                .printer
                .warn(&format!("could not withdraw {}: {}", req.id, e.message)),
        }
    } else {
        ctx.printer.note(format!(
            "Request {} stays open; `zt status` shows it.",
            req.id
        ));
    }
    Error::new(ErrorKind::Cancelled, "cancelled")
}

fn client_context() -> api::ClientContext {
    let hostname = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_string())
        .or_else(|_| std::env::var("HOSTNAME"))
        .unwrap_or_default();
    api::ClientContext {
        client_version: env!("CARGO_PKG_VERSION").into(),
        hostname,
        platform: format!("{}-{}", std::env::consts::OS, std::env::consts::ARCH),
    }
}
