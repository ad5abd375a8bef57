//! Every environment variable zt reads, in one place, each with what it does. The README's
//! table is written from this file.

/// Which profile (broker login) to use; same as `--profile`.
pub const ZT_PROFILE: &str = "ZT_PROFILE";
/// The broker URL for `zt login`; same as `--broker`.
pub const ZT_BROKER: &str = "ZT_BROKER";
/// Where zt keeps its configuration (default: `$XDG_CONFIG_HOME/zt`, `~/.config/zt`).
pub const ZT_CONFIG_DIR: &str = "ZT_CONFIG_DIR";
/// Where zt keeps its ledger and daemon files (default: `$XDG_STATE_HOME/zt`, `~/.local/state/zt`).
pub const ZT_STATE_DIR: &str = "ZT_STATE_DIR";
/// Where zt keeps its catalog cache for shell completion (default: `$XDG_CACHE_HOME/zt`, `~/.cache/zt`).
pub const ZT_CACHE_DIR: &str = "ZT_CACHE_DIR";
/// Set by zt's completion scripts when the shell asks for candidates (`ZT_COMPLETE=bash zt -- …`).
pub const ZT_COMPLETE: &str = "ZT_COMPLETE";
/// Where zt caches minted credentials (default: `$XDG_RUNTIME_DIR/zt`, else a 0700 dir in the state dir).
pub const ZT_RUNTIME_DIR: &str = "ZT_RUNTIME_DIR";
/// Poll the IdP's token endpoint at least this often during login, in seconds (tests; IdPs
/// that omit `interval` otherwise mean 5 s).
pub const ZT_DEVICE_POLL_INTERVAL: &str = "ZT_DEVICE_POLL_INTERVAL";
/// Seconds one call to the identity provider may take in all (default 20; connecting: 5).
pub const ZT_IDP_TIMEOUT: &str = "ZT_IDP_TIMEOUT";
/// Set to `0` to never start the background reaper (wipes then happen on the next zt run).
pub const ZT_REAPER: &str = "ZT_REAPER";
/// How often the background reaper asks the broker whether a grant ended early, in seconds
/// (default 30).
pub const ZT_REAPER_CHECK_SECS: &str = "ZT_REAPER_CHECK_SECS";
/// Seconds a waiting `zt request` keeps retrying an unreachable broker before it gives up
/// with exit 7 (default 300).
pub const ZT_BROKER_RETRY_SECS: &str = "ZT_BROKER_RETRY_SECS";
/// How long a grant's kubeconfig context and AWS `credential_process` profile stay after it
/// expired or was revoked elsewhere, so its helper explains the end (default 1h; `0`: none).
pub const ZT_GRACE: &str = "ZT_GRACE";
/// The credential helpers warn on stderr when a grant has less than this left (default 5m).
pub const ZT_WARN_BEFORE: &str = "ZT_WARN_BEFORE";
/// Seconds a keyring call may take before zt gives up on it (default 5).
pub const ZT_KEYRING_TIMEOUT: &str = "ZT_KEYRING_TIMEOUT";

/// Standard variables zt honours.
pub const KUBECONFIG: &str = "KUBECONFIG";
pub const AWS_CONFIG_FILE: &str = "AWS_CONFIG_FILE";
pub const AWS_SHARED_CREDENTIALS_FILE: &str = "AWS_SHARED_CREDENTIALS_FILE";
pub const PGSERVICEFILE: &str = "PGSERVICEFILE";
pub const PGPASSFILE: &str = "PGPASSFILE";
/// The running ssh-agent an SSH grant's key and certificate are added to.
pub const SSH_AUTH_SOCK: &str = "SSH_AUTH_SOCK";
pub const XDG_CONFIG_HOME: &str = "XDG_CONFIG_HOME";
pub const XDG_STATE_HOME: &str = "XDG_STATE_HOME";
pub const XDG_CACHE_HOME: &str = "XDG_CACHE_HOME";
pub const XDG_RUNTIME_DIR: &str = "XDG_RUNTIME_DIR";
pub const HOME: &str = "HOME";
pub const DISPLAY: &str = "DISPLAY";
pub const WAYLAND_DISPLAY: &str = "WAYLAND_DISPLAY";
pub const BROWSER: &str = "BROWSER";
/// `dumb`: no QR code at login (it needs colours).
pub const TERM: &str = "TERM";

/// Read a variable, treating empty as unset.
pub fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// Every variable with its one-line meaning, for the README and the man page.
pub const DOCUMENTED: &[(&str, &str)] = &[
    (
        ZT_PROFILE,
        "which broker login (profile) to use; same as --profile",
    ),
    (ZT_BROKER, "the broker URL for `zt login`; same as --broker"),
    (
        ZT_CONFIG_DIR,
        "configuration directory (default $XDG_CONFIG_HOME/zt, ~/.config/zt)",
    ),
    (
        ZT_STATE_DIR,
        "ledger, reaper and dev-broker files (default $XDG_STATE_HOME/zt, ~/.local/state/zt)",
    ),
    (
        ZT_CACHE_DIR,
        "catalog cache for shell completion (default $XDG_CACHE_HOME/zt, ~/.cache/zt)",
    ),
    (
        ZT_COMPLETE,
        "set by the completion scripts for one Tab press (`ZT_COMPLETE=bash zt -- …`); never set it yourself",
    ),
    (
        ZT_RUNTIME_DIR,
        "cached minted credentials (default $XDG_RUNTIME_DIR/zt, else <state dir>/run)",
    ),
    (
        ZT_DEVICE_POLL_INTERVAL,
        "seconds between token polls during login, overriding the IdP's interval",
    ),
    (
        ZT_IDP_TIMEOUT,
        "seconds one call to the identity provider may take (default 20; connecting 5)",
    ),
    (
        ZT_REAPER,
        "0: never start the background reaper (expired entries go on the next zt run)",
    ),
    (
        ZT_KEYRING_TIMEOUT,
        "seconds a keyring call may take (default 5)",
    ),
    (
        ZT_BROKER_RETRY_SECS,
        "seconds a waiting `zt request` retries an unreachable broker before exit 7 (default 300)",
    ),
    (
        ZT_GRACE,
        "how long an ended grant's context and AWS profile stay to explain the end (default 1h; 0: none; or [grants] grace in config.toml)",
    ),
    (
        ZT_WARN_BEFORE,
        "the credential helpers warn when less than this is left (default 5m; 0: never; or [grants] warn_before)",
    ),
    (
        KUBECONFIG,
        "zt writes its contexts into the first file listed (default ~/.kube/config)",
    ),
    (
        SSH_AUTH_SOCK,
        "the ssh-agent an SSH grant's key and certificate are added to, with the grant's time left as their lifetime (unset: none is)",
    ),
];
