//! One throwaway redis-server per test binary, and fresh namespaces on it.

#![allow(dead_code)]

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};

use dialgate_redis::testing::TestServer;
use dialgate_redis::{RedisAdmission, RedisOptions};

/// The server shared by this test binary's tests, or `None` (skipped: no
/// redis-server on PATH and not under CI=true). Panics under CI=true without
/// one.
pub fn server() -> Option<&'static Mutex<TestServer>> {
    static SERVER: OnceLock<Option<Mutex<TestServer>>> = OnceLock::new();
    SERVER
        .get_or_init(|| match TestServer::start() {
            Ok(Some(server)) => Some(Mutex::new(server)),
            Ok(None) => None,
            Err(e) => panic!("{e}"),
        })
        .as_ref()
}

/// The shared server's URL, or `None` after printing that `test` skipped.
pub fn url(test: &str) -> Option<String> {
    match server() {
        Some(server) => Some(server.lock().unwrap_or_else(|e| e.into_inner()).url()),
        None => {
            eprintln!("{test}: skipped: no redis-server on PATH (set CI=true to fail instead)");
            None
        }
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
