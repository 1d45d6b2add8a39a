//! One admission decision through Redis: its latency (p50, p99) from one
//! thread, and decisions per second from 16 threads, each on its own pooled
//! connection. Against `REDIS_URL` when set (scripts/redis_bench.sh starts a
//! server and runs redis-benchmark beside it), else a redis-server this bench
//! starts itself. `cargo bench -- --test` runs a few decisions only.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use dialgate::{Admission, AdmissionRequest, Company, E164};
use dialgate_redis::testing::TestServer;
use dialgate_redis::{RedisAdmission, RedisOptions};

fn main() {
    let quick = std::env::args().any(|a| a == "--test");
    let mut _server = None;
    let url = match std::env::var("REDIS_URL") {
        Ok(url) => url,
        Err(_) => match TestServer::start() {
            Ok(Some(server)) => {
                let url = server.url();
                _server = Some(server);
                url
            }
            Ok(None) => {
                eprintln!("redis_admission: skipped: no redis-server on PATH");
                return;
            }
            Err(e) => panic!("{e}"),
        },
    };
    let mut options = RedisOptions::fleet(Duration::from_secs(60));
    options.namespace = format!("bench:{}:", std::process::id());
    options.response_timeout = Duration::from_secs(2);
    let admission = Arc::new(RedisAdmission::new(&url, options).expect("admission"));
    let company = Arc::new(Company::new("acme", 1_000_000_000).expect("company"));
    let next = Arc::new(AtomicU64::new(0));
    let decide = {
        let (admission, company, next) = (admission.clone(), company.clone(), next.clone());
        move || {
            let n = next.fetch_add(1, Ordering::Relaxed);
            let ask = AdmissionRequest {
                company: &company,
                schedule_id: "sch-solar",
                number: E164::from_digits(17_000_000_000 + n % 3_000_000_000).expect("number"),
                one_off: n % 4 == 0,
                caps: &[],
                now: chrono::Utc::now(),
            };
            // Decided and held: the claims expire with their keys.
            admission.admit(&ask).expect("admitted");
        }
    };

    // Warm the pool and the script cache.
    for _ in 0..if quick { 10 } else { 2_000 } {
        decide();
    }
    let samples = if quick { 100 } else { 50_000 };
    let mut latencies: Vec<Duration> = (0..samples)
        .map(|_| {
            let started = Instant::now();
            decide();
            started.elapsed()
        })
        .collect();
    latencies.sort_unstable();
    let at = |q: f64| latencies[((latencies.len() as f64 - 1.0) * q) as usize];
    println!(
        "one thread: {} decisions, p50 {:.1} us, p99 {:.1} us, max {:.1} us",
        samples,
        at(0.50).as_secs_f64() * 1e6,
        at(0.99).as_secs_f64() * 1e6,
        at(1.0).as_secs_f64() * 1e6
    );

    let threads = 16;
    let run_for = if quick {
        Duration::from_millis(200)
    } else {
        Duration::from_secs(5)
    };
    let done = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let workers: Vec<_> = (0..threads)
        .map(|_| {
            let (decide, done) = (decide.clone(), done.clone());
            std::thread::spawn(move || {
                while started.elapsed() < run_for {
                    decide();
                    done.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    for w in workers {
        w.join().expect("worker");
    }
    let elapsed = started.elapsed().as_secs_f64();
    let total = done.load(Ordering::Relaxed);
    println!(
        "{threads} threads: {total} decisions in {elapsed:.2} s, {:.0} decisions/s",
        total as f64 / elapsed
    );
}
