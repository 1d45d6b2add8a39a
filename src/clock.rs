//! Time, injected: the engine never reads the wall clock itself.

use std::fmt::Debug;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};

/// A source of the decision time.
///
/// # Example
/// ```
/// use dialgate::{Clock, FakeClock};
/// let clock = FakeClock::at("2026-11-26T15:00:00Z").unwrap();
/// assert_eq!(dialgate::timefmt::rfc3339(clock.now()), "2026-11-26T15:00:00Z");
/// ```
pub trait Clock: Debug + Send + Sync {
    /// The current instant.
    fn now(&self) -> DateTime<Utc>;
}

/// The system's wall clock.
///
/// # Example
/// ```
/// use dialgate::{Clock, SystemClock};
/// assert!(SystemClock.now().timestamp() > 0);
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that moves only when told; clones share one time.
///
/// # Example
/// ```
/// use dialgate::{Clock, FakeClock};
/// let clock = FakeClock::at("2026-11-26T15:00:00Z").unwrap();
/// let same = clock.clone();
/// clock.advance(chrono::Duration::milliseconds(1500));
/// assert_eq!(dialgate::timefmt::rfc3339(same.now()), "2026-11-26T15:00:01.500Z");
/// ```
#[derive(Clone, Debug)]
pub struct FakeClock {
    nanos: Arc<AtomicI64>,
}

impl FakeClock {
    /// A clock stopped at `t`.
    ///
    /// # Example
    /// ```
    /// use dialgate::{Clock, FakeClock};
    /// let t = dialgate::timefmt::parse("2026-11-26T15:00:00Z").unwrap();
    /// assert_eq!(FakeClock::new(t).now(), t);
    /// ```
    pub fn new(t: DateTime<Utc>) -> Self {
        FakeClock {
            nanos: Arc::new(AtomicI64::new(to_nanos(t))),
        }
    }

    /// A clock stopped at an RFC 3339 time.
    ///
    /// # Errors
    /// A message when `text` is not RFC 3339.
    ///
    /// # Example
    /// ```
    /// use dialgate::{Clock, FakeClock};
    /// let clock = FakeClock::at("2026-11-26T10:00:00-05:00").unwrap();
    /// assert_eq!(dialgate::timefmt::rfc3339(clock.now()), "2026-11-26T15:00:00Z");
    /// assert!(FakeClock::at("tomorrow").is_err());
    /// ```
    pub fn at(text: &str) -> Result<Self, String> {
        crate::timefmt::parse(text).map(Self::new)
    }

    /// Moves the clock to `t` (backwards too: the host decides).
    ///
    /// # Example
    /// ```
    /// use dialgate::{timefmt, Clock, FakeClock};
    /// let clock = FakeClock::at("2026-11-26T15:00:00Z").unwrap();
    /// clock.set(timefmt::parse("2026-11-26T14:59:00Z").unwrap());
    /// assert_eq!(timefmt::rfc3339(clock.now()), "2026-11-26T14:59:00Z");
    /// ```
    pub fn set(&self, t: DateTime<Utc>) {
        self.nanos.store(to_nanos(t), Ordering::SeqCst);
    }

    /// Moves the clock by `d`, saturating at the ends of its range (it
    /// never wraps from 2262 to 1677; decisions past [`LATEST_NANOS`] are
    /// refused).
    ///
    /// # Example
    /// ```
    /// use dialgate::{timefmt, Clock, FakeClock};
    /// let clock = FakeClock::at("2026-11-26T15:00:00Z").unwrap();
    /// clock.advance(chrono::Duration::seconds(30));
    /// assert_eq!(timefmt::rfc3339(clock.now()), "2026-11-26T15:00:30Z");
    /// clock.advance(chrono::Duration::days(365 * 300));
    /// assert!(clock.now().timestamp() > 0, "saturated, not wrapped");
    /// ```
    pub fn advance(&self, d: Duration) {
        let step = d.num_nanoseconds().unwrap_or(if d < Duration::zero() {
            i64::MIN
        } else {
            i64::MAX
        });
        let _ = self
            .nanos
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                Some(n.saturating_add(step))
            });
    }
}

impl Clock for FakeClock {
    fn now(&self) -> DateTime<Utc> {
        DateTime::from_timestamp_nanos(self.nanos.load(Ordering::SeqCst))
    }
}

/// The earliest instant decisions accept, in nanoseconds since the Unix
/// epoch: the epoch itself.
pub const EARLIEST_NANOS: i64 = 0;

/// The latest instant decisions accept, in nanoseconds since the Unix epoch:
/// 2200-12-31T23:59:59.999999999Z, decades below the end of `i64`
/// nanoseconds (2262), so that no redial window or cap end computed from a
/// decision (each at most [`MAX_WINDOW_S`] long) can overflow.
pub const LATEST_NANOS: i64 = 7_289_654_399_999_999_999;

/// The longest redial window or cap period, seconds: ten years.
pub const MAX_WINDOW_S: u32 = 315_360_000;

/// Whether `t` is inside the range decisions accept
/// ([`EARLIEST_NANOS`]..=[`LATEST_NANOS`]). The engine refuses a decision
/// outside it with `invalid_request`; file hosts refuse such times as bad
/// input.
///
/// # Example
/// ```
/// use dialgate::{clock::in_range, timefmt::parse};
/// assert!(in_range(parse("2026-11-26T15:00:00Z").unwrap()));
/// assert!(in_range(parse("2200-12-31T23:59:59.999999999Z").unwrap()));
/// assert!(!in_range(parse("2201-01-01T00:00:00Z").unwrap()));
/// assert!(!in_range(parse("1969-12-31T23:59:59Z").unwrap()));
/// ```
pub fn in_range(t: DateTime<Utc>) -> bool {
    t.timestamp_nanos_opt()
        .is_some_and(|n| (EARLIEST_NANOS..=LATEST_NANOS).contains(&n))
}

/// Nanoseconds since the Unix epoch, saturating outside 1677..2262.
pub(crate) fn to_nanos(t: DateTime<Utc>) -> i64 {
    t.timestamp_nanos_opt().unwrap_or(if t.timestamp() < 0 {
        i64::MIN
    } else {
        i64::MAX
    })
}
