//! The INI editor's tests of apply and wipe against realistic AWS and libpq files and random
//! ones, and of what it refuses to write; and the helpers its modules' tests share. Reading
//! and refusing what cannot be read is tested with the reader, in `parse/tests.rs`; the files
//! they all run on, realistic and random, are in `fixtures`.

use proptest::prelude::*;

use super::fixtures::*;
use super::*;

pub(super) const GRANT: &str = "r7f3k2q9xa";
const EXPIRES: &str = "2026-05-01T12:00:00Z";

pub(super) fn section<'a>(
    header: &'a str,
    entries: &'a [(String, String)],
    grant: &'a str,
) -> IniSection<'a> {
    IniSection {
        header,
        entries,
        grant_id: grant,
        expires_at: EXPIRES,
    }
}

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
        true => super::fixtures::crlf(case.expected),
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
// Random AWS and libpq files assembled from realistic pieces (`fixtures`): apply then wipe must
// be the identity.

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

}
