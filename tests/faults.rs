//! Failures fail closed (contract v2): a store or admission state that
//! cannot answer makes the decision `unavailable` at the step that needed it,
//! never admitted, and leaves no trace; commit and release failures reach
//! the caller.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use dialgate::*;

/// Which lookups and admission calls fail now.
#[derive(Debug, Default)]
struct Faults {
    lead: AtomicBool,
    live_lead: AtomicBool,
    schedule: AtomicBool,
    schedule_by_token: AtomicBool,
    suppression: AtomicBool,
    admit: AtomicBool,
    commit: AtomicBool,
    release: AtomicBool,
}

fn on(flag: &AtomicBool) -> bool {
    flag.load(Ordering::SeqCst)
}

fn down() -> StoreUnavailable {
    StoreUnavailable::new("connection reset")
}

/// Wraps an in-memory store; fails the lookups whose flag is set.
#[derive(Debug)]
struct Flaky<T> {
    inner: T,
    faults: Arc<Faults>,
}

impl LeadStore for Flaky<InMemoryLeadStore> {
    fn lead(&self, company_id: &str, lead_id: &str) -> Lookup<'_, Lead> {
        if on(&self.faults.lead) {
            return Err(down());
        }
        self.inner.lead(company_id, lead_id)
    }
    fn live_lead(&self, company_id: &str, schedule_id: &str, number: E164) -> Lookup<'_, Lead> {
        if on(&self.faults.live_lead) {
            return Err(down());
        }
        self.inner.live_lead(company_id, schedule_id, number)
    }
}

impl ScheduleStore for Flaky<InMemoryScheduleStore> {
    fn schedule(&self, company_id: &str, schedule_id: &str) -> Lookup<'_, Schedule> {
        if on(&self.faults.schedule) {
            return Err(down());
        }
        self.inner.schedule(company_id, schedule_id)
    }
    fn schedule_by_token(&self, company_id: &str, lead_token: &str) -> Lookup<'_, Schedule> {
        if on(&self.faults.schedule_by_token) {
            return Err(down());
        }
        self.inner.schedule_by_token(company_id, lead_token)
    }
}

impl SuppressionList for Flaky<InMemorySuppressionList> {
    fn find(
        &self,
        number: E164,
        company_id: &str,
        schedule_ids: &[&str],
        now: DateTime<Utc>,
    ) -> Lookup<'_, Suppression> {
        if on(&self.faults.suppression) {
            return Err(down());
        }
        self.inner.find(number, company_id, schedule_ids, now)
    }
}

/// In-process admission that fails on command.
#[derive(Debug)]
struct FlakyAdmission {
    inner: LocalAdmission,
    faults: Arc<Faults>,
}

impl Admission for FlakyAdmission {
    fn admit(&self, request: &AdmissionRequest<'_>) -> Result<Claim, Rejection> {
        if on(&self.faults.admit) {
            return Err(Rejection::Unavailable {
                guard: Guard::ConcurrentLead,
                part: "admission".into(),
                reason: "timeout".into(),
            });
        }
        self.inner.admit(request)
    }
    fn commit(&self, claim: &Claim) -> Result<(), StoreUnavailable> {
        if on(&self.faults.commit) {
            return Err(down());
        }
        self.inner.commit(claim)
    }
    fn release(&self, claim: &Claim) -> Result<(), StoreUnavailable> {
        if on(&self.faults.release) {
            return Err(down());
        }
        self.inner.release(claim)
    }
}

type FlakyEngine =
    Engine<Flaky<InMemoryLeadStore>, Flaky<InMemoryScheduleStore>, Flaky<InMemorySuppressionList>>;

