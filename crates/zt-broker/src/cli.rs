//! Every clap definition of `zt-broker`. These structs only describe: the first `///` line is
//! the short help, the paragraph after it the long help. Nothing here acts.

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

/// The reference broker of zt: policy, approvals, short-lived credentials, audit.
#[derive(Debug, Parser)]
#[command(
    name = "zt-broker",
    version,
    propagate_version = true,
    max_term_width = 100
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,

    /// How the broker's log lines on stderr are written: text, or JSON lines for log shippers.
    ///
    /// Which lines: the filter in ZT_BROKER_LOG (else RUST_LOG), in RUST_LOG's syntax
    /// (`debug`, `info,zt_broker=debug`); `info` when neither is set. One line per HTTP
    /// request names its method, route, status, latency and request id (the `x-request-id`
    /// response header). Never a token, password or key.
    #[arg(
        long,
        global = true,
        value_enum,
        default_value = "text",
        env = "ZT_BROKER_LOG_FORMAT",
        value_name = "FORMAT"
    )]
    pub log_format: crate::logs::LogFormat,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a self-contained development broker on this machine.
    ///
    /// One process on loopback with everything built in: SQLite, a development OpenID
    /// provider (device flow) with demo users, a demo catalog (prod-k8s, prod-aws, prod-db,
    /// prod-ssh), dev issuers, an SSH user CA (kept in the data directory), and a tiny
    /// Kubernetes API for kubectl. With the demo catalog nothing it
    /// issues opens anything real; a --catalog resource that names a real issuer does (it says
    /// so at start). Data lives in a temporary directory unless --data-dir says where to keep
    /// it.
    Dev(DevArgs),

    /// Run the broker as a TOML configuration file describes it.
    ///
    /// Listens where [server] says (HTTPS with tls_cert/tls_key), keeps its state in the
    /// [store], trusts the identity providers of each [[trusted_issuer]], advertises [login] to
    /// `zt login`, and serves the [catalog]. The first line on stdout is
    /// `zt-broker listening on URL`. SIGINT or SIGTERM stops it gracefully. See
    /// broker.example.toml for every key.
    Serve(ConfigArgs),

    /// Check a configuration file and its catalog without serving.
    ///
    /// Reads and validates everything `serve` would (the TLS certificate and key included),
    /// without opening the store or contacting the identity providers. Prints one summary line
    /// and exits 0, or names the file, line and column of the first problem.
    Check(ConfigArgs),

    /// Inspect the audit log.
    #[command(subcommand)]
    Audit(AuditCommand),

    /// What SSH hosts need from the broker's user CA: its public key and its revocation list.
    #[command(subcommand)]
    Ssh(SshCommand),
}

#[derive(Debug, Subcommand)]
pub enum SshCommand {
    /// Print the SSH user CA's public key, one line for sshd's TrustedUserCAKeys file.
    ///
    /// The same line `GET /v1/ssh/ca` serves. The CA key comes from [ssh] of --config, or
    /// from a dev broker's --data-dir (its ssh_user_ca file); nothing is created.
    Ca(StoreArgs),

    /// Write the key revocation list (KRL) of certificates whose grant ended early.
    ///
    /// An OpenSSH KRL (what `GET /v1/ssh/krl` serves) naming, by serial, the certificates of
    /// grants revoked before their end, for sshd's RevokedKeys. Written atomically (a temp
    /// file renamed over FILE, mode 0644): sshd rereads it on every connection, so a host
    /// refreshes it from cron or a systemd timer without restarting anything.
    Krl(SshKrlArgs),
}

#[derive(Debug, Args)]
pub struct SshKrlArgs {
    #[command(flatten)]
    pub store: StoreArgs,

    /// Where to write the KRL.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check the audit log's hash chain: no row edited, deleted or reordered.
    ///
    /// Recomputes every row's SHA-256 and its link to the row before. Prints
    /// `audit: N rows, chain intact` and exits 0, or names the first row that does not check
    /// out and exits 3 (1: the store could not be read).
    Verify(StoreArgs),
}

