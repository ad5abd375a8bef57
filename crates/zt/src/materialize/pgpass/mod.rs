//! Adds and removes zt's line in `~/.pgpass` by editing its text, because the file is the
//! user's: every other byte (comments, order, wildcard lines, line endings, a byte-order mark,
//! a missing final line break) must survive.
//!
//! libpq reads `host:port:database:user:password` lines, `:` and `\` escaped with `\`, `*` a
//! wildcard field, `#` at the start of a line a comment, and takes the first matching line. So
//! zt's line goes at the top of the file (after a byte-order mark), below a marker comment
//! `# zt: grant <id>, expires <rfc3339>`, and wins over the user's wildcards. Wipe removes the
//! marker and the line right below it, when that line is zt's (it starts with the
//! `host:port:database:user:` zt wrote, recorded in the undo; without a record, any entry line
//! counts). The result is re-read with libpq's own matching rules before it is handed back.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::ini::text::{Prepared, body, line_ranges, prepare, rebuild};
use super::kubeyaml::{EditError, Wiped};
use zt_api::valid_name;

/// Start of zt's marker comment, the line right above zt's entry.
const MARKER: &str = "# zt: grant ";

/// zt's pgpass line for one grant. Fields are written through [`escape`].
#[derive(Debug, Clone, Copy)]
pub struct PgpassEntry<'a> {
    pub host: &'a str,
    pub port: u16,
    pub database: &'a str,
    pub user: &'a str,
    pub password: &'a str,
    /// Recorded in zt's marker; wipe finds the line by it.
    pub grant_id: &'a str,
    /// RFC 3339, recorded in zt's marker.
    pub expires_at: &'a str,
}

/// What wipe needs beyond the text, stored (as JSON) in zt's ledger; never the password.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PgpassUndo {
    /// apply got an empty text: the file did not exist (or was empty), so wipe may remove it
    /// again once nothing but zt's lines was in it.
    #[serde(default)]
    pub created: bool,
    /// The escaped `host:port:database:user:` that starts zt's line: wipe removes the line
    /// below zt's marker only if it starts so (a user who deleted zt's line keeps theirs).
    #[serde(default)]
    pub key: String,
}

impl PgpassUndo {
    /// Combine with the undo of a later apply for the same grant: the file as first found
    /// decides `created`; the line now in the file is the later one.
    pub fn merge(self, later: PgpassUndo) -> PgpassUndo {
        PgpassUndo {
            created: self.created || later.created,
            key: match later.key.is_empty() {
                true => self.key,
                false => later.key,
            },
        }
    }
}

/// A field as libpq reads it back: `\` and `:` escaped with `\`. A field that is exactly `*`
/// stays the wildcard.
pub fn escape(field: &str) -> String {
    let mut s = String::with_capacity(field.len() + 2);
    for c in field.chars() {
        if c == ':' || c == '\\' {
            s.push('\\');
        }
        s.push(c);
    }
    s
}

fn err(message: impl Into<String>) -> EditError {
    EditError {
        line: None,
        message: message.into(),
    }
}

fn verify_failed() -> EditError {
    err("internal: edit verification failed; file left untouched")
}

fn check(e: &PgpassEntry) -> Result<(), EditError> {
    for (name, value, required) in [
        ("host", e.host, true),
        ("database", e.database, true),
        ("user", e.user, true),
        ("password", e.password, false),
    ] {
        if required && value.is_empty() {
            return Err(err(format!(
                "zt will not write a pgpass line with an empty {name}"
            )));
        }
        // A line break would start a line of the broker's choosing; other control characters
        // have no business in a pgpass line either.
        if value.chars().any(char::is_control) {
            return Err(err(format!(
                "zt will not write a pgpass {name} containing a line break or control character"
            )));
        }
    }
    if !valid_name(e.grant_id) {
        return Err(err(format!(
            "zt will not write the grant id {:?} into its marker",
            e.grant_id
        )));
    }
    if e.expires_at.chars().any(char::is_control) {
        return Err(err(format!(
            "zt will not write the expiry {:?} into its marker",
            e.expires_at
        )));
    }
    Ok(())
}

/// The grant named in a marker line, if it is zt's.
fn grant_of(line: &str) -> Option<&str> {
    let rest = line.strip_prefix(MARKER)?;
    Some(&rest[..rest.find([',', ' ', '\t']).unwrap_or(rest.len())])
}

/// Is `line`, right below zt's marker, zt's entry?
fn owned(line: &str, key: &str) -> bool {
    !line.is_empty() && !line.starts_with('#') && line.starts_with(key)
}

/// Which lines to keep once zt's marker for `grant` and its entry are dropped.
fn keep_without(
    prep: &Prepared,
    lines: &[std::ops::Range<usize>],
    grant: &str,
    key: &str,
) -> Vec<bool> {
    let mut keep = vec![true; lines.len()];
    let line = |i: usize| lines.get(i).map(|r| body(&prep.work, r));
    for i in 0..lines.len() {
        if line(i).and_then(grant_of) == Some(grant) {
            keep[i] = false;
            if line(i + 1).is_some_and(|l| owned(l, key)) {
                keep[i + 1] = false;
            }
        }
    }
    keep
}