/// acme: dialer `sch-solar` (token `tok-solar`), router `sch-r` (token
/// `tok-r`) to it, lead `lead-ann` on the dialer; nothing suppressed.
fn setup() -> (FlakyEngine, Company, Arc<Faults>) {
    let reader = NumberReader::new();
    let schedules = InMemoryScheduleStore::new();
    schedules
        .insert(Schedule::dialer("sch-solar", "acme", "tok-solar"))
        .unwrap();
    schedules
        .insert(Schedule::router(
            "sch-r",
            "acme",
            "tok-r",
            vec![Distribution::catch_all("d", "sch-solar")],
        ))
        .unwrap();
    let leads = InMemoryLeadStore::new();
    leads
        .insert(
            Lead::live("lead-ann", "acme", "sch-solar", "+17195551234"),
            Region::US,
            &reader,
        )
        .unwrap();
    let faults = Arc::new(Faults::default());
    let wrap = |inner| Flaky {
        inner,
        faults: faults.clone(),
    };
    let engine = Engine::new(
        Flaky {
            inner: leads,
            faults: faults.clone(),
        },
        wrap(schedules),
        Flaky {
            inner: InMemorySuppressionList::new(),
            faults: faults.clone(),
        },
        FakeClock::at("2026-11-26T15:00:00Z").unwrap(),
    )
    .with_admission(Arc::new(FlakyAdmission {
        inner: LocalAdmission::new(),
        faults: faults.clone(),
    }));
    (engine, Company::new("acme", 1).unwrap(), faults)
}

/// Each fault, a request that needs that lookup, the part named and the step.
fn cases(f: &Faults) -> Vec<(&AtomicBool, MakeCallRequest, &'static str, Guard)> {
    vec![
        (
            &f.lead,
            MakeCallRequest::for_lead("lead-ann"),
            "lead store",
            Guard::Resolve,
        ),
        (
            &f.schedule,
            MakeCallRequest::for_lead("lead-ann"),
            "schedule store",
            Guard::Resolve,
        ),
        (
            &f.schedule_by_token,
            MakeCallRequest::for_token("tok-solar", "+17195557777"),
            "schedule store",
            Guard::Resolve,
        ),
        // The router resolves by token; its target is read by id.
        (
            &f.schedule,
            MakeCallRequest::for_token("tok-r", "+17195557777"),
            "schedule store",
            Guard::Route,
        ),
        (
            &f.live_lead,
            MakeCallRequest::for_token("tok-solar", "+17195557777"),
            "lead store",
            Guard::Lead,
        ),
        (
            &f.suppression,
            MakeCallRequest::for_lead("lead-ann"),
            "suppression list",
            Guard::Suppression,
        ),
        (
            &f.admit,
            MakeCallRequest::for_token("tok-solar", "+17195557777"),
            "admission",
            Guard::ConcurrentLead,
        ),
    ]
}

#[test]
fn every_failure_is_unavailable_at_its_step_and_leaves_no_trace() {
    let probe = Faults::default();
    for i in 0..cases(&probe).len() {
        // A fresh engine each time, cps 1: a claim left behind by the failed
        // decision would refuse the next one (cps, redial or concurrent lead).
        let (engine, acme, faults) = setup();
        let (flag, request, part, guard) = cases(&faults).swap_remove(i);
        flag.store(true, Ordering::SeqCst);
        for _ in 0..3 {
            let err = engine.make_call(&acme, &request).unwrap_err();
            assert_eq!(err.code(), "unavailable", "case {i}: {err}");
            assert_eq!(err.guard(), guard, "case {i}");
            match &err {
                Rejection::Unavailable { part: got, .. } => assert_eq!(got, part, "case {i}"),
                other => panic!("case {i}: {other:?}"),
            }
            assert!(err.to_string().starts_with(part), "case {i}: {err}");
            assert!(err.retry_at().is_none());
            assert_eq!(err.to_json()["error"]["code"], "unavailable");
            if part != "admission" {
                assert_eq!(
                    engine.dry_run(&acme, &request).unwrap_err(),
                    err,
                    "case {i}"
                );
            }
        }
        flag.store(false, Ordering::SeqCst);
        let admitted = engine
            .make_call(&acme, &request)
            .unwrap_or_else(|e| panic!("case {i}: the failures left a trace: {e}"));
        assert_eq!(admitted.call().guards, Guard::ALL);
        admitted.commit();
    }
}

#[test]
fn a_failure_never_admits_even_when_the_answer_would_be_no() {
    // Suppressed number and a down list: still unavailable, not a yes; and
    // with the list back, suppressed.
    let (engine, acme, faults) = setup();
    engine.suppressions().inner.insert(Suppression::everywhere(
        SuppressionMatch::prefix("+1719555").unwrap(),
    ));
    faults.suppression.store(true, Ordering::SeqCst);
    let req = MakeCallRequest::for_lead("lead-ann");
    assert_eq!(
        engine.make_call(&acme, &req).unwrap_err().code(),
        "unavailable"
    );
    faults.suppression.store(false, Ordering::SeqCst);
    assert_eq!(
        engine.make_call(&acme, &req).unwrap_err().code(),
        "suppressed_contact"
    );
}

