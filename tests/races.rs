//! Races: many threads deciding at once never break the contract's
//! concurrency guarantees (one admitted dial per number and window, one
//! one-off lead in flight, no claim left behind, never past the GCRA).

use std::collections::BTreeMap;
use std::sync::{Arc, Barrier, Mutex, RwLock};
use std::thread;

use chrono::Duration;
use dialgate::{
    Admitted, Clock, Company, FakeClock, InMemoryEngine, LocalAdmission, MakeCallRequest, World,
};

/// A world with company `acme` (`cps` calls per second), dialer `s-a`
/// (token `tok-a`) and `leads` live leads `lead-{i}` on numbers
/// `number(i)`.
fn setup(cps: u32, leads: usize) -> (InMemoryEngine, Company, FakeClock, Arc<LocalAdmission>) {
    let leads: Vec<String> = (0..leads)
        .map(|i| {
            format!(
                r#"{{"id": "lead-{i}", "company_id": "acme", "schedule_id": "s-a", "number": "{}"}}"#,
                number(i)
            )
        })
        .collect();
    let world = World::from_json(&format!(
        r#"{{"companies": [{{"id": "acme", "cps_limit": {cps}}}],
             "schedules": [{{"id": "s-a", "company_id": "acme", "lead_token": "tok-a"}}],
             "leads": [{}]}}"#,
        leads.join(",")
    ))
    .expect("world");
    let acme = world.company("acme").expect("acme").clone();
    let clock = FakeClock::at("2026-11-26T15:00:00Z").expect("time");
    let admission = Arc::new(LocalAdmission::new());
    let engine = world
        .into_engine(clock.clone())
        .with_admission(admission.clone());
    (engine, acme, clock, admission)
}

/// The i-th test number: +1 719 55x xxxx, valid in the US.
fn number(i: usize) -> String {
    format!("+1719{:07}", 5_550_000 + i)
}

/// `threads` threads decide `request(thread)` at once and hold what they are
/// admitted until all have decided; returns the admitted count and the codes
/// of the refusals.
fn race(
    engine: &InMemoryEngine,
    company: &Company,
    threads: usize,
    request: impl Fn(usize) -> MakeCallRequest + Sync,
    commit: bool,
) -> (usize, Vec<&'static str>) {
    let start = Barrier::new(threads);
    let decided = Barrier::new(threads);
    let outcomes: Vec<Result<(), &'static str>> = thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let (start, decided, request) = (&start, &decided, &request);
                s.spawn(move || {
                    let request = request(t);
                    start.wait();
                    let outcome = engine.make_call(company, &request);
                    // Everyone decides while the winner still holds its claims.
                    decided.wait();
                    match outcome {
                        Ok(admitted) => {
                            if commit {
                                let _ = admitted.commit();
                            } else {
                                let _ = admitted.release();
                            }
                            Ok(())
                        }
                        Err(r) => Err(r.code()),
                    }
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("no panic"))
            .collect()
    });
    let admitted = outcomes.iter().filter(|o| o.is_ok()).count();
    let refused = outcomes.into_iter().filter_map(Result::err).collect();
    (admitted, refused)
}

fn same_number_admits_one(threads: usize, iterations: usize) {
    let (engine, acme, clock, admission) = setup(100_000, iterations);
    for i in 0..iterations {
        // Half the threads by schedule and number, half by lead id: one
        // live lead either way.
        let (admitted, refused) = race(
            &engine,
            &acme,
            threads,
            |t| {
                if t % 2 == 0 {
                    MakeCallRequest::for_schedule("s-a", &number(i))
                } else {
                    MakeCallRequest::for_lead(&format!("lead-{i}"))
                }
            },
            true,
        );
        assert_eq!(admitted, 1, "iteration {i}: {refused:?}");
        assert!(
            refused.iter().all(|&c| c == "recently_dialed"),
            "iteration {i}: {refused:?}"
        );

        // The one-off path: a number no lead has.
        let one_off = number(iterations + i);
        let (admitted, refused) = race(
            &engine,
            &acme,
            threads,
            |t| {
                if t % 2 == 0 {
                    MakeCallRequest::for_schedule("s-a", &one_off)
                } else {
                    MakeCallRequest::for_token("tok-a", &one_off)
                }
            },
            true,
        );
        assert_eq!(admitted, 1, "iteration {i}: {refused:?}");
        assert!(
            refused
                .iter()
                .all(|&c| c == "recently_dialed" || c == "duplicate_concurrent_lead"),
            "iteration {i}: {refused:?}"
        );
        clock.advance(Duration::milliseconds(10));
    }
    assert_eq!(admission.in_flight(), 0);
}

