//! The error of the `zt-broker` process (not of its HTTP API, see [`super::problem`]): a
//! message, what to do next, and the exit code `zt-broker`'s `main.rs` returns.

use std::fmt;

#[derive(Debug)]
pub struct Error {
    pub message: String,
    pub hint: Option<String>,
    /// 1: failure; 2: usage (as clap).
    pub code: u8,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn other(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            hint: None,
            code: 1,
        }
    }

    pub fn usage(message: impl Into<String>) -> Self {
        Self {
            code: 2,
            ..Self::other(message)
        }
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    pub fn io(context: impl fmt::Display, e: std::io::Error) -> Self {
        Self::other(format!("{context}: {e}"))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

impl From<crate::store::StoreError> for Error {
    fn from(e: crate::store::StoreError) -> Self {
        Self::other(format!("store: {e}"))
    }
}
