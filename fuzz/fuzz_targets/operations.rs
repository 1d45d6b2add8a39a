//! Sequences of decisions, commits, releases, drops and clock steps on a small
//! world, checked step by step against an exact model of the contract's
//! admission (steps 8 to 10) and its lifecycle.
#![no_main]

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use arbitrary::Arbitrary;
use dialgate::{
    Admitted, Company, FakeClock, InMemoryEngine, LeadOrigin, LocalAdmission, MakeCallRequest,
    Rejection, World,
};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Target {
    Lead(u8),
    Schedule(u8),
    Token(u8),
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Op {
    /// Decide and, if admitted, commit at once (storing a one-off lead as the
    /// host does).
    MakeCall {
        company: u8,
        target: Target,
        number: u8,
        co: bool,
    },
    /// Decide and hold the admitted call open.
    Begin {
        company: u8,
        target: Target,
        number: u8,
        co: bool,
    },
    Commit(u8),
    Release(u8),
    Drop(u8),
    /// Milliseconds.
    Advance(u16),
    /// Nanoseconds, to meet the GCRA's edges exactly.
    AdvanceNanos(u16),
}

const WORLD: &str = r#"{
  "companies": [
    {"id": "acme", "cps_limit": 3},
    {"id": "globex", "cps_limit": 2, "redial_window_s": 1},
    {"id": "initech", "cps_limit": 1, "redial_window_s": 0}
  ],
  "schedules": [
    {"id": "s-a", "company_id": "acme", "lead_token": "tok-a"},
    {"id": "s-b", "company_id": "acme", "lead_token": "tok-b"},
    {"id": "s-off", "company_id": "acme", "lead_token": "tok-off", "active": false},
    {"id": "r-a", "company_id": "acme", "lead_token": "tok-r", "kind": "router", "distributions": [
      {"id": "d-co", "target_schedule_id": "s-b", "when": [{"field": "state", "op": "eq", "value": "CO"}]},
      {"id": "d-all", "target_schedule_id": "s-a", "when": []}
    ]},
    {"id": "s-g", "company_id": "globex", "lead_token": "tok-g"},
    {"id": "s-i", "company_id": "initech", "lead_token": "tok-i"}
  ],
  "leads": [
    {"id": "lead-1", "company_id": "acme", "schedule_id": "s-a", "number": "+17195551234"},
    {"id": "lead-2", "company_id": "acme", "schedule_id": "s-a", "number": "(719) 555-1235", "status": "completed"},
    {"id": "lead-3", "company_id": "acme", "schedule_id": "s-b", "number": "719-555-1236"},
    {"id": "lead-r", "company_id": "acme", "schedule_id": "r-a", "number": "+1 303 555 0188", "data": {"state": "CO"}},
    {"id": "lead-g", "company_id": "globex", "schedule_id": "s-g", "number": "+17195551234"},
    {"id": "lead-i", "company_id": "initech", "schedule_id": "s-i", "number": "+1 719 555 1237"}
  ],
  "suppressions": [
    {"number": "+17195550000", "company_id": "acme"}
  ]
}"#;

/// The live leads of the world: (company, schedule, E.164 digits).
const LIVE: [(&str, &str, u64); 5] = [
    ("acme", "s-a", 17195551234),
    ("acme", "s-b", 17195551236),
    ("acme", "r-a", 13035550188),
    ("globex", "s-g", 17195551234),
    ("initech", "s-i", 17195551237),
];

const NUMBERS: [&str; 8] = [
    "+17195551234",
    "(719) 555-1235",
    "719-555-1236",
    "+1 719 555 1237",
    "＋１ ７１９ ５５５ １２３４",
    "+17195550000",
    "12345",
    "+1 (303) 555-0188",
];

const SCHEDULES: [&str; 7] = ["s-a", "s-b", "r-a", "s-off", "s-g", "s-i", "nope"];
const TOKENS: [&str; 7] = [
    "tok-a", "tok-b", "tok-r", "tok-off", "tok-g", "tok-i", "tok-nope",
];
const NS: i128 = 1_000_000_000;

fn pick<'a>(items: &[&'a str], i: u8) -> &'a str {
    items[usize::from(i) % items.len()]
}

#[derive(Debug, Clone)]
struct Dial {
    company: String,
    number: u64,
    at: i64,
    claim: u64,
    released: bool,
}

/// The contract's admission, exactly: rational GCRA arithmetic (times scaled
/// by cps_limit so 1/cps_limit s is a whole number), a list of admitted dials,
/// the in-flight one-off leads.
#[derive(Debug, Default)]
struct Model {
    now: i64,
    /// Company -> TAT in nanoseconds times cps_limit.
    tat: HashMap<String, i128>,
    dials: Vec<Dial>,
    /// (company, dialing schedule, number) -> claim.
    in_flight: HashMap<(String, String, u64), u64>,
}

#[derive(Debug, PartialEq, Eq)]
enum Verdict {
    Admit,
    Duplicate,
    Recently(i64),
    Cps(i64),
}

