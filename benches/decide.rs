//! What one decision costs, over stores of a million leads and a million
//! suppression entries.
//!
//! - `decide/*`: [`Engine::dry_run`], the pure pipeline (steps 1 to 7), one
//!   benchmark a path: `lead_id`, `reuse` (a live lead's number on its
//!   schedule), `one_off` (a new number), `router` (a router's condition
//!   sends it on) and `suppressed` (refused at step 7).
//! - `make_call/one_off`: [`Engine::make_call`] and commit, a fresh number
//!   each time, the fake clock moved on outside the timed part.
//! - `make_call/threads_1`, `make_call/threads_2`: the same from one and two
//!   threads at once, each on its own company (250,000 leads each) with its
//!   own numbers and a clock of its own; one iteration is one decision on
//!   every thread, so the throughput is the total.
//! - `make_call/threads_2_with_writer`: `threads_2` while a third thread
//!   changes the live stores through `&self`, 10,000 changes a second (a
//!   lead of the deciding companies, then a suppression entry, in turn, on
//!   numbers the deciders do not dial), as a host's API would.
//! - `make_call/threads_2_with_waker`: the control for the writer: a third
//!   thread that wakes and sleeps as the writer does but changes nothing.
//!   The writer and the waker wake every 100 µs; `DIALGATE_WRITER_EVERY_US`
//!   sets another period (the writer catches up on the changes due, so the
//!   rate stays 10,000 a second), to tell the cost of the changes from the
//!   cost of a third thread waking.
//! - `make_call/threads_1_with_writer`, `make_call/threads_1_with_waker`: the
//!   same writer and waker beside one deciding thread, so on two cores the
//!   third thread has a core to itself: what the changes cost a decider
//!   through the stores (locks, cache lines) rather than through the CPU
//!   time they take from it.
//! - `baseline/read_number`: reading one E.164 text alone, the part of every
//!   decision that the number reader decides.
//! - `store/*`: the store lookups a decision makes, each beside its
//!   `*_before` baseline: the same lookup in the stores as they were before
//!   the compact ones (`support/before.rs`), holding the same records; and
//!   `std_hashmap_u64`, one lookup in a `HashMap<u64, _>` of a million keys.
//!
//! Every number is a valid US number: one of fifteen area codes, exchange
//! 200 to 999, any line (checked against [`NumberReader`] at start-up).
//!
//! `cargo bench --bench decide -- --warm-up-time 1 --measurement-time 3`
//!
//! `DIALGATE_INTERLEAVE=30 cargo bench --bench decide` runs no criterion
//! benchmark: it alternates the `make_call/threads_*` runs, 100,000
//! decisions a thread each, for 30 rounds, and prints the ratios the issue's
//! targets read, each paired within one round (see [`interleaved`]).

use std::cell::Cell;
use std::collections::HashMap;
use std::hint::black_box;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Barrier;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use criterion::{BatchSize, Criterion, Throughput};
#[path = "support/before.rs"]
mod before;

use dialgate::{
    Clock, Company, Condition, Distribution, Engine, FakeClock, InMemoryLeadStore,
    InMemoryScheduleStore, InMemorySuppressionList, Lead, LeadOrigin, LeadStore, MakeCallRequest,
    NumberReader, Region, Schedule, Suppression, SuppressionList, SuppressionMatch, E164,
};

