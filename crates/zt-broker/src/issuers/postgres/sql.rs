//! The SQL text the PostgreSQL issuer has to build itself: `CREATE ROLE`, `GRANT`, `COMMENT`
//! and `DROP ROLE` take no bind parameters, so identifiers and literals are quoted here by the
//! server's own rules (`quote_ident`, `quote_literal` in `src/backend/utils/adt/quote.c`), and
//! the password travels only as a SCRAM-SHA-256 verifier (RFC 5802/7677, as libpq's
//! `PQencryptPasswordConn` makes it), so it never reaches the server's logs.
//!
//! Public for the integration tests, which check the quoting through a real server and time
//! the verifier (`tests/broker/issuers/postgres/`).

use std::num::NonZeroU32;

use aws_lc_rs::{digest, hmac, pbkdf2};
use base64::Engine;

/// PostgreSQL's own default (`scram_iterations`): what `ALTER ROLE … PASSWORD` would store.
pub const SCRAM_ITERATIONS: u32 = 4096;

/// The longest identifier PostgreSQL keeps (NAMEDATALEN − 1); longer ones are truncated with
/// only a NOTICE, which would silently name a different role.
pub(super) const MAX_IDENT_BYTES: usize = 63;

/// `"…"` with `"` doubled: safe for any text, whatever its case or characters. NUL cannot be
/// sent at all, and an over-long name would be truncated to another one, so both are refused.
pub fn quote_ident(s: &str) -> Result<String, String> {
    if s.is_empty() || s.len() > MAX_IDENT_BYTES || s.contains('\0') {
        return Err(format!(
            "{s:?} is not a PostgreSQL identifier (1–{MAX_IDENT_BYTES} bytes, no NUL)"
        ));
    }
    Ok(format!("\"{}\"", s.replace('"', "\"\"")))
}

/// `'…'` with `'` doubled; with a backslash present, `E'…'` with `\` doubled too, which reads
/// the same whether `standard_conforming_strings` is on or off.
pub fn quote_literal(s: &str) -> Result<String, String> {
    if s.contains('\0') {
        return Err("a PostgreSQL string cannot contain NUL".into());
    }
    let body = s.replace('\'', "''");
    Ok(if s.contains('\\') {
        format!("E'{}'", body.replace('\\', "\\\\"))
    } else {
        format!("'{body}'")
    })
}

/// The requester's name as a PostgreSQL identifier part: the local part of an email,
/// lowercase letters, digits and `_` only, at most 20 characters.
pub fn pg_name(requester: &str) -> String {
    let local = requester.split('@').next().unwrap_or(requester);
    let name: String = local
        .chars()
        .map(|c| c.to_ascii_lowercase())
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .take(20)
        .collect();
    if name.is_empty() { "user".into() } else { name }
}

/// The login role name of one credential: `zt_<requester>_<suffix>`, only `[a-z0-9_]`, so it
/// needs no quoting in `psql`, `.pgpass` or a URL. The requester part is [`pg_name`] (at most
/// 20 characters), which the dev issuers use too, so both name roles alike.
#[cfg(any(test, feature = "postgres"))]
pub(super) fn login_name(requester: &str, suffix: &str) -> String {
    let name = format!("zt_{}_{suffix}", pg_name(requester));
    debug_assert!(name.len() <= MAX_IDENT_BYTES);
    name
}

/// `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`, the form `pg_authid` keeps.
/// Given this instead of the password, the server stores it as is. The password must be plain
/// ASCII without spaces, for which SASLprep (RFC 4013) changes nothing.
pub fn scram_verifier(password: &str, salt: &[u8], iterations: u32) -> String {
    debug_assert!(password.bytes().all(|b| b.is_ascii_graphic()));
    let iters = NonZeroU32::new(iterations).unwrap_or(NonZeroU32::MIN);
    let mut salted = [0u8; 32];
    pbkdf2::derive(
        pbkdf2::PBKDF2_HMAC_SHA256,
        iters,
        salt,
        password.as_bytes(),
        &mut salted,
    );
    let key = hmac::Key::new(hmac::HMAC_SHA256, &salted);
    let client_key = hmac::sign(&key, b"Client Key");
    let stored_key = digest::digest(&digest::SHA256, client_key.as_ref());
    let server_key = hmac::sign(&key, b"Server Key");
    let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
    format!(
        "SCRAM-SHA-256${iters}:{}${}:{}",
        b64(salt),
        b64(stored_key.as_ref()),
        b64(server_key.as_ref())
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_quoted_and_bad_ones_refused() {
        assert_eq!(quote_ident("app_readonly").unwrap(), "\"app_readonly\"");
        assert_eq!(
            quote_ident("a\"; DROP TABLE x; --").unwrap(),
            "\"a\"\"; DROP TABLE x; --\""
        );
        assert_eq!(quote_ident("Ünï").unwrap(), "\"Ünï\"");
        assert!(quote_ident("").is_err());
        assert!(quote_ident("a\0b").is_err());
        assert!(quote_ident(&"x".repeat(64)).is_err());
    }

    #[test]
    fn literals_are_quoted_like_the_servers_quote_literal() {
        assert_eq!(quote_literal("abc").unwrap(), "'abc'");
        assert_eq!(quote_literal("it's'; --").unwrap(), "'it''s''; --'");
        assert_eq!(quote_literal("a\\'b").unwrap(), "E'a\\\\''b'");
        assert!(quote_literal("a\0").is_err());
    }

    #[test]
    fn login_names_are_plain_and_short() {
        for requester in [
            "alice'; DROP TABLE x; --",
            "\"bob\"",
            "ünïcode",
            &"é".repeat(200),
            "",
        ] {
            let n = login_name(requester, "abcdefghijkl");
            assert!(n.len() <= MAX_IDENT_BYTES, "{n}");
            assert!(
                n.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
                "{n}"
            );
            assert!(n.starts_with("zt_") && n.ends_with("_abcdefghijkl"), "{n}");
        }
        assert_eq!(
            login_name("Alice.Smith@example.com", "x"),
            "zt_alice_smith_x"
        );
    }

    #[test]
    fn the_scram_verifier_matches_an_independent_computation() {
        // RFC 7677's password and salt; the keys computed with Python's hashlib/hmac.
        let salt = base64::engine::general_purpose::STANDARD
            .decode("W22ZaJ0SNY7soEsUEjb6gQ==")
            .unwrap();
        assert_eq!(
            scram_verifier("pencil", &salt, 4096),
            "SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$\
             WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=:\
             wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU="
        );
    }
}
