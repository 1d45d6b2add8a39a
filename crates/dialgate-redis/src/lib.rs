//! Fleet admission for dialgate: contract steps 9 to 12 (the in-flight
//! one-off lead, the redial window, the call caps, the CPS limit) as one
//! atomic Lua script in one Redis server, shared by every host that uses it.
//!
//! [`RedisAdmission`] implements [`dialgate::Admission`] and answers exactly
//! what [`dialgate::LocalAdmission`] answers for the same requests at the same
//! times: the same codes and messages, `retry_at` and `admitted_at` to the
//! nanosecond (the GCRA is kept as the same exact fraction, in
//! `(seconds, nanoseconds, remainder)` triples, never a Lua double that could
//! round), the same high-water mark per company.
//!
//! - **One script per verb.** `admit` checks the four guards in order and
//!   takes every claim or none; `settle` commits or releases one claim,
//!   comparing the claim id before it deletes anything. Both run by EVALSHA,
//!   reloaded on `NOSCRIPT`.
//! - **Keys.** All keys of one company share one Redis Cluster hash tag, the
//!   company id in hex behind a `c` (so no id can make an empty or broken
//!   tag): `NS{cHEX}:c` (the high-water mark, the GCRA, the retention),
//!   `NS{cHEX}:d:DIGITS` (the number's unreleased dials),
//!   `NS{cHEX}:f:SCHEDULEHEX:DIGITS` (the in-flight one-off lead). Every key
//!   is written with a TTL: as long as a decision can see it, plus a margin.
//! - **Connections.** Blocking connections with connect, read and write
//!   timeouts, kept in a small pool. Concurrent callers' scripts are
//!   pipelined ([`RedisOptions::pipeline`]): up to two batches in flight,
//!   each a caller's that sends what others queued meanwhile and hands each
//!   its answer.
//! - **Time.** [`TimeSource::Server`] reads the Redis server's `TIME` once per
//!   script, so a fleet shares one clock (the HTTP host);
//!   [`TimeSource::Decision`] uses the request's time (the command-line host,
//!   whose output must equal in-process admission's).
//! - **Failing closed.** A refused connection, a timeout, `OOM`, `READONLY`,
//!   a `NOSCRIPT` that cannot be reloaded, any reply that does not parse: the
//!   decision is `unavailable` (part `admission`) and nothing is admitted.
//!   A connection that failed is dropped, never reused (a late reply would
//!   answer the next command). A circuit breaker turns an outage into one
//!   fast failure per request: after a connection-level failure every call
//!   fails at once for [`RedisOptions::breaker_cooldown`], then one call
//!   probes. [`Admission::health`] answers the breaker and a `PING`.
//!
//! **After a timeout.** A script that timed out may have run: its claims may
//! be held. The host answers `unavailable` and must not place the call. The
//! claims it may hold expire with their keys (the redial window, the longest
//! cap, the hold lease); until then the number may be refused (a wrong no,
//! never a wrong yes). A host that wants to retry instead decides under a
//! claim id it chose ([`RedisAdmission::admit_with_id`]): the retry answers
//! the claim the lost attempt took (then commit or release it as usual), or
//! decides afresh if that attempt never ran.
//!
//! # Example
//! ```no_run
//! use dialgate::{Admission, AdmissionRequest, Company, E164};
//! use dialgate_redis::RedisAdmission;
//! use std::time::Duration;
//! // The HTTP host: the Redis server's clock, holds leased for 60 s.
//! let admission = RedisAdmission::for_fleet("redis://127.0.0.1:6379/", Duration::from_secs(60))?;
//! let acme = Company::new("acme", 5).unwrap();
//! let ask = AdmissionRequest { company: &acme, schedule_id: "sch-solar", number: E164::from_digits(17195551234).unwrap(), one_off: false, caps: &[], now: chrono::Utc::now() };
//! let claim = admission.admit(&ask)?;
//! admission.commit(&claim)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use dialgate::{
    Admission, AdmissionRequest, Claim, Clock, Guard, Rejection, StoreUnavailable, SystemClock,
};
use redis::{Connection, RedisError, RedisResult, Script};

pub mod testing;

/// The admit script: steps 9 to 12, every claim or none.
const ADMIT_LUA: &str = include_str!("admit.lua");
/// The settle script: commit or release one claim, compare then delete.
const SETTLE_LUA: &str = include_str!("settle.lua");

/// The message local admission gives for a decision time outside the range
/// its arithmetic supports; the same here, so the answers are equal.
const OUT_OF_RANGE: &str = "the decision time is outside 1970-01-01 to 2200-12-31, the range admission's arithmetic supports";

const NANOS_PER_S: i64 = 1_000_000_000;

/// Whose clock decides.
///
/// # Example
/// ```
/// use dialgate_redis::{RedisOptions, TimeSource};
/// assert_eq!(RedisOptions::fleet(std::time::Duration::from_secs(60)).time, TimeSource::Server);
/// assert_eq!(RedisOptions::decision_time("ns:").time, TimeSource::Decision);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimeSource {
    /// The Redis server's `TIME`, read once per script: every host of a
    /// fleet decides on one clock (the HTTP host). The request's `now` is
    /// not used.
    Server,
    /// The request's `now` (the command-line host's step times): answers
    /// equal to in-process admission's, to the nanosecond.
    Decision,
}

