//! Adds and removes zt's sections in the INI files tools read credentials from
//! (`~/.aws/config`, `~/.aws/credentials`, `~/.pg_service.conf`) by editing their text, because
//! the user's file is theirs: every byte outside zt's own section (comments, order, spacing,
//! nested values, other sections, line endings, a byte-order mark, a missing final line break)
//! must survive, and no maintained crate round-trips INI text that faithfully.
//!
//! The approach: read the text the way its tool does ([`Dialect`], `parse`), drop or add whole
//! lines of zt's own section, then re-parse the result and require its section list to equal
//! the original's with exactly zt's change applied. Any doubt becomes an [`EditError`], and the
//! caller leaves the file untouched.
//!
//! zt's section is its `[header]` line, the marker comment right below it
//! (`# zt: grant <id>, expires <rfc3339>; …`), and everything up to the section's last key or
//! continuation line. Comments and blank lines after that belong to what follows (they usually
//! introduce the next section), so wipe leaves them. A new section is appended after one blank
//! line; wipe removes the blank line right above zt's header with it (or, when zt's section
//! opens the file, the one right below), which gives back the original ending byte for byte:
//! the final line break, or its absence, is the file's and is never touched.

#[cfg(test)]
mod fixtures;
mod parse;
#[cfg(test)]
mod tests;
pub(in crate::materialize) mod text;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::kubeyaml::{EditError, Wiped};
use parse::{Section, parse};
use text::{Prepared, body, line_at, rebuild};
use zt_api::valid_name;

/// Start of zt's marker comment, the line right after zt's section header.
const MARKER: &str = "# zt: grant ";

/// Whose reading rules a file follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// botocore's `RawConfigParser`: `#`/`;` comments (the whole line), `key = value` or
    /// `key: value`, keys case-insensitive, lines indented deeper than their key continue its
    /// value (blank lines and comments in between do not end it), duplicate sections or keys
    /// refused, no keys before the first section.
    Aws,
    /// libpq's `parseServiceFile`: `#` comments, `[name]` (text after the `]` ignored),
    /// `key=value` taken verbatim, no continuations, lines before the first header never read
    /// (zt keeps them). zt refuses lines without `=` in a section, which libpq reports as
    /// syntax errors when the service is used.
    PgService,
}

/// zt's section for one resource. Every string is validated, never escaped: neither format
/// has an escape, so zt refuses what it cannot write plainly.
#[derive(Debug, Clone, Copy)]
pub struct IniSection<'a> {
    /// Text inside `[ ]`: "profile zt-prod-aws", "zt-prod-aws", "zt-prod-db".
    pub header: &'a str,
    /// Written in this order, `key = value` (Aws) or `key=value` (PgService).
    pub entries: &'a [(String, String)],
    /// Recorded in zt's marker.
    pub grant_id: &'a str,
    /// RFC 3339, recorded in zt's marker.
    pub expires_at: &'a str,
}

/// What wipe needs beyond the text, stored (as JSON) in zt's ledger. The file's ending needs
/// no record: the line break (or its absence) after the last line is carried through every
/// edit, and the blank line zt adds before its section is recognized where it stands.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct IniUndo {
    /// apply got an empty text: the file did not exist (or was empty), so wipe may remove it
    /// again once nothing but zt's section was in it.
    #[serde(default)]
    pub created: bool,
}

impl IniUndo {
    /// Combine with the undo of a later apply of the same section (a re-request): the later
    /// apply found zt's section in place and so knows less about the original file.
    pub fn merge(self, later: IniUndo) -> IniUndo {
        IniUndo {
            created: self.created || later.created,
        }
    }
}

fn err_at(line: usize, message: impl Into<String>) -> EditError {
    EditError {
        line: Some(line),
        message: message.into(),
    }
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

fn has_control(s: &str) -> bool {
    s.chars().any(char::is_control)
}

/// A section as its tool reads it: header, zt's grant if marked, keys and values.
type Shape = (String, Option<String>, Vec<(String, String)>);

fn shape(s: &Section) -> Shape {
    (s.header.clone(), s.grant.clone(), s.entries.clone())
}

/// The text as the editor sees it ([`text::prepare`]); a carriage return ending the file is a
/// line break to botocore, and one zt does not write, so it is refused like any bare one.
fn prepare(text: &str) -> Result<Prepared<'_>, EditError> {
    let prep = text::prepare(text)?;
    if text.ends_with('\r') {
        let body = text.strip_prefix('\u{feff}').unwrap_or(text);
        return Err(err_at(
            line_at(body, body.len()),
            "a carriage return without a line feed; zt edits only LF or CRLF files",
        ));
    }
    Ok(prep)
}

