//! The INI editor against realistic AWS and libpq files, its refusals, and its reading rules:
//! the helpers they share first, then the tests by subject — editing, reading, random files
//! (proptest) — and last the realistic files they run on.

use proptest::prelude::*;

use super::*;

const GRANT: &str = "r7f3k2q9xa";
const EXPIRES: &str = "2026-05-01T12:00:00Z";

fn aws_entries() -> Vec<(String, String)> {
    vec![
        (
            "credential_process".into(),
            "/usr/local/bin/zt credential aws r7f3k2q9xa".into(),
        ),
        ("region".into(), "eu-west-1".into()),
    ]
}

fn static_entries() -> Vec<(String, String)> {
    vec![
        ("aws_access_key_id".into(), "ASIAZTEXAMPLE".into()),
        ("aws_secret_access_key".into(), "c2VjcmV0/+=".into()),
        ("aws_session_token".into(), "IQoJb3JpZ2luX2Vj//8=".into()),
    ]
}

fn pg_entries() -> Vec<(String, String)> {
    [
        ("host", "db.example.com"),
        ("port", "5432"),
        ("dbname", "payments"),
        ("user", "zt_r7f3k2q9xa"),
        ("sslmode", "verify-full"),
    ]
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .to_vec()
}

fn section<'a>(header: &'a str, entries: &'a [(String, String)], grant: &'a str) -> IniSection<'a> {
    IniSection {
        header,
        entries,
        grant_id: grant,
        expires_at: EXPIRES,
    }
}

/// zt's sections for GRANT, written independently of the emitter.
const AWS_PROFILE: &str = "[profile zt-prod-aws]
# zt: grant r7f3k2q9xa, expires 2026-05-01T12:00:00Z; written by zt, removed when the grant ends
credential_process = /usr/local/bin/zt credential aws r7f3k2q9xa
region = eu-west-1
";
const AWS_STATIC: &str = "[zt-prod-aws]
# zt: grant r7f3k2q9xa, expires 2026-05-01T12:00:00Z; written by zt, removed when the grant ends
aws_access_key_id = ASIAZTEXAMPLE
aws_secret_access_key = c2VjcmV0/+=
aws_session_token = IQoJb3JpZ2luX2Vj//8=
";
const PG_SECTION: &str = "[zt-prod-db]
# zt: grant r7f3k2q9xa, expires 2026-05-01T12:00:00Z; written by zt, removed when the grant ends
host=db.example.com
port=5432
dbname=payments
user=zt_r7f3k2q9xa
sslmode=verify-full
";

struct Case {
    header: &'static str,
    entries: Vec<(String, String)>,
    expected: &'static str,
    dialect: Dialect,
}

fn cases() -> Vec<(Vec<(String, String)>, Case)> {
    let aws = |header, entries, expected| Case {
        header,
        entries,
        expected,
        dialect: Dialect::Aws,
    };
    [
        (
            "aws config",
            AWS_CONFIG,
            aws("profile zt-prod-aws", aws_entries(), AWS_PROFILE),
        ),
        (
            "aws credentials",
            AWS_CREDENTIALS,
            aws("zt-prod-aws", static_entries(), AWS_STATIC),
        ),
        (
            "pg_service.conf",
            PG_SERVICE,
            Case {
                header: "zt-prod-db",
                entries: pg_entries(),
                expected: PG_SECTION,
                dialect: Dialect::PgService,
            },
        ),
    ]
    .into_iter()
    .map(|(label, text, case)| {
        let mut texts = variants(label, text);
        texts.push((format!("{label}: empty"), String::new()));
        texts.push((format!("{label}: only a bom"), "\u{feff}".into()));
        texts.push((format!("{label}: only a comment"), "# nothing yet\n".into()));
        (texts, case)
    })
    .collect()
}

/// `orig`'s lines appear in `out` in the same order (a last line without a line break may
/// have gained one).
fn assert_lines_kept(label: &str, orig: &str, out: &str) {
    let norm = |s: &str| s.trim_end_matches(['\r', '\n']).to_string();
    let lines = |s: &str| -> Vec<String> {
        let s = s.trim_start_matches('\u{feff}');
        s.split_inclusive('\n').map(norm).collect()
    };
    let out_lines = lines(out);
    let mut j = 0;
    for line in lines(orig) {
        match out_lines[j..].iter().position(|l| *l == line) {
            Some(p) => j += p + 1,
            None => panic!("{label}: line {line:?} of the original is missing from:\n{out}"),
        }
    }
}

