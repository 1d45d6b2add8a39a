//! The dialgate HTTP host: `dialgate serve`, as the contract's section "The
//! HTTP host" describes it.
//!
//! - `POST /api/v1/schedules/make_call[?hold=true]` decides a request for
//!   the company that HTTP Basic authentication names (the world's
//!   `api_keys`), answering the contract's status table, `Retry-After`
//!   where the rejection has a `retry_at`;
//! - `POST /api/v1/calls/{call_id}/commit` and `/release` settle a held
//!   call; a hold not settled within its lease (60 s by default) is
//!   committed;
//! - `POST /api/v1/leads`, `GET`, `PATCH` and `DELETE /api/v1/leads/{id}`,
//!   `PUT /api/v1/schedules/{id}`, `POST` and `DELETE /api/v1/suppressions`
//!   change the engine's live stores while decisions run; the next decision
//!   sees the change whole;
//! - `GET /healthz`, `GET /readyz` (the admission state answers),
//!   `GET /metrics` (Prometheus text: decisions by code, the decision
//!   latency histogram, holds open, admission errors);
//! - one structured log line per request (method, path, status, company,
//!   code, call id, latency; never a key), JSON on stderr;
//! - SIGTERM or SIGINT: stop accepting, finish the requests under way
//!   within 10 s, commit the open holds, return.
//!
//! # Where decisions run
//!
//! The engine is synchronous. With in-process admission (the default) a
//! decision takes about a microsecond and never blocks, so handlers call it
//! inline on the async executor: a hop to a thread pool would cost more than
//! the decision. An admission state given with [`AppBuilder::admission`]
//! (Redis, across a fleet) may block on the network, so every decision,
//! commit, release and readiness probe then runs on tokio's blocking pool
//! (`spawn_blocking`) and never stalls the executor.
//!
//! # Bodies
//!
//! A route that takes a body checks, after authentication and in this
//! order: the media type (415), the size (413 over 64 KiB), the JSON syntax
//! (400). The size is checked while reading, after the media type: a layer
//! such as tower-http's body limit would answer 413 before the handler could
//! answer 415. tower-http gives the request timeout and turns a panic into
//! a 500 (never expected: a bug would otherwise drop the connection).
//!
//! # Example
//! ```
//! use dialgate_server::{App, Options};
//! let world = dialgate::World::from_json(r#"{"companies": [{"id": "acme", "cps_limit": 5}]}"#).unwrap();
//! let app = App::builder(world).options(Options::default()).build();
//! assert_eq!(app.holds_open(), 0);
//! let _router = app.router(); // serve it with `App::serve` or `App::run`
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

mod auth;
mod holds;
mod http;
mod live;
mod metrics;
mod routes;

use std::collections::HashMap;
use std::future::{Future, IntoFuture};
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::middleware::{from_fn, from_fn_with_state};
use axum::routing::{get, post, put};
use axum::Router;
use chrono::{DateTime, Utc};
use dialgate::{
    Admission, Admitted, Clock, Company, InMemoryEngine, LocalAdmission, RegistryList, Rejection,
    SystemClock, World,
};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::timeout::TimeoutLayer;

pub use http::MAX_BODY_BYTES;

/// The host's settings.
///
/// # Example
/// ```
/// use std::time::Duration;
/// let options = dialgate_server::Options { hold_lease: Duration::from_secs(120), ..Default::default() };
/// assert_eq!(options.shutdown_grace, Duration::from_secs(10));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Options {
    /// How long a held call may stay unsettled before it is committed
    /// (`--hold-lease-s`; default 60 s), measured on the host's clock from
    /// the call's `placed_at`.
    pub hold_lease: Duration,
    /// How often the host looks for holds whose lease ended (and drains the
    /// metrics' histogram samples); default 1 s.
    pub sweep_every: Duration,
    /// The longest a request may take, body included (408 after); default
    /// 10 s.
    pub request_timeout: Duration,
    /// How long requests under way may take to finish once shutdown starts;
    /// default 10 s.
    pub shutdown_grace: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            hold_lease: Duration::from_secs(60),
            sweep_every: Duration::from_secs(1),
            request_timeout: Duration::from_secs(10),
            shutdown_grace: Duration::from_secs(10),
        }
    }
}

/// The clock shared by the engine and the hold leases.
#[derive(Clone, Debug)]
struct SharedClock(Arc<dyn Clock>);

impl Clock for SharedClock {
    fn now(&self) -> DateTime<Utc> {
        self.0.now()
    }
}