const LEADS: u64 = 1_000_000;
const SUPPRESSED: u64 = 1_000_000;
/// Requests cycled through by the `decide/*` and `store/*` benchmarks:
/// enough that their records are spread over the stores, not in L1/L2.
const POOL: u64 = 1 << 16;
/// A stride through the first million indexes: odd and not a multiple of 5,
/// so coprime with 10^6 and every index is visited.
const STRIDE: u64 = 654_321;
/// Where the fresh numbers of `make_call/*` start.
const FRESH: u64 = 3_000_000;
/// The area codes of the bench's numbers.
const NPAS: [u64; 15] = [
    719, 303, 720, 212, 415, 312, 617, 206, 512, 404, 305, 602, 214, 702, 503,
];
/// How many numbers [`us_number`] spans.
const NUMBERS: u64 = 15 * 800 * 10_000;
/// Leads are numbers `0..LEADS`, suppressed numbers `LEADS..2 * LEADS`,
/// fresh ones for `decide/*` `2 * LEADS..3 * LEADS`, and `make_call/*` take
/// theirs from `FRESH` on.
const SUPPRESSED_FROM: u64 = LEADS;
const ONE_OFF_FROM: u64 = 2 * LEADS;
/// Leads of each `make_call/threads_*` company (`t0`, `t1`), so its number
/// index is as real as acme's; their numbers start at `THREAD_LEADS_FROM`.
const THREAD_LEADS: u64 = 250_000;
const THREAD_LEADS_FROM: u64 = 113_000_000;
/// The writer's numbers (leads and suppressions), after every other's: 6.5M
/// of them, 650 seconds of writing.
const WRITER_FROM: u64 = THREAD_LEADS_FROM + 2 * THREAD_LEADS;

/// The `i`-th number (modulo 120M) of the bench's space of valid US numbers.
fn us_number(i: u64) -> u64 {
    let i = i % NUMBERS;
    let line = i % 10_000;
    let exchange = 200 + (i / 10_000) % 800;
    let npa = NPAS[(i / 8_000_000) as usize];
    10_000_000_000 + npa * 10_000_000 + exchange * 10_000 + line
}

fn e164(i: u64) -> E164 {
    E164::from_digits(us_number(i)).expect("an E.164 number")
}

fn text(i: u64) -> String {
    format!("+{}", us_number(i))
}

fn lead_id(i: u64) -> String {
    format!("lead-{i:07}")
}

/// The index of the `k`-th request of a pool over a million records.
fn spread(k: u64) -> u64 {
    (k * STRIDE) % LEADS
}

fn company(id: &str) -> Company {
    // A limit no benchmark reaches: the GCRA is checked, never refuses.
    Company::new(id, 1_000_000).expect("a nonzero limit")
}

/// The stores every benchmark reads.
struct Stores {
    leads: InMemoryLeadStore,
    schedules: InMemoryScheduleStore,
    suppressions: InMemorySuppressionList,
}

fn stores() -> Stores {
    let started = Instant::now();
    let schedules = InMemoryScheduleStore::new();
    for (id, token) in [("sch-solar", "tok-solar"), ("sch-ca", "tok-ca")] {
        schedules
            .insert(Schedule::dialer(id, "acme", token))
            .expect("a new schedule");
    }
    let router = Schedule::router(
        "sch-router",
        "acme",
        "tok-router",
        vec![
            Distribution {
                when: vec![Condition::eq("state", "CA")],
                ..Distribution::catch_all("d-ca", "sch-ca")
            },
            Distribution {
                when: vec![Condition::is_in("state", &["CO", "UT"])],
                ..Distribution::catch_all("d-mountain", "sch-solar")
            },
            Distribution::catch_all("d-rest", "sch-solar"),
        ],
    );
    schedules.insert(router).expect("a new schedule");
    for t in 0..2 {
        schedules
            .insert(Schedule::dialer(
                &format!("sch-t{t}"),
                &format!("t{t}"),
                &format!("tok-t{t}"),
            ))
            .expect("a new schedule");
    }

    let leads = InMemoryLeadStore::new();
    leads.reserve(LEADS as usize);
    // acme's leads are read by the store (`insert`), which keeps the number
    // read: a decision on the lead path in acme's region skips reading it.
    let reader = NumberReader::new();
    for (lead, number) in lead_records() {
        debug_assert_eq!(reader.read(&lead.number, Region::US), Ok(number));
        leads.insert(lead, Region::US, &reader).expect("a new lead");
    }
    for t in 0..2 {
        for i in 0..THREAD_LEADS {
            let n = THREAD_LEADS_FROM + t * THREAD_LEADS + i;
            let lead = Lead::live(
                &format!("t{t}-lead-{i:07}"),
                &format!("t{t}"),
                &format!("sch-t{t}"),
                &text(n),
            );
            leads.insert_read(lead, Some(e164(n))).expect("a new lead");
        }
    }
    let suppressions = InMemorySuppressionList::from_entries(suppression_entries());
    eprintln!(
        "stores: {} leads, {} suppression entries, built in {:.1?}",
        leads.len(),
        suppressions.len(),
        started.elapsed()
    );
    Stores {
        leads,
        schedules,
        suppressions,
    }
}