#[test]
fn commit_and_release_failures_reach_the_caller() {
    let (engine, _, faults) = setup();
    let acme = Company::new("acme", 50).unwrap();
    let req = MakeCallRequest::for_token("tok-solar", "+17195557777");

    faults.commit.store(true, Ordering::SeqCst);
    let admitted = engine.make_call(&acme, &req).unwrap();
    let id = admitted.call().id.clone();
    let err = admitted.try_commit().unwrap_err();
    assert_eq!(err.error, down());
    assert_eq!(err.settled.call.id, id, "the record comes back anyway");
    assert_eq!(err.settled.one_off_lead.unwrap().status, LeadStatus::OneOff);
    faults.commit.store(false, Ordering::SeqCst);

    // The failed commit left the one-off in flight: a wrong no, never a yes.
    assert_eq!(
        engine.make_call(&acme, &req).unwrap_err().code(),
        "duplicate_concurrent_lead"
    );

    faults.release.store(true, Ordering::SeqCst);
    let other = MakeCallRequest::for_lead("lead-ann");
    let admitted = engine.make_call(&acme, &other).unwrap();
    let err = admitted.try_release().unwrap_err();
    assert_eq!(err.error, down());
    assert_eq!(err.settled.lead_id, "lead-ann");
    faults.release.store(false, Ordering::SeqCst);
    // The failed release left the redial claim: a wrong no, never a yes.
    assert_eq!(
        engine.make_call(&acme, &other).unwrap_err().code(),
        "recently_dialed"
    );

    // With admission back, try_commit answers Ok.
    let (engine, acme, _faults) = setup();
    let done = engine.make_call(&acme, &req).unwrap().try_commit().unwrap();
    assert_eq!(done.call.to.to_string(), "+17195557777");
}

#[test]
fn the_host_prints_an_error_line_for_a_failed_commit_or_release() {
    let faults = Arc::new(Faults::default());
    let world = World::from_json(
        r#"{"companies": [{"id": "acme", "cps_limit": 50}],
            "schedules": [{"id": "s", "company_id": "acme", "lead_token": "t"}]}"#,
    )
    .unwrap();
    let mut host = host::Host::new(world).with_admission(Arc::new(FlakyAdmission {
        inner: LocalAdmission::new(),
        faults: faults.clone(),
    }));
    let step = |n: u32| {
        format!(
            r#"{{"at": "2026-11-26T15:00:00Z", "company_id": "acme", "label": "c{n}", "begin": {{"schedule_id": "s", "to": "+1719555{n:04}"}}}}"#
        )
    };
    faults.commit.store(true, Ordering::SeqCst);
    faults.release.store(true, Ordering::SeqCst);
    assert_eq!(host.step_json(&step(1)).unwrap()["ok"], true);
    assert_eq!(host.step_json(&step(2)).unwrap()["ok"], true);
    let out = host
        .step_json(r#"{"at": "2026-11-26T15:00:01Z", "commit": "c1"}"#)
        .unwrap();
    assert_eq!(out["ok"], false, "{out}");
    assert_eq!(out["error"]["code"], "unavailable");
    let out = host
        .step_json(r#"{"at": "2026-11-26T15:00:01Z", "release": "c2"}"#)
        .unwrap();
    assert_eq!(out["error"]["code"], "unavailable", "{out}");
    // make_call commits at once: its line reports the failed commit.
    let out = host
        .step_json(r#"{"at": "2026-11-26T15:00:02Z", "company_id": "acme", "make_call": {"schedule_id": "s", "to": "+17195550003"}}"#)
        .unwrap();
    assert_eq!(out["error"]["code"], "unavailable", "{out}");
    faults.commit.store(false, Ordering::SeqCst);
    let out = host
        .step_json(r#"{"at": "2026-11-26T15:00:03Z", "company_id": "acme", "make_call": {"schedule_id": "s", "to": "+17195550004"}}"#)
        .unwrap();
    assert_eq!(out["ok"], true, "{out}");
}
