//! A host started in-process on a loopback port, on a fake clock, and a
//! client for it.

#![allow(dead_code)]

use std::sync::Arc;

use dialgate::{Admission, FakeClock, World};
use dialgate_server::{App, Options};
use reqwest::header::{HeaderMap, CONTENT_TYPE};
use serde_json::Value;

/// The test world: `acme` (100 cps, 30 s redial window), `globex` (3600 s
/// window), `slow` (1 cps), `ruled` (calling rules, a cap of 1 call an
/// hour, a 1 s redial window). Keys `pk_NAME:sk_NAME`.
pub const WORLD: &str = r#"{
  "companies": [
    {"id": "acme", "cps_limit": 100, "redial_window_s": 30,
     "api_keys": [{"public_key": "pk_acme", "private_key_sha256": "df09835b74052adbf315dcd6c198cafc46874e7d2e59941d13bde49fae086b69"}]},
    {"id": "globex", "cps_limit": 100, "redial_window_s": 3600,
     "api_keys": [{"public_key": "pk_globex", "private_key_sha256": "3d3eda66a0b999d67ab67ae172a115aa710ed4db83cb4613b69116ccf393389b"}]},
    {"id": "slow", "cps_limit": 1,
     "api_keys": [{"public_key": "pk_slow", "private_key_sha256": "44bfda8891fc7f2d90d18e3e5cf95b935d940936f14b76aaaed8f60fc82c5a8a"}]},
    {"id": "ruled", "cps_limit": 100, "redial_window_s": 1, "calling_rules": {"caps": [{"calls": 1, "per_s": 3600}]},
     "api_keys": [{"public_key": "pk_ruled", "private_key_sha256": "ae46ca64c36396d5259a998707e15ec51780a4edead5e60e4b4bce05c655612d"}]}
  ],
  "schedules": [
    {"id": "123", "company_id": "acme", "lead_token": "tok-123"},
    {"id": "sch-off", "company_id": "acme", "lead_token": "tok-off", "active": false},
    {"id": "sch-router", "company_id": "acme", "lead_token": "tok-router", "kind": "router",
     "distributions": [{"id": "d-es", "target_schedule_id": "123", "when": [{"field": "language", "op": "eq", "value": "es"}]}]},
    {"id": "sch-loop-a", "company_id": "acme", "lead_token": "tok-loop-a", "kind": "router",
     "distributions": [{"id": "d-b", "target_schedule_id": "sch-loop-b", "when": []}]},
    {"id": "sch-loop-b", "company_id": "acme", "lead_token": "tok-loop-b", "kind": "router",
     "distributions": [{"id": "d-a", "target_schedule_id": "sch-loop-a", "when": []}]},
    {"id": "g-1", "company_id": "globex", "lead_token": "tok-g1"},
    {"id": "s-1", "company_id": "slow", "lead_token": "tok-s1"},
    {"id": "r-1", "company_id": "ruled", "lead_token": "tok-r1"}
  ],
  "leads": [
    {"id": "lead-ann", "company_id": "acme", "schedule_id": "123", "number": "(719) 555-1234", "data": {"state": "CO"}}
  ],
  "suppressions": [
    {"number": "+17195550100", "company_id": "acme"}
  ]
}"#;

/// The fake clock's start: a Thursday, 08:00:00.250 in Denver.
pub const T0: &str = "2026-11-26T15:00:00.250Z";

pub struct Server {
    pub base: String,
    pub app: App,
    pub clock: FakeClock,
    pub client: reqwest::Client,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    pub served: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl Server {
    pub async fn start() -> Server {
        Server::start_with(WORLD, Options::default(), None).await
    }

    pub async fn start_with(
        world: &str,
        options: Options,
        admission: Option<Arc<dyn Admission>>,
    ) -> Server {
        let clock = FakeClock::at(T0).unwrap();
        let mut builder = App::builder(World::from_json(world).unwrap())
            .clock(clock.clone())
            .options(options);
        if let Some(admission) = admission {
            builder = builder.admission(admission);
        }
        let app = builder.build();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let served = tokio::spawn(app.clone().serve(listener, async move {
            let _ = stopped.await;
        }));
        Server {
            base,
            app,
            clock,
            client: reqwest::Client::new(),
            stop: Some(stop),
            served: Some(served),
        }
    }

    /// Starts the shutdown and waits for `serve` to return.
    pub async fn stop(&mut self) -> std::io::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match self.served.take() {
            Some(served) => served.await.unwrap(),
            None => Ok(()),
        }
    }

    pub fn advance_s(&self, seconds: i64) {
        self.clock.advance(chrono::Duration::seconds(seconds));
    }

    pub fn request(
        &self,
        method: reqwest::Method,
        path: &str,
        key: Option<&str>,
    ) -> reqwest::RequestBuilder {
        let mut r = self.client.request(method, format!("{}{path}", self.base));
        if let Some(name) = key {
            r = r.basic_auth(format!("pk_{name}"), Some(format!("sk_{name}")));
        }
        r
    }

    /// A JSON request as `pk_KEY:sk_KEY`.
    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        key: Option<&str>,
        body: Option<&str>,
    ) -> Answer {
        let mut r = self.request(method, path, key);
        if let Some(body) = body {
            r = r
                .header(CONTENT_TYPE, "application/json")
                .body(body.to_owned());
        }
        Answer::of(r.send().await.unwrap()).await
    }

    pub async fn post(&self, path: &str, key: &str, body: &str) -> Answer {
        self.send(reqwest::Method::POST, path, Some(key), Some(body))
            .await
    }

    pub async fn make_call(&self, key: &str, body: &str) -> Answer {
        self.post("/api/v1/schedules/make_call", key, body).await
    }

    pub async fn get(&self, path: &str, key: Option<&str>) -> Answer {
        self.send(reqwest::Method::GET, path, key, None).await
    }

    /// The value of a line of `/metrics` (`name{labels} value`).
    pub async fn metric(&self, line_start: &str) -> f64 {
        let text = self
            .client
            .get(format!("{}/metrics", self.base))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        text.lines()
            .find_map(|l| l.strip_prefix(line_start)?.trim().parse::<f64>().ok())
            .unwrap_or_else(|| panic!("no `{line_start}` in /metrics:\n{text}"))
    }
}

/// A response: status, headers, the body as JSON.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Answer {
    pub async fn of(response: reqwest::Response) -> Answer {
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.unwrap();
        let body = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("status {status}: body is not JSON ({e}): {text:?}"));
        assert_eq!(
            headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()),
            Some("application/json"),
            "every answer but /metrics is JSON: {status} {text}"
        );
        Answer {
            status,
            headers,
            body,
        }
    }

    pub fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or("")
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}
