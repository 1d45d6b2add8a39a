//! The admission lifecycle and the exactness of the time-based guards.

use chrono::Duration;
use dialgate::*;
use proptest::prelude::*;

fn engine(cps: u32, window_s: u32) -> (InMemoryEngine, Company, FakeClock) {
    let world = World::from_json(&format!(
        r#"{{"companies": [{{"id": "acme", "cps_limit": {cps}, "redial_window_s": {window_s}}}],
            "schedules": [{{"id": "s", "company_id": "acme", "lead_token": "t"}},
                          {{"id": "s2", "company_id": "acme", "lead_token": "t2"}}],
            "leads": [{{"id": "ann", "company_id": "acme", "schedule_id": "s", "number": "+17195551234"}}]}}"#
    ))
    .expect("world");
    let clock = FakeClock::at("2026-11-26T15:00:00Z").expect("time");
    let company = world.company("acme").expect("acme").clone();
    (world.into_engine(clock.clone()), company, clock)
}

fn to(i: u32) -> String {
    format!("+1719555{:04}", i % 10_000)
}

#[test]
fn commit_keeps_the_window_release_and_drop_free_it() {
    let (engine, acme, clock) = engine(100, 30);
    let req = MakeCallRequest::for_schedule("s", "+17195557777");

    let released = engine.make_call(&acme, &req).expect("admitted").release();
    assert_eq!(released.to.to_string(), "+17195557777");
    assert!(engine
        .make_call(&acme, &req)
        .expect("released: free again")
        .commit()
        .one_off_lead
        .is_some());
    let err = engine
        .make_call(&acme, &req)
        .expect_err("committed: window runs");
    assert_eq!(err.code(), "recently_dialed");

    clock.advance(Duration::seconds(30));
    let held = engine
        .make_call(&acme, &req)
        .expect("window over at exactly t + 30 s");
    drop(held);
    assert!(
        engine.make_call(&acme, &req).is_ok(),
        "a dropped decision is released"
    );
}

#[test]
fn the_redial_window_ends_exactly_at_its_retry_at() {
    let (engine, acme, clock) = engine(100, 30);
    let req = MakeCallRequest::for_lead("ann");
    engine.make_call(&acme, &req).expect("first").commit();
    clock.advance(Duration::milliseconds(12_345));
    let err = engine
        .make_call(&acme, &req)
        .expect_err("inside the window");
    let retry_at = err.retry_at().expect("retry_at");
    assert_eq!(timefmt::rfc3339(retry_at), "2026-11-26T15:00:30Z");
    clock.set(retry_at - Duration::nanoseconds(1));
    assert_eq!(
        engine
            .make_call(&acme, &req)
            .expect_err("1 ns early")
            .code(),
        "recently_dialed"
    );
    clock.set(retry_at);
    assert!(engine.make_call(&acme, &req).is_ok());
}

#[test]
fn release_does_not_refund_the_cps_token() {
    let (engine, acme, _clock) = engine(1, 30);
    engine
        .make_call(&acme, &MakeCallRequest::for_schedule("s", &to(1)))
        .expect("first")
        .release();
    let err = engine
        .make_call(&acme, &MakeCallRequest::for_schedule("s", &to(2)))
        .expect_err("spent");
    assert_eq!(err.code(), "cps_exceeded");
    assert!(err.to_string().contains("1 calls per second"), "{err}");
}

#[test]
fn a_one_off_in_flight_blocks_its_schedule_and_the_number() {
    let (engine, acme, _clock) = engine(100, 30);
    let held = engine
        .make_call(&acme, &MakeCallRequest::for_schedule("s", "+17195557777"))
        .expect("begin");
    assert_eq!(held.call().lead_origin, LeadOrigin::OneOff);
    let same = engine
        .make_call(&acme, &MakeCallRequest::for_schedule("s", "719-555-7777"))
        .expect_err("dup");
    assert_eq!(same.code(), "duplicate_concurrent_lead");
    let other = engine
        .make_call(&acme, &MakeCallRequest::for_schedule("s2", "+17195557777"))
        .expect_err("window");
    assert_eq!(other.code(), "recently_dialed");
    let done = held.commit();
    assert_eq!(done.call.lead_id, done.one_off_lead.expect("lead").id);
    let after = engine
        .make_call(&acme, &MakeCallRequest::for_schedule("s", "+17195557777"))
        .expect_err("window");
    assert_eq!(
        after.code(),
        "recently_dialed",
        "no longer in flight, still inside the window"
    );
}

#[test]
fn a_committed_one_off_lead_is_stored_but_never_reused() {
    let (engine, acme, clock) = engine(100, 30);
    let done = engine
        .make_call(&acme, &MakeCallRequest::for_schedule("s", "+17195557777"))
        .expect("call")
        .commit();
    let lead = done.one_off_lead.expect("one-off lead");
    assert_eq!(lead.status, LeadStatus::OneOff);
    let reader = engine.numbers().clone();
    engine
        .leads()
        .insert(lead.clone(), Region::US, &reader)
        .expect("stored");
    clock.advance(Duration::seconds(31));
    let again = engine
        .make_call(&acme, &MakeCallRequest::for_schedule("s", "+17195557777"))
        .expect("call");
    assert_eq!(again.call().lead_origin, LeadOrigin::OneOff);
    assert_ne!(again.call().lead_id, lead.id);
    drop(again);
    let by_id = engine
        .make_call(&acme, &MakeCallRequest::for_lead(&lead.id))
        .expect("lead path reaches it");
    assert_eq!(by_id.call().lead_origin, LeadOrigin::Existing);
}