fn round_trip(label: &str, orig: &str, case: &Case) -> String {
    let (d, h) = (case.dialect, case.header);
    let sec = section(h, &case.entries, GRANT);
    let (out, undo) = apply(orig, &sec, d).unwrap_or_else(|e| panic!("{label}: {e}"));
    assert_eq!(validate(&out, d), Ok(()), "{label}");
    assert_eq!(
        zt_sections(&out, d),
        Ok(vec![(h.to_string(), GRANT.to_string())]),
        "{label}"
    );
    let crlf = orig.contains("\r\n");
    let want = match crlf {
        true => self::crlf(case.expected),
        false => case.expected.to_string(),
    };
    let body = out.trim_start_matches('\u{feff}');
    assert!(
        body.contains(&want) || format!("{body}{}", ["\n", "\r\n"][crlf as usize]).ends_with(&want),
        "{label}: zt's section not written as expected:\n{out}"
    );
    assert_lines_kept(label, orig, &out);
    assert_eq!(
        out.starts_with('\u{feff}'),
        orig.starts_with('\u{feff}'),
        "{label}: BOM"
    );
    assert_eq!(
        out.ends_with('\n'),
        orig.ends_with('\n') || orig.trim_start_matches('\u{feff}').is_empty(),
        "{label}: final line break"
    );
    if crlf {
        assert!(
            !out.replace("\r\n", "").contains('\n'),
            "{label}: mixed line endings\n{out:?}"
        );
    }
    let gone = match orig.is_empty() {
        true => Wiped::RemoveFile,
        false => Wiped::Text(orig.to_string()),
    };
    assert_eq!(
        wipe(&out, h, &undo, d),
        Ok(gone.clone()),
        "{label}: round trip\n{out}"
    );
    // A re-request replaces zt's section in place; wiping with the first undo restores.
    let (again, u2) = apply(&out, &section(h, &case.entries, "s9t8u7v6w5"), d)
        .unwrap_or_else(|e| panic!("{label}: {e}"));
    assert_eq!(again.len(), out.len(), "{label}: replaced, not added");
    assert!(
        again.contains("grant s9t8u7v6w5,") && !again.contains(GRANT_MARK),
        "{label}"
    );
    assert_eq!(
        wipe(&again, h, &undo.clone().merge(u2), d),
        Ok(gone),
        "{label}: re-request"
    );
    // Idempotent: nothing of zt's left, nothing changes.
    assert_eq!(
        wipe(orig, h, &undo, d),
        Ok(Wiped::Text(orig.to_string())),
        "{label}: gone"
    );
    out
}

const GRANT_MARK: &str = "grant r7f3k2q9xa,";

// ---- Editing -------------------------------------------------------------------------------
// apply and wipe on realistic files: round trips, where zt's section goes, re-requests,
// sections zt did not mark, the verification, empty values, and the undo record.

#[test]
fn corpus_round_trips() {
    for (texts, case) in cases() {
        for (label, text) in texts {
            assert_eq!(validate(&text, case.dialect), Ok(()), "{label}");
            round_trip(&label, &text, &case);
        }
    }
}

#[test]
fn appends_after_one_blank_line() {
    let entries = aws_entries();
    let sec = section("profile zt-prod-aws", &entries, GRANT);
    let (out, _) = apply(AWS_CONFIG, &sec, Dialect::Aws).expect("applies");
    assert_eq!(out, format!("{AWS_CONFIG}\n{AWS_PROFILE}"));
    let bare = AWS_CONFIG.trim_end();
    let (out, _) = apply(bare, &sec, Dialect::Aws).expect("applies");
    assert_eq!(out, format!("{bare}\n\n{}", AWS_PROFILE.trim_end()));
    let (out, undo) = apply("", &sec, Dialect::Aws).expect("applies");
    assert_eq!((out.as_str(), undo.created), (AWS_PROFILE, true));
}