/// How a [`RedisAdmission`] runs. Build one with [`RedisOptions::fleet`] or
/// [`RedisOptions::decision_time`] and adjust the fields.
///
/// # Example
/// ```
/// use dialgate_redis::RedisOptions;
/// use std::time::Duration;
/// let mut options = RedisOptions::fleet(Duration::from_secs(60));
/// options.response_timeout = Duration::from_millis(100);
/// assert_eq!(options.namespace, "dialgate:");
/// ```
#[derive(Clone)]
pub struct RedisOptions {
    /// Whose clock decides.
    pub time: TimeSource,
    /// Prefix of every key (`dialgate:` by default); may not contain `{` or
    /// `}` (the hash tag follows it).
    pub namespace: String,
    /// How long an unsettled hold keeps its one-off lead in flight; at its
    /// end the hold counts as committed (its redial window and cap counts
    /// stay), and a later release commits instead. `None`: in flight until
    /// settled (the command-line host), the key kept at most
    /// [`RedisOptions::unleased_hold_ttl`].
    pub hold_lease: Option<Duration>,
    /// The clock that says whether a release came after the lease, under
    /// [`TimeSource::Decision`] (the system clock when `None`). Under
    /// [`TimeSource::Server`] the server's clock says.
    pub lease_clock: Option<Arc<dyn Clock>>,
    /// The longest a new connection may take.
    pub connect_timeout: Duration,
    /// The longest a command may wait for its answer (and for its write).
    pub response_timeout: Duration,
    /// How long the circuit breaker stays open after a connection-level
    /// failure (every call fails at once meanwhile; then one call probes).
    pub breaker_cooldown: Duration,
    /// Idle connections kept for reuse (more are opened under load and
    /// closed when the pool is full).
    pub pool_size: usize,
    /// Added to every key's TTL. Under [`TimeSource::Server`] a second is
    /// plenty; under [`TimeSource::Decision`] the TTL runs on the server's
    /// clock while decisions run on the steps' times, so the margin must
    /// cover a run whose steps go slower than the wall clock (an hour by
    /// default).
    pub ttl_margin: Duration,
    /// With replicas: after an admission, `WAIT` for this many replicas to
    /// have it, at most this long; fewer answers `unavailable` (the claims
    /// stay: a wrong no, never a claim a failover could forget). `None`
    /// (the default) does not wait.
    pub wait_replicas: Option<(u32, Duration)>,
    /// Pipelines the scripts of concurrent callers (on by default): a caller
    /// that finds scripts waiting to be sent joins them, and one of the
    /// waiting callers sends them all at once on one connection and hands
    /// each its answer, so Redis reads and writes once per batch, not once
    /// per decision. Off: every call takes a connection of its own. Either
    /// way each script runs atomically on its own; a batch that fails
    /// (a timeout, a lost connection) fails every decision in it, closed.
    pub pipeline: bool,
    /// Without a hold lease: how long an in-flight one-off lead's key lives
    /// at most (a day by default), so a process that died holding it does
    /// not block its number for ever.
    pub unleased_hold_ttl: Duration,
}

impl fmt::Debug for RedisOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisOptions")
            .field("time", &self.time)
            .field("namespace", &self.namespace)
            .field("hold_lease", &self.hold_lease)
            .field("connect_timeout", &self.connect_timeout)
            .field("response_timeout", &self.response_timeout)
            .field("breaker_cooldown", &self.breaker_cooldown)
            .field("pool_size", &self.pool_size)
            .field("ttl_margin", &self.ttl_margin)
            .field("unleased_hold_ttl", &self.unleased_hold_ttl)
            .field("wait_replicas", &self.wait_replicas)
            .field("pipeline", &self.pipeline)
            .finish_non_exhaustive()
    }
}

impl RedisOptions {
    /// For a fleet of HTTP hosts: the server's clock, holds leased for
    /// `hold_lease`, namespace `dialgate:`, 250 ms timeouts, a 500 ms
    /// breaker.
    ///
    /// # Example
    /// ```
    /// let options = dialgate_redis::RedisOptions::fleet(std::time::Duration::from_secs(60));
    /// assert_eq!(options.hold_lease, Some(std::time::Duration::from_secs(60)));
    /// ```
    pub fn fleet(hold_lease: Duration) -> RedisOptions {
        RedisOptions {
            time: TimeSource::Server,
            namespace: "dialgate:".into(),
            hold_lease: Some(hold_lease),
            lease_clock: None,
            connect_timeout: Duration::from_millis(250),
            response_timeout: Duration::from_millis(250),
            breaker_cooldown: Duration::from_millis(500),
            pool_size: 64,
            ttl_margin: Duration::from_secs(1),
            unleased_hold_ttl: Duration::from_secs(86_400),
            wait_replicas: None,
            pipeline: true,
        }
    }

    /// For the command-line host: the steps' times, no hold lease, keys
    /// under `namespace`, a TTL margin of an hour.
    ///
    /// # Example
    /// ```
    /// let options = dialgate_redis::RedisOptions::decision_time("dialgate-check:1:");
    /// assert_eq!(options.hold_lease, None);
    /// ```
    pub fn decision_time(namespace: &str) -> RedisOptions {
        RedisOptions {
            time: TimeSource::Decision,
            namespace: namespace.into(),
            hold_lease: None,
            ttl_margin: Duration::from_secs(3600),
            ..RedisOptions::fleet(Duration::ZERO)
        }
    }
}

