//! Arbitrary bytes as the HTTP host's bodies: a lead enrolment (parsed, then
//! enrolled on a small world), a schedule (`PUT /api/v1/schedules/{id}`) and
//! a suppression entry (`POST`/`DELETE /api/v1/suppressions`). None may
//! panic; an enrolment either stores a live lead of the company with an
//! E.164 number, answers the live lead that has it, or is refused with a
//! code; a schedule read is the caller's, with the path's id.
#![no_main]

use std::sync::OnceLock;

use dialgate::{Company, EnrolError, EnrolRequest, FakeClock, InMemoryEngine, NumberReader, World};
use libfuzzer_sys::fuzz_target;

const WORLD: &str = r#"{
  "companies": [{"id": "acme", "cps_limit": 5}, {"id": "globex", "cps_limit": 2, "default_region": "GB"}],
  "schedules": [
    {"id": "s-a", "company_id": "acme", "lead_token": "tok-a"},
    {"id": "s-off", "company_id": "acme", "lead_token": "tok-off", "active": false},
    {"id": "r-a", "company_id": "acme", "lead_token": "tok-r", "kind": "router", "distributions": [
      {"id": "d-co", "target_schedule_id": "s-a", "when": [{"field": "state", "op": "eq", "value": "CO"}]}
    ]},
    {"id": "s-g", "company_id": "globex", "lead_token": "tok-g"}
  ],
  "leads": [{"id": "lead-ann", "company_id": "acme", "schedule_id": "s-a", "number": "+17195551234"}]
}"#;

fn world() -> &'static (InMemoryEngine, Company, NumberReader) {
    static WORLD_ONCE: OnceLock<(InMemoryEngine, Company, NumberReader)> = OnceLock::new();
    WORLD_ONCE.get_or_init(|| {
        let world = World::from_json(WORLD).expect("the fuzz world loads");
        let acme = world.company("acme").expect("acme").clone();
        let engine = world.into_engine(FakeClock::at("2026-11-26T15:00:00Z").expect("time"));
        (engine, acme, NumberReader::new())
    })
}

fuzz_target!(|data: &[u8]| {
    let (engine, acme, numbers) = world();
    if let Ok(request) = EnrolRequest::from_json(data) {
        match engine.enrol(acme, &request) {
            Ok(enrolled) => {
                assert_eq!(enrolled.lead.company_id, "acme");
                assert!(enrolled.lead.status.is_live());
                assert!(enrolled.lead.number.starts_with('+'), "{}", enrolled.lead.number);
            }
            Err(EnrolError::Rejected(r)) => assert!(!r.code().is_empty()),
            Err(EnrolError::Conflict(id)) => assert!(!id.is_empty()),
        }
    }
    if let Ok(schedule) = dialgate::world::schedule_from_json("acme", "s-new", data) {
        assert_eq!((schedule.company_id.as_str(), schedule.id.as_str()), ("acme", "s-new"));
    }
    if let Ok(entry) = dialgate::world::suppression_from_json(acme, data, numbers) {
        assert_eq!(entry.company_id.as_deref(), Some("acme"));
    }
});
