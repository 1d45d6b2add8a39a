//! Admission, contract steps 9 to 12: the state a decision claims.
//!
//! [`Admission`] is the seam between the pure pipeline and shared state. The
//! crate ships [`LocalAdmission`] (in-process: an exact GCRA and tables
//! sharded by number); a fleet of hosts can put an implementation over a
//! shared store in its place.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::model::Company;
use crate::phone::E164;
use crate::rejection::Rejection;
use crate::store::StoreUnavailable;

mod local;

pub use local::{LocalAdmission, SWEEP_MIN_ENTRIES};

/// What a dial asks of admission.
///
/// # Example
/// ```
/// # use dialgate::*;
/// let company = Company::new("acme", 5).unwrap();
/// let ask = AdmissionRequest {
///     company: &company,
///     schedule_id: "sch-solar",
///     number: E164::from_digits(17195551234).unwrap(),
///     one_off: true,
///     caps: &[],
///     now: chrono::Utc::now(),
/// };
/// assert!(ask.one_off);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct AdmissionRequest<'a> {
    /// The caller's company, with its limits.
    pub company: &'a Company,
    /// The dialing schedule.
    pub schedule_id: &'a str,
    /// The number to dial.
    pub number: E164,
    /// Whether a one-off lead is to be created (step 9 applies only then).
    pub one_off: bool,
    /// The rolling call caps that apply to the number (step 11); empty when
    /// no calling rules apply.
    pub caps: &'a [CallCap<'a>],
    /// The decision time.
    pub now: DateTime<Utc>,
}

/// A rolling cap on the dials of one number: at most `calls` admitted,
/// unreleased dials inside any `per_s` seconds (a dial admitted at T counts
/// at every t with T <= t < T + per_s).
///
/// # Example
/// ```
/// use dialgate::CallCap;
/// let florida = CallCap { calls: 3, per_s: 86_400, rule: "FL's cap of 3 calls per 86400 s (Fla. Stat. 501.616)" };
/// assert_eq!(florida.calls, 3);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CallCap<'a> {
    /// How many dials count at most (>= 1).
    pub calls: u32,
    /// Over how many seconds (>= 1).
    pub per_s: u32,
    /// The rule it comes from, for the rejection's message.
    pub rule: &'a str,
}

/// The claims one admitted dial holds, until committed or released.
///
/// Its ids are shared (`Arc<str>`) with the admission state that made it, so
/// claiming copies no id and cloning a claim allocates nothing.
///
/// # Example
/// ```
/// # use dialgate::*;
/// # let (engine, company) = dialgate::doc_example();
/// let admitted = engine.make_call(&company, &MakeCallRequest::for_lead("lead-ann")).unwrap();
/// assert_eq!(admitted.claim().number.to_string(), "+17195551234");
/// assert_eq!(&*admitted.claim().schedule_id, "sch-solar");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Claim {
    /// Unique among the claims of one admission state.
    pub id: u64,
    /// The company.
    pub company_id: Arc<str>,
    /// The dialing schedule.
    pub schedule_id: Arc<str>,
    /// The number.
    pub number: E164,
    /// Whether it holds an in-flight one-off lead.
    pub one_off: bool,
    /// When it was admitted: the redial window and the caps run from here.
    /// Admission decides at the company's high-water mark when the
    /// decision's time is older, so this may be a little after it.
    pub admitted_at: DateTime<Utc>,
}

