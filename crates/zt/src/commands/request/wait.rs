//! Waiting for a decision: the long-poll with a spinner on stderr, retried for a bounded time
//! while the broker cannot be reached, and Ctrl-C offering to withdraw the request.

use std::time::{Duration, Instant};

use crate::client::BrokerClient;
use crate::commands::Ctx;
use crate::env;
use crate::error::{Error, ErrorKind, Result};
use crate::output::{field, human_secs};
use crate::prompt;
use zt_api::{self as api, State};

/// Who must still approve: "a member of sre-leads", "2 different members of sre-leads".
pub(super) fn approvers(req: &api::Request) -> String {
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
pub(super) async fn until_decided(
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
    // The link to pass on to an approver (people only: `--json` has it in the request).
    if let Some(line) = crate::commands::told::review_line(&req).filter(|_| !p.json) {
        p.note(line);
    }
    let spinner = p.spinner(&format!("Waiting for approval of {}", field(&req.id)));
    let give_up = retry_limit();
    // Since when the broker has not answered, and whether the person was told.
    let mut down: Option<(Instant, bool)> = None;
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
                if r.is_ok() && down.take().is_some_and(|(_, told)| told) {
                    say(&spinner, || p.note(format!("Broker reachable again; still waiting for {}.", req.id)));
                }
                match r {
                    Ok(r) if r.state != State::Pending => break Ok(r),
                    Ok(r) => req = r,
                    // A broker restart or a network blip: keep waiting, a little slower — for
                    // a bounded time, saying so after a few seconds.
                    Err(e) if e.kind == ErrorKind::Unavailable => {
                        let (since, told) = down.get_or_insert((Instant::now(), false));
                        if since.elapsed() >= give_up {
                            break Err(gave_up(&req, since.elapsed(), e));
                        }
                        if !*told && since.elapsed() >= RETRY_NOTICE {
                            *told = true;
                            say(&spinner, || p.note(format!(
                                "broker unreachable, retrying… (request {}; zt gives up after {})",
                                req.id,
                                human_secs(give_up.as_secs() as i64)
                            )));
                        }
                        let pause = Duration::from_secs(2).min(give_up.saturating_sub(since.elapsed()));
                        tokio::time::sleep(pause.max(Duration::from_millis(100))).await
                    }
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

/// Say after this long that the broker does not answer.
const RETRY_NOTICE: Duration = Duration::from_secs(3);

/// How long a waiting `zt request` keeps retrying a broker it cannot reach: 5 minutes, or
/// `ZT_BROKER_RETRY_SECS`.
fn retry_limit() -> Duration {
    let secs = env::var(env::ZT_BROKER_RETRY_SECS)
        .and_then(|s| s.parse::<u64>().ok())
        .unwrap_or(300);
    Duration::from_secs(secs)
}

fn gave_up(req: &api::Request, after: Duration, e: Error) -> Error {
    Error::new(
        ErrorKind::Unavailable,
        format!(
            "gave up waiting for request {}: the broker has not answered for {} ({})",
            req.id,
            human_secs(after.as_secs() as i64),
            e.message
        ),
    )
    .with_hint(format!(
        "the request stays open at the broker; `zt request {} --role {}` again resumes waiting for {} (`zt status` shows it)",
        req.resource, req.role, req.id
    ))
}

/// A note on stderr without tearing the spinner.
fn say(spinner: &Option<indicatif::ProgressBar>, f: impl FnOnce()) {
    match spinner {
        Some(s) => s.suspend(f),
        None => f(),
    }
}

/// Ctrl-C while waiting: ask whether to withdraw; without a terminal, withdraw.
async fn interrupted(client: &BrokerClient, req: &api::Request, ctx: &Ctx) -> Error {
    let withdraw = prompt::confirm(&format!("Withdraw request {}?", req.id), true).unwrap_or(true);
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
