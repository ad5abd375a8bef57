//! Every clap definition of `zt`. These structs only describe: the first `///` line is the
//! short help, the paragraph after it the long help. Nothing here acts.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};
use clap_complete::engine::ArgValueCandidates;

use crate::env;

mod values;
pub use values::{parse_duration, parse_id};

/// Just-in-time privileged access from the terminal.
///
/// Ask for exactly the access you need, for as long as you need it, with a reason. zt writes
/// the credentials where kubectl, the AWS CLI and psql look for them, and wipes them again
/// when the time is up.
#[derive(Debug, Parser)]
#[command(name = "zt", version, propagate_version = true, max_term_width = 100)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Which broker login to use (several can live side by side).
    #[arg(long, global = true, env = env::ZT_PROFILE, default_value = "default", value_name = "NAME",
        add = ArgValueCandidates::new(crate::complete::profiles))]
    pub profile: String,

    /// Print machine-readable JSON on stdout instead of text.
    #[arg(long, global = true)]
    pub json: bool,

    /// On an error, also print what caused it (the chain of underlying errors).
    ///
    /// Under the message, one `caused by:` line per cause; with --json, a `causes` array in
    /// the error object. The exit code does not change.
    #[arg(long, global = true)]
    pub verbose: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Log in to a broker with your organisation's single sign-on.
    ///
    /// Uses the OAuth 2.0 device authorization grant (RFC 8628): zt shows a code and a URL,
    /// you confirm it in a browser (on any device), and zt stores the tokens in the OS keyring.
    Login(LoginArgs),
    /// Forget the stored tokens of this profile, revoke its live grants and wipe what they
    /// left on this machine.
    Logout(LogoutArgs),
    /// Show who the broker thinks you are.
    Whoami,
    /// Check the setup: profile, broker, identity provider, token store, files, reaper.
    Doctor,
    /// List what you may request.
    Catalog,
    /// Request access to a resource, wait for the decision, and write the credentials.
    ///
    /// Policy grants at once or waits for an approver. Once granted, zt writes a kubeconfig
    /// context `zt-<resource>` (an AWS profile, a PostgreSQL service) that your tools pick up,
    /// and removes it again when the TTL runs out.
    Request(RequestArgs),
    /// Print shell exports for a grant's credentials (`eval "$(zt env GRANT)"`).
    Env(EnvArgs),
    /// Run a command with a grant's credentials in its environment only — nothing on disk.
    ///
    /// Signals are passed to the command and zt exits with its status. Given a resource with
    /// no live grant, zt requests one first.
    Exec(ExecArgs),
    /// Approve someone else's pending request.
    Approve(DecideArgs),
    /// Deny someone else's pending request.
    Deny(DecideArgs),
    /// List the pending requests you may approve.
    Inbox,
    /// List your grants and the time each has left.
    Status(StatusArgs),
    /// Print a short segment for a shell prompt: your live grants and the time each has left.
    ///
    /// From this machine's ledger alone (no network, no lock), fast enough for every prompt:
    /// `⎈ prod-k8s/admin 42m`, `⚠` under 5 minutes left, nothing at all when no grant is live.
    /// Every profile's grants unless --profile or ZT_PROFILE names one.
    Prompt,
    /// End a grant now and remove its credentials from this machine.
    Revoke(RevokeArgs),
    /// Ask for more time on a live grant.
    ///
    /// The broker asks policy again: the grant then ends --ttl from now (never earlier than it
    /// already does), as long as the whole grant stays within the role's maximum. A role that
    /// needs an approval is not extended: request it anew. What zt wrote on this machine is
    /// kept until the new end.
    Extend(ExtendArgs),
    /// Print credentials for a grant, as a kubectl or AWS credential helper.
    ///
    /// kubectl and the AWS CLI run this themselves, from the entries `zt request` wrote. It
    /// never prompts and never opens a browser: when the grant is over it exits non-zero with
    /// a one-line hint on stderr.
    #[command(subcommand)]
    Credential(CredentialCommand),
    /// Remove the credentials of grants whose time is up.
    ///
    /// Every zt run does this first; a detached `zt reap --daemon` does it on time.
    Reap(ReapArgs),
    /// Print a shell completion script.
    Completions(CompletionsArgs),
    /// Write the man pages (used to build `man/`).
    #[command(hide = true)]
    Man(ManArgs),
}

