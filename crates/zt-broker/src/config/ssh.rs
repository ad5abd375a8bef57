//! The `[ssh]` section: where the broker's SSH user CA key comes from — `ca_key_file` (an
//! unencrypted OpenSSH Ed25519 private key, mode 0600) or `ca_key_env` (the name of a variable
//! holding one); never the key itself. Needed when the catalog has an `ssh` resource.

use serde::Deserialize;
use toml::Spanned;

use super::source::{Dirs, Source};
use crate::error::Result;
use crate::issuers::ssh::ca::CaSource;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSsh {
    ca_key_file: Option<Spanned<String>>,
    ca_key_env: Option<Spanned<String>>,
}

pub(super) fn ssh_section(
    src: &Source<'_>,
    dirs: &Dirs,
    raw: Option<Spanned<RawSsh>>,
) -> Result<Option<CaSource>> {
    let Some(raw) = raw else {
        return Ok(None);
    };
    let span = raw.span();
    let raw = raw.into_inner();
    match (raw.ca_key_file, raw.ca_key_env) {
        (Some(_), Some(env)) => Err(src.at(
            env.span(),
            "[ssh] takes ca_key_file or ca_key_env, not both",
        )),
        (Some(file), None) if file.get_ref().trim().is_empty() => {
            Err(src.at(file.span(), "ca_key_file is empty"))
        }
        (Some(file), None) => Ok(Some(CaSource::File(dirs.resolve(file.get_ref().trim())))),
        (None, Some(env)) => {
            let name = env.get_ref().trim();
            if name.is_empty() || name.contains(['=', '\0']) {
                return Err(src.at(env.span(), "ca_key_env: not a variable name"));
            }
            Ok(Some(CaSource::Env(name.to_owned())))
        }
        (None, None) => Err(src.at(
            span,
            "[ssh] needs ca_key_file (a 0600 OpenSSH Ed25519 private key) or ca_key_env (the \
             name of a variable holding one)",
        )),
    }
}
