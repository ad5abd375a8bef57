//! OpenSSH's client configuration, edited for SSH grants. Two files:
//! - the user's `~/.ssh/config`, which gets exactly one line of zt's at its top,
//!   `Include <absolute path of zt's file>` (an absolute path: ssh resolves `~` and relative
//!   includes through the user database, not `$HOME`), and otherwise keeps every byte —
//!   comments, `Match` blocks, CRLF line breaks, a missing final line break;
//! - zt's own file (`~/.ssh/zt/config`), one `Host zt-<name>` block per grant under a marker
//!   comment `# zt: grant <id>, expires <rfc3339>`.
//!
//! The line goes at the top, before any `Host` or `Match`, where it applies to every host; ssh
//! takes the first value it obtains for each option, so zt's block wins for zt's own aliases
//! and touches no other host (each block matches only its alias; an included file's blocks
//! end with the file). The line stays only while zt's file has a block: when the last block
//! goes, the line goes (the exact bytes zt added), and with it a config file zt created.
//! Whether zt created it is recorded in its own file's header, the one place that lives
//! exactly as long as the line.

use std::collections::BTreeMap;
use std::path::Path;

use super::ini::text::{body, line_ranges, prepare, rebuild};
use super::kubeyaml::{EditError, Wiped};

/// Start of the marker comment above each of zt's blocks.
const MARKER: &str = "# zt: grant ";
/// The first line of zt's file.
const HEADER: &str = "# zt's SSH hosts (its grants), included from your ssh config; zt rewrites this file, do not edit it.";
/// In zt's file's header: zt created the user's config to hold its `Include` line.
const CREATED: &str = "# zt: created ";

fn err(message: impl Into<String>) -> EditError {
    EditError {
        line: None,
        message: message.into(),
    }
}

/// One grant's `Host` block.
#[derive(Debug, Clone)]
pub struct HostBlock<'a> {
    /// The alias (`zt-prod-ssh`): a zt name, so a safe `Host` pattern of its own.
    pub alias: &'a str,
    pub host_name: &'a str,
    pub port: u16,
    pub user: &'a str,
    pub identity_file: &'a Path,
    pub certificate_file: &'a Path,
    /// A file of known_hosts lines the broker sent for the host (then only those are trusted).
    pub known_hosts: Option<&'a Path>,
    /// More hosts the certificate is for (ssh_config `Host` patterns from the broker): a second
    /// `Host` line under the same marker gives them the key and certificate too.
    pub patterns: &'a [String],
    pub grant_id: &'a str,
    /// RFC 3339, recorded in the marker.
    pub expires_at: &'a str,
}

/// A path as ssh's config reads it: absolute, quoted when it holds a space, and `%` doubled for
/// the options that expand tokens. Characters ssh would read as something else (quotes,
/// backslashes, `$`, glob characters, control characters) are refused rather than escaped.
pub fn path_arg(p: &Path, tokens: bool) -> Result<String, EditError> {
    let s = p.to_str().ok_or_else(|| {
        err(format!(
            "the path {} is not UTF-8; ssh's config cannot name it",
            p.display()
        ))
    })?;
    if !s.starts_with('/') {
        return Err(err(format!("internal: {s:?} is not an absolute path")));
    }
    if let Some(c) = s
        .chars()
        .find(|c| c.is_control() || matches!(c, '"' | '\'' | '\\' | '$' | '*' | '?' | '[' | '#'))
    {
        return Err(err(format!(
            "the path {s:?} holds {c:?}, which ssh's config would not read as part of a path; set another HOME or ZT_RUNTIME_DIR"
        )));
    }
    if !tokens && s.contains('%') {
        return Err(err(format!(
            "the path {s:?} holds '%', which ssh's config would read as a token"
        )));
    }
    let s = match tokens {
        true => s.replace('%', "%%"),
        false => s.to_string(),
    };
    Ok(match s.contains(char::is_whitespace) {
        true => format!("\"{s}\""),
        false => s,
    })
}

/// A value from the broker for HostName or User: one word ssh reads literally (no whitespace,
/// quotes, `%` tokens, comments or control characters).
fn word<'a>(what: &str, v: &'a str, ok: impl Fn(char) -> bool) -> Result<&'a str, EditError> {
    if v.is_empty() || v.len() > 255 || !v.chars().all(ok) || v.starts_with('-') {
        return Err(err(format!(
            "zt will not write the {what} {v:?} into an ssh config"
        )));
    }
    Ok(v)
}

