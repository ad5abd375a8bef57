//! Mistakes in the file as a whole — unknown keys, wrong types, bad syntax, missing sections —
//! each refused where it is, and the line and column counting behind every message.

use super::*;
use crate::config::source::line_col;

#[test]
fn unknown_keys_are_refused_where_they_are() {
    let t = with("listen = ", "lisen = 1\nlisten = ");
    refused(&t, Some("lisen"), "unknown field `lisen`");
    let t = with("[store]", "[stor]");
    refused(&t, Some("[stor]"), "unknown field `stor`");
    let t = with(
        "audience = \"zt-broker\"\n\n[catalog]",
        "audience = \"zt-broker\"\njwks = \"x\"\n\n[catalog]",
    );
    refused(&t, Some("jwks = "), "unknown field `jwks`");
    let t = with(
        "audience = \"zt-broker\"\n\n[catalog]",
        "audience = \"zt-broker\"\nclaims = { group = \"roles\" }\n\n[catalog]",
    );
    refused(&t, Some("claims = "), "unknown field `group`");
    // Inside the inline catalog too, with the config file's line.
    let t = with(
        "auto_approve_groups",
        "aprover_groups = []\nauto_approve_groups",
    );
    refused(&t, Some("aprover_groups"), "unknown field `aprover_groups`");
}

#[test]
fn wrong_types_are_refused_where_they_are() {
    refused(
        &with("listen = \"127.0.0.1:0\"", "listen = 8443"),
        Some("listen = 8443"),
        "invalid type: integer",
    );
    let t = with(
        "audience = \"zt-broker\"\n\n[catalog]",
        "audience = \"zt-broker\"\nleeway_secs = \"60\"\n\n[catalog]",
    );
    refused(&t, Some("leeway_secs"), "expected u64");
    refused(
        &with(
            "client_id = \"zt-cli\"",
            "client_id = \"zt-cli\"\nscopes = \"openid\"",
        ),
        Some("scopes"),
        "invalid type: string",
    );
    refused(
        &with("[server]", "admin_groups = \"zt-admins\"\n[server]"),
        Some("admin_groups"),
        "invalid type",
    );
}

#[test]
fn syntax_errors_name_their_line() {
    refused(&with("[login]", "[login"), Some("[login"), "");
    refused(
        &with("client_id = \"zt-cli\"", "client_id = \"zt-cli"),
        Some("client_id"),
        "",
    );
}

#[test]
fn missing_sections_are_named() {
    for (section, first, last) in [
        ("server", "[server]", "listen = "),
        ("store", "[store]", "url = "),
        ("catalog", "[catalog]", "auto_approve_groups"),
    ] {
        let start = BASE.find(first).unwrap();
        let end = start + BASE[start..].find(last).unwrap();
        let end = end + BASE[end..].find('\n').unwrap() + 1;
        let t = format!("{}{}", &BASE[..start], &BASE[end..]);
        refused(&t, None, &format!("missing section [{section}]"));
    }
    let start = BASE.find("[login]").unwrap();
    let end = BASE.find("[[trusted_issuer]]").unwrap();
    let t = format!("{}{}", &BASE[..start], &BASE[end..]);
    refused(&t, None, "missing section [login]");
    let start = BASE.find("[[trusted_issuer]]").unwrap();
    let end = BASE.find("[catalog]").unwrap();
    let t = format!("{}{}", &BASE[..start], &BASE[end..]);
    refused(&t, None, "missing [[trusted_issuer]]");
    // A missing key inside a section: toml names it.
    refused(
        &with("client_id = \"zt-cli\"\n", ""),
        Some("[login]"),
        "missing field `client_id`",
    );
}

#[test]
fn line_and_column_count_characters() {
    assert_eq!(line_col("ab\ncé\nx", 0), (1, 1));
    assert_eq!(line_col("ab\ncé\nx", 3), (2, 1));
    // After the two-byte é: column 3, not 4.
    assert_eq!(line_col("ab\ncé\nx", 6), (2, 3));
    // Inside a character, or past the end: no panic.
    assert_eq!(line_col("ab\ncé\nx", 5), (2, 2));
    assert_eq!(line_col("ab", 99), (1, 3));
}
