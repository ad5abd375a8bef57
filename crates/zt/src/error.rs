//! The one error type of the client, its hints, and the exit-code table. Errors are classified
//! once, where they arise (`ErrorKind`); `main` prints the message and hint and turns the kind
//! into the process's exit code. The table is documented in the README and the man page.

use std::fmt;
use std::process::ExitCode;
use std::sync::Arc;

/// What went wrong, as far as a script cares. Each kind has its own exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// Anything else (I/O, a broker that answered garbage, an unparsable file): exit 1.
    Other,
    /// Bad flags or arguments: exit 2 (clap uses the same code).
    Usage,
    /// Policy or an approver said no: exit 3.
    Denied,
    /// Not logged in, or the login expired and cannot be refreshed: exit 4.
    AuthRequired,
    /// Still pending when `--timeout` ran out: exit 5.
    Pending,
    /// The grant is over (expired or revoked); a credential helper says so: exit 6.
    GrantEnded,
    /// The broker (or IdP) could not be reached: exit 7.
    Unavailable,
    /// Not found (unknown resource, request or grant): exit 8.
    NotFound,
    /// Not allowed (not an approver, approving one's own request): exit 9.
    Forbidden,
    /// Interrupted by the user (Ctrl-C): exit 130.
    Cancelled,
    /// `zt exec`: the command's own non-zero status, passed through.
    Child(u8),
}

impl ErrorKind {
    pub fn exit_code(self) -> u8 {
        match self {
            Self::Other => 1,
            Self::Usage => 2,
            Self::Denied => 3,
            Self::AuthRequired => 4,
            Self::Pending => 5,
            Self::GrantEnded => 6,
            Self::Unavailable => 7,
            Self::NotFound => 8,
            Self::Forbidden => 9,
            Self::Cancelled => 130,
            Self::Child(code) => code,
        }
    }

    /// The kind's name in `--json` errors (`{"error": {"kind": …}}`); stable for scripts.
    pub fn name(self) -> &'static str {
        match self {
            Self::Other => "error",
            Self::Usage => "usage",
            Self::Denied => "denied",
            Self::AuthRequired => "auth_required",
            Self::Pending => "pending",
            Self::GrantEnded => "grant_ended",
            Self::Unavailable => "unavailable",
            Self::NotFound => "not_found",
            Self::Forbidden => "forbidden",
            Self::Cancelled => "cancelled",
            Self::Child(_) => "child",
        }
    }

    /// The table printed in the README and the man page.
    pub const TABLE: [(u8, &'static str); 11] = [
        (0, "success"),
        (1, "error (I/O, unparsable file, broker answered garbage)"),
        (2, "usage: bad flags or arguments"),
        (3, "denied by policy or by an approver"),
        (
            4,
            "not logged in, or the login cannot be refreshed: run `zt login`; or policy needs a stronger or fresher sign-in (step-up) and there is no terminal to sign in again on",
        ),
        (
            5,
            "still pending: --timeout ran out, `zt approve` of a request that needs a passkey (it prints the review link), or a grant's credential asked for before its `--start-at`",
        ),
        (
            6,
            "the grant is over (expired or revoked), or the request expired undecided",
        ),
        (7, "broker or identity provider unreachable"),
        (8, "not found (resource, request or grant)"),
        (9, "forbidden (not an approver, or your own request)"),
        (130, "cancelled (Ctrl-C)"),
    ];
}

/// A client error: a one-line message, what to do next, its kind, and what caused it (the
/// library error underneath, kept whole as jj's `CommandError` keeps its, so `--verbose` can
/// show the chain the message summarises).
#[derive(Debug)]
pub struct Error {
    pub kind: ErrorKind,
    pub message: String,
    pub hint: Option<String>,
    pub source: Option<Arc<dyn std::error::Error + Send + Sync>>,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            hint: None,
            source: None,
        }
    }

    /// Keep `cause` as this error's source (shown under the message with `--verbose`).
    pub fn with_source(mut self, cause: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.source = Some(Arc::new(cause));
        self
    }

    /// The cause chain's messages, outermost first, without those the message already says
    /// (`Error::io` puts its cause in the message too).
    pub fn causes(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let mut next: Option<&(dyn std::error::Error + 'static)> =
            self.source.as_deref().map(|e| e as _);
        while let Some(e) = next {
            let text = e.to_string();
            if !text.is_empty() && !self.message.contains(&text) && !out.contains(&text) {
                out.push(text);
            }
            next = e.source();
        }
        out
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    pub fn other(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Other, message)
    }

    pub fn usage(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Usage, message)
    }

    pub fn config(message: impl Into<String>, hint: impl Into<String>) -> Self {
        Self::new(ErrorKind::Other, message).with_hint(hint)
    }

    pub fn auth_required(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::AuthRequired, message).with_hint("run `zt login`")
    }

    pub fn io(context: impl Into<String>, e: std::io::Error) -> Self {
        Self::other(format!("{}: {e}", context.into())).with_source(e)
    }

    pub fn exit_code(&self) -> ExitCode {
        ExitCode::from(self.kind.exit_code())
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source.as_deref().map(|e| e as _)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_are_distinct_and_tabled() {
        let kinds = [
            ErrorKind::Other,
            ErrorKind::Usage,
            ErrorKind::Denied,
            ErrorKind::AuthRequired,
            ErrorKind::Pending,
            ErrorKind::GrantEnded,
            ErrorKind::Unavailable,
            ErrorKind::NotFound,
            ErrorKind::Forbidden,
            ErrorKind::Cancelled,
        ];
        let mut codes: Vec<u8> = kinds.iter().map(|k| k.exit_code()).collect();
        for c in &codes {
            assert!(
                ErrorKind::TABLE.iter().any(|(t, _)| t == c),
                "{c} not in table"
            );
        }
        codes.sort();
        codes.dedup();
        assert_eq!(codes.len(), kinds.len());
    }
}
