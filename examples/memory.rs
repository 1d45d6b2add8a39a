//! Bytes per suppression entry and per lead in the in-memory stores, from
//! the process's resident set (`VmRSS`) before and after building one store.
//!
//! ```text
//! cargo run --release --example memory -- STORE [COUNT]
//! ```
//!
//! STORE is one of `suppressions` (built with `from_entries`),
//! `suppressions-insert` (one `insert` at a time), `suppressions-mixed`
//! (the benchmarks' mix: 1% of entries expiring), `leads`, `leads-data`
//! (leads with two data keys, a first name and a state), and the stores as
//! they were before (`before-suppressions`, `before-leads`); COUNT defaults
//! to 10,000,000. One store a run, so the figures do not mix.

use std::time::Instant;

use chrono::DateTime;
use dialgate::{
    InMemoryLeadStore, InMemorySuppressionList, Lead, Suppression, SuppressionList,
    SuppressionMatch, E164,
};

#[path = "../benches/support/before.rs"]
mod before;

/// Kilobytes resident, from /proc/self/status.
fn rss_kb() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// The `i`-th of 120M valid US numbers (as in `benches/decide.rs`).
fn number(i: u64) -> E164 {
    const NPAS: [u64; 15] = [
        719, 303, 720, 212, 415, 312, 617, 206, 512, 404, 305, 602, 214, 702, 503,
    ];
    let i = i % (15 * 800 * 10_000);
    let digits = 10_000_000_000
        + NPAS[(i / 8_000_000) as usize] * 10_000_000
        + (200 + (i / 10_000) % 800) * 10_000
        + i % 10_000;
    E164::from_digits(digits).expect("an E.164 number")
}

/// 100 companies; per hundred entries 70 for one company, 20 for every
/// company, 10 for one schedule of one company; `expiring` of them (per
/// hundred) expire.
fn entry(i: u64, expiring: u64) -> Suppression {
    let company = format!("company-{:03}", i % 100);
    let (company_id, schedule_id) = match (i / 100) % 10 {
        0..=6 => (Some(company), None),
        7 | 8 => (None, None),
        _ => (Some(company), Some(format!("sch-{}", i % 7))),
    };
    Suppression {
        matcher: SuppressionMatch::Number(number(i)),
        company_id,
        schedule_id,
        expires_at: ((i / 1000) % 100 < expiring)
            .then(|| DateTime::from_timestamp(4_000_000_000, 0))
            .flatten(),
    }
}

/// A live lead as a CRM export has it: 12-character id and number.
fn lead(i: u64) -> (Lead, E164) {
    let n = number(i);
    let lead = Lead::live(
        &format!("lead-{i:07}"),
        &format!("company-{:02}", i % 10),
        "sch-solar",
        &n.to_string(),
    );
    (lead, n)
}

/// Two data keys, as a CRM export has them: a first name and a state.
fn first_name_and_state(i: u64) -> dialgate::Data {
    const NAMES: [&str; 4] = ["Ann", "Bob", "Carmen", "Dmitri"];
    const STATES: [&str; 4] = ["CO", "FL", "TX", "NY"];
    [
        ("first_name", NAMES[(i % 4) as usize]),
        ("state", STATES[(i / 4 % 4) as usize]),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), dialgate::Scalar::String(v.to_owned())))
    .collect()
}

fn main() {
    let mut args = std::env::args().skip(1);
    let store = args.next().unwrap_or_else(|| "suppressions".into());
    let count: u64 = args
        .next()
        .and_then(|c| c.replace('_', "").parse().ok())
        .unwrap_or(10_000_000);
    let before_kb = rss_kb();
    let started = Instant::now();
    let probe = number(count / 2);
    let (kept, extra): (Box<dyn std::any::Any>, String) = match store.as_str() {
        "suppressions" | "suppressions-mixed" => {
            let expiring = if store == "suppressions" { 0 } else { 1 };
            let list =
                InMemorySuppressionList::from_entries((0..count).map(|i| entry(i, expiring)));
            assert!(list
                .find(probe, "company-000", &["sch-0"], chrono::Utc::now())
                .is_ok_and(|hit| hit.is_some()));
            let heap = format!(
                "heap_bytes(): {:.2} bytes an entry",
                list.heap_bytes() as f64 / count as f64
            );
            (Box::new(list), heap)
        }
        "suppressions-insert" => {
            let list = InMemorySuppressionList::new();
            for i in 0..count {
                list.insert(entry(i, 0));
            }
            let heap = format!(
                "heap_bytes(): {:.2} bytes an entry",
                list.heap_bytes() as f64 / count as f64
            );
            (Box::new(list), heap)
        }
        "before-suppressions" => {
            let mut list = before::Suppressions::default();
            for i in 0..count {
                list.insert(entry(i, 0));
            }
            (Box::new(list), String::new())
        }
        "leads" | "leads-data" => {
            let leads = InMemoryLeadStore::new();
            for i in 0..count {
                let (mut lead, n) = lead(i);
                if store == "leads-data" {
                    lead.data = first_name_and_state(i);
                }
                leads.insert_read(lead, Some(n)).expect("a new lead");
            }
            (Box::new(leads), String::new())
        }
        "before-leads" => {
            let mut leads = before::Leads::default();
            for i in 0..count {
                let (lead, n) = lead(i);
                leads.insert_read(lead, Some(n));
            }
            (Box::new(leads), String::new())
        }
        other => {
            eprintln!("unknown store `{other}`");
            std::process::exit(2);
        }
    };
    let after_kb = rss_kb();
    let bytes = (after_kb.saturating_sub(before_kb)) * 1024;
    println!(
        "{store}: {count} entries, RSS {:.1} MiB -> {:.1} MiB: {:.2} bytes an entry ({:.1?} to build) {extra}",
        before_kb as f64 / 1024.0,
        after_kb as f64 / 1024.0,
        bytes as f64 / count as f64,
        started.elapsed(),
    );
    drop(kept);
}