/// The bench's leads: `lead-0000000` on, all live on acme's `sch-solar`.
fn lead_records() -> impl Iterator<Item = (Lead, E164)> {
    (0..LEADS).map(|i| {
        let lead = Lead::live(&lead_id(i), "acme", "sch-solar", &text(i));
        (lead, e164(i))
    })
}

/// The shape of a real list: mostly company-wide entries, some for every
/// company, some for one schedule, a few expiring (in 2096), two area blocks.
fn suppression_entries() -> impl Iterator<Item = Suppression> {
    let entries = (SUPPRESSED_FROM..SUPPRESSED_FROM + SUPPRESSED).map(|i| {
        let (company_id, schedule_id, expires_at) = match i % 100 {
            0..=69 => (Some("acme"), None, None),
            70..=89 => (None, None, None),
            90..=98 => (Some("acme"), Some("sch-solar"), None),
            _ => (
                Some("acme"),
                None,
                DateTime::from_timestamp(4_000_000_000, 0),
            ),
        };
        Suppression {
            matcher: SuppressionMatch::Number(e164(i)),
            company_id: company_id.map(str::to_owned),
            schedule_id: schedule_id.map(str::to_owned),
            expires_at,
        }
    });
    let blocks = ["+1900", "+1876555"]
        .map(|p| Suppression::everywhere(SuppressionMatch::prefix(p).expect("a prefix")));
    entries.chain(blocks)
}

/// The numbers are valid, or the benchmarks would measure refusals.
fn check_numbers(reader: &NumberReader) {
    for k in 0..400 {
        let i = (k * 300_007) % NUMBERS;
        let read = reader.read(&text(i), Region::US);
        assert_eq!(read, Ok(e164(i)), "number {i} ({})", text(i));
    }
}

fn start() -> DateTime<Utc> {
    DateTime::from_timestamp(1_795_791_600, 0).expect("a time")
}

type BenchEngine<'s> =
    Engine<&'s InMemoryLeadStore, &'s InMemoryScheduleStore, &'s InMemorySuppressionList>;

fn engine<'s>(stores: &'s Stores, clock: impl Clock + 'static) -> BenchEngine<'s> {
    Engine::new(
        &stores.leads,
        &stores.schedules,
        &stores.suppressions,
        clock,
    )
}

/// A pool of requests, and the outcome each must have.
fn pool(make: impl Fn(u64) -> MakeCallRequest) -> Vec<MakeCallRequest> {
    (0..POOL).map(|k| make(spread(k))).collect()
}

fn decide(c: &mut Criterion, stores: &Stores) {
    let engine = engine(stores, FakeClock::new(start()));
    let acme = company("acme");
    let paths: [(&str, Vec<MakeCallRequest>, Result<LeadOrigin, &str>); 5] = [
        (
            "lead_id",
            pool(|i| MakeCallRequest::for_lead(&lead_id(i))),
            Ok(LeadOrigin::Existing),
        ),
        (
            "reuse",
            pool(|i| MakeCallRequest::for_schedule("sch-solar", &text(i))),
            Ok(LeadOrigin::Existing),
        ),
        (
            "one_off",
            pool(|i| MakeCallRequest::for_schedule("sch-solar", &text(ONE_OFF_FROM + i))),
            Ok(LeadOrigin::OneOff),
        ),
        (
            "router",
            pool(|i| {
                MakeCallRequest::for_schedule("sch-router", &text(ONE_OFF_FROM + i))
                    .with_data("state", "CO")
            }),
            Ok(LeadOrigin::OneOff),
        ),
        (
            "suppressed",
            // Every entry applies to acme on sch-solar at the bench's time.
            pool(|i| MakeCallRequest::for_schedule("sch-solar", &text(SUPPRESSED_FROM + i))),
            Err("suppressed_contact"),
        ),
    ];
    let mut group = c.benchmark_group("decide");
    group.throughput(Throughput::Elements(1));
    for (name, requests, expected) in &paths {
        for request in requests {
            let got = engine
                .dry_run(&acme, request)
                .map(|plan| plan.lead_origin)
                .map_err(|r| r.code());
            assert_eq!(&got, expected, "decide/{name}: {request:?}");
        }
        let mut k = 0usize;
        group.bench_function(*name, |b| {
            b.iter(|| {
                k = (k + 1) % requests.len();
                black_box(engine.dry_run(&acme, &requests[k]))
            })
        });
    }
    group.finish();

    let reader = NumberReader::new();
    let texts: Vec<String> = (0..POOL).map(|k| text(spread(k))).collect();
    let mut group = c.benchmark_group("baseline");
    group.throughput(Throughput::Elements(1));
    let mut k = 0usize;
    group.bench_function("read_number", |b| {
        b.iter(|| {
            k = (k + 1) % texts.len();
            black_box(reader.read(&texts[k], Region::US))
        })
    });
    group.finish();
}