/// A [`RedisAdmission`] that cannot be made: a bad URL or namespace.
///
/// # Example
/// ```
/// use dialgate_redis::{RedisAdmission, RedisOptions};
/// let err = RedisAdmission::new("http://x", RedisOptions::decision_time("ns:")).unwrap_err();
/// assert!(err.to_string().starts_with("redis URL"), "{err}");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError(String);

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConfigError {}

/// What every [`RedisAdmission`] made from one URL shares: the connections,
/// the breaker, the scripts.
struct Shared {
    client: redis::Client,
    idle: Mutex<Vec<Connection>>,
    breaker: Breaker,
    admit: Script,
    settle: Script,
    /// Seed of this process's claim ids (random), and how many were drawn.
    claim_seed: u64,
    claims: AtomicU64,
    /// Scripts waiting to be sent in the next pipelined batch.
    batch: Mutex<Batch>,
}

/// The scripts waiting for the next batch, and whether a caller is sending
/// one now (it hands the next batch to a waiting caller when it is done).
#[derive(Default)]
struct Batch {
    jobs: Vec<Job>,
    /// Callers sending a batch now, at most [`SENDERS`].
    sending: usize,
}

/// Batches in flight at once, each on its own connection: while Redis runs
/// one, the next is gathered and sent.
const SENDERS: usize = 2;

/// One script waiting in a batch, and where its answer goes.
struct Job {
    cmd: redis::Cmd,
    slot: Arc<Slot>,
}

/// Where a waiting caller's answer arrives: the answer, or the turn to send
/// the next batch.
#[derive(Default)]
struct Slot {
    state: Mutex<SlotState>,
    ready: std::sync::Condvar,
}

#[derive(Default)]
enum SlotState {
    #[default]
    Waiting,
    Send,
    Done(Result<redis::Value, String>),
}

impl Slot {
    fn put(&self, state: SlotState) {
        *lock(&self.state) = state;
        self.ready.notify_one();
    }

    /// Waits for the answer or the turn to send: `None` means send.
    fn wait(&self) -> Option<Result<redis::Value, String>> {
        let mut state = lock(&self.state);
        loop {
            match std::mem::take(&mut *state) {
                SlotState::Waiting => {
                    state = self
                        .ready
                        .wait(state)
                        .unwrap_or_else(PoisonError::into_inner);
                }
                SlotState::Send => return None,
                SlotState::Done(answer) => return Some(answer),
            }
        }
    }
}

/// Admission (contract steps 9 to 12) kept in one Redis server, shared by
/// every process that uses the same server and namespace. See the crate
/// documentation for the key layout, the time sources and the failures.
///
/// # Example
/// ```no_run
/// use dialgate_redis::{RedisAdmission, RedisOptions};
/// let check = RedisAdmission::new("redis://127.0.0.1:6379/", RedisOptions::decision_time("dialgate-check:"))?;
/// let scenario_2 = check.with_namespace("dialgate-check:2:")?; // same connections, empty state
/// # Ok::<(), dialgate_redis::ConfigError>(())
/// ```
#[derive(Clone)]
pub struct RedisAdmission {
    shared: Arc<Shared>,
    options: RedisOptions,
}

