//! Properties of the whole engine: guard order under injected faults, a
//! rejection leaves no trace, and tenants never see each other.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::Duration;
use dialgate::*;
use proptest::prelude::*;

const T0: &str = "2026-11-26T15:00:00Z";

/// Two mirrored companies: `acme` (schedules `a-*`) and `globex` (`g-*`).
fn world() -> World {
    let mut schedules = Vec::new();
    for p in ["a", "g"] {
        let company = if p == "a" { "acme" } else { "globex" };
        let router = |id: &str, active: bool| {
            serde_json::json!({"id": format!("{p}-{id}"), "company_id": company, "lead_token": format!("tok-{p}-{id}"),
                "kind": "router", "active": active,
                "distributions": [{"id": "d-go", "target_schedule_id": format!("{p}-s"),
                                   "when": [{"field": "go", "op": "eq", "value": "yes"}]}]})
        };
        schedules.push(serde_json::json!({"id": format!("{p}-s"), "company_id": company, "lead_token": format!("tok-{p}-s")}));
        schedules.push(serde_json::json!({"id": format!("{p}-s2"), "company_id": company, "lead_token": format!("tok-{p}-s2")}));
        schedules.push(router("r", true));
        schedules.push(router("p", false));
    }
    let leads = serde_json::json!([
        {"id": "a-lead", "company_id": "acme", "schedule_id": "a-s", "number": "+17195550150"},
        {"id": "g-lead", "company_id": "globex", "schedule_id": "g-s", "number": "+17195550150"}
    ]);
    let world = serde_json::json!({
        "companies": [{"id": "acme", "cps_limit": 3}, {"id": "globex", "cps_limit": 3}],
        "schedules": schedules,
        "leads": leads,
        "suppressions": [{"number": "+17195550199", "company_id": "acme"}, {"number": "+17195550199", "company_id": "globex"}]
    });
    World::from_json(&world.to_string()).expect("test world loads")
}

struct Rig {
    engine: InMemoryEngine,
    companies: HashMap<String, Company>,
    clock: FakeClock,
    admission: Arc<LocalAdmission>,
}

fn rig() -> Rig {
    let clock = FakeClock::at(T0).expect("time");
    let admission = Arc::new(LocalAdmission::new());
    let (companies, engine) = world().into_parts(clock.clone());
    let engine = engine.with_admission(admission.clone());
    Rig {
        engine,
        companies,
        clock,
        admission,
    }
}

impl Rig {
    fn company(&self, id: &str) -> Company {
        self.companies[id].clone()
    }
}

fn number(i: u8) -> String {
    format!("+1719555{:04}", 100 + u32::from(i))
}

// ---------------------------------------------------------------------------
// (a) the rejection is the earliest failing step in contract order

#[derive(Clone, Copy, Debug, Default)]
struct Faults {
    shape: bool,
    resolve: bool,
    active: bool,
    route: bool,
    number: bool,
    suppression: bool,
    concurrent: bool,
    redial: bool,
    cps: bool,
}

impl Faults {
    fn expected(self) -> Option<&'static str> {
        [
            (self.shape, "invalid_request"),
            (self.resolve, "schedule_not_found"),
            (self.active, "schedule_inactive"),
            (self.route, "no_matching_distribution"),
            (self.number, "invalid_number"),
            (self.suppression, "suppressed_contact"),
            (self.concurrent, "duplicate_concurrent_lead"),
            (self.redial, "recently_dialed"),
            (self.cps, "cps_exceeded"),
        ]
        .into_iter()
        .find(|(on, _)| *on)
        .map(|(_, code)| code)
    }
}

