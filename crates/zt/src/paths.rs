//! The one path resolver: an override variable first (`ZT_*_DIR`), then XDG, then the home
//! directory the `dirs` crate finds (`zt_files::resolve_dir` says why macOS keeps
//! `~/.config`). Everything zt reads or writes on disk is named here.

use std::path::{Path, PathBuf};

use crate::env;
use crate::error::{Error, Result};

/// `$HOME`, else the user database's home (the `dirs` crate, shared with the broker).
fn home() -> Result<PathBuf> {
    zt_files::home().map_err(|_| Error::config(zt_files::NoHome::MESSAGE, zt_files::NoHome::HINT))
}

fn resolve(over: &str, xdg: &str, fallback: &[&str]) -> Result<PathBuf> {
    zt_files::resolve_dir(over, xdg, fallback)
        .map_err(|_| Error::config(zt_files::NoHome::MESSAGE, zt_files::NoHome::HINT))
}

/// `config.toml` and (with `--insecure-storage`) `tokens/`.
pub fn config_dir() -> Result<PathBuf> {
    resolve(env::ZT_CONFIG_DIR, env::XDG_CONFIG_HOME, &[".config"])
}

/// The ledger, the reaper's pid and log, the dev broker's files.
pub fn state_dir() -> Result<PathBuf> {
    resolve(env::ZT_STATE_DIR, env::XDG_STATE_HOME, &[".local", "state"])
}

/// Minted credentials: memory-backed `$XDG_RUNTIME_DIR` when there is one.
pub fn runtime_dir() -> Result<PathBuf> {
    if let Some(p) = env::var(env::ZT_RUNTIME_DIR) {
        return Ok(PathBuf::from(p));
    }
    if let Some(p) = env::var(env::XDG_RUNTIME_DIR) {
        return Ok(PathBuf::from(p).join("zt"));
    }
    Ok(state_dir()?.join("run"))
}

pub fn config_file() -> Result<PathBuf> {
    Ok(config_dir()?.join("config.toml"))
}

pub fn ledger_file() -> Result<PathBuf> {
    Ok(state_dir()?.join("ledger.json"))
}

/// The kubeconfig kubectl reads: the first file of `$KUBECONFIG`, else `~/.kube/config`.
pub fn kubeconfig() -> Result<PathBuf> {
    if let Some(list) = env::var(env::KUBECONFIG)
        && let Some(first) = std::env::split_paths(&list).find(|p| !p.as_os_str().is_empty())
    {
        return Ok(first);
    }
    Ok(home()?.join(".kube").join("config"))
}

fn file_from(var: &str, default: &[&str]) -> Result<PathBuf> {
    if let Some(p) = env::var(var) {
        return Ok(PathBuf::from(p));
    }
    let mut p = home()?;
    for part in default {
        p.push(part);
    }
    Ok(p)
}

/// `$AWS_CONFIG_FILE`, else `~/.aws/config` (where the AWS CLI and SDKs look).
pub fn aws_config() -> Result<PathBuf> {
    file_from(env::AWS_CONFIG_FILE, &[".aws", "config"])
}

/// `$AWS_SHARED_CREDENTIALS_FILE`, else `~/.aws/credentials`.
pub fn aws_credentials() -> Result<PathBuf> {
    file_from(env::AWS_SHARED_CREDENTIALS_FILE, &[".aws", "credentials"])
}

/// `$PGSERVICEFILE`, else `~/.pg_service.conf` (libpq's per-user service file).
pub fn pg_service() -> Result<PathBuf> {
    file_from(env::PGSERVICEFILE, &[".pg_service.conf"])
}

/// `$PGPASSFILE`, else `~/.pgpass`.
pub fn pgpass() -> Result<PathBuf> {
    file_from(env::PGPASSFILE, &[".pgpass"])
}

/// The user's ssh config, `~/.ssh/config` (absolute: its `Include` line and zt's file name
/// each other by absolute paths).
pub fn ssh_config() -> Result<PathBuf> {
    Ok(absolute(home()?)?.join(".ssh").join("config"))
}

/// zt's own ssh config, `~/.ssh/zt/config`, which the user's includes while zt has hosts.
pub fn zt_ssh_config() -> Result<PathBuf> {
    Ok(absolute(home()?)?.join(".ssh").join("zt").join("config"))
}

fn absolute(p: PathBuf) -> Result<PathBuf> {
    std::path::absolute(&p).map_err(|e| Error::io(format!("cannot resolve {}", p.display()), e))
}

/// A grant's own kubeconfig (`zt env`, `zt exec`), in the runtime dir.
pub fn grant_kubeconfig(grant: &str, tag: Option<&str>) -> Result<PathBuf> {
    if !zt_api::valid_name(grant) || tag.is_some_and(|t| !zt_api::valid_name(t)) {
        return Err(Error::usage(format!("{grant:?} is not a grant id")));
    }
    let name = match tag {
        Some(t) => format!("{grant}-{t}.yaml"),
        None => format!("{grant}.yaml"),
    };
    Ok(runtime_dir()?.join("kube").join(name))
}

/// Create a directory (and parents) readable only by the user.
pub fn ensure_private_dir(dir: &Path) -> Result<()> {
    zt_files::ensure_private_dir(dir).map_err(|e| Error::other(e.to_string()))
}

/// The catalog cache (`catalog-<profile>.json`, no secret, safe to delete): `$ZT_CACHE_DIR`,
/// else `$XDG_CACHE_HOME/zt`, else `~/.cache/zt`.
pub fn cache_dir() -> Result<PathBuf> {
    resolve(env::ZT_CACHE_DIR, env::XDG_CACHE_HOME, &[".cache"])
}
