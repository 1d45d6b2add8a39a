//! The races of the core's `tests/races.rs`, against one Redis from many
//! threads, each thread deciding through its own connection: one admitted
//! dial per number and window, one one-off lead in flight, exactly the GCRA's
//! burst, no cap exceeded, no claim left behind.

mod support;

use std::sync::{Arc, Barrier, Mutex};
use std::thread;

use chrono::Duration;
use dialgate::{Admitted, Company, FakeClock, InMemoryEngine, MakeCallRequest, World};
use dialgate_redis::RedisAdmission;

fn setup(url: &str, cps: u32, extra: &str) -> (InMemoryEngine, Company, FakeClock, RedisAdmission) {
    let world = World::from_json(&format!(
        r#"{{"companies": [{{"id": "acme", "cps_limit": {cps} {extra}}}],
             "schedules": [{{"id": "s-a", "company_id": "acme", "lead_token": "tok-a"}}]}}"#
    ))
    .expect("world");
    let acme = world.company("acme").expect("acme").clone();
    let clock = FakeClock::at("2026-12-07T15:00:00Z").expect("time");
    let admission = support::decision_time(url, "races");
    let engine = world
        .into_engine(clock.clone())
        .with_admission(Arc::new(admission.clone()));
    (engine, acme, clock, admission)
}

fn number(i: usize) -> String {
    format!("+1719{:07}", 5_550_000 + i)
}

/// In-flight one-off leads and dial lists of `acme` held in Redis.
fn keys(url: &str, admission: &RedisAdmission, kind: &str) -> usize {
    let client = redis::Client::open(url).expect("client");
    let mut con = client.get_connection().expect("connection");
    let pattern = format!("{}{kind}:*", admission.company_key_prefix("acme"));
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(pattern)
        .query(&mut con)
        .expect("KEYS");
    keys.len()
}

/// `threads` threads decide `request(t)` at once, holding what they get
/// until all decided; the admitted count and the refusals' codes.
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
                    decided.wait();
                    match outcome {
                        Ok(admitted) => {
                            let settled = if commit {
                                admitted.try_commit().map(drop).map_err(|e| e.error)
                            } else {
                                admitted.try_release().map(drop).map_err(|e| e.error)
                            };
                            settled.expect("settled");
                            Ok(())
                        }
                        Err(r) => Err(r.code()),
                    }
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("thread"))
            .collect()
    });
    let admitted = outcomes.iter().filter(|o| o.is_ok()).count();
    let refused = outcomes.into_iter().filter_map(Result::err).collect();
    (admitted, refused)
}

#[test]
fn sixteen_threads_one_number_admit_one() {
    let Some(url) = support::url("sixteen_threads_one_number_admit_one") else {
        return;
    };
    let (engine, acme, clock, admission) = setup(&url, 100_000, "");
    for i in 0..40 {
        let to = number(i);
        let (admitted, refused) = race(
            &engine,
            &acme,
            16,
            |_| MakeCallRequest::for_schedule("s-a", &to),
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
    assert_eq!(
        keys(&url, &admission, "f"),
        0,
        "no one-off lead left in flight"
    );
}

#[test]
fn thirty_two_threads_one_one_off_lead_admit_one() {
    let Some(url) = support::url("thirty_two_threads_one_one_off_lead_admit_one") else {
        return;
    };
    let (engine, acme, clock, admission) = setup(&url, 100_000, "");
    for i in 0..20 {
        let to = number(i);
        let (admitted, refused) = race(
            &engine,
            &acme,
            32,
            |_| MakeCallRequest::for_schedule("s-a", &to),
            false,
        );
        assert_eq!(admitted, 1, "iteration {i}");
        assert!(
            refused.iter().all(|&c| c == "duplicate_concurrent_lead"),
            "iteration {i}: {refused:?}"
        );
        // Released: the number may be dialled again at once.
        let again = engine
            .make_call(&acme, &MakeCallRequest::for_schedule("s-a", &to))
            .expect("dialable");
        again.try_release().map_err(|e| e.error).expect("released");
        clock.advance(Duration::milliseconds(1));
    }
    assert_eq!(
        keys(&url, &admission, "f"),
        0,
        "no one-off lead left in flight"
    );
    assert_eq!(keys(&url, &admission, "d"), 0, "every dial was released");
}

#[test]
fn a_fixed_instant_admits_exactly_the_burst() {
    let Some(url) = support::url("a_fixed_instant_admits_exactly_the_burst") else {
        return;
    };
    let (engine, acme, clock, _admission) = setup(&url, 5, "");
    for i in 0..30 {
        let (admitted, refused) = race(
            &engine,
            &acme,
            32,
            |t| MakeCallRequest::for_schedule("s-a", &number(i * 32 + t)),
            true,
        );
        assert_eq!(admitted, 5, "iteration {i}");
        assert!(refused.iter().all(|&c| c == "cps_exceeded"), "{refused:?}");
        clock.advance(Duration::seconds(1));
    }
}

#[test]
fn racing_threads_never_exceed_a_call_cap() {
    let Some(url) = support::url("racing_threads_never_exceed_a_call_cap") else {
        return;
    };
    let (engine, acme, clock, _admission) = setup(
        &url,
        1_000_000,
        r#", "redial_window_s": 1, "calling_rules": {"caps": [{"calls": 2, "per_s": 3600}]}"#,
    );
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
fn commits_releases_and_drops_racing_leave_no_claim_behind() {
    const NUMBERS: usize = 16;
    const THREADS: usize = 8;
    let Some(url) = support::url("commits_releases_and_drops_racing_leave_no_claim_behind") else {
        return;
    };
    let (engine, acme, clock, admission) = setup(&url, 100_000, "");
    for round in 0..10 {
        let base = round * NUMBERS;
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
        assert_eq!(keys(&url, &admission, "f"), NUMBERS);
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
                            drop(a);
                        }
                    }
                });
            }
        });
        assert_eq!(
            keys(&url, &admission, "f"),
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
                    "round {round}, number {n}"
                );
            } else {
                assert!(
                    got.is_ok(),
                    "round {round}, number {n}: a released claim still blocks: {got:?}"
                );
            }
        }
        clock.advance(Duration::seconds(31));
    }
}