fn make_call_one_off(c: &mut Criterion, stores: &Stores) {
    let clock = FakeClock::new(start());
    let engine = engine(stores, clock.clone());
    let acme = company("acme");
    let next = Cell::new(FRESH);
    let refused = Cell::new(0u64);
    let mut group = c.benchmark_group("make_call");
    group.throughput(Throughput::Elements(1));
    group.bench_function("one_off", |b| {
        b.iter_batched(
            || {
                clock.advance(chrono::Duration::milliseconds(1));
                let i = next.get();
                next.set(i + 1);
                MakeCallRequest::for_schedule("sch-solar", &text(i))
            },
            |request| match engine.make_call(&acme, &request) {
                Ok(admitted) => Some(admitted.commit()),
                Err(_) => {
                    refused.set(refused.get() + 1);
                    None
                }
            },
            BatchSize::SmallInput,
        )
    });
    group.finish();
    assert_eq!(
        refused.get(),
        0,
        "make_call/one_off must admit every request"
    );
}

thread_local! {
    /// The decision time of this thread, in nanoseconds since the epoch.
    static THREAD_NOW: Cell<i64> = const { Cell::new(0) };
}

/// A clock each thread moves by itself, 1 ms a reading, so the redial window
/// keeps the admission maps small and threads share no clock cache line.
/// Each thread runs its own company, whose time is kept in [`Lane::now`]
/// between runs so it never goes back.
#[derive(Debug)]
struct ThreadClock;

impl Clock for ThreadClock {
    fn now(&self) -> DateTime<Utc> {
        let t = THREAD_NOW.with(|c| {
            let t = c.get() + 1_000_000;
            c.set(t);
            t
        });
        DateTime::from_timestamp_nanos(t)
    }
}

/// One thread's company, and where its time and numbers are.
struct Lane {
    company: Company,
    schedule: String,
    now: AtomicI64,
    next: AtomicU64,
    /// Where its numbers end.
    end: u64,
}

/// The deciding threads' companies and the writer's change count, shared by
/// every `make_call/threads_*` run of one process.
struct Lanes<'s> {
    engine: BenchEngine<'s>,
    stores: &'s Stores,
    lanes: Vec<Lane>,
    written: AtomicU64,
    refused: AtomicU64,
}

impl<'s> Lanes<'s> {
    fn new(stores: &'s Stores) -> Self {
        let start_nanos = start().timestamp_nanos_opt().expect("a time in range");
        let lanes = (0..2u64)
            .map(|t| Lane {
                company: company(&format!("t{t}")),
                schedule: format!("sch-t{t}"),
                now: AtomicI64::new(start_nanos),
                // Each lane has 50M numbers of its own.
                next: AtomicU64::new(FRESH + 10_000_000 + t * 50_000_000),
                end: FRESH + 10_000_000 + (t + 1) * 50_000_000,
            })
            .collect();
        Lanes {
            engine: engine(stores, ThreadClock),
            stores,
            lanes,
            written: AtomicU64::new(0),
            refused: AtomicU64::new(0),
        }
    }

