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
use crate::api::valid_name;

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
        if value.contains(['\n', '\r', '\0']) {
            return Err(err(format!(
                "zt will not write a pgpass {name} containing a line break or NUL"
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
fn lookup(text: &str, host: &str, port: &str, database: &str, user: &str) -> Option<String> {
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
mod tests {
    use proptest::prelude::*;

    use super::*;

    const GRANT: &str = "r7f3k2q9xa";
    const EXPIRES: &str = "2026-05-01T12:00:00Z";
    const PASSWORD: &str = "Zt:pa\\ss:\\:w0rd";

    /// A pgpass kept by hand: comments, escapes, a wildcard catch-all.
    const PGPASS: &str = "# ~/.pgpass
db.internal:5432:app:alice:s3cr3t
reports.internal:*:reports:bob:pa\\:ss\\\\word
[fe80\\:\\:1]:5433:*:carol:ipv6

# fallback for everything
*:*:*:*:catch-all
";

    fn entry(grant: &str) -> PgpassEntry<'_> {
        PgpassEntry {
            host: "db.example.com",
            port: 5432,
            database: "payments",
            user: "zt_r7f3k2q9xa",
            password: PASSWORD,
            grant_id: grant,
            expires_at: EXPIRES,
        }
    }

    /// libpq's reading of one field list: `\` escapes the next character, `:` separates.
    fn unescape_fields(line: &str) -> Vec<String> {
        let mut fields = vec![String::new()];
        let mut chars = line.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' => match chars.next() {
                    Some(n) => fields.last_mut().expect("one field").push(n),
                    None => fields.last_mut().expect("one field").push('\\'),
                },
                ':' => fields.push(String::new()),
                c => fields.last_mut().expect("one field").push(c),
            }
        }
        fields
    }

    fn crlf(s: &str) -> String {
        s.replace('\n', "\r\n")
    }

    fn variants(text: &str) -> Vec<(String, String)> {
        let bare = text.trim_end_matches('\n');
        [
            ("plain", text.to_string()),
            ("crlf", crlf(text)),
            ("no final newline", bare.to_string()),
            ("crlf no final newline", crlf(bare)),
            ("bom", format!("\u{feff}{text}")),
            ("bom crlf bare", format!("\u{feff}{}", crlf(bare))),
            ("only comments", "# nothing\n".to_string()),
            ("only a bom", "\u{feff}".to_string()),
            ("empty", String::new()),
        ]
        .map(|(l, t)| (l.to_string(), t))
        .to_vec()
    }

    const ZT_LINES: &str = "# zt: grant r7f3k2q9xa, expires 2026-05-01T12:00:00Z\ndb.example.com:5432:payments:zt_r7f3k2q9xa:Zt\\:pa\\\\ss\\:\\\\\\:w0rd\n";

    #[test]
    fn corpus_round_trips() {
        for (label, orig) in variants(PGPASS) {
            let (out, undo) =
                apply(&orig, &entry(GRANT)).unwrap_or_else(|e| panic!("{label}: {e}"));
            let (bom, rest) = match orig.strip_prefix('\u{feff}') {
                Some(r) => ("\u{feff}", r),
                None => ("", orig.as_str()),
            };
            let top = match orig.contains("\r\n") {
                true => crlf(ZT_LINES),
                false => ZT_LINES.to_string(),
            };
            assert_eq!(out, format!("{bom}{top}{rest}"), "{label}");
            assert_eq!(
                lookup(&out, "db.example.com", "5432", "payments", "zt_r7f3k2q9xa").as_deref(),
                Some(PASSWORD)
            );
            // The user's lines still answer as before; zt's line does not catch their lookups.
            if !rest.is_empty() && !rest.starts_with('#') {
                assert_eq!(
                    lookup(&out, "db.internal", "5432", "app", "alice").as_deref(),
                    Some("s3cr3t")
                );
                assert_eq!(
                    lookup(&out, "reports.internal", "6432", "reports", "bob").as_deref(),
                    Some("pa:ss\\word")
                );
                assert_eq!(
                    lookup(&out, "fe80::1", "5433", "x", "carol").as_deref(),
                    Some("ipv6")
                );
                assert_eq!(
                    lookup(&out, "elsewhere", "1", "d", "u").as_deref(),
                    Some("catch-all")
                );
            }
            assert_eq!(zt_grants(&out), Ok(vec![GRANT.to_string()]));
            let gone = match orig.is_empty() {
                true => Wiped::RemoveFile,
                false => Wiped::Text(orig.clone()),
            };
            assert_eq!(wipe(&out, GRANT, &undo), Ok(gone.clone()), "{label}");
            // Re-applying the same grant replaces zt's line; wipe restores.
            let (again, u2) = apply(
                &out,
                &PgpassEntry {
                    password: "new",
                    ..entry(GRANT)
                },
            )
            .expect(&label);
            assert_eq!(zt_grants(&again), Ok(vec![GRANT.to_string()]), "{label}");
            assert_eq!(
                wipe(&again, GRANT, &undo.clone().merge(u2)),
                Ok(gone.clone()),
                "{label}"
            );
            // Two grants: each wipe takes only its own.
            let (both, ub) = apply(&out, &entry("s9t8u7v6w5")).expect(&label);
            assert_eq!(
                lookup(&both, "db.example.com", "5432", "payments", "zt_r7f3k2q9xa").as_deref(),
                Some(PASSWORD)
            );
            let Ok(Wiped::Text(only_b)) = wipe(&both, GRANT, &undo) else {
                panic!("{label}")
            };
            assert_eq!(
                zt_grants(&only_b),
                Ok(vec!["s9t8u7v6w5".to_string()]),
                "{label}"
            );
            assert_eq!(
                wipe(&only_b, "s9t8u7v6w5", &ub),
                Ok(Wiped::Text(orig.clone())),
                "{label}"
            );
            // Idempotent.
            assert_eq!(
                wipe(&orig, GRANT, &undo),
                Ok(Wiped::Text(orig.clone())),
                "{label}"
            );
        }
    }

    #[test]
    fn escape_round_trips_through_libpqs_rules() {
        for field in [
            "plain",
            "a:b",
            "a\\b",
            "\\:",
            "::",
            "\\\\",
            "trailing\\",
            "*",
            "ünï:☃",
        ] {
            let line = format!("{}:{}", escape(field), escape("next"));
            assert_eq!(
                unescape_fields(&line),
                vec![field.to_string(), "next".to_string()],
                "{field:?}"
            );
        }
        assert_eq!(escape("p:a\\ss"), "p\\:a\\\\ss");
        assert_eq!(
            unescape_fields(&escape(PASSWORD)),
            vec![PASSWORD.to_string()]
        );
        // IPv6 hosts need the escape to match at all.
        let e = PgpassEntry {
            host: "::1",
            ..entry(GRANT)
        };
        let (out, _) = apply("", &e).expect("applies");
        assert!(out.contains("\\:\\:1:5432:"), "{out}");
        assert_eq!(
            lookup(&out, "::1", "5432", "payments", "zt_r7f3k2q9xa").as_deref(),
            Some(PASSWORD)
        );
    }

    #[test]
    fn wipe_spares_a_users_line_below_an_orphan_marker() {
        let users = "db.internal:5432:app:alice:s3cr3t\n*:*:*:*:x\n";
        let (out, undo) = apply(users, &entry(GRANT)).expect("applies");
        // The user deleted zt's line but kept the marker: alice's line is now below it.
        let zt_line = &ZT_LINES[ZT_LINES.find('\n').map_or(0, |i| i + 1)..];
        let edited = out.replacen(zt_line, "", 1);
        assert!(
            edited
                .starts_with("# zt: grant r7f3k2q9xa, expires 2026-05-01T12:00:00Z\ndb.internal:")
        );
        assert_eq!(
            wipe(&edited, GRANT, &undo),
            Ok(Wiped::Text(users.to_string()))
        );
        // Without a record of zt's key, the entry line under the marker is taken as zt's.
        assert_eq!(
            wipe(&out, GRANT, &PgpassUndo::default()),
            Ok(Wiped::Text(users.to_string()))
        );
        // A marker for another grant, or not at the start of the line, is not this grant's.
        let other = "# zt: grant other, expires x\nh:1:d:u:p\n # zt: grant r7f3k2q9xa, expires x\n";
        assert_eq!(
            wipe(other, GRANT, &undo),
            Ok(Wiped::Text(other.to_string()))
        );
    }

    #[test]
    fn refuses_what_it_cannot_write() {
        let bad = [
            PgpassEntry {
                host: "",
                ..entry(GRANT)
            },
            PgpassEntry {
                database: "",
                ..entry(GRANT)
            },
            PgpassEntry {
                user: "",
                ..entry(GRANT)
            },
            PgpassEntry {
                host: "a\nb",
                ..entry(GRANT)
            },
            PgpassEntry {
                user: "a\0",
                ..entry(GRANT)
            },
            PgpassEntry {
                password: "pw\n*:*:*:*:evil",
                ..entry(GRANT)
            },
            PgpassEntry {
                password: "pw\r",
                ..entry(GRANT)
            },
            PgpassEntry {
                expires_at: "x\ny",
                ..entry(GRANT)
            },
            entry("a, b"),
            entry(""),
        ];
        for e in &bad {
            let err = apply(PGPASS, e).expect_err("refused");
            assert_eq!(err.line, None);
            assert!(
                err.message.starts_with("zt will not write"),
                "{}",
                err.message
            );
        }
        let e = apply("a:1:b:c:d\n# x\u{0}\n", &entry(GRANT)).expect_err("NUL");
        assert_eq!((e.line, e.message.contains("NUL")), (Some(2), true));
        assert_eq!(
            wipe("\u{feff}a\n\0", GRANT, &PgpassUndo::default()).map_err(|e| e.line),
            Err(Some(2))
        );
        // An empty password is legal (and libpq finds it).
        let (out, _) = apply(
            "",
            &PgpassEntry {
                password: "",
                ..entry(GRANT)
            },
        )
        .expect("applies");
        assert_eq!(
            lookup(&out, "db.example.com", "5432", "payments", "zt_r7f3k2q9xa").as_deref(),
            Some("")
        );
    }

    #[test]
    fn undo_serializes_and_merges() {
        let (_, u) = apply("", &entry(GRANT)).expect("applies");
        assert_eq!(
            u,
            PgpassUndo {
                created: true,
                key: "db.example.com:5432:payments:zt_r7f3k2q9xa:".into()
            }
        );
        let json = serde_json::to_string(&u).expect("serializes");
        assert!(!json.contains("w0rd"), "{json}");
        assert_eq!(
            serde_json::from_str::<PgpassUndo>(&json).ok(),
            Some(u.clone())
        );
        assert_eq!(
            serde_json::from_str::<PgpassUndo>("{}").ok(),
            Some(PgpassUndo::default())
        );
        let later = PgpassUndo {
            created: false,
            key: "x:1:y:z:".into(),
        };
        assert_eq!(
            u.clone().merge(later.clone()),
            PgpassUndo {
                created: true,
                key: later.key.clone()
            }
        );
        assert_eq!(u.clone().merge(PgpassUndo::default()), u);
    }

    /// Draws choices from proptest's bytes, so failures shrink towards simpler files.
    fn pgpass(bytes: &[u8]) -> String {
        const LINES: [&str; 12] = [
            "db.internal:5432:app:alice:s3cr3t",
            "*:*:*:*:catch-all",
            "h\\:x:*:db:u:p\\\\w\\:d",
            "# comment",
            "#",
            "   indented:1:2:3:not-a-comment",
            "",
            "  ",
            "trailing\\",
            "short:line",
            "# zt: grant other, expires 2026-01-01T00:00:00Z\nzt.host:1:d:u:pw",
            "ünï:5432:☃:u:p",
        ];
        let mut s = String::new();
        let mut it = bytes.iter().map(|b| *b as usize);
        for _ in 0..it.next().unwrap_or(0) % 8 {
            s += LINES[it.next().unwrap_or(0) % LINES.len()];
            s += "\n";
        }
        let mode = it.next().unwrap_or(0);
        let s = if mode % 3 == 0 { crlf(&s) } else { s };
        let s = if mode % 4 == 1 {
            s.trim_end_matches(['\n', '\r']).to_string()
        } else {
            s
        };
        if mode % 5 == 2 {
            format!("\u{feff}{s}")
        } else {
            s
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 500, failure_persistence: None, ..ProptestConfig::default() })]

        #[test]
        fn apply_then_wipe_is_identity(bytes in proptest::collection::vec(any::<u8>(), 0..20), password in "[a-z:\\\\*#]{0,6}", host in "[a-z:\\\\*]{1,6}") {
            let text = pgpass(&bytes);
            let e = PgpassEntry { host: &host, password: &password, ..entry("g") };
            let (out, undo) = apply(&text, &e).map_err(|e| TestCaseError::fail(format!("{e}:\n{text:?}")))?;
            prop_assert_eq!(lookup(&out, &host, "5432", e.database, e.user), Some(password.clone()));
            let want = if text.is_empty() { Wiped::RemoveFile } else { Wiped::Text(text.clone()) };
            prop_assert_eq!(wipe(&out, "g", &undo), Ok(want.clone()), "applied:\n{:?}", out);
            let (again, u2) = apply(&out, &PgpassEntry { password: "x", ..e }).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(wipe(&again, "g", &undo.merge(u2)), Ok(want));
            prop_assert_eq!(wipe(&text, "g", &PgpassUndo::default()), Ok(Wiped::Text(text.clone())));
        }

        #[test]
        fn escape_is_undone_by_libpq(field in any::<String>(), other in "[a-z:\\\\]{0,4}") {
            let line = format!("{}:{}", escape(&field), escape(&other));
            prop_assert_eq!(unescape_fields(&line), vec![field, other]);
        }

        #[test]
        fn arbitrary_text_never_panics(text in any::<String>(), passish in "[#:\\\\*\r\n\u{feff}a ]{0,40}", grant in "[a-z, \n]{0,4}") {
            for t in [&text, &passish] {
                let _ = zt_grants(t);
                let _ = wipe(t, &grant, &PgpassUndo { created: true, key: String::new() });
                let _ = lookup(t, "a", "5432", "*", "\\");
                let _ = apply(t, &PgpassEntry { host: t, password: t, grant_id: &grant, ..entry("g") });
                if let Ok((out, undo)) = apply(t, &entry("g"))
                    && zt_grants(t).is_ok_and(|g| g.is_empty())
                {
                    let want = if t.is_empty() { Wiped::RemoveFile } else { Wiped::Text(t.clone()) };
                    prop_assert_eq!(wipe(&out, "g", &undo), Ok(want));
                }
            }
        }
    }
}
