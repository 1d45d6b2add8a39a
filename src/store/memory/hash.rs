//! A fast hasher for integer keys (E.164 digits), seeded per table.
//!
//! The number keys of the stores come from the operator's own lists, not
//! from requests, and a request can only look one up, never add one. Still,
//! a tenant may upload a suppression list, so the hash is not fixed: a key
//! is mixed with a random seed (xor, golden-ratio multiply, xor-shift), then
//! multiplied by a random odd number drawn per table. Two multiplies a key,
//! consecutive numbers spread evenly whatever the seed, and no one who does
//! not know the seed can pick numbers that collide.
//! String ids, which requests do carry, stay with the standard library's
//! SipHash.

use std::hash::{BuildHasher, Hasher, RandomState};

/// Bytes of key hashed from the stack in one `write`.
const JOINED: usize = 128;

/// The SipHash (keys `keys`) of `parts` each followed by 0xff (a byte
/// UTF-8 never holds, so the parts cannot run into each other), then the
/// bytes of `tail`. SipHash is a stream, so this is the hash of separate
/// writes; but each `write` call pays SipHash's tail handling, so short
/// keys are joined on the stack and written once (about half the cost of
/// five calls for a live index key).
pub(crate) fn hash_joined(keys: &RandomState, parts: &[&str], tail: Option<u64>) -> u64 {
    let mut h = keys.build_hasher();
    let mut buf = [0u8; JOINED];
    let mut at = 0;
    for part in parts {
        let end = at + part.len() + 1;
        match buf.get_mut(at..end) {
            Some(dst) => {
                let (text, sep) = dst.split_at_mut(part.len());
                text.copy_from_slice(part.as_bytes());
                sep.fill(0xff);
                at = end;
            }
            None => {
                // Too long for the buffer: what is in it, then the rest.
                h.write(buf.get(..at).unwrap_or_default());
                at = 0;
                h.write(part.as_bytes());
                h.write_u8(0xff);
            }
        }
    }
    if let Some(tail) = tail {
        match buf.get_mut(at..at + 8) {
            Some(dst) => {
                dst.copy_from_slice(&tail.to_ne_bytes());
                at += 8;
            }
            None => {
                h.write(buf.get(..at).unwrap_or_default());
                at = 0;
                h.write(&tail.to_ne_bytes());
            }
        }
    }
    h.write(buf.get(..at).unwrap_or_default());
    h.finish()
}

/// The builder of [`NumberHasher`]s: a random odd multiplier.
#[derive(Clone, Copy, Debug)]
pub(crate) struct NumberHash {
    seed: u64,
    mul: u64,
}

/// 2^64 / golden ratio, odd: Fibonacci hashing's multiplier.
const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;

impl NumberHash {
    /// A hash with a fresh random multiplier.
    pub(crate) fn new() -> Self {
        // Each RandomState has its own random keys; one hash of a constant
        // turns them into a random 64-bit word.
        let random = RandomState::new();
        NumberHash {
            seed: random.hash_one(GOLDEN),
            mul: random.hash_one(!GOLDEN) | 1,
        }
    }

    /// The hash of one integer, whose high bits are the well-mixed ones.
    #[inline]
    pub(crate) fn hash_u64(self, x: u64) -> u64 {
        let y = (x ^ self.seed).wrapping_mul(GOLDEN);
        (y ^ (y >> 32)).wrapping_mul(self.mul)
    }
}

impl Default for NumberHash {
    fn default() -> Self {
        Self::new()
    }
}

impl BuildHasher for NumberHash {
    type Hasher = NumberHasher;

    fn build_hasher(&self) -> NumberHasher {
        NumberHasher {
            state: 0,
            hash: *self,
        }
    }
}

/// Folds words in as `state = (state.rotl(5) ^ word) * golden` (the
/// `FxHasher` step); `finish` hashes the state as [`NumberHash::hash_u64`]
/// does and folds the high half, where the multiply leaves its entropy, onto
/// the low half that hashbrown indexes by.
#[derive(Clone, Copy, Debug)]
pub(crate) struct NumberHasher {
    state: u64,
    hash: NumberHash,
}

impl Hasher for NumberHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            for (w, b) in word.iter_mut().zip(chunk) {
                *w = *b;
            }
            self.write_u64(u64::from_le_bytes(word));
        }
    }

    #[inline]
    fn write_u64(&mut self, x: u64) {
        self.state = (self.state.rotate_left(5) ^ x).wrapping_mul(GOLDEN);
    }

    #[inline]
    fn write_u32(&mut self, x: u32) {
        self.write_u64(u64::from(x));
    }

    #[inline]
    fn finish(&self) -> u64 {
        let h = self.hash.hash_u64(self.state);
        h ^ (h >> 32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joined_keys_hash_as_separate_writes() {
        let keys = RandomState::new();
        let long = "x".repeat(200);
        for parts in [
            &["acme", "lead-1"][..],
            &["", ""],
            &[&long, "s"],
            &["acme", &long],
            &["a"; 40],
        ] {
            for tail in [None, Some(17195551234u64)] {
                let mut h = keys.build_hasher();
                for part in parts {
                    h.write(part.as_bytes());
                    h.write_u8(0xff);
                }
                if let Some(t) = tail {
                    h.write(&t.to_ne_bytes());
                }
                assert_eq!(
                    hash_joined(&keys, parts, tail),
                    h.finish(),
                    "{parts:?} {tail:?}"
                );
            }
        }
        assert_ne!(
            hash_joined(&keys, &["ab", "c"], None),
            hash_joined(&keys, &["a", "bc"], None)
        );
    }

    #[test]
    fn tables_get_different_multipliers() {
        let (a, b) = (NumberHash::new(), NumberHash::new());
        assert_ne!((a.seed, a.mul), (b.seed, b.mul));
        assert_eq!(a.mul & 1, 1);
        assert_eq!(b.mul & 1, 1);
    }

    #[test]
    fn nearby_numbers_spread_over_the_high_bits() {
        for _ in 0..200 {
            let h = NumberHash::new();
            for stride in [1, 10, 10_000] {
                let tops: std::collections::HashSet<u64> = (0..1024u64)
                    .map(|i| h.hash_u64(17_192_000_000 + i * stride) >> 54)
                    .collect();
                // 1024 keys into 1024 buckets: a random function fills 647.
                assert!(tops.len() > 560, "{} distinct buckets", tops.len());
            }
        }
        let h = NumberHash::new();
        let b = h.hash_one(17_192_000_000u64);
        assert_eq!(b, h.hash_one(17_192_000_000u64));
        assert_ne!(b, h.hash_one(17_192_000_001u64));
    }
}