/// The profile a header names, as botocore finds it: `shlex.split` of a `profile …` section
/// (so `[profile  x]` and `[profile "x"]` are both profile x); other headers as they are.
fn profile_name(header: &str, dialect: Dialect) -> String {
    match dialect {
        Dialect::Aws if header.starts_with("profile") => header
            .split_whitespace()
            .map(|w| w.trim_matches(['"', '\'']))
            .collect::<Vec<_>>()
            .join(" "),
        _ => header.to_string(),
    }
}

/// Refuse what cannot be written as plain text or would read back differently.
fn check(section: &IniSection, dialect: Dialect) -> Result<(), EditError> {
    let h = section.header;
    if h.is_empty() || h.contains(['[', ']']) || has_control(h) || h.trim() != h {
        return Err(err(format!(
            "zt will not write the section name {h:?}: it must be non-empty, without `[`, `]`, line breaks or other control characters, or surrounding spaces"
        )));
    }
    if !valid_name(section.grant_id) {
        return Err(err(format!(
            "zt will not write the grant id {:?} into its marker",
            section.grant_id
        )));
    }
    if has_control(section.expires_at) {
        return Err(err(format!(
            "zt will not write the expiry {:?} into its marker",
            section.expires_at
        )));
    }
    let mut seen: Vec<String> = Vec::new();
    for (k, v) in section.entries {
        if k.is_empty()
            || k.contains(['=', ':'])
            || has_control(k)
            || k.trim() != k
            || k.starts_with(['#', ';', '['])
        {
            return Err(err(format!(
                "zt will not write the key {k:?} in [{h}]: it must be non-empty, without `=`, `:`, line breaks or other control characters, surrounding spaces, or a leading `#`, `;` or `[`"
            )));
        }
        if has_control(v) || v.trim() != v {
            return Err(err(format!(
                "zt will not write the value of `{k}` in [{h}]: it must be without line breaks or other control characters, or surrounding spaces"
            )));
        }
        let norm = match dialect {
            Dialect::Aws => k.to_lowercase(),
            Dialect::PgService => k.clone(),
        };
        if seen.contains(&norm) {
            return Err(err(format!(
                "zt will not write the key `{k}` twice in [{h}]"
            )));
        }
        seen.push(norm);
    }
    Ok(())
}

/// zt's section as text, every line ending in `eol`.
fn section_text(s: &IniSection, dialect: Dialect, eol: &str) -> String {
    let mut t = format!(
        "[{}]{eol}{MARKER}{}, expires {}; written by zt, removed when the grant ends{eol}",
        s.header, s.grant_id, s.expires_at
    );
    for (k, v) in s.entries {
        match (dialect, v.is_empty()) {
            (Dialect::Aws, true) => t += &format!("{k} ={eol}"),
            (Dialect::Aws, false) => t += &format!("{k} = {v}{eol}"),
            (Dialect::PgService, _) => t += &format!("{k}={v}{eol}"),
        }
    }
    t
}

fn new_shape(s: &IniSection, dialect: Dialect) -> Shape {
    let entries = s.entries.iter().map(|(k, v)| match dialect {
        Dialect::Aws => (k.to_lowercase(), v.clone()),
        Dialect::PgService => (k.clone(), v.clone()),
    });
    (
        s.header.to_string(),
        Some(s.grant_id.to_string()),
        entries.collect(),
    )
}

/// Re-parse the output and require exactly the intended sections.
fn verify(out: &str, dialect: Dialect, expected: &[Shape]) -> Result<(), EditError> {
    let prep = prepare(out).map_err(|_| verify_failed())?;
    let parsed = parse(&prep.work, dialect).map_err(|_| verify_failed())?;
    let got: Vec<Shape> = parsed.sections.iter().map(shape).collect();
    match got == expected {
        true => Ok(()),
        false => Err(verify_failed()),
    }
}

fn drop_lines(keep: &mut [bool], s: &Section) {
    if let Some(k) = keep.get_mut(s.line..s.end) {
        k.fill(false);
    }
}

