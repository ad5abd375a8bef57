//! The names zt gives the objects it makes at the cluster: DNS-1123 labels built from the
//! requester and the grant id.

use super::{MAX_NAME, SHORT_ID};
use crate::crypto::sha256_hex;

/// `[a-z0-9]([-a-z0-9]*[a-z0-9])?`, at most 63 characters.
pub fn is_dns_label(s: &str) -> bool {
    let b = s.as_bytes();
    let inner = |c: &u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    !b.is_empty()
        && b.len() <= MAX_NAME
        && b.iter().all(|c| inner(c) || *c == b'-')
        && b.first().is_some_and(inner)
        && b.last().is_some_and(inner)
}

/// The grant id as it goes into names and the `zt.dev/grant` label: itself when it is short
/// lowercase alphanumerics (the store's ids are 16 hex digits), else a digest of it, so no
/// id can make an invalid name or label.
pub(super) fn short_id(id: &str) -> String {
    if !id.is_empty()
        && id.len() <= SHORT_ID
        && id
            .bytes()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
    {
        id.to_owned()
    } else {
        sha256_hex(id.as_bytes())[..SHORT_ID].to_owned()
    }
}

/// The requester as the middle of a DNS-1123 label, at most `max` characters: the local part
/// of an email, lowercased, every run of other characters made one `-`, no `-` at either end;
/// `user` when nothing is left.
fn sanitise(requester: &str, max: usize) -> String {
    let local = requester.split('@').next().unwrap_or(requester);
    let mut out = String::new();
    for c in local.chars() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    out.truncate(max);
    let trimmed = out.trim_end_matches('-');
    if trimmed.is_empty() {
        "user".into()
    } else {
        trimmed.to_owned()
    }
}

/// The ServiceAccount's (and binding's) name: `zt-<requester>-<grant id>`.
pub fn object_name(requester: &str, grant_id: &str) -> String {
    let id = short_id(grant_id);
    let room = MAX_NAME - "zt-".len() - 1 - id.len();
    format!("zt-{}-{id}", sanitise(requester, room))
}
