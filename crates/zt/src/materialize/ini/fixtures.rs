//! The files the INI editor's tests run on: zt's entries and the sections it must write for
//! them, realistic AWS and libpq files, and random ones assembled from realistic pieces.

use super::Dialect;
use crate::materialize::tests::Dice;

pub(super) fn aws_entries() -> Vec<(String, String)> {
    vec![
        (
            "credential_process".into(),
            "/usr/local/bin/zt credential aws r7f3k2q9xa".into(),
        ),
        ("region".into(), "eu-west-1".into()),
    ]
}

pub(super) fn static_entries() -> Vec<(String, String)> {
    vec![
        ("aws_access_key_id".into(), "ASIAZTEXAMPLE".into()),
        ("aws_secret_access_key".into(), "c2VjcmV0/+=".into()),
        ("aws_session_token".into(), "IQoJb3JpZ2luX2Vj//8=".into()),
    ]
}

pub(super) fn pg_entries() -> Vec<(String, String)> {
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

/// zt's sections for GRANT, written independently of the emitter.
pub(super) const AWS_PROFILE: &str = "[profile zt-prod-aws]
# zt: grant r7f3k2q9xa, expires 2026-05-01T12:00:00Z; written by zt, removed when the grant ends
credential_process = /usr/local/bin/zt credential aws r7f3k2q9xa
region = eu-west-1
";
pub(super) const AWS_STATIC: &str = "[zt-prod-aws]
# zt: grant r7f3k2q9xa, expires 2026-05-01T12:00:00Z; written by zt, removed when the grant ends
aws_access_key_id = ASIAZTEXAMPLE
aws_secret_access_key = c2VjcmV0/+=
aws_session_token = IQoJb3JpZ2luX2Vj//8=
";
pub(super) const PG_SECTION: &str = "[zt-prod-db]
# zt: grant r7f3k2q9xa, expires 2026-05-01T12:00:00Z; written by zt, removed when the grant ends
host=db.example.com
port=5432
dbname=payments
user=zt_r7f3k2q9xa
sslmode=verify-full
";

// ---- Realistic files -----------------------------------------------------------------------
// Realistic AWS and libpq files, as the tools document them and as people keep them.

/// `~/.aws/config` kept by hand: every profile kind, nested `services`, both comment styles,
/// odd spacing, tabs, `key: value`.
pub(super) const AWS_CONFIG: &str = "# ~/.aws/config — edited by hand, keep tidy
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
pub(super) const AWS_CREDENTIALS: &str = "[default]
aws_access_key_id = AKIAIOSFODNN7EXAMPLE
aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY

# old keys, do not use
[legacy]
aws_access_key_id=AKIAI44QH8DHBEXAMPLE
aws_secret_access_key=je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY
aws_session_token = IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQ
";

/// `~/.pg_service.conf`: comments, a commented-out service, indented keys, spaces after values.
pub(super) const PG_SERVICE: &str = "# libpq connection services
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

pub(super) fn crlf(s: &str) -> String {
    s.replace('\n', "\r\n")
}

/// Each text in the ways people's files differ: line endings, final line break, BOM.
pub(super) fn variants(label: &'static str, text: &str) -> Vec<(String, String)> {
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

// ---- Random files --------------------------------------------------------------------------
// Random AWS and libpq files assembled from realistic pieces.

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

pub(super) fn file(
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