    /// `each` decisions (make_call and commit) on each of the first
    /// `threads` lanes at once, with `writer` beside them; the time from
    /// the common start until the last decider is done.
    fn run(&self, threads: usize, writer: Option<Writer>, each: u64) -> Duration {
        let work: Vec<(&Lane, Vec<MakeCallRequest>)> = self.lanes[..threads]
            .iter()
            .map(|lane| {
                let from = lane.next.fetch_add(each, Ordering::Relaxed);
                assert!(from + each <= lane.end, "a lane's 50M numbers are used up");
                let requests = (from..from + each)
                    .map(|i| MakeCallRequest::for_schedule(&lane.schedule, &text(i)))
                    .collect();
                (lane, requests)
            })
            .collect();
        let barrier = Barrier::new(threads + 1);
        let deciding = AtomicU64::new(threads as u64);
        std::thread::scope(|s| {
            let deciding = &deciding;
            if let Some(writer) = writer {
                let (stores, written) = (self.stores, &self.written);
                s.spawn(move || write_while(stores, deciding, written, writer));
            }
            for (lane, requests) in &work {
                let (engine, barrier, refused) = (&self.engine, &barrier, &self.refused);
                s.spawn(move || {
                    THREAD_NOW.with(|c| c.set(lane.now.load(Ordering::Relaxed)));
                    barrier.wait();
                    for request in requests {
                        match engine.make_call(&lane.company, request) {
                            Ok(admitted) => {
                                black_box(admitted.commit());
                            }
                            Err(_) => {
                                refused.fetch_add(1, Ordering::Relaxed);
                            }
                        }
                    }
                    lane.now
                        .store(THREAD_NOW.with(Cell::get), Ordering::Relaxed);
                    deciding.fetch_sub(1, Ordering::Release);
                });
            }
            barrier.wait();
            let started = Instant::now();
            // The scope joins every thread before it returns.
            started
        })
        .elapsed()
    }

    /// Every request of every run so far was admitted.
    fn check_admitted(&self) {
        assert_eq!(
            self.refused.load(Ordering::Relaxed),
            0,
            "make_call/threads_* must admit every request"
        );
    }
}

/// The `make_call/threads_*` runs: deciding threads, and the thread beside
/// them.
const THREAD_RUNS: [(usize, Option<Writer>); 6] = [
    (1, None),
    (2, None),
    (2, Some(Writer::Changes)),
    (2, Some(Writer::WakesOnly)),
    (1, Some(Writer::Changes)),
    (1, Some(Writer::WakesOnly)),
];

fn run_name(threads: usize, writer: Option<Writer>) -> String {
    match writer {
        Some(Writer::Changes) => format!("threads_{threads}_with_writer"),
        Some(Writer::WakesOnly) => format!("threads_{threads}_with_waker"),
        None => format!("threads_{threads}"),
    }
}

fn make_call_threads(c: &mut Criterion, stores: &Stores) {
    let lanes = Lanes::new(stores);
    let mut group = c.benchmark_group("make_call");
    for (threads, writer) in THREAD_RUNS {
        group.throughput(Throughput::Elements(threads as u64));
        group.bench_function(run_name(threads, writer), |b| {
            b.iter_custom(|iters| lanes.run(threads, writer, iters))
        });
    }
    group.finish();
    lanes.check_admitted();
}