impl fmt::Debug for RedisAdmission {
    // Never the URL: it may hold a password.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisAdmission")
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl RedisAdmission {
    /// Admission over the Redis server at `url` (`redis://[:PASSWORD@]HOST:PORT[/DB]`).
    /// Connects lazily: a server that is down makes decisions `unavailable`
    /// until it is back (see [`Admission::health`]).
    ///
    /// # Errors
    /// A URL that does not parse, or a namespace with `{` or `}`; the
    /// message never repeats the URL.
    ///
    /// # Example
    /// ```
    /// use dialgate_redis::{RedisAdmission, RedisOptions};
    /// assert!(RedisAdmission::new("redis://127.0.0.1:1/", RedisOptions::decision_time("a:")).is_ok());
    /// assert!(RedisAdmission::new("redis://127.0.0.1:1/", RedisOptions::decision_time("{a}:")).is_err());
    /// ```
    pub fn new(url: &str, options: RedisOptions) -> Result<RedisAdmission, ConfigError> {
        check_namespace(&options.namespace)?;
        let client = redis::Client::open(url).map_err(|e| {
            ConfigError(format!(
                "redis URL does not parse ({}): expected redis://[:PASSWORD@]HOST:PORT[/DB]",
                e.category()
            ))
        })?;
        let claim_seed = getrandom::u64().unwrap_or_else(|_| fallback_seed());
        let shared = Shared {
            client,
            idle: Mutex::new(Vec::new()),
            breaker: Breaker::new(options.breaker_cooldown),
            admit: Script::new(ADMIT_LUA),
            settle: Script::new(SETTLE_LUA),
            claim_seed,
            claims: AtomicU64::new(0),
            batch: Mutex::new(Batch::default()),
        };
        Ok(RedisAdmission {
            shared: Arc::new(shared),
            options,
        })
    }

    /// The HTTP host's admission: the Redis server's clock (the fleet shares
    /// one), holds leased for `hold_lease` (a hold not settled by then counts
    /// as committed), namespace `dialgate:`; see [`RedisOptions::fleet`].
    ///
    /// # Errors
    /// As [`RedisAdmission::new`].
    ///
    /// # Example
    /// ```
    /// let admission = dialgate_redis::RedisAdmission::for_fleet("redis://127.0.0.1:6379/", std::time::Duration::from_secs(60)).unwrap();
    /// # let _ = admission;
    /// ```
    pub fn for_fleet(url: &str, hold_lease: Duration) -> Result<RedisAdmission, ConfigError> {
        RedisAdmission::new(url, RedisOptions::fleet(hold_lease))
    }

    /// The same server, connections and breaker, under another key
    /// namespace (a scenario of `check --redis` starts from empty state so).
    ///
    /// # Errors
    /// A namespace with `{` or `}`.
    ///
    /// # Example
    /// ```
    /// use dialgate_redis::{RedisAdmission, RedisOptions};
    /// let a = RedisAdmission::new("redis://127.0.0.1:1/", RedisOptions::decision_time("a:")).unwrap();
    /// assert_eq!(a.with_namespace("b:").unwrap().options().namespace, "b:");
    /// ```
    pub fn with_namespace(&self, namespace: &str) -> Result<RedisAdmission, ConfigError> {
        check_namespace(namespace)?;
        let mut options = self.options.clone();
        options.namespace = namespace.into();
        Ok(RedisAdmission {
            shared: Arc::clone(&self.shared),
            options,
        })
    }

    /// The options it runs with.
    ///
    /// # Example
    /// See [`RedisAdmission::with_namespace`].
    pub fn options(&self) -> &RedisOptions {
        &self.options
    }

    /// The keys of `company_id` match `NAMESPACE{cHEX}:*` (for operators and
    /// tests: `SCAN MATCH` with it, `MEMORY USAGE` its keys).
    ///
    /// # Example
    /// ```
    /// use dialgate_redis::{RedisAdmission, RedisOptions};
    /// let a = RedisAdmission::new("redis://127.0.0.1:1/", RedisOptions::decision_time("ns:")).unwrap();
    /// assert_eq!(a.company_key_prefix("acme"), "ns:{c61636d65}:");
    /// assert_eq!(a.company_key_prefix(""), "ns:{c}:");
    /// ```
    pub fn company_key_prefix(&self, company_id: &str) -> String {
        let mut key =
            String::with_capacity(self.options.namespace.len() + 4 + 2 * company_id.len());
        key.push_str(&self.options.namespace);
        key.push_str("{c");
        push_hex(&mut key, company_id);
        key.push_str("}:");
        key
    }

    /// A claim id: random per process, distinct within it (a bijective mix
    /// of a counter), so two processes' ids collide with odds of 2^-64.
    fn next_claim(&self) -> u64 {
        let n = self.shared.claims.fetch_add(1, Ordering::Relaxed);
        splitmix64(
            self.shared
                .claim_seed
                .wrapping_add(n.wrapping_mul(0x9E37_79B9_7F4A_7C15)),
        )
    }

    /// Runs `f` on a pooled connection, through the breaker. A connection
    /// whose command failed at the connection level is dropped.
    fn with_connection<T>(
        &self,
        f: impl Fn(&mut Connection) -> RedisResult<T>,
    ) -> Result<T, String> {
        let shared = &*self.shared;
        shared.breaker.allow()?;
        let pooled = lock(&shared.idle).pop();
        let from_pool = pooled.is_some();
        let mut con = match pooled {
            Some(con) => con,
            None => match self.connect() {
                Ok(con) => con,
                Err(e) => {
                    let reason = describe(&e, &self.options);
                    shared.breaker.trip(&reason);
                    return Err(reason);
                }
            },
        };
        let mut result = f(&mut con);
        if from_pool && result.as_ref().is_err_and(is_dead_connection) {
            // An idle connection the server closed (a restart, an idle
            // timeout): the pool is stale. Once more on a new connection; if
            // the first did reach a server, the retry can only refuse (its
            // claims are taken): a wrong no at worst, never a wrong yes.
            lock(&shared.idle).clear();
            match self.connect() {
                Ok(fresh) => {
                    con = fresh;
                    result = f(&mut con);
                }
                Err(e) => result = Err(e),
            }
        }
        match result {
            Ok(value) => {
                shared.breaker.close();
                let mut idle = lock(&shared.idle);
                if idle.len() < self.options.pool_size {
                    idle.push(con);
                }
                Ok(value)
            }
            Err(e) => {
                let reason = describe(&e, &self.options);
                if is_connection_failure(&e) {
                    shared.breaker.trip(&reason);
                } else if e.code().is_some() {
                    // The server answered (OOM, READONLY...): the connection
                    // is in step and can be reused.
                    shared.breaker.close();
                    let mut idle = lock(&shared.idle);
                    if idle.len() < self.options.pool_size {
                        idle.push(con);
                    }
                }
                Err(reason)
            }
        }
    }

    fn connect(&self) -> RedisResult<Connection> {
        let con = self
            .shared
            .client
            .get_connection_with_timeout(self.options.connect_timeout)?;
        con.set_read_timeout(Some(self.options.response_timeout))?;
        con.set_write_timeout(Some(self.options.response_timeout))?;
        Ok(con)
    }

    fn lease_args(&self) -> (i64, i64) {
        match self.options.hold_lease {
            Some(lease) => (
                i64::try_from(lease.as_secs()).unwrap_or(i64::MAX / 2),
                i64::from(lease.subsec_nanos()),
            ),
            None => (-1, 0),
        }
    }

    fn mode(&self) -> &'static str {
        match self.options.time {
            TimeSource::Server => "s",
            TimeSource::Decision => "d",
        }
    }

