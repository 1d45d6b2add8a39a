//! Leads, schedules and suppressions changed through the API, seen by the
//! next decision; one company's records never seen by another.

mod support;

use reqwest::Method;
use support::Server;

#[tokio::test]
async fn an_enrolled_lead_is_reused_and_changes_are_seen() {
    let s = Server::start().await;
    let body = r#"{"schedule_id": "123", "number": "(303) 555-0177", "data": {"first_name": "Cy"}, "id": "lead-cy"}"#;
    let a = s.post("/api/v1/leads", "acme", body).await;
    assert_eq!(a.status, 201, "{:?}", a.body);
    let lead = &a.body["lead"];
    assert_eq!(
        (
            lead["id"].as_str(),
            lead["number"].as_str(),
            lead["status"].as_str(),
            lead["schedule_id"].as_str()
        ),
        (
            Some("lead-cy"),
            Some("+13035550177"),
            Some("live"),
            Some("123")
        )
    );
    assert_eq!(lead["data"]["first_name"], "Cy");
    // The same number again: the live lead, 200, no duplicate.
    let again = s
        .post(
            "/api/v1/leads",
            "acme",
            r#"{"lead_token": "tok-123", "number": "+13035550177"}"#,
        )
        .await;
    assert_eq!(
        (again.status, again.body["lead"]["id"].as_str()),
        (200, Some("lead-cy"))
    );
    // An id already used in the company: 409.
    let taken = s
        .post(
            "/api/v1/leads",
            "acme",
            r#"{"schedule_id": "123", "number": "+13035550178", "id": "lead-ann"}"#,
        )
        .await;
    assert_eq!((taken.status, taken.code()), (409, "conflict"));
    // The decision's steps 1 to 5 answer as make_call does.
    for (body, status, code) in [
        (
            r#"{"schedule_id": "sch-off", "number": "+13035550178"}"#,
            409,
            "schedule_inactive",
        ),
        (
            r#"{"schedule_id": "g-1", "number": "+13035550178"}"#,
            404,
            "schedule_not_found",
        ),
        (
            r#"{"schedule_id": "123", "number": "12"}"#,
            422,
            "invalid_number",
        ),
        (r#"{"schedule_id": "123"}"#, 422, "invalid_request"),
        (r#"{"number": "+13035550178"}"#, 422, "invalid_request"),
    ] {
        let a = s.post("/api/v1/leads", "acme", body).await;
        assert_eq!((a.status, a.code()), (status, code), "{body}");
    }

    // The next decision reuses it (the promote case).
    let call = s
        .make_call("acme", r#"{"schedule_id": "123", "to": "+13035550177"}"#)
        .await;
    assert_eq!(call.body["call"]["lead_id"], "lead-cy");
    assert_eq!(call.body["call"]["lead_origin"], "existing");

    // GET; PATCH status and data.
    let got = s.get("/api/v1/leads/lead-cy", Some("acme")).await;
    assert_eq!(
        (got.status, got.body["lead"]["id"].as_str()),
        (200, Some("lead-cy"))
    );
    let patched = s
        .send(
            Method::PATCH,
            "/api/v1/leads/lead-cy",
            Some("acme"),
            Some(r#"{"status": "completed", "data": {"note": "done"}}"#),
        )
        .await;
    assert_eq!(patched.status, 200, "{:?}", patched.body);
    assert_eq!(patched.body["lead"]["status"], "completed");
    assert_eq!(
        patched.body["lead"]["data"],
        serde_json::json!({"note": "done"}),
        "data replaced whole"
    );
    // Not live any more: a request for the number makes a one-off lead.
    s.advance_s(31);
    let call = s
        .make_call("acme", r#"{"schedule_id": "123", "to": "+13035550177"}"#)
        .await;
    assert_eq!(
        call.body["call"]["lead_origin"], "one_off",
        "{:?}",
        call.body
    );

    for (body, field) in [
        (r#"{"number": "+13035550100"}"#, "`number`"),
        (r#"{"status": 5}"#, "`status`"),
        (r#"{"data": {"nested": {"x": 1}}}"#, "data"),
        (r#"[1]"#, "object"),
    ] {
        let a = s
            .send(
                Method::PATCH,
                "/api/v1/leads/lead-cy",
                Some("acme"),
                Some(body),
            )
            .await;
        assert_eq!((a.status, a.code()), (422, "invalid_request"), "{body}");
        assert!(
            a.body["error"]["message"].as_str().unwrap().contains(field),
            "{body}: {:?}",
            a.body
        );
    }

    // DELETE, then gone.
    let gone = s
        .send(Method::DELETE, "/api/v1/leads/lead-cy", Some("acme"), None)
        .await;
    assert_eq!(gone.status, 200);
    for method in [Method::GET, Method::DELETE] {
        let a = s
            .send(method.clone(), "/api/v1/leads/lead-cy", Some("acme"), None)
            .await;
        assert_eq!((a.status, a.code()), (404, "unknown_lead"), "{method}");
    }
    let a = s
        .send(
            Method::PATCH,
            "/api/v1/leads/lead-cy",
            Some("acme"),
            Some("{}"),
        )
        .await;
    assert_eq!((a.status, a.code()), (404, "unknown_lead"));
}

#[tokio::test]
async fn another_companys_leads_are_not_there() {
    let s = Server::start().await;
    for method in [Method::GET, Method::DELETE] {
        let a = s
            .send(
                method.clone(),
                "/api/v1/leads/lead-ann",
                Some("globex"),
                None,
            )
            .await;
        assert_eq!((a.status, a.code()), (404, "unknown_lead"), "{method}");
    }
    let a = s
        .send(
            Method::PATCH,
            "/api/v1/leads/lead-ann",
            Some("globex"),
            Some(r#"{"status": "completed"}"#),
        )
        .await;
    assert_eq!(a.status, 404);
    // The same id in two companies is two records.
    let a = s
        .post(
            "/api/v1/leads",
            "globex",
            r#"{"schedule_id": "g-1", "number": "+17195551234", "id": "lead-ann"}"#,
        )
        .await;
    assert_eq!(a.status, 201, "{:?}", a.body);
    let acme = s.get("/api/v1/leads/lead-ann", Some("acme")).await;
    assert_eq!(acme.body["lead"]["schedule_id"], "123");
    assert_eq!(acme.body["lead"]["status"], "live");
}

#[tokio::test]
async fn schedules_are_created_replaced_and_seen() {
    let s = Server::start().await;
    let to = r#""to": "+13035550190""#;
    let call = format!(r#"{{"schedule_id": "sch-new", {to}}}"#);
    assert_eq!(
        s.make_call("acme", &call).await.code(),
        "schedule_not_found"
    );
    let a = s
        .send(
            Method::PUT,
            "/api/v1/schedules/sch-new",
            Some("acme"),
            Some(r#"{"lead_token": "tok-new"}"#),
        )
        .await;
    assert_eq!((a.status, &a.body), (201, &serde_json::json!({"ok": true})));
    let made = s.make_call("acme", &call).await;
    assert_eq!(made.status, 200, "{:?}", made.body);
    assert_eq!(made.body["call"]["schedule_id"], "sch-new");
    // Replaced: inactive now.
    let a = s
        .send(
            Method::PUT,
            "/api/v1/schedules/sch-new",
            Some("acme"),
            Some(r#"{"id": "sch-new", "lead_token": "tok-new", "active": false}"#),
        )
        .await;
    assert_eq!(a.status, 200);
    let refused = s
        .make_call("acme", r#"{"lead_token": "tok-new", "to": "+13035550191"}"#)
        .await;
    assert_eq!(refused.code(), "schedule_inactive");
    // A token another schedule holds (any company's): 409.
    let a = s
        .send(
            Method::PUT,
            "/api/v1/schedules/sch-other",
            Some("acme"),
            Some(r#"{"lead_token": "tok-g1"}"#),
        )
        .await;
    assert_eq!((a.status, a.code()), (409, "conflict"));
    // A router, routing into the new dialer.
    let router = r#"{"lead_token": "tok-new-router", "kind": "router", "distributions": [{"id": "d1", "target_schedule_id": "123", "when": []}]}"#;
    assert_eq!(
        s.send(
            Method::PUT,
            "/api/v1/schedules/sch-new-router",
            Some("acme"),
            Some(router)
        )
        .await
        .status,
        201
    );
    let routed = s
        .make_call(
            "acme",
            r#"{"schedule_id": "sch-new-router", "to": "+13035550192"}"#,
        )
        .await;
    assert_eq!(
        routed.body["call"]["route"][0]["distribution_id"], "d1",
        "{:?}",
        routed.body
    );
    // A schedule named like the make_call path.
    assert_eq!(
        s.send(
            Method::PUT,
            "/api/v1/schedules/make_call",
            Some("acme"),
            Some(r#"{"lead_token": "tok-mc"}"#)
        )
        .await
        .status,
        201
    );
    // Malformed: 422 naming the field.
    for (body, field) in [
        (r#"{"id": "other", "lead_token": "t"}"#, "`id`"),
        (
            r#"{"lead_token": "t", "company_id": "globex"}"#,
            "`company_id`",
        ),
        (r#"{"lead_token": "t", "kind": "tower"}"#, "`kind`"),
        (r#"{"lead_token": "t", "colour": "red"}"#, "colour"),
        (r#"{"active": true}"#, "lead_token"),
        (
            r#"{"lead_token": "t", "calling_hours": {"mon": "25:00-26:00"}}"#,
            "calling_hours",
        ),
    ] {
        let a = s
            .send(
                Method::PUT,
                "/api/v1/schedules/sch-bad",
                Some("acme"),
                Some(body),
            )
            .await;
        assert_eq!((a.status, a.code()), (422, "invalid_request"), "{body}");
        let message = a.body["error"]["message"].as_str().unwrap();
        assert!(message.contains(field), "{body}: {message}");
    }
    // Another company never sees acme's schedule.
    let a = s
        .make_call(
            "globex",
            r#"{"schedule_id": "sch-new-router", "to": "+13035550193"}"#,
        )
        .await;
    assert_eq!(a.code(), "schedule_not_found");
}

#[tokio::test]
async fn suppressions_are_added_removed_and_seen() {
    let s = Server::start().await;
    let entry = r#"{"number": "(303) 555-0150"}"#;
    let a = s.post("/api/v1/suppressions", "acme", entry).await;
    assert_eq!((a.status, &a.body), (201, &serde_json::json!({"ok": true})));
    let call = r#"{"schedule_id": "123", "to": "+13035550150"}"#;
    assert_eq!(s.make_call("acme", call).await.status, 403);
    // Only acme's.
    assert_eq!(
        s.make_call("globex", r#"{"schedule_id": "g-1", "to": "+13035550150"}"#)
            .await
            .status,
        200
    );
    // Removing an entry that is not equal (another scope) is 404.
    let other = r#"{"number": "+13035550150", "schedule_id": "123"}"#;
    let a = s
        .send(
            Method::DELETE,
            "/api/v1/suppressions",
            Some("acme"),
            Some(other),
        )
        .await;
    assert_eq!((a.status, a.code()), (404, "unknown_suppression"));
    // The same number as read.
    let a = s
        .send(
            Method::DELETE,
            "/api/v1/suppressions",
            Some("acme"),
            Some(r#"{"number": "+13035550150"}"#),
        )
        .await;
    assert_eq!(a.status, 200);
    assert_eq!(s.make_call("acme", call).await.status, 200);
    let a = s
        .send(
            Method::DELETE,
            "/api/v1/suppressions",
            Some("acme"),
            Some(entry),
        )
        .await;
    assert_eq!(a.code(), "unknown_suppression");
    // A world entry of the company can be removed; a prefix and an expiry.
    let a = s
        .send(
            Method::DELETE,
            "/api/v1/suppressions",
            Some("acme"),
            Some(r#"{"number": "+17195550100"}"#),
        )
        .await;
    assert_eq!(a.status, 200);
    assert_eq!(
        s.make_call("acme", r#"{"schedule_id": "123", "to": "+17195550100"}"#)
            .await
            .status,
        200
    );
    let prefix = r#"{"prefix": "+1720", "expires_at": "2026-11-26T16:00:00Z"}"#;
    assert_eq!(
        s.post("/api/v1/suppressions", "acme", prefix).await.status,
        201
    );
    assert_eq!(
        s.make_call("acme", r#"{"schedule_id": "123", "to": "+17205550193"}"#)
            .await
            .status,
        403
    );
    s.advance_s(3600);
    assert_eq!(
        s.make_call("acme", r#"{"schedule_id": "123", "to": "+17205550193"}"#)
            .await
            .status,
        200,
        "expired"
    );
    // Malformed entries.
    for (body, field) in [
        (r#"{"number": "12"}"#, "`number`"),
        (r#"{"prefix": "1303"}"#, "`prefix`"),
        (
            r#"{"number": "+13035550150", "prefix": "+1303"}"#,
            "exactly one",
        ),
        (
            r#"{"number": "+13035550150", "company_id": null}"#,
            "`company_id`",
        ),
        (
            r#"{"number": "+13035550150", "company_id": "globex"}"#,
            "`company_id`",
        ),
        (
            r#"{"number": "+13035550150", "expires_at": "soon"}"#,
            "RFC 3339",
        ),
    ] {
        let a = s.post("/api/v1/suppressions", "acme", body).await;
        assert_eq!((a.status, a.code()), (422, "invalid_request"), "{body}");
        let message = a.body["error"]["message"].as_str().unwrap();
        assert!(message.contains(field), "{body}: {message}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn changes_while_deciding_are_whole() {
    // A schedule flips between active and inactive while requests run:
    // every answer is one of the two, never an error of a half-made change.
    let s = Server::start().await;
    let mut flips = Vec::new();
    for i in 0..40 {
        let body = if i % 2 == 0 {
            r#"{"lead_token": "tok-123", "active": false}"#
        } else {
            r#"{"lead_token": "tok-123"}"#
        };
        flips.push(s.send(
            Method::PUT,
            "/api/v1/schedules/123",
            Some("acme"),
            Some(body),
        ));
    }
    let mut calls = Vec::new();
    for i in 0..40 {
        let body = format!(
            r#"{{"schedule_id": "123", "to": "+1303555{:04}"}}"#,
            100 + i
        );
        calls.push(async move { body });
    }
    let (flipped, answers) = tokio::join!(futures_join(flips), async {
        let mut out = Vec::new();
        for c in calls {
            let body = c.await;
            out.push(s.make_call("acme", &body).await);
        }
        out
    });
    assert!(flipped.iter().all(|a| a.status == 200 || a.status == 201));
    for a in answers {
        assert!(
            a.status == 200 || a.code() == "schedule_inactive",
            "{:?}",
            a.body
        );
    }
}

async fn futures_join<F: std::future::Future>(futures: Vec<F>) -> Vec<F::Output> {
    let mut out = Vec::new();
    for f in futures {
        out.push(f.await);
    }
    out
}