#[test]
fn replaces_in_place_and_wipe_keeps_what_follows() {
    let entries = aws_entries();
    let sec = section("profile zt-prod-aws", &entries, GRANT);
    let (out, undo) = apply(AWS_CONFIG, &sec, Dialect::Aws).expect("applies");
    // The user adds a profile below zt's, introduced by a comment.
    let user = "\n# added later\n[profile late]\nregion = ap-south-1\n";
    let edited = format!("{out}{user}");
    let (again, _) = apply(
        &edited,
        &section("profile zt-prod-aws", &entries, "zz"),
        Dialect::Aws,
    )
    .expect("replaces");
    assert!(again.ends_with(user), "moved:\n{again}");
    assert_eq!(
        wipe(&again, "profile zt-prod-aws", &undo, Dialect::Aws),
        Ok(Wiped::Text(format!("{AWS_CONFIG}{user}")))
    );
    // A file zt created, with the user's section after zt's.
    let (out, undo) = apply("", &sec, Dialect::Aws).expect("applies");
    let edited = format!("{out}\n[profile mine]\nregion = us-west-2\n");
    assert_eq!(
        wipe(&edited, "profile zt-prod-aws", &undo, Dialect::Aws),
        Ok(Wiped::Text("[profile mine]\nregion = us-west-2\n".into()))
    );
}

#[test]
fn leaves_sections_without_the_marker_alone() {
    let entries = aws_entries();
    let sec = section("profile zt-prod-aws", &entries, GRANT);
    // Marker not on the line right after the header: not zt's.
    let theirs = "[default]\nregion = x\n\n[profile zt-prod-aws]\nregion = y\n# zt: grant r7f3k2q9xa, expires 2026-05-01T12:00:00Z\n";
    let e = apply(theirs, &sec, Dialect::Aws).expect_err("refuses");
    assert_eq!(e.line, Some(4));
    assert_eq!(
        e.message,
        "a [profile zt-prod-aws] section exists that zt did not write; rename or remove it"
    );
    assert_eq!(
        wipe(
            theirs,
            "profile zt-prod-aws",
            &IniUndo::default(),
            Dialect::Aws
        ),
        Ok(Wiped::Text(theirs.into()))
    );
    // botocore reads these as the same profile, so they are the user's `zt-prod-aws` too.
    for alias in [
        "[profile  zt-prod-aws]",
        "[profile \"zt-prod-aws\"]",
        "[profile 'zt-prod-aws' ]",
    ] {
        let text = format!("[default]\n{alias}\nregion = x\n");
        let e = apply(&text, &sec, Dialect::Aws).expect_err(alias);
        assert_eq!(e.line, Some(2), "{alias}");
    }
    // A different header is not ours either.
    let (out, _) = apply(
        theirs.replace("zt-prod-aws", "zt-other").as_str(),
        &sec,
        Dialect::Aws,
    )
    .expect("applies");
    assert_eq!(zt_sections(&out, Dialect::Aws).map(|v| v.len()), Ok(1));
    // Looks like a header, but is a continuation line of `k` to botocore.
    let cont = "[a]\nk = v\n  [profile zt-prod-aws]\n";
    assert!(apply(cont, &sec, Dialect::Aws).is_ok());
}

#[test]
fn verification_catches_a_meaning_change() {
    // zt's section without keys, then an indented header: after wipe, botocore would read
    // `  [b]` as a continuation of `k`. zt refuses rather than change [a].
    let text = "[a]\nk = v\n\n[zt-x]\n# zt: grant g, expires t; written by zt\n  [b]\nj = w\n";
    assert_eq!(
        wipe(text, "zt-x", &IniUndo::default(), Dialect::Aws),
        Err(verify_failed())
    );
}