#[test]
fn eight_threads_one_number_admit_one() {
    same_number_admits_one(8, 200);
}

#[test]
fn sixty_four_threads_one_number_admit_one() {
    same_number_admits_one(64, 40);
}

#[test]
fn sixty_four_threads_one_one_off_lead_admit_one() {
    let (engine, acme, clock, admission) = setup(100_000, 0);
    for i in 0..40 {
        let to = number(i);
        let (admitted, refused) = race(
            &engine,
            &acme,
            64,
            |_| MakeCallRequest::for_schedule("s-a", &to),
            false,
        );
        assert_eq!(admitted, 1, "iteration {i}");
        // The winner holds its one-off lead in flight while the others
        // decide: step 8 refuses them before the redial window does.
        assert_eq!(refused.len(), 63);
        assert!(
            refused.iter().all(|&c| c == "duplicate_concurrent_lead"),
            "iteration {i}: {refused:?}"
        );
        assert_eq!(admission.in_flight(), 0, "released");
        // Released, so the same number may be dialled again at once.
        let again = engine
            .make_call(&acme, &MakeCallRequest::for_schedule("s-a", &to))
            .expect("dialable");
        drop(again);
        clock.advance(Duration::milliseconds(1));
    }
    assert_eq!(admission.in_flight(), 0);
    assert_eq!(admission.redial_entries(), 0, "every claim was released");
}

#[test]
fn commits_releases_and_drops_racing_leave_no_claim_behind() {
    const NUMBERS: usize = 16;
    const THREADS: usize = 8;
    let (engine, acme, clock, admission) = setup(100_000, 0);
    for round in 0..40 {
        let base = round * NUMBERS;
        // Admit one one-off dial of each number, held.
        let held: Vec<Admitted> = (0..NUMBERS)
            .map(|n| {
                engine
                    .make_call(
                        &acme,
                        &MakeCallRequest::for_schedule("s-a", &number(base + n)),
                    )
                    .expect("admitted")
            })
            .collect();
        assert_eq!(admission.in_flight(), NUMBERS);
        // Deal them out: each thread settles its share (commit the numbers
        // n % 3 == 0, release n % 3 == 1, drop the rest) while also trying
        // to dial every number itself, releasing whatever it gets.
        let mut shares: Vec<Vec<(usize, Admitted)>> = (0..THREADS).map(|_| Vec::new()).collect();
        for (n, a) in held.into_iter().enumerate() {
            shares[n % THREADS].push((n, a));
        }
        let start = Barrier::new(THREADS);
        thread::scope(|s| {
            for (t, share) in shares.into_iter().enumerate() {
                let (engine, acme, start) = (&engine, &acme, &start);
                s.spawn(move || {
                    start.wait();
                    let mut share = share.into_iter();
                    for k in 0..NUMBERS {
                        if let Some((n, a)) = share.next() {
                            match n % 3 {
                                0 => drop(a.commit()),
                                1 => drop(a.release()),
                                _ => drop(a),
                            }
                        }
                        let n = (k + t) % NUMBERS;
                        if let Ok(a) = engine.make_call(
                            acme,
                            &MakeCallRequest::for_schedule("s-a", &number(base + n)),
                        ) {
                            assert_ne!(n % 3, 0, "number {n} was committed: inside its window");
                            if k % 2 == 0 {
                                drop(a.release());
                            } else {
                                drop(a);
                            }
                        }
                    }
                });
            }
        });
        assert_eq!(
            admission.in_flight(),
            0,
            "round {round}: a one-off lead left in flight"
        );
        for n in 0..NUMBERS {
            let got = engine
                .make_call(
                    &acme,
                    &MakeCallRequest::for_schedule("s-a", &number(base + n)),
                )
                .map(Admitted::release)
                .map_err(|r| r.code());
            if n % 3 == 0 {
                assert_eq!(
                    got.err(),
                    Some("recently_dialed"),
                    "round {round}, number {n} was committed"
                );
            } else {
                assert!(
                    got.is_ok(),
                    "round {round}, number {n}: a released claim still blocks: {got:?}"
                );
            }
        }
        assert_eq!(admission.in_flight(), 0);
        clock.advance(Duration::seconds(31));
    }
}