fn faults() -> impl Strategy<Value = Faults> {
    proptest::collection::vec(any::<bool>(), 9).prop_map(|b| Faults {
        shape: b[0],
        resolve: b[1],
        active: b[2],
        route: b[3],
        number: b[4],
        suppression: b[5],
        concurrent: b[6],
        redial: b[7],
        cps: b[8],
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn the_earliest_failing_step_decides(f in faults(), n in 0u8..40) {
        let rig = rig();
        let acme = rig.company("acme");
        let to = number(n);
        let mut held = Vec::new();

        if f.concurrent {
            held.push(rig.engine.make_call(&acme, &MakeCallRequest::for_schedule("a-s", &to)).expect("setup begin"));
        }
        if f.redial && !f.concurrent {
            rig.engine.make_call(&acme, &MakeCallRequest::for_schedule("a-s2", &to)).expect("setup dial").commit();
        }
        if f.cps {
            let mut exhausted = false;
            for i in 0..10u8 {
                match rig.engine.make_call(&acme, &MakeCallRequest::for_schedule("a-s2", &number(100 + i))) {
                    Ok(a) => { a.commit(); }
                    Err(e) => { prop_assert_eq!(e.code(), "cps_exceeded"); exhausted = true; break; }
                }
            }
            prop_assert!(exhausted);
        } else {
            rig.clock.advance(Duration::seconds(1));
        }
        if f.suppression {
            let n = rig.engine.numbers().read(&to, Region::US).expect("valid");
            rig.engine.suppressions().insert(Suppression { company_id: Some("acme".into()), ..Suppression::everywhere(SuppressionMatch::Number(n)) });
        }

        let target = if f.resolve { "nope" } else if f.active { "a-p" } else { "a-r" };
        let mut request = MakeCallRequest::for_schedule(target, if f.number { "12345" } else { &to })
            .with_data("go", if f.route { "no" } else { "yes" });
        if f.shape {
            request.lead_token = Some("tok-a-s".into());
        }
        let before = (rig.admission.redial_entries(), rig.admission.in_flight());
        match (rig.engine.make_call(&acme, &request), f.expected()) {
            (Ok(admitted), None) => {
                prop_assert_eq!(admitted.call().guards.clone(), Guard::ALL.to_vec());
                prop_assert_eq!(admitted.call().schedule_id.as_str(), "a-s");
            }
            (Err(rejection), Some(code)) => {
                prop_assert_eq!(rejection.code(), code, "{}", rejection);
                prop_assert_eq!((rig.admission.redial_entries(), rig.admission.in_flight()), before);
                prop_assert_eq!(rejection.retry_at().is_some(), matches!(code, "recently_dialed" | "cps_exceeded"));
            }
            (Ok(admitted), Some(code)) => prop_assert!(false, "admitted {:?}, expected {}", admitted.call(), code),
            (Err(rejection), None) => prop_assert!(false, "rejected: {}", rejection),
        }
        drop(held);
    }
}

// ---------------------------------------------------------------------------
// (b) a rejected request leaves no trace; (c) tenants are isolated

#[derive(Clone, Debug)]
enum Op {
    Call {
        company: u8,
        target: u8,
        number: u8,
        go: bool,
    },
    Begin {
        company: u8,
        target: u8,
        number: u8,
        go: bool,
    },
    Commit {
        company: u8,
        k: u8,
    },
    Release {
        company: u8,
        k: u8,
    },
    Advance(u16),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0u8..2, 0u8..6, 0u8..5, any::<bool>()).prop_map(|(company, target, number, go)| Op::Call { company, target, number, go }),
        2 => (0u8..2, 0u8..6, 0u8..5, any::<bool>()).prop_map(|(company, target, number, go)| Op::Begin { company, target, number, go }),
        1 => (0u8..2, any::<u8>()).prop_map(|(company, k)| Op::Commit { company, k }),
        1 => (0u8..2, any::<u8>()).prop_map(|(company, k)| Op::Release { company, k }),
        2 => (0u16..20_000).prop_map(Op::Advance),
    ]
}

/// The request an op makes, for company prefix `p`.
fn request(p: &str, target: u8, number: u8, go: bool) -> MakeCallRequest {
    let to = match number {
        4 => "+17195550199".to_owned(), // suppressed in both companies
        n => self::number(n * 10),
    };
    let req = match target {
        0 => MakeCallRequest::for_schedule(&format!("{p}-s"), &to),
        1 => MakeCallRequest::for_token(&format!("tok-{p}-s2"), &to),
        2 => MakeCallRequest::for_schedule(&format!("{p}-r"), &to),
        3 => MakeCallRequest::for_schedule(&format!("{p}-p"), &to),
        4 => MakeCallRequest::for_lead(&format!("{p}-lead")),
        _ => MakeCallRequest::for_schedule(&format!("{p}-s"), "not a number"),
    };
    req.with_data("go", if go { "yes" } else { "no" })
}

/// A decision's line without the ids that depend on how many calls the
/// engine admitted before (call ids count across companies).
fn line(outcome: &Result<Admitted, Rejection>) -> serde_json::Value {
    match outcome {
        Ok(a) => {
            let mut v = a.call().to_json();
            v["call"]["id"] = serde_json::Value::Null;
            if a.call().lead_origin == LeadOrigin::OneOff {
                v["call"]["lead_id"] = serde_json::Value::Null;
            }
            v
        }
        Err(r) => r.to_json(),
    }
}