#[test]
fn empty_values_and_keys_only_sections() {
    let entries = vec![("cli_pager".to_string(), String::new())];
    let sec = section("profile zt-p", &entries, GRANT);
    let (out, undo) = apply("[default]\n", &sec, Dialect::Aws).expect("applies");
    assert!(out.ends_with("\ncli_pager =\n"), "{out}");
    assert_eq!(
        wipe(&out, "profile zt-p", &undo, Dialect::Aws),
        Ok(Wiped::Text("[default]\n".into()))
    );
    let (out, undo) = apply(
        "[s]\nhost=a\n",
        &section("zt-db", &[], GRANT),
        Dialect::PgService,
    )
    .expect("applies");
    assert_eq!(
        wipe(&out, "zt-db", &undo, Dialect::PgService),
        Ok(Wiped::Text("[s]\nhost=a\n".into()))
    );
}

#[test]
fn undo_serializes() {
    let u = IniUndo { created: true };
    let json = serde_json::to_string(&u).expect("serializes");
    assert_eq!(serde_json::from_str::<IniUndo>(&json).ok(), Some(u));
    assert_eq!(
        serde_json::from_str::<IniUndo>("{}").ok(),
        Some(IniUndo::default())
    );
    assert!(IniUndo::default().merge(IniUndo { created: true }).created);
    assert!(IniUndo { created: true }.merge(IniUndo::default()).created);
}

// ---- Reading -------------------------------------------------------------------------------
// Reading files the way their tools do (botocore, libpq), and refusing what zt cannot read
// or write faithfully.

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

// ---- Random files --------------------------------------------------------------------------
// Random AWS and libpq files assembled from realistic pieces: apply then wipe must be the
// identity, and no text whatsoever may make the editor panic.

/// Draws choices from proptest's bytes, so failures shrink towards simpler files.
struct Dice<'a>(&'a [u8], usize);

impl Dice<'_> {
    fn pick(&mut self, n: usize) -> usize {
        let v = self.0.get(self.1).copied().unwrap_or(0);
        self.1 += 1;
        v as usize % n
    }
    fn chance(&mut self, in_n: usize) -> bool {
        self.pick(in_n) == 0
    }
    fn of<'s>(&mut self, items: &[&'s str]) -> &'s str {
        items[self.pick(items.len())]
    }
}

const AWS_COMMENTS: [&str; 7] = [
    "# plain",
    "; semicolon",
    "#",
    "  # indented",
    "\t; tabbed",
    "# ünïcødé — [profile fake]",
    "#key = value",
];
const AWS_HEADERS: [&str; 9] = [
    "default",
    "profile dev",
    "profile admin",
    "sso-session corp",
    "services local",
    "profile ünï ☁",
    "zt-prod-aws-2",
    "profile zt-prod-aws-2",
    "DEFAULT",
];
const PG_COMMENTS: [&str; 4] = ["# plain", "  # indented", "#[zt-prod-db]", "#host=x"];
const PG_HEADERS: [&str; 5] = ["mydb", "reporting", "my db", "zt-prod-db-2", "ünï"];

fn filler(d: &mut Dice, s: &mut String, comments: &[&str]) {
    if d.chance(4) {
        *s += d.of(comments);
        *s += "\n";
    }
    if d.chance(4) {
        *s += d.of(&["\n", "\n\n", "   \n"]);
    }
}

/// zt's own section, as an earlier apply left it.
fn zt_section(header: &str, pg: bool) -> String {
    let kv = if pg { "host=old" } else { "region = old" };
    format!(
        "[{header}]\n# zt: grant old, expires 2026-01-01T00:00:00Z; written by zt, removed when the grant ends\n{kv}\n"
    )
}

