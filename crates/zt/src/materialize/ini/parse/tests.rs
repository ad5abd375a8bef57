//! Reading INI files the way their tools do (botocore, libpq), refusing what zt cannot read
//! faithfully, and no text whatsoever making the editor panic.

use proptest::prelude::*;

use crate::materialize::ini::fixtures::*;
use crate::materialize::ini::tests::*;
use crate::materialize::ini::*;

#[test]
fn parses_like_botocore() {
    let text = "[default]\nS3 =\n  max_concurrent_requests = 20\n\n  # c\n  addressing_style = path\nregion:us-east-1\n[x]\nk = v\n  [not a header]\n";
    let prep = text::prepare(text).expect("prepares");
    let parsed = parse(&prep.work, Dialect::Aws).expect("parses");
    let got: Vec<Shape> = parsed.sections.iter().map(shape).collect();
    let e = |k: &str, v: &str| (k.to_string(), v.to_string());
    assert_eq!(
        got,
        vec![
            (
                "default".into(),
                None,
                vec![
                    e(
                        "s3",
                        "\nmax_concurrent_requests = 20\n\naddressing_style = path"
                    ),
                    e("region", "us-east-1")
                ]
            ),
            ("x".into(), None, vec![e("k", "v\n[not a header]")]),
        ]
    );
    // An indented line right after a header is a key of its own, not a continuation.
    assert!(validate("[a]\n  k = v\n  j = w\n", Dialect::Aws).is_ok());
}

#[test]
fn pg_service_reads_like_libpq() {
    let text = "[s]\n  host = x \nport=5432\n";
    let prep = text::prepare(text).expect("prepares");
    let parsed = parse(&prep.work, Dialect::PgService).expect("parses");
    let e = |k: &str, v: &str| (k.to_string(), v.to_string());
    assert_eq!(
        parsed.sections[0].entries,
        vec![e("host ", " x"), e("port", "5432")]
    );
    // libpq takes the first of duplicate services; zt leaves them be.
    assert!(validate("[s]\nhost=a\n[s]\nhost=b\n", Dialect::PgService).is_ok());
}

fn refused(text: &str, dialect: Dialect) -> (Option<usize>, String) {
    let entries = aws_entries();
    let sec = section("zt-x", &entries, GRANT);
    let e = validate(text, dialect).expect_err(text);
    assert_eq!(apply(text, &sec, dialect), Err(e.clone()), "{text:?}");
    assert_eq!(
        wipe(text, "zt-x", &IniUndo::default(), dialect),
        Err(e.clone())
    );
    assert_eq!(zt_sections(text, dialect), Err(e.clone()));
    (e.line, e.message)
}