/// Runs `ops` (only those of `only`'s company when given), returning each
/// output line tagged by op index.
fn run(
    rig: &Rig,
    ops: &[Op],
    only: Option<u8>,
    inject_at: Option<(usize, &Op)>,
) -> Result<Vec<(usize, serde_json::Value)>, ()> {
    // Open calls per company, so settling one company's never depends on
    // the other's.
    let mut open: [Vec<Admitted>; 2] = [Vec::new(), Vec::new()];
    let mut out = Vec::new();
    let company = |c: u8| {
        if c == 0 {
            ("a", rig.company("acme"))
        } else {
            ("g", rig.company("globex"))
        }
    };
    for (i, op) in ops.iter().enumerate() {
        if let Some((
            at,
            Op::Call {
                company: c,
                target,
                number,
                go,
            },
        )) = inject_at
        {
            if at == i {
                let (p, co) = company(*c);
                if rig
                    .engine
                    .make_call(&co, &request(p, *target, *number, *go))
                    .is_ok()
                {
                    return Err(()); // not a rejection: nothing to test
                }
            }
        }
        let mine = |c: &u8| only.is_none_or(|o| o == *c);
        match op {
            Op::Call {
                company: c,
                target,
                number,
                go,
            }
            | Op::Begin {
                company: c,
                target,
                number,
                go,
            } if mine(c) => {
                let (p, co) = company(*c);
                let outcome = rig
                    .engine
                    .make_call(&co, &request(p, *target, *number, *go));
                out.push((i, line(&outcome)));
                match (outcome, op) {
                    (Ok(a), Op::Begin { .. }) => open[usize::from(*c)].push(a),
                    (Ok(a), _) => {
                        a.commit();
                    }
                    (Err(_), _) => {}
                }
            }
            Op::Commit { company: c, k } | Op::Release { company: c, k } if mine(c) => {
                let list = &mut open[usize::from(*c)];
                if !list.is_empty() {
                    let a = list.remove(usize::from(*k) % list.len());
                    if matches!(op, Op::Commit { .. }) {
                        a.commit();
                    } else {
                        a.release();
                    }
                }
            }
            Op::Advance(ms) => rig.clock.advance(Duration::milliseconds(i64::from(*ms))),
            _ => {}
        }
    }
    Ok(out)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn a_rejection_leaves_no_trace(ops in proptest::collection::vec(op(), 1..40), at in any::<prop::sample::Index>(),
                                   injected in (0u8..2, 0u8..6, 0u8..5, any::<bool>())) {
        let at = at.index(ops.len());
        let (c, target, number, go) = injected;
        let extra = Op::Call { company: c, target, number, go };
        let with = rig();
        let without = rig();
        let Ok(a) = run(&with, &ops, None, Some((at, &extra))) else { return Ok(()) };
        let b = run(&without, &ops, None, None).expect("no injection");
        prop_assert_eq!(a, b);
        prop_assert_eq!(with.admission.redial_entries(), without.admission.redial_entries());
        prop_assert_eq!(with.admission.in_flight(), without.admission.in_flight());
    }

    #[test]
    fn one_company_never_sees_another(ops in proptest::collection::vec(op(), 1..40)) {
        // acme's outcomes do not depend on what globex does meanwhile.
        let together = run(&rig(), &ops, None, None).expect("runs");
        let alone = run(&rig(), &ops, Some(0), None).expect("runs");
        let acme_only: Vec<_> = together
            .into_iter()
            .filter(|(i, _)| matches!(ops[*i], Op::Call { company: 0, .. } | Op::Begin { company: 0, .. }))
            .collect();
        prop_assert_eq!(acme_only, alone);
    }

    #[test]
    fn another_companys_ids_answer_as_missing(target in 0u8..5, to in 0u8..4) {
        let rig = rig();
        let acme = rig.company("acme");
        let theirs = request("g", target, to, true);
        let missing = request("zz", target, to, true);
        let a = rig.engine.make_call(&acme, &theirs).map(|_| ()).map_err(|e| e.code());
        let b = rig.engine.make_call(&acme, &missing).map(|_| ()).map_err(|e| e.code());
        prop_assert_eq!(a, b);
        prop_assert!(a.is_err());
    }
}
