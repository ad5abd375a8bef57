//! What zt's man pages say beyond the clap definitions: which files each command reads or
//! writes (the paths [`crate::paths`] resolves), and notes on exit codes. A page is named as
//! its file: `zt-request` is `man/zt-request.1`. Keep each row true to the code.

/// Where these tables live, for the message that asks for a new page's rows.
pub const SOURCE: &str = "crates/zt/src/manpages/tables.rs";

const LOGIN: &str = "zt-login";
const LOGOUT: &str = "zt-logout";
const REQUEST: &str = "zt-request";
const ENV: &str = "zt-env";
const EXEC: &str = "zt-exec";
const REVOKE: &str = "zt-revoke";
const REAP: &str = "zt-reap";
const DOCTOR: &str = "zt-doctor";

/// The pages of the commands that sweep first ([`SWEEPING`]), followed by `extra`: the one
/// list [`BROKER`], [`LEDGER`] and [`SWEEPING`] grow from.
macro_rules! sweeping_and {
    ($($extra:expr),* $(,)?) => {
        &[
            LOGIN,
            LOGOUT,
            "zt-whoami",
            DOCTOR,
            "zt-catalog",
            REQUEST,
            ENV,
            EXEC,
            "zt-approve",
            "zt-deny",
            "zt-inbox",
            "zt-status",
            REVOKE,
            "zt-extend",
            "zt-credential",
            "zt-credential-kube",
            "zt-credential-aws",
            $($extra,)*
        ]
    };
}

/// Every command that reaches the broker, and so reads the profile, its tokens and (sweeping
/// first) the ledger: all but `zt completions`.
const BROKER: &[&str] = sweeping_and!(REAP);

/// Every command that reads the ledger: those that reach the broker, `zt prompt`, and the
/// completion `zt completions` turns on.
const LEDGER: &[&str] = sweeping_and!(REAP, "zt-prompt", "zt-completions");

/// What writes a grant's entries into the tools' files, or wipes or checks them.
const TOOL_FILES: &[&str] = &[REQUEST, REVOKE, LOGOUT, REAP, DOCTOR];

/// The minted-credential cache: written by a grant, read by the helpers, wiped with it.
const CACHE: &[&str] = &[
    REQUEST,
    ENV,
    EXEC,
    "zt-credential",
    "zt-credential-kube",
    "zt-credential-aws",
    REVOKE,
    LOGOUT,
    REAP,
    DOCTOR,
];

/// Said at the top of FILES on every page.
pub const FILES_INTRO: &str = "~/.config/zt stands for $ZT_CONFIG_DIR if set, else \
     $XDG_CONFIG_HOME/zt; ~/.local/state/zt for $ZT_STATE_DIR, else $XDG_STATE_HOME/zt; \
     $XDG_RUNTIME_DIR/zt for $ZT_RUNTIME_DIR, else ~/.local/state/zt/run when there is no \
     XDG_RUNTIME_DIR.";

