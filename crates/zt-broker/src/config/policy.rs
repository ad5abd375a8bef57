//! The `[policy]` section: the directory of Cedar policy files that decide every request
//! (`dir`, relative to the configuration file). Without it the catalog's own group rules
//! (`requester_groups`, `auto_approve_groups`, `approver_groups`) decide, as Cedar policies
//! generated from the catalog.
//!
//! Only the directory is checked here; the policies themselves are loaded and validated by
//! [`crate::serve`] (and `zt-broker check`), with their own `file:line:column` errors.

use std::path::PathBuf;

use serde::Deserialize;
use toml::Spanned;

use super::source::{Dirs, Source};
use crate::error::Result;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPolicy {
    pub(super) dir: Spanned<String>,
}

/// `[policy]`, checked: a directory that exists.
#[derive(Debug, Clone, PartialEq)]
pub struct PolicyDir {
    /// Absolute: what the broker reads and watches.
    pub dir: PathBuf,
    /// As written, relative to the configuration's directory: what messages show.
    pub shown: PathBuf,
}

pub(super) fn policy_section(
    src: &Source<'_>,
    dirs: &Dirs,
    raw: Option<RawPolicy>,
) -> Result<Option<PolicyDir>> {
    let Some(raw) = raw else { return Ok(None) };
    let name = raw.dir.get_ref().trim();
    if name.is_empty() {
        return Err(src.at(raw.dir.span(), "[policy] dir is empty"));
    }
    let (dir, shown) = (dirs.resolve(name), dirs.show(name));
    if !dir.is_dir() {
        return Err(src.at(
            raw.dir.span(),
            format!(
                "[policy] dir {} is not a directory (the *.cedar files go there)",
                shown.display()
            ),
        ));
    }
    Ok(Some(PolicyDir { dir, shown }))
}

#[cfg(test)]
mod tests {
    use crate::config::Config;
    use crate::config::tests::BASE;

    #[test]
    fn the_policy_dir_is_relative_to_the_file_and_must_exist() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::create_dir(tmp.path().join("policies")).unwrap();
        let path = tmp.path().join("broker.toml");
        let c = Config::parse(BASE, &path).unwrap();
        assert_eq!(c.policy, None);
        let c = Config::parse(&format!("{BASE}[policy]\ndir = \"policies\"\n"), &path).unwrap();
        assert_eq!(c.policy.unwrap().dir, tmp.path().join("policies"));
        let line = BASE.lines().count() + 2;
        for (bad, says) in [
            ("dir = \"nope\"", "nope is not a directory"),
            ("dir = \" \"", "dir is empty"),
            ("directory = \"policies\"", "unknown field `directory`"),
        ] {
            let e = Config::parse(&format!("{BASE}[policy]\n{bad}\n"), &path).unwrap_err();
            assert!(e.message.contains(says), "{bad}: {}", e.message);
            assert!(
                e.message.contains(&format!("broker.toml:{line}:")),
                "{bad}: {}",
                e.message
            );
        }
    }
}