/// A `Host` pattern from the broker: a host name or address with `*`/`?` wildcards, maybe
/// negated with `!` — nothing ssh would read as a separator, a quote or a `%` token.
fn pattern(p: &str) -> Result<&str, EditError> {
    let bare = p.strip_prefix('!').unwrap_or(p);
    word("host pattern", bare, |c| {
        c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '_' | '*' | '?')
    })?;
    Ok(p)
}

/// The block's text (lines joined with `eol`, ending with one).
fn render(b: &HostBlock, eol: &str) -> Result<String, EditError> {
    if !zt_api::valid_name(b.alias) || !zt_api::valid_name(b.grant_id) {
        return Err(err(format!(
            "internal: {:?} / {:?} is not a zt name",
            b.alias, b.grant_id
        )));
    }
    if b.expires_at.chars().any(|c| c.is_control()) {
        return Err(err("internal: a control character in the expiry"));
    }
    let host = word("host name", b.host_name, |c| {
        c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '_')
    })?;
    let user = word("login user", b.user, |c| {
        c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '@' | '+')
    })?;
    let mut lines = vec![
        format!("{MARKER}{}, expires {}", b.grant_id, b.expires_at),
        format!("Host {}", b.alias),
        format!("    HostName {host}"),
        format!("    Port {}", b.port),
        format!("    User {user}"),
        format!("    IdentityFile {}", path_arg(b.identity_file, true)?),
        format!(
            "    CertificateFile {}",
            path_arg(b.certificate_file, true)?
        ),
        "    IdentitiesOnly yes".to_string(),
    ];
    if let Some(k) = b.known_hosts {
        lines.push(format!("    UserKnownHostsFile {}", path_arg(k, true)?));
        lines.push("    StrictHostKeyChecking yes".into());
    }
    if !b.patterns.is_empty() {
        // Only the key: the user's own settings for these hosts (User, Port, known hosts) stay.
        let patterns = b
            .patterns
            .iter()
            .map(|p| pattern(p))
            .collect::<Result<Vec<_>, _>>()?;
        lines.push(format!("Host {}", patterns.join(" ")));
        lines.push(format!(
            "    IdentityFile {}",
            path_arg(b.identity_file, true)?
        ));
        lines.push(format!(
            "    CertificateFile {}",
            path_arg(b.certificate_file, true)?
        ));
    }
    Ok(lines.into_iter().map(|l| format!("{l}{eol}")).collect())
}

/// The `Include` line for zt's file (without a line break).
pub fn include_line(zt_file: &Path) -> Result<String, EditError> {
    Ok(format!("Include {}", path_arg(zt_file, false)?))
}

/// Is `line` an `Include` of exactly `arg` (ssh's keywords are case-insensitive; `=` may
/// separate them; whitespace around is ignored)?
fn includes(line: &str, arg: &str) -> bool {
    let l = line.trim();
    let Some(kw) = l.get(..7) else { return false };
    if !kw.eq_ignore_ascii_case("include") {
        return false;
    }
    let rest = l[7..].trim_start();
    let rest = rest.strip_prefix('=').unwrap_or(rest).trim();
    rest == arg
}

/// The user's config with zt's `Include` line at its top (after a byte-order mark); unchanged
/// when the file already includes zt's file on a line of its own, wherever.
pub fn add_include(text: &str, zt_file: &Path) -> Result<String, EditError> {
    let line = include_line(zt_file)?;
    let arg = &line["Include ".len()..];
    let prep = prepare(text)?;
    let lines = line_ranges(&prep.work);
    if lines.iter().any(|r| includes(body(&prep.work, r), arg)) {
        return Ok(text.to_string());
    }
    let keep = vec![true; lines.len()];
    let insert = BTreeMap::from([(0, format!("{line}{}", prep.eol))]);
    // A file without a final line break keeps lacking one after the user's last line.
    let out = prep.finish(rebuild(&prep.work, &lines, &keep, &insert));
    // The result is the line and then the user's bytes, every one.
    let user = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mine = out.strip_prefix('\u{feff}').unwrap_or(&out);
    if mine.strip_prefix(&format!("{line}{}", prep.eol)) != Some(user) {
        return Err(err(
            "internal: edit verification failed; file left untouched",
        ));
    }
    Ok(out)
}