/// Two hosts (two admission states, each with its own connections and
/// claim ids) on the server's clock, 32 threads between them: one dial of a
/// number per window, and the company never past its GCRA.
#[test]
fn two_fleet_hosts_on_the_servers_clock_stay_within_the_contract() {
    let Some(url) = support::url("two_fleet_hosts_on_the_servers_clock_stay_within_the_contract")
    else {
        return;
    };
    let mut options = dialgate_redis::RedisOptions::fleet(std::time::Duration::from_secs(60));
    options.namespace = support::namespace("two-hosts");
    let hosts = [
        RedisAdmission::new(&url, options.clone()).expect("host a"),
        RedisAdmission::new(&url, options).expect("host b"),
    ];
    let company = Company::new("acme", 5).expect("company");
    let started = std::time::Instant::now();
    let admitted = Mutex::new(Vec::new());
    let barrier = Barrier::new(32);
    thread::scope(|s| {
        for t in 0..32usize {
            let (hosts, company, admitted, barrier) = (&hosts, &company, &admitted, &barrier);
            s.spawn(move || {
                use dialgate::Admission;
                barrier.wait();
                for i in 0..20u64 {
                    // Half the threads on one number, half on numbers of their own.
                    let digits = if t % 2 == 0 {
                        17195550000
                    } else {
                        17195560000 + (t as u64) * 100 + i
                    };
                    let ask = dialgate::AdmissionRequest {
                        company,
                        schedule_id: "s-a",
                        number: dialgate::E164::from_digits(digits).expect("number"),
                        one_off: false,
                        caps: &[],
                        now: chrono::Utc::now(),
                    };
                    if let Ok(claim) = hosts[t % 2].admit(&ask) {
                        admitted
                            .lock()
                            .expect("log")
                            .push((digits, claim.admitted_at));
                    }
                }
            });
        }
    });
    let elapsed = started.elapsed().as_secs_f64();
    let admitted = admitted.into_inner().expect("log");
    let shared = admitted.iter().filter(|(d, _)| *d == 17195550000).count();
    assert!(
        shared <= 1,
        "the shared number was admitted {shared} times inside its window"
    );
    // GCRA: burst 5, then 5 a second.
    let bound = 5 + (elapsed * 5.0).ceil() as usize;
    assert!(
        admitted.len() <= bound,
        "{} admitted in {elapsed:.2} s",
        admitted.len()
    );
    assert!(!admitted.is_empty());
    let mut times: Vec<i64> = admitted
        .iter()
        .map(|(_, at)| at.timestamp_nanos_opt().expect("ns"))
        .collect();
    times.sort_unstable();
    let mut tat = i64::MIN;
    for t in times {
        let at = tat.max(t);
        assert!(at - t <= 800_000_000, "admitted past the GCRA at {t}");
        tat = at + 200_000_000;
    }
}