/// The lines of `text` as the editor sees them.
fn bodies(text: &str) -> Result<Vec<String>, EditError> {
    let prep = prepare(text)?;
    Ok(line_ranges(&prep.work)
        .iter()
        .map(|r| body(&prep.work, r).to_string())
        .collect())
}

fn kept(prep: &Prepared, lines: &[std::ops::Range<usize>], keep: &[bool]) -> Vec<String> {
    lines
        .iter()
        .zip(keep)
        .filter(|(_, k)| **k)
        .map(|(r, _)| body(&prep.work, r).to_string())
        .collect()
}

/// Put zt's marker and line at the top of the file (after a byte-order mark), replacing zt's
/// previous ones for the same grant. `text` may be empty (file absent).
pub fn apply(text: &str, entry: &PgpassEntry) -> Result<(String, PgpassUndo), EditError> {
    check(entry)?;
    let prep = prepare(text)?;
    let lines = line_ranges(&prep.work);
    let key = format!(
        "{}:{}:{}:{}:",
        escape(entry.host),
        entry.port,
        escape(entry.database),
        escape(entry.user)
    );
    let line = format!("{key}{}", escape(entry.password));
    let marker = format!("{MARKER}{}, expires {}", entry.grant_id, entry.expires_at);
    let keep = keep_without(&prep, &lines, entry.grant_id, &key);
    let eol = prep.eol;
    let insert = BTreeMap::from([(0, format!("{marker}{eol}{line}{eol}"))]);
    let out = prep.finish(rebuild(&prep.work, &lines, &keep, &insert));
    // The result must be the old lines with zt's two on top, and libpq must find zt's password.
    let mut expected = vec![marker, line];
    expected.extend(kept(&prep, &lines, &keep));
    let port = entry.port.to_string();
    if bodies(&out).map_err(|_| verify_failed())? != expected
        || lookup(&out, entry.host, &port, entry.database, entry.user).as_deref()
            != Some(entry.password)
    {
        return Err(verify_failed());
    }
    Ok((
        out,
        PgpassUndo {
            created: text.is_empty(),
            key,
        },
    ))
}

/// Remove zt's marker for `grant_id` and zt's line below it. Already gone is not an error: the
/// text comes back unchanged.
pub fn wipe(text: &str, grant_id: &str, undo: &PgpassUndo) -> Result<Wiped, EditError> {
    let prep = prepare(text)?;
    let lines = line_ranges(&prep.work);
    let keep = keep_without(&prep, &lines, grant_id, &undo.key);
    if keep.iter().all(|k| *k) {
        return Ok(Wiped::Text(text.to_string()));
    }
    let out = prep.finish(rebuild(&prep.work, &lines, &keep, &BTreeMap::new()));
    if bodies(&out).map_err(|_| verify_failed())? != kept(&prep, &lines, &keep) {
        return Err(verify_failed());
    }
    Ok(match undo.created && out.is_empty() {
        true => Wiped::RemoveFile,
        false => Wiped::Text(out),
    })
}

/// Grant ids of zt's markers in the file (for repair/status).
pub fn zt_grants(text: &str) -> Result<Vec<String>, EditError> {
    Ok(bodies(text)?
        .iter()
        .filter_map(|l| grant_of(l).map(str::to_string))
        .collect())
}

/// libpq's `pwdfMatchesString`: the rest of `buf` after a field that matches `token`.
fn field<'b>(buf: &'b [u8], token: &[u8]) -> Option<&'b [u8]> {
    if buf.starts_with(b"*:") {
        return buf.get(2..);
    }
    // C strings: reading past the end gives NUL.
    let at = |s: &[u8], i: usize| s.get(i).copied().unwrap_or(0);
    let (mut i, mut j, mut bslash) = (0, 0, false);
    while at(buf, i) != 0 {
        if at(buf, i) == b'\\' && !bslash {
            i += 1;
            bslash = true;
        }
        if at(buf, i) == b':' && at(token, j) == 0 && !bslash {
            return buf.get(i + 1..);
        }
        bslash = false;
        if at(token, j) == 0 || at(buf, i) != at(token, j) {
            return None;
        }
        i += 1;
        j += 1;
    }
    None
}

/// The password libpq's `passwordFromFile` finds in `text` for these connection parameters.
pub fn lookup(text: &str, host: &str, port: &str, database: &str, user: &str) -> Option<String> {
    for line in text.split('\n') {
        if line.starts_with('#') {
            continue;
        }
        let line = line.trim_end_matches(['\r', '\n']).as_bytes();
        if line.is_empty() {
            continue;
        }
        let Some(rest) = [host, port, database, user]
            .iter()
            .try_fold(line, |buf, token| field(buf, token.as_bytes()))
        else {
            continue;
        };
        let mut pw = Vec::new();
        let mut k = 0;
        while let Some(&c) = rest.get(k)
            && c != b':'
        {
            let c = match (c, rest.get(k + 1)) {
                (b'\\', Some(&next)) => {
                    k += 1;
                    next
                }
                _ => c,
            };
            pw.push(c);
            k += 1;
        }
        return String::from_utf8(pw).ok();
    }
    None
}

#[cfg(test)]
mod tests;
