//! Arbitrary bytes as a make_call body, decided on a small fixed world by two
//! companies.
#![no_main]

use std::sync::OnceLock;

use dialgate::{Company, FakeClock, InMemoryEngine, MakeCallRequest, Rejection, World};
use libfuzzer_sys::fuzz_target;

const WORLD: &str = r#"{
  "companies": [
    {"id": "acme", "cps_limit": 5},
    {"id": "globex", "cps_limit": 2, "default_region": "GB", "redial_window_s": 10}
  ],
  "schedules": [
    {"id": "s-a", "company_id": "acme", "lead_token": "tok-a"},
    {"id": "s-b", "company_id": "acme", "lead_token": "tok-b"},
    {"id": "s-off", "company_id": "acme", "lead_token": "tok-off", "active": false},
    {"id": "r-a", "company_id": "acme", "lead_token": "tok-r", "kind": "router", "distributions": [
      {"id": "d-off", "target_schedule_id": "s-b", "active": false, "when": []},
      {"id": "d-co", "target_schedule_id": "s-b", "when": [{"field": "state", "op": "eq", "value": "CO"}]},
      {"id": "d-in", "target_schedule_id": "s-a", "when": [{"field": "src", "op": "in", "value": [1, "2", true]}]},
      {"id": "d-ne", "target_schedule_id": "r-b", "when": [{"field": "src", "op": "ne", "value": 7}, {"field": "tag", "op": "exists"}]},
      {"id": "d-pre", "target_schedule_id": "s-off", "when": [{"field": "zip", "op": "prefix", "value": "80"}]},
      {"id": "d-not", "target_schedule_id": "s-a", "when": [{"field": "state", "op": "not_in", "value": ["TX", "NY"]}]}
    ]},
    {"id": "r-b", "company_id": "acme", "lead_token": "tok-rb", "kind": "router", "distributions": [
      {"id": "d-loop", "target_schedule_id": "r-a", "when": [{"field": "loop", "op": "eq", "value": true}]},
      {"id": "d-gone", "target_schedule_id": "s-g", "when": [{"field": "gone", "op": "exists"}]},
      {"id": "d-all", "target_schedule_id": "s-a", "when": []}
    ]},
    {"id": "s-g", "company_id": "globex", "lead_token": "tok-g"}
  ],
  "leads": [
    {"id": "lead-1", "company_id": "acme", "schedule_id": "s-a", "number": "+17195551234", "data": {"state": "CO"}},
    {"id": "lead-2", "company_id": "acme", "schedule_id": "s-a", "number": "(719) 555-1235", "status": "completed"},
    {"id": "lead-r", "company_id": "acme", "schedule_id": "r-a", "number": "7195551236", "data": {"src": 1}},
    {"id": "lead-g", "company_id": "globex", "schedule_id": "s-g", "number": "020 7183 8750"}
  ],
  "suppressions": [
    {"number": "+17195550000"},
    {"prefix": "+1900", "company_id": "acme"},
    {"number": "7195550001", "company_id": "acme", "schedule_id": "s-b", "expires_at": "2100-01-01T00:00:00Z"}
  ]
}"#;

struct Setup {
    engine: InMemoryEngine,
    companies: Vec<Company>,
    clock: FakeClock,
}

fn setup() -> &'static Setup {
    static SETUP: OnceLock<Setup> = OnceLock::new();
    SETUP.get_or_init(|| {
        let world = World::from_json(WORLD).expect("the fixed world loads");
        let mut companies: Vec<Company> = world.companies().values().cloned().collect();
        companies.sort_by(|a, b| a.id.cmp(&b.id));
        let clock = FakeClock::at("2026-11-26T15:00:00Z").expect("a time");
        let engine = world.into_engine(clock.clone());
        Setup {
            engine,
            companies,
            clock,
        }
    })
}

fuzz_target!(|body: &[u8]| {
    let s = setup();
    // Past every redial window and GCRA burst of the previous input, so each
    // input meets the same state.
    s.clock.advance(chrono::Duration::seconds(61));
    for (i, company) in s.companies.iter().enumerate() {
        let parsed = MakeCallRequest::from_json(body);
        let dry = parsed
            .as_ref()
            .map_err(Clone::clone)
            .and_then(|r| s.engine.dry_run(company, r));
        match s.engine.make_call_json(company, body) {
            Ok(admitted) => {
                let call = admitted.call().clone();
                let plan = dry.expect("admitted, so the pipeline passed");
                assert_eq!(call.to, plan.to);
                assert_eq!(call.company_id, company.id);
                assert_eq!(call.schedule_id, plan.schedule_id);
                assert_eq!(call.guards.len(), 10);
                let text = call.to.to_string();
                assert!(text.starts_with('+') && text[1..].bytes().all(|b| b.is_ascii_digit()));
                let json = call.to_json();
                assert_eq!(json["ok"], true);
                assert!(serde_json::to_string(&json).is_ok());
                if i % 2 == 0 {
                    let _ = admitted.commit();
                } else {
                    let _ = admitted.release();
                }
            }
            Err(rejection) => {
                let code = rejection.code();
                assert!(Rejection::CODES.contains(&code), "unknown code {code}");
                let json = rejection.to_json();
                assert_eq!(json["ok"], false);
                assert_eq!(json["error"]["code"], code);
                assert!(json["error"]["message"]
                    .as_str()
                    .is_some_and(|m| !m.is_empty()));
                let timed = matches!(code, "recently_dialed" | "cps_exceeded");
                assert_eq!(json["error"]["retry_at"].is_string(), timed, "{json}");
                if !matches!(
                    code,
                    "duplicate_concurrent_lead" | "recently_dialed" | "cps_exceeded"
                ) {
                    // Steps 1 to 7 decide alone: the dry run says the same.
                    assert_eq!(dry.as_ref().err(), Some(&rejection));
                }
            }
        }
    }
});
