//! What `zt-broker`'s man pages say beyond its clap definitions: exit codes, environment and
//! files, as plain tables (zt's `manpages` renders them with the examples of
//! `man/examples.toml`; this crate cannot depend on the client). A page is named as its file:
//! `zt-broker-serve` is `man/zt-broker-serve.1`. Keep each row true to the code it names.

/// Every exit code of `zt-broker` ([`crate::error::Error::code`]; clap's own for the command
/// line).
pub const EXIT_CODES: &[(u8, &str)] = &[
    (
        0,
        "success; `serve` and `dev` also exit 0 when SIGINT or SIGTERM stops them",
    ),
    (
        1,
        "error: a file, the store, the network or the listening port failed",
    ),
    (
        2,
        "usage: bad flags or arguments, or a configuration, catalog or policy that does not \
         check out (the message names the file, line and column)",
    ),
    (
        crate::serve::audit::BROKEN,
        "`audit verify` only: the audit chain is broken (a row was edited, deleted or \
         reordered)",
    ),
];

/// A paragraph said under EXIT STATUS on one page, before the table.
pub const EXIT_NOTES: &[(&str, &str)] = &[
    (
        "zt-broker-check",
        "0 after the one summary line: everything `serve` would read checks out. 2 names the \
         first problem.",
    ),
    (
        "zt-broker-audit-verify",
        "0: the chain is intact (`audit: N rows, chain intact`). 3: a row does not check out; \
         the message names the first one. 1: the store or its key could not be read.",
    ),
    (
        "zt-broker-dev-stop",
        "0 also when no dev broker is running.",
    ),
    (
        "zt-broker-ssh-krl",
        "0 after writing FILE and one line saying how many certificates it names. 1: the \
         store could not be read or FILE not written (FILE is left as it was).",
    ),
];

/// The top page's ENVIRONMENT.
pub const ENVIRONMENT: &[(&str, &str)] = &[
    (
        "ZT_BROKER_LOG",
        "which log lines to write on stderr, in RUST_LOG's syntax (default info)",
    ),
    ("RUST_LOG", "used when ZT_BROKER_LOG is not set"),
    (
        "ZT_BROKER_LOG_FORMAT",
        "text or json: how log lines are written; same as --log-format",
    ),
    (
        "ZT_STATE_DIR",
        "where `dev` keeps dev-broker.json and its --detach log (default \
         $XDG_STATE_HOME/zt, else ~/.local/state/zt)",
    ),
    (
        "TMPDIR",
        "where `dev` makes its temporary data directory without --data-dir",
    ),
    (
        "PGPASSWORD",
        "the password of a PostgreSQL store, when its URL has none (else ~/.pgpass)",
    ),
    (
        "KUBECONFIG",
        "the kubernetes issuer's own access, outside a cluster (default ~/.kube/config)",
    ),
    (
        "AWS_*",
        "the aws-sts issuer's own credentials, through the AWS SDK's standard chain \
         (AWS_PROFILE, AWS_ACCESS_KEY_ID, ~/.aws, an instance role…)",
    ),
];

/// Said at the top of FILES on every page.
pub const FILES_INTRO: &str = "Paths in a configuration file are relative to that file. \
     ~/.local/state/zt stands for $ZT_STATE_DIR if set, else $XDG_STATE_HOME/zt.";

const DEV: &str = "zt-broker-dev";
const SERVE: &str = "zt-broker-serve";
const CHECK: &str = "zt-broker-check";
const AUDIT: &str = "zt-broker-audit";
const VERIFY: &str = "zt-broker-audit-verify";
const SSH: &str = "zt-broker-ssh";
const SSH_CA: &str = "zt-broker-ssh-ca";
const SSH_KRL: &str = "zt-broker-ssh-krl";

