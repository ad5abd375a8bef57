//! Reading files the way their tools do (botocore, libpq), and refusing what zt cannot read
//! or write faithfully.

use super::*;

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

#[test]
fn refuses_what_it_cannot_write() {
    use Dialect::*;
    let e = |k: &str, v: &str| vec![(k.to_string(), v.to_string())];
    let ok = e("region", "x");
    type Bad<'a> = (&'a str, Vec<(String, String)>, &'a str, Dialect);
    let bad: Vec<Bad> = vec![
        ("profile x]", ok.clone(), GRANT, Aws),
        ("[x", ok.clone(), GRANT, Aws),
        ("x\ny", ok.clone(), GRANT, Aws),
        ("x\r", ok.clone(), GRANT, PgService),
        ("x\0", ok.clone(), GRANT, Aws),
        ("", ok.clone(), GRANT, Aws),
        (" x", ok.clone(), GRANT, PgService),
        ("x", e("a=b", "v"), GRANT, Aws),
        ("x", e("a:b", "v"), GRANT, PgService),
        ("x", e("", "v"), GRANT, Aws),
        ("x", e("#k", "v"), GRANT, Aws),
        ("x", e("[k", "v"), GRANT, PgService),
        ("x", e(" k", "v"), GRANT, Aws),
        ("x", e("k\n", "v"), GRANT, Aws),
        ("x", e("k", "v\nw"), GRANT, Aws),
        ("x", e("k", "v\r"), GRANT, PgService),
        ("x", e("k", "v\0"), GRANT, PgService),
        ("x", e("k", " v"), GRANT, PgService),
        ("x", e("k", "v "), GRANT, PgService),
        ("x", e("k", "v\t"), GRANT, Aws),
        (
            "x",
            [e("Region", "a"), e("region", "b")].concat(),
            GRANT,
            Aws,
        ),
        ("x", ok.clone(), "a, b", Aws),
        ("x", ok.clone(), "", Aws),
        ("x", ok.clone(), "g\nh", PgService),
    ];
    for (header, entries, grant, dialect) in &bad {
        let sec = section(header, entries, grant);
        let e = apply("[a]\nk=v\n", &sec, *dialect).expect_err(header);
        assert_eq!(e.line, None, "{header:?} {entries:?}");
        assert!(e.message.starts_with("zt will not write"), "{}", e.message);
    }
    let sec = IniSection {
        expires_at: "2026\n",
        ..section("x", &ok, GRANT)
    };
    assert!(apply("", &sec, Aws).is_err());
}
