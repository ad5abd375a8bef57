//! The requester and the request as AWS will take them: session names and session tag values
//! kept to the characters and lengths STS allows.

use super::{NAME_MAX, TAG_VALUE_MAX};

/// The requester as a `RoleSessionName` / `SourceIdentity`: AWS allows `[\w+=,.@-]` and 2–64
/// characters, so every other character (space, quote, `;`, any non-ASCII letter) becomes `_`,
/// the name is cut at 64 and a 1-character one is padded. An email address stays as it is,
/// which is what CloudTrail readers look for.
pub fn session_name(requester: &str) -> String {
    let mut name: String = requester
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "_+=,.@-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .take(NAME_MAX)
        .collect();
    if name.is_empty() {
        name.push_str("zt");
    }
    while name.len() < 2 {
        name.push('_');
    }
    name
}

/// A session tag value: AWS allows letters, digits, spaces and `_.:/=+-@`, at most 256
/// characters. Kept to ASCII (AWS's letters include Unicode ones, but IAM condition keys
/// compared against these are written in ASCII); anything else becomes `_`.
pub fn tag_value(value: &str) -> String {
    value
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || " _.:/=+-@".contains(c) {
                c
            } else {
                '_'
            }
        })
        .take(TAG_VALUE_MAX)
        .collect()
}
