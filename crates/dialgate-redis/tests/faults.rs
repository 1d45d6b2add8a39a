//! Failures fail closed, holds and their lease, the claim-id compare, key
//! expiry: each test on a redis-server of its own (it stops or restarts it).

mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use dialgate::{Admission, AdmissionRequest, Company, E164};
use dialgate_redis::testing::TestServer;
use dialgate_redis::{RedisAdmission, RedisOptions};

fn own_server(test: &str, extra: &[&str]) -> Option<TestServer> {
    match TestServer::start_with(extra) {
        Ok(Some(server)) => Some(server),
        Ok(None) => {
            eprintln!("{test}: skipped: no redis-server on PATH (set CI=true to fail instead)");
            None
        }
        Err(e) => panic!("{e}"),
    }
}

fn ask<'a>(company: &'a Company, n: u64, one_off: bool, at: &str) -> AdmissionRequest<'a> {
    AdmissionRequest {
        company,
        schedule_id: "s",
        number: E164::from_digits(n).expect("number"),
        one_off,
        caps: &[],
        now: dialgate::timefmt::parse(at).expect("time"),
    }
}

fn fleet(url: &str, lease: Duration) -> RedisAdmission {
    let mut options = RedisOptions::fleet(lease);
    options.namespace = support::namespace("fleet");
    options.response_timeout = Duration::from_millis(200);
    options.breaker_cooldown = Duration::from_millis(300);
    RedisAdmission::new(url, options).expect("admission")
}