#[test]
fn refuses_what_it_cannot_read() {
    use Dialect::*;
    for (text, dialect, line, says) in [
        (
            "[a]\nk = v\njust words\n",
            Aws,
            3,
            "not a `key = value` line",
        ),
        (
            "[a]\nk = v\n[profile x\nj = w\n",
            Aws,
            3,
            "not a `key = value` line",
        ),
        (
            "[a]\r\nk = v\r\n\r\n[b\r\n",
            Aws,
            4,
            "not a `key = value` line",
        ),
        ("[a]\n[a] ; again\n", Aws, 2, "duplicate section [a]"),
        ("[a]\n[]\n", Aws, 2, "not a `key = value` line"),
        (
            "[DEFAULT]\nk = 1\n[DEFAULT]\nK = 2\n",
            Aws,
            4,
            "duplicate key `k`",
        ),
        (
            "[a]\nk = 1\n\n[b]\n\n[a]\n",
            Aws,
            6,
            "duplicate section [a] (first on line 1)",
        ),
        (
            "[a]\nRegion = 1\nregion: 2\n",
            Aws,
            3,
            "duplicate key `region`",
        ),
        ("# c\nregion = x\n[a]\n", Aws, 2, "before any [section]"),
        ("[a]\n = x\n", Aws, 2, "no key"),
        ("[a]\nk = v\u{0}\n", Aws, 2, "NUL"),
        ("\u{feff}[a]\nk = v\n\nj = \u{0}w", Aws, 4, "NUL"),
        ("[a]\nk = v\rj = w\n", Aws, 2, "carriage return"),
        ("[a]\nk = v\r", Aws, 2, "carriage return"),
        ("\u{feff}\r", PgService, 1, "carriage return"),
        (
            "[s]\nhost=x\n; note\n",
            PgService,
            3,
            "not a `key=value` line",
        ),
        ("[s]\nhost x\n", PgService, 2, "not a `key=value` line"),
        ("[s]\n=x\n", PgService, 2, "no key"),
        ("[s]\nhost=x\n[t\n", PgService, 3, "unterminated `[`"),
        ("[s]\nhost=\u{0}\n", PgService, 2, "NUL"),
    ] {
        let (l, m) = refused(text, dialect);
        assert_eq!(l, Some(line), "{text:?}: {m}");
        assert!(m.contains(says), "{text:?}: {m}");
    }
    // What botocore's configparser reads, zt reads too: text after a header's last `]`,
    // brackets inside it, a repeated DEFAULT, form feeds and the ASCII separators as
    // whitespace, a `[` line without `]` as a key.
    for ok in [
        "[a] ; mine\nk = v\n",
        "[x[y]\nk = v\n",
        "[a]b]\nk = v\n",
        "[DEFAULT]\nk = 1\n[a]\n[DEFAULT]\nj = 2\n",
        "[a]\nk = v\u{c}\n\u{b}j\u{1c} = w\n",
        "[a]\n[k = v\n",
    ] {
        validate(ok, Aws).unwrap_or_else(|e| panic!("{ok:?}: {e}"));
    }
    // And what libpq reads: lines before the first header (never looked at), text after a
    // header's `]`, a vertical tab or form feed as whitespace.
    for ok in [
        "host=x\n[s]\nhost=y\n",
        "garbage\n[s]\nhost=y\n",
        "[s] # mine\nhost=y\n",
        "[s]\n\u{b}host=y\u{c}\n",
        "[s]\nhost=a\n[s]\nnever read by libpq\n",
    ] {
        validate(ok, PgService).unwrap_or_else(|e| panic!("{ok:?}: {e}"));
    }
    // Duplicate sections are libpq's business, not a refusal.
    assert!(validate("[s]\nhost=a\n[s]\nhost=b\n", PgService).is_ok());
}

// ---- Random files --------------------------------------------------------------------------
// Random AWS and libpq files (`fixtures`) with junk inserted, and arbitrary text: no text may
// make the editor panic.

proptest! {
    // No regression files: the worktree is not the place for them.
    #![proptest_config(ProptestConfig { cases: 500, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn mutated_files_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..160), pg_dialect in any::<bool>(), at in any::<usize>(), junk in "[\\[\\]#;=: \t\r\n\u{feff}\u{0}a]{1,4}") {
        let (mut text, dialect, header, entries) = file(&bytes, pg_dialect, at % 3 == 0);
        let mut at = at % (text.len() + 1);
        while !text.is_char_boundary(at) {
            at -= 1;
        }
        text.insert_str(at, &junk);
        let _ = validate(&text, dialect);
        let _ = zt_sections(&text, dialect);
        let _ = wipe(&text, header, &IniUndo { created: true }, dialect);
        if let Ok((out, undo)) = apply(&text, &section(header, &entries, "g"), dialect) {
            prop_assert_eq!(validate(&out, dialect), Ok(()));
            if zt_sections(&text, dialect).is_ok_and(|z| z.is_empty()) {
                let want = if text.is_empty() { Wiped::RemoveFile } else { Wiped::Text(text.clone()) };
                prop_assert_eq!(wipe(&out, header, &undo, dialect), Ok(want), "input:\n{:?}\napplied:\n{}", text, out);
            }
        }
    }

    #[test]
    fn arbitrary_text_never_panics(text in any::<String>(), inish in "[\\[\\]#;=: \t\r\n\u{feff}a-z0-9]{0,80}", header in "[\\[\\]a-z \n]{0,8}", key in "[=:a-z \r]{0,4}", value in "[ a-z\n\0]{0,4}") {
        let entries = vec![(key, value)];
        for t in [&text, &inish] {
            for dialect in [Dialect::Aws, Dialect::PgService] {
                let _ = validate(t, dialect);
                let _ = zt_sections(t, dialect);
                let _ = wipe(t, &header, &IniUndo { created: true }, dialect);
                let _ = apply(t, &section(&header, &entries, "g"), dialect);
                if let Ok((out, undo)) = apply(t, &section("zt-x", &aws_entries(), "g"), dialect) {
                    let want = if t.is_empty() { Wiped::RemoveFile } else { Wiped::Text(t.clone()) };
                    if zt_sections(t, dialect).is_ok_and(|z| z.is_empty()) {
                        prop_assert_eq!(wipe(&out, "zt-x", &undo, dialect), Ok(want));
                    }
                }
            }
        }
    }
}
