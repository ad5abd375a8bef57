//! Where the text being checked came from: its name and lines for messages
//! (`NAME:LINE:COL: what is wrong`), and its directory for the relative paths it holds.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// A text being read and the name messages give it: turns spans into `NAME:LINE:COL:`.
pub(super) struct Source<'a> {
    pub(super) name: String,
    pub(super) text: &'a str,
}

impl Source<'_> {
    pub(super) fn at(&self, span: Range<usize>, msg: impl fmt::Display) -> Error {
        let (line, col) = line_col(self.text, span.start);
        Error::usage(format!("{}:{line}:{col}: {msg}", self.name))
    }

    pub(super) fn toml(&self, e: &toml::de::Error) -> Error {
        match e.span() {
            Some(span) => self.at(span, e.message()),
            None => Error::usage(format!("{}: {}", self.name, e.message())),
        }
    }
}

/// 1-based line and column (in characters) of a byte offset.
pub(super) fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut end = offset.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let before = &text[..end];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

/// The start of the file: where a missing section is reported.
pub(super) const TOP: Range<usize> = 0..0;

/// Where relative paths in the file lead: `shown` keeps the directory as the user wrote it (for
/// messages), `base` is absolute (for opening, whatever the working directory later is).
pub(super) struct Dirs {
    shown: PathBuf,
    base: PathBuf,
}

impl Dirs {
    pub(super) fn of(path: &Path) -> Result<Self> {
        let abs = std::path::absolute(path)
            .map_err(|e| Error::usage(format!("{}: {e}", path.display())))?;
        let parent = |p: &Path| p.parent().map(Path::to_path_buf).unwrap_or_default();
        Ok(Self {
            shown: parent(path),
            base: parent(&abs),
        })
    }

    pub(super) fn resolve(&self, p: &str) -> PathBuf {
        self.base.join(p)
    }

    pub(super) fn show(&self, p: &str) -> PathBuf {
        self.shown.join(p)
    }
}

#[cfg(test)]
mod tests {
    //! Mistakes in the file as a whole — unknown keys, wrong types, bad syntax — each refused
    //! where it is (toml's own spans, placed by [`Source::toml`](super::Source::toml)), and the
    //! line and column counting behind every message.

    use super::line_col;
    use crate::config::tests::{refused, with};

    #[test]
    fn unknown_keys_are_refused_where_they_are() {
        let t = with("listen = ", "lisen = 1\nlisten = ");
        refused(&t, Some("lisen"), "unknown field `lisen`");
        let t = with("[store]", "[stor]");
        refused(&t, Some("[stor]"), "unknown field `stor`");
        let t = with(
            "audience = \"zt-broker\"\n\n[catalog]",
            "audience = \"zt-broker\"\njwks = \"x\"\n\n[catalog]",
        );
        refused(&t, Some("jwks = "), "unknown field `jwks`");
        let t = with(
            "audience = \"zt-broker\"\n\n[catalog]",
            "audience = \"zt-broker\"\nclaims = { group = \"roles\" }\n\n[catalog]",
        );
        refused(&t, Some("claims = "), "unknown field `group`");
        // Inside the inline catalog too, with the config file's line.
        let t = with(
            "auto_approve_groups",
            "aprover_groups = []\nauto_approve_groups",
        );
        refused(&t, Some("aprover_groups"), "unknown field `aprover_groups`");
    }

    #[test]
    fn wrong_types_are_refused_where_they_are() {
        refused(
            &with("listen = \"127.0.0.1:0\"", "listen = 8443"),
            Some("listen = 8443"),
            "invalid type: integer",
        );
        let t = with(
            "audience = \"zt-broker\"\n\n[catalog]",
            "audience = \"zt-broker\"\nleeway_secs = \"60\"\n\n[catalog]",
        );
        refused(&t, Some("leeway_secs"), "expected u64");
        refused(
            &with(
                "client_id = \"zt-cli\"",
                "client_id = \"zt-cli\"\nscopes = \"openid\"",
            ),
            Some("scopes"),
            "invalid type: string",
        );
        refused(
            &with("[server]", "admin_groups = \"zt-admins\"\n[server]"),
            Some("admin_groups"),
            "invalid type",
        );
    }

    #[test]
    fn syntax_errors_name_their_line() {
        refused(&with("[login]", "[login"), Some("[login"), "");
        refused(
            &with("client_id = \"zt-cli\"", "client_id = \"zt-cli"),
            Some("client_id"),
            "",
        );
    }

    #[test]
    fn line_and_column_count_characters() {
        assert_eq!(line_col("ab\ncé\nx", 0), (1, 1));
        assert_eq!(line_col("ab\ncé\nx", 3), (2, 1));
        // After the two-byte é: column 3, not 4.
        assert_eq!(line_col("ab\ncé\nx", 6), (2, 3));
        // Inside a character, or past the end: no panic.
        assert_eq!(line_col("ab\ncé\nx", 5), (2, 2));
        assert_eq!(line_col("ab", 99), (1, 3));
    }
}
