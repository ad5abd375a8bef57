//! The INI editor against realistic AWS and libpq files, its refusals, and its reading rules.

mod editing;
mod fixtures;
mod props;
mod reading;

use super::*;
use fixtures::*;

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
        true => fixtures::crlf(case.expected),
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
