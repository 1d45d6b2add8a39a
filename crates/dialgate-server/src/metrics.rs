//! `/metrics`: Prometheus text from a recorder of this host's own.
//!
//! The recorder is not installed as the process's global one: each `App`
//! keeps its own, so that several hosts in one process (the
//! tests start dozens) count apart. Every counter is registered once, up
//! front; a decision bumps a handle, with no lookup by name.

use std::collections::HashMap;
use std::time::Duration;

use metrics::{Counter, Gauge, Histogram, Key, Label, Metadata, Recorder, Unit};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle, PrometheusRecorder};

/// The decision latency histogram's buckets, seconds: the engine decides
/// in about a microsecond in-process, a Redis round trip takes about a
/// hundred.
const LATENCY_BUCKETS: [f64; 16] = [
    1e-6, 2.5e-6, 5e-6, 1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 1e-2, 2.5e-2,
    0.1, 1.0,
];

/// The code of an admitted decision in `dialgate_decisions_total`.
pub(crate) const ADMITTED: &str = "admitted";

/// The host's metrics.
pub(crate) struct Metrics {
    handle: PrometheusHandle,
    decisions: HashMap<&'static str, Counter>,
    latency: Histogram,
    holds_open: Gauge,
    admission_errors: Counter,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

static METADATA: Metadata<'static> = Metadata::new(
    "dialgate_server",
    metrics::Level::INFO,
    Some(module_path!()),
);

impl Metrics {
    pub(crate) fn new() -> Metrics {
        let builder = PrometheusBuilder::new();
        let recorder: PrometheusRecorder = match builder.set_buckets(&LATENCY_BUCKETS) {
            Ok(with_buckets) => with_buckets.build_recorder(),
            // Only an empty bucket list is refused: a summary then.
            Err(_) => PrometheusBuilder::new().build_recorder(),
        };
        recorder.describe_counter(
            "dialgate_decisions_total".into(),
            None,
            "make_call decisions, by code (`admitted` or the rejection code)".into(),
        );
        recorder.describe_histogram(
            "dialgate_decision_seconds".into(),
            Some(Unit::Seconds),
            "time the engine took to decide a make_call request".into(),
        );
        recorder.describe_gauge(
            "dialgate_holds_open".into(),
            None,
            "admitted calls held (`?hold=true`), not yet committed or released".into(),
        );
        recorder.describe_counter(
            "dialgate_admission_errors_total".into(),
            None,
            "times the admission state could not answer (a decision, a commit or a release)".into(),
        );
        let decisions = std::iter::once(ADMITTED)
            .chain(dialgate::Rejection::CODES)
            .map(|code| {
                let key =
                    Key::from_parts("dialgate_decisions_total", vec![Label::new("code", code)]);
                (code, recorder.register_counter(&key, &METADATA))
            })
            .collect();
        let latency =
            recorder.register_histogram(&Key::from_name("dialgate_decision_seconds"), &METADATA);
        let holds_open = recorder.register_gauge(&Key::from_name("dialgate_holds_open"), &METADATA);
        holds_open.set(0.0);
        let admission_errors = recorder.register_counter(
            &Key::from_name("dialgate_admission_errors_total"),
            &METADATA,
        );
        admission_errors.absolute(0);
        Metrics {
            handle: recorder.handle(),
            decisions,
            latency,
            holds_open,
            admission_errors,
        }
    }

    /// One decision: its code and how long the engine took.
    pub(crate) fn decision(&self, code: &str, took: Duration) {
        if let Some(counter) = self.decisions.get(code) {
            counter.increment(1);
        }
        self.latency.record(took.as_secs_f64());
    }

    pub(crate) fn admission_error(&self) {
        self.admission_errors.increment(1);
    }

    pub(crate) fn holds_open(&self, open: usize) {
        self.holds_open.set(open as f64);
    }

    /// Drains recorded histogram samples into their buckets (bounded
    /// memory when nobody scrapes).
    pub(crate) fn upkeep(&self) {
        self.handle.run_upkeep();
    }

    /// The Prometheus text.
    pub(crate) fn render(&self) -> String {
        self.handle.render()
    }
}
