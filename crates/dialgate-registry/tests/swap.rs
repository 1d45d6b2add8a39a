//! Swapping versions under concurrent lookups, and the coverage and
//! staleness answers.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use chrono::{NaiveDate, TimeZone, Utc};
use dialgate_registry::{
    write_atomic, Builder, LiveRegistry, Lookup, Refusal, Registry, RegistryList,
};

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 1, d).unwrap()
}

/// Version `v` holds lines `v*100 .. v*100+100` of exchange 212-555 and
/// always holds 212-555-9999.
fn version(v: u64) -> Registry {
    let mut b = Builder::new(day(1 + (v % 28) as u32));
    b.cover(212);
    for l in v * 100..v * 100 + 100 {
        b.push(2_125_550_000 + l).unwrap();
    }
    b.push(2_125_559_999).unwrap();
    Registry::from_bytes(b.finish()).unwrap()
}

#[test]
fn readers_see_whole_versions_while_swaps_run() {
    let live = Arc::new(LiveRegistry::new(version(0)));
    let stop = Arc::new(AtomicBool::new(false));
    let lookups = Arc::new(AtomicU64::new(0));
    let readers: Vec<_> = (0..3)
        .map(|_| {
            let (live, stop, lookups) = (live.clone(), stop.clone(), lookups.clone());
            std::thread::spawn(move || {
                let mut seen = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    live.with(|r| {
                        // One snapshot is one version: its as-of date names it and
                        // exactly its 100 lines are held.
                        assert_eq!(r.lookup(2_125_559_999), Lookup::Registered);
                        let v = (0..50u64)
                            .find(|&v| r.lookup(2_125_550_000 + v * 100) == Lookup::Registered)
                            .expect("a version");
                        assert_eq!(r.as_of(), day(1 + (v % 28) as u32));
                        assert_eq!(r.lookup(2_125_550_000 + v * 100 + 99), Lookup::Registered);
                        assert_eq!(
                            r.lookup(2_125_550_000 + v * 100 + 100),
                            Lookup::NotRegistered
                        );
                        assert!(v >= seen, "went back from version {seen} to {v}");
                        seen = v;
                    });
                    lookups.fetch_add(1, Ordering::Relaxed);
                }
                seen
            })
        })
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("list.dnc");
    for v in 1..50 {
        // Through the file, as an operator's reload would.
        write_atomic(&path, version(v).as_bytes()).unwrap();
        live.reload(&path).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    // A bad file leaves the last good version in place. (Written by rename
    // too: truncating a mapped file in place would fault its readers.)
    write_atomic(&path, b"broken").unwrap();
    assert!(live.reload(&path).is_err());
    std::thread::sleep(std::time::Duration::from_millis(20));
    stop.store(true, Ordering::Relaxed);
    for r in readers {
        assert_eq!(r.join().unwrap(), 49);
    }
    assert!(lookups.load(Ordering::Relaxed) > 50);
    assert_eq!(live.snapshot().as_of(), day(1 + 49 % 28));
}

#[test]
fn an_old_snapshot_outlives_its_file_being_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("list.dnc");
    write_atomic(&path, version(1).as_bytes()).unwrap();
    let live = LiveRegistry::open(&path).unwrap();
    let old = live.snapshot();
    write_atomic(&path, version(2).as_bytes()).unwrap();
    live.reload(&path).unwrap();
    assert_eq!(old.lookup(2_125_550_100), Lookup::Registered);
    assert_eq!(live.lookup(2_125_550_100), Lookup::NotRegistered);
    assert_eq!(live.lookup(2_125_550_200), Lookup::Registered);
}

#[test]
fn coverage_and_staleness_fail_closed() {
    let reg = version(0); // as of 2026-01-01, covers 212 only
    let at = |d, h, m, s| Utc.with_ymd_and_hms(2026, 1, d, h, m, s).unwrap();
    let feb1 = Utc.with_ymd_and_hms(2026, 2, 1, 0, 0, 0).unwrap();
    assert_eq!(
        reg.check(2_125_550_001, at(10, 12, 0, 0), 31),
        Err(Refusal::Registered)
    );
    assert_eq!(reg.check(2_125_551_000, at(10, 12, 0, 0), 31), Ok(()));
    assert_eq!(
        reg.check(3_055_551_000, at(10, 12, 0, 0), 31),
        Err(Refusal::NotCovered { area_code: 305 })
    );
    // 31 days after 00:00 UTC on the as-of date is the last fresh instant.
    assert_eq!(reg.check(2_125_551_000, feb1, 31), Ok(()));
    let stale = reg.check(2_125_551_000, feb1 + chrono::TimeDelta::nanoseconds(1), 31);
    assert_eq!(
        stale,
        Err(Refusal::Stale {
            as_of: day(1),
            max_age_days: 31
        })
    );
    assert_eq!(
        stale.unwrap_err().to_string(),
        "the list is stale: as of 2026-01-01, more than 31 days old"
    );
    assert_eq!(
        reg.check(2_125_551_000, at(3, 0, 0, 0), 1),
        Err(Refusal::Stale {
            as_of: day(1),
            max_age_days: 1
        })
    );
    // Not 10 digits, or area codes 0xx/1xx: never "not registered".
    for n in [0, 1_235_550_100, 12_125_551_000, u64::MAX] {
        assert_eq!(reg.lookup(n), Lookup::NotCovered, "{n}");
    }
}

#[test]
fn a_world_entry_applies_to_its_companies() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("tx.dnc");
    write_atomic(&file, version(0).as_bytes()).unwrap();
    let list = RegistryList::open("texas", &file, Some(vec!["acme".into()]), Some(40)).unwrap();
    let at = Utc.with_ymd_and_hms(2026, 2, 5, 12, 0, 0).unwrap(); // 35 days on
    assert_eq!(list.check("acme", 12_125_551_000, at), Ok(()));
    assert_eq!(list.check("globex", 12_125_550_001, at), Ok(()));
    let refused = list.check("acme", 12_125_550_001, at).unwrap_err();
    assert_eq!(
        refused.to_string(),
        "registry list `texas`: the number is registered"
    );
    let refused = list.check("acme", 13_055_550_001, at).unwrap_err();
    assert_eq!(
        refused.to_string(),
        "registry list `texas`: the list does not cover area code 305"
    );
    let every = RegistryList::open("federal", &file, None, None).unwrap();
    assert_eq!(every.max_age_days, 31);
    assert!(matches!(
        every
            .check("globex", 12_125_551_000, at)
            .unwrap_err()
            .refusal,
        Refusal::Stale { .. }
    ));
    // Outside the NANP the lists do not apply.
    assert_eq!(every.check("globex", 442_071_234_567, at), Ok(()));
}