impl Model {
    fn window_ns(company: &Company) -> i64 {
        i64::from(company.redial_window_s) * 1_000_000_000
    }

    fn blocking(&self, company: &Company, number: u64) -> Option<&Dial> {
        let w = Self::window_ns(company);
        self.dials
            .iter()
            .filter(|d| {
                !d.released && d.company == company.id && d.number == number && d.at + w > self.now
            })
            .max_by_key(|d| d.at)
    }

    fn verdict(&self, company: &Company, schedule: &str, number: u64, one_off: bool) -> Verdict {
        if one_off
            && self
                .in_flight
                .contains_key(&(company.id.clone(), schedule.to_owned(), number))
        {
            return Verdict::Duplicate;
        }
        if let Some(d) = self.blocking(company, number) {
            return Verdict::Recently(d.at + Self::window_ns(company));
        }
        let c = i128::from(company.cps_limit.get());
        let t = i128::from(self.now) * c;
        let tat = self.tat.get(&company.id).copied().unwrap_or(t);
        let tau = (c - 1) * NS;
        if tat.max(t) - t > tau {
            // retry_at = TAT - tau, the first whole nanosecond at or after it.
            let retry = (tat - tau + c - 1).div_euclid(c);
            return Verdict::Cps(i64::try_from(retry).expect("in range"));
        }
        Verdict::Admit
    }

    fn admit(&mut self, company: &Company, schedule: &str, number: u64, one_off: bool, claim: u64) {
        let c = i128::from(company.cps_limit.get());
        let t = i128::from(self.now) * c;
        let tat = self.tat.get(&company.id).copied().unwrap_or(t).max(t);
        self.tat.insert(company.id.clone(), tat + NS);
        self.dials.push(Dial {
            company: company.id.clone(),
            number,
            at: self.now,
            claim,
            released: false,
        });
        if one_off {
            self.in_flight
                .insert((company.id.clone(), schedule.to_owned(), number), claim);
        }
    }

    fn commit(&mut self, claim: u64) {
        self.in_flight.retain(|_, c| *c != claim);
    }

    fn release(&mut self, claim: u64) {
        self.in_flight.retain(|_, c| *c != claim);
        for d in &mut self.dials {
            if d.claim == claim {
                d.released = true;
            }
        }
    }

    /// Bounds on `redial_entries()`: at least every number blocked now, at
    /// most every unreleased dial (expired ones may be swept; a number
    /// dialled again after its window holds two dials until the old one is
    /// swept, so the bound counts dials, not numbers).
    fn redial_bounds(&self, companies: &[Company]) -> (usize, usize) {
        let mut live = HashSet::new();
        let mut any = 0;
        for d in self.dials.iter().filter(|d| !d.released) {
            any += 1;
            let company = companies
                .iter()
                .find(|c| c.id == d.company)
                .expect("known company");
            if d.at + Self::window_ns(company) > self.now {
                live.insert((d.company.clone(), d.number));
            }
        }
        (live.len(), any)
    }
}

struct Held {
    admitted: Admitted,
    claim: u64,
}

fn rfc_ns(t: chrono::DateTime<chrono::Utc>) -> i64 {
    t.timestamp_nanos_opt().expect("in range")
}

