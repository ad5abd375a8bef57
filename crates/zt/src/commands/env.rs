//! `zt env GRANT [--shell S]`: shell exports of a grant's credentials, for `eval`.

use crate::cli::EnvArgs;
use crate::commands::{Ctx, credential};
use crate::credenv;
use crate::error::Result;
use crate::grants;
use zt_api::Credential;

pub(super) async fn run(args: EnvArgs, ctx: &Ctx) -> Result<()> {
    let cached = credential::live(&args.grant, ctx).await?;
    // kubectl needs a file: a kubeconfig of its own for this grant (exec plugin, no token),
    // in the ledger so it is wiped with the grant.
    let kubeconfig = match &cached.credential {
        Credential::Kubernetes { .. } => Some(grants::standalone_kubeconfig(
            &args.grant,
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