/// FILES: (path, what it is and who reads or writes it, the pages that list it). The top page
/// lists every row.
pub const FILES: &[(&str, &str, &[&str])] = &[
    (
        "broker.toml",
        "the configuration given with --config (every key: broker.example.toml); `check` \
         reads everything `serve` would, except the store",
        &[SERVE, CHECK, AUDIT, VERIFY],
    ),
    (
        "[server] tls_cert, tls_key",
        "the TLS certificate chain and private key (PEM) the listener serves HTTPS with",
        &[SERVE, CHECK],
    ),
    (
        "[catalog] file",
        "the catalog, when it is not inline in the configuration",
        &[SERVE, CHECK],
    ),
    (
        "[policy] dir, *.cedar",
        "the Cedar policies; `serve` reloads them on SIGHUP and when a file there changes",
        &[SERVE, CHECK],
    ),
    (
        "[store] url = \"sqlite://PATH\"",
        "the SQLite database: requests, grants, sealed credentials and the hash-chained \
         audit log, with its -wal and -shm files (0600); `audit verify` never creates it",
        &[SERVE, AUDIT, VERIFY],
    ),
    (
        "PATH.key, or [store] credential_key_file",
        "the store's key (32 bytes in base64, 0600): it seals credentials and signs the audit \
         head. Beside a SQLite database it is made at the first start unless \
         credential_key_file or credential_key_env names one; `check` loads it when it exists, \
         `audit verify` never makes one",
        &[SERVE, CHECK, AUDIT, VERIFY],
    ),
    (
        "[ssh] ca_key_file",
        "the SSH user CA's private key: an unencrypted OpenSSH Ed25519 key, mode 0600 \
         (ca_key_env names a variable holding it instead); it signs the certificates of ssh \
         grants; `check` and `ssh ca` load it",
        &[SERVE, CHECK, SSH, SSH_CA, SSH_KRL],
    ),
    (
        "~/.pgpass",
        "the password of a PostgreSQL store ([store] url = \"postgres://…\") when neither the \
         URL nor PGPASSWORD has one ($PGPASSFILE if set)",
        &[SERVE, AUDIT, VERIFY],
    ),
    (
        "$KUBECONFIG, ~/.kube/config",
        "the kubernetes issuer's own access when it runs outside a cluster and the resource \
         names no kubeconfig setting",
        &[SERVE],
    ),
    (
        "~/.aws/config, ~/.aws/credentials",
        "the aws-sts issuer's own credentials, through the AWS SDK's standard chain",
        &[SERVE],
    ),
    (
        "DIR/broker.sqlite, DIR/broker.sqlite.key",
        "the dev broker's database and its key, in --data-dir DIR (else a temporary \
         $TMPDIR/zt-broker-dev-PID-RANDOM, removed at exit); `audit verify --data-dir DIR` \
         reads them",
        &[DEV, AUDIT, VERIFY],
    ),
    (
        "DIR/ssh_user_ca",
        "the dev broker's SSH user CA key (0600), made at its first start in --data-dir DIR; \
         `ssh ca --data-dir DIR` and `ssh krl --data-dir DIR` read it",
        &[DEV, SSH, SSH_CA, SSH_KRL],
    ),
    (
        "--out FILE",
        "the KRL `ssh krl` writes (mode 0644, atomically: a temporary file renamed over it), \
         for sshd's RevokedKeys",
        &[SSH_KRL],
    ),
    (
        "DIR/dev-idp-key.pem",
        "the development identity provider's signing key, so logins survive a restart with \
         --data-dir",
        &[DEV],
    ),
    (
        "~/.local/state/zt/dev-broker.json",
        "while a dev broker runs: where it listens, its pid and data directory; `zt login` finds \
         it there, `dev stop` signals that pid",
        &[DEV, "zt-broker-dev-stop"],
    ),
    (
        "~/.local/state/zt/dev-broker.log",
        "the log of `dev --detach` (0600)",
        &[DEV],
    ),
    (
        "--catalog FILE, --policies DIR",
        "a catalog (TOML) and a directory of Cedar policies the dev broker serves instead of \
         its demo ones",
        &[DEV],
    ),
];
