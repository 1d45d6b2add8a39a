//! The live stores under a writer: decisions run on some threads while
//! another changes leads, schedules and suppressions through `&self`.
//! A decision never sees half a change, a change is seen by every decision
//! that starts after it returns, and tenants stay apart.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread;

use dialgate::{
    Company, EnrolRequest, FakeClock, InMemoryEngine, Lead, LeadChange, LeadStatus, LeadStore,
    MakeCallRequest, Scalar, Schedule, Suppression, SuppressionMatch, World, E164,
};

/// Company `acme` (and `globex`, with a schedule and lead of the same ids),
/// dialer `s-a`, live lead `lead-x` on +1 719 555 0000.
fn setup() -> (Arc<InMemoryEngine>, Company) {
    let world = World::from_json(
        r#"{"companies": [{"id": "acme", "cps_limit": 1000000}, {"id": "globex", "cps_limit": 1000000}],
            "schedules": [{"id": "s-a", "company_id": "acme", "lead_token": "tok-a"},
                          {"id": "s-g", "company_id": "globex", "lead_token": "tok-g"}],
            "leads": [{"id": "lead-x", "company_id": "acme", "schedule_id": "s-a", "number": "+17195550000",
                       "data": {"a": 1, "b": 1}}]}"#,
    )
    .expect("world");
    let acme = world.company("acme").expect("acme").clone();
    let clock = FakeClock::at("2026-11-26T15:00:00Z").expect("time");
    (Arc::new(world.into_engine(clock)), acme)
}

fn number(i: u64) -> String {
    format!("+1719{:07}", 5_560_000 + i)
}

/// Runs `decide` on two threads until `write` (on this one) returns.
fn with_deciders(decide: impl Fn() + Sync, write: impl FnOnce()) {
    let stop = AtomicBool::new(false);
    thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| {
                while !stop.load(Ordering::Relaxed) {
                    decide();
                }
            });
        }
        write();
        stop.store(true, Ordering::Relaxed);
    });
}

#[test]
fn a_decision_never_sees_half_a_lead_change() {
    let (engine, acme) = setup();
    let torn = AtomicU64::new(0);
    let seen = AtomicU64::new(0);
    with_deciders(
        || {
            // The plan's routing data is the lead's data: both keys were
            // written by one change, so they agree.
            if let Ok(plan) = engine.dry_run(&acme, &MakeCallRequest::for_lead("lead-x")) {
                seen.fetch_add(1, Ordering::Relaxed);
                if plan.data.get("a") != plan.data.get("b") {
                    torn.fetch_add(1, Ordering::Relaxed);
                }
            }
        },
        || {
            for i in 0..20_000i64 {
                let v = Scalar::Integer(i.to_string());
                let data = [("a".to_owned(), v.clone()), ("b".to_owned(), v)].into();
                let status = if i % 3 == 0 {
                    LeadStatus::Other("paused".into())
                } else {
                    LeadStatus::Live
                };
                let change = LeadChange {
                    status: Some(status),
                    data: Some(data),
                };
                assert!(engine.leads().update("acme", "lead-x", change).is_some());
            }
        },
    );
    assert_eq!(torn.load(Ordering::Relaxed), 0);
    assert!(seen.load(Ordering::Relaxed) > 0, "the deciders ran");
}

#[test]
fn a_suppression_is_seen_by_every_decision_that_starts_after_it() {
    let (engine, acme) = setup();
    // The writer suppresses number(i) and then publishes i; a decider reads
    // the published mark first, so every number up to it must be refused.
    let published = AtomicU64::new(0);
    let wrong_yes = AtomicU64::new(0);
    let checked = AtomicU64::new(0);
    with_deciders(
        || {
            let upto = published.load(Ordering::Acquire);
            if upto == 0 {
                return;
            }
            let i = checked.fetch_add(7, Ordering::Relaxed) % upto;
            let req = MakeCallRequest::for_schedule("s-a", &number(i));
            match engine.dry_run(&acme, &req) {
                Err(r) if r.code() == "suppressed_contact" => {}
                _ => {
                    wrong_yes.fetch_add(1, Ordering::Relaxed);
                }
            }
        },
        || {
            for i in 0..5_000u64 {
                let n: E164 = engine
                    .numbers()
                    .read(&number(i), dialgate::Region::US)
                    .expect("valid");
                let entry = Suppression {
                    company_id: Some("acme".into()),
                    ..Suppression::everywhere(SuppressionMatch::Number(n))
                };
                engine.suppressions().insert(entry);
                if i % 100 == 0 {
                    // A prefix entry too: the snapshot path.
                    let prefix = format!("+1{}", 200 + i / 100);
                    engine.suppressions().insert(Suppression::everywhere(
                        SuppressionMatch::prefix(&prefix).expect("prefix"),
                    ));
                }
                published.store(i + 1, Ordering::Release);
            }
        },
    );
    assert_eq!(wrong_yes.load(Ordering::Relaxed), 0);
    assert!(checked.load(Ordering::Relaxed) > 0);
    // And a removal is seen at once.
    let n = engine
        .numbers()
        .read(&number(3), dialgate::Region::US)
        .expect("valid");
    assert!(engine.suppressions().remove(&Suppression {
        company_id: Some("acme".into()),
        ..Suppression::everywhere(SuppressionMatch::Number(n))
    }));
    assert!(engine
        .dry_run(&acme, &MakeCallRequest::for_schedule("s-a", &number(3)))
        .is_ok());
}

