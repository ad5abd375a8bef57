//! `zt-broker ssh ca` and `zt-broker ssh krl --out FILE`: what an SSH host needs from the
//! broker's user CA, for a host (or a person) with the broker's configuration or a dev
//! broker's data directory rather than its HTTP API (`GET /v1/ssh/ca`, `GET /v1/ssh/krl`).

use std::path::Path;

use crate::cli::{SshKrlArgs, StoreArgs};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::issuers::ssh::{self, ca::CaSource, ca::DEV_CA_FILE, ca::SshCa};
use zt_api::Timestamp;

/// The CA `args` points at: `[ssh]` of the configuration, or the data directory's file.
/// Nothing is created.
fn ca_of(args: &StoreArgs) -> Result<SshCa> {
    let src = match (&args.config, &args.data_dir) {
        (Some(config), _) => Config::load(config)?.ssh_ca.ok_or_else(|| {
            Error::usage(format!(
                "{}: no [ssh] section: this broker has no SSH CA",
                config.display()
            ))
        })?,
        (None, Some(dir)) => CaSource::File(dir.join(DEV_CA_FILE)),
        (None, None) => return Err(Error::usage("give --config FILE or --data-dir DIR")),
    };
    if let CaSource::File(p) = &src
        && !p.exists()
    {
        return Err(
            Error::other(format!("no SSH CA: {} does not exist", p.display()))
                .with_hint("a dev broker makes it at its first start in its data directory"),
        );
    }
    SshCa::load(&src).map_err(|e| Error::usage(format!("[ssh] {e}")))
}

/// `zt-broker ssh ca`: the TrustedUserCAKeys line.
pub fn ca_main(args: &StoreArgs) -> Result<()> {
    println!("{}", ca_of(args)?.public_line());
    Ok(())
}

/// `zt-broker ssh krl --out FILE`: the KRL, written atomically (0644: it is public, and sshd
/// may run as another user than the one refreshing it).
pub async fn krl_main(args: &SshKrlArgs) -> Result<()> {
    let ca = ca_of(&args.store)?;
    let (url, key) = super::audit::database(&args.store)?;
    let store = super::open_store(&url, &key).await?;
    let now = Timestamp::now();
    let built = ssh::current_krl(&store, &ca, now).await;
    let count = store
        .revoked_ssh_serials(now)
        .await
        .map(|r| r.serials.len());
    store.close().await;
    let bytes = built.map_err(|e| Error::other(format!("store {}: {e}", url.describe())))?;
    write(&args.out, &bytes)?;
    println!(
        "wrote {}: {} revoked certificate(s)",
        args.out.display(),
        count.unwrap_or(0)
    );
    Ok(())
}

fn write(path: &Path, bytes: &[u8]) -> Result<()> {
    zt_files::atomic_write(path, bytes, 0o644)
        .map_err(|e| Error::io(format!("cannot write {}", path.display()), e))
}
