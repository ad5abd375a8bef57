//! `zt request A B C` (each `RESOURCE` or `RESOURCE:ROLE`) and `zt request NAME` (a bundle of
//! the catalog): one request for several resources — one TTL, reason and ticket — decided by
//! policy per item and approved once (`POST /v1/bundles`). zt waits once for the whole bundle
//! (its pending items are decided together), then writes each granted item exactly as a single
//! grant (ledger, kubeconfig, AWS profile, pg service; wiped at its end) and prints one line
//! per item that was not granted. A bundle with a denied item writes the others and exits 3
//! (denied); one with pending items and `--no-wait` prints their ids and exits 0.

use crate::cli::RequestArgs;
use crate::client::BrokerClient;
use crate::commands::Ctx;
use crate::error::{Error, ErrorKind, Result};
use crate::grants;
use crate::output::field;
use zt_api::{self as api, BundleItem, State};
use zt_files::ids;

/// What the command line asks for, when it is a bundle.
pub(super) enum Ask {
    Items(Vec<BundleItem>),
    /// A bundle of the catalog, by name.
    Named(String),
}

/// A bundle when several resources are given, or one name that is a catalog bundle rather
/// than a resource; `None`: a single request, handled as before.
pub(super) fn wanted(args: &RequestArgs, catalog: Option<&api::Catalog>) -> Result<Option<Ask>> {
    match args.resources.as_slice() {
        [] => Ok(None),
        [one] => {
            if !api::valid_name(one) {
                return Ok(None);
            }
            let Some(catalog) = catalog else {
                return Ok(None);
            };
            let is_bundle = !catalog.resources.iter().any(|r| &r.name == one)
                && catalog.bundles.iter().any(|b| &b.name == one);
            if is_bundle && args.opts.role.is_some() {
                return Err(Error::usage(format!(
                    "{one} is a bundle of the catalog; --role does not apply to it"
                ))
                .with_hint("its items name their roles; see `zt catalog`"));
            }
            Ok(is_bundle.then(|| Ask::Named(one.clone())))
        }
        many => items(many, args.opts.role.is_some()).map(|i| Some(Ask::Items(i))),
    }
}

/// `RESOURCE` or `RESOURCE:ROLE`, each resource once.
fn items(args: &[String], role_flag: bool) -> Result<Vec<BundleItem>> {
    if role_flag {
        return Err(Error::usage("--role applies to one resource").with_hint(
            "for several, write RESOURCE:ROLE for each (zt request prod-k8s:edit prod-db)",
        ));
    }
    if args.len() > api::MAX_BUNDLE_ITEMS {
        return Err(Error::usage(format!(
            "a bundle has at most {} resources; this one has {}",
            api::MAX_BUNDLE_ITEMS,
            args.len()
        )));
    }
    let mut items: Vec<BundleItem> = Vec::with_capacity(args.len());
    for a in args {
        let (resource, role) = match a.split_once(':') {
            Some((res, role)) => (res, Some(role)),
            None => (a.as_str(), None),
        };
        if !api::valid_name(resource) || role.is_some_and(|r| !api::valid_name(r)) {
            return Err(
                Error::usage(format!("{:?} is not RESOURCE or RESOURCE:ROLE", field(a)))
                    .with_hint("names are letters, digits, '-', '_' and '.'; see `zt catalog`"),
            );
        }
        if items.iter().any(|i| i.resource == resource) {
            return Err(Error::usage(format!(
                "{} is named twice; ask for each resource once",
                field(resource)
            )));
        }
        items.push(BundleItem {
            resource: resource.to_owned(),
            role: role.map(str::to_owned),
        });
    }
    Ok(items)
}

pub(super) async fn run(
    ask: Ask,
    args: &RequestArgs,
    client: &BrokerClient,
    catalog: Option<&api::Catalog>,
    ctx: &Ctx,
) -> Result<()> {
    let p = &ctx.printer;
    let how = grants::How {
        use_context: args.use_context,
        static_keys: args.static_keys,
    };
    let o = &args.opts;
    let (items, name) = match ask {
        Ask::Items(items) => (items, None),
        Ask::Named(name) => (vec![], Some(name)),
    };
    // Refuse a file zt will not edit before anything is minted.
    if let Some(catalog) = catalog {
        let wanted: Vec<&str> = match &name {
            Some(n) => catalog
                .bundles
                .iter()
                .filter(|b| &b.name == n)
                .flat_map(|b| b.items.iter().map(|i| i.resource.as_str()))
                .collect(),
            None => items.iter().map(|i| i.resource.as_str()).collect(),
        };
        for r in catalog
            .resources
            .iter()
            .filter(|r| wanted.contains(&r.name.as_str()))
        {
            grants::preflight::check(r.kind, how)?;
        }
    }
    let body = api::CreateBundle {
        items,
        name,
        ttl_secs: o.ttl.as_secs(),
        reason: o.reason.clone(),
        ticket: o.ticket.clone(),
        break_glass: o.break_glass,
        context: super::client_context(),
        start_at: crate::schedule::start_at(o.start_at, o.start_in)?,
    };
    let mut bundle = client
        .create_bundle(&body, &ids::random_hex(16))
        .await
        .map_err(old_broker)?;
    let pending: Vec<api::Request> = bundle
        .requests
        .iter()
        .filter(|r| r.state == State::Pending)
        .cloned()
        .collect();
    if let Some(first) = pending.first() {
        if args.no_wait {
            // The granted items are written now; the pending ones wait for their approval.
            note_pending(ctx, &bundle);
            return finish(client, &bundle, how, ctx).await;
        }
        p.note(format!(
            "Bundle {} is approved as a whole; waiting for its {} pending item(s): {}.",
            field(&bundle.id),
            pending.len(),
            pending
                .iter()
                .map(|r| format!("{}/{}", field(&r.resource), field(&r.role)))
                .collect::<Vec<_>>()
                .join(", ")
        ));
        match super::wait::until_decided(client, first.clone(), o.timeout, ctx).await {
            Ok(_) => {}
            Err(e) if e.kind == ErrorKind::Cancelled => {
                withdraw_rest(client, first, &pending[1..], ctx).await;
                return Err(e);
            }
            Err(e) => return Err(e),
        }
        bundle = client.get_bundle(&bundle.id).await?;
    }
    finish(client, &bundle, how, ctx).await
}