/// The user's config without zt's `Include` line(s), every other byte as it was. With
/// `created` (zt made the file for its line), a file left empty is removed.
pub fn remove_include(text: &str, zt_file: &Path, created: bool) -> Result<Wiped, EditError> {
    let line = include_line(zt_file)?;
    let arg = &line["Include ".len()..];
    let prep = prepare(text)?;
    let lines = line_ranges(&prep.work);
    let keep: Vec<bool> = lines
        .iter()
        .map(|r| !includes(body(&prep.work, r), arg))
        .collect();
    if keep.iter().all(|k| *k) {
        return Ok(Wiped::Text(text.to_string()));
    }
    let out = rebuild(&prep.work, &lines, &keep, &BTreeMap::new());
    let out = match keep.last() {
        // zt's line was the last one (moved there by hand): what is now last keeps its break.
        Some(false) if prep.lacks_newline => {
            format!(
                "{}{out}",
                if text.starts_with('\u{feff}') {
                    "\u{feff}"
                } else {
                    ""
                }
            )
        }
        _ => prep.finish(out),
    };
    Ok(match created && out.is_empty() {
        true => Wiped::RemoveFile,
        false => Wiped::Text(out),
    })
}

/// zt's file as it is: its blocks (alias → (grant, text)) in order, and whether zt created
/// the user's config.
#[derive(Debug, Default, PartialEq)]
pub struct ZtFile {
    pub created: bool,
    /// `(alias, grant, block text with line breaks)`, in file order.
    pub blocks: Vec<(String, String, String)>,
}

/// Read zt's file. Text before the first marker is the header; each block runs from its
/// marker to the next marker (or the end), blank lines trimmed.
pub fn parse(text: &str) -> Result<ZtFile, EditError> {
    let prep = prepare(text)?;
    let lines = line_ranges(&prep.work);
    let mut f = ZtFile::default();
    let mut cur: Option<(String, String, String)> = None;
    for r in &lines {
        let l = body(&prep.work, r);
        if let Some(rest) = l.strip_prefix(MARKER) {
            if let Some(b) = cur.take() {
                f.blocks.push(b);
            }
            let grant = rest.split([',', ' ']).next().unwrap_or("").to_string();
            cur = Some((String::new(), grant, format!("{l}\n")));
            continue;
        }
        match &mut cur {
            None if l.starts_with(CREATED) => f.created = true,
            None => {}
            Some((alias, _, t)) => {
                // The first Host line is the alias; a second one holds the grant's patterns.
                if let Some(a) = l.trim().strip_prefix("Host ")
                    && alias.is_empty()
                {
                    *alias = a.trim().to_string();
                }
                if !l.trim().is_empty() {
                    t.push_str(l);
                    t.push('\n');
                }
            }
        }
    }
    if let Some(b) = cur.take() {
        f.blocks.push(b);
    }
    Ok(f)
}

impl ZtFile {
    /// The file's text: the header, then each block with a blank line before it.
    pub fn render(&self, included_from: &Path) -> String {
        let mut out = format!("{HEADER}\n# included from {}\n", included_from.display());
        if self.created {
            out.push_str(&format!("{CREATED}{}\n", included_from.display()));
        }
        for (_, _, t) in &self.blocks {
            out.push('\n');
            out.push_str(t);
        }
        out
    }

    /// Put `b` in (replacing the block of the same alias, in place).
    pub fn put(&mut self, b: &HostBlock) -> Result<(), EditError> {
        let text = render(b, "\n")?;
        let entry = (b.alias.to_string(), b.grant_id.to_string(), text);
        match self.blocks.iter_mut().find(|x| x.0 == b.alias) {
            Some(x) => *x = entry,
            None => self.blocks.push(entry),
        }
        Ok(())
    }

    /// Remove the blocks of `aliases`; how many went.
    pub fn remove(&mut self, aliases: &[&str]) -> usize {
        let before = self.blocks.len();
        self.blocks.retain(|b| !aliases.contains(&b.0.as_str()));
        before - self.blocks.len()
    }
}

#[cfg(test)]
mod tests;
