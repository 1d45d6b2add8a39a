//! make_call over a real socket: authentication, body checks, every row of
//! the status table, `Retry-After`, routing errors, concurrency, metrics.

mod support;

use std::sync::Arc;

use dialgate::{Admission, AdmissionRequest, Claim, Guard, Rejection, StoreUnavailable};
use reqwest::Method;
use support::{Answer, Server};

#[tokio::test]
async fn the_seed_curl_gets_a_call_record() {
    let s = Server::start().await;
    let a = s
        .make_call(
            "acme",
            r#"{"schedule_id": "123", "to": "+17195551234", "data": {"first_name": "Ann"}}"#,
        )
        .await;
    assert_eq!(a.status, 200, "{:?}", a.body);
    assert_eq!(a.body["ok"], true);
    let call = &a.body["call"];
    assert_eq!(call["company_id"], "acme");
    assert_eq!(call["schedule_id"], "123");
    assert_eq!(call["lead_id"], "lead-ann", "the promote case");
    assert_eq!(call["lead_origin"], "existing");
    assert_eq!(call["to"], "+17195551234");
    assert_eq!(call["data"]["first_name"], "Ann");
    // Times as the command-line host writes them: the fake clock's instant.
    assert_eq!(call["placed_at"], "2026-11-26T15:00:00.250Z");
    assert_eq!(call["guards"].as_array().unwrap().len(), 12);
    assert_eq!(call["id"].as_str().unwrap().len(), 26);
    assert!(a.header("retry-after").is_none());
}