#[derive(Debug, Args)]
pub struct LoginArgs {
    /// The broker's URL (its `/.well-known/zt` says where to log in).
    #[arg(long, env = env::ZT_BROKER, value_name = "URL")]
    pub broker: Option<String>,

    /// Never open a browser; only print the URL and code.
    #[arg(long)]
    pub no_browser: bool,

    /// Store tokens in a plain file (mode 0600) when no OS keyring is available.
    #[arg(long)]
    pub insecure_storage: bool,

    /// Log in again even when already logged in.
    #[arg(long)]
    pub force: bool,

    /// Who you are, as a hint to the identity provider (OIDC `login_hint`); the development
    /// provider of `zt-broker dev --auto-login` signs you in as this user.
    #[arg(long, value_name = "USER")]
    pub login_hint: Option<String>,

    /// The OpenID provider's issuer URL, when the broker's advertised one needs overriding.
    #[arg(long, value_name = "URL")]
    pub issuer: Option<String>,

    /// The OAuth client id to use at the provider (default: what the broker advertises).
    #[arg(long, value_name = "ID")]
    pub client_id: Option<String>,

    /// A scope to ask for (repeatable; default: what the broker advertises).
    #[arg(long = "scope", value_name = "SCOPE")]
    pub scopes: Vec<String>,

    /// The audience (RFC 8707 resource) to ask the provider for (default: the broker's).
    #[arg(long, value_name = "AUD")]
    pub audience: Option<String>,

    /// Log in as a workload (CI job) with the platform's OIDC token read from this file on
    /// every call — no prompt, nothing secret stored.
    #[arg(long, value_name = "PATH", conflicts_with = "oidc_token_env")]
    pub oidc_token_file: Option<PathBuf>,

    /// Like --oidc-token-file, reading the token from this environment variable.
    #[arg(long, value_name = "VAR")]
    pub oidc_token_env: Option<String>,
}

#[derive(Debug, Args)]
pub struct LogoutArgs {
    /// Leave the profile's live grants running at the broker (they still end at their TTL);
    /// only this machine's copies of their credentials are removed.
    #[arg(long)]
    pub keep_grants: bool,
}

#[derive(Debug, Args)]
pub struct RequestArgs {
    /// The catalog resource (see `zt catalog`); on a terminal, without it, zt offers a picker.
    ///
    /// Several resources (each RESOURCE or RESOURCE:ROLE), or the name of a catalog bundle,
    /// make one bundle: one reason, each item decided by policy, approved once.
    #[arg(value_name = "RESOURCE", add = ArgValueCandidates::new(crate::complete::resources))]
    pub resources: Vec<String>,

    #[command(flatten)]
    pub opts: RequestOpts,

    /// Do not wait for an approver; print the request id and exit.
    #[arg(long)]
    pub no_wait: bool,

    /// Make the new kubeconfig context the current one (restored when the grant ends).
    #[arg(long = "use")]
    pub use_context: bool,

    /// AWS: write the keys to the shared credentials file instead of a credential_process
    /// profile (for tools that cannot run a process; still wiped at TTL).
    #[arg(long = "static")]
    pub static_keys: bool,
}

/// What to ask for: shared by `zt request` and `zt exec RESOURCE`.
#[derive(Debug, Args)]
pub struct RequestOpts {
    /// The role to request (default: the resource's default role).
    #[arg(long, short = 'r', add = ArgValueCandidates::new(crate::complete::roles))]
    pub role: Option<String>,

    /// How long the access should last (e.g. 30m, 1h, 90s).
    #[arg(long, default_value = "1h", value_parser = parse_duration)]
    pub ttl: Duration,

    /// Why you need it (shown to approvers, kept in the audit log).
    #[arg(long)]
    pub reason: Option<String>,

    /// A ticket or incident id (INC-4211).
    #[arg(long)]
    pub ticket: Option<String>,

    /// Emergency access outside normal policy (only for groups allowed it; always flagged).
    #[arg(long)]
    pub break_glass: bool,

    /// Give up waiting for approval after this long (the request stays open).
    #[arg(long, value_parser = parse_duration, value_name = "DURATION")]
    pub timeout: Option<Duration>,

