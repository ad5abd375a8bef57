//! The dev IdP's random values: opaque tokens and device-flow user codes, and reading a user
//! code as people type it.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// The user-code alphabet of RFC 8628 §6.1: consonants only, no look-alikes.
pub(super) const USER_CODE_ALPHABET: &[u8; 20] = b"BCDFGHJKLMNPQRSTVWXZ";

/// `n` random bytes, base64url without padding.
pub(super) fn random_token(n: usize) -> Result<String, String> {
    let mut buf = vec![0u8; n];
    getrandom::fill(&mut buf).map_err(|e| format!("no randomness: {e}"))?;
    Ok(URL_SAFE_NO_PAD.encode(&buf))
}

/// `XXXX-XXXX` from [`USER_CODE_ALPHABET`], uniformly (rejection sampling).
pub(super) fn random_user_code() -> Result<String, String> {
    let mut out = String::with_capacity(9);
    let mut buf = [0u8; 32];
    while out.len() < 9 {
        getrandom::fill(&mut buf).map_err(|e| format!("no randomness: {e}"))?;
        for b in buf {
            // 240 = 12 × 20: values above would bias the first letters.
            if b >= 240 {
                continue;
            }
            if out.len() == 4 {
                out.push('-');
            }
            out.push(USER_CODE_ALPHABET[(b % 20) as usize] as char);
            if out.len() == 9 {
                break;
            }
        }
    }
    Ok(out)
}

/// Accepts what people type: any case, with or without the dash, stray spaces.
pub(super) fn normalize_user_code(input: &str) -> Option<String> {
    let letters: String = input
        .chars()
        .filter(|c| !matches!(c, '-' | ' ' | '\t'))
        .map(|c| c.to_ascii_uppercase())
        .collect();
    if letters.len() != 8 || !letters.bytes().all(|b| USER_CODE_ALPHABET.contains(&b)) {
        return None;
    }
    Some(format!("{}-{}", &letters[..4], &letters[4..]))
}
