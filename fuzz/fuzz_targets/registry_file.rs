//! A valid registry image, built from fuzzed numbers, then edited at fuzzed
//! offsets (resealed or not) and opened: it must be refused with one line,
//! or answer every lookup consistently with its own contents.
#![no_main]

use arbitrary::Arbitrary;
use dialgate_registry::format::{reseal, HEADER_LEN, LIVE_LEN};
use dialgate_registry::{Builder, Lookup, Registry};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Input {
    /// Lines in exchange 212-555 (dense ones make a bitmap).
    lines: Vec<u16>,
    /// Lines in exchange 305-201.
    sparse: Vec<u16>,
    /// (where, xor): where is read relative to a region picked by its top bits
    /// (the image ends with the live bitmap and 3 offsets when both exchanges hold numbers).
    edits: Vec<(u32, u8)>,
    reseal: bool,
}

fuzz_target!(|input: Input| {
    let mut b = Builder::new(chrono::NaiveDate::from_ymd_opt(2026, 1, 5).expect("a date"));
    b.cover(212);
    let mut lines: Vec<u64> = input
        .lines
        .iter()
        .map(|&l| 2_125_550_000 + u64::from(l % 10_000))
        .collect();
    lines.extend(
        input
            .sparse
            .iter()
            .map(|&l| 3_052_010_000 + u64::from(l % 10_000)),
    );
    lines.sort_unstable();
    for n in &lines {
        b.push(*n).expect("ascending");
    }
    let mut image = b.finish();
    let len = image.len();
    for &(at, x) in &input.edits {
        // Aim most edits at the header and the live table rows and data.
        let at = at as usize;
        let pos = match at >> 30 {
            0 => at % HEADER_LEN,
            // The live bitmap's words of both exchanges, and the offsets.
            1 => len - LIVE_LEN - 12 + [212_555 / 8, 305_201 / 8][at % 2] + at % 16,
            2 => len - 12 + at % 12,
            _ => HEADER_LEN + at % (len - HEADER_LEN).max(1),
        };
        if let Some(byte) = image.get_mut(pos.min(len - 1)) {
            *byte ^= x;
        }
    }
    let edited = !input.edits.iter().all(|&(_, x)| x == 0);
    if input.reseal {
        reseal(&mut image);
    }
    match Registry::from_bytes(image) {
        Err(e) => {
            let m = e.to_string();
            assert!(
                m.starts_with("registry file `<memory>`: ") && !m.contains('\n'),
                "{m}"
            );
        }
        Ok(reg) => {
            if !edited {
                lines.dedup();
                assert_eq!(reg.len(), lines.len() as u64);
            }
            // Whatever it holds, lookups agree with iteration and never panic.
            let held: Vec<u64> = reg.iter().collect();
            assert_eq!(held.len() as u64, reg.len());
            for &n in &held {
                let want = if reg.covers((n / 10_000_000) as u16) {
                    Lookup::Registered
                } else {
                    Lookup::NotCovered
                };
                assert_eq!(reg.lookup(n), want);
            }
            for &n in &lines {
                let _ = reg.lookup(n);
                let _ = reg.lookup(n + 1);
            }
        }
    }
});
