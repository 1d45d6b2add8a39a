//! An open-addressing table of small `Copy` slots, for the stores' indexes.
//!
//! Robin Hood linear probing: an insert that meets an entry nearer its home
//! than the one being placed swaps them, so a search stops at the first
//! entry nearer home than itself and a miss costs about what a hit does even
//! 4/5 full. A probe reads consecutive slots, so a lookup in a large table
//! is one cache miss, where a `HashMap` reads a control byte and then a
//! bucket elsewhere. The hash is mapped onto the slots by a multiply (not a
//! mask), so the capacity need not be a power of two: the table grows by
//! half when 4/5 full, and is then 8/15 full; sized for a known count
//! ([`RobinTable::reserve`], [`RobinTable::shrink_to_fit`]) it is 3/4 full.
//!
//! Each slot carries its key (the thing whose hash places it); 0 is no key,
//! an empty slot. Keys may repeat: a search passes every slot with its key
//! to the caller's test until one is accepted.

use std::fmt;

use super::hash::NumberHash;

/// A table slot: [`Slot::key`] places it, and is 0 only for the empty slot.
pub(crate) trait Slot: Copy + Default {
    /// The key of the slot; 0 for an empty one.
    fn key(self) -> u64;
}

/// The table grows past this fill, as a fraction.
const MAX_LOAD: (usize, usize) = (4, 5);
/// The fill of a table sized for a known count.
const FIT_LOAD: (usize, usize) = (3, 4);
/// The smallest capacity allocated.
const MIN_CAPACITY: usize = 8;

/// Slots placed by the hash of their keys; see the module's documentation.
#[derive(Clone, Default)]
pub(crate) struct RobinTable<S> {
    slots: Vec<S>,
    len: usize,
    hash: NumberHash,
}

impl<S> fmt::Debug for RobinTable<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RobinTable")
            .field("len", &self.len)
            .field("capacity", &self.slots.len())
            .finish_non_exhaustive()
    }
}

/// The slots that hold `len` entries at [`FIT_LOAD`].
fn slots_for(len: usize) -> usize {
    (len.saturating_mul(FIT_LOAD.1) / FIT_LOAD.0)
        .saturating_add(1)
        .max(MIN_CAPACITY)
}

impl<S: Slot> RobinTable<S> {
    /// How many slots are filled.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Whether no slot is filled.
    #[cfg(test)]
    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// How many slots are allocated.
    #[cfg(test)]
    pub(crate) fn capacity(&self) -> usize {
        self.slots.len()
    }

    /// The slot where `key`'s probe starts.
    #[inline]
    fn home(&self, key: u64) -> usize {
        let h = u128::from(self.hash.hash_u64(key));
        // `usize` is at most 64 bits, so this widening and the narrowing of
        // a value below `slots.len()` are both exact.
        ((h * self.slots.len() as u128) >> 64) as usize
    }

    /// How far `pos` is past `home`, going round the end.
    #[inline]
    fn distance(&self, pos: usize, home: usize) -> usize {
        if pos >= home {
            pos - home
        } else {
            pos + self.slots.len() - home
        }
    }

    #[inline]
    fn next(&self, pos: usize) -> usize {
        if pos + 1 == self.slots.len() {
            0
        } else {
            pos + 1
        }
    }

    /// The position of the first slot with `key` that `accept` takes.
    #[inline]
    fn position(&self, key: u64, mut accept: impl FnMut(S) -> bool) -> Option<usize> {
        let cap = self.slots.len();
        if cap == 0 || key == 0 {
            return None;
        }
        let mut pos = self.home(key);
        for dist in 0..cap {
            let slot = *self.slots.get(pos)?;
            let here = slot.key();
            if here == 0 {
                return None;
            }
            if here == key && accept(slot) {
                return Some(pos);
            }
            // No slot is nearer its home than 0: the first needs no test.
            if dist > 0 && self.distance(pos, self.home(here)) < dist {
                return None;
            }
            pos = self.next(pos);
        }
        None
    }

    /// The first slot with `key` that `accept` takes.
    #[inline]
    pub(crate) fn find(&self, key: u64, accept: impl FnMut(S) -> bool) -> Option<S> {
        let pos = self.position(key, accept)?;
        self.slots.get(pos).copied()
    }