#[test]
fn a_fixed_instant_admits_exactly_the_burst() {
    let (engine, acme, clock, admission) = setup(5, 0);
    for i in 0..100 {
        let (admitted, refused) = race(
            &engine,
            &acme,
            32,
            |t| MakeCallRequest::for_schedule("s-a", &number(i * 32 + t)),
            true,
        );
        assert_eq!(admitted, 5, "iteration {i}");
        assert!(refused.iter().all(|&c| c == "cps_exceeded"), "{refused:?}");
        // 1 s drains the burst of 5 entirely.
        clock.advance(Duration::seconds(1));
    }
    assert_eq!(admission.in_flight(), 0);
}

/// The contract's GCRA, exact: times in nanoseconds scaled by `cps`.
struct Gcra {
    cps: i128,
    tat: Option<i128>,
}

impl Gcra {
    const NS: i128 = 1_000_000_000;

    fn allows(&self, t_ns: i64) -> bool {
        let t = i128::from(t_ns) * self.cps;
        let tat = self.tat.unwrap_or(t).max(t);
        tat - t <= (self.cps - 1) * Self::NS
    }

    fn admit(&mut self, t_ns: i64) {
        let t = i128::from(t_ns) * self.cps;
        self.tat = Some(self.tat.unwrap_or(t).max(t) + Self::NS);
    }

    /// TAT - tau, in whole nanoseconds (rounded up).
    fn retry_at(&self) -> i64 {
        let tat = self.tat.expect("refused, so something was admitted");
        let ns = (tat - (self.cps - 1) * Self::NS + self.cps - 1).div_euclid(self.cps);
        i64::try_from(ns).expect("in range")
    }
}

fn ns(t: chrono::DateTime<chrono::Utc>) -> i64 {
    t.timestamp_nanos_opt().expect("in range")
}

/// Per decision instant (ns): admitted, refused, the refusals' `retry_at`.
type Log = BTreeMap<i64, (u32, u32, Vec<i64>)>;

/// Workers hammer one company while another thread steps the clock.
fn hammer(cps: u32, steps: usize, step: Duration, lock: bool) -> Log {
    const WORKERS: usize = 6;
    let (engine, acme, clock, _) = setup(cps, 0);
    // Held for reading across a decision, for writing across a clock step,
    // when `lock`: each decision then knows its instant exactly.
    let gate = RwLock::new(());
    let log = Mutex::new(Log::new());
    let done = std::sync::atomic::AtomicBool::new(false);
    let barrier = Barrier::new(WORKERS + 1);
    thread::scope(|s| {
        for w in 0..WORKERS {
            let (engine, acme, clock, gate, log, done, barrier) =
                (&engine, &acme, &clock, &gate, &log, &done, &barrier);
            s.spawn(move || {
                barrier.wait();
                let mut k = 0usize;
                while !done.load(std::sync::atomic::Ordering::Relaxed) {
                    k += 1;
                    let request =
                        MakeCallRequest::for_schedule("s-a", &number(w * 600_000 + k % 600_000));
                    let guard = lock.then(|| gate.read().expect("gate"));
                    let before = ns(clock.now());
                    let outcome = engine.make_call(acme, &request);
                    let after = ns(clock.now());
                    drop(guard);
                    let mut log = log.lock().expect("log");
                    match outcome {
                        Ok(a) => {
                            let at = ns(a.call().placed_at);
                            log.entry(at).or_default().0 += 1;
                            drop(a.commit());
                        }
                        Err(r) => {
                            assert_eq!(r.code(), "cps_exceeded", "{r}");
                            // Without the gate a refusal's instant is known
                            // only when the clock did not move meanwhile.
                            if before == after {
                                let e = log.entry(before).or_default();
                                e.1 += 1;
                                e.2.push(ns(r.retry_at().expect("retry_at")));
                            }
                        }
                    }
                }
            });
        }
        barrier.wait();
        for _ in 0..steps {
            thread::sleep(std::time::Duration::from_micros(300));
            let _guard = lock.then(|| gate.write().expect("gate"));
            clock.advance(step);
        }
        thread::sleep(std::time::Duration::from_micros(300));
        done.store(true, std::sync::atomic::Ordering::Relaxed);
    });
    log.into_inner().expect("log")
}

