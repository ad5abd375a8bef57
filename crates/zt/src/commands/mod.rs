//! One subcommand, one file, one `run`. [`dispatch`] picks the file; [`Ctx`] carries what every
//! command needs (the profile and the printer).

mod approve;
mod bundles;
mod catalog;
pub(crate) mod completions;
pub(crate) mod credential;
mod deny;
mod doctor;
mod env;
mod exec;
mod extend;
mod inbox;
mod login;
mod logout;
mod man;
pub(crate) mod prompt;
mod reap;
mod request;
mod revoke;
mod scheduled;
mod status;
mod told;
mod whoami;

use crate::cli::{Command, CredentialCommand};
use crate::error::Result;
use crate::output::Printer;

pub struct Ctx {
    pub profile: String,
    pub printer: Printer,
    /// What the sweep before this command removed (a credential helper reports these grants
    /// as ended rather than asking the broker).
    pub swept: Vec<crate::ledger::Entry>,
}

pub async fn dispatch(command: Command, ctx: &Ctx) -> Result<()> {
    match command {
        Command::Login(a) => login::run(a, ctx).await,
        Command::Logout(a) => logout::run(a, ctx).await,
        Command::Whoami => whoami::run(ctx).await,
        Command::Doctor => doctor::run(ctx).await,
        Command::Catalog => catalog::run(ctx).await,
        Command::Request(a) => request::run(a, ctx).await,
        Command::Env(a) => env::run(a, ctx).await,
        Command::Exec(a) => exec::run(a, ctx).await,
        Command::Approve(a) => approve::run(a, ctx).await,
        Command::Deny(a) => deny::run(a, ctx).await,
        Command::Inbox => inbox::run(ctx).await,
        Command::Status(a) => status::run(a, ctx).await,
        // Reached only when the fast path (`crate::quick`) did not take it: the profile given.
        Command::Prompt => {
            prompt::run(ctx.printer.json, Some(&ctx.profile));
            Ok(())
        }
        Command::Revoke(a) => revoke::run(a, ctx).await,
        Command::Extend(a) => extend::run(a, ctx).await,
        Command::Credential(CredentialCommand::Kube(a)) => credential::kube(a, ctx).await,
        Command::Credential(CredentialCommand::Aws(a)) => credential::aws(a, ctx).await,
        Command::Reap(a) => reap::run(a, ctx).await,
        Command::Completions(a) => completions::run(a),
        Command::Man(a) => man::run(a),
    }
}

/// Whether a command should sweep expired entries before it runs.
pub fn sweeps_first(command: &Command) -> bool {
    !matches!(
        command,
        Command::Completions(_) | Command::Man(_) | Command::Reap(_) | Command::Prompt
    )
}

pub use completions::target as completion_target;