#[test]
fn schedule_changes_are_whole_and_stay_in_their_company() {
    let (engine, acme) = setup();
    let wrong = AtomicU64::new(0);
    with_deciders(
        || {
            // Either the schedule as written (active dialer) or inactive;
            // never another company's, never half of one.
            match engine.dry_run(&acme, &MakeCallRequest::for_token("tok-a", &number(1))) {
                Ok(plan) if plan.schedule_id == "s-a" && plan.company_id == "acme" => {}
                Err(r) if r.code() == "schedule_inactive" || r.code() == "schedule_not_found" => {}
                _ => {
                    wrong.fetch_add(1, Ordering::Relaxed);
                }
            }
            // globex's token never resolves for acme.
            if engine
                .dry_run(&acme, &MakeCallRequest::for_token("tok-g", &number(1)))
                .map_or_else(|r| r.code() != "schedule_not_found", |_| true)
            {
                wrong.fetch_add(1, Ordering::Relaxed);
            }
        },
        || {
            for i in 0..2_000 {
                let s = Schedule {
                    active: i % 2 == 0,
                    ..Schedule::dialer("s-a", "acme", "tok-a")
                };
                engine.schedules().put(s).expect("its own token");
                let g = Schedule {
                    active: i % 2 == 1,
                    ..Schedule::dialer("s-g", "globex", "tok-g")
                };
                engine.schedules().put(g).expect("its own token");
                if i % 10 == 0 {
                    engine.schedules().remove("acme", "s-a");
                }
            }
        },
    );
    assert_eq!(wrong.load(Ordering::Relaxed), 0);
}

#[test]
fn racing_enrolments_of_one_number_store_one_lead() {
    let (engine, acme) = setup();
    let outcomes: Vec<(String, bool)> = thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|t| {
                let (engine, acme) = (&engine, &acme);
                s.spawn(move || {
                    let body = format!(
                        r#"{{"schedule_id": "s-a", "number": "(719) 555-0199", "id": "new-{t}"}}"#
                    );
                    let r = EnrolRequest::from_json(body.as_bytes()).expect("body");
                    let e = engine.enrol(acme, &r).expect("enrolled");
                    (e.lead.id, e.created)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("thread"))
            .collect()
    });
    let created: Vec<_> = outcomes.iter().filter(|(_, c)| *c).collect();
    assert_eq!(created.len(), 1, "{outcomes:?}");
    let winner = &created[0].0;
    assert!(outcomes.iter().all(|(id, _)| id == winner), "{outcomes:?}");
    // The next decision for the number reuses it.
    let call = engine
        .make_call(&acme, &MakeCallRequest::for_schedule("s-a", "+17195550199"))
        .expect("admitted");
    assert_eq!(&call.call().lead_id, winner);
}

#[test]
fn leads_written_while_deciding_are_reused_by_later_decisions_and_stay_in_their_company() {
    let (engine, acme) = setup();
    let published = AtomicU64::new(0);
    let wrong = AtomicU64::new(0);
    let checked = AtomicU64::new(0);
    with_deciders(
        || {
            let upto = published.load(Ordering::Acquire);
            if upto == 0 {
                return;
            }
            let i = checked.fetch_add(3, Ordering::Relaxed) % upto;
            // acme's lead-{i} is found on the lead path, with acme's number
            // (globex has a lead of the same id on another number).
            match engine.dry_run(&acme, &MakeCallRequest::for_lead(&format!("lead-{i}"))) {
                Ok(plan) if plan.to.to_string() == number(i) && plan.company_id == "acme" => {}
                _ => {
                    wrong.fetch_add(1, Ordering::Relaxed);
                }
            }
        },
        || {
            let reader = engine.numbers().clone();
            for i in 0..5_000u64 {
                let other = Lead::live(&format!("lead-{i}"), "globex", "s-g", &number(i + 100_000));
                engine
                    .leads()
                    .insert(other, dialgate::Region::US, &reader)
                    .expect("new");
                let lead = Lead::live(&format!("lead-{i}"), "acme", "s-a", &number(i));
                engine
                    .leads()
                    .insert(lead, dialgate::Region::US, &reader)
                    .expect("new");
                published.store(i + 1, Ordering::Release);
            }
        },
    );
    assert_eq!(wrong.load(Ordering::Relaxed), 0);
    assert!(checked.load(Ordering::Relaxed) > 0);
    assert!(engine
        .leads()
        .lead("globex", "lead-0")
        .expect("answers")
        .is_some());
}

#[test]
fn committed_one_off_leads_are_stored_by_the_engine() {
    let world = World::from_json(
        r#"{"companies": [{"id": "acme", "cps_limit": 100}],
            "schedules": [{"id": "s-a", "company_id": "acme", "lead_token": "tok-a"}]}"#,
    )
    .expect("world");
    let acme = world.company("acme").expect("acme").clone();
    let clock = FakeClock::at("2026-11-26T15:00:00Z").expect("time");
    let engine = world.into_engine(clock).with_one_off_leads_stored();
    let req = MakeCallRequest::for_schedule("s-a", "+17195557777");
    let released = engine.make_call(&acme, &req).expect("admitted").release();
    assert!(
        engine
            .leads()
            .lead("acme", &released.lead_id)
            .expect("answers")
            .is_none(),
        "a released call stores nothing"
    );
    let done = engine.make_call(&acme, &req).expect("admitted").commit();
    let stored = engine
        .leads()
        .lead("acme", &done.call.lead_id)
        .expect("answers")
        .expect("stored");
    assert_eq!(stored.status, LeadStatus::OneOff);
    assert_eq!(stored.number, "+17195557777");
    // Never reused by number: the next call on it is a new one-off lead.
    assert!(engine
        .leads()
        .live_lead("acme", "s-a", E164::from_digits(17195557777).expect("e164"))
        .expect("answers")
        .is_none());
}