#[test]
fn a_moving_clock_admits_exactly_what_the_gcra_allows() {
    for (cps, step_ms) in [(5, 50), (8, 30), (1, 400), (100, 3)] {
        let log = hammer(cps, 150, Duration::milliseconds(step_ms), true);
        let mut model = Gcra {
            cps: i128::from(cps),
            tat: None,
        };
        let mut total = 0;
        for (&t, (admitted, refused, retries)) in &log {
            for k in 0..*admitted {
                assert!(
                    model.allows(t),
                    "cps {cps}: admission {k} at {t} is beyond the GCRA"
                );
                model.admit(t);
                total += 1;
            }
            if *refused > 0 {
                assert!(
                    !model.allows(t),
                    "cps {cps}: refused at {t} though the GCRA allowed one more"
                );
                for &r in retries {
                    assert_eq!(r, model.retry_at(), "cps {cps}: retry_at at {t}");
                }
            }
        }
        assert!(total > 0);
        // (100 cps may outrun slow workers on a loaded machine.)
        assert!(
            cps == 100 || log.values().any(|e| e.1 > 0),
            "cps {cps}: the workers never met the limit"
        );
    }
}

#[test]
fn a_racing_clock_never_admits_beyond_the_gcra() {
    // No gate: a decision may read the clock, lose the CPU across a clock
    // step and be admitted after later instants were. Sorted by time, the
    // admissions must still conform to the GCRA.
    for (cps, step_ms) in [(5, 50), (3, 100), (100, 3)] {
        let log = hammer(cps, 150, Duration::milliseconds(step_ms), false);
        let mut model = Gcra {
            cps: i128::from(cps),
            tat: None,
        };
        for (&t, (admitted, _, _)) in &log {
            for k in 0..*admitted {
                assert!(
                    model.allows(t),
                    "cps {cps}: admission {k} at {t} is beyond the GCRA"
                );
                model.admit(t);
            }
        }
    }
}

/// A clock whose reading, on the thread that is told to, stalls until it is
/// let go: the preempted decision of issue 12, item 2.
/// The thread to stall, and what lets it go.
type Stall = Option<(thread::ThreadId, std::sync::mpsc::Receiver<()>)>;

#[derive(Clone, Debug)]
struct StallingClock {
    time: FakeClock,
    stall: Arc<Mutex<Stall>>,
}

impl Clock for StallingClock {
    fn now(&self) -> chrono::DateTime<chrono::Utc> {
        let t = self.time.now();
        let mut stall = self.stall.lock().expect("stall");
        if stall
            .as_ref()
            .is_some_and(|(id, _)| *id == thread::current().id())
        {
            if let Some((_, go)) = stall.take() {
                drop(stall);
                go.recv().expect("let go");
            }
        }
        t
    }
}

#[test]
fn a_decision_overtaken_while_stalled_is_not_admitted_inside_an_older_window() {
    // A at 15:00:00 committed; X reads 15:00:29.9 and stalls; Y at 15:00:30
    // is admitted and released; X resumes. Before the fix X was admitted
    // 29.9 s after A.
    let world = World::from_json(
        r#"{"companies": [{"id": "acme", "cps_limit": 100}],
            "schedules": [{"id": "s-a", "company_id": "acme", "lead_token": "tok-a"}]}"#,
    )
    .expect("world");
    let acme = world.company("acme").expect("acme").clone();
    let time = FakeClock::at("2026-11-26T15:00:00Z").expect("time");
    let clock = StallingClock {
        time: time.clone(),
        stall: Arc::default(),
    };
    let engine = world.into_engine(clock.clone());
    let request = MakeCallRequest::for_schedule("s-a", "+17195551234");
    let a = engine.make_call(&acme, &request).expect("A").commit();

    time.set(dialgate::timefmt::parse("2026-11-26T15:00:29.900Z").expect("t"));
    let (go, wait) = std::sync::mpsc::channel();
    let (read_tx, read_rx) = std::sync::mpsc::channel();
    thread::scope(|s| {
        let x = s.spawn(|| {
            *clock.stall.lock().expect("stall") = Some((thread::current().id(), wait));
            read_tx.send(()).expect("armed");
            engine.make_call(&acme, &request).map(Admitted::commit)
        });
        read_rx.recv().expect("armed");
        // Let X read its time and stall.
        while clock.stall.lock().expect("stall").is_some() {
            thread::yield_now();
        }
        time.set(dialgate::timefmt::parse("2026-11-26T15:00:30Z").expect("t"));
        let y = engine.make_call(&acme, &request).expect("Y at A + 30 s");
        drop(y.release());
        go.send(()).expect("go");
        let x = x.join().expect("X");
        if let Ok(x) = x {
            assert!(
                x.call.placed_at - a.call.placed_at >= Duration::seconds(30),
                "X counted from {} is inside A's window ({})",
                x.call.placed_at,
                a.call.placed_at
            );
        }
    });
}