/// Builds an [`App`] from a world.
///
/// # Example
/// ```
/// use std::sync::Arc;
/// use dialgate::{FakeClock, LocalAdmission, World};
/// let world = World::from_json(r#"{"companies": [{"id": "acme", "cps_limit": 5}]}"#).unwrap();
/// let app = dialgate_server::App::builder(world)
///     .clock(FakeClock::at("2026-11-26T15:00:00Z").unwrap())
///     .admission(Arc::new(LocalAdmission::new())) // decisions then run on the blocking pool
///     .build();
/// assert_eq!(app.holds_open(), 0);
/// ```
#[derive(Debug)]
#[must_use = "a builder does nothing until built"]
pub struct AppBuilder {
    world: World,
    clock: Arc<dyn Clock>,
    registries: Option<Vec<Arc<dyn RegistryList>>>,
    admission: Option<Arc<dyn Admission>>,
    options: Options,
}

impl AppBuilder {
    /// Decides on this clock (the system clock by default); hold leases
    /// run on it too, so tests move time instead of sleeping.
    ///
    /// # Example
    /// See [`AppBuilder`].
    pub fn clock(mut self, clock: impl Clock + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Consults these registry lists at step 7 (opened by the caller: the
    /// world only names them). Without this, each list the world names
    /// refuses the calls it applies to.
    ///
    /// # Example
    /// ```
    /// let world = dialgate::World::from_json("{}").unwrap();
    /// let app = dialgate_server::App::builder(world).registries(Vec::new()).build();
    /// # let _ = app;
    /// ```
    pub fn registries(mut self, lists: Vec<Arc<dyn RegistryList>>) -> Self {
        self.registries = Some(lists);
        self
    }

    /// Uses this admission state (a fleet's, over Redis) instead of
    /// in-process admission. Decisions, commits, releases and readiness
    /// probes then run on the blocking thread pool: they may wait on the
    /// network.
    ///
    /// # Example
    /// See [`AppBuilder`].
    pub fn admission(mut self, admission: Arc<dyn Admission>) -> Self {
        self.admission = Some(admission);
        self
    }

    /// The host's settings.
    ///
    /// # Example
    /// See [`App`].
    pub fn options(mut self, options: Options) -> Self {
        self.options = options;
        self
    }

    /// The host.
    ///
    /// # Example
    /// See [`AppBuilder`].
    pub fn build(self) -> App {
        let AppBuilder {
            world,
            clock,
            registries,
            admission,
            options,
        } = self;
        let api_keys = world.api_keys().to_vec();
        let (companies, mut engine) = world.into_parts(SharedClock(Arc::clone(&clock)));
        if let Some(lists) = registries {
            engine = engine.with_registries(lists);
        }
        let (admission, local, blocking): (Arc<dyn Admission>, _, _) = match admission {
            Some(shared) => (shared, None, true),
            None => {
                let local = Arc::new(LocalAdmission::new());
                (local.clone(), Some(local), false)
            }
        };
        // A committed one-off lead is stored (status `one_off`), readable by its id.
        let engine = engine
            .with_admission(Arc::clone(&admission))
            .with_one_off_leads_stored();
        let companies: HashMap<String, Arc<Company>> = companies
            .into_iter()
            .map(|(id, c)| (id, Arc::new(c)))
            .collect();
        let lease =
            chrono::TimeDelta::from_std(options.hold_lease).unwrap_or(chrono::TimeDelta::MAX);
        App {
            state: Arc::new(AppState {
                engine: Arc::new(engine),
                admission,
                local,
                blocking,
                keys: auth::Keys::new(&api_keys, &companies),
                holds: holds::Holds::default(),
                metrics: metrics::Metrics::new(),
                clock,
                lease,
                options,
                draining: AtomicBool::new(false),
            }),
        }
    }
}

/// What a make_call decision came to, off the executor.
pub(crate) enum Decision {
    Rejected(Rejection),
    /// Admitted, and committed or held: the Call record line.
    Admitted {
        line: Vec<u8>,
        call_id: String,
    },
    /// Admitted, but admission could not take the commit.
    CommitFailed {
        call_id: String,
        reason: String,
    },
}

/// `{"ok": true, "call": CALL}`, written straight from the record (the
/// bytes `Call::to_json` gives, without building a JSON tree first).
fn call_line(call: &dialgate::Call) -> Vec<u8> {
    let mut line = Vec::with_capacity(512);
    line.extend_from_slice(br#"{"ok":true,"call":"#);
    match serde_json::to_writer(&mut line, call) {
        Ok(()) => {
            line.push(b'}');
            line
        }
        Err(_) => serde_json::to_vec(&call.to_json()).unwrap_or_default(),
    }
}

/// Everything the handlers share.
#[derive(Debug)]
pub(crate) struct AppState {
    engine: Arc<InMemoryEngine>,
    admission: Arc<dyn Admission>,
    local: Option<Arc<LocalAdmission>>,
    /// Whether decisions run on the blocking pool (an admission that may
    /// block) or inline.
    blocking: bool,
    keys: auth::Keys,
    holds: holds::Holds,
    metrics: metrics::Metrics,
    clock: Arc<dyn Clock>,
    lease: chrono::TimeDelta,
    options: Options,
    draining: AtomicBool,
}

impl AppState {
    /// Runs `f` inline, or on the blocking pool when admission may block.
    async fn off_executor<T, F>(&self, f: F) -> Result<T, http::ApiError>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        if self.blocking {
            tokio::task::spawn_blocking(f)
                .await
                .map_err(|_| http::ApiError::internal())
        } else {
            Ok(f())
        }
    }

    /// Decides a make_call body for `company`; commits or holds an
    /// admitted call.
    fn decide(&self, company: &Company, body: &[u8], hold: bool) -> Decision {
        let started = Instant::now();
        let decided = self.engine.make_call_json(company, body);
        let took = started.elapsed();
        let admitted = match decided {
            Err(rejection) => {
                self.metrics.decision(rejection.code(), took);
                if matches!(&rejection, Rejection::Unavailable { part, .. } if part == "admission")
                {
                    self.metrics.admission_error();
                }
                return Decision::Rejected(rejection);
            }
            Ok(admitted) => admitted,
        };
        self.metrics.decision(metrics::ADMITTED, took);
        let line = call_line(admitted.call());
        let call_id = admitted.call().id.clone();
        if hold {
            let expires_at = admitted
                .call()
                .placed_at
                .checked_add_signed(self.lease)
                .unwrap_or(DateTime::<Utc>::MAX_UTC);
            let open = self.holds.insert(&company.id, admitted, expires_at);
            self.metrics.holds_open(open);
            return Decision::Admitted { line, call_id };
        }
        match self.commit(admitted) {
            Ok(()) => Decision::Admitted { line, call_id },
            Err(reason) => Decision::CommitFailed { call_id, reason },
        }
    }

    /// Commits an admitted call; the reason admission could not take it.
    fn commit(&self, admitted: Admitted) -> Result<(), String> {
        let failed = match admitted.try_commit() {
            Ok(_done) => None,
            Err(e) => Some(e.error.reason),
        };
        match failed {
            None => Ok(()),
            Some(reason) => {
                self.metrics.admission_error();
                Err(reason)
            }
        }
    }

    /// Releases an admitted call; the reason admission could not take it.
    fn release(&self, admitted: Admitted) -> Result<(), String> {
        admitted.try_release().map(|_| ()).map_err(|e| {
            self.metrics.admission_error();
            e.error.reason
        })
    }
}

/// The HTTP host: a world's engine, its API keys, the held calls and the
/// metrics. Cheap to clone (one `Arc`).
///
/// # Example
/// ```
/// use std::time::Duration;
/// use dialgate_server::{App, Options};
/// let world = dialgate::World::from_json(r#"{"companies": [{"id": "acme", "cps_limit": 5}]}"#).unwrap();
/// let app = App::builder(world)
///     .options(Options { hold_lease: Duration::from_secs(5), ..Options::default() })
///     .build();
/// let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
/// runtime.block_on(async {
///     let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
///     // Serves until the future given resolves: here, at once.
///     app.serve(listener, async {}).await.unwrap();
/// });
/// ```
#[derive(Clone, Debug)]
pub struct App {
    state: Arc<AppState>,
}

impl App {
    /// A builder over `world`: system clock, in-process admission, default
    /// [`Options`].
    ///
    /// # Example
    /// See [`App`].
    pub fn builder(world: World) -> AppBuilder {
        AppBuilder {
            world,
            clock: Arc::new(SystemClock),
            registries: None,
            admission: None,
            options: Options::default(),
        }
    }

    /// The engine, shared by every handler (for a host that adds routes of
    /// its own, and for tests).
    ///
    /// # Example
    /// ```
    /// let app = dialgate_server::App::builder(dialgate::World::from_json("{}").unwrap()).build();
    /// assert_eq!(app.engine().leads().len(), 0);
    /// ```
    pub fn engine(&self) -> &Arc<InMemoryEngine> {
        &self.state.engine
    }

    /// How many calls are held (admitted with `?hold=true`, not settled).
    ///
    /// # Example
    /// See the crate's documentation.
    pub fn holds_open(&self) -> usize {
        self.state.holds.len()
    }

    /// The routes, with authentication, the JSON errors, the request
    /// timeout and the log line.
    ///
    /// # Example
    /// See the crate's documentation.
    pub fn router(&self) -> Router {
        let state = Arc::clone(&self.state);
        // Authentication on each method router, not on the whole router:
        // a known path with another method is 405 before it is 401.
        let auth = from_fn_with_state(Arc::clone(&state), http::authenticate);
        let api = Router::new()
            .route(
                "/api/v1/schedules/make_call",
                post(routes::make_call)
                    .put(live::put_schedule_make_call)
                    .route_layer(auth.clone()),
            )
            .route(
                "/api/v1/calls/{call_id}/commit",
                post(routes::commit).route_layer(auth.clone()),
            )
            .route(
                "/api/v1/calls/{call_id}/release",
                post(routes::release).route_layer(auth.clone()),
            )
            .route("/api/v1/leads", post(live::enrol).route_layer(auth.clone()))
            .route(
                "/api/v1/leads/{id}",
                get(live::get_lead)
                    .patch(live::patch_lead)
                    .delete(live::delete_lead)
                    .route_layer(auth.clone()),
            )
            .route(
                "/api/v1/schedules/{id}",
                put(live::put_schedule).route_layer(auth.clone()),
            )
            .route(
                "/api/v1/suppressions",
                post(live::add_suppression)
                    .delete(live::remove_suppression)
                    .route_layer(auth),
            );
        Router::new()
            .route("/healthz", get(routes::healthz))
            .route("/readyz", get(routes::readyz))
            .route("/metrics", get(routes::metrics))
            .merge(api)
            .layer(CatchPanicLayer::new())
            .layer(TimeoutLayer::with_status_code(
                axum::http::StatusCode::REQUEST_TIMEOUT,
                state.options.request_timeout,
            ))
            .layer(from_fn(http::json_errors))
            .layer(from_fn(http::log_line))
            .with_state(state)
    }

    /// Commits every hold whose lease has ended on the host's clock; how
    /// many. The host runs this every [`Options::sweep_every`]; a test with
    /// a fake clock calls it after moving the clock.
    ///
    /// # Example
    /// ```
    /// # let app = dialgate_server::App::builder(dialgate::World::from_json("{}").unwrap()).build();
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// assert_eq!(app.sweep_holds().await, 0);
    /// # });
    /// ```
    pub async fn sweep_holds(&self) -> usize {
        let now = self.state.clock.now();
        let (expired, open) = self.state.holds.expired(now);
        self.state.metrics.holds_open(open);
        let n = expired.len();
        if n > 0 {
            let state = Arc::clone(&self.state);
            let _ = self
                .state
                .off_executor(move || {
                    for admitted in expired {
                        let _ = state.commit(admitted);
                    }
                })
                .await;
            tracing::info!(holds = n, "committed holds whose lease ended");
        }
        n
    }

    /// Serves on `listener` until `shutdown` resolves; then stops
    /// accepting, lets the requests under way finish (up to
    /// [`Options::shutdown_grace`]), commits the open holds and returns.
    ///
    /// # Errors
    /// An I/O error of the listener.
    ///
    /// # Example
    /// See [`App`].
    pub async fn serve(
        self,
        listener: tokio::net::TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> io::Result<()> {
        let timer = tokio::spawn(lease_timer(self.clone()));
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let mut server = std::pin::pin!(axum::serve(listener, self.router())
            .with_graceful_shutdown(async move {
                let mut stopped = stopped;
                let _ = stopped.wait_for(|s| *s).await;
            })
            .into_future());
        let result = tokio::select! {
            served = &mut server => served,
            () = shutdown => {
                self.state.draining.store(true, std::sync::atomic::Ordering::Relaxed);
                let _ = stop.send(true);
                match tokio::time::timeout(self.state.options.shutdown_grace, &mut server).await {
                    Ok(served) => served,
                    Err(_) => {
                        tracing::warn!("requests still under way after the shutdown grace were dropped");
                        Ok(())
                    }
                }
            }
        };
        timer.abort();
        let open = self.state.holds.drain();
        self.state.metrics.holds_open(0);
        let n = open.len();
        let state = Arc::clone(&self.state);
        let _ = self
            .state
            .off_executor(move || {
                for admitted in open {
                    let _ = state.commit(admitted);
                }
            })
            .await;
        tracing::info!(holds = n, "stopped; open holds committed");
        result
    }

    /// Runs the host on a multi-thread runtime of its own: binds `listen`
    /// (port 0: a free port), calls `ready` with the address bound (the
    /// command prints `listening on http://HOST:PORT` there), serves until
    /// SIGTERM or SIGINT, and returns once stopped. Installs the log
    /// subscriber ([`init_logging`]).
    ///
    /// # Errors
    /// The runtime, the signal handlers or the listener could not be set
    /// up, or `ready` failed.
    ///
    /// # Example
    /// ```no_run
    /// let world = dialgate::World::from_json("{}").unwrap();
    /// dialgate_server::App::builder(world).build().run("127.0.0.1:0", |addr| {
    ///     println!("listening on http://{addr}");
    ///     Ok(())
    /// }).unwrap();
    /// ```
    pub fn run(
        self,
        listen: &str,
        ready: impl FnOnce(SocketAddr) -> io::Result<()>,
    ) -> io::Result<()> {
        init_logging();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()?;
        runtime.block_on(async move {
            // Handlers first: a signal right after the ready line must not
            // kill the process with the default action.
            let shutdown = shutdown_signal()?;
            let listener = tokio::net::TcpListener::bind(listen).await?;
            ready(listener.local_addr()?)?;
            self.serve(listener, shutdown).await
        })
    }
}

/// SIGTERM or SIGINT.
#[cfg(unix)]
fn shutdown_signal() -> io::Result<impl Future<Output = ()> + Send + 'static> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    Ok(async move {
        tokio::select! {
            _ = term.recv() => {}
            _ = int.recv() => {}
        }
    })
}

