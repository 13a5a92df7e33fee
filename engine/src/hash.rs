//! The sharder: Statsig's SHA-256 hash and the buckets derived from it.
//!
//! `h(s)` is the first 8 bytes of SHA-256 over the UTF-8 bytes of `s`, read as a big-endian
//! `u64`. Statsig joins its inputs with `"."` (`salt.unit_id`, `config_salt.rule_salt.unit_id`);
//! the functions here feed the parts to the hasher one after another, so no joined string is
//! ever built.

use sha2::{Digest, Sha256};

/// Buckets of a `user_bucket` condition: `h(salt.unit_id) % 1000`.
pub const USER_BUCKETS: u64 = 1000;
/// Buckets of a pass percentage: `h(config_salt.rule_salt.unit_id) % 10000`.
pub const PASS_BUCKETS: u64 = 10_000;

/// `h(parts[0] + "." + parts[1] + ...)` without building the joined string.
pub fn hash_joined(parts: &[&str]) -> u64 {
    let mut hasher = Sha256::new();
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            hasher.update(b".");
        }
        hasher.update(part.as_bytes());
    }
    first_eight_bytes(&hasher.finalize())
}

/// `h(s)` for a whole string.
pub fn hash(s: &str) -> u64 {
    first_eight_bytes(&Sha256::digest(s.as_bytes()))
}

/// The `user_bucket` of a unit: `h(salt + "." + unit_id) % 1000`.
pub fn user_bucket(salt: &str, unit_id: &str) -> u16 {
    // The modulus is below 1000, so the cast cannot truncate.
    (hash_joined(&[salt, unit_id]) % USER_BUCKETS) as u16
}

/// Whether a unit passes a rule's pass percentage, compared in `f64` exactly as Statsig does:
/// `h(config_salt.rule_salt.unit_id) % 10000 < pass_percentage * 100`.
///
/// 100 always passes and 0 never does, without hashing.
pub fn passes_percentage(
    pass_percentage: f64,
    config_salt: &str,
    rule_salt: &str,
    unit_id: &str,
) -> bool {
    if pass_percentage == 100.0 {
        return true;
    }
    if pass_percentage == 0.0 {
        return false;
    }
    let bucket = hash_joined(&[config_salt, rule_salt, unit_id]) % PASS_BUCKETS;
    (bucket as f64) < pass_percentage * 100.0
}

/// The key an ID is stored under in a Statsig ID list: the first 8 characters of
/// base64(SHA-256(id)), which encode exactly the digest's first 6 bytes.
pub fn id_list_key(id: &str) -> [u8; 8] {
    use base64::Engine as _;
    let digest = Sha256::digest(id.as_bytes());
    let mut out = [0u8; 8];
    base64::engine::general_purpose::STANDARD
        .encode_slice(&digest[..6], &mut out)
        .expect("6 bytes encode to exactly 8 base64 characters");
    out
}

fn first_eight_bytes(digest: &[u8]) -> u64 {
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&digest[..8]);
    u64::from_be_bytes(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_is_big_endian_prefix_of_sha256() {
        // sha256("") = e3b0c44298fc1c14...
        assert_eq!(hash(""), 0xe3b0_c442_98fc_1c14);
        // sha256("abc") = ba7816bf8f01cfea...
        assert_eq!(hash("abc"), 0xba78_16bf_8f01_cfea);
    }

    #[test]
    fn joined_hash_equals_hash_of_joined_string() {
        let parts = ["f3c95789-ace1-a954-2c5d-6baed2eac902", "user-1"];
        assert_eq!(hash_joined(&parts), hash(&parts.join(".")));
        assert_eq!(hash_joined(&["a", "", "c"]), hash("a..c"));
        assert_eq!(hash_joined(&["only"]), hash("only"));
    }

    #[test]
    fn user_bucket_is_below_1000() {
        for i in 0..200 {
            assert!(user_bucket("salt", &i.to_string()) < 1000);
        }
    }

    #[test]
    fn pass_percentage_edges_do_not_hash() {
        assert!(passes_percentage(100.0, "s", "r", "u"));
        assert!(!passes_percentage(0.0, "s", "r", "u"));
    }

    #[test]
    fn fractional_pass_percentage_compares_in_f64() {
        // 0.56 * 100.0 is 56.00000000000001 in f64, so bucket 56 passes; find an ID whose
        // bucket is 56 and check that the comparison keeps that quirk.
        let id = (0..1_000_000)
            .map(|i| i.to_string())
            .find(|id| hash_joined(&["s", "r", id]) % PASS_BUCKETS == 56)
            .expect("some ID lands in bucket 56");
        assert!(passes_percentage(0.56, "s", "r", &id));
        assert!(!passes_percentage(0.55, "s", "r", &id));
    }

    #[test]
    fn id_list_key_is_base64_prefix() {
        // base64(sha256("abc")) = "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0="
        assert_eq!(&id_list_key("abc"), b"ungWv48B");
        // base64(sha256("")) = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
        assert_eq!(&id_list_key(""), b"47DEQpj8");
    }
}