    fn in_flight_key(&self, company_id: &str, schedule_id: &str, digits: u64) -> String {
        let mut key = self.company_key_prefix(company_id);
        key.push_str("f:");
        push_hex(&mut key, schedule_id);
        key.push(':');
        key.push_str(&digits.to_string());
        key
    }

    fn dials_key(&self, company_id: &str, digits: u64) -> String {
        let mut key = self.company_key_prefix(company_id);
        key.push_str("d:");
        key.push_str(&digits.to_string());
        key
    }

    fn settle(&self, claim: &Claim, commit: bool) -> Result<(), StoreUnavailable> {
        let digits = claim.number.digits();
        let (lease_s, lease_ns) = self.lease_args();
        let (t_sec, t_ns) = match (self.options.time, &self.options.lease_clock) {
            (TimeSource::Server, _) => (0, 0),
            (TimeSource::Decision, Some(clock)) => split(clock.now()),
            (TimeSource::Decision, None) => split(SystemClock.now()),
        };
        let (a_sec, a_ns) = split(claim.admitted_at);
        let mut invocation = redis::cmd("EVALSHA");
        invocation
            .arg(self.shared.settle.get_hash())
            .arg(2)
            .arg(self.in_flight_key(&claim.company_id, &claim.schedule_id, digits))
            .arg(self.dials_key(&claim.company_id, digits))
            .arg(if commit { "c" } else { "r" })
            .arg(claim.id.to_string())
            .arg(if claim.one_off { "1" } else { "0" })
            .arg(a_sec)
            .arg(a_ns)
            .arg(lease_s)
            .arg(lease_ns)
            .arg(self.mode())
            .arg(t_sec)
            .arg(t_ns);
        self.eval(invocation)
            .map(|_| ())
            .map_err(StoreUnavailable::new)
    }

    /// Runs an EVALSHA (reloading the scripts on `NOSCRIPT`), pipelined with
    /// other callers' when [`RedisOptions::pipeline`] is on.
    fn eval(&self, cmd: redis::Cmd) -> Result<redis::Value, String> {
        if !self.options.pipeline {
            return self.with_connection(|con| match cmd.query::<redis::Value>(con) {
                Err(e) if is_noscript(&e) => {
                    self.load_scripts(con)?;
                    cmd.query(con)
                }
                answer => answer,
            });
        }
        let slot = Arc::new(Slot::default());
        {
            let mut batch = lock(&self.shared.batch);
            batch.jobs.push(Job {
                cmd,
                slot: Arc::clone(&slot),
            });
            if batch.sending >= SENDERS {
                drop(batch);
                if let Some(answer) = slot.wait() {
                    return answer;
                }
                // Our turn to send (our script is still waiting).
            } else {
                batch.sending += 1;
            }
        }
        let jobs = std::mem::take(&mut lock(&self.shared.batch).jobs);
        self.send_batch(jobs);
        // Hand the next batch to a waiting caller, or stop sending.
        {
            let mut batch = lock(&self.shared.batch);
            match batch.jobs.first() {
                Some(next) => next.slot.put(SlotState::Send),
                None => batch.sending -= 1,
            }
        }
        slot.wait()
            .unwrap_or_else(|| Err("redis: a pipelined script got no answer".into()))
    }

    /// Sends `jobs` as one pipeline and puts each answer in its slot.
    fn send_batch(&self, jobs: Vec<Job>) {
        let mut pipe = redis::pipe();
        pipe.ignore_errors();
        for job in &jobs {
            pipe.add_command(job.cmd.clone());
        }
        let answers = self.with_connection(|con| {
            let mut answers: Vec<RedisResult<redis::Value>> = pipe.query(con)?;
            // A script the server did not know did not run: load, and send
            // those again (only those).
            let missing: Vec<usize> = answers
                .iter()
                .enumerate()
                .filter(|(_, a)| a.as_ref().is_err_and(is_noscript))
                .map(|(i, _)| i)
                .collect();
            if !missing.is_empty() {
                self.load_scripts(con)?;
                let mut again = redis::pipe();
                again.ignore_errors();
                for job in missing.iter().filter_map(|&i| jobs.get(i)) {
                    again.add_command(job.cmd.clone());
                }
                let more: Vec<RedisResult<redis::Value>> = again.query(con)?;
                for (&i, answer) in missing.iter().zip(more) {
                    if let Some(slot) = answers.get_mut(i) {
                        *slot = answer;
                    }
                }
            }
            Ok(answers)
        });
        match answers {
            Ok(answers) if answers.len() == jobs.len() => {
                for (job, answer) in jobs.into_iter().zip(answers) {
                    let answer = answer.map_err(|e| describe(&e, &self.options));
                    job.slot.put(SlotState::Done(answer));
                }
            }
            Ok(_) => {
                for job in jobs {
                    let why = "redis: a pipeline answered the wrong number of replies";
                    job.slot.put(SlotState::Done(Err(why.into())));
                }
            }
            Err(reason) => {
                for job in jobs {
                    job.slot.put(SlotState::Done(Err(reason.clone())));
                }
            }
        }
    }

