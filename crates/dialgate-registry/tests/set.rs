//! The set against a `BTreeSet` model under random builds and change lists.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use dialgate_registry::load::apply_changes;
use dialgate_registry::{Builder, Lookup, Registry};
use proptest::prelude::*;

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 1, d).unwrap()
}

/// A few exchanges of two area codes, so that segments are dense
/// (bitmaps), sparse (arrays) and empty.
const EXCHANGES: [u64; 5] = [212_555, 212_556, 212_999, 305_200, 305_201];

fn number() -> impl Strategy<Value = u64> {
    (0..EXCHANGES.len(), 0u64..10_000, any::<bool>()).prop_map(|(e, l, low)| {
        // Half the lines fall in the first 1,500 so some exchanges pass 624.
        let l = if low { l % 1_500 } else { l };
        EXCHANGES[e] * 10_000 + l
    })
}

fn build(model: &BTreeSet<u64>) -> Registry {
    let mut b = Builder::new(day(1));
    b.cover(212);
    b.cover(305);
    for &n in model {
        b.push(n).unwrap();
    }
    Registry::from_bytes(b.finish()).unwrap()
}

fn agrees(reg: &Registry, model: &BTreeSet<u64>, probes: &[u64]) {
    assert_eq!(reg.len(), model.len() as u64);
    assert!(reg.iter().eq(model.iter().copied()));
    for &n in model.iter().chain(probes) {
        let want = if model.contains(&n) {
            Lookup::Registered
        } else {
            Lookup::NotRegistered
        };
        assert_eq!(reg.lookup(n), want, "{n}");
    }
    // Uncovered area codes are never "not registered".
    assert_eq!(reg.lookup(2_025_550_100), Lookup::NotCovered);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]

    #[test]
    fn builds_and_change_lists_match_the_model(
        initial in proptest::collection::btree_set(number(), 0..3_000),
        changes in proptest::collection::vec((number(), any::<bool>()), 0..2_000),
        probes in proptest::collection::vec(number(), 0..200),
    ) {
        let mut model = initial;
        let reg = build(&model);
        agrees(&reg, &model, &probes);

        // Last action per number wins, as read_changes leaves them.
        let mut last = std::collections::BTreeMap::new();
        for &(n, add) in &changes {
            last.insert(n, add);
        }
        let sorted: Vec<(u64, bool)> = last.into_iter().collect();
        for &(n, add) in &sorted {
            if add { model.insert(n); } else { model.remove(&n); }
        }
        let next = Registry::from_bytes(apply_changes(&reg, &sorted, day(2), &[])).unwrap();
        prop_assert_eq!(next.as_of(), day(2));
        prop_assert_eq!(next.area_codes(), vec![212, 305]);
        agrees(&next, &model, &probes);
        // Applying to a base equals building the result afresh.
        prop_assert_eq!(next.as_bytes().len(), {
            let mut b = Builder::new(day(2));
            b.cover(212);
            b.cover(305);
            for &n in &model { b.push(n).unwrap(); }
            b.finish().len()
        });
    }
}

#[test]
fn the_smaller_encoding_is_chosen() {
    // 624 lines fit an array (1,248 bytes); 625 take the bitmap (1,250).
    for (k, bytes) in [(624u64, 1_248), (625, 1_250), (10_000, 1_250), (1, 2)] {
        let model: BTreeSet<u64> = (0..k).map(|l| 2_125_550_000 + l).collect();
        let reg = build(&model);
        assert_eq!(
            reg.size_bytes(),
            dialgate_registry::format::EMPTY_LEN as u64 + 4 + bytes,
            "{k} lines"
        );
        agrees(&reg, &model, &[2_125_550_000 + k, 2_125_559_999]);
    }
}