/// Steps 9 to 12, atomically: either every guard passes and every claim is
/// taken, or the request is refused and nothing changes.
///
/// Implementations must keep, under any concurrency: no two admitted dials of
/// one company's number inside one redial window, no cap exceeded, no
/// company beyond its GCRA,
/// no two one-off leads for one (company, dialing schedule, number) in flight.
///
/// # Example
/// ```
/// use dialgate::*;
/// let admission: std::sync::Arc<dyn Admission> = std::sync::Arc::new(LocalAdmission::new());
/// let acme = Company::new("acme", 5).unwrap();
/// let number = E164::from_digits(17195551234).unwrap();
/// let ask = AdmissionRequest { company: &acme, schedule_id: "sch-solar", number, one_off: false, caps: &[], now: chrono::Utc::now() };
/// let claim = admission.admit(&ask).unwrap();
/// assert_eq!(admission.admit(&ask).unwrap_err().code(), "recently_dialed");
/// admission.release(&claim).unwrap();
/// assert!(admission.admit(&ask).is_ok());
/// ```
pub trait Admission: std::fmt::Debug + Send + Sync {
    /// Checks the concurrent lead, the redial window, the call caps and the
    /// CPS limit, in that order, and claims them all when all pass.
    ///
    /// # Errors
    /// `duplicate_concurrent_lead`, `recently_dialed`, `call_cap_reached` or
    /// `cps_exceeded`, the first that fails, with nothing claimed; or
    /// [`Rejection::Unavailable`] (part `admission`, guard the step that could
    /// not run) when the state cannot answer. After a failure that may have
    /// taken claims (a timeout once the command was sent) those claims may
    /// block the number until they expire: a wrong no, never a wrong yes.
    fn admit(&self, request: &AdmissionRequest<'_>) -> Result<Claim, Rejection>;

    /// The call was placed: the one-off lead is no longer in flight; the
    /// redial window keeps running from the admission time.
    ///
    /// # Errors
    /// [`StoreUnavailable`] when the state cannot take the commit (the claims
    /// then stay until they expire).
    fn commit(&self, claim: &Claim) -> Result<(), StoreUnavailable>;

    /// The call was not placed: drops the redial claim and the in-flight
    /// one-off lead. The CPS token is not refunded.
    ///
    /// # Errors
    /// [`StoreUnavailable`] when the state cannot take the release (the
    /// claims then stay until they expire: a wrong no, never a wrong yes).
    fn release(&self, claim: &Claim) -> Result<(), StoreUnavailable>;

    /// Whether the admission state can answer now (a host's readiness
    /// probe). In-process admission always can; one over a network store
    /// answers the failure that would make a decision `unavailable` (a
    /// refused connection, an open circuit breaker).
    ///
    /// # Errors
    /// [`StoreUnavailable`] naming what cannot answer; never a credential.
    ///
    /// # Example
    /// ```
    /// use dialgate::{Admission, LocalAdmission};
    /// assert!(LocalAdmission::new().health().is_ok());
    /// ```
    fn health(&self) -> Result<(), StoreUnavailable> {
        Ok(())
    }
}

/// A value on cache lines of its own (128 bytes: two 64-byte lines, as
/// adjacent-line prefetch pairs them). A counter every decision bumps must
/// not share a line with the fields every decision reads, or two threads
/// deciding for different companies take turns owning that line.
#[derive(Debug, Default)]
#[repr(align(128))]
pub(crate) struct Padded<T>(pub(crate) T);

impl<T> std::ops::Deref for Padded<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

/// The calling thread's number: 0 for the first thread that asks, then 1,
/// and so on.
fn thread_number() -> usize {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    thread_local! {
        static NUMBER: usize = NEXT.fetch_add(1, Ordering::Relaxed);
    }
    NUMBER.with(|n| *n)
}

/// `N` values (a power of two), each on cache lines of its own, picked by
/// the top bits of a hash: the stores' and admission's shards.
#[derive(Debug)]
pub(crate) struct Shards<T, const N: usize>(Box<[Padded<T>; N]>);

impl<T: Default, const N: usize> Default for Shards<T, N> {
    fn default() -> Self {
        Self::from_fn(|_| T::default())
    }
}

impl<T, const N: usize> Shards<T, N> {
    /// Shards made by `f`.
    pub(crate) fn from_fn(f: impl FnMut(usize) -> T) -> Self {
        let mut f = f;
        Shards(Box::new(std::array::from_fn(|i| Padded(f(i)))))
    }

    /// The shard of `hash`: its top log2(N) bits.
    #[inline]
    // The index is below N: the top log2(N) bits of a u64 (N a power of two,
    // checked at compile time).
    #[allow(clippy::indexing_slicing)]
    pub(crate) fn of(&self, hash: u64) -> &T {
        const { assert!(N.is_power_of_two() && N > 1) };
        &self.0[(hash >> (64 - N.trailing_zeros())) as usize]
    }

    /// The shard of the calling thread: threads are numbered on first use
    /// and take the shards in turn, so up to `N` threads have one each.
    #[inline]
    // The index is below N (a remainder).
    #[allow(clippy::indexing_slicing)]
    pub(crate) fn of_thread(&self) -> &T {
        &self.0[thread_number() % N]
    }

    /// Every shard.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &T> {
        self.0.iter().map(|p| &p.0)
    }
}