#[tokio::test]
async fn every_row_of_the_status_table() {
    let s = Server::start().await;
    let cases: [(&str, &str, u16, &str); 13] = [
        (
            "acme",
            r#"{"schedule_id": "123", "lead_token": "tok-123", "to": "+13035550112"}"#,
            422,
            "invalid_request",
        ),
        (
            "acme",
            r#"{"schedule_id": "123", "to": "12"}"#,
            422,
            "invalid_number",
        ),
        ("acme", r#"{"lead_id": "lead-nobody"}"#, 404, "unknown_lead"),
        (
            "acme",
            r#"{"schedule_id": "g-1", "to": "+13035550112"}"#,
            404,
            "schedule_not_found",
        ),
        (
            "acme",
            r#"{"schedule_id": "sch-off", "to": "+13035550112"}"#,
            409,
            "schedule_inactive",
        ),
        (
            "acme",
            r#"{"schedule_id": "sch-router", "to": "+13035550112", "data": {"language": "fr"}}"#,
            409,
            "no_matching_distribution",
        ),
        (
            "acme",
            r#"{"schedule_id": "sch-loop-a", "to": "+13035550112"}"#,
            409,
            "routing_loop",
        ),
        (
            "ruled",
            r#"{"schedule_id": "r-1", "to": "+18085550100"}"#,
            409,
            "outside_calling_window",
        ),
        (
            "acme",
            r#"{"schedule_id": "123", "to": "+17195550100"}"#,
            403,
            "suppressed_contact",
        ),
        (
            "acme",
            r#"{"schedule_id": "123", "to": "+13035550125"}"#,
            200,
            "",
        ),
        (
            "acme",
            r#"{"schedule_id": "123", "to": "303-555-0125"}"#,
            429,
            "recently_dialed",
        ),
        (
            "slow",
            r#"{"schedule_id": "s-1", "to": "+13035550112"}"#,
            200,
            "",
        ),
        (
            "slow",
            r#"{"schedule_id": "s-1", "to": "+13035550113"}"#,
            429,
            "cps_exceeded",
        ),
    ];
    for (key, body, status, code) in cases {
        let a = s.make_call(key, body).await;
        assert_eq!((a.status, a.code()), (status, code), "{body}: {:?}", a.body);
        if status != 200 {
            assert_eq!(a.body["ok"], false);
            assert!(!a.body["error"]["message"].as_str().unwrap().is_empty());
        }
        // Retry-After exactly when the error has retry_at.
        let retry_at = a.body["error"].get("retry_at").is_some();
        assert_eq!(
            retry_at,
            status == 429 || code == "outside_calling_window",
            "{body}"
        );
        assert_eq!(a.header("retry-after").is_some(), retry_at, "{body}");
        if retry_at {
            let secs: u64 = a.header("retry-after").unwrap().parse().unwrap();
            assert!(secs >= 1);
        }
    }

    // call_cap_reached: `ruled` may call a number once an hour; its redial
    // window is 1 s.
    let first = s
        .make_call("ruled", r#"{"schedule_id": "r-1", "to": "+13035550166"}"#)
        .await;
    assert_eq!(first.status, 200, "{:?}", first.body);
    s.advance_s(2);
    let capped = s
        .make_call("ruled", r#"{"schedule_id": "r-1", "to": "+13035550166"}"#)
        .await;
    assert_eq!(
        (capped.status, capped.code()),
        (429, "call_cap_reached"),
        "{:?}",
        capped.body
    );
    assert!(capped.header("retry-after").is_some());

    // duplicate_concurrent_lead: a one-off lead in flight (held).
    let held = s
        .post(
            "/api/v1/schedules/make_call?hold=true",
            "acme",
            r#"{"schedule_id": "123", "to": "+13035550177"}"#,
        )
        .await;
    assert_eq!(held.status, 200);
    let dup = s
        .make_call("acme", r#"{"schedule_id": "123", "to": "+13035550177"}"#)
        .await;
    assert_eq!((dup.status, dup.code()), (409, "duplicate_concurrent_lead"));
}

#[tokio::test]
async fn unavailable_admission_is_503_and_not_ready() {
    #[derive(Debug)]
    struct Down;
    impl Admission for Down {
        fn admit(&self, _: &AdmissionRequest<'_>) -> Result<Claim, Rejection> {
            Err(Rejection::Unavailable {
                guard: Guard::ConcurrentLead,
                part: "admission".into(),
                reason: "connection refused".into(),
            })
        }
        fn commit(&self, _: &Claim) -> Result<(), StoreUnavailable> {
            Ok(())
        }
        fn release(&self, _: &Claim) -> Result<(), StoreUnavailable> {
            Ok(())
        }
        fn health(&self) -> Result<(), StoreUnavailable> {
            Err(StoreUnavailable::new("connection refused"))
        }
    }
    let s = Server::start_with(support::WORLD, Default::default(), Some(Arc::new(Down))).await;
    let a = s
        .make_call("acme", r#"{"schedule_id": "123", "to": "+13035550112"}"#)
        .await;
    assert_eq!((a.status, a.code()), (503, "unavailable"));
    let ready = s.get("/readyz", None).await;
    assert_eq!((ready.status, ready.code()), (503, "unavailable"));
    assert_eq!(s.get("/healthz", None).await.status, 200);
    assert_eq!(s.metric("dialgate_admission_errors_total ").await, 1.0);
    assert_eq!(
        s.metric("dialgate_decisions_total{code=\"unavailable\"} ")
            .await,
        1.0
    );
}

#[tokio::test]
async fn ready_and_healthy_with_in_process_admission() {
    let s = Server::start().await;
    for path in ["/healthz", "/readyz"] {
        let a = s.get(path, None).await;
        assert_eq!(
            (a.status, &a.body),
            (200, &serde_json::json!({"ok": true})),
            "{path}"
        );
    }
}

#[tokio::test]
async fn suppressed_names_the_number_never_the_entry() {
    let s = Server::start().await;
    let a = s
        .make_call("acme", r#"{"schedule_id": "123", "to": "(719) 555-0100"}"#)
        .await;
    assert_eq!(a.status, 403);
    let message = a.body["error"]["message"].as_str().unwrap();
    assert!(message.contains("+17195550100"), "{message}");
    assert!(
        !message.contains("acme") && !message.contains("entry") && !message.contains("number +"),
        "{message}"
    );
}

#[tokio::test]
async fn retry_after_is_whole_seconds_rounded_up() {
    let s = Server::start().await;
    assert_eq!(
        s.make_call("acme", r#"{"lead_id": "lead-ann"}"#)
            .await
            .status,
        200
    );
    // Dialled at 15:00:00.250, window 30 s: retry at 15:00:30.250.
    s.clock.advance(chrono::Duration::milliseconds(10_250)); // now 15:00:10.500
    let a = s.make_call("acme", r#"{"lead_id": "lead-ann"}"#).await;
    assert_eq!(a.status, 429);
    assert_eq!(a.body["error"]["retry_at"], "2026-11-26T15:00:30.250Z");
    assert_eq!(a.header("retry-after"), Some("20"), "19.75 s rounds up");
    s.clock.advance(chrono::Duration::milliseconds(19_749)); // 1 ms before
    let a = s.make_call("acme", r#"{"lead_id": "lead-ann"}"#).await;
    assert_eq!(a.header("retry-after"), Some("1"), "at least 1");
    s.clock.advance(chrono::Duration::milliseconds(1));
    assert_eq!(
        s.make_call("acme", r#"{"lead_id": "lead-ann"}"#)
            .await
            .status,
        200
    );

    // The calling window's retry_at too (409 with Retry-After): Honolulu
    // opens at 08:00 HST, 18:00Z.
    let a = s
        .make_call("ruled", r#"{"schedule_id": "r-1", "to": "+18085550100"}"#)
        .await;
    assert_eq!(a.body["error"]["retry_at"], "2026-11-26T18:00:00Z");
    // now 15:00:30.250: 2 h 59 min 29.75 s
    assert_eq!(a.header("retry-after"), Some("10770"));
}

#[tokio::test]
async fn authentication_failures_are_one_answer() {
    let s = Server::start().await;
    let body = r#"{"schedule_id": "123", "to": "+13035550112"}"#;
    let url = format!("{}/api/v1/schedules/make_call", s.base);
    let c = &s.client;
    let attempts = [
        c.post(&url),
        c.post(&url).header("Authorization", "Basic"),
        c.post(&url).header("Authorization", "Basic !!!not-base64"),
        c.post(&url)
            .header("Authorization", "Bearer pk_acme:sk_acme"),
        c.post(&url).basic_auth("pk_nobody", Some("sk_acme")),
        c.post(&url).basic_auth("pk_acme", Some("sk_globex")),
        c.post(&url).basic_auth("pk_acme", None::<&str>),
        c.post(&url).basic_auth("pk_acme", Some("sk_acme ")),
    ];
    let mut answers = Vec::new();
    for attempt in attempts {
        let a = Answer::of(
            attempt
                .header("Content-Type", "application/json")
                .body(body)
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(a.status, 401);
        assert_eq!(a.code(), "unauthorized");
        assert_eq!(
            a.header("www-authenticate"),
            Some("Basic realm=\"dialgate\"")
        );
        answers.push(a.body);
    }
    assert!(answers.windows(2).all(|w| w[0] == w[1]), "{answers:?}");
    // Nothing was decided.
    assert_eq!(
        s.metric("dialgate_decisions_total{code=\"admitted\"} ")
            .await,
        0.0
    );
    // Every /api/ route takes authentication.
    for (method, path) in [
        (Method::POST, "/api/v1/calls/x/commit"),
        (Method::POST, "/api/v1/calls/x/release"),
        (Method::POST, "/api/v1/leads"),
        (Method::GET, "/api/v1/leads/lead-ann"),
        (Method::PATCH, "/api/v1/leads/lead-ann"),
        (Method::DELETE, "/api/v1/leads/lead-ann"),
        (Method::PUT, "/api/v1/schedules/123"),
        (Method::POST, "/api/v1/suppressions"),
        (Method::DELETE, "/api/v1/suppressions"),
    ] {
        let a = s.send(method.clone(), path, None, Some("{}")).await;
        assert_eq!(a.status, 401, "{method} {path}");
    }
    // The right key, for contrast.
    assert_eq!(s.make_call("acme", body).await.status, 200);
}

#[tokio::test]
async fn bodies_are_checked_in_order() {
    let s = Server::start().await;
    let url = format!("{}/api/v1/schedules/make_call", s.base);
    let send = |ct: Option<&'static str>, body: Vec<u8>, auth: bool| {
        let mut r = s.client.post(&url).body(body);
        if let Some(ct) = ct {
            r = r.header("Content-Type", ct);
        }
        if auth {
            r = r.basic_auth("pk_acme", Some("sk_acme"));
        }
        async move { Answer::of(r.send().await.unwrap()).await }
    };
    let big = {
        let mut v = br#"{"schedule_id": "123", "to": "+13035550112", "pad": ""#.to_vec();
        v.resize(64 * 1024 + 1 - 2, b'x');
        v.extend_from_slice(b"\"}");
        v
    };
    assert_eq!(big.len(), 64 * 1024 + 1);
    // Authentication first.
    assert_eq!(
        send(Some("text/plain"), b"x".to_vec(), false).await.status,
        401
    );
    // Then the media type, before the size.
    for (ct, body) in [
        (None, b"{}".to_vec()),
        (Some("text/plain"), b"{}".to_vec()),
        (Some("application/jsonp"), b"{}".to_vec()),
        (Some("text/plain"), big.clone()),
    ] {
        let a = send(ct, body, true).await;
        assert_eq!((a.status, a.code()), (415, "invalid_request"), "{ct:?}");
    }
    // Then the size (over 64 KiB), before the syntax.
    let a = send(Some("application/json"), big.clone(), true).await;
    assert_eq!((a.status, a.code()), (413, "invalid_request"));
    let mut not_json_big = big.clone();
    not_json_big[0] = b'!';
    assert_eq!(
        send(Some("application/json"), not_json_big, true)
            .await
            .status,
        413
    );
    // Exactly 64 KiB is fine.
    let mut fits = big.clone();
    fits.remove(60);
    let a = send(Some("application/json; charset=utf-8"), fits, true).await;
    assert_eq!(a.status, 200, "{:?}", a.body);
    // Then the syntax.
    for bad in [
        &b"{"[..],
        b"",
        b"not json",
        b"{\"to\": \"x\"} trailing",
        b"\xff",
    ] {
        let a = send(Some("application/json"), bad.to_vec(), true).await;
        assert_eq!((a.status, a.code()), (400, "invalid_request"), "{bad:?}");
    }
    // JSON, but not a request: 422.
    for shape in [
        &b"[1]"[..],
        b"\"x\"",
        b"{}",
        b"{\"schedule_id\": 5, \"to\": \"+13035550112\"}",
    ] {
        let a = send(
            Some("application/json; charset=UTF-8"),
            shape.to_vec(),
            true,
        )
        .await;
        assert_eq!((a.status, a.code()), (422, "invalid_request"), "{shape:?}");
    }
    // A chunked body (no Content-Length) over the limit is 413 too.
    let reply = raw_chunked(&s.base, &big).await;
    assert!(reply.starts_with("HTTP/1.1 413"), "{reply}");
}

/// Sends `body` chunked (no Content-Length) over a raw socket; the reply's
/// head.
async fn raw_chunked(base: &str, body: &[u8]) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = "POST /api/v1/schedules/make_call HTTP/1.1\r\nHost: x\r\n\
        Authorization: Basic cGtfYWNtZTpza19hY21l\r\nContent-Type: application/json\r\n\
        Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n";
    stream.write_all(head.as_bytes()).await.unwrap();
    for chunk in body.chunks(4096) {
        let sent = async {
            stream
                .write_all(format!("{:x}\r\n", chunk.len()).as_bytes())
                .await?;
            stream.write_all(chunk).await?;
            stream.write_all(b"\r\n").await
        };
        if sent.await.is_err() {
            break; // the host answered and closed early
        }
    }
    let _ = stream.write_all(b"0\r\n\r\n").await;
    let mut reply = Vec::new();
    let _ = stream.read_to_end(&mut reply).await;
    String::from_utf8_lossy(&reply).into_owned()
}
