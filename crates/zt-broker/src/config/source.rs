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
