//! Tests of the pgpass editor: real-world files, escaping against libpq's rules, refusals,
//! and property tests.

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
        let (out, undo) = apply(&orig, &entry(GRANT)).unwrap_or_else(|e| panic!("{label}: {e}"));
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
        edited.starts_with("# zt: grant r7f3k2q9xa, expires 2026-05-01T12:00:00Z\ndb.internal:")
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