    fn load_scripts(&self, con: &mut Connection) -> RedisResult<()> {
        self.shared.admit.load(con)?;
        self.shared.settle.load(con)?;
        Ok(())
    }
}

fn is_noscript(e: &RedisError) -> bool {
    e.kind() == redis::ErrorKind::Server(redis::ServerErrorKind::NoScript)
}

impl RedisAdmission {
    /// A fresh claim id for [`RedisAdmission::admit_with_id`]: random per
    /// process, distinct within it.
    ///
    /// # Example
    /// See [`RedisAdmission::admit_with_id`].
    pub fn claim_id(&self) -> u64 {
        self.next_claim()
    }

    /// [`Admission::admit`] under a claim id the caller chose (from
    /// [`RedisAdmission::claim_id`]), which makes a retry idempotent: when an
    /// admission answered `unavailable` because its answer was lost (a
    /// timeout once the script was sent), the same request retried with the
    /// same id answers the claim the first attempt took, admitted at the same
    /// instant, instead of refusing the number it blocks. A retry of an
    /// attempt that never ran decides afresh.
    ///
    /// # Errors
    /// As [`Admission::admit`].
    ///
    /// # Example
    /// ```no_run
    /// use dialgate::{AdmissionRequest, Company, E164};
    /// use dialgate_redis::RedisAdmission;
    /// let admission = RedisAdmission::for_fleet("redis://127.0.0.1:6379/", std::time::Duration::from_secs(60))?;
    /// let acme = Company::new("acme", 5).unwrap();
    /// let ask = AdmissionRequest { company: &acme, schedule_id: "s", number: E164::from_digits(17195551234).unwrap(), one_off: false, caps: &[], now: chrono::Utc::now() };
    /// let id = admission.claim_id();
    /// let claim = match admission.admit_with_id(&ask, id) {
    ///     Err(e) if e.code() == "unavailable" => admission.admit_with_id(&ask, id), // once Redis answers again
    ///     answer => answer,
    /// };
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn admit_with_id(
        &self,
        request: &AdmissionRequest<'_>,
        claim: u64,
    ) -> Result<Claim, Rejection> {
        let company = request.company;
        let (t_sec, t_ns) = match self.options.time {
            TimeSource::Decision => {
                if !dialgate::clock::in_range(request.now) {
                    return Err(Rejection::InvalidRequest {
                        reason: OUT_OF_RANGE.into(),
                    });
                }
                split(request.now)
            }
            TimeSource::Server => (0, 0),
        };
        let digits = request.number.digits();
        let (lease_s, lease_ns) = self.lease_args();
        let margin_ms = millis(self.options.ttl_margin);
        let in_flight_ms = match self.options.hold_lease {
            Some(lease) => millis(lease).saturating_add(margin_ms),
            None => millis(self.options.unleased_hold_ttl),
        };
        let mut invocation = redis::cmd("EVALSHA");
        invocation
            .arg(self.shared.admit.get_hash())
            .arg(3)
            .arg(self.company_key_prefix(&company.id) + "c")
            .arg(self.dials_key(&company.id, digits))
            .arg(self.in_flight_key(&company.id, request.schedule_id, digits))
            .arg(self.mode())
            .arg(t_sec)
            .arg(t_ns)
            .arg(claim.to_string())
            .arg(if request.one_off { "1" } else { "0" })
            .arg(company.redial_window_s)
            .arg(company.cps_limit.get())
            .arg(lease_s)
            .arg(lease_ns)
            .arg(margin_ms)
            .arg(in_flight_ms.max(1))
            .arg(request.caps.len());
        for cap in request.caps {
            invocation.arg(cap.calls).arg(cap.per_s);
        }
        let unavailable = |reason: String| Rejection::Unavailable {
            guard: Guard::ConcurrentLead,
            part: "admission".into(),
            reason,
        };
        let wait = self.options.wait_replicas;
        let (reply, acked): (Vec<i64>, Option<i64>) = match wait {
            None => {
                let reply = self.eval(invocation).map_err(unavailable)?;
                let reply = redis::from_redis_value(reply).map_err(|_| {
                    unavailable("redis: the admit script answered something unexpected".into())
                })?;
                (reply, None)
            }
            Some(_) => self
                .with_connection(|con| {
                    let reply: Vec<i64> = match invocation.query(con) {
                        Err(e) if is_noscript(&e) => {
                            self.load_scripts(con)?;
                            invocation.query(con)?
                        }
                        answer => answer?,
                    };
                    // Only an admission wrote anything worth waiting for.
                    let acked = match (wait, reply.first()) {
                        (Some((replicas, timeout)), Some(0)) => Some(
                            redis::cmd("WAIT")
                                .arg(replicas)
                                .arg(millis(timeout).max(1))
                                .query(con)?,
                        ),
                        _ => None,
                    };
                    Ok((reply, acked))
                })
                .map_err(unavailable)?,
        };
        if let (Some((replicas, _)), Some(acked)) = (wait, acked)
            && acked < i64::from(replicas)
        {
            return Err(unavailable(format!(
                "redis: {acked} of {replicas} replicas acknowledged the claim in time"
            )));
        }
        let number = request.number;
        match reply.as_slice() {
            [0, sec, ns] => Ok(Claim {
                id: claim,
                company_id: Arc::from(company.id.as_str()),
                schedule_id: Arc::from(request.schedule_id),
                number,
                one_off: request.one_off,
                admitted_at: instant(*sec, *ns),
            }),
            [1] => Err(Rejection::DuplicateConcurrentLead {
                number: number.to_string(),
                schedule_id: request.schedule_id.to_owned(),
            }),
            [2, at_sec, at_ns, until_sec, until_ns] => Err(Rejection::RecentlyDialed {
                number: number.to_string(),
                dialled_at: instant(*at_sec, *at_ns),
                window_s: company.redial_window_s,
                retry_at: Some(instant(*until_sec, *until_ns)),
            }),
            [3, index, count, sec, ns] => {
                let cap = usize::try_from(*index - 1)
                    .ok()
                    .and_then(|i| request.caps.get(i))
                    .ok_or_else(|| unavailable("the admit script named no cap".into()))?;
                Err(Rejection::CallCapReached {
                    number: number.to_string(),
                    rule: cap.rule.to_owned(),
                    calls: cap.calls,
                    per_s: cap.per_s,
                    count: u32::try_from(*count).unwrap_or(u32::MAX),
                    retry_at: Some(instant(*sec, *ns)),
                })
            }
            [4, sec, ns] => Err(Rejection::CpsExceeded {
                company_id: company.id.clone(),
                cps_limit: company.cps_limit.get(),
                retry_at: Some(instant(*sec, *ns)),
            }),
            _ => Err(unavailable(
                "redis: the admit script answered something unexpected".into(),
            )),
        }
    }
}

