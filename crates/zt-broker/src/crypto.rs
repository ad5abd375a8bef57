//! Randomness and hashing, in one place so every id, token and digest in the broker is made
//! the same way: the OS CSPRNG (`getrandom`) and SHA-256 from aws-lc-rs.

use aws_lc_rs::digest::{SHA256, digest};

/// `n` bytes from the operating system's CSPRNG. Failing to read it leaves nothing safe to do,
/// so the caller gets an error it turns into a 500 rather than a weak secret.
pub fn random_bytes(n: usize) -> Result<Vec<u8>, String> {
    let mut buf = vec![0u8; n];
    getrandom::fill(&mut buf).map_err(|e| format!("the OS random number generator failed: {e}"))?;
    Ok(buf)
}

/// Lowercase hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 0xf) as usize] as char);
    }
    s
}

/// SHA-256 of `data`, as lowercase hex.
pub fn sha256_hex(data: &[u8]) -> String {
    hex(digest(&SHA256, data).as_ref())
}

/// `len` characters drawn uniformly from `alphabet` (rejection sampling, so no modulo bias).
pub fn random_string(alphabet: &[u8], len: usize) -> Result<String, String> {
    debug_assert!(!alphabet.is_empty() && alphabet.len() <= 256);
    let limit = 256 - (256 % alphabet.len());
    let mut out = String::with_capacity(len);
    while out.len() < len {
        for b in random_bytes(len * 2)? {
            if (b as usize) < limit && out.len() < len {
                out.push(alphabet[b as usize % alphabet.len()] as char);
            }
        }
    }
    Ok(out)
}

pub const LOWER_ALNUM: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
pub const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// A new request (= grant) id: 16 lowercase hex digits, safe in file and kubeconfig names.
pub fn new_id() -> Result<String, String> {
    Ok(hex(&random_bytes(8)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_of_abc_is_the_fips_vector() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn random_strings_use_the_alphabet() {
        let s = random_string(b"ab", 64).unwrap();
        assert_eq!(s.len(), 64);
        assert!(s.bytes().all(|b| b == b'a' || b == b'b'));
        assert_ne!(new_id().unwrap(), new_id().unwrap());
        assert!(zt_api::valid_name(&new_id().unwrap()));
    }
}
