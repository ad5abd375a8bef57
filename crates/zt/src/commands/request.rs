//! `zt request`: ask, wait for the decision (long-poll, a spinner on stderr, Ctrl-C offers to
//! withdraw), fetch the credential, write it where the tools look, and leave a ledger entry so
//! it is wiped when the grant ends.

use crate::cli::{RequestArgs, RequestOpts};
use crate::client::BrokerClient;
use crate::commands::Ctx;
use crate::error::{Error, ErrorKind, Result};
use crate::output::field;
use crate::{ask, grants, prompt};
use zt_api::{self as api, State};
use zt_files::ids;

mod bundle;
mod wait;

pub(super) async fn run(mut args: RequestArgs, ctx: &Ctx) -> Result<()> {
    let client = match BrokerClient::for_profile(&ctx.profile).await {
        Ok((c, _)) => c,
        // A script missing the argument hears that first, logged in or not.
        Err(_) if args.resources.is_empty() && !prompt::can_prompt() => {
            return Err(ask::resource::missing(None));
        }
        Err(e) => return Err(e),
    };
    // The catalog, once: whether a name is a bundle, and each resource's kind for preflight.
    let mut catalog = if args.resources.is_empty() {
        None
    } else {
        client.catalog().await.ok()
    };
    // Several resources, or a catalog bundle's name: one bundle (see `bundle`).
    if let Some(ask) = bundle::wanted(&args, catalog.as_ref())? {
        return bundle::run(ask, &args, &client, catalog.as_ref(), ctx).await;
    }
    // No resource: a picker on a terminal (then role and reason), a usage error in a script.
    let resource = match args.resources.pop() {
        Some(r) => r,
        None => {
            let o = &mut args.opts;
            let picked =
                ask::resource::pick(&client, o.role.as_deref(), o.reason.as_deref()).await?;
            (o.role, o.reason) = (picked.role, picked.reason);
            catalog = client.catalog().await.ok();
            picked.resource
        }
    };
    let how = grants::How {
        use_context: args.use_context,
        static_keys: args.static_keys,
    };
    // Refuse a file zt will not edit before anything is minted (an unknown resource is the
    // broker's to refuse, below).
    let kind = catalog
        .iter()
        .flat_map(|c| &c.resources)
        .find(|r| r.name == resource)
        .map(|r| r.kind);
    if let Some(kind) = kind {
        grants::preflight::check(kind, how)?;
    }
    let Some((req, was_live)) = obtain(&resource, &args.opts, args.no_wait, &client, ctx).await?
    else {
        return Ok(());
    };
    if grants::already_granted(&req, &ctx.profile, how, &ctx.printer)? {
        return Ok(());
    }
    // Approved ahead of its start: written then, by zt's background reaper.
    if req.is_scheduled_ahead(api::Timestamp::now()) {
        return super::scheduled::report(&req, &ctx.profile, how, &ctx.printer);
    }
    // A failed write revokes the grant, unless it was live before this command (it may be in
    // use elsewhere, e.g. on another machine).
    grants::materialize(&client, &req, &ctx.profile, how, !was_live, &ctx.printer).await
}

/// Ask for `resource` (or pick up your open request or live grant that covers it) and wait for
/// the decision: the grant, and whether it was live before this command. `Ok(None)`: still
/// pending and `no_wait` (already reported). A denial is an error with its own exit code.
pub(super) async fn obtain(
    resource: &str,
    opts: &RequestOpts,
    no_wait: bool,
    client: &BrokerClient,
    ctx: &Ctx,
) -> Result<Option<(api::Request, bool)>> {
    let p = &ctx.printer;
    if !api::valid_name(resource) {
        return Err(Error::usage(format!("{resource:?} is not a resource name"))
            .with_hint("names are letters, digits, '-', '_' and '.'; see `zt catalog`"));
    }
    if let Some(r) = opts.role.as_deref().filter(|r| !api::valid_name(r)) {
        return Err(Error::usage(format!("{r:?} is not a role name"))
            .with_hint("see `zt catalog` for the roles"));
    }
    let mut body = api::CreateRequest {
        resource: resource.to_string(),
        role: opts.role.clone(),
        ttl_secs: opts.ttl.as_secs(),
        reason: opts.reason.clone(),
        ticket: opts.ticket.clone(),
        break_glass: opts.break_glass,
        context: client_context(),
        start_at: crate::schedule::start_at(opts.start_at, opts.start_in)?,
    };
    let ask = grants::reuse::Ask {
        resource,
        role: opts.role.as_deref(),
        ttl_secs: body.ttl_secs,
        break_glass: opts.break_glass,
    };
    // A start later than now is a new request: nothing open or live answers it.
    let found = match body.start_at {
        Some(_) => None,
        None => grants::reuse::find(client, &ask, &ctx.profile).await?,
    };
    let was_live = found.as_ref().is_some_and(|r| r.state.is_live());
    let mut req = match found {
        Some(r) => {
            if r.state == State::Pending && !no_wait {
                p.note(format!(
                    "Request {} for {}/{} is already open; waiting for it instead of asking again.",
                    r.id, r.resource, r.role
                ));
            }
            r
        }
        None => create(client, &mut body).await?,
    };
    if req.state == State::Pending {
        if no_wait {
            report_pending(ctx, &req)?;
            return Ok(None);
        }
        req = wait::until_decided(client, req, opts.timeout, ctx).await?;
    }
    match req.state {
        State::Approved | State::Active => Ok(Some((req, was_live))),
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
            // The approver's comment, when one denied it: the requester's answer to "why?",
            // on lines of its own.
            let comment = super::told::comment_block(&req);
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

/// Ask the broker. An unknown resource or role gets the nearest names; a refusal for want of a
/// reason asks for one on a terminal and asks the broker once more.
async fn create(client: &BrokerClient, body: &mut api::CreateRequest) -> Result<api::Request> {
    let req = match client.create_request(body, &ids::random_hex(16)).await {
        Ok(r) => r,
        Err(e) => {
            let role = body.role.as_deref();
            return Err(ask::resource::explain_unknown(e, client, &body.resource, role).await);
        }
    };
    let wants_reason = req.state == State::Denied
        && body.reason.is_none()
        && ask::resource::refusal_wants_reason(&req.decision.reason);
    if !wants_reason {
        return Ok(req);
    }
    match ask::resource::reason_after_refusal(&req.decision.reason)? {
        Some(reason) => {
            body.reason = Some(reason);
            client.create_request(body, &ids::random_hex(16)).await
        }
        None => Ok(req),
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
            wait::approvers(req)
        ));
        if let Some(line) = super::told::review_line(req) {
            p.note(line);
        }
    }
    Ok(())
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