/// Which broker's store: a production configuration, or a dev broker's data directory.
#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub struct StoreArgs {
    /// The configuration file whose [store] to read.
    #[arg(long, short = 'c', value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// A `zt-broker dev --data-dir` directory.
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ConfigArgs {
    /// The configuration file (TOML; relative paths in it are relative to the file).
    #[arg(long, short = 'c', value_name = "FILE")]
    pub config: PathBuf,
}

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct DevArgs {
    #[command(subcommand)]
    pub action: Option<DevAction>,

    /// The TCP port to listen on (0: any free port; the first line of output names it).
    #[arg(long, default_value_t = 8421)]
    pub port: u16,

    /// The loopback address to listen on.
    #[arg(long, default_value = "127.0.0.1", value_name = "ADDR")]
    pub listen: IpAddr,

    /// Keep the database and the dev IdP's signing key here, so requests, grants and logins
    /// survive a restart (default: a temporary directory, deleted at exit).
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,

    /// Serve this catalog (TOML, the demo catalog's format) instead of the demo one.
    #[arg(long, value_name = "FILE")]
    pub catalog: Option<PathBuf>,

    /// Decide with the Cedar policies in this directory (`*.cedar`, see policies/README.md)
    /// instead of the demo catalog's groups; reloaded on SIGHUP and when a file there changes.
    #[arg(long, value_name = "DIR")]
    pub policies: Option<PathBuf>,

    /// How long a pending request waits for an approver before it expires (e.g. 24h, 30m).
    #[arg(long, default_value = "24h", value_name = "DURATION", value_parser = review_window)]
    pub review_window: Duration,

    /// How long an approved grant of a role with `activation = "first_use"` waits for its
    /// first use before it lapses (e.g. 1h, 30s).
    #[arg(long, default_value = "1h", value_name = "DURATION", value_parser = review_window)]
    pub claim_window: Duration,

    /// The port of the sshd the demo catalog's prod-ssh points at (on 127.0.0.1).
    #[arg(long, default_value_t = DEV_SSH_PORT, value_name = "PORT")]
    pub ssh_port: u16,

    /// The login user (certificate principal) of prod-ssh [default: the current user].
    #[arg(long, value_name = "USER")]
    pub ssh_user: Option<String>,

    /// Run in the background (log in the state directory); `zt-broker dev stop` ends it.
    #[arg(long)]
    pub detach: bool,

    /// DEV ONLY: approve every device login as this demo user without asking.
    ///
    /// Anyone who can reach the port can then log in as that user. For demos and tests.
    #[arg(long, value_name = "USER")]
    pub auto_login: Option<String>,

    /// Also trust this real OpenID provider, and send `zt login` to it.
    ///
    /// The dev broker then accepts JWT access tokens this issuer signs (keys found through its
    /// OpenID discovery document) for --audience, and advertises it in `/.well-known/zt`, so
    /// `zt login` runs the device flow there (client id `zt-cli`). The built-in dev IdP stays
    /// trusted too. For trying zt against your own IdP before running a real broker.
    #[arg(long, value_name = "URL")]
    pub trust_issuer: Option<String>,

    /// The audience the --trust-issuer provider puts in the broker's access tokens (`zt login`
    /// asks for it as the RFC 8707 resource when it is an absolute URI).
    #[arg(
        long,
        value_name = "AUD",
        default_value = "zt-broker",
        requires = "trust_issuer"
    )]
    pub audience: String,

    /// Read an on-call schedule from an iCalendar feed: NAME=FILE or NAME=URL (repeatable).
    ///
    /// As `[oncall.NAME]` of `zt-broker serve` (README "On-call schedules"), refreshed every
    /// 5s: whoever the feed has on call now is in the group `oncall:NAME`, and policies see
    /// NAME in `context.oncall`.
    #[arg(long, value_name = "NAME=FEED")]
    pub oncall: Vec<String>,

    /// DEV ONLY: evaluate the --oncall schedules at this instant (RFC 3339) instead of now.
    ///
    /// Only who is on call (and whether a feed is stale) reads this fixed time; everything
    /// else keeps the real clock. For demos and tests of a hand-over.
    #[arg(long, value_name = "TIME", requires = "oncall", value_parser = oncall_at)]
    pub oncall_at: Option<zt_api::Timestamp>,
}

