//! What the store's calls fail with: the outcomes callers act on (not found, refused by the
//! state machine, a reused idempotency key) apart from the database's own errors.

use std::fmt;

use zt_api::State;

#[derive(Debug)]
pub enum StoreError {
    /// No such request / grant.
    NotFound(String),
    /// The request was not in the state the change starts from (`actual`), or the change is
    /// not an edge of the state machine at all (`actual: None`).
    Refused {
        id: String,
        actual: Option<State>,
        to: State,
    },
    /// The same requester already used this idempotency key.
    Duplicate,
    /// A one-time value (a passkey approval's nonce) that was already used or replaced.
    Stale(String),
    /// A stored value that does not parse back: a bug or a hand-edited database.
    Corrupt(String),
    /// A stored credential this broker cannot open (sealed under another key, or edited):
    /// the message names the grant and what to do.
    Unreadable(String),
    /// A database this build of the broker left out (see [`crate::features`]).
    NotBuilt(String),
    Db(sqlx::Error),
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotFound(what) => write!(f, "{what}"),
            Self::Refused {
                id,
                actual: Some(a),
                to,
            } => write!(f, "request {id} is {a}; it cannot become {to}"),
            Self::Refused {
                id,
                actual: None,
                to,
            } => write!(f, "request {id} cannot become {to}"),
            Self::Duplicate => f.write_str("idempotency key already used"),
            Self::Corrupt(what) => write!(f, "corrupt row: {what}"),
            Self::Unreadable(what) | Self::NotBuilt(what) | Self::Stale(what) => f.write_str(what),
            // The server's own words and code: sqlx's PostgreSQL error appends "at line N" —
            // a line of the server's C source, which means nothing to whoever reads this.
            Self::Db(e) => match e.as_database_error() {
                Some(d) => match d.code() {
                    Some(code) => write!(f, "database: {} (code {code})", d.message()),
                    None => write!(f, "database: {}", d.message()),
                },
                None => write!(f, "database: {e}"),
            },
        }
    }
}

impl std::error::Error for StoreError {}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        Self::Db(e)
    }
}

impl From<sqlx::migrate::MigrateError> for StoreError {
    fn from(e: sqlx::migrate::MigrateError) -> Self {
        Self::Db(sqlx::Error::Migrate(Box::new(e)))
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;
