//! Random AWS and libpq files assembled from realistic pieces: apply then wipe must be the
//! identity, and no text whatsoever may make the editor panic.

use proptest::prelude::*;

use super::*;

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