#[derive(Debug, Subcommand)]
pub enum DevAction {
    /// Stop the dev broker started with --detach.
    Stop,
}

/// `zt-broker dev --ssh-port`'s default: where the demo's prod-ssh expects an sshd.
pub const DEV_SSH_PORT: u16 = 2222;

fn review_window(s: &str) -> Result<Duration, String> {
    humantime::parse_duration(s.trim())
        .ok()
        .filter(|d| d.as_secs() >= 1)
        .ok_or_else(|| format!("{s:?} is not a duration of at least 1s (write 24h, 30m)"))
}

fn oncall_at(s: &str) -> Result<zt_api::Timestamp, String> {
    zt_api::Timestamp::parse_rfc3339(s.trim())
        .ok_or_else(|| format!("{s:?} is not an RFC 3339 time (write 2030-01-07T12:00:00Z)"))
}

/// The `zt-broker` command definition (for man pages and completions).
pub fn command() -> clap::Command {
    <Cli as clap::CommandFactory>::command()
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn dev_flags_and_stop_parse() {
        let c = Cli::try_parse_from([
            "zt-broker",
            "dev",
            "--port",
            "0",
            "--detach",
            "--auto-login",
            "alice",
        ])
        .unwrap();
        let Command::Dev(d) = c.command else {
            panic!("not dev")
        };
        assert_eq!(
            (d.port, d.detach, d.auto_login.as_deref()),
            (0, true, Some("alice"))
        );
        let c = Cli::try_parse_from([
            "zt-broker",
            "dev",
            "--trust-issuer",
            "http://127.0.0.1:9/",
            "--audience",
            "urn:zt:broker",
        ])
        .unwrap();
        let Command::Dev(d) = c.command else {
            panic!("expected the dev command")
        };
        assert_eq!(
            (d.trust_issuer.as_deref(), d.audience.as_str()),
            (Some("http://127.0.0.1:9/"), "urn:zt:broker")
        );
        assert!(
            Cli::try_parse_from(["zt-broker", "dev", "--audience", "x"]).is_err(),
            "--audience needs --trust-issuer"
        );
        let c = Cli::try_parse_from(["zt-broker", "dev", "stop"]).unwrap();
        let Command::Dev(d) = c.command else {
            panic!("not dev")
        };
        assert!(matches!(d.action, Some(DevAction::Stop)));
    }

    #[test]
    fn audit_verify_takes_a_config_or_a_data_dir() {
        let c =
            Cli::try_parse_from(["zt-broker", "audit", "verify", "--config", "b.toml"]).unwrap();
        let Command::Audit(AuditCommand::Verify(a)) = c.command else {
            panic!("audit verify")
        };
        assert_eq!(
            (a.config, a.data_dir),
            (Some(PathBuf::from("b.toml")), None)
        );
        let c = Cli::try_parse_from(["zt-broker", "audit", "verify", "--data-dir", "d"]).unwrap();
        let Command::Audit(AuditCommand::Verify(a)) = c.command else {
            panic!("audit verify")
        };
        assert_eq!(a.data_dir, Some(PathBuf::from("d")));
        for bad in [
            &["zt-broker", "audit", "verify"][..],
            &[
                "zt-broker",
                "audit",
                "verify",
                "--config",
                "b",
                "--data-dir",
                "d",
            ],
        ] {
            assert!(Cli::try_parse_from(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn serve_and_check_take_a_config_file() {
        for sub in ["serve", "check"] {
            let c = Cli::try_parse_from(["zt-broker", sub, "--config", "b.toml"]).unwrap();
            let (Command::Serve(a) | Command::Check(a)) = c.command else {
                panic!("{sub}")
            };
            assert_eq!(a.config, PathBuf::from("b.toml"));
            assert!(
                Cli::try_parse_from(["zt-broker", sub]).is_err(),
                "--config is required"
            );
        }
    }
}
