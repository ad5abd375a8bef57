//! Before asking for a grant: parse every file the grant would be written to, so a file zt
//! will not edit (an unparsable kubeconfig, AWS, libpq or ssh file) is refused before anything is
//! minted, rather than after — when a live grant would be left at the broker.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::ledger::IniFile;
use crate::materialize::{ini, kubeconfig, kubeyaml, pgpass, sshconfig};
use crate::{fsutil, paths};
use zt_api::ResourceKind;

use super::How;

/// Ok when each file `kind` writes is absent or one zt can edit.
pub fn check(kind: ResourceKind, how: How) -> Result<()> {
    let files: Vec<(PathBuf, Parser)> = match kind {
        ResourceKind::Kubernetes => vec![(paths::kubeconfig()?, Parser::Kube)],
        ResourceKind::Aws if how.static_keys => vec![
            (
                paths::aws_credentials()?,
                Parser::Ini(IniFile::AwsCredentials),
            ),
            (paths::aws_config()?, Parser::Ini(IniFile::AwsConfig)),
        ],
        ResourceKind::Aws => vec![(paths::aws_config()?, Parser::Ini(IniFile::AwsConfig))],
        ResourceKind::Postgres => vec![
            (paths::pg_service()?, Parser::Ini(IniFile::PgService)),
            (paths::pgpass()?, Parser::Pgpass),
        ],
        ResourceKind::Ssh => vec![
            (paths::ssh_config()?, Parser::SshConfig),
            (paths::zt_ssh_config()?, Parser::ZtSsh),
        ],
    };
    for (file, parser) in files {
        parser.check(&file).map_err(|e| {
            let message = e.message;
            Error::other(message).with_hint(
                "zt asked the broker for nothing and left the file untouched; fix it and run the command again",
            )
        })?;
    }
    Ok(())
}

enum Parser {
    Kube,
    Ini(IniFile),
    Pgpass,
    /// The user's ssh config (zt adds a line at its top).
    SshConfig,
    /// zt's own ssh config.
    ZtSsh,
}

impl Parser {
    fn check(&self, file: &Path) -> Result<()> {
        // Bounded like every later read: an oversized file is refused here, before the request.
        let Some(text) = fsutil::read_optional_max(file, fsutil::MAX_USER_FILE)? else {
            return Ok(());
        };
        let r = match self {
            Parser::Kube => kubeyaml::validate(&text),
            Parser::Ini(kind) => ini::validate(&text, kind.dialect()),
            Parser::Pgpass => pgpass::zt_grants(&text).map(|_| ()),
            Parser::SshConfig => paths::zt_ssh_config()
                .ok()
                .map_or(Ok(()), |zt| sshconfig::add_include(&text, &zt).map(|_| ())),
            Parser::ZtSsh => sshconfig::parse(&text).map(|_| ()),
        };
        r.map_err(|e| kubeconfig::refused(file, e))
    }
}