impl Admission for RedisAdmission {
    fn admit(&self, request: &AdmissionRequest<'_>) -> Result<Claim, Rejection> {
        self.admit_with_id(request, self.next_claim())
    }

    fn commit(&self, claim: &Claim) -> Result<(), StoreUnavailable> {
        // Only an in-flight one-off lead changes: the dial stays.
        if !claim.one_off {
            return Ok(());
        }
        self.settle(claim, true)
    }

    fn release(&self, claim: &Claim) -> Result<(), StoreUnavailable> {
        self.settle(claim, false)
    }

    fn health(&self) -> Result<(), StoreUnavailable> {
        self.with_connection(|con| redis::cmd("PING").query::<String>(con))
            .map(|_| ())
            .map_err(StoreUnavailable::new)
    }
}

/// A circuit breaker: closed (0), or open until an instant (milliseconds
/// since `base`, plus one so that 0 stays "closed").
struct Breaker {
    base: Instant,
    open_until: AtomicU64,
    cooldown_ms: u64,
    last: Mutex<String>,
}

impl Breaker {
    fn new(cooldown: Duration) -> Breaker {
        Breaker {
            base: Instant::now(),
            open_until: AtomicU64::new(0),
            cooldown_ms: u64::try_from(cooldown.as_millis()).unwrap_or(u64::MAX / 4),
            last: Mutex::new(String::new()),
        }
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.base.elapsed().as_millis())
            .unwrap_or(u64::MAX / 4)
            .saturating_add(1)
    }

    /// Ok to try: closed, or the one probe after the cooldown; else the
    /// failure that opened it.
    fn allow(&self) -> Result<(), String> {
        let until = self.open_until.load(Ordering::Acquire);
        if until == 0 {
            return Ok(());
        }
        let now = self.now_ms();
        if now >= until
            && self
                .open_until
                .compare_exchange(
                    until,
                    now.saturating_add(self.cooldown_ms),
                    Ordering::AcqRel,
                    Ordering::Acquire,
                )
                .is_ok()
        {
            return Ok(());
        }
        Err(format!(
            "redis: circuit open after a failure ({})",
            lock(&self.last)
        ))
    }

    fn trip(&self, reason: &str) {
        {
            let mut last = lock(&self.last);
            last.clear();
            last.push_str(reason);
        }
        let until = self.now_ms().saturating_add(self.cooldown_ms);
        self.open_until.store(until, Ordering::Release);
    }

    fn close(&self) {
        if self.open_until.load(Ordering::Relaxed) != 0 {
            self.open_until.store(0, Ordering::Release);
        }
    }
}

/// Whether the connection itself failed (refused, timed out, dropped, I/O):
/// the breaker opens, and the connection is not reused.
fn is_connection_failure(e: &RedisError) -> bool {
    e.is_io_error() || e.is_timeout() || e.is_connection_refusal() || e.is_connection_dropped()
}

/// A connection found closed (not a timeout: a command that timed out may
/// still be running).
fn is_dead_connection(e: &RedisError) -> bool {
    !e.is_timeout() && (e.is_connection_dropped() || e.is_io_error())
}

