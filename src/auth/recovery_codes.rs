//! Recovery codes: generation (CSPRNG, four groups of five hex characters),
//! normalisation (what the user may type differently) and the hash that is the
//! only thing stored: HMAC-SHA-256 under the server's secret key over the
//! code's SHA-256 hex (80-bit codes are too short for an unkeyed hash, ASVS
//! 6.5.2; hashes stored before the key existed were keyed in place). Storage and single-use consumption live in `db::two_factor`.

use crate::crypto::SecretKey;
use std::collections::HashSet;

/// Codes per set.
pub const COUNT: usize = 10;
const GROUPS: usize = 4;
const GROUP_LEN: usize = 5;
/// Hex characters in a normalised code: 20, i.e. 80 random bits.
pub const NORMALISED_LEN: usize = GROUPS * GROUP_LEN;

/// A fresh set of `COUNT` distinct codes, formatted `xxxxx-xxxxx-xxxxx-xxxxx`.
pub fn generate() -> Vec<String> {
    let mut seen = HashSet::new();
    let mut codes = Vec::with_capacity(COUNT);
    while codes.len() < COUNT {
        // 10 random bytes are exactly 20 hex characters.
        let hex = hex::encode(crate::crypto::random_bytes(NORMALISED_LEN / 2));
        if !seen.insert(hex.clone()) {
            continue;
        }
        let groups: Vec<&str> = (0..GROUPS)
            .map(|g| &hex[g * GROUP_LEN..(g + 1) * GROUP_LEN])
            .collect();
        codes.push(groups.join("-"));
    }
    codes
}

/// Spaces and hyphens removed, lowercased: `3F9A2 0B1C4-...` and
/// `3f9a2-0b1c4-...` are the same code.
pub fn normalise(code: &str) -> String {
    code.chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .flat_map(char::to_lowercase)
        .collect()
}

/// Whether a normalised value can be a recovery code at all (saves a lookup
/// for what is obviously a TOTP code or a typo).
pub fn looks_like_code(normalised: &str) -> bool {
    normalised.len() == NORMALISED_LEN && normalised.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The stored form: SHA-256 of the normalised code. The codes carry 80 random
/// bits, so a fast hash cannot be brute-forced and allows lookup by hash.
pub fn hash(key: &SecretKey, code: &str) -> String {
    key.keyed_hash(&crate::crypto::sha256_hex(&normalise(code)))
}

/// The hashes of a set of codes, as they are stored.
pub fn hashes(key: &SecretKey, codes: &[String]) -> Vec<String> {
    codes.iter().map(|c| hash(key, c)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_set_is_ten_distinct_codes_of_four_hex_groups() {
        let codes = generate();
        assert_eq!(codes.len(), COUNT);
        assert_eq!(codes.iter().collect::<HashSet<_>>().len(), COUNT);
        for code in &codes {
            let groups: Vec<&str> = code.split('-').collect();
            assert_eq!(groups.len(), 4, "{code}");
            for g in groups {
                assert_eq!(g.len(), 5, "{code}");
                assert!(
                    g.bytes()
                        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
                );
            }
            assert!(looks_like_code(&normalise(code)));
        }
    }

    #[test]
    fn normalisation_ignores_case_spaces_and_hyphens() {
        let code = "3f9a2-0b1c4-d5e6f-78901";
        assert_eq!(normalise(code), "3f9a20b1c4d5e6f78901");
        let key = SecretKey::from_bytes(&[3; 32]);
        assert_eq!(hash(&key, " 3F9A2 0B1C4-D5E6F 78901 "), hash(&key, code));
        // Keyed over the SHA-256 hex the codes were stored as before, so the
        // start-up step can key old hashes in place.
        assert_eq!(
            hash(&key, code),
            key.keyed_hash(&crate::crypto::sha256_hex("3f9a20b1c4d5e6f78901"))
        );
        assert!(!looks_like_code("123456"));
        assert!(!looks_like_code("zzzzzzzzzzzzzzzzzzzz"));
    }
}
