//! One throwaway redis-server shared by the tests of a binary that run at
//! the same time, and fresh namespaces on it.
//!
//! Each test holds the server (an `Arc`) while it runs; the last one to let
//! go stops it (by pid, on drop, also when the test panics), and a later test
//! starts another. A static holds only a `Weak`: statics are never dropped,
//! so a static `TestServer` would outlive the test process.

#![allow(dead_code)]

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};

use dialgate_redis::testing::TestServer;
use dialgate_redis::{RedisAdmission, RedisOptions};

/// The running shared server, or a new one; `None` when there is no
/// redis-server on PATH (and CI is not `true`; under CI=true it panics).
pub fn server() -> Option<Arc<TestServer>> {
    static SHARED: Mutex<Weak<TestServer>> = Mutex::new(Weak::new());
    let mut shared = SHARED.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(server) = shared.upgrade() {
        return Some(server);
    }
    match TestServer::start() {
        Ok(Some(server)) => {
            let server = Arc::new(server);
            *shared = Arc::downgrade(&server);
            Some(server)
        }
        Ok(None) => None,
        Err(e) => panic!("{e}"),
    }
}

/// The shared server for `test`, or `None` after printing that it skipped.
/// Keep it for as long as the test uses the server.
pub fn url(test: &str) -> Option<Served> {
    match server() {
        Some(server) => Some(Served {
            url: server.url(),
            _server: server,
        }),
        None => {
            eprintln!("{test}: skipped: no redis-server on PATH (set CI=true to fail instead)");
            None
        }
    }
}

/// A hold on the shared server; derefs to its URL.
pub struct Served {
    url: String,
    _server: Arc<TestServer>,
}

impl std::ops::Deref for Served {
    type Target = str;
    fn deref(&self) -> &str {
        &self.url
    }
}

/// A namespace no other test of this run uses.
pub fn namespace(test: &str) -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    format!(
        "t:{}:{}:{}:",
        std::process::id(),
        test,
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// Decision-time admission on the shared server under a fresh namespace.
pub fn decision_time(url: &str, test: &str) -> RedisAdmission {
    RedisAdmission::new(url, RedisOptions::decision_time(&namespace(test))).expect("admission")
}
