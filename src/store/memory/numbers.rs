//! A table from E.164 numbers to a small scope id, one `u64` a slot.
//!
//! E.164 numbers have at most fifteen digits, so they fit in 50 bits
//! (10^15 - 1 < 2^50); the 14 bits left hold a scope id. Slots hold
//! `scope << 50 | number`, and 0 (not a number) marks an empty slot. The
//! slots live in a [`RobinTable`], 8/15 to 4/5 full as it grows (10 to 15
//! bytes an entry at every size), 3/4 full (10.7 bytes) when sized once.

use super::table::{RobinTable, Slot};

/// Bits of a slot that hold the scope.
pub(crate) const SCOPE_BITS: u32 = 14;
/// Bits of a slot that hold the number.
const NUMBER_BITS: u32 = u64::BITS - SCOPE_BITS;
const NUMBER_MASK: u64 = (1 << NUMBER_BITS) - 1;
/// The largest scope id a slot holds.
pub(crate) const MAX_SCOPE: u32 = (1 << SCOPE_BITS) - 1;
/// The scope that says "this number's entries are kept whole elsewhere";
/// the scopes of compact entries are below it.
pub(crate) const SIDE: u32 = MAX_SCOPE;

// Every E.164 number (fifteen digits at most) fits the number bits.
const _: () = assert!(999_999_999_999_999 <= NUMBER_MASK);

/// `scope << 50 | number`.
#[derive(Clone, Copy, Debug, Default)]
struct NumberSlot(u64);

impl Slot for NumberSlot {
    #[inline]
    fn key(self) -> u64 {
        self.0 & NUMBER_MASK
    }
}

impl NumberSlot {
    fn scope(self) -> u32 {
        // 14 bits: always fits.
        (self.0 >> NUMBER_BITS) as u32
    }
}

/// Numbers to scopes; see the module's documentation.
#[derive(Clone, Debug, Default)]
pub(crate) struct NumberTable {
    table: RobinTable<NumberSlot>,
}

