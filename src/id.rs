//! Call ids unique across engines, processes and restarts: 48 bits of Unix
//! milliseconds then 80 random bits, as 26 characters of Crockford base32
//! (ULID-like), so ids sort by time and two hosts never collide in practice.
//!
//! The random bits come from a per-thread wyrand generator seeded once from
//! [`RandomState`](std::collections::hash_map::RandomState) (the OS's
//! randomness), so making an id writes no state shared between threads.

use std::cell::Cell;
use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};

use chrono::{DateTime, Utc};

const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

thread_local! {
    static STATE: Cell<u64> = Cell::new(seed());
}

/// 64 bits from the OS's randomness, through a fresh `RandomState`'s keys,
/// mixed with the thread's identity and the time for good measure.
fn seed() -> u64 {
    let mut h = RandomState::new().build_hasher();
    h.write_u64(u64::from(std::process::id()));
    h.write(format!("{:?}", std::thread::current().id()).as_bytes());
    if let Ok(t) = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
        h.write_u128(t.as_nanos());
    }
    h.finish()
}

/// wyrand: one add and one 128-bit multiply a draw.
fn next() -> u64 {
    STATE.with(|s| {
        let x = s.get().wrapping_add(0xa076_1d64_78bd_642f);
        s.set(x);
        let m = u128::from(x) * u128::from(x ^ 0xe703_7ed1_a0b4_28db);
        // Folding the halves of the product; truncation intended.
        ((m >> 64) as u64) ^ (m as u64)
    })
}

/// A fresh id for a call decided at `at` (its time part is `at`'s Unix
/// milliseconds; before 1970 counts as 0).
pub(crate) fn call_id(at: DateTime<Utc>) -> String {
    let ms = u128::try_from(at.timestamp_millis()).unwrap_or(0) & ((1 << 48) - 1);
    let random = (u128::from(next()) << 16) ^ u128::from(next() & 0xffff);
    let value = (ms << 80) | (random & ((1 << 80) - 1));
    let mut s = String::with_capacity(26);
    // 26 base32 digits hold 130 bits: the top digit carries the top 3 bits
    // of 128 (the two above are zero).
    for i in (0..26u32).rev() {
        let digit = ((value >> (i * 5)) & 31) as u8;
        s.push(char::from(
            CROCKFORD.get(usize::from(digit)).copied().unwrap_or(b'0'),
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_26_crockford_chars_time_ordered_and_distinct() {
        let t = crate::timefmt::parse("2026-11-26T15:00:00Z").unwrap();
        let later = t + chrono::Duration::milliseconds(1);
        let a = call_id(t);
        let b = call_id(t);
        let c = call_id(later);
        assert_eq!(a.len(), 26);
        assert!(a.bytes().all(|c| CROCKFORD.contains(&c)));
        assert_ne!(a, b);
        assert_eq!(a[..10], b[..10], "same millisecond, same time part");
        assert!(c > a && c > b, "later ms sorts after");
        // The time part decodes to the milliseconds.
        let ms = a[..10].bytes().fold(0u64, |acc, ch| {
            acc * 32 + CROCKFORD.iter().position(|&x| x == ch).unwrap() as u64
        });
        assert_eq!(ms, t.timestamp_millis() as u64);
        let other = std::thread::spawn(move || call_id(t)).join().unwrap();
        assert_ne!(other, a);
        let many: std::collections::HashSet<String> = (0..10_000).map(|_| call_id(t)).collect();
        assert_eq!(many.len(), 10_000);
    }
}
