//! An OpenSSH key revocation list (KRL) naming certificates of one CA by serial, in the binary
//! format of OpenSSH's PROTOCOL.krl, which sshd reads through `RevokedKeys` (and rereads on
//! every connection). ssh-key builds no KRLs; this is the small part of the format the broker
//! needs: the header and one certificates section with serial lists and ranges.
//!
//! ```text
//! uint64 KRL_MAGIC ("SSHKRL\n\0")   uint32 KRL_FORMAT_VERSION (1)
//! uint64 krl_version   uint64 generated_date   uint64 flags   string reserved   string comment
//! byte KRL_SECTION_CERTIFICATES (1)   string section:
//!     string ca_key   string reserved
//!     byte KRL_SECTION_CERT_SERIAL_LIST (0x20)   string: uint64 serial, …
//!     byte KRL_SECTION_CERT_SERIAL_RANGE (0x21)  string: uint64 lo, uint64 hi   (one per range)
//! ```

const KRL_MAGIC: &[u8; 8] = b"SSHKRL\n\0";
const KRL_FORMAT_VERSION: u32 = 1;
const KRL_SECTION_CERTIFICATES: u8 = 1;
const KRL_SECTION_CERT_SERIAL_LIST: u8 = 0x20;
const KRL_SECTION_CERT_SERIAL_RANGE: u8 = 0x21;
/// A run of consecutive serials at least this long is written as a range (16 bytes and a
/// subsection header) rather than listed (8 bytes each).
const MIN_RANGE: u64 = 3;

/// What one KRL says.
#[derive(Debug, Clone)]
pub struct Krl<'a> {
    /// The CA's public key blob (SSH wire encoding), whose certificates the serials name.
    pub ca_key: &'a [u8],
    /// Increases whenever the list changes.
    pub version: u64,
    /// Unix seconds.
    pub generated: u64,
    pub comment: &'a str,
    /// Revoked serials (any order, repeats allowed; 0 is not a serial and is left out).
    pub serials: &'a [u64],
}

fn put_string(out: &mut Vec<u8>, data: &[u8]) {
    // Section sizes are bounded by the serials a store holds; a KRL past 4 GiB is not a thing.
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    out.extend_from_slice(data);
}

/// The serials as ranges `(lo, hi)` of consecutive numbers, ascending.
fn runs(serials: &[u64]) -> Vec<(u64, u64)> {
    let mut sorted: Vec<u64> = serials.iter().copied().filter(|s| *s != 0).collect();
    sorted.sort_unstable();
    sorted.dedup();
    let mut out: Vec<(u64, u64)> = Vec::new();
    for s in sorted {
        match out.last_mut() {
            Some((_, hi)) if *hi + 1 == s => *hi = s,
            _ => out.push((s, s)),
        }
    }
    out
}

impl Krl<'_> {
    /// The KRL file's bytes.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(KRL_MAGIC);
        out.extend_from_slice(&KRL_FORMAT_VERSION.to_be_bytes());
        out.extend_from_slice(&self.version.to_be_bytes());
        out.extend_from_slice(&self.generated.to_be_bytes());
        out.extend_from_slice(&0u64.to_be_bytes()); // flags: none defined
        put_string(&mut out, b""); // reserved
        put_string(&mut out, self.comment.as_bytes());

        let runs = runs(self.serials);
        if runs.is_empty() {
            return out;
        }
        let mut section = Vec::new();
        put_string(&mut section, self.ca_key);
        put_string(&mut section, b""); // reserved
        let mut list = Vec::new();
        for &(lo, hi) in runs.iter().filter(|(lo, hi)| hi - lo + 1 < MIN_RANGE) {
            for s in lo..=hi {
                list.extend_from_slice(&s.to_be_bytes());
            }
        }
        if !list.is_empty() {
            section.push(KRL_SECTION_CERT_SERIAL_LIST);
            put_string(&mut section, &list);
        }
        for &(lo, hi) in runs.iter().filter(|(lo, hi)| hi - lo + 1 >= MIN_RANGE) {
            let mut range = Vec::with_capacity(16);
            range.extend_from_slice(&lo.to_be_bytes());
            range.extend_from_slice(&hi.to_be_bytes());
            section.push(KRL_SECTION_CERT_SERIAL_RANGE);
            put_string(&mut section, &range);
        }
        out.push(KRL_SECTION_CERTIFICATES);
        put_string(&mut out, &section);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serials_group_into_runs() {
        assert_eq!(runs(&[]), vec![]);
        assert_eq!(
            runs(&[9, 1, 2, 3, 0, 7, 3, 5, 6]),
            vec![(1, 3), (5, 7), (9, 9)]
        );
        assert_eq!(
            runs(&[u64::MAX, u64::MAX - 1]),
            vec![(u64::MAX - 1, u64::MAX)]
        );
    }

    #[test]
    fn an_empty_krl_is_the_header_alone() {
        let k = Krl {
            ca_key: b"k",
            version: 7,
            generated: 1_700_000_000,
            comment: "zt",
            serials: &[],
        };
        let b = k.encode();
        assert_eq!(&b[..8], b"SSHKRL\n\0");
        assert_eq!(&b[8..12], &1u32.to_be_bytes());
        assert_eq!(&b[12..20], &7u64.to_be_bytes());
        assert_eq!(b.len(), 8 + 4 + 8 + 8 + 8 + 4 + 4 + 2);
        assert_eq!(&b[b.len() - 2..], b"zt");
    }

    #[test]
    fn short_runs_are_listed_and_long_ones_ranged() {
        let k = Krl {
            ca_key: b"CA",
            version: 1,
            generated: 0,
            comment: "",
            serials: &[1, 2, 10, 11, 12, 13, 20],
        };
        let b = k.encode();
        let header = 8 + 4 + 8 + 8 + 8 + 4 + 4;
        assert_eq!(b[header], KRL_SECTION_CERTIFICATES);
        let section = &b[header + 5..];
        assert_eq!(
            u32::from_be_bytes(b[header + 1..header + 5].try_into().unwrap()) as usize,
            section.len()
        );
        // ca key "CA", empty reserved
        assert_eq!(&section[..10], &[0, 0, 0, 2, b'C', b'A', 0, 0, 0, 0]);
        let rest = &section[10..];
        assert_eq!(rest[0], KRL_SECTION_CERT_SERIAL_LIST);
        assert_eq!(&rest[1..5], &24u32.to_be_bytes());
        let listed: Vec<u64> = rest[5..29]
            .chunks(8)
            .map(|c| u64::from_be_bytes(c.try_into().unwrap()))
            .collect();
        assert_eq!(listed, [1, 2, 20]);
        assert_eq!(rest[29], KRL_SECTION_CERT_SERIAL_RANGE);
        assert_eq!(&rest[30..34], &16u32.to_be_bytes());
        assert_eq!(&rest[34..42], &10u64.to_be_bytes());
        assert_eq!(&rest[42..50], &13u64.to_be_bytes());
        assert_eq!(rest.len(), 50);
    }
}