/// A clock that reads the system time and then loses the CPU for a random
/// moment, as a preempted thread does.
#[derive(Debug)]
struct JitterClock;

impl Clock for JitterClock {
    fn now(&self) -> chrono::DateTime<chrono::Utc> {
        let t = chrono::Utc::now();
        let spin = (t.timestamp_subsec_nanos() % 7) * 40;
        for _ in 0..spin {
            thread::yield_now();
        }
        t
    }
}

#[test]
fn out_of_order_times_never_put_two_dials_inside_one_window() {
    // 16 threads, 4 numbers, a 1 s window, releases and commits mixed, the
    // system clock read before admission's lock (once 1 violation in 90 s).
    // Bounded: about 1.5 s of wall time.
    let world = World::from_json(
        r#"{"companies": [{"id": "acme", "cps_limit": 1000000, "redial_window_s": 1}],
            "schedules": [{"id": "s-a", "company_id": "acme", "lead_token": "tok-a"}]}"#,
    )
    .expect("world");
    let acme = world.company("acme").expect("acme").clone();
    let engine = world.into_engine(JitterClock);
    let committed = Mutex::new(Vec::new());
    let deadline = std::time::Instant::now() + std::time::Duration::from_millis(1500);
    thread::scope(|s| {
        for w in 0..16usize {
            let (engine, acme, committed) = (&engine, &acme, &committed);
            s.spawn(move || {
                let mut k = 0usize;
                while std::time::Instant::now() < deadline {
                    k += 1;
                    let request = MakeCallRequest::for_schedule("s-a", &number((w + k) % 4));
                    if let Ok(admitted) = engine.make_call(acme, &request) {
                        if (w + k) % 3 == 0 {
                            drop(admitted.release());
                        } else {
                            let c = admitted.commit();
                            committed
                                .lock()
                                .expect("log")
                                .push((c.call.to, c.call.placed_at));
                        }
                    }
                }
            });
        }
    });
    let mut dials = committed.into_inner().expect("log");
    assert!(
        dials.len() >= 4,
        "the race admitted too little to mean anything"
    );
    dials.sort();
    for pair in dials.windows(2) {
        if let [(n1, t1), (n2, t2)] = pair {
            if n1 == n2 {
                assert!(
                    *t2 - *t1 >= Duration::seconds(1),
                    "{n1} committed at {t1} and {t2}"
                );
            }
        }
    }
}

#[test]
fn racing_limit_changes_never_pass_the_larger_limit() {
    // Hosts build `Company` from caches that disagree during a rollout: 8
    // threads alternate 5 and 6 cps on a moving clock. Sorted by time, the
    // admissions conform to the GCRA of the larger limit (before the fix:
    // 10,000 in 10 s).
    let world = World::from_json(
        r#"{"companies": [{"id": "acme", "cps_limit": 5}],
            "schedules": [{"id": "s-a", "company_id": "acme", "lead_token": "tok-a"}]}"#,
    )
    .expect("world");
    let five = world.company("acme").expect("acme").clone();
    let mut six = five.clone();
    six.cps_limit = std::num::NonZeroU32::new(6).expect("6");
    let clock = FakeClock::at("2026-11-26T15:00:00Z").expect("time");
    let engine = world.into_engine(clock.clone());
    let admitted = Mutex::new(Vec::new());
    let done = std::sync::atomic::AtomicBool::new(false);
    thread::scope(|s| {
        for w in 0..8usize {
            let (engine, five, six, admitted, done) = (&engine, &five, &six, &admitted, &done);
            s.spawn(move || {
                let mut k = 0usize;
                while !done.load(std::sync::atomic::Ordering::Relaxed) {
                    k += 1;
                    let company = if (w + k) % 2 == 0 { five } else { six };
                    let request =
                        MakeCallRequest::for_schedule("s-a", &number(w * 100_000 + k % 100_000));
                    if let Ok(a) = engine.make_call(company, &request) {
                        admitted
                            .lock()
                            .expect("log")
                            .push(ns(a.commit().call.placed_at));
                    }
                }
            });
        }
        for _ in 0..200 {
            thread::sleep(std::time::Duration::from_micros(200));
            clock.advance(Duration::milliseconds(50));
        }
        done.store(true, std::sync::atomic::Ordering::Relaxed);
    });
    let mut times = admitted.into_inner().expect("log");
    times.sort_unstable();
    let mut model = Gcra { cps: 6, tat: None };
    for &t in &times {
        assert!(model.allows(t), "an admission at {t} is beyond 6 cps");
        model.admit(t);
    }
    // 10 s of clock: at most 6 + 60.
    assert!(times.len() <= 66, "{} admitted", times.len());
    assert!(
        times.len() >= 6,
        "{} admitted: the limiter starved",
        times.len()
    );
}