    /// Calls `visit` with every slot whose key is `key`.
    #[inline]
    pub(crate) fn for_each_with_key(&self, key: u64, mut visit: impl FnMut(S)) {
        let _ = self.position(key, |slot| {
            visit(slot);
            false
        });
    }

    /// Adds a slot (keys may repeat); a slot with key 0 is not added.
    pub(crate) fn insert(&mut self, slot: S) {
        if slot.key() == 0 {
            return;
        }
        self.reserve(1);
        self.place(slot);
        self.len += 1;
    }

    /// Replaces the first slot with `key` that `accept` takes by `with`,
    /// which must have the same key; false when there is none.
    pub(crate) fn replace(&mut self, key: u64, accept: impl FnMut(S) -> bool, with: S) -> bool {
        if with.key() != key {
            return false;
        }
        match self
            .position(key, accept)
            .and_then(|p| self.slots.get_mut(p))
        {
            Some(slot) => {
                *slot = with;
                true
            }
            None => false,
        }
    }

    /// Removes the first slot with `key` that `accept` takes, shifting the
    /// run after it back one place (so no tombstones are left).
    pub(crate) fn remove(&mut self, key: u64, accept: impl FnMut(S) -> bool) -> Option<S> {
        let mut pos = self.position(key, accept)?;
        let removed = *self.slots.get(pos)?;
        for _ in 0..self.slots.len() {
            let next = self.next(pos);
            let moved = match self.slots.get(next) {
                Some(&s) if s.key() != 0 && self.distance(next, self.home(s.key())) > 0 => s,
                _ => S::default(),
            };
            if let Some(slot) = self.slots.get_mut(pos) {
                *slot = moved;
            }
            if moved.key() == 0 {
                break;
            }
            pos = next;
        }
        self.len -= 1;
        Some(removed)
    }

    /// Puts a slot in its place, displacing entries nearer their homes.
    fn place(&mut self, mut slot: S) {
        let mut pos = self.home(slot.key());
        let mut dist = 0;
        // There is an empty slot, so this ends within `len` steps.
        for _ in 0..self.slots.len() {
            let Some(&here) = self.slots.get(pos) else {
                return;
            };
            if here.key() == 0 {
                if let Some(s) = self.slots.get_mut(pos) {
                    *s = slot;
                }
                return;
            }
            let here_dist = self.distance(pos, self.home(here.key()));
            if here_dist < dist {
                if let Some(s) = self.slots.get_mut(pos) {
                    *s = slot;
                }
                slot = here;
                dist = here_dist;
            }
            pos = self.next(pos);
            dist += 1;
        }
    }

    /// Makes room for `additional` more slots: to 3/4 full when asked for
    /// more than half as much again, else by half.
    pub(crate) fn reserve(&mut self, additional: usize) {
        let needed = self.len.saturating_add(additional);
        if needed.saturating_mul(MAX_LOAD.1) < self.slots.len().saturating_mul(MAX_LOAD.0) {
            return;
        }
        let grown = self.slots.len().saturating_add(self.slots.len() / 2);
        self.rehash(slots_for(needed).max(grown));
    }

    /// Shrinks to the fewest slots that hold what is stored.
    pub(crate) fn shrink_to_fit(&mut self) {
        let fit = slots_for(self.len);
        if fit < self.slots.len() {
            self.rehash(fit);
        }
    }

    fn rehash(&mut self, capacity: usize) {
        let old = std::mem::replace(&mut self.slots, vec![S::default(); capacity]);
        for slot in old.into_iter().filter(|s| s.key() != 0) {
            self.place(slot);
        }
    }

    /// Keeps the slots `keep` takes, in a table of the same capacity.
    pub(crate) fn retain(&mut self, mut keep: impl FnMut(S) -> bool) {
        let kept: Vec<S> = self
            .slots
            .iter()
            .copied()
            .filter(|s| s.key() != 0 && keep(*s))
            .collect();
        if kept.len() == self.len {
            return;
        }
        self.len = kept.len();
        self.slots.fill(S::default());
        for slot in kept {
            self.place(slot);
        }
    }

