//! Redis admission against in-process admission: random sequences of admits,
//! commits, releases, limit changes and time advances give the same answers
//! (codes, messages, `retry_at` and `admitted_at` to the nanosecond).

mod support;

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use dialgate::{
    Admission, AdmissionRequest, CallCap, Claim, Clock, Company, FakeClock, LocalAdmission,
    Rejection, E164,
};
use dialgate_redis::{RedisAdmission, RedisOptions};
use proptest::prelude::*;

#[derive(Clone, Debug)]
enum Op {
    Admit {
        company: usize,
        number: usize,
        schedule: usize,
        one_off: bool,
        cps: u32,
    },
    Commit(usize),
    Release(usize),
    Advance {
        ms: i64,
        extra_ns: i64,
    },
}

const CPS: [u32; 9] = [1, 2, 3, 5, 7, 10, 1_000, 999_983, 4_000_000_000];
const WINDOWS: [u32; 3] = [30, 0, 5];
const NUMBERS: [u64; 4] = [17195551234, 13055551234, 14055550001, 17195557777];
/// The caps of each number (fixed per number, as a number's state is).
fn caps_of(number: usize) -> &'static [CallCap<'static>] {
    const FL: CallCap<'static> = CallCap {
        calls: 3,
        per_s: 86_400,
        rule: "FL's cap of 3 calls per 86400 s (Fla. Stat. 501.616)",
    };
    const CO: CallCap<'static> = CallCap {
        calls: 2,
        per_s: 40,
        rule: "the company's cap of 2 calls per 40 s",
    };
    const SHORT: CallCap<'static> = CallCap {
        calls: 1,
        per_s: 3,
        rule: "the company's cap of 1 calls per 3 s",
    };
    static NONE: [CallCap<'static>; 0] = [];
    static ONE: [CallCap<'static>; 2] = [FL, CO];
    static TWO: [CallCap<'static>; 2] = [CO, SHORT];
    static THREE: [CallCap<'static>; 1] = [SHORT];
    match number {
        1 => &ONE,
        2 => &TWO,
        3 => &THREE,
        _ => &NONE,
    }
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        5 => (0..3usize, 0..4usize, 0..2usize, any::<bool>(), 0..CPS.len()).prop_map(
            |(company, number, schedule, one_off, cps)| Op::Admit { company, number, schedule, one_off, cps: CPS[cps] }
        ),
        1 => any::<usize>().prop_map(Op::Commit),
        1 => any::<usize>().prop_map(Op::Release),
        3 => (prop_oneof![Just(0i64), Just(1), Just(100), Just(333), Just(500), Just(1_000), Just(2_999),
                          Just(3_000), Just(5_000), Just(29_999), Just(30_000), Just(40_000), Just(86_400_000)],
              prop_oneof![Just(0i64), Just(1), 0..1_000_000i64])
            .prop_map(|(ms, extra_ns)| Op::Advance { ms, extra_ns }),
    ]
}

/// Runs `ops` on both and compares every answer.
fn run(
    url: &str,
    ops: &[Op],
    lease: Option<u64>,
    start: DateTime<Utc>,
    pipeline: bool,
) -> Result<(), TestCaseError> {
    let clock = FakeClock::new(start);
    let mut local = LocalAdmission::new();
    let mut options = RedisOptions::decision_time(&support::namespace("diff"));
    options.pipeline = pipeline;
    if let Some(s) = lease {
        local = local.with_hold_lease(Duration::from_secs(s), clock.clone());
        options.hold_lease = Some(Duration::from_secs(s));
        options.lease_clock = Some(Arc::new(clock.clone()));
    }
    let redis = RedisAdmission::new(url, options).expect("admission");
    let mut open: Vec<(Claim, Claim)> = Vec::new();
    for (i, op) in ops.iter().enumerate() {
        match op {
            Op::Advance { ms, extra_ns } => {
                clock.advance(
                    chrono::Duration::milliseconds(*ms) + chrono::Duration::nanoseconds(*extra_ns),
                );
            }
            Op::Admit {
                company,
                number,
                schedule,
                one_off,
                cps,
            } => {
                let mut c = Company::new(format!("co-{company}"), *cps).expect("company");
                c.redial_window_s = WINDOWS[*company];
                let ask = AdmissionRequest {
                    company: &c,
                    schedule_id: ["s-a", "s-b"][*schedule],
                    number: E164::from_digits(NUMBERS[*number]).expect("number"),
                    one_off: *one_off,
                    caps: caps_of(*number),
                    now: clock.now(),
                };
                let l = local.admit(&ask);
                let r = redis.admit(&ask);
                match (l, r) {
                    (Ok(l), Ok(r)) => {
                        prop_assert_eq!(l.admitted_at, r.admitted_at, "op {}: {:?}", i, op);
                        prop_assert_eq!(l.one_off, r.one_off);
                        open.push((l, r));
                    }
                    (Err(l), Err(r)) => prop_assert_eq!(l, r, "op {}: {:?}", i, op),
                    (l, r) => prop_assert!(
                        false,
                        "op {}: {:?}: local {:?}, redis {:?}",
                        i,
                        op,
                        l,
                        r.map_err(|e: Rejection| e.to_string())
                    ),
                }
            }
            Op::Commit(k) | Op::Release(k) => {
                if open.is_empty() {
                    continue;
                }
                let (l, r) = open.remove(k % open.len());
                if matches!(op, Op::Commit(_)) {
                    local.commit(&l).expect("local commit");
                    redis.commit(&r).expect("redis commit");
                } else {
                    local.release(&l).expect("local release");
                    redis.release(&r).expect("redis release");
                }
            }
        }
    }
    Ok(())
}

/// Random sequences, 96 of them, on one server held for the whole run
/// (failures are kept in `differential.proptest-regressions`).
#[test]
fn redis_answers_as_local_admission() {
    let Some(url) = support::url("redis_answers_as_local_admission") else {
        return;
    };
    let config = ProptestConfig {
        cases: 96,
        source_file: Some(file!()),
        failure_persistence: Some(Box::new(
            proptest::test_runner::FileFailurePersistence::Direct(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/differential.proptest-regressions"
            )),
        )),
        ..ProptestConfig::default()
    };
    let mut runner = proptest::test_runner::TestRunner::new(config);
    let strategy = (
        proptest::collection::vec(op(), 1..80),
        prop_oneof![Just(None), Just(Some(60u64)), Just(Some(2u64))],
        0i64..1_000_000_000,
        any::<bool>(),
    );
    let outcome = runner.run(&strategy, |(ops, lease, start_ns, pipeline)| {
        let start = dialgate::timefmt::parse("2026-11-26T15:00:00Z").expect("time")
            + chrono::Duration::nanoseconds(start_ns);
        run(&url, &ops, lease, start, pipeline)
    });
    if let Err(e) = outcome {
        panic!("{e}");
    }
}

/// The cases of local admission's own tests, replayed: TAT carried across a
/// change of limit, an interval a third of a nanosecond off the grid.
#[test]
fn limit_changes_decide_to_the_nanosecond() {
    let Some(url) = support::url("limit_changes_decide_to_the_nanosecond") else {
        return;
    };
    let at = |s: &str| dialgate::timefmt::parse(s).expect("time");
    let t0 = at("2026-11-26T15:00:00Z");
    let mut ops = Vec::new();
    for cps in [1u32, 2, 2, 2, 1, 3, 3, 2, 2] {
        ops.push(Op::Admit {
            company: 0,
            number: 0,
            schedule: 0,
            one_off: false,
            cps,
        });
        ops.push(Op::Release(0));
        ops.push(Op::Advance {
            ms: 166,
            extra_ns: 666_666,
        });
    }
    run(&url, &ops, None, t0, true).expect("equal");
    run(&url, &ops, None, t0, false).expect("equal");
}

/// An out-of-order time within a company is decided at its high-water mark,
/// as in-process admission does.
#[test]
fn an_out_of_order_time_is_decided_at_the_high_water_mark() {
    let Some(url) = support::url("an_out_of_order_time_is_decided_at_the_high_water_mark") else {
        return;
    };
    let redis = support::decision_time(&url, "hw");
    let local = LocalAdmission::new();
    let company = Company::new("acme", 100).expect("company");
    let ask = |at: &str| AdmissionRequest {
        company: &company,
        schedule_id: "s",
        number: E164::from_digits(17195551234).expect("number"),
        one_off: false,
        caps: &[],
        now: dialgate::timefmt::parse(at).expect("time"),
    };
    for admission in [&local as &dyn Admission, &redis] {
        let a = admission.admit(&ask("2026-11-26T15:00:00Z")).expect("a");
        admission.commit(&a).expect("commit");
        let y = admission.admit(&ask("2026-11-26T15:00:30Z")).expect("y");
        admission.release(&y).expect("release");
        let x = admission
            .admit(&ask("2026-11-26T15:00:29.900Z"))
            .expect("x");
        assert_eq!(
            dialgate::timefmt::rfc3339(x.admitted_at),
            "2026-11-26T15:00:30Z"
        );
    }
}
