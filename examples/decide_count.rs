//! Instructions per decision under callgrind: builds a small world, then
//! decides ITERS requests of one path (dry runs). Run it with ITERS 0 and
//! ITERS N and divide the difference by N.
use dialgate::*;
use std::hint::black_box;

/// A clock that moves 1 ms a reading, so make_call's redial window and
/// rate limit keep admitting fresh numbers.
#[derive(Debug)]
struct Ticking(std::sync::atomic::AtomicI64);

impl Clock for Ticking {
    fn now(&self) -> chrono::DateTime<chrono::Utc> {
        let t = self
            .0
            .fetch_add(1_000_000, std::sync::atomic::Ordering::Relaxed);
        chrono::DateTime::from_timestamp_nanos(t)
    }
}

fn number(i: u64) -> String {
    format!("+1719{:07}", 2_000_000 + i)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let path = args.get(1).map(String::as_str).unwrap_or("one_off");
    let iters: u64 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(1000);
    let n = 20_000u64;
    let mut leads = Vec::new();
    for i in 0..n {
        leads.push(format!(r#"{{"id": "lead-{i:07}", "company_id": "acme", "schedule_id": "sch-solar", "number": "{}", "data": {{"first_name": "Ann", "state": "CO"}}}}"#, number(i)));
    }
    let mut sups = Vec::new();
    for i in 0..n {
        sups.push(format!(
            r#"{{"number": "{}", "company_id": "acme"}}"#,
            number(3 * n + i)
        ));
    }
    sups.push(r#"{"prefix": "+1900"}"#.to_owned());
    let world = format!(
        r#"{{"companies": [{{"id": "acme", "cps_limit": 1000000}}],
            "schedules": [{{"id": "sch-solar", "company_id": "acme", "lead_token": "tok-solar"}},
                          {{"id": "sch-ca", "company_id": "acme", "lead_token": "tok-ca"}},
                          {{"id": "sch-router", "company_id": "acme", "lead_token": "tok-r", "kind": "router",
                            "distributions": [{{"id": "d-ca", "target_schedule_id": "sch-ca", "when": [{{"field": "state", "op": "eq", "value": "CA"}}]}},
                                              {{"id": "d-all", "target_schedule_id": "sch-solar", "when": []}}]}}],
            "leads": [{}], "suppressions": [{}]}}"#,
        leads.join(","),
        sups.join(",")
    );
    let world = World::from_json(&world).expect("world");
    let acme = world.company("acme").expect("acme").clone();
    let start = timefmt::parse("2026-11-26T15:00:00Z").expect("time");
    let engine = world.into_engine(Ticking(
        start.timestamp_nanos_opt().expect("in range").into(),
    ));
    let mut bad = 0;
    for k in 0..iters {
        let i = (k * 7919) % n;
        let req = match path {
            "lead_id" => MakeCallRequest::for_lead(&format!("lead-{i:07}")),
            "reuse" => MakeCallRequest::for_schedule("sch-solar", &number(i)),
            "one_off" => MakeCallRequest::for_schedule("sch-solar", &number(n + i)),
            "router" => {
                let mut r = MakeCallRequest::for_token("tok-r", &number(n + i));
                r.data.insert("state".into(), Scalar::String("NY".into()));
                r
            }
            _ => MakeCallRequest::for_schedule("sch-solar", &number(3 * n + i)),
        };
        if path == "make_call" {
            let req = MakeCallRequest::for_schedule("sch-solar", &number(4 * n + k));
            match engine.make_call(&acme, &req) {
                Ok(admitted) => {
                    black_box(admitted.commit());
                }
                Err(_) => bad += 1,
            }
            continue;
        }
        let out = engine.dry_run(&acme, &req);
        if out.is_err() != (path == "suppressed") {
            bad += 1;
        }
        black_box(out.ok());
    }
    assert_eq!(bad, 0, "unexpected outcomes");
}