    /// Start the grant at this time instead of at approval: HH:MM (local time, today),
    /// "YYYY-MM-DD HH:MM" (local) or RFC 3339.
    ///
    /// It ends --ttl after that. A time already past is an error (never "tomorrow"). zt returns
    /// once the grant is scheduled; its entries are written at the start by zt's background
    /// reaper (or the first zt run after it), and the broker refuses its credential before.
    #[arg(long, value_name = "TIME", value_parser = crate::schedule::parse_start_at, conflicts_with = "start_in")]
    pub start_at: Option<zt_api::Timestamp>,

    /// Start the grant this long from now instead of at approval (e.g. 2h, 30m).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub start_in: Option<Duration>,
}

#[derive(Debug, Args)]
pub struct EnvArgs {
    /// The grant id, or a resource you hold a live grant on (see `zt status`).
    #[arg(value_name = "GRANT|RESOURCE", value_parser = parse_id, add = ArgValueCandidates::new(crate::complete::live_targets))]
    pub grant: String,

    /// The shell to print for.
    #[arg(long, value_enum, default_value = "bash")]
    pub shell: EnvShell,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum EnvShell {
    Bash,
    Zsh,
    Fish,
    Powershell,
}

#[derive(Debug, Args)]
pub struct ExecArgs {
    /// A grant id, or a resource: then its live grant, or a new request (same flags as
    /// `zt request`).
    #[arg(value_parser = parse_id, add = ArgValueCandidates::new(crate::complete::exec_targets))]
    pub target: String,

    #[command(flatten)]
    pub opts: RequestOpts,

    /// The command and its arguments (after `--`).
    #[arg(last = true, required = true, value_name = "CMD")]
    pub command: Vec<String>,
}

#[derive(Debug, Args)]
pub struct DecideArgs {
    /// The request id (see `zt inbox`); on a terminal, without it, zt offers a picker.
    #[arg(value_parser = parse_id)]
    pub id: Option<String>,

    /// A note kept with the decision.
    #[arg(long)]
    pub comment: Option<String>,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Redraw a countdown of the live grants every second until the last one ends (or Ctrl-C).
    ///
    /// Needs a terminal on stdout (a script gets a usage error: run `zt status` instead), and
    /// is refused with --json.
    #[arg(long, conflicts_with = "json")]
    pub watch: bool,
}

#[derive(Debug, Args)]
pub struct RevokeArgs {
    /// The grant (or pending request) id, or a resource you hold one on (see `zt status`).
    #[arg(value_name = "GRANT|RESOURCE", value_parser = parse_id, add = ArgValueCandidates::new(crate::complete::live_targets))]
    pub grant: String,
}

#[derive(Debug, Args)]
pub struct ExtendArgs {
    /// The grant id, or a resource you hold one live grant on (see `zt status`).
    #[arg(value_name = "GRANT|RESOURCE", value_parser = parse_id,
        add = ArgValueCandidates::new(crate::complete::live_targets))]
    pub target: String,

    /// How long from now the grant should last (e.g. 30m, 1h).
    #[arg(long, value_parser = parse_duration)]
    pub ttl: Duration,

    /// Why you need more time (kept in the audit log).
    #[arg(long)]
    pub reason: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum CredentialCommand {
    /// Print a client.authentication.k8s.io/v1 ExecCredential (kubectl exec plugin).
    Kube(CredentialArgs),
    /// Print AWS credential_process JSON (Version 1, with Expiration).
    Aws(CredentialArgs),
}

#[derive(Debug, Args)]
pub struct CredentialArgs {
    /// The grant id.
    #[arg(value_parser = parse_id, add = ArgValueCandidates::new(crate::complete::grants))]
    pub grant: String,
}

#[derive(Debug, Args)]
pub struct ReapArgs {
    /// Only show what would be removed.
    #[arg(long)]
    pub dry_run: bool,

    /// Stay in the background and reap each grant when its time is up (started by zt itself).
    #[arg(long, hide = true)]
    pub daemon: bool,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    pub shell: Shell,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
    Powershell,
    Elvish,
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// Where to write `zt.1` and one page per subcommand.
    #[arg(long, value_name = "DIR")]
    pub out_dir: PathBuf,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_well_formed() {
        Cli::command().debug_assert();
    }
}
