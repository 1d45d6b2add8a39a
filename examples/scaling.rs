//! How far two cores of this machine scale, for decisions and for work that
//! shares nothing: the ceiling the `make_call/threads_2` ratio is read
//! against (BENCHMARKS.md, "Issue 8").
//!
//! ```text
//! cargo run --release --example scaling -- decide 1 2000000   # one thread
//! cargo run --release --example scaling -- decide 2 2000000   # two threads, one engine
//! cargo run --release --example scaling -- spin 2 2000000000  # arithmetic only
//! cargo run --release --example scaling -- memory 2 50000000  # random reads of 256 MiB
//! cargo run --release --example scaling -- read 2 20000000     # NumberReader::read alone
//! ```
//!
//! With `SCALING_EACH=1` it also prints each thread's time (and the set-up
//! time of `decide`): a thread slower than the others points at a line it
//! shares.
//!
//! `decide K M`: K threads share one engine and its stores, as in
//! `make_call/threads_*` (each thread its own company of 250,000 leads, its
//! own fresh numbers and clock), and each makes and commits M calls. Two
//! processes of `decide 1` started together give the same work with nothing
//! shared at all, not even the allocator. Each prints the decisions a second
//! of all its threads (their work over the slowest thread's time).

use std::cell::Cell;
use std::hint::black_box;
use std::sync::Barrier;
use std::time::Instant;

use chrono::{DateTime, Utc};
use dialgate::{
    Clock, Company, Engine, InMemoryLeadStore, InMemoryScheduleStore, InMemorySuppressionList,
    Lead, MakeCallRequest, Schedule, Suppression, SuppressionMatch, E164,
};

const LEADS: u64 = 250_000;
const SUPPRESSED: u64 = 1_000_000;

thread_local! {
    static NOW: Cell<i64> = const { Cell::new(1_795_791_600_000_000_000) };
}

/// Each thread's own time, 1 ms a reading (as the bench's `ThreadClock`).
#[derive(Debug)]
struct ThreadClock;

impl Clock for ThreadClock {
    fn now(&self) -> DateTime<Utc> {
        let t = NOW.with(|c| {
            let t = c.get() + 1_000_000;
            c.set(t);
            t
        });
        DateTime::from_timestamp_nanos(t)
    }
}

/// A valid US number: area code 719 or 303, exchange 200 to 999.
fn number(i: u64) -> u64 {
    let npa = [719, 303][(i / 8_000_000 % 2) as usize];
    10_000_000_000 + npa * 10_000_000 + (200 + i / 10_000 % 800) * 10_000 + i % 10_000
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (mode, threads, work) = match args.as_slice() {
        [mode, k, m] => match (k.parse::<u64>(), m.parse::<u64>()) {
            (Ok(k @ 1..=8), Ok(m)) => (mode.as_str(), k, m),
            _ => usage(),
        },
        _ => usage(),
    };
    let (done, secs) = match mode {
        "decide" => decide(threads, work),
        "spin" => run(threads, |_| spin(work)),
        "read" => {
            let reader = dialgate::NumberReader::new();
            let texts: Vec<String> = (0..1u64 << 16)
                .map(|i| format!("+{}", number(i * 7919)))
                .collect();
            run(threads, |_| {
                let mut valid = 0;
                for k in 0..work {
                    let text = &texts[(k as usize) & 0xffff];
                    valid += u64::from(reader.read(text, dialgate::Region::US).is_ok());
                }
                valid
            })
        }
        "memory" => {
            let table: Vec<u64> = (0..32u64 << 20).collect();
            run(threads, |t| reads(&table, t, work))
        }
        _ => usage(),
    };
    println!(
        "{mode} threads={threads}: {:.0} K/s ({done} in {secs:.3} s)",
        done as f64 / secs / 1e3
    );
}

fn usage() -> ! {
    eprintln!("usage: scaling decide|spin|memory THREADS(1-8) WORK");
    std::process::exit(2)
}

/// Runs `job` on each thread from one start; (work of all, slowest's secs).
fn run(threads: u64, job: impl Fn(u64) -> u64 + Sync) -> (u64, f64) {
    let barrier = Barrier::new(threads as usize);
    let results: Vec<(u64, f64)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let (barrier, job) = (&barrier, &job);
                s.spawn(move || {
                    barrier.wait();
                    let started = Instant::now();
                    let done = job(t);
                    (done, started.elapsed().as_secs_f64())
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or((0, f64::NAN)))
            .collect()
    });
    if std::env::var_os("SCALING_EACH").is_some() {
        eprintln!(
            "each thread: {:?}",
            results.iter().map(|r| r.1).collect::<Vec<_>>()
        );
    }
    let done = results.iter().map(|r| r.0).sum();
    let secs = results.iter().map(|r| r.1).fold(0.0, f64::max);
    (done, secs)
}

fn spin(work: u64) -> u64 {
    let mut x = black_box(0x9e37_79b9_7f4a_7c15u64);
    for _ in 0..work {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
    }
    black_box(x);
    work
}

fn reads(table: &[u64], t: u64, work: u64) -> u64 {
    let mask = table.len() as u64 - 1;
    let mut sum = 0u64;
    for k in 0..work {
        // Scattered over 256 MiB: nearly every read misses the caches.
        let i = (k ^ t << 40).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 20 & mask;
        sum = sum.wrapping_add(table[i as usize]);
    }
    black_box(sum);
    work
}

fn decide(threads: u64, work: u64) -> (u64, f64) {
    let setup = Instant::now();
    let schedules = InMemoryScheduleStore::new();
    let leads = InMemoryLeadStore::new();
    for t in 0..threads {
        let (company, schedule) = (format!("t{t}"), format!("sch-t{t}"));
        schedules
            .insert(Schedule::dialer(&schedule, &company, &format!("tok-t{t}")))
            .expect("a new schedule");
        for i in 0..LEADS {
            let n = number(t * LEADS + i);
            let lead = Lead::live(
                &format!("t{t}-lead-{i:07}"),
                &company,
                &schedule,
                &format!("+{n}"),
            );
            leads
                .insert_read(lead, E164::from_digits(n))
                .expect("a new lead");
        }
    }
    let suppressions =
        InMemorySuppressionList::from_entries((0..SUPPRESSED).map(|i| Suppression {
            company_id: Some(format!("t{}", i % 2)),
            ..Suppression::everywhere(SuppressionMatch::Number(
                E164::from_digits(number(1_000_000 + i)).expect("a number"),
            ))
        }));
    let engine = Engine::new(&leads, &schedules, &suppressions, ThreadClock);
    let lanes: Vec<(Company, Vec<MakeCallRequest>)> = (0..threads)
        .map(|t| {
            let from = 3_000_000 + t * 50_000_000;
            let requests = (from..from + work)
                .map(|i| {
                    MakeCallRequest::for_schedule(&format!("sch-t{t}"), &format!("+{}", number(i)))
                })
                .collect();
            (
                Company::new(format!("t{t}"), 1_000_000).expect("a limit"),
                requests,
            )
        })
        .collect();
    let (engine, lanes) = (&engine, &lanes);
    if std::env::var_os("SCALING_EACH").is_some() {
        eprintln!("set up in {:.3?}", setup.elapsed());
    }
    let (admitted, secs) = run(threads, |t| {
        let (company, requests) = &lanes[t as usize];
        let mut admitted = 0;
        for request in requests {
            if let Ok(call) = engine.make_call(company, request) {
                black_box(call.commit());
                admitted += 1;
            }
        }
        admitted
    });
    assert_eq!(admitted, threads * work, "every request is admitted");
    (admitted, secs)
}