/// Ctrl-C.
#[cfg(not(unix))]
fn shutdown_signal() -> io::Result<impl Future<Output = ()> + Send + 'static> {
    Ok(async {
        let _ = tokio::signal::ctrl_c().await;
    })
}

/// Commits expired holds and drains the histogram samples, every
/// [`Options::sweep_every`].
async fn lease_timer(app: App) {
    let mut tick = tokio::time::interval(app.state.options.sweep_every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        tick.tick().await;
        app.sweep_holds().await;
        app.state.metrics.upkeep();
        if let Some(local) = &app.state.local {
            local.sweep(app.state.clock.now());
        }
    }
}

/// Installs the log subscriber: one JSON object a line on stderr (stdout
/// is the command's), at the level `DIALGATE_LOG` names (`info` by
/// default; `off`, `error`, `warn`, `debug`, `trace`). Does nothing when a
/// subscriber is installed already.
///
/// # Example
/// ```
/// dialgate_server::init_logging();
/// dialgate_server::init_logging(); // a second call is harmless
/// ```
pub fn init_logging() {
    let level = std::env::var("DIALGATE_LOG")
        .ok()
        .and_then(|v| v.parse::<tracing_subscriber::filter::LevelFilter>().ok())
        .unwrap_or(tracing_subscriber::filter::LevelFilter::INFO);
    let _ = tracing_subscriber::fmt()
        .json()
        .flatten_event(true)
        .with_current_span(false)
        .with_span_list(false)
        .with_target(false)
        .with_max_level(level)
        .with_writer(io::stderr)
        .try_init();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_call_line_is_the_records_json() {
        let (engine, company) = dialgate::doc_example();
        let body = br#"{"schedule_id": "sch-solar", "to": "+17195557777", "data": {"a": 1, "b": "x\"y", "c": null, "d": 2.5, "e": true}}"#;
        let admitted = engine.make_call_json(&company, body).unwrap();
        let call = admitted.call();
        assert_eq!(
            call_line(call),
            serde_json::to_vec(&call.to_json()).unwrap()
        );
        let route = dialgate::MakeCallRequest::for_lead("lead-ann");
        let admitted = engine.make_call(&company, &route).unwrap();
        assert_eq!(
            call_line(admitted.call()),
            serde_json::to_vec(&admitted.call().to_json()).unwrap()
        );
    }
}
