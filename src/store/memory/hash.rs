//! A fast hasher for integer keys (E.164 digits), seeded per table.
//!
//! The number keys of the stores come from the operator's own lists, not
//! from requests, and a request can only look one up, never add one. Still,
//! a tenant may upload a suppression list, so the hash is not fixed: a key
//! is mixed with a random seed (xor, golden-ratio multiply, xor-shift), then
//! multiplied by a random odd number drawn per table. Two multiplies a key,
//! consecutive numbers spread evenly whatever the seed, and no one who does
//! not know the seed can pick numbers that collide.
//! String ids, which requests do carry, are hashed by [`hash_joined`] with
//! foldhash, seeded per process and per table.

use std::hash::{BuildHasher, Hasher, RandomState};

/// The keys of [`hash_joined`]: foldhash's per-table random state.
///
/// Foldhash rather than the standard library's SipHash-1-3: a decision
/// hashes two or three short ids (about 1,000 of its 10,000 instructions
/// went to SipHash), and foldhash takes a tenth of that. Its seeds are random
/// per process and per table, so ids cannot be picked to collide without
/// first learning the seeds from the service's timing; foldhash calls this
/// "minimally DoS-resistant", the trade hashbrown makes by default. Ids are
/// written by authenticated tenants, and a flood of colliding ids would slow
/// one shard of one index, never change a decision.
pub(crate) type IdKeys = foldhash::fast::RandomState;

/// The hash (keys `keys`) of `parts` each followed by 0xff (a byte UTF-8
/// never holds, so the parts cannot run into each other, as `str`'s own
/// `Hash` frames them), then `tail`. Each table hashes keys of one shape
/// (with a tail or without), as foldhash does not frame numbers.
pub(crate) fn hash_joined(keys: &IdKeys, parts: &[&str], tail: Option<u64>) -> u64 {
    let mut h = keys.build_hasher();
    for part in parts {
        h.write(part.as_bytes());
        h.write_u8(0xff);
    }
    if let Some(tail) = tail {
        h.write_u64(tail);
    }
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
    use std::hash::Hash;

    #[test]
    fn joined_keys_are_framed_and_seeded() {
        let keys = IdKeys::default();
        let long = "x".repeat(200);
        for parts in [&["acme", "lead-1"][..], &["", ""], &[&long, "s"]] {
            for tail in [None, Some(17195551234u64)] {
                // The same hash as the standard framing of the same key.
                let mut h = keys.build_hasher();
                for part in parts {
                    part.hash(&mut h);
                }
                if let Some(t) = tail {
                    t.hash(&mut h);
                }
                assert_eq!(hash_joined(&keys, parts, tail), h.finish());
            }
        }
        // Where one part ends matters, and so does the tail. (A table hashes
        // keys of one shape: with a tail or without, never both; foldhash
        // does not tell a tail of 0 from none.)
        let splits = [
            hash_joined(&keys, &["ab", "c"], None),
            hash_joined(&keys, &["a", "bc"], None),
            hash_joined(&keys, &["abc", ""], None),
            hash_joined(&keys, &["", "abc"], None),
        ];
        let tails =
            [1, 2, 1 << 40, 17195551234u64].map(|t| hash_joined(&keys, &["a", "b"], Some(t)));
        let distinct: std::collections::HashSet<u64> = tails.into_iter().collect();
        assert_eq!(distinct.len(), 4, "{tails:x?}");
        let distinct: std::collections::HashSet<u64> = splits.into_iter().collect();
        assert_eq!(distinct.len(), 4, "{splits:x?}");
        assert_ne!(
            hash_joined(&keys, &["acme", "s"], None),
            hash_joined(&IdKeys::default(), &["acme", "s"], None),
            "each table has its own seed"
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
