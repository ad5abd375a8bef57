//! `zt env GRANT|RESOURCE [--shell S]`: shell exports of a grant's credentials, for `eval`.

use crate::cli::EnvArgs;
use crate::commands::{Ctx, credential};
use crate::error::{Error, ErrorKind, Result};
use crate::{ask, credenv, grants, ssh};
use zt_api::Credential;

pub(super) async fn run(args: EnvArgs, ctx: &Ctx) -> Result<()> {
    let broker = ask::target::Broker::new(&ctx.profile);
    let wanted = ask::target::Wanted {
        target: &args.grant,
        role: None,
        pending_too: false,
        min_left_secs: 0,
        command: "env",
    };
    // No live grant matches: try it as the id of one (over, or not on this machine), which
    // says "it is over" (exit 6) rather than "no such grant" when that is the truth.
    let grant = match ask::target::resolve(&wanted, &broker, ctx).await? {
        Some(g) => g,
        None => args.grant.clone(),
    };
    // (Errors here are left to the credential fetch below, which explains them.)
    let is_ssh = match ssh::obtain::known_ssh(&grant) {
        Some(known) => known,
        None => match broker.get().await {
            Ok(client) => matches!(ssh::obtain::is_ssh(&grant, client).await, Ok(true)),
            Err(_) => false,
        },
    };
    if is_ssh {
        return Err(Error::usage(
            "an SSH grant has no environment to print: its key stays in zt's files and agents",
        )
        .with_hint(
            "use `ssh zt-RESOURCE` (what `zt request` wrote) or `zt exec RESOURCE -- ssh …`",
        ));
    }
    let cached = match credential::live(&grant, ctx).await {
        Err(e) if e.kind == ErrorKind::NotFound && grant == args.grant => {
            return Err(ask::target::not_found(&args.grant, &broker).await);
        }
        other => other?,
    };
    // kubectl needs a file: a kubeconfig of its own for this grant (exec plugin, no token),
    // in the ledger so it is wiped with the grant.
    let kubeconfig = match &cached.credential {
        Credential::Kubernetes { .. } => Some(grants::standalone_kubeconfig(
            &grant,
            &cached,
            &ctx.profile,
            None,
        )?),
        _ => None,
    };
    let vars = credenv::vars(&cached.credential, kubeconfig.as_deref());
    if ctx.printer.json {
        let map: serde_json::Map<String, serde_json::Value> = vars
            .into_iter()
            .map(|(k, v)| (k, serde_json::Value::String(v)))
            .collect();
        ctx.printer.json(&map);
        return Ok(());
    }
    ctx.printer
        .out(credenv::render(&vars, args.shell).trim_end());
    Ok(())
}