fn decide(
    engine: &mut InMemoryEngine,
    admission: &LocalAdmission,
    model: &mut Model,
    companies: &[Company],
    lead_ids: &mut Vec<String>,
    (company, target, number, co): (u8, Target, u8, bool),
    hold: bool,
) -> Option<Held> {
    let company = &companies[usize::from(company) % companies.len()];
    let mut request = match target {
        Target::Lead(i) => MakeCallRequest::for_lead(&lead_ids[usize::from(i) % lead_ids.len()]),
        Target::Schedule(i) => {
            MakeCallRequest::for_schedule(pick(&SCHEDULES, i), pick(&NUMBERS, number))
        }
        Target::Token(i) => MakeCallRequest::for_token(pick(&TOKENS, i), pick(&NUMBERS, number)),
    };
    if co {
        request = request.with_data("state", "CO");
    }
    let before = (admission.redial_entries(), admission.in_flight());
    let plan = engine.dry_run(company, &request);
    let decided = engine.make_call(company, &request);
    let plan = match plan {
        Err(rejection) => {
            assert_eq!(
                decided.as_ref().err(),
                Some(&rejection),
                "the pipeline decides alone"
            );
            assert_eq!(before, (admission.redial_entries(), admission.in_flight()));
            return None;
        }
        Ok(plan) => plan,
    };
    if request.lead_id.is_none() {
        let live = LIVE
            .iter()
            .any(|&(c, s, n)| c == company.id && s == plan.schedule_id && n == plan.to.digits());
        assert_eq!(
            plan.lead_origin == LeadOrigin::Existing,
            live,
            "lead reuse for {request:?}: {plan:?}"
        );
    }
    let one_off = plan.lead_origin == LeadOrigin::OneOff;
    let expected = model.verdict(company, &plan.schedule_id, plan.to.digits(), one_off);
    match decided {
        Ok(admitted) => {
            match &expected {
                Verdict::Admit => {}
                Verdict::Recently(_) => panic!(
                    "two admitted dials of {} for {} inside the redial window at {}",
                    plan.to, company.id, model.now
                ),
                Verdict::Cps(_) => {
                    panic!("{} admitted beyond its GCRA at {}", company.id, model.now)
                }
                Verdict::Duplicate => panic!("two one-off leads for {} in flight", plan.to),
            }
            let claim = admitted.claim().id;
            assert_eq!(admitted.call().to, plan.to);
            assert_eq!(rfc_ns(admitted.call().placed_at), model.now);
            model.admit(company, &plan.schedule_id, plan.to.digits(), one_off, claim);
            if hold {
                return Some(Held { admitted, claim });
            }
            let done = admitted.commit();
            model.commit(claim);
            if let Some(lead) = done.one_off_lead {
                lead_ids.push(lead.id.clone());
                let reader = engine.numbers().clone();
                engine
                    .leads()
                    .insert(lead, company.default_region, &reader)
                    .expect("a fresh one-off lead id");
            }
            None
        }
        Err(rejection) => {
            let got = match rejection.code() {
                "duplicate_concurrent_lead" => Verdict::Duplicate,
                "recently_dialed" => {
                    Verdict::Recently(rfc_ns(rejection.retry_at().expect("retry_at")))
                }
                "cps_exceeded" => Verdict::Cps(rfc_ns(rejection.retry_at().expect("retry_at"))),
                other => panic!("admission refused with {other}: {rejection}"),
            };
            assert_eq!(
                got, expected,
                "{} at {}: {rejection}",
                company.id, model.now
            );
            // A refusal leaves no trace: same state, and the same request
            // meets the same refusal.
            assert_eq!(before, (admission.redial_entries(), admission.in_flight()));
            let again: Result<_, Rejection> = engine.make_call(company, &request).map(|_| ());
            assert_eq!(again, Err(rejection));
            assert_eq!(before, (admission.redial_entries(), admission.in_flight()));
            None
        }
    }
}

fuzz_target!(|ops: Vec<Op>| {
    let world = World::from_json(WORLD).expect("the fixed world loads");
    let mut companies: Vec<Company> = world.companies().values().cloned().collect();
    companies.sort_by(|a, b| a.id.cmp(&b.id));
    let clock = FakeClock::at("2026-11-26T15:00:00Z").expect("a time");
    let admission = Arc::new(LocalAdmission::new());
    let mut engine = world
        .into_engine(clock.clone())
        .with_admission(admission.clone());
    let mut model = Model {
        now: rfc_ns(dialgate::Clock::now(&clock)),
        ..Model::default()
    };
    let mut lead_ids: Vec<String> = [
        "lead-1", "lead-2", "lead-3", "lead-r", "lead-g", "lead-i", "nope",
    ]
    .map(String::from)
    .to_vec();
    let mut held: Vec<Held> = Vec::new();

    for op in ops.into_iter().take(512) {
        match op {
            Op::MakeCall {
                company,
                target,
                number,
                co,
            } => {
                let none = decide(
                    &mut engine,
                    &admission,
                    &mut model,
                    &companies,
                    &mut lead_ids,
                    (company, target, number, co),
                    false,
                );
                assert!(none.is_none());
            }
            Op::Begin {
                company,
                target,
                number,
                co,
            } => {
                if let Some(h) = decide(
                    &mut engine,
                    &admission,
                    &mut model,
                    &companies,
                    &mut lead_ids,
                    (company, target, number, co),
                    true,
                ) {
                    held.push(h);
                }
            }
            Op::Commit(i) | Op::Release(i) | Op::Drop(i) => {
                if held.is_empty() {
                    continue;
                }
                let h = held.swap_remove(usize::from(i) % held.len());
                match op {
                    Op::Commit(_) => {
                        let _ = h.admitted.commit();
                        model.commit(h.claim);
                    }
                    Op::Release(_) => {
                        let _ = h.admitted.release();
                        model.release(h.claim);
                    }
                    _ => {
                        drop(h.admitted);
                        model.release(h.claim);
                    }
                }
            }
            Op::Advance(ms) => {
                clock.advance(chrono::Duration::milliseconds(i64::from(ms)));
                model.now += i64::from(ms) * 1_000_000;
            }
            Op::AdvanceNanos(ns) => {
                clock.advance(chrono::Duration::nanoseconds(i64::from(ns)));
                model.now += i64::from(ns);
            }
        }
        assert_eq!(
            admission.in_flight(),
            model.in_flight.len(),
            "in-flight one-off leads"
        );
        let (low, high) = model.redial_bounds(&companies);
        let entries = admission.redial_entries();
        assert!(
            low <= entries && entries <= high,
            "redial entries {entries} outside [{low}, {high}]"
        );
    }
    for h in held.drain(..) {
        drop(h.admitted);
        model.release(h.claim);
    }
    assert_eq!(admission.in_flight(), 0, "a claim outlived every holder");
});