/// Add zt's section, or replace zt's previous one with the same header where it stands (a
/// re-request). `text` may be empty (file absent). A section with the same header that does
/// not carry zt's marker is refused: it is the user's.
pub fn apply(
    text: &str,
    section: &IniSection,
    dialect: Dialect,
) -> Result<(String, IniUndo), EditError> {
    check(section, dialect)?;
    let prep = prepare(text)?;
    let parsed = parse(&prep.work, dialect)?;
    let same: Vec<&Section> = parsed
        .sections
        .iter()
        .filter(|s| s.header == section.header)
        .collect();
    let name = profile_name(section.header, dialect);
    let theirs = parsed.sections.iter().find(|s| {
        profile_name(&s.header, dialect) == name
            && (s.grant.is_none() || s.header != section.header)
    });
    if let Some(s) = theirs {
        return Err(err_at(
            s.line + 1,
            format!(
                "a [{}] section exists that zt did not write; rename or remove it",
                section.header
            ),
        ));
    }
    let new = section_text(section, dialect, prep.eol);
    let mut keep = vec![true; parsed.lines.len()];
    let mut insert = BTreeMap::new();
    let mut expected: Vec<Shape> = Vec::new();
    match same.first() {
        None => {
            let sep = if prep.work.is_empty() { "" } else { prep.eol };
            insert.insert(parsed.lines.len(), format!("{sep}{new}"));
            expected.extend(parsed.sections.iter().map(shape));
            expected.push(new_shape(section, dialect));
        }
        // Re-request: replace the first where it is; drop any others (PgService only: Aws
        // refuses duplicate sections).
        Some(first) => {
            insert.insert(first.line, new);
            for s in &same {
                drop_lines(&mut keep, s);
            }
            for s in &parsed.sections {
                if s.header != section.header {
                    expected.push(shape(s));
                } else if s.line == first.line {
                    expected.push(new_shape(section, dialect));
                }
            }
        }
    }
    let out = prep.finish(rebuild(&prep.work, &parsed.lines, &keep, &insert));
    verify(&out, dialect, &expected)?;
    Ok((
        out,
        IniUndo {
            created: text.is_empty(),
        },
    ))
}

/// Remove zt's section `[header]` (only one carrying zt's marker) and the blank line zt put
/// before it. Already gone is not an error: the text comes back unchanged.
pub fn wipe(
    text: &str,
    header: &str,
    undo: &IniUndo,
    dialect: Dialect,
) -> Result<Wiped, EditError> {
    let prep = prepare(text)?;
    let parsed = parse(&prep.work, dialect)?;
    let ours = |s: &&Section| s.header == header && s.grant.is_some();
    if !parsed.sections.iter().any(|s| ours(&s)) {
        return Ok(Wiped::Text(text.to_string()));
    }
    let blank = |i: usize| {
        parsed
            .lines
            .get(i)
            .is_some_and(|r| body(&prep.work, r).is_empty())
    };
    let mut keep = vec![true; parsed.lines.len()];
    for s in parsed.sections.iter().filter(ours) {
        drop_lines(&mut keep, s);
        let sep = match s.line.checked_sub(1) {
            Some(above) => above,
            None => s.end,
        };
        if blank(sep)
            && let Some(k) = keep.get_mut(sep)
        {
            *k = false;
        }
    }
    let expected: Vec<Shape> = parsed
        .sections
        .iter()
        .filter(|s| !ours(s))
        .map(shape)
        .collect();
    let out = prep.finish(rebuild(&prep.work, &parsed.lines, &keep, &BTreeMap::new()));
    verify(&out, dialect, &expected)?;
    Ok(match undo.created && out.is_empty() {
        true => Wiped::RemoveFile,
        false => Wiped::Text(out),
    })
}

/// Parse check only: Ok when apply and wipe can work on `text`.
pub fn validate(text: &str, dialect: Dialect) -> Result<(), EditError> {
    let prep = prepare(text)?;
    parse(&prep.work, dialect).map(|_| ())
}

/// Headers of the sections that carry zt's marker, with their grant ids (for repair/status).
pub fn zt_sections(text: &str, dialect: Dialect) -> Result<Vec<(String, String)>, EditError> {
    let prep = prepare(text)?;
    Ok(parse(&prep.work, dialect)?
        .sections
        .into_iter()
        .filter_map(|s| Some((s.header, s.grant?)))
        .collect())
}

/// A section's header and its keys with their values.
pub type ReadSection = (String, Vec<(String, String)>);

/// Every section as zt reads it, in order: header and entries (keys lower-cased for Aws, as
/// botocore does). For checking zt's reading against the tool's own parser.
pub fn read(text: &str, dialect: Dialect) -> Result<Vec<ReadSection>, EditError> {
    let prep = prepare(text)?;
    Ok(parse(&prep.work, dialect)?
        .sections
        .into_iter()
        .map(|s| (s.header, s.entries))
        .collect())
}