/// `DIALGATE_INTERLEAVE=ROUNDS[,DECISIONS]`: instead of criterion, every
/// `make_call/threads_*` run in turn, `ROUNDS` times (each round starting
/// one run further on), `DECISIONS` a deciding thread (100,000 by default; a lane has 50M
/// numbers, and every run but two decides on lane 0);
/// prints each round's throughputs and the ratios the targets read, paired
/// within the round, and their medians. Runs a second or so apart share the
/// host's mood, where criterion's runs of one name are minutes apart.
fn interleaved(stores: &Stores, spec: &str) {
    let mut parts = spec.split(',').map(str::parse::<u64>);
    let (rounds, each) = match (parts.next(), parts.next()) {
        (Some(Ok(r)), None) => (r, 100_000),
        (Some(Ok(r)), Some(Ok(d))) => (r, d),
        _ => panic!("DIALGATE_INTERLEAVE is ROUNDS or ROUNDS,DECISIONS, not {spec:?}"),
    };
    let lanes = Lanes::new(stores);
    // Untimed, so the first round's first run is not the one that warms up.
    lanes.run(2, None, each);
    let names: Vec<String> = THREAD_RUNS.iter().map(|&(t, w)| run_name(t, w)).collect();
    println!("round\t{}", names.join("\t"));
    let mut ratios: Vec<[f64; 5]> = Vec::new();
    for round in 0..rounds as usize {
        let mut rate = [0.0; 6];
        for k in 0..THREAD_RUNS.len() {
            let i = (round + k) % THREAD_RUNS.len();
            let (threads, writer) = THREAD_RUNS[i];
            let secs = lanes.run(threads, writer, each).as_secs_f64();
            rate[i] = (threads as u64 * each) as f64 / secs / 1e3;
        }
        let shown: Vec<String> = rate.iter().map(|r| format!("{r:.0}")).collect();
        println!("{round}\t{} K/s", shown.join("\t"));
        lanes.check_admitted();
        ratios.push([
            rate[1] / rate[0],
            1.0 - rate[2] / rate[1],
            1.0 - rate[3] / rate[1],
            1.0 - rate[4] / rate[0],
            1.0 - rate[5] / rate[0],
        ]);
    }
    lanes.check_admitted();
    let labels = [
        "threads_2 / threads_1",
        "writer's cost to threads_2",
        "waker's cost to threads_2",
        "writer's cost to threads_1",
        "waker's cost to threads_1",
    ];
    for (k, label) in labels.iter().enumerate() {
        let mut values: Vec<f64> = ratios.iter().map(|r| r[k]).collect();
        values.sort_by(f64::total_cmp);
        let median = values[values.len() / 2];
        let (low, high) = (values[0], values[values.len() - 1]);
        if k == 0 {
            println!("{label}: median {median:.3}x (range {low:.3} to {high:.3})");
        } else {
            println!(
                "{label}: median {:.1}% (range {:.1} to {:.1})",
                median * 100.0,
                low * 100.0,
                high * 100.0
            );
        }
    }
}

/// What the extra thread of `make_call/threads_*_with_*` does.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Writer {
    /// Changes the stores (`_with_writer`).
    Changes,
    /// Wakes and sleeps as the writer does, changing nothing
    /// (`_with_waker`): what a third thread costs two busy cores by itself.
    WakesOnly,
}

/// Changes the live stores at 10,000 a second (a lead, then a suppression
/// entry, in turn; numbers no decider dials) until no thread is deciding.
/// It sleeps between changes, catching up on those due, so it costs the
/// deciders its changes, not a spinning core.
fn write_while(stores: &Stores, deciding: &AtomicU64, written: &AtomicU64, writer: Writer) {
    let every = std::env::var("DIALGATE_WRITER_EVERY_US")
        .ok()
        .and_then(|us| us.parse::<u64>().ok())
        .filter(|&us| us > 0)
        .map_or(Duration::from_micros(100), Duration::from_micros);
    // Changes are due at 10,000 a second, whatever the wake period.
    const CHANGE: Duration = Duration::from_micros(100);
    let started = Instant::now();
    let mut done = 0u64;
    while deciding.load(Ordering::Acquire) > 0 {
        let due = (started.elapsed().as_micros() / CHANGE.as_micros()) as u64 + 1;
        while done < due {
            if writer == Writer::WakesOnly {
                done = due;
                break;
            }
            let n = written.fetch_add(1, Ordering::Relaxed);
            assert!(
                n < NUMBERS - WRITER_FROM,
                "the writer's numbers are used up"
            );
            let number = e164(WRITER_FROM + n);
            if n % 2 == 0 {
                let lead = Lead::live(
                    &format!("w{n}"),
                    &format!("t{}", n / 2 % 2),
                    &format!("sch-t{}", n / 2 % 2),
                    "",
                );
                stores
                    .leads
                    .insert_read(lead, Some(number))
                    .expect("a new lead id");
            } else {
                stores.suppressions.insert(Suppression {
                    company_id: Some("t0".into()),
                    ..Suppression::everywhere(SuppressionMatch::Number(number))
                });
            }
            done += 1;
        }
        std::thread::sleep(every);
    }
}