fn aws(d: &mut Dice, with_zt: bool) -> String {
    let mut s = String::new();
    filler(d, &mut s, &AWS_COMMENTS);
    let mut headers = AWS_HEADERS.to_vec();
    for i in (1..headers.len()).rev() {
        headers.swap(i, d.pick(i + 1));
    }
    let count = d.pick(5);
    let zt_at = with_zt.then(|| d.pick(count + 1));
    for (n, h) in headers.into_iter().take(count).enumerate() {
        if zt_at == Some(n) {
            s += &zt_section("profile zt-prod-aws", false);
            filler(d, &mut s, &AWS_COMMENTS);
        }
        filler(d, &mut s, &AWS_COMMENTS);
        s += &format!("[{h}]{}\n", d.of(&["", "", "  ", "\t"]));
        for k in 0..d.pick(5) {
            filler(d, &mut s, &AWS_COMMENTS);
            let key = format!("{}{k}", d.of(&["k", "Key_", "s3_"]));
            match d.pick(8) {
                0 => s += &format!("{key} = v{k}\n"),
                1 => s += &format!("{key}=v=w\n"),
                2 => s += &format!("{key} : arn:aws:iam::1:role/x\n"),
                3 => s += &format!("{key}   =   spaced value  \n"),
                4 => s += &format!("{key} =\n"),
                5 => s += &format!("  {key} = indented\n"),
                6 => {
                    let pad = d.of(&["  ", "    ", "\t"]);
                    s += &format!("{key} =\n{pad}endpoint_url = http://localhost:9000\n");
                    if d.chance(2) {
                        s += &format!("{pad}# inside\n\n{pad}max_concurrent_requests = 20\n");
                    }
                }
                _ => s += &format!("{key} = first\n    second line\n    [looks like a header]\n"),
            }
        }
    }
    if zt_at == Some(count) {
        filler(d, &mut s, &AWS_COMMENTS);
        s += &zt_section("profile zt-prod-aws", false);
    }
    filler(d, &mut s, &AWS_COMMENTS);
    s
}

fn pg(d: &mut Dice, with_zt: bool) -> String {
    let mut s = String::new();
    filler(d, &mut s, &PG_COMMENTS);
    let count = d.pick(5);
    let zt_at = with_zt.then(|| d.pick(count + 1));
    for n in 0..=count {
        if zt_at == Some(n) {
            filler(d, &mut s, &PG_COMMENTS);
            s += &zt_section("zt-prod-db", true);
        }
        if n == count {
            break;
        }
        filler(d, &mut s, &PG_COMMENTS);
        // Duplicate services are allowed: libpq takes the first.
        s += &format!(
            "{}[{}]{}\n",
            d.of(&["", "", "  "]),
            d.of(&PG_HEADERS),
            d.of(&["", " "])
        );
        for _ in 0..d.pick(5) {
            filler(d, &mut s, &PG_COMMENTS);
            s += d.of(&[
                "host=db.internal\n",
                "  port=5432  \n",
                "dbname = odd spacing\n",
                "user=\n",
                "\tsslmode=verify-full\n",
                "options=-c search_path=a,b\n",
            ]);
        }
    }
    filler(d, &mut s, &PG_COMMENTS);
    s
}

fn line_endings(d: &mut Dice, s: String) -> String {
    let s = if d.chance(3) { crlf(&s) } else { s };
    let s = if d.chance(4) {
        s.trim_end_matches(['\n', '\r']).to_string()
    } else {
        s
    };
    if d.chance(5) {
        format!("\u{feff}{s}")
    } else {
        s
    }
}

fn file(
    bytes: &[u8],
    pg_dialect: bool,
    with_zt: bool,
) -> (String, Dialect, &'static str, Vec<(String, String)>) {
    let mut d = Dice(bytes, 0);
    let (text, dialect, header, entries) = match pg_dialect {
        false => (
            aws(&mut d, with_zt),
            Dialect::Aws,
            "profile zt-prod-aws",
            aws_entries(),
        ),
        true => (
            pg(&mut d, with_zt),
            Dialect::PgService,
            "zt-prod-db",
            pg_entries(),
        ),
    };
    (line_endings(&mut d, text), dialect, header, entries)
}