    /// Every filled slot, in no particular order.
    #[cfg(test)]
    pub(crate) fn iter(&self) -> impl Iterator<Item = S> + '_ {
        self.slots.iter().copied().filter(|s| s.key() != 0)
    }

    /// The bytes the slots take.
    pub(crate) fn heap_bytes(&self) -> usize {
        self.slots.capacity() * std::mem::size_of::<S>()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use proptest::prelude::*;

    use super::*;

    /// A key and a value, the value telling repeats of a key apart.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
    struct Pair(u64, u32);

    impl Slot for Pair {
        fn key(self) -> u64 {
            self.0
        }
    }

    #[test]
    fn grows_by_half_and_stays_between_eight_fifteenths_and_four_fifths_full() {
        let mut t = RobinTable::default();
        for i in 1..=100_000u64 {
            t.insert(Pair(i * 7, (i % 5) as u32));
            let load = t.len() as f64 / t.capacity() as f64;
            assert!(load <= 0.8 + 1e-9, "load {load} at {i}");
            if t.len() > 64 {
                assert!(load >= 0.53, "load {load} at {i}");
            }
        }
        for i in 1..=100_000u64 {
            assert_eq!(t.find(i * 7, |_| true), Some(Pair(i * 7, (i % 5) as u32)));
            assert_eq!(t.find(i * 7 + 1, |_| true), None);
        }
    }

    #[test]
    fn repeated_keys_are_all_reachable_and_removable() {
        let mut t = RobinTable::default();
        for v in 0..50 {
            t.insert(Pair(42, v));
            t.insert(Pair(43 + u64::from(v), v));
        }
        for v in 0..50 {
            assert_eq!(t.find(42, |p| p.1 == v), Some(Pair(42, v)));
        }
        assert!(t.replace(42, |p| p.1 == 7, Pair(42, 700)));
        assert!(!t.replace(42, |p| p.1 == 7, Pair(42, 701)));
        assert!(
            !t.replace(42, |p| p.1 == 700, Pair(41, 1)),
            "a key stays put"
        );
        assert_eq!(t.remove(42, |p| p.1 == 700), Some(Pair(42, 700)));
        assert_eq!(t.find(42, |p| p.1 == 700), None);
        for v in (0..50).filter(|&v| v != 7) {
            assert_eq!(t.remove(42, |p| p.1 == v), Some(Pair(42, v)));
        }
        assert_eq!(t.find(42, |_| true), None);
        assert_eq!(t.len(), 50);
        for v in 0..50 {
            assert_eq!(
                t.find(43 + u64::from(v), |_| true),
                Some(Pair(43 + u64::from(v), v))
            );
        }
    }

    #[test]
    fn empty_and_zero_keys() {
        let mut t: RobinTable<Pair> = RobinTable::default();
        assert_eq!(t.find(1, |_| true), None);
        assert_eq!(t.remove(1, |_| true), None);
        t.insert(Pair(0, 1));
        assert!(t.is_empty(), "key 0 marks an empty slot");
        assert_eq!(t.find(0, |_| true), None);
    }

    proptest! {
        /// Inserts and removals against a map of key -> values.
        #[test]
        fn agrees_with_a_multimap(
            ops in proptest::collection::vec((any::<bool>(), 1u64..60, 0u32..4), 0..400),
            shrink_at in 0usize..400,
        ) {
            let mut t = RobinTable::default();
            let mut model: HashMap<u64, Vec<u32>> = HashMap::new();
            for (n, (add, key, value)) in ops.into_iter().enumerate() {
                if add {
                    t.insert(Pair(key, value));
                    model.entry(key).or_default().push(value);
                } else {
                    let got = t.remove(key, |p| p.1 == value);
                    let values = model.entry(key).or_default();
                    let had = values.iter().position(|&v| v == value).map(|i| values.remove(i));
                    prop_assert_eq!(got.map(|p| p.1), had);
                }
                if n == shrink_at {
                    t.shrink_to_fit();
                }
                prop_assert_eq!(t.len(), model.values().map(Vec::len).sum::<usize>());
                for key in 1..60 {
                    for value in 0..4 {
                        let has = model.get(&key).is_some_and(|vs| vs.contains(&value));
                        prop_assert_eq!(t.find(key, |p| p.1 == value).is_some(), has);
                    }
                }
            }
            let mut listed: Vec<Pair> = t.iter().collect();
            listed.sort_unstable();
            let mut expected: Vec<Pair> = model
                .into_iter()
                .flat_map(|(k, vs)| vs.into_iter().map(move |v| Pair(k, v)))
                .collect();
            expected.sort_unstable();
            prop_assert_eq!(listed, expected);
        }
    }
}
