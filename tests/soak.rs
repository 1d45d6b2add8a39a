//! Soak: ten million admitted dials of distinct numbers through the engine,
//! the clock moving 1 ms per dial, watching the process's resident memory and
//! the admission state's redial entries.
//!
//! Run by hand, in release:
//! `cargo test --release --test soak -- --ignored --nocapture`
//! (`SOAK_DIALS=1000000` for a shorter run).

use std::sync::Arc;
use std::time::Instant;

use chrono::Duration;
use dialgate::{FakeClock, LocalAdmission, MakeCallRequest, World};

/// Resident set size of this process, in KiB (VmRSS).
fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

/// The i-th of 16 million distinct valid US numbers: two area codes, seven
/// digits from 2000000.
fn number(i: u64) -> String {
    let (area, rest) = if i < 8_000_000 {
        (719, i)
    } else {
        (303, i - 8_000_000)
    };
    format!("+1{area}{}", 2_000_000 + rest)
}

#[test]
#[ignore = "a long soak: run by hand in release"]
fn ten_million_dials_keep_memory_bounded() {
    let dials: u64 = std::env::var("SOAK_DIALS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000_000);
    const WINDOW_S: u64 = 30;
    const STEP_MS: i64 = 1;
    // Dials admitted inside one redial window.
    let per_window = WINDOW_S * 1000 / STEP_MS as u64;
    let world = World::from_json(&format!(
        r#"{{"companies": [{{"id": "soak", "cps_limit": 100000, "redial_window_s": {WINDOW_S}}}],
             "schedules": [{{"id": "s", "company_id": "soak", "lead_token": "t"}}]}}"#
    ))
    .expect("world");
    let company = world.company("soak").expect("company").clone();
    let clock = FakeClock::at("2026-11-26T15:00:00Z").expect("time");
    let admission = Arc::new(LocalAdmission::new());
    let engine = world
        .into_engine(clock.clone())
        .with_admission(admission.clone());

    let started = Instant::now();
    let rss_start = rss_kib();
    println!("soak: {dials} dials, 1 dial per {STEP_MS} ms, redial window {WINDOW_S} s ({per_window} dials)");
    println!(
        "{:>10} {:>9} {:>10} {:>14} {:>9}",
        "dials", "rss_MiB", "redial", "redial/window", "secs"
    );
    println!(
        "{:>10} {:>9.1} {:>10} {:>14.2} {:>9.1}",
        0,
        rss_start as f64 / 1024.0,
        0,
        0.0,
        0.0
    );
    let mut max_entries = 0usize;
    let mut rss_at_2nd_checkpoint = None;
    let checkpoint = (dials / 10).max(1);
    for i in 0..dials {
        let request = MakeCallRequest::for_schedule("s", &number(i));
        let admitted = engine
            .make_call(&company, &request)
            .unwrap_or_else(|r| panic!("dial {i} ({}) refused: {r}", number(i)));
        // The host would store the one-off lead; the soak watches admission.
        drop(admitted.commit());
        clock.advance(Duration::milliseconds(STEP_MS));

        if (i + 1) % 10_000 == 0 {
            let entries = admission.redial_entries();
            max_entries = max_entries.max(entries);
            if i + 1 > per_window {
                assert!(
                    (entries as u64) < 3 * per_window,
                    "after {} dials: {entries} redial entries, over 3x the {per_window} dials of one window",
                    i + 1
                );
            }
        }
        if (i + 1) % checkpoint == 0 {
            let rss = rss_kib();
            if (i + 1) / checkpoint == 2 {
                rss_at_2nd_checkpoint = Some(rss);
            }
            let entries = admission.redial_entries();
            println!(
                "{:>10} {:>9.1} {:>10} {:>14.2} {:>9.1}",
                i + 1,
                rss as f64 / 1024.0,
                entries,
                entries as f64 / per_window as f64,
                started.elapsed().as_secs_f64()
            );
        }
    }
    let rss_end = rss_kib();
    let secs = started.elapsed().as_secs_f64();
    println!(
        "soak: {dials} dials in {secs:.1} s ({:.0} dials/s); max redial entries {max_entries} ({:.2} windows); rss {:.1} -> {:.1} MiB",
        dials as f64 / secs,
        max_entries as f64 / per_window as f64,
        rss_start as f64 / 1024.0,
        rss_end as f64 / 1024.0
    );
    assert_eq!(admission.in_flight(), 0);
    // Past the first checkpoints memory is flat: allow 32 MiB of allocator
    // slack, not a leak of ~100 bytes per dial (~1 GB at ten million).
    if let Some(rss_2) = rss_at_2nd_checkpoint {
        assert!(
            rss_end < rss_2 + 32 * 1024,
            "resident memory grew from {rss_2} KiB to {rss_end} KiB"
        );
    }
}