/// An old broker has no `/v1/bundles`: say what to do instead.
fn old_broker(e: Error) -> Error {
    if e.kind == ErrorKind::NotFound && e.message.contains("no such endpoint") {
        return Error::new(
            ErrorKind::Other,
            "this broker does not take bundles (POST /v1/bundles)",
        )
        .with_hint("ask for each resource with its own `zt request`");
    }
    e
}

/// Ctrl-C while waiting withdrew (or kept) the first pending item: the others follow it.
async fn withdraw_rest(
    client: &BrokerClient,
    first: &api::Request,
    rest: &[api::Request],
    ctx: &Ctx,
) {
    let withdrawn = client
        .get_request(&first.id, None)
        .await
        .is_ok_and(|r| r.state == State::Cancelled);
    if !withdrawn {
        return;
    }
    for r in rest {
        match client.withdraw(&r.id).await {
            Ok(_) => ctx
                .printer
                .note(format!("Withdrew request {}.", field(&r.id))),
            Err(e) => ctx.printer.warn(&format!(
                "could not withdraw {}: {}",
                field(&r.id),
                e.message
            )),
        }
    }
}

/// `--no-wait`: who must approve the pending items, and where.
fn note_pending(ctx: &Ctx, bundle: &api::Bundle) {
    let p = &ctx.printer;
    if p.json {
        return;
    }
    if let Some(r) = bundle.requests.iter().find(|r| r.state == State::Pending) {
        p.note(format!(
            "Bundle {} is waiting for approval by {}; `zt status` shows it. Once approved, `zt request RESOURCE --role ROLE` writes each grant.",
            field(&bundle.id),
            super::wait::approvers(r),
        ));
        if let Some(l) = crate::commands::told::review_line(r) {
            p.note(l);
        }
    }
}

/// One line for an item not written here: `prod-db/readwrite  denied: reason (policy: x)`.
fn line(r: &api::Request) -> String {
    let what = format!("{}/{}", field(&r.resource), field(&r.role));
    match r.state {
        State::Denied => {
            let policies = if r.decision.policy_ids.is_empty() {
                String::new()
            } else {
                format!(" (policy: {})", field(&r.decision.policy_ids.join(", ")))
            };
            let by = r
                .decided_by
                .as_deref()
                .map(|b| format!(" by {}", field(b)))
                .unwrap_or_default();
            format!(
                "{what}\tdenied{by}: {}{policies}",
                field(&r.decision.reason)
            )
        }
        State::Pending => format!("{what}\tpending\t{}", field(&r.id)),
        State::Expired if r.not_before.is_none() => {
            format!("{what}\texpired: nobody approved it within the broker's review window")
        }
        other => format!("{what}\t{other}\t{}", field(&r.id)),
    }
}

/// Write each granted item like a single grant; a line for each other one. Denied items make
/// the command exit 3 once the granted ones are written; pending ones (`--no-wait`) do not.
async fn finish(
    client: &BrokerClient,
    bundle: &api::Bundle,
    how: grants::How,
    ctx: &Ctx,
) -> Result<()> {
    let p = &ctx.printer;
    let mut failed: Option<Error> = None;
    let mut refused = Vec::new();
    for r in &bundle.requests {
        if r.state.is_live() {
            // Approved ahead of its start: written then, by zt's background reaper.
            let done = if r.is_scheduled_ahead(api::Timestamp::now()) {
                crate::commands::scheduled::report(r, &ctx.profile, how, p)
            } else {
                grants::materialize(client, r, &ctx.profile, how, true, p).await
            };
            // The others are still written; the first failure is the command's error.
            if let Err(e) = done {
                match failed {
                    None => failed = Some(e),
                    Some(_) => p.error(&e),
                }
            }
            continue;
        }
        if p.json {
            p.json(r);
        } else {
            p.out(line(r));
        }
        if r.state != State::Pending {
            refused.push(format!("{}/{}", field(&r.resource), field(&r.role)));
        }
    }
    if let Some(e) = failed {
        return Err(e);
    }
    if refused.is_empty() {
        return Ok(());
    }
    let denied = bundle.requests.iter().any(|r| r.state == State::Denied);
    let kind = if denied {
        ErrorKind::Denied
    } else {
        ErrorKind::GrantEnded
    };
    Err(Error::new(
        kind,
        format!(
            "{} of the {} items of bundle {} were not granted: {}",
            refused.len(),
            bundle.requests.len(),
            field(&bundle.id),
            refused.join(", ")
        ),
    ))
}
