//! The (company, schedule) pairs the lead store interns: a scope number is
//! an index into an append-only list that readers use without a lock.
//!
//! Every lookup of a lead reads its scope's names, so the list is read far
//! more often than it grows (once per new company or schedule). Entries
//! never move or change once written: chunk `k` holds `2^k` slots,
//! allocated when the list first reaches it, and each slot is written once
//! ([`OnceLock`]). A read is two acquire loads, with nothing written that
//! other threads read (an `ArcSwap` snapshot, which this replaced, cost a
//! per-thread debt slot and about 100 instructions a load). Writers append
//! under the store's interning mutex, before any lead of the new scope is
//! published, so a reader that meets a scope number finds its names.

use std::sync::OnceLock;

/// Chunks: `2^32 - 1` slots in all, every `u32` scope number but the last.
const CHUNKS: usize = 32;

/// A scope's company id and schedule id.
pub(super) type Scope = (Box<str>, Box<str>);

/// The interned scopes (see the module's notes).
#[derive(Debug)]
pub(super) struct ScopeList {
    chunks: [OnceLock<Box<[OnceLock<Scope>]>>; CHUNKS],
}

impl Default for ScopeList {
    fn default() -> Self {
        ScopeList {
            chunks: std::array::from_fn(|_| OnceLock::new()),
        }
    }
}

/// The chunk of scope number `n`, and its slot in the chunk.
fn place(n: u32) -> (usize, usize) {
    let m = u64::from(n) + 1;
    let chunk = 63 - m.leading_zeros() as usize;
    (chunk, (m - (1 << chunk)) as usize)
}

impl ScopeList {
    /// The scope numbered `n`, if written.
    #[inline]
    pub(super) fn get(&self, n: u32) -> Option<&Scope> {
        let (chunk, slot) = place(n);
        self.chunks.get(chunk)?.get()?.get(slot)?.get()
    }

    /// Writes scope number `n` (the next one: the caller, holding the
    /// interning lock, numbers them). `false` if `n` is out of range or
    /// already written.
    pub(super) fn set(&self, n: u32, scope: Scope) -> bool {
        let (k, slot) = place(n);
        let Some(chunk) = self.chunks.get(k) else {
            return false;
        };
        let slots = chunk.get_or_init(|| (0..1usize << k).map(|_| OnceLock::new()).collect());
        slots.get(slot).is_some_and(|s| s.set(scope).is_ok())
    }

    /// Heap bytes held.
    pub(super) fn heap_bytes(&self) -> usize {
        self.chunks
            .iter()
            .filter_map(OnceLock::get)
            .flat_map(|slots| {
                let names = slots
                    .iter()
                    .filter_map(OnceLock::get)
                    .map(|(c, s)| c.len() + s.len());
                std::iter::once(slots.len() * std::mem::size_of::<OnceLock<Scope>>()).chain(names)
            })
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn places_fill_each_chunk_in_turn() {
        assert_eq!(place(0), (0, 0));
        assert_eq!(place(1), (1, 0));
        assert_eq!(place(2), (1, 1));
        assert_eq!(place(3), (2, 0));
        assert_eq!(place(6), (2, 3));
        assert_eq!(place(7), (3, 0));
        assert_eq!(place(u32::MAX - 1), (31, (1 << 31) - 1));
        assert_eq!(place(u32::MAX).0, 32, "past the last chunk");
    }

    #[test]
    fn scopes_read_back_as_written() {
        let list = ScopeList::default();
        for n in 0..300u32 {
            assert!(list.get(n).is_none());
            assert!(list.set(n, (format!("c{n}").into(), format!("s{n}").into())));
            assert!(!list.set(n, ("x".into(), "y".into())), "written once");
        }
        for n in 0..300u32 {
            assert_eq!(
                list.get(n).map(|(c, s)| (&**c, &**s)),
                Some((&*format!("c{n}"), &*format!("s{n}")))
            );
        }
        assert!(list.get(300).is_none());
        assert!(list.get(u32::MAX).is_none());
        assert!(!list.set(u32::MAX, ("x".into(), "y".into())));
    }
}