/// What failed, for a human: never the URL or a credential.
fn describe(e: &RedisError, options: &RedisOptions) -> String {
    if e.is_timeout() {
        return format!(
            "redis: no answer within {} ms",
            options.response_timeout.as_millis()
        );
    }
    if e.is_connection_refusal() {
        return "redis: connection refused".into();
    }
    if e.is_connection_dropped() {
        return "redis: connection lost".into();
    }
    if e.is_io_error() {
        return "redis: I/O error".into();
    }
    match e.code() {
        Some("NOSCRIPT") => "redis: NOSCRIPT, the script could not be loaded".into(),
        Some("OOM") => "redis: OOM, out of memory (maxmemory reached)".into(),
        Some("READONLY") => "redis: READONLY, a replica cannot take writes".into(),
        Some(code) => format!("redis: the server answered {code}"),
        None => format!("redis: {}", e.category()),
    }
}

fn check_namespace(namespace: &str) -> Result<(), ConfigError> {
    if namespace.contains(['{', '}']) {
        return Err(ConfigError(
            "redis namespace may not contain `{` or `}` (the hash tag follows it)".into(),
        ));
    }
    Ok(())
}

/// Appends `s`'s bytes in lowercase hex.
fn push_hex(out: &mut String, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for b in s.bytes() {
        for nibble in [b >> 4, b & 15] {
            if let Some(&c) = HEX.get(usize::from(nibble)) {
                out.push(char::from(c));
            }
        }
    }
}

/// (seconds, nanoseconds in 0..1e9) of an instant, as local admission reads
/// it (nanoseconds since the epoch, saturating).
fn split(t: DateTime<Utc>) -> (i64, i64) {
    let nanos = t.timestamp_nanos_opt().unwrap_or(if t.timestamp() < 0 {
        i64::MIN
    } else {
        i64::MAX
    });
    (nanos.div_euclid(NANOS_PER_S), nanos.rem_euclid(NANOS_PER_S))
}

/// The instant `sec` s + `ns` ns after the epoch, saturating at the end of
/// `i64` nanoseconds as local admission's arithmetic does.
fn instant(sec: i64, ns: i64) -> DateTime<Utc> {
    let nanos = i128::from(sec) * i128::from(NANOS_PER_S) + i128::from(ns);
    DateTime::from_timestamp_nanos(i64::try_from(nanos).unwrap_or(if nanos < 0 {
        i64::MIN
    } else {
        i64::MAX
    }))
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX / 4)
}

fn splitmix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A seed without the OS's randomness: the time and the process id.
fn fallback_seed() -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    splitmix64(nanos ^ (u64::from(std::process::id()) << 32))
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_and_instant_round_trip() {
        let t = dialgate::timefmt::parse("2026-11-26T15:00:00.123456789Z").unwrap();
        let (s, n) = split(t);
        assert_eq!((s, n), (1_795_705_200, 123_456_789));
        assert_eq!(instant(s, n), t);
        assert_eq!(
            instant(9_223_372_037, 0).timestamp_nanos_opt(),
            Some(i64::MAX)
        );
    }

    #[test]
    fn claim_ids_are_distinct() {
        let a =
            RedisAdmission::new("redis://127.0.0.1:1/", RedisOptions::decision_time("x:")).unwrap();
        let ids: std::collections::HashSet<u64> = (0..10_000).map(|_| a.next_claim()).collect();
        assert_eq!(ids.len(), 10_000);
    }

    #[test]
    fn the_out_of_range_message_is_local_admissions() {
        use dialgate::{Company, LocalAdmission, E164};
        let acme = Company::new("acme", 1).unwrap();
        let ask = AdmissionRequest {
            company: &acme,
            schedule_id: "s",
            number: E164::from_digits(17195551234).unwrap(),
            one_off: false,
            caps: &[],
            now: dialgate::timefmt::parse("2201-01-01T00:00:00Z").unwrap(),
        };
        let local = LocalAdmission::new().admit(&ask).unwrap_err();
        let redis = RedisAdmission::new("redis://127.0.0.1:1/", RedisOptions::decision_time("x:"))
            .unwrap()
            .admit(&ask)
            .unwrap_err();
        assert_eq!(local, redis);
    }

    #[test]
    fn a_refused_connection_is_unavailable_and_opens_the_breaker() {
        let a =
            RedisAdmission::new("redis://127.0.0.1:1/", RedisOptions::decision_time("x:")).unwrap();
        let acme = dialgate::Company::new("acme", 1).unwrap();
        let ask = AdmissionRequest {
            company: &acme,
            schedule_id: "s",
            number: dialgate::E164::from_digits(17195551234).unwrap(),
            one_off: false,
            caps: &[],
            now: dialgate::timefmt::parse("2026-11-26T15:00:00Z").unwrap(),
        };
        let err = a.admit(&ask).unwrap_err();
        assert_eq!(err.code(), "unavailable");
        assert!(err.to_string().contains("connection refused"), "{err}");
        let err = a.admit(&ask).unwrap_err();
        assert!(err.to_string().contains("circuit open"), "{err}");
        assert!(a.health().is_err());
    }

    #[test]
    fn no_password_in_debug_or_errors() {
        let a = RedisAdmission::new(
            "redis://:hunter2@127.0.0.1:1/",
            RedisOptions::decision_time("x:"),
        )
        .unwrap();
        assert!(!format!("{a:?}").contains("hunter2"));
        let err = a.health().unwrap_err();
        assert!(!err.reason.contains("hunter2"));
        let err = RedisAdmission::new("redis://:hunter2@[bad", RedisOptions::decision_time("x:"))
            .unwrap_err();
        assert!(!err.to_string().contains("hunter2"), "{err}");
    }
}
