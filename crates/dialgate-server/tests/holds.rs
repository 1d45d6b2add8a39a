//! Held calls, leases, shutdown, unknown routes, concurrency and metrics.

mod support;

use std::time::Duration;

use dialgate_server::Options;
use reqwest::Method;
use support::Server;

const ONE_OFF: &str = r#"{"schedule_id": "g-1", "to": "+13035550112"}"#;

async fn hold(s: &Server, key: &str, body: &str) -> String {
    let a = s
        .post("/api/v1/schedules/make_call?hold=true", key, body)
        .await;
    assert_eq!(a.status, 200, "{:?}", a.body);
    a.body["call"]["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_held_call_commits_once() {
    let s = Server::start().await;
    let id = hold(&s, "globex", ONE_OFF).await;
    assert_eq!(s.app.holds_open(), 1);
    assert_eq!(s.metric("dialgate_holds_open ").await, 1.0);
    let a = s
        .post(&format!("/api/v1/calls/{id}/commit"), "globex", "")
        .await;
    assert_eq!((a.status, &a.body), (200, &serde_json::json!({"ok": true})));
    assert_eq!(s.metric("dialgate_holds_open ").await, 0.0);
    // Settled already.
    for action in ["commit", "release"] {
        let a = s
            .post(&format!("/api/v1/calls/{id}/{action}"), "globex", "")
            .await;
        assert_eq!((a.status, a.code()), (404, "unknown_call"), "{action}");
    }
    // Committed: the redial window runs (3600 s for globex).
    let again = s.make_call("globex", ONE_OFF).await;
    assert_eq!(again.code(), "recently_dialed");
    // The committed one-off lead is stored, status one_off.
    let lead = s
        .get(&format!("/api/v1/leads/{id}-lead"), Some("globex"))
        .await;
    assert_eq!(lead.status, 200, "{:?}", lead.body);
    assert_eq!(lead.body["lead"]["status"], "one_off");
    assert_eq!(lead.body["lead"]["number"], "+13035550112");
}

#[tokio::test]
async fn a_released_call_frees_the_number() {
    let s = Server::start().await;
    let id = hold(&s, "globex", ONE_OFF).await;
    assert_eq!(
        s.make_call("globex", ONE_OFF).await.code(),
        "duplicate_concurrent_lead"
    );
    // Commit and release take no body: any body is ignored.
    let a = s
        .request(
            Method::POST,
            &format!("/api/v1/calls/{id}/release"),
            Some("globex"),
        )
        .header("Content-Type", "text/plain")
        .body("whatever")
        .send()
        .await
        .unwrap();
    assert_eq!(a.status(), 200);
    assert_eq!(s.app.holds_open(), 0);
    assert_eq!(
        s.make_call("globex", ONE_OFF).await.status,
        200,
        "released: no redial window"
    );
    // The released one-off lead was never stored.
    assert_eq!(
        s.get(&format!("/api/v1/leads/{id}-lead"), Some("globex"))
            .await
            .status,
        404
    );
}

#[tokio::test]
async fn another_companys_call_is_unknown() {
    let s = Server::start().await;
    let id = hold(&s, "globex", ONE_OFF).await;
    for action in ["commit", "release"] {
        let a = s
            .post(&format!("/api/v1/calls/{id}/{action}"), "acme", "")
            .await;
        assert_eq!((a.status, a.code()), (404, "unknown_call"), "{action}");
    }
    assert_eq!(s.app.holds_open(), 1, "still globex's");
    let a = s
        .post(
            "/api/v1/calls/01NEVERHELD00000000000000/commit",
            "globex",
            "",
        )
        .await;
    assert_eq!((a.status, a.code()), (404, "unknown_call"));
    let a = s
        .post(&format!("/api/v1/calls/{id}/release"), "globex", "")
        .await;
    assert_eq!(a.status, 200);
}

#[tokio::test]
async fn a_hold_past_its_lease_is_committed() {
    let options = Options {
        hold_lease: Duration::from_secs(60),
        // The timer never fires during the test: the sweep is called.
        sweep_every: Duration::from_secs(3600),
        ..Options::default()
    };
    let s = Server::start_with(support::WORLD, options, None).await;
    let id = hold(&s, "globex", ONE_OFF).await;
    s.advance_s(59);
    assert_eq!(s.app.sweep_holds().await, 0, "the lease runs 60 s");
    s.advance_s(1);
    assert_eq!(s.app.sweep_holds().await, 1);
    assert_eq!(s.app.holds_open(), 0);
    assert_eq!(s.metric("dialgate_holds_open ").await, 0.0);
    // Committed, not released: the number stays blocked (3600 s window),
    // and the one-off lead is stored.
    let again = s.make_call("globex", ONE_OFF).await;
    assert_eq!(again.code(), "recently_dialed", "{:?}", again.body);
    let a = s
        .post(&format!("/api/v1/calls/{id}/release"), "globex", "")
        .await;
    assert_eq!((a.status, a.code()), (404, "unknown_call"));
    assert_eq!(
        s.get(&format!("/api/v1/leads/{id}-lead"), Some("globex"))
            .await
            .status,
        200
    );

    // Settling a hold whose lease ended before the timer ran: it counts as
    // committed, and the caller is told it is no longer held.
    let body = r#"{"schedule_id": "g-1", "to": "+13035550113"}"#;
    let id = hold(&s, "globex", body).await;
    s.advance_s(61);
    let a = s
        .post(&format!("/api/v1/calls/{id}/release"), "globex", "")
        .await;
    assert_eq!((a.status, a.code()), (404, "unknown_call"));
    assert_eq!(s.make_call("globex", body).await.code(), "recently_dialed");
}

#[tokio::test]
async fn the_lease_timer_commits_on_its_own() {
    let options = Options {
        hold_lease: Duration::from_secs(1),
        sweep_every: Duration::from_millis(20),
        ..Options::default()
    };
    let s = Server::start_with(support::WORLD, options, None).await;
    hold(&s, "globex", ONE_OFF).await;
    s.advance_s(2);
    // Polls (bounded) for the timer's sweep; asserts no duration.
    for _ in 0..500 {
        if s.app.holds_open() == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(s.app.holds_open(), 0);
    assert_eq!(
        s.make_call("globex", ONE_OFF).await.code(),
        "recently_dialed"
    );
}

#[tokio::test]
async fn shutdown_commits_open_holds() {
    let mut s = Server::start().await;
    let id = hold(&s, "globex", ONE_OFF).await;
    let engine = std::sync::Arc::clone(s.app.engine());
    s.stop().await.unwrap();
    assert_eq!(s.app.holds_open(), 0);
    let lead = dialgate::LeadStore::lead(engine.leads(), "globex", &format!("{id}-lead")).unwrap();
    assert_eq!(
        lead.unwrap().status,
        dialgate::LeadStatus::OneOff,
        "committed, so stored"
    );
}

#[tokio::test]
async fn hold_must_be_true_or_false() {
    let s = Server::start().await;
    let a = s
        .post("/api/v1/schedules/make_call?hold=maybe", "globex", ONE_OFF)
        .await;
    assert_eq!((a.status, a.code()), (422, "invalid_request"));
    let a = s
        .post("/api/v1/schedules/make_call?hold=false", "globex", ONE_OFF)
        .await;
    assert_eq!(a.status, 200);
    assert_eq!(s.app.holds_open(), 0, "committed at once");
}

#[tokio::test]
async fn unknown_paths_and_methods_are_json_not_found() {
    let s = Server::start().await;
    for (method, path, status) in [
        (Method::GET, "/nope", 404),
        (Method::POST, "/api/v1/nope", 404),
        (Method::GET, "/api/v1/schedules/make_call", 405),
        (Method::DELETE, "/healthz", 405),
        (Method::POST, "/metrics", 405),
        (Method::GET, "/api/v1/calls/x/commit", 405),
        (Method::POST, "/api/v1/suppressions/x", 404),
    ] {
        let a = s.send(method.clone(), path, Some("acme"), None).await;
        assert_eq!(
            (a.status, a.code()),
            (status, "not_found"),
            "{method} {path}"
        );
    }
    // Without credentials too: the route decides before authentication.
    let a = s
        .send(Method::GET, "/api/v1/schedules/make_call", None, None)
        .await;
    assert_eq!(a.status, 405);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixty_four_concurrent_requests_for_one_number_admit_one() {
    let s = Server::start().await;
    let mut tasks = Vec::new();
    for _ in 0..64 {
        let client = s.client.clone();
        let url = format!("{}/api/v1/schedules/make_call", s.base);
        tasks.push(tokio::spawn(async move {
            let r = client
                .post(url)
                .basic_auth("pk_acme", Some("sk_acme"))
                .header("Content-Type", "application/json")
                .body(r#"{"schedule_id": "123", "to": "+13035550166"}"#)
                .send()
                .await
                .unwrap();
            support::Answer::of(r).await
        }));
    }
    let mut admitted = 0;
    for t in tasks {
        let a = t.await.unwrap();
        match a.status {
            200 => admitted += 1,
            409 => assert_eq!(a.code(), "duplicate_concurrent_lead"),
            429 => assert_eq!(a.code(), "recently_dialed"),
            other => panic!("{other}: {:?}", a.body),
        }
    }
    assert_eq!(admitted, 1);
    assert_eq!(
        s.metric("dialgate_decisions_total{code=\"admitted\"} ")
            .await,
        1.0
    );
    let refused = s
        .metric("dialgate_decisions_total{code=\"recently_dialed\"} ")
        .await
        + s.metric("dialgate_decisions_total{code=\"duplicate_concurrent_lead\"} ")
            .await;
    assert_eq!(refused, 63.0);
    assert_eq!(s.metric("dialgate_decision_seconds_count ").await, 64.0);
}

#[tokio::test]
async fn metrics_are_prometheus_text() {
    let s = Server::start().await;
    s.make_call("acme", r#"{"lead_id": "lead-ann"}"#).await;
    s.make_call("acme", r#"{"lead_id": "lead-ann"}"#).await;
    s.make_call("acme", r#"{"lead_id": "nobody"}"#).await;
    let r = s
        .client
        .get(format!("{}/metrics", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain"));
    let text = r.text().await.unwrap();
    for needle in [
        "# TYPE dialgate_decisions_total counter",
        "dialgate_decisions_total{code=\"admitted\"} 1",
        "dialgate_decisions_total{code=\"recently_dialed\"} 1",
        "dialgate_decisions_total{code=\"unknown_lead\"} 1",
        "# TYPE dialgate_decision_seconds histogram",
        "dialgate_decision_seconds_count 3",
        "dialgate_holds_open 0",
        "dialgate_admission_errors_total 0",
    ] {
        assert!(text.contains(needle), "{needle} in\n{text}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn decisions_on_the_blocking_pool_answer_the_same() {
    // An admission given to the builder may block (Redis): decisions,
    // commits and releases then run on the blocking pool.
    let admission = std::sync::Arc::new(dialgate::LocalAdmission::new());
    let s = Server::start_with(support::WORLD, Options::default(), Some(admission)).await;
    let id = hold(&s, "globex", ONE_OFF).await;
    assert_eq!(
        s.make_call("globex", ONE_OFF).await.code(),
        "duplicate_concurrent_lead"
    );
    let a = s
        .post(&format!("/api/v1/calls/{id}/commit"), "globex", "")
        .await;
    assert_eq!(a.status, 200);
    assert_eq!(
        s.make_call("globex", ONE_OFF).await.code(),
        "recently_dialed"
    );
    assert_eq!(s.get("/readyz", None).await.status, 200);
    let a = s
        .post(
            "/api/v1/leads",
            "globex",
            r#"{"schedule_id": "g-1", "number": "+13035550140"}"#,
        )
        .await;
    assert_eq!(a.status, 201);
}

#[tokio::test]
async fn a_request_slower_than_the_timeout_is_a_json_408() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let options = Options {
        request_timeout: Duration::from_millis(200),
        ..Options::default()
    };
    let s = Server::start_with(support::WORLD, options, None).await;
    let mut stream = tokio::net::TcpStream::connect(s.base.trim_start_matches("http://"))
        .await
        .unwrap();
    // A body that never comes.
    let head = "POST /api/v1/schedules/make_call HTTP/1.1\r\nHost: x\r\n\
        Authorization: Basic cGtfYWNtZTpza19hY21l\r\nContent-Type: application/json\r\n\
        Content-Length: 100\r\n\r\n{";
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut reply = vec![0u8; 4096];
    let n = stream.read(&mut reply).await.unwrap();
    let reply = String::from_utf8_lossy(&reply[..n]);
    assert!(reply.starts_with("HTTP/1.1 408"), "{reply}");
    assert!(reply.contains("application/json"), "{reply}");
    assert!(reply.contains(r#""code":"request_timeout""#), "{reply}");
}