/// FILES: (path, what it is and who reads or writes it, the pages that list it). The top page
/// lists every row; a row with no page appears only there.
pub const FILES: &[(&str, &str, &[&str])] = &[
    (
        "~/.config/zt/config.toml",
        "the profiles: broker URL, issuer, client id, which token store; [grants] grace and \
         warn_before — no secrets (0600). \
         `zt login` writes its profile, `zt logout` forgets its token store",
        BROKER,
    ),
    (
        "~/.config/zt/tokens/PROFILE.json",
        "the access and refresh tokens, only after `zt login --insecure-storage` where no OS \
         keyring is available (0600); otherwise they live in the OS keyring, service zt",
        BROKER,
    ),
    (
        "~/.local/state/zt/ledger.json",
        "what zt wrote where, for which grant, until when — no secrets (0600); `zt prompt` \
         and shell completion read it without its lock",
        LEDGER,
    ),
    (
        "$KUBECONFIG (its first file), else ~/.kube/config",
        "a kubernetes grant's context zt-RESOURCE with its cluster and user (the exec plugin \
         `zt credential kube`); nothing else in the file changes",
        TOOL_FILES,
    ),
    (
        "$AWS_CONFIG_FILE, else ~/.aws/config",
        "an aws grant's [profile zt-RESOURCE] with `credential_process = zt credential aws …`",
        TOOL_FILES,
    ),
    (
        "$AWS_SHARED_CREDENTIALS_FILE, else ~/.aws/credentials",
        "an aws grant's keys, only with `zt request --static` (0600)",
        &[REQUEST, REVOKE, LOGOUT, REAP],
    ),
    (
        "$PGSERVICEFILE, else ~/.pg_service.conf",
        "a postgres grant's service [zt-RESOURCE] (`psql service=zt-RESOURCE`)",
        TOOL_FILES,
    ),
    (
        "$PGPASSFILE, else ~/.pgpass",
        "that service's password line (0600)",
        TOOL_FILES,
    ),
    (
        "~/.ssh/config",
        "while zt has SSH hosts, one line at its top, `Include` of zt's own ssh config (an \
         absolute path); nothing else in the file changes, and the line goes with zt's last \
         host (the file too, when zt created it: 0600)",
        TOOL_FILES,
    ),
    (
        "~/.ssh/zt/config",
        "an ssh grant's `Host zt-RESOURCE` block: HostName, Port, User, IdentityFile, \
         CertificateFile, IdentitiesOnly (0600; removed with its last block)",
        TOOL_FILES,
    ),
    (
        "$XDG_RUNTIME_DIR/zt/ssh/GRANT, $XDG_RUNTIME_DIR/zt/ssh/GRANT-cert.pub, $XDG_RUNTIME_DIR/zt/ssh/GRANT.known_hosts",
        "an ssh grant's private key (made on this machine; only its public half goes to the \
         broker), the certificate the broker signed for it, and the host keys the broker \
         names, if any (0600)",
        &[REQUEST, REVOKE, LOGOUT, REAP, "zt-extend"],
    ),
    (
        "$XDG_RUNTIME_DIR/zt/ssh/agent-PID-N/sock",
        "the socket of the private ssh-agent `zt exec` runs for an ssh grant's command (it \
         holds the key; gone when the command exits)",
        &[EXEC],
    ),
    (
        "$XDG_RUNTIME_DIR/zt/creds/GRANT.json",
        "a grant's minted short-lived credential, for the credential helpers, `zt env` and \
         `zt exec` (0600)",
        CACHE,
    ),
    (
        "~/.local/state/zt/tombstones.json",
        "how the last 256 grants (of 7 days) ended — id, profile, resource, role, kind, when, \
         why — so the credential helpers can say so after the entries are gone; no secrets \
         (0600)",
        &[
            REQUEST,
            REVOKE,
            LOGOUT,
            REAP,
            "zt-credential",
            "zt-credential-kube",
            "zt-credential-aws",
        ],
    ),
    (
        "$XDG_RUNTIME_DIR/zt/creds/GRANT.warned",
        "when a credential helper last warned that the grant ends soon (at most once a minute; \
         empty, removed with the grant)",
        &[
            "zt-credential",
            "zt-credential-kube",
            "zt-credential-aws",
            REVOKE,
            REAP,
        ],
    ),
    (
        "$XDG_RUNTIME_DIR/zt/kube/GRANT.yaml",
        "a kubernetes grant's own kubeconfig for `zt env` and `zt exec` (the exec plugin, no \
         token; 0600)",
        &[ENV, EXEC, REVOKE, LOGOUT, REAP],
    ),
    (
        "~/.local/state/zt/reaper.log",
        "the log of the background reaper (`zt reap --daemon`), which zt starts when it writes \
         a grant (0600)",
        &[REQUEST, ENV, EXEC, REAP],
    ),
    (
        "~/.local/state/zt/dev-broker.json",
        "written by a running `zt-broker dev`: `zt login` without --broker logs in there",
        &[LOGIN],
    ),
    (
        "~/.local/state/zt/*.lock, ~/.local/state/zt/locks/, $XDG_RUNTIME_DIR/zt/creds/GRANT.lock",
        "locks that keep concurrent zt processes from writing the same file, or fetching the \
         same credential, at once (empty files)",
        &[],
    ),
    (
        "~/.cache/zt/catalog-PROFILE.json",
        "the catalog as the broker last sent it to `zt catalog` or `zt request`, for shell \
         completion (no network on a Tab press); no secret, safe to delete ($ZT_CACHE_DIR, else \
         $XDG_CACHE_HOME/zt)",
        &["zt-catalog", REQUEST, "zt-completions"],
    ),
    (
        "~/.local/share/bash-completion/completions/zt",
        "where install.sh puts the bash script (under its --prefix, default ~/.local); zsh's \
         is share/zsh/site-functions/_zt, fish's share/fish/vendor_completions.d/zt.fish",
        &["zt-completions"],
    ),
];

/// Said at the end of FILES on every page that sweeps first.
pub const SWEEP_NOTE: &str = "Before it runs, zt removes what grants that have ended left on \
     this machine: their entries in the kubeconfig, AWS and PostgreSQL files, their cached \
     credentials and their ledger entries (see zt-reap(1)).";

/// A paragraph said under EXIT STATUS on one page, before the table.
pub const EXIT_NOTES: &[(&str, &str)] = &[
    (
        "zt",
        "Under --json an error is one line of JSON on stderr, with the same exit code: \
         {\"error\": {\"kind\", \"message\", \"hint\", \"exit_code\"}}.",
    ),
    (
        EXEC,
        "Once CMD has run, zt exits with CMD's exit status (128+N when signal N ended it). \
         The codes below are zt's own, before CMD runs; 2 also when CMD cannot be started.",
    ),
    (
        REQUEST,
        "A request denied (3) or expired undecided (6) is still printed on stdout under \
         --json, with its state, before the error.",
    ),
    (
        "zt-credential-kube",
        "A failure is one line on stderr, which kubectl shows; 6 means the grant is over.",
    ),
    (
        "zt-credential-aws",
        "A failure is one line on stderr, which the AWS CLI shows; 6 means the grant is over.",
    ),
];

/// The pages whose command sweeps first ([`crate::commands::sweeps_first`]; a test holds the
/// two together): all that reach the broker but `zt reap`, which does nothing else.
pub const SWEEPING: &[&str] = sweeping_and!();