/// SIGSTOP: every decision is `unavailable` within the timeout (the breaker
/// makes most of them instant), none admitted; after SIGCONT decisions
/// recover.
#[test]
fn a_stopped_server_fails_every_decision_closed_and_recovers() {
    let Some(server) = own_server(
        "a_stopped_server_fails_every_decision_closed_and_recovers",
        &[],
    ) else {
        return;
    };
    let admission = Arc::new(fleet(&server.url(), Duration::from_secs(60)));
    let company = Company::new("acme", 1_000_000).expect("company");
    let now = "2026-11-26T15:00:00Z";
    assert!(admission
        .admit(&ask(&company, 17195550000, false, now))
        .is_ok());
    server.signal("STOP").expect("SIGSTOP");
    let threads: Vec<_> = (0..8u64)
        .map(|t| {
            let (admission, company) = (Arc::clone(&admission), company.clone());
            std::thread::spawn(move || {
                let mut slowest = Duration::ZERO;
                for i in 0..20u64 {
                    let started = Instant::now();
                    let got = admission.admit(&ask(&company, 17195551000 + t * 100 + i, true, now));
                    slowest = slowest.max(started.elapsed());
                    let err = got.expect_err("nothing admitted while the server is stopped");
                    assert_eq!(err.code(), "unavailable", "{err}");
                    assert!(
                        err.to_string()
                            .starts_with("admission is unavailable: redis"),
                        "{err}"
                    );
                }
                slowest
            })
        })
        .collect();
    for t in threads {
        let slowest = t.join().expect("thread");
        assert!(
            slowest < Duration::from_millis(1000),
            "a decision took {slowest:?}"
        );
    }
    assert!(admission.health().is_err(), "readiness says not ready");
    server.signal("CONT").expect("SIGCONT");
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        match admission.admit(&ask(&company, 17195559999, false, now)) {
            Ok(_) => break,
            Err(e) => {
                assert_eq!(e.code(), "unavailable");
                assert!(Instant::now() < deadline, "no recovery after SIGCONT: {e}");
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    }
    assert!(admission.health().is_ok());
}

/// An empty restart: the script is reloaded (NOSCRIPT, then SCRIPT LOAD),
/// the stale pooled connections are replaced, and every claim is forgotten
/// (the README says so).
#[test]
fn an_empty_restart_reloads_the_script_and_forgets_the_claims() {
    let Some(mut server) = own_server(
        "an_empty_restart_reloads_the_script_and_forgets_the_claims",
        &[],
    ) else {
        return;
    };
    let admission = RedisAdmission::new(&server.url(), RedisOptions::decision_time("restart:"))
        .expect("admission");
    let company = Company::new("acme", 5).expect("company");
    let first = admission
        .admit(&ask(&company, 17195551234, true, "2026-11-26T15:00:00Z"))
        .expect("admitted");
    let again = admission
        .admit(&ask(&company, 17195551234, true, "2026-11-26T15:00:01Z"))
        .unwrap_err();
    assert_eq!(again.code(), "duplicate_concurrent_lead");
    server.restart_empty().expect("restart");
    // Forgotten: the in-flight lead and the redial window.
    let after = admission
        .admit(&ask(&company, 17195551234, true, "2026-11-26T15:00:02Z"))
        .expect("after the restart");
    assert!(after.admitted_at > first.admitted_at);
    assert_eq!(
        server
            .command(&["SCRIPT", "EXISTS", &sha1_of_admit(&server)])
            .expect("cli"),
        "1"
    );
}

/// The admit script's SHA1, as the server knows it after the reload.
fn sha1_of_admit(server: &TestServer) -> String {
    let client = redis::Client::open(server.url()).expect("client");
    let mut con = client.get_connection().expect("connection");
    redis::Script::new(include_str!("../src/admit.lua"))
        .load(&mut con)
        .expect("load")
}

/// OOM (maxmemory reached with noeviction) and READONLY (a replica):
/// `unavailable`, nothing admitted.
#[test]
fn oom_and_readonly_are_unavailable() {
    let Some(server) = own_server(
        "oom_and_readonly_are_unavailable",
        &["--maxmemory-policy", "noeviction"],
    ) else {
        return;
    };
    let admission =
        RedisAdmission::new(&server.url(), RedisOptions::decision_time("oom:")).expect("admission");
    let company = Company::new("acme", 5).expect("company");
    let client = redis::Client::open(server.url()).expect("client");
    let mut con = client.get_connection().expect("connection");
    let _: () = redis::cmd("SET")
        .arg("ballast")
        .arg(vec![7u8; 4 << 20])
        .query(&mut con)
        .expect("ballast");
    let _: () = redis::cmd("CONFIG")
        .arg("SET")
        .arg("maxmemory")
        .arg("1mb")
        .query(&mut con)
        .expect("maxmemory");
    let err = admission
        .admit(&ask(&company, 17195551234, false, "2026-11-26T15:00:00Z"))
        .unwrap_err();
    assert_eq!(err.code(), "unavailable", "{err}");
    assert!(err.to_string().contains("OOM"), "{err}");
    let _: () = redis::cmd("CONFIG")
        .arg("SET")
        .arg("maxmemory")
        .arg("0")
        .query(&mut con)
        .expect("maxmemory");
    assert!(
        admission
            .admit(&ask(&company, 17195551234, false, "2026-11-26T15:00:00Z"))
            .is_ok(),
        "nothing was claimed"
    );

    // A replica refuses writes.
    let Some(replica) = own_server("oom_and_readonly_are_unavailable", &[]) else {
        return;
    };
    let port = server
        .url()
        .trim_start_matches("redis://127.0.0.1:")
        .trim_end_matches('/')
        .to_owned();
    replica
        .command(&["REPLICAOF", "127.0.0.1", &port])
        .expect("replicaof");
    let on_replica =
        RedisAdmission::new(&replica.url(), RedisOptions::decision_time("ro:")).expect("admission");
    let err = on_replica
        .admit(&ask(&company, 17195550001, false, "2026-11-26T15:00:00Z"))
        .unwrap_err();
    assert_eq!(err.code(), "unavailable", "{err}");
    assert!(err.to_string().contains("READONLY"), "{err}");
}

/// Release compares the claim id: a late release of an older claim frees
/// neither the newer dial nor the newer hold's in-flight lead.
#[test]
fn release_drops_only_its_own_claim() {
    let Some(url) = support::url("release_drops_only_its_own_claim") else {
        return;
    };
    let clock = dialgate::FakeClock::at("2026-11-26T15:00:00Z").expect("clock");
    let mut options = RedisOptions::decision_time(&support::namespace("release"));
    options.hold_lease = Some(Duration::from_secs(60));
    options.lease_clock = Some(Arc::new(clock.clone()));
    let admission = RedisAdmission::new(&url, options).expect("admission");
    let mut company = Company::new("acme", 100).expect("company");
    company.redial_window_s = 30;
    let old = admission
        .admit(&ask(&company, 17195551234, false, "2026-11-26T15:00:00Z"))
        .expect("old");
    admission.commit(&old).expect("commit");
    let new = admission
        .admit(&ask(&company, 17195551234, false, "2026-11-26T15:00:30Z"))
        .expect("new");
    admission.commit(&new).expect("commit");
    admission.release(&old).expect("late release");
    let err = admission
        .admit(&ask(&company, 17195551234, false, "2026-11-26T15:00:31Z"))
        .unwrap_err();
    assert_eq!(err.code(), "recently_dialed");

    // Holds: the first's lease ends, a second hold takes the lead; the
    // first's late release (after its lease: a commit) leaves the second's.
    // (Another company: acme's high-water mark stands at 15:00:30.)
    let company = Company::new("globex", 100).expect("company");
    let first = admission
        .admit(&ask(&company, 17195550002, true, "2026-11-26T15:00:00Z"))
        .expect("first");
    let second = admission
        .admit(&ask(&company, 17195550002, true, "2026-11-26T15:01:00Z"))
        .expect("lease ended");
    clock.set(dialgate::timefmt::parse("2026-11-26T15:01:10Z").expect("time"));
    admission.release(&first).expect("late release");
    let err = admission
        .admit(&ask(&company, 17195550002, true, "2026-11-26T15:01:40Z"))
        .unwrap_err();
    assert_eq!(
        err.code(),
        "duplicate_concurrent_lead",
        "the second hold is still in flight"
    );
    admission.release(&second).expect("release");
    assert!(admission
        .admit(&ask(&company, 17195550002, true, "2026-11-26T15:01:40Z"))
        .is_ok());
}

/// The server's clock and a hold lease: a hold never settled keeps its
/// one-off lead in flight until the lease ends, then counts as committed
/// (its redial window still runs).
#[test]
fn on_the_servers_clock_a_lost_hold_is_committed_when_its_lease_ends() {
    let Some(url) =
        support::url("on_the_servers_clock_a_lost_hold_is_committed_when_its_lease_ends")
    else {
        return;
    };
    let admission = fleet(&url, Duration::from_millis(800));
    let company = Company::new("acme", 100).expect("company");
    let now = "2000-01-01T00:00:00Z"; // not used: the server's clock decides
    let held = admission
        .admit(&ask(&company, 17195551234, true, now))
        .expect("held");
    let wall = chrono::Utc::now();
    assert!(
        (held.admitted_at - wall).num_seconds().abs() < 5,
        "decided on the server's clock"
    );
    std::mem::forget(held); // the host died
    let err = admission
        .admit(&ask(&company, 17195551234, true, now))
        .unwrap_err();
    assert_eq!(err.code(), "duplicate_concurrent_lead");
    std::thread::sleep(Duration::from_millis(900));
    let err = admission
        .admit(&ask(&company, 17195551234, true, now))
        .unwrap_err();
    assert_eq!(
        err.code(),
        "recently_dialed",
        "committed at the lease's end: the window runs"
    );
}

/// Every key expires: a long run of dials keeps the key count near the dials
/// of one window, not every number ever dialled.
#[test]
fn the_key_count_stays_bounded_over_a_long_run() {
    let Some(server) = own_server(
        "the_key_count_stays_bounded_over_a_long_run",
        &["--hz", "50"],
    ) else {
        return;
    };
    let mut options = RedisOptions::fleet(Duration::from_millis(200));
    options.ttl_margin = Duration::from_millis(100);
    let admission = RedisAdmission::new(&server.url(), options).expect("admission");
    let mut company = Company::new("acme", 1_000_000).expect("company");
    company.redial_window_s = 1;
    let started = Instant::now();
    let (mut dials, mut peak) = (0u64, 0u64);
    while started.elapsed() < Duration::from_secs(6) {
        for _ in 0..200 {
            let n = 17_190_000_000 + dials;
            let claim = admission
                .admit(&ask(&company, n, dials % 2 == 0, "2026-11-26T15:00:00Z"))
                .expect("admitted");
            if dials % 4 == 0 {
                admission.commit(&claim).expect("commit");
            }
            dials += 1;
        }
        let keys: u64 = server
            .command(&["DBSIZE"])
            .expect("dbsize")
            .parse()
            .expect("number");
        peak = peak.max(keys);
    }
    // A second of dials (plus their holds and the expiry's lag), never the
    // whole run's.
    assert!(dials > 2_000, "{dials} dials");
    assert!(peak < dials / 2, "peak {peak} keys after {dials} dials");
    std::thread::sleep(Duration::from_millis(2_000));
    let keys: u64 = server
        .command(&["DBSIZE"])
        .expect("dbsize")
        .parse()
        .expect("number");
    assert!(
        keys < dials / 10,
        "{keys} keys left 2 s after {dials} dials"
    );
}

/// `wait_replicas`: an admission no replica acknowledged in time is
/// `unavailable` (its claims stay: the number is refused until they expire).
#[test]
fn an_admission_no_replica_acknowledged_is_unavailable() {
    let Some(url) = support::url("an_admission_no_replica_acknowledged_is_unavailable") else {
        return;
    };
    let mut options = RedisOptions::decision_time(&support::namespace("wait"));
    options.wait_replicas = Some((1, Duration::from_millis(50)));
    let admission = RedisAdmission::new(&url, options).expect("admission");
    let company = Company::new("acme", 5).expect("company");
    let err = admission
        .admit(&ask(&company, 17195551234, false, "2026-11-26T15:00:00Z"))
        .unwrap_err();
    assert_eq!(err.code(), "unavailable");
    assert!(err.to_string().contains("0 of 1 replicas"), "{err}");
    let err = admission
        .admit(&ask(&company, 17195551234, false, "2026-11-26T15:00:01Z"))
        .unwrap_err();
    assert_eq!(
        err.code(),
        "recently_dialed",
        "a wrong no, never a wrong yes"
    );
}

/// The claim id makes a retry idempotent: the same request under the same
/// id is answered the claim the first attempt took; another id is refused.
#[test]
fn a_retry_under_the_same_claim_id_answers_the_claim_taken() {
    let Some(url) = support::url("a_retry_under_the_same_claim_id_answers_the_claim_taken") else {
        return;
    };
    let admission = support::decision_time(&url, "retry");
    let company = Company::new("acme", 1).expect("company");
    let id = admission.claim_id();
    let first = admission
        .admit_with_id(
            &ask(&company, 17195551234, true, "2026-11-26T15:00:00Z"),
            id,
        )
        .expect("admitted");
    // The answer was lost; the host retries a moment later, same id.
    let again = admission
        .admit_with_id(
            &ask(&company, 17195551234, true, "2026-11-26T15:00:00.200Z"),
            id,
        )
        .expect("the same claim");
    assert_eq!(again, first);
    let other = admission
        .admit_with_id(
            &ask(&company, 17195551234, true, "2026-11-26T15:00:00.200Z"),
            admission.claim_id(),
        )
        .unwrap_err();
    assert_eq!(other.code(), "duplicate_concurrent_lead");
    // Nothing was taken twice: the CPS token of 15:00:00 only (1 cps).
    let err = admission
        .admit(&ask(
            &company,
            17195550001,
            false,
            "2026-11-26T15:00:00.500Z",
        ))
        .unwrap_err();
    assert_eq!(err.code(), "cps_exceeded");
    assert_eq!(
        err.retry_at().map(dialgate::timefmt::rfc3339).as_deref(),
        Some("2026-11-26T15:00:01Z")
    );
    admission.release(&first).expect("released");
    // Released: a retry under that id now decides afresh.
    assert!(admission
        .admit_with_id(
            &ask(&company, 17195551234, true, "2026-11-26T15:00:01Z"),
            id
        )
        .is_ok());
}
