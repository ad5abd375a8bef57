//! `zt-broker dev`: the embedded default, so the main job runs on a fresh machine — one
//! process on loopback with SQLite, the dev IdP, the demo catalog and dev issuers.
//! [`run`] in the foreground, [`detach`] into the background, [`stop`] it again;
//! [`wire`] builds the broker (shared with the tests); [`statefile`] is `dev-broker.json`.
//! What only a demo has lives here too: [`idp`] the development OpenID provider, [`k8s`] the
//! tiny Kubernetes API for kubectl, [`issuers`] the development issuers, [`demo`] the demo
//! catalog and policies. Production code never imports from this module ([`fence`] checks);
//! this module imports from production freely.

pub mod demo;
pub mod detach;
#[cfg(test)]
mod fence;
pub mod idp;
pub mod issuers;
pub mod k8s;
pub mod oncall;
pub mod run;
pub mod statefile;
pub mod stop;
pub mod wire;

use std::future::Future;
use std::path::Path;

use crate::cli::{DevAction, DevArgs};
use crate::error::Result;

/// Run `zt-broker dev [stop]`. `state_dir` holds `dev-broker.json` and the detached log;
/// `shutdown` ends a foreground broker (the binary passes [`crate::serve::signals`]).
pub async fn main(
    args: DevArgs,
    state_dir: &Path,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<()> {
    match args.action {
        Some(DevAction::Stop) => stop::run(state_dir).await,
        None if args.detach => detach::run(&args, state_dir).await,
        None => run::run(&args, state_dir, shutdown).await,
    }
}