fn store_lookups(c: &mut Criterion, stores: &Stores) {
    let now = start();
    let misses: Vec<E164> = (0..POOL).map(|k| e164(ONE_OFF_FROM + spread(k))).collect();
    let hits: Vec<E164> = (0..POOL)
        .map(|k| e164(SUPPRESSED_FROM + spread(k)))
        .collect();
    let ids: Vec<String> = (0..POOL).map(|k| lead_id(spread(k))).collect();
    let lead_numbers: Vec<E164> = (0..POOL).map(|k| e164(spread(k))).collect();
    let std_map: HashMap<u64, (u32, u32)> = (0..SUPPRESSED)
        .map(|i| (us_number(SUPPRESSED_FROM + i), (0, 0)))
        .collect();
    let schedules = ["sch-solar"];
    let mut old_leads = before::Leads::default();
    for (lead, number) in lead_records() {
        old_leads.insert_read(lead, Some(number));
    }
    let mut old_list = before::Suppressions::default();
    for entry in suppression_entries() {
        old_list.insert(entry);
    }

    for k in 0..POOL as usize {
        let list = &stores.suppressions;
        assert!(list
            .find(hits[k], "acme", &schedules, now)
            .is_ok_and(|hit| hit.is_some()));
        assert!(old_list.find(hits[k], "acme", &schedules, now).is_some());
        assert!(list
            .find(misses[k], "acme", &schedules, now)
            .is_ok_and(|hit| hit.is_none()));
        assert!(stores
            .leads
            .lead("acme", &ids[k])
            .is_ok_and(|hit| hit.is_some()));
        assert!(old_leads.lead("acme", &ids[k]).is_some());
        assert!(stores
            .leads
            .live_lead("acme", "sch-solar", lead_numbers[k])
            .is_ok_and(|hit| hit.is_some()));
        assert!(old_leads
            .live_lead("acme", "sch-solar", lead_numbers[k])
            .is_some());
    }
    let mut group = c.benchmark_group("store");
    group.throughput(Throughput::Elements(1));
    let mut bench = |name: &str, f: &mut dyn FnMut(usize) -> bool| {
        let mut k = 0usize;
        group.bench_function(name, |b| {
            b.iter(|| {
                k = (k + 1) % POOL as usize;
                black_box(f(k))
            })
        });
    };
    let list = &stores.suppressions;
    bench("std_hashmap_u64", &mut |k| {
        std_map.contains_key(&hits[k].digits())
    });
    bench("suppression_miss", &mut |k| {
        list.find(misses[k], "acme", &schedules, now)
            .is_ok_and(|hit| hit.is_some())
    });
    bench("suppression_miss_before", &mut |k| {
        old_list.find(misses[k], "acme", &schedules, now).is_some()
    });
    bench("suppression_hit", &mut |k| {
        list.find(hits[k], "acme", &schedules, now)
            .is_ok_and(|hit| hit.is_some())
    });
    bench("suppression_hit_before", &mut |k| {
        old_list.find(hits[k], "acme", &schedules, now).is_some()
    });
    let leads = &stores.leads;
    bench("lead_by_id", &mut |k| {
        leads.lead("acme", &ids[k]).is_ok_and(|hit| hit.is_some())
    });
    bench("lead_by_id_before", &mut |k| {
        old_leads.lead("acme", &ids[k]).is_some()
    });
    bench("live_lead", &mut |k| {
        leads
            .live_lead("acme", "sch-solar", lead_numbers[k])
            .is_ok_and(|hit| hit.is_some())
    });
    bench("live_lead_before", &mut |k| {
        old_leads
            .live_lead("acme", "sch-solar", lead_numbers[k])
            .is_some()
    });
    group.finish();
}

fn main() {
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();
    check_numbers(&NumberReader::new());
    let stores = stores();
    if let Ok(spec) = std::env::var("DIALGATE_INTERLEAVE") {
        interleaved(&stores, &spec);
        return;
    }
    decide(&mut c, &stores);
    make_call_one_off(&mut c, &stores);
    make_call_threads(&mut c, &stores);
    store_lookups(&mut c, &stores);
    c.final_summary();
}
