//! What a request body must be beyond its JSON types, as openapi.yaml's schemas say: a JSON
//! object (serde would also take an array for a struct), and free text (`reason`, `ticket`,
//! `comment`) within its length and free of control characters but newline (CR LF counts as
//! one). The extractors check it before any handler runs, so a body off the document is a 400
//! whatever the id in the path names — never a 404 or 409 that hides the malformed body.

use super::text::{MAX_COMMENT, MAX_REASON, MAX_TICKET, check as free_text};
use crate::problem::ApiError;
use zt_api::{Comment, CreateBundle, CreateRequest, CredentialsRequest, ExtendRequest};

/// A body type's rules past its JSON shape.
pub trait Wellformed {
    fn check(&self) -> Result<(), ApiError>;
}

/// The top level is an object (`{`), as every body schema says.
pub fn check_object(body: &[u8]) -> Result<(), ApiError> {
    match body.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'{') => Ok(()),
        _ => Err(ApiError::invalid("the body must be a JSON object")),
    }
}

fn opt(what: &str, v: &Option<String>, max: usize) -> Result<(), ApiError> {
    v.as_deref().map_or(Ok(()), |v| free_text(what, v, max))
}

impl Wellformed for CreateRequest {
    fn check(&self) -> Result<(), ApiError> {
        opt("reason", &self.reason, MAX_REASON)?;
        opt("ticket", &self.ticket, MAX_TICKET)
    }
}

impl Wellformed for CreateBundle {
    fn check(&self) -> Result<(), ApiError> {
        opt("reason", &self.reason, MAX_REASON)?;
        opt("ticket", &self.ticket, MAX_TICKET)
    }
}

impl Wellformed for ExtendRequest {
    fn check(&self) -> Result<(), ApiError> {
        opt("reason", &self.reason, MAX_REASON)
    }
}

impl Wellformed for CredentialsRequest {
    /// Its length only (openapi.yaml's maxLength); what the key is, the `ssh` issuer checks.
    fn check(&self) -> Result<(), ApiError> {
        match &self.public_key {
            Some(k) if k.chars().count() > crate::issuers::ssh::MAX_PUBLIC_KEY_LEN => {
                Err(ApiError::invalid(format!(
                    "public_key is longer than {} characters",
                    crate::issuers::ssh::MAX_PUBLIC_KEY_LEN
                )))
            }
            _ => Ok(()),
        }
    }
}

impl Wellformed for Comment {
    fn check(&self) -> Result<(), ApiError> {
        opt("comment", &self.comment, MAX_COMMENT)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_text_is_printable_with_newlines_and_bounded() {
        for (v, ok) in [
            ("INC-1: disk full\nsee runbook", true),
            ("line one\r\nline two", true),
            ("tab\there", false),
            ("lone\rcr", false),
            ("esc \u{1b}[31m", false),
            ("del \u{7f}", false),
            ("c1 \u{85}", false),
            ("trailing cr\r", false),
            ("ünïcödé ✓ \u{202e}", true),
        ] {
            assert_eq!(free_text("reason", v, 1000).is_ok(), ok, "{v:?}");
        }
        assert!(free_text("reason", &"x".repeat(1000), 1000).is_ok());
        assert!(free_text("reason", &"x".repeat(1001), 1000).is_err());
        assert!(check_object(b" {}").is_ok());
        assert!(check_object(b"[]").is_err());
        assert!(check_object(b"null").is_err());
    }
}