#[test]
fn dry_run_claims_nothing() {
    let (engine, acme, _clock) = engine(1, 30);
    let req = MakeCallRequest::for_schedule("s", "+17195557777");
    for _ in 0..5 {
        let plan = engine.dry_run(&acme, &req).expect("plan");
        assert_eq!(plan.guards, Guard::PIPELINE);
        assert_eq!(plan.lead_id, None);
    }
    assert!(
        engine.make_call(&acme, &req).is_ok(),
        "cps 1: the token was still there"
    );
}

#[test]
fn the_lead_path_overlays_request_data_on_lead_data() {
    let world = World::from_json(
        r#"{"companies": [{"id": "acme", "cps_limit": 5}],
            "schedules": [{"id": "r", "company_id": "acme", "lead_token": "t", "kind": "router", "distributions": [
                             {"id": "d-co", "target_schedule_id": "co", "when": [{"field": "state", "op": "eq", "value": "CO"}]},
                             {"id": "d-any", "target_schedule_id": "other", "when": []}]},
                          {"id": "co", "company_id": "acme", "lead_token": "t2"},
                          {"id": "other", "company_id": "acme", "lead_token": "t3"}],
            "leads": [{"id": "l", "company_id": "acme", "schedule_id": "r", "number": "+17195551234",
                       "data": {"state": "CO", "name": "Ann"}}]}"#,
    )
    .expect("world");
    let acme = world.company("acme").expect("acme").clone();
    let engine = world.into_engine(FakeClock::at("2026-11-26T15:00:00Z").expect("t"));
    let plan = engine
        .dry_run(&acme, &MakeCallRequest::for_lead("l"))
        .expect("plan");
    assert_eq!(plan.schedule_id, "co");
    assert_eq!(plan.data.len(), 2);
    let plan = engine
        .dry_run(
            &acme,
            &MakeCallRequest::for_lead("l").with_data("state", "TX"),
        )
        .expect("plan");
    assert_eq!(plan.schedule_id, "other", "the request's data wins");
    assert_eq!(plan.data["name"], Scalar::from("Ann"));
    assert_eq!(plan.route[0].distribution_id, "d-any");
}

/// The contract's GCRA, written out: TAT per company.
struct Gcra {
    tat: i128,
    t: i128,
    tau: i128,
}

impl Gcra {
    fn new(cps: u32) -> Self {
        let t = 1_000_000_000 / i128::from(cps);
        Gcra {
            tat: i128::MIN,
            t,
            tau: t * (i128::from(cps) - 1),
        }
    }

    /// Admit at `now` (ns), or the retry instant.
    fn check(&mut self, now: i128) -> Result<(), i128> {
        let tat = self.tat.max(now);
        if tat - now > self.tau {
            Err(tat - self.tau)
        } else {
            self.tat = tat + self.t;
            Ok(())
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// Every cps verdict and retry_at equals the contract's GCRA, and a retry
    /// at retry_at passes.
    #[test]
    fn cps_matches_the_contracts_gcra(cps in prop::sample::select(vec![1u32, 2, 4, 5, 8, 10, 20]),
                                      gaps in proptest::collection::vec(0u64..400_000_000, 1..60)) {
        let (engine, acme, clock) = engine(cps, 0);
        let start = clock.now();
        let mut model = Gcra::new(cps);
        let mut elapsed: i128 = 0;
        for (i, gap) in gaps.iter().enumerate() {
            clock.advance(Duration::nanoseconds(*gap as i64));
            elapsed += i128::from(*gap);
            let got = engine.make_call(&acme, &MakeCallRequest::for_schedule("s", &to(i as u32)));
            match (got, model.check(elapsed)) {
                (Ok(a), Ok(())) => { a.commit(); }
                (Err(e), Err(retry)) => {
                    prop_assert_eq!(e.code(), "cps_exceeded");
                    let at = e.retry_at().expect("retry_at");
                    prop_assert_eq!(i128::from((at - start).num_nanoseconds().expect("ns")), retry);
                }
                (got, want) => prop_assert!(false, "step {}: got {:?}, model {:?}", i, got.map(|a| a.call().id.clone()), want),
            }
        }
        // Whatever happened, a retry at the advertised instant passes.
        if let Err(e) = engine.make_call(&acme, &MakeCallRequest::for_schedule("s", &to(9_999))) {
            clock.set(e.retry_at().expect("cps retry_at"));
            prop_assert!(engine.make_call(&acme, &MakeCallRequest::for_schedule("s", &to(9_998))).is_ok());
        }
    }
}
