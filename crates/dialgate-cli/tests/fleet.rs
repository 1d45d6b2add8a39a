//! A fleet: two `dialgate serve --redis` processes on one real redis-server
//! (started by the test, stopped by pid on drop) never admit, between them,
//! more than the contract allows; a stopped Redis is `unavailable` (503),
//! never a yes, and the hosts recover when it resumes. Without redis-server
//! the tests say they skipped, except under CI=true, where they fail.

use std::io::Write;
use std::net::TcpStream;
use std::time::{Duration, Instant};

use dialgate_redis::testing::TestServer;

mod support;

use support::{make_call_request, read_reply, serve, Serving};

fn redis(test: &str) -> Option<TestServer> {
    match TestServer::start() {
        Ok(Some(server)) => Some(server),
        Ok(None) => {
            eprintln!("{test}: skipped: no redis-server on PATH (set CI=true to fail instead)");
            None
        }
        Err(e) => panic!("{e}"),
    }
}

/// A `dialgate serve --redis`, stopped by pid (SIGKILL) when dropped.
fn host(redis_url: &str) -> Serving {
    serve(&["--redis", redis_url])
}

/// POSTs make_call for `to` and answers the status code and the body.
fn make_call(addr: &str, to: &str) -> (u16, String) {
    let body = format!(r#"{{"schedule_id": "123", "to": "{to}"}}"#);
    get(addr, &make_call_request(&body))
}

/// Sends `request` and answers the status code and the whole reply.
fn get(addr: &str, request: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream.write_all(request.as_bytes()).expect("send");
    let reply = read_reply(stream);
    let status = reply
        .get(9..12)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status: {reply:?}"));
    (status, reply)
}

fn readyz(addr: &str) -> u16 {
    get(
        addr,
        "GET /readyz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    .0
}

/// Fires `requests` (host index, number) at once, one thread each.
fn race(hosts: &[Serving], requests: &[(usize, String)]) -> Vec<(u16, String)> {
    std::thread::scope(|s| {
        let handles: Vec<_> = requests
            .iter()
            .map(|(h, to)| {
                let addr = hosts[*h].addr.clone();
                s.spawn(move || make_call(&addr, to))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("thread"))
            .collect()
    })
}

#[test]
fn two_hosts_on_one_redis_admit_one_dial_of_a_number() {
    let Some(server) = redis("two_hosts_on_one_redis_admit_one_dial_of_a_number") else {
        return;
    };
    let hosts = [host(&server.url()), host(&server.url())];
    for round in 0..3u64 {
        let to = format!("+1719558{:04}", 100 + round);
        let requests: Vec<_> = (0..16).map(|i| (i % 2, to.clone())).collect();
        let answers = race(&hosts, &requests);
        let admitted = answers.iter().filter(|(s, _)| *s == 200).count();
        assert_eq!(admitted, 1, "round {round}: {answers:?}");
        for (status, body) in &answers {
            assert!(
                *status == 200
                    || (*status == 429 && body.contains("recently_dialed"))
                    || (*status == 409 && body.contains("duplicate_concurrent_lead"))
                    || (*status == 429 && body.contains("cps_exceeded")),
                "{status} {body}"
            );
        }
        // The one admitted dial blocks the number on both hosts.
        for h in &hosts {
            let (status, body) = make_call(&h.addr, &to);
            assert_eq!(status, 429, "{body}");
            assert!(body.contains("recently_dialed"), "{body}");
        }
        std::thread::sleep(Duration::from_millis(1100)); // the CPS burst refills
    }
}

#[test]
fn two_hosts_on_one_redis_share_one_cps_limit() {
    let Some(server) = redis("two_hosts_on_one_redis_share_one_cps_limit") else {
        return;
    };
    let hosts = [host(&server.url()), host(&server.url())];
    // 24 distinct numbers at once on both hosts: the company's GCRA (4 per
    // second, burst 4) is the fleet's, not each host's.
    let started = Instant::now();
    let requests: Vec<_> = (0..24u64)
        .map(|i| ((i % 2) as usize, format!("+1719556{:04}", i)))
        .collect();
    let answers = race(&hosts, &requests);
    let elapsed = started.elapsed().as_secs_f64();
    let admitted = answers.iter().filter(|(s, _)| *s == 200).count();
    // The burst, plus what the limit refills while the requests ran.
    let allowed = 4 + (elapsed * 4.0).ceil() as usize;
    assert!(
        (1..=allowed).contains(&admitted),
        "{admitted} admitted in {elapsed:.3} s, at most {allowed}"
    );
    assert!(
        answers
            .iter()
            .all(|(s, b)| *s == 200 || (*s == 429 && b.contains("cps_exceeded"))),
        "{answers:?}"
    );
}

#[test]
fn a_stopped_redis_is_unavailable_never_a_yes_and_the_hosts_recover() {
    let Some(server) = redis("a_stopped_redis_is_unavailable_never_a_yes_and_the_hosts_recover")
    else {
        return;
    };
    let hosts = [host(&server.url()), host(&server.url())];
    assert_eq!(make_call(&hosts[0].addr, "+17195570000").0, 200);
    assert_eq!(readyz(&hosts[1].addr), 200);

    server.signal("STOP").expect("SIGSTOP");
    let requests: Vec<_> = (0..8u64)
        .map(|i| ((i % 2) as usize, format!("+1719557{:04}", i + 1)))
        .collect();
    let started = Instant::now();
    let answers = race(&hosts, &requests);
    assert!(
        answers
            .iter()
            .all(|(s, b)| *s == 503 && b.contains("unavailable")),
        "{answers:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "a bounded timeout, not a hang: {:?}",
        started.elapsed()
    );
    assert_eq!(readyz(&hosts[0].addr), 503);

    server.signal("CONT").expect("SIGCONT");
    // Recovery: within a few seconds (the breaker's pause), a new number is
    // admitted again, and the stopped-time requests took nothing that lets
    // a number through twice.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (status, body) = make_call(&hosts[1].addr, "+17195579999");
        if status == 200 {
            break;
        }
        assert!(status == 503 || status == 429, "{status} {body}");
        assert!(Instant::now() < deadline, "no recovery: {body}");
        std::thread::sleep(Duration::from_millis(200));
    }
    assert_eq!(readyz(&hosts[0].addr), 200);
    let (status, body) = make_call(&hosts[0].addr, "+17195579999");
    assert_eq!(status, 429, "{body}");
}