impl NumberTable {
    /// How many numbers are stored.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.table.len()
    }

    #[cfg(test)]
    fn capacity(&self) -> usize {
        self.table.capacity()
    }

    /// The scope stored for `number`.
    #[inline]
    pub(crate) fn get(&self, number: u64) -> Option<u32> {
        if number > NUMBER_MASK {
            return None;
        }
        self.table.find(number, |_| true).map(NumberSlot::scope)
    }

    /// Stores `number -> scope` for a number not yet stored. False (and
    /// nothing stored) when the number is 0 or over fifteen digits or the
    /// scope is over [`MAX_SCOPE`].
    pub(crate) fn insert_new(&mut self, number: u64, scope: u32) -> bool {
        if number == 0 || number > NUMBER_MASK || scope > MAX_SCOPE {
            return false;
        }
        self.table
            .insert(NumberSlot(number | (u64::from(scope) << NUMBER_BITS)));
        true
    }

    /// Sets the scope of a stored number; false when it is not stored.
    pub(crate) fn set_scope(&mut self, number: u64, scope: u32) -> bool {
        if number == 0 || number > NUMBER_MASK || scope > MAX_SCOPE {
            return false;
        }
        let slot = NumberSlot(number | (u64::from(scope) << NUMBER_BITS));
        self.table.replace(number, |_| true, slot)
    }

    /// Makes room for `additional` more numbers.
    pub(crate) fn reserve(&mut self, additional: usize) {
        self.table.reserve(additional);
    }

    /// Shrinks to the fewest slots that hold the numbers stored.
    pub(crate) fn shrink_to_fit(&mut self) {
        self.table.shrink_to_fit();
    }

    /// Every stored `(number, scope)`, in no particular order.
    #[cfg(test)]
    pub(crate) fn iter(&self) -> impl Iterator<Item = (u64, u32)> + '_ {
        self.table.iter().map(|s| (s.key(), s.scope()))
    }

    /// The bytes the slots take.
    pub(crate) fn heap_bytes(&self) -> usize {
        self.table.heap_bytes()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use proptest::prelude::*;

    use super::*;

    const MAX_E164: u64 = 999_999_999_999_999;

    #[test]
    fn the_largest_number_and_scope_fit_a_slot() {
        let mut t = NumberTable::default();
        assert!(t.insert_new(MAX_E164, MAX_SCOPE));
        assert!(t.insert_new(1, 0));
        assert_eq!(t.get(MAX_E164), Some(MAX_SCOPE));
        assert_eq!(t.get(1), Some(0));
        assert_eq!(t.get(2), None);
        assert!(!t.insert_new(0, 1), "0 marks an empty slot");
        assert!(!t.insert_new(NUMBER_MASK + 1, 1));
        assert!(!t.insert_new(5, MAX_SCOPE + 1));
        assert_eq!(t.get(0), None);
        assert_eq!(t.len(), 2);
        assert!(t.set_scope(1, SIDE));
        assert_eq!(t.get(1), Some(SIDE));
        assert!(!t.set_scope(2, 0), "not stored");
        assert!(!t.set_scope(1, MAX_SCOPE + 1));
        assert_eq!(t.len(), 2);
    }

    #[test]
    fn an_empty_table_finds_nothing() {
        let t = NumberTable::default();
        assert_eq!(t.get(17_195_551_234), None);
        assert_eq!(t.capacity(), 0);
    }

    #[test]
    fn grows_by_half_and_stays_compact() {
        let mut t = NumberTable::default();
        let base = 17_192_000_000u64;
        for i in 0..100_000u64 {
            assert!(t.insert_new(base + i * 7, (i % 5) as u32));
            let load = t.len() as f64 / t.capacity() as f64;
            assert!(load <= 0.8 + 1e-9, "load {load} at {i}");
            if t.len() > 64 {
                assert!(load >= 0.53, "load {load} at {i}");
            }
        }
        for i in 0..100_000u64 {
            assert_eq!(t.get(base + i * 7), Some((i % 5) as u32), "{i}");
            assert_eq!(t.get(base + i * 7 + 1), None);
        }
        assert!(t.heap_bytes() as f64 / t.len() as f64 <= 15.01);
    }

    #[test]
    fn reserve_then_shrink() {
        let mut t = NumberTable::default();
        t.reserve(10_000);
        let cap = t.capacity();
        assert!(cap >= 10_000 * 4 / 3);
        for n in 1..=10_000u64 {
            assert!(t.insert_new(n * 1_000_003, 1));
        }
        assert_eq!(t.capacity(), cap, "no growth within the reservation");
        let mut small = NumberTable::default();
        small.reserve(1_000_000);
        small.insert_new(42, 3);
        small.shrink_to_fit();
        assert_eq!(small.capacity(), 8);
        assert_eq!(small.get(42), Some(3));
    }

    proptest! {
        #[test]
        fn agrees_with_a_hash_map(
            keys in proptest::collection::vec((1u64..=MAX_E164, 0u32..=MAX_SCOPE), 0..600),
            probes in proptest::collection::vec(1u64..=MAX_E164, 0..100),
            shrink in any::<bool>(),
        ) {
            let mut t = NumberTable::default();
            let mut model = HashMap::new();
            for &(k, s) in &keys {
                if t.get(k).is_none() {
                    prop_assert!(t.insert_new(k, s));
                    model.insert(k, s);
                }
            }
            if shrink {
                t.shrink_to_fit();
            }
            prop_assert_eq!(t.len(), model.len());
            for (&k, &s) in &model {
                prop_assert_eq!(t.get(k), Some(s));
            }
            for &p in &probes {
                prop_assert_eq!(t.get(p), model.get(&p).copied());
            }
            let mut listed: Vec<_> = t.iter().collect();
            listed.sort_unstable();
            let mut expected: Vec<_> = model.into_iter().collect();
            expected.sort_unstable();
            prop_assert_eq!(listed, expected);
        }

        #[test]
        fn clustered_keys_still_found(start in 1u64..1_000_000_000, n in 1usize..2000) {
            // Consecutive numbers: the common shape of a bulk list.
            let mut t = NumberTable::default();
            for i in 0..n as u64 {
                prop_assert!(t.insert_new(start + i, 0));
            }
            for i in 0..n as u64 {
                prop_assert_eq!(t.get(start + i), Some(0));
            }
            prop_assert_eq!(t.get(start + n as u64), None);
        }
    }
}