proptest! {
    // No regression files: the worktree is not the place for them.
    #![proptest_config(ProptestConfig { cases: 500, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn apply_then_wipe_is_identity(bytes in proptest::collection::vec(any::<u8>(), 0..200), pg_dialect in any::<bool>()) {
        let (text, dialect, header, entries) = file(&bytes, pg_dialect, false);
        prop_assert_eq!(validate(&text, dialect), Ok(()), "{}", text);
        let (out, undo) = apply(&text, &section(header, &entries, "g"), dialect)
            .map_err(|e| TestCaseError::fail(format!("refused {e}:\n{text}")))?;
        prop_assert_eq!(zt_sections(&out, dialect), Ok(vec![(header.to_string(), "g".to_string())]), "{}", out);
        let want = if text.is_empty() { Wiped::RemoveFile } else { Wiped::Text(text.clone()) };
        prop_assert_eq!(wipe(&out, header, &undo, dialect), Ok(want.clone()), "applied:\n{}", out);
        // A second apply replaces in place and wipes back just the same.
        let (again, u2) = apply(&out, &section(header, &entries, "h"), dialect)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(wipe(&again, header, &undo.merge(u2), dialect), Ok(want));
        prop_assert_eq!(wipe(&text, header, &IniUndo::default(), dialect), Ok(Wiped::Text(text.clone())));
    }

    #[test]
    fn apply_replaces_zts_section_where_it_stands(bytes in proptest::collection::vec(any::<u8>(), 0..200), pg_dialect in any::<bool>()) {
        let (text, dialect, header, entries) = file(&bytes, pg_dialect, true);
        let (out, undo) = apply(&text, &section(header, &entries, "g"), dialect)
            .map_err(|e| TestCaseError::fail(format!("refused {e}:\n{text}")))?;
        prop_assert_eq!(zt_sections(&out, dialect), Ok(vec![(header.to_string(), "g".to_string())]), "{}", out);
        prop_assert_eq!(
            wipe(&out, header, &undo, dialect),
            wipe(&text, header, &IniUndo::default(), dialect),
            "applied:\n{}", out
        );
    }

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

// ---- Fixtures ------------------------------------------------------------------------------
// Realistic AWS and libpq files, as the tools document them and as people keep them.

/// `~/.aws/config` kept by hand: every profile kind, nested `services`, both comment styles,
/// odd spacing, tabs, `key: value`.
const AWS_CONFIG: &str = "# ~/.aws/config — edited by hand, keep tidy
[default]
region = eu-west-1
output=json

; the dev account
[profile dev]
region   =   us-east-1
cli_pager =

[profile admin]
role_arn = arn:aws:iam::123456789012:role/Admin
source_profile = dev
mfa_serial: arn:aws:iam::123456789012:mfa/alice
# one hour
duration_seconds = 3600

[sso-session corp]
sso_start_url = https://corp.awsapps.com/start
sso_region = us-east-1
sso_registration_scopes = sso:account:access

[profile corp-ro]
sso_session = corp
sso_account_id = 111122223333
sso_role_name = ReadOnly
region = eu-central-1
services = local

[services local]
s3 =
  endpoint_url = http://localhost:9000
  # a comment inside the nested block
  addressing_style = path

dynamodb =
    endpoint_url = http://localhost:8000

[profile tools]
s3 =
    max_concurrent_requests = 20
    multipart_threshold = 64MB
\t; tab-indented comment
cli_history = enabled
";

/// `~/.aws/credentials`.
const AWS_CREDENTIALS: &str = "[default]
aws_access_key_id = AKIAIOSFODNN7EXAMPLE
aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY

# old keys, do not use
[legacy]
aws_access_key_id=AKIAI44QH8DHBEXAMPLE
aws_secret_access_key=je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY
aws_session_token = IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQ
";

/// `~/.pg_service.conf`: comments, a commented-out service, indented keys, spaces after values.
const PG_SERVICE: &str = "# libpq connection services
[mydb]
host=db.internal
port=5432
dbname=app
user=alice

#[disabled]
#host=old.internal
[reporting]
  host=reports.internal   
dbname=reports
sslmode=verify-full

# trailing notes
";

fn crlf(s: &str) -> String {
    s.replace('\n', "\r\n")
}

/// Each text in the ways people's files differ: line endings, final line break, BOM.
fn variants(label: &'static str, text: &str) -> Vec<(String, String)> {
    let bare = text.trim_end_matches('\n').to_string();
    vec![
        (label.to_string(), text.to_string()),
        (format!("{label} crlf"), crlf(text)),
        (format!("{label} no final newline"), bare.clone()),
        (format!("{label} crlf no final newline"), crlf(&bare)),
        (format!("{label} bom"), format!("\u{feff}{text}")),
        (
            format!("{label} bom crlf bare"),
            format!("\u{feff}{}", crlf(&bare)),
        ),
        (format!("{label} trailing blanks"), format!("{text}\n\n")),
        (
            format!("{label} ends in a comment"),
            format!("{text}# the end"),
        ),
    ]
}
