//! Before asking for a grant: parse every file the grant would be written to, so a file zt
//! will not edit (an unparsable kubeconfig, AWS or libpq file) is refused before anything is
//! minted, rather than after — when a live grant would be left at the broker.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::ledger::IniFile;
use crate::materialize::{ini, kubeconfig, kubeyaml, pgpass};
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
        // Placeholder until the client's ssh support (issue 15, sshclient).
        ResourceKind::Ssh => vec![],
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
        };
        r.map_err(|e| kubeconfig::refused(file, e))
    }
}