#[test]
fn racing_threads_never_exceed_a_call_cap() {
    // 8 threads dial 3 numbers of a company with a cap of 2 calls per hour
    // (and Florida's 3 a day on one of them), the redial window 1 s, on a
    // clock that moves 2 s a round: no number is ever admitted a third time.
    let world = World::from_json(
        r#"{"companies": [{"id": "acme", "cps_limit": 1000000, "redial_window_s": 1,
                           "calling_rules": {"caps": [{"calls": 2, "per_s": 3600}]}}],
            "schedules": [{"id": "s-a", "company_id": "acme", "lead_token": "tok-a"}]}"#,
    )
    .expect("world");
    let acme = world.company("acme").expect("acme").clone();
    let clock = FakeClock::at("2026-12-07T15:00:00Z").expect("time");
    let engine = world.into_engine(clock.clone());
    let numbers = ["+13055550100", "+12125550100", "+17195550100"];
    let admitted = Mutex::new(Vec::new());
    for _round in 0..20 {
        let barrier = Barrier::new(8);
        thread::scope(|s| {
            for w in 0..8usize {
                let (engine, acme, admitted, barrier) = (&engine, &acme, &admitted, &barrier);
                s.spawn(move || {
                    barrier.wait();
                    let to = numbers[w % numbers.len()];
                    if let Ok(a) = engine.make_call(acme, &MakeCallRequest::for_schedule("s-a", to))
                    {
                        let call = a.commit().call;
                        admitted.lock().expect("log").push(call.to.to_string());
                    }
                });
            }
        });
        clock.advance(Duration::seconds(2));
    }
    let admitted = admitted.into_inner().expect("log");
    for n in numbers {
        let count = admitted.iter().filter(|t| t.as_str() == n).count();
        assert_eq!(
            count, 2,
            "{n} admitted {count} times under a cap of 2 an hour"
        );
    }
}

#[test]
fn a_decision_overtaken_past_the_window_closing_is_refused() {
    // The window is checked at the decision's time; admission decides at the
    // company's high-water mark. A Miami call read at 19:59:59.9 local and
    // decided after a New York call at 20:00 would have been placed at 20:00.
    let world = World::from_json(
        r#"{"companies": [{"id": "acme", "cps_limit": 100, "calling_rules": {}}],
            "schedules": [{"id": "s-a", "company_id": "acme", "lead_token": "tok-a"}]}"#,
    )
    .expect("world");
    let acme = world.company("acme").expect("acme").clone();
    let clock = FakeClock::at("2026-12-08T01:00:00Z").expect("time");
    let engine = world.into_engine(clock.clone());
    let ny = engine
        .make_call(&acme, &MakeCallRequest::for_schedule("s-a", "+12125550100"))
        .expect("20:00 in New York is inside 08:00-21:00");
    drop(ny.commit());
    clock.set(dialgate::timefmt::parse("2026-12-08T00:59:59.900Z").expect("t"));
    let err = engine
        .make_call(&acme, &MakeCallRequest::for_schedule("s-a", "+13055550100"))
        .expect_err("decided at 20:00 in Miami, Florida's window has closed");
    assert_eq!(err.code(), "outside_calling_window");
    assert_eq!(
        dialgate::timefmt::rfc3339(err.retry_at().expect("retry_at")),
        "2026-12-08T13:00:00Z"
    );
}
