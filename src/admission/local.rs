//! In-process admission: an exact GCRA per company, and the redial window,
//! the call caps and the in-flight one-off leads in tables sharded by number.
//!
//! Three rules keep it exact whatever the threads and clocks do:
//! - **Monotone time per company.** A decision's time is read before any
//!   lock, so a preempted thread can arrive with an instant older than dials
//!   already admitted. Admission therefore decides at `max(t, high-water)`,
//!   the high-water mark being the latest instant this company admitted at
//!   (and the latest instant a cross-company sweep reclaimed at), read and
//!   raised under the company's lock: no admitted dial is ever inside the
//!   window of one admitted before it.
//! - **TAT is an instant.** A change of `cps_limit` carries the GCRA's
//!   theoretical arrival time over (rounded up onto the new limit's grid,
//!   which decides every request exactly as the unrounded instant would).
//! - **Nothing expired is kept.** Dials are kept as long as the longest
//!   window or cap they can count for; each company sweeps its own tables as
//!   its admissions go, and a sweep across companies (driven by any
//!   company's traffic, or by the host's timer through
//!   [`LocalAdmission::sweep`]) drops companies with nothing live, so a
//!   company that stopped calling costs nothing.

use std::borrow::Borrow;
use std::cell::Cell;
use std::collections::HashMap;
use std::hash::{BuildHasher, Hash, Hasher};
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicI64, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use chrono::{DateTime, Utc};
use crossbeam_utils::sync::{ShardedLock, ShardedLockReadGuard, ShardedLockWriteGuard};

use super::{Admission, AdmissionRequest, CallCap, Claim, Padded, Shards};
use crate::clock::{to_nanos, Clock, EARLIEST_NANOS, LATEST_NANOS};
use crate::rejection::Rejection;
use crate::store::{NumberHash, RobinTable, Slot, StoreUnavailable};

/// A company's tables are swept of expired entries after this many
/// admissions at least (or as many as they held after the last sweep, if
/// more), which keeps the sweep's cost amortised O(1) per admission and the
/// tables within about twice the dials of the longest window.
///
/// # Example
/// ```
/// use dialgate::{admission::SWEEP_MIN_ENTRIES, *};
/// let (admission, acme) = (LocalAdmission::new(), Company::new("acme", 100_000).unwrap());
/// let t0 = timefmt::parse("2026-11-26T15:00:00Z").unwrap();
/// let ask = |i: u64, now| AdmissionRequest { company: &acme, schedule_id: "sch-solar", number: E164::from_digits(17192000000 + i).unwrap(), one_off: false, caps: &[], now };
/// for i in 1..SWEEP_MIN_ENTRIES { admission.admit(&ask(i, t0)).unwrap(); }
/// assert_eq!(admission.redial_entries() as u64, SWEEP_MIN_ENTRIES - 1);
/// admission.admit(&ask(0, t0 + chrono::Duration::seconds(31))).unwrap(); // the sweep
/// assert_eq!(admission.redial_entries(), 1);
/// ```
pub const SWEEP_MIN_ENTRIES: u64 = 1024;

/// How often, in decision time, a slice of the company map is swept by
/// other companies' traffic: each of the [`COMPANY_SHARDS`] slices about
/// once a minute.
const COMPANY_SWEEP_EVERY: Duration = Duration::from_millis(1000);

/// Slices of the company map, each behind its own lock.
const COMPANY_SHARDS: usize = 64;

/// Nanoseconds in a second.
const NANOS_PER_S: i128 = 1_000_000_000;

/// The contract's GCRA, exactly: emission interval 1/cps_limit s, burst
/// cps_limit. The theoretical arrival time is kept in nanoseconds times the
/// limit it was last set under, so the interval is a whole 10^9 units and
/// nothing rounds (governor's whole-nanosecond interval, 333333333 ns for
/// 3 cps, admitted a hair early and drifted).
#[derive(Debug, Default)]
struct Gcra {
    /// The limit `tat` is scaled by.
    scale: u32,
    /// The theoretical arrival time, scaled; `None` before the first admission.
    tat: Option<i128>,
}

/// `ceil(a / b)` for `b > 0`.
fn div_ceil(a: i128, b: i128) -> i128 {
    -((-a).div_euclid(b))
}

impl Gcra {
    /// TAT scaled by `cps`. Rounding up onto the 1/cps ns grid decides every
    /// request as the exact instant would: a request at `t` passes when
    /// `tat <= t + (cps - 1)/cps s`, itself a point of that grid.
    fn tat_at_scale(&self, cps: u32) -> Option<i128> {
        let tat = self.tat?;
        if self.scale == cps || self.scale == 0 {
            return Some(tat);
        }
        Some(div_ceil(tat * i128::from(cps), i128::from(self.scale)))
    }

    /// Whether the request at `now_nanos` passes under `cps_limit`; else the
    /// earliest whole nanosecond at which it would: TAT - tau, rounded up.
    fn check(&self, cps_limit: NonZeroU32, now_nanos: i64) -> Result<i128, i64> {
        let cps = i128::from(cps_limit.get());
        let t = i128::from(now_nanos) * cps;
        let tau = (cps - 1) * NANOS_PER_S;
        let tat = self
            .tat_at_scale(cps_limit.get())
            .map_or(t, |tat| tat.max(t));
        if tat - t > tau {
            let earliest = div_ceil(tat - tau, cps);
            return Err(i64::try_from(earliest).unwrap_or(i64::MAX));
        }
        Ok(tat + NANOS_PER_S)
    }

    /// The instant TAT stands at, in whole nanoseconds (rounded up).
    fn tat_nanos(&self) -> i64 {
        match self.tat {
            Some(tat) if self.scale > 0 => {
                i64::try_from(div_ceil(tat, i128::from(self.scale))).unwrap_or(i64::MAX)
            }
            _ => i64::MIN,
        }
    }
}

/// What one company's lock guards: its GCRA, the latest instant it admitted
/// at, how long its dials are kept, and until when anything of it is live.
#[derive(Debug)]
struct Limiter {
    gcra: Gcra,
    high_water: i64,
    /// The longest redial window or cap the company has had, nanoseconds: a
    /// dial is kept that long, so a cap still sees it.
    retention: i64,
    /// No dial, lease or TAT of the company matters after this instant.
    live_until: i64,
}

/// One company's admission state.
#[derive(Debug)]
struct CompanyState {
    /// The company's id, shared with its claims.
    id: Arc<str>,
    limiter: Mutex<Limiter>,
    /// The dials and the in-flight one-off leads, by number.
    numbers: Numbers,
    admissions_since_sweep: AtomicU64,
    /// How many admissions the next sweep waits for.
    sweep_due: AtomicU64,
}

/// A dial of a number, admitted and not released.
#[derive(Clone, Copy, Debug, Default)]
struct Dial {
    /// E.164 digits (never 0).
    number: u64,
    at_nanos: i64,
    claim: u64,
    /// When no window or cap can count it any more.
    keep_until: i64,
}

impl Slot for Dial {
    #[inline]
    fn key(self) -> u64 {
        self.number
    }
}

/// The claim creating a one-off lead, and when it was admitted (a lease
/// runs from there).
#[derive(Clone, Copy, Debug)]
struct InFlight {
    claim: u64,
    at_nanos: i64,
}

/// An in-flight one-off lead's key: its dialing schedule and number. Looked
/// up by [`KeyView`], so a check, commit or release builds no key.
#[derive(Debug)]
struct InFlightKey {
    schedule_id: Arc<str>,
    digits: u64,
}

/// A key of the in-flight map, owned or borrowed.
trait KeyView {
    fn schedule_id(&self) -> &str;
    fn digits(&self) -> u64;
}

impl KeyView for InFlightKey {
    fn schedule_id(&self) -> &str {
        &self.schedule_id
    }
    fn digits(&self) -> u64 {
        self.digits
    }
}

impl KeyView for (&str, u64) {
    fn schedule_id(&self) -> &str {
        self.0
    }
    fn digits(&self) -> u64 {
        self.1
    }
}

impl<'a> Borrow<dyn KeyView + 'a> for InFlightKey {
    fn borrow(&self) -> &(dyn KeyView + 'a) {
        self
    }
}

impl Hash for dyn KeyView + '_ {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.schedule_id().hash(state);
        state.write_u64(self.digits());
    }
}

impl PartialEq for dyn KeyView + '_ {
    fn eq(&self, other: &Self) -> bool {
        self.digits() == other.digits() && self.schedule_id() == other.schedule_id()
    }
}

impl Eq for dyn KeyView + '_ {}

/// Hashes and compares as its [`KeyView`], as the map's lookups require.
impl Hash for InFlightKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        (self as &dyn KeyView).hash(state);
    }
}

impl PartialEq for InFlightKey {
    fn eq(&self, other: &Self) -> bool {
        (self as &dyn KeyView) == (other as &dyn KeyView)
    }
}

impl Eq for InFlightKey {}

/// Shards of a company's number state, each behind its own lock.
const SHARDS: usize = 16;

/// One shard of a company's number state: what one lock guards.
#[derive(Debug, Default)]
struct Shard {
    /// E.164 digits -> the number's dials (a key repeats, one slot a dial),
    /// in an open-addressing table whose slots hold key and dial together.
    dials: RobinTable<Dial>,
    /// (dialing schedule, E.164 digits) -> the claim creating its one-off
    /// lead.
    in_flight: HashMap<InFlightKey, InFlight, NumberHash>,
}

impl Shard {
    fn in_flight_get(&self, schedule_id: &str, digits: u64) -> Option<InFlight> {
        let key = (schedule_id, digits);
        self.in_flight.get(&key as &dyn KeyView).copied()
    }

    /// Drops the in-flight entry of `claim`, if it still holds it.
    fn in_flight_end(&mut self, schedule_id: &str, digits: u64, claim: u64) {
        let key = (schedule_id, digits);
        if let Some((key, holder)) = self.in_flight.remove_entry(&key as &dyn KeyView) {
            // Another claim's (this one's was ended already): put it back.
            if holder.claim != claim {
                self.in_flight.insert(key, holder);
            }
        }
    }

    /// Drops what no decision at or after `now` can see.
    fn sweep(&mut self, now: i64, lease: Option<i64>) {
        self.dials.retain(|dial| dial.keep_until > now);
        if let Some(lease) = lease {
            self.in_flight
                .retain(|_, f| f.at_nanos.saturating_add(lease) > now);
        }
    }
}

/// A company's dials and in-flight one-off leads, sharded by number: a
/// decision takes one lock for both. Numbers pick their shard and slot by
/// seeded multiplicative hashes: a request picks a number, not its hash.
#[derive(Debug)]
struct Numbers {
    /// Each on lines of its own: threads deciding for one company on
    /// different numbers then lock different lines.
    shards: Shards<Mutex<Shard>, SHARDS>,
    hash: NumberHash,
}

impl Numbers {
    fn new() -> Self {
        Numbers {
            shards: Shards::from_fn(|_| Mutex::new(Shard::default())),
            hash: NumberHash::new(),
        }
    }

    /// The shard holding `digits`, locked.
    fn shard(&self, digits: u64) -> MutexGuard<'_, Shard> {
        lock(self.shards.of(self.hash.hash_u64(digits)))
    }

    /// Dials held, expired ones not yet swept included.
    fn dials(&self) -> usize {
        self.shards.iter().map(|s| lock(s).dials.len()).sum()
    }

    /// One-off leads in flight.
    fn in_flight(&self) -> usize {
        self.shards.iter().map(|s| lock(s).in_flight.len()).sum()
    }

    /// Sweeps every shard; how many entries are left.
    fn sweep(&self, now: i64, lease: Option<i64>) -> usize {
        self.shards
            .iter()
            .map(|s| {
                let mut shard = lock(s);
                shard.sweep(now, lease);
                shard.dials.len() + shard.in_flight.len()
            })
            .sum()
    }
}

/// Locks, poisoned or not: every critical section leaves its table whole.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl CompanyState {
    fn new(id: Arc<str>) -> Self {
        CompanyState {
            id,
            limiter: Mutex::new(Limiter {
                gcra: Gcra::default(),
                high_water: i64::MIN,
                retention: 0,
                live_until: i64::MIN,
            }),
            numbers: Numbers::new(),
            admissions_since_sweep: AtomicU64::new(0),
            sweep_due: AtomicU64::new(SWEEP_MIN_ENTRIES),
        }
    }

    /// Whether nothing of the company matters at or after `now` (its tables
    /// are swept on the way). Called with its company-map slice write-locked,
    /// so no admission of it runs.
    fn is_dead(&self, now: i64, lease: Option<i64>) -> bool {
        if lock(&self.limiter).live_until > now {
            return false;
        }
        self.numbers.sweep(now, lease) == 0
    }
}

/// The company map: slices by id hash, each behind a read-write lock that
/// admissions take for reading (only a company's first admission and the
/// sweep write). Each slice is on cache lines of its own, and its lock is a
/// `ShardedLock` (a reader locks its own thread's slot), so threads reading
/// a slice, for one company or for companies that share a slice, do not
/// take turns owning its lock word.
type Slice = ShardedLock<HashMap<Arc<str>, Box<CompanyState>>>;

#[derive(Debug)]
struct Companies {
    shards: Shards<Slice, COMPANY_SHARDS>,
    hash: std::hash::RandomState,
}

impl Default for Companies {
    fn default() -> Self {
        Companies {
            shards: Shards::default(),
            hash: std::hash::RandomState::new(),
        }
    }
}

impl Companies {
    fn slice(&self, id: &str) -> &Slice {
        self.shards.of(self.hash.hash_one(id))
    }
}

/// A hold lease: how long an unsettled one-off hold keeps its lead in
/// flight, and the clock that says whether a late release came after it.
#[derive(Debug, Clone)]
struct HoldLease {
    nanos: i64,
    clock: Arc<dyn Clock>,
}

thread_local! {
    /// Admissions this thread made since it last looked at the company
    /// sweep: a per-thread count, so no line is shared for it.
    static ADMISSIONS: Cell<u64> = const { Cell::new(0) };

    /// The next claim id this thread hands out: the thread's number in the
    /// top 24 bits, a count below (2^40 claims a thread before they could
    /// meet the next thread's), so no counter is shared between threads.
    static CLAIM_IDS: Cell<u64> = Cell::new({
        static THREADS: AtomicU64 = AtomicU64::new(0);
        (THREADS.fetch_add(1, Ordering::Relaxed) + 1) << 40
    });
}

/// A claim id unique in this process, from the calling thread's range.
fn next_claim_id() -> u64 {
    CLAIM_IDS.with(|ids| {
        let id = ids.get();
        ids.set(id.wrapping_add(1));
        id
    })
}

/// The in-process [`Admission`]: one exact GCRA per company (emission
/// interval 1/cps, burst cps), and tables sharded by number for the redial
/// window, the call caps and the in-flight one-off leads.
///
/// Expired entries are swept as admissions go, and companies with nothing
/// live are dropped by a sweep that any company's traffic drives (or the
/// host's timer, through [`LocalAdmission::sweep`]), so memory follows the
/// dials of the longest window, not every number or company ever seen. A
/// change of a company's `cps_limit` keeps its theoretical arrival time.
///
/// # Example
/// ```
/// use dialgate::*;
/// let admission = LocalAdmission::new();
/// let company = Company::new("globex", 2).unwrap();
/// let now = timefmt::parse("2026-11-26T15:00:00Z").unwrap();
/// let ask = |n: u64| AdmissionRequest { company: &company, schedule_id: "s", number: E164::from_digits(n).unwrap(), one_off: false, caps: &[], now };
/// assert!(admission.admit(&ask(16505550123)).is_ok());
/// assert!(admission.admit(&ask(13125550147)).is_ok());
/// let refused = admission.admit(&ask(17205550161)).unwrap_err();
/// assert_eq!(refused.code(), "cps_exceeded");
/// assert_eq!(timefmt::rfc3339(refused.retry_at().unwrap()), "2026-11-26T15:00:00.500Z");
/// ```
#[derive(Debug, Default)]
pub struct LocalAdmission {
    companies: Companies,
    /// The latest instant a sweep dropped companies at: every decision is
    /// taken at or after it, so a dropped company's state is never missed.
    swept_at: Padded<AtomicI64>,
    /// When, in decision time, the next slice of companies is swept.
    next_company_sweep: AtomicI64,
    company_cursor: AtomicUsize,
    lease: Option<HoldLease>,
}

impl LocalAdmission {
    /// Empty state, without a hold lease.
    ///
    /// # Example
    /// ```
    /// use dialgate::LocalAdmission;
    /// let admission = LocalAdmission::new();
    /// assert_eq!((admission.redial_entries(), admission.in_flight()), (0, 0));
    /// ```
    pub fn new() -> Self {
        LocalAdmission {
            swept_at: Padded(AtomicI64::new(i64::MIN)),
            next_company_sweep: AtomicI64::new(i64::MIN),
            ..Self::default()
        }
    }

    /// Gives holds a lease: a hold that is neither committed nor released
    /// within `lease` of its admission counts as committed (a call that may
    /// have been placed counts as placed): its one-off lead stops being in
    /// flight, its redial window and cap counts stay, and a release that
    /// `clock` says came after the lease commits instead. Off by default;
    /// the command-line host sets none.
    ///
    /// A leaked hold (an [`Admitted`](crate::Admitted) forgotten without
    /// drop) would otherwise keep its number's one-off lead in flight for
    /// ever.
    ///
    /// # Example
    /// ```
    /// use dialgate::*;
    /// use std::time::Duration;
    /// let clock = FakeClock::at("2026-11-26T15:00:00Z").unwrap();
    /// let admission = LocalAdmission::new().with_hold_lease(Duration::from_secs(60), clock.clone());
    /// let acme = Company::new("acme", 5).unwrap();
    /// let number = E164::from_digits(17195551234).unwrap();
    /// let ask = |now| AdmissionRequest { company: &acme, schedule_id: "sch-solar", number, one_off: true, caps: &[], now };
    /// let leaked = admission.admit(&ask(clock.now())).unwrap();
    /// std::mem::forget(leaked);
    /// clock.advance(chrono::Duration::seconds(60));
    /// assert!(admission.admit(&ask(clock.now())).is_ok(), "the lease ended: the leaked hold counts as committed");
    /// ```
    pub fn with_hold_lease(mut self, lease: Duration, clock: impl Clock + 'static) -> Self {
        self.lease = Some(HoldLease {
            nanos: i64::try_from(lease.as_nanos()).unwrap_or(i64::MAX),
            clock: Arc::new(clock),
        });
        self
    }

    /// How many dials are held, over all companies (expired ones not yet
    /// swept included).
    ///
    /// # Example
    /// ```
    /// # use dialgate::*;
    /// # use std::sync::Arc;
    /// # let (engine, company) = dialgate::doc_example();
    /// let admission = Arc::new(LocalAdmission::new());
    /// let engine = engine.with_admission(admission.clone());
    /// engine.make_call(&company, &MakeCallRequest::for_lead("lead-ann")).unwrap().commit();
    /// assert_eq!(admission.redial_entries(), 1);
    /// ```
    pub fn redial_entries(&self) -> usize {
        self.each_company(|c| c.numbers.dials())
    }

    /// How many one-off leads are in flight, over all companies.
    ///
    /// # Example
    /// ```
    /// # use dialgate::*;
    /// # use std::sync::Arc;
    /// # let (engine, company) = dialgate::doc_example();
    /// let admission = Arc::new(LocalAdmission::new());
    /// let engine = engine.with_admission(admission.clone());
    /// let held = engine.make_call(&company, &MakeCallRequest::for_schedule("sch-solar", "+17195557777")).unwrap();
    /// assert_eq!(admission.in_flight(), 1);
    /// held.commit();
    /// assert_eq!(admission.in_flight(), 0);
    /// ```
    pub fn in_flight(&self) -> usize {
        self.each_company(|c| c.numbers.in_flight())
    }

    /// How many companies have state (live or not yet swept).
    ///
    /// # Example
    /// ```
    /// use dialgate::*;
    /// let admission = LocalAdmission::new();
    /// let acme = Company::new("acme", 5).unwrap();
    /// let t0 = timefmt::parse("2026-11-26T15:00:00Z").unwrap();
    /// let ask = AdmissionRequest { company: &acme, schedule_id: "s", number: E164::from_digits(17195551234).unwrap(), one_off: false, caps: &[], now: t0 };
    /// let claim = admission.admit(&ask).unwrap();
    /// admission.commit(&claim).unwrap();
    /// assert_eq!(admission.companies(), 1);
    /// admission.sweep(t0 + chrono::Duration::seconds(30));
    /// assert_eq!(admission.companies(), 0, "nothing of acme is live any more");
    /// ```
    pub fn companies(&self) -> usize {
        self.each_company(|_| 1)
    }

    /// Drops, across every company, what no decision at or after `now` can
    /// see, and the companies left with nothing live. Hosts that may go
    /// quiet call it from a timer; admissions also sweep a slice of the
    /// companies about every second of decision time.
    ///
    /// Decisions are taken at or after the latest `now` a sweep ran at, so
    /// pass the current time, not one ahead of it.
    ///
    /// # Example
    /// See [`LocalAdmission::companies`].
    pub fn sweep(&self, now: DateTime<Utc>) {
        let now = to_nanos(now);
        for slice in self.companies.shards.iter() {
            self.sweep_slice(slice, now);
        }
    }

    fn each_company(&self, f: impl Fn(&CompanyState) -> usize) -> usize {
        self.companies
            .shards
            .iter()
            .map(|s| read(s).values().map(|c| f(c)).sum::<usize>())
            .sum()
    }

    fn lease_nanos(&self) -> Option<i64> {
        self.lease.as_ref().map(|l| l.nanos)
    }

    /// Drops the companies of one slice that have nothing live at `now`.
    fn sweep_slice(&self, slice: &Slice, now: i64) {
        let lease = self.lease_nanos();
        let mut map = write(slice);
        // Raise the floor first: a decision that starts once the slice is
        // unlocked is taken at `now` or later, when what is dropped is dead.
        self.swept_at.fetch_max(now, Ordering::SeqCst);
        map.retain(|_, state| !state.is_dead(now, lease));
        if map.capacity() > 4 * map.len().max(8) {
            map.shrink_to_fit();
        }
    }

    /// Every [`SWEEP_MIN_ENTRIES`] admissions of a thread, and at most once a
    /// [`COMPANY_SWEEP_EVERY`] of decision time over all threads, sweeps the
    /// next slice of the company map.
    fn maybe_sweep_companies(&self, now: i64) {
        let due = ADMISSIONS.with(|n| {
            let next = n.get() + 1;
            n.set(next % SWEEP_MIN_ENTRIES);
            next >= SWEEP_MIN_ENTRIES
        });
        if !due {
            return;
        }
        let next = self.next_company_sweep.load(Ordering::Relaxed);
        if now < next {
            return;
        }
        let every = i64::try_from(COMPANY_SWEEP_EVERY.as_nanos()).unwrap_or(i64::MAX);
        if self
            .next_company_sweep
            .compare_exchange(
                next,
                now.saturating_add(every),
                Ordering::Relaxed,
                Ordering::Relaxed,
            )
            .is_err()
        {
            return;
        }
        let i = self.company_cursor.fetch_add(1, Ordering::Relaxed) % COMPANY_SHARDS;
        if let Some(slice) = self.companies.shards.iter().nth(i) {
            self.sweep_slice(slice, now);
        }
    }

    /// Runs `f` on the company's state, made if it has none, with its
    /// company-map slice read-locked throughout (so no sweep drops it
    /// meanwhile).
    fn with_company<R>(&self, id: &str, f: impl FnOnce(&CompanyState) -> R) -> R {
        let slice = self.companies.slice(id);
        {
            let map = read(slice);
            if let Some(state) = map.get(id) {
                return f(state);
            }
        }
        let mut map = write(slice);
        let state = map
            .entry(Arc::from(id))
            .or_insert_with_key(|id| Box::new(CompanyState::new(Arc::clone(id))));
        // Under the write lock: no sweep runs, and other admissions of the
        // slice wait (only a company's first admission gets here).
        f(state)
    }

    /// Runs `f` on the company's state if it has one.
    fn with_existing<R>(&self, id: &str, f: impl FnOnce(&CompanyState) -> R) -> Option<R> {
        let map = read(self.companies.slice(id));
        map.get(id).map(|state| f(state))
    }

    /// Counts an admission and, once as many admissions as the tables held
    /// after the last sweep (at least [`SWEEP_MIN_ENTRIES`]) have gone by,
    /// drops the expired entries.
    fn sweep_company(&self, state: &CompanyState, now: i64) {
        let since = state.admissions_since_sweep.fetch_add(1, Ordering::Relaxed) + 1;
        if since < state.sweep_due.load(Ordering::Relaxed) {
            return;
        }
        state.admissions_since_sweep.store(0, Ordering::Relaxed);
        let held = state.numbers.sweep(now, self.lease_nanos());
        let held = u64::try_from(held).unwrap_or(u64::MAX);
        state
            .sweep_due
            .store(SWEEP_MIN_ENTRIES.max(held), Ordering::Relaxed);
    }

    fn admit_in(
        &self,
        state: &CompanyState,
        request: &AdmissionRequest<'_>,
    ) -> Result<Claim, Rejection> {
        let company = request.company;
        let t = to_nanos(request.now);
        if !(EARLIEST_NANOS..=LATEST_NANOS).contains(&t) {
            return Err(Rejection::InvalidRequest {
                reason: "the decision time is outside 1970-01-01 to 2200-12-31, the range admission's arithmetic supports".into(),
            });
        }
        let window = i64::from(company.redial_window_s).saturating_mul(1_000_000_000);
        let number = request.number;
        let digits = number.digits();

        // Lock order: the number's shard, then the company's limiter; release
        // and sweeps take one shard at a time and the limiter alone.
        let mut shard = state.numbers.shard(digits);
        let mut limiter = lock(&state.limiter);
        let now = t
            .max(limiter.high_water)
            .max(self.swept_at.load(Ordering::SeqCst));

        // Step 9: a one-off lead in flight (a leased one whose lease ended
        // counts as committed, no longer in flight).
        if request.one_off {
            if let Some(held) = shard.in_flight_get(request.schedule_id, digits) {
                let leased_out = self
                    .lease_nanos()
                    .is_some_and(|lease| held.at_nanos.saturating_add(lease) <= now);
                if !leased_out {
                    return Err(Rejection::DuplicateConcurrentLead {
                        number: number.to_string(),
                        schedule_id: request.schedule_id.to_owned(),
                    });
                }
            }
        }

        // Step 10: the latest unreleased dial inside the window. Admission
        // times are monotone, and a saturated end is past every decision
        // time accepted above, so it blocks.
        let mut last: Option<i64> = None;
        shard.dials.for_each_with_key(digits, |dial| {
            last = Some(last.map_or(dial.at_nanos, |l| l.max(dial.at_nanos)));
        });
        if let Some(at) = last {
            let until = at.saturating_add(window);
            if now < until {
                return Err(Rejection::RecentlyDialed {
                    number: number.to_string(),
                    dialled_at: DateTime::from_timestamp_nanos(at),
                    window_s: company.redial_window_s,
                    retry_at: Some(DateTime::from_timestamp_nanos(until)),
                });
            }
        }

        // Step 11: every cap must have room.
        Self::check_caps(&shard.dials, request.caps, number, now)?;

        // Step 12.
        let tat = match limiter.gcra.check(company.cps_limit, now) {
            Ok(tat) => tat,
            Err(earliest) => {
                return Err(Rejection::CpsExceeded {
                    company_id: company.id.clone(),
                    cps_limit: company.cps_limit.get(),
                    retry_at: Some(DateTime::from_timestamp_nanos(earliest)),
                })
            }
        };

        // Every guard passed: claim it all.
        limiter.gcra = Gcra {
            scale: company.cps_limit.get(),
            tat: Some(tat),
        };
        limiter.high_water = now;
        let longest_cap = request
            .caps
            .iter()
            .map(|c| i64::from(c.per_s).saturating_mul(1_000_000_000))
            .max()
            .unwrap_or(0);
        limiter.retention = limiter.retention.max(window).max(longest_cap);
        let keep_until = now.saturating_add(limiter.retention);
        let lease_end = match (request.one_off, self.lease_nanos()) {
            (true, Some(lease)) => now.saturating_add(lease),
            _ => i64::MIN,
        };
        limiter.live_until = limiter
            .live_until
            .max(keep_until)
            .max(lease_end)
            .max(limiter.gcra.tat_nanos());
        drop(limiter);

        let claim = next_claim_id();
        shard.dials.insert(Dial {
            number: digits,
            at_nanos: now,
            claim,
            keep_until,
        });
        let schedule_id: Arc<str> = Arc::from(request.schedule_id);
        if request.one_off {
            shard.in_flight.insert(
                InFlightKey {
                    schedule_id: Arc::clone(&schedule_id),
                    digits,
                },
                InFlight {
                    claim,
                    at_nanos: now,
                },
            );
        }
        drop(shard);
        self.sweep_company(state, now);
        Ok(Claim {
            id: claim,
            company_id: Arc::clone(&state.id),
            schedule_id,
            number,
            one_off: request.one_off,
            admitted_at: DateTime::from_timestamp_nanos(now),
        })
    }

    /// Step 11 on one number's dials: the first cap (in the caller's order)
    /// with no room names the rejection; `retry_at` is when every cap has
    /// room: for each full cap of N per S with k dials counting, the
    /// (k - N + 1)-th oldest's T + S, the latest of those.
    fn check_caps(
        dials: &RobinTable<Dial>,
        caps: &[CallCap<'_>],
        number: crate::phone::E164,
        now: i64,
    ) -> Result<(), Rejection> {
        let mut first_full: Option<(&CallCap<'_>, u32)> = None;
        let mut clear_at = now;
        for cap in caps {
            let per = i64::from(cap.per_s).saturating_mul(1_000_000_000);
            let mut count = 0u32;
            dials.for_each_with_key(number.digits(), |dial| {
                if dial.at_nanos <= now && now < dial.at_nanos.saturating_add(per) {
                    count += 1;
                }
            });
            if count < cap.calls {
                continue;
            }
            // Full: only here are the counted dials' times gathered.
            let mut times = Vec::with_capacity(count as usize);
            dials.for_each_with_key(number.digits(), |dial| {
                if dial.at_nanos <= now && now < dial.at_nanos.saturating_add(per) {
                    times.push(dial.at_nanos);
                }
            });
            times.sort_unstable();
            let k = times.len();
            let n = cap.calls as usize;
            let oldest_to_clear = times.get(k + 1 - n - 1).copied().unwrap_or(now);
            clear_at = clear_at.max(oldest_to_clear.saturating_add(per));
            if first_full.is_none() {
                first_full = Some((cap, count));
            }
        }
        match first_full {
            None => Ok(()),
            Some((cap, count)) => Err(Rejection::CallCapReached {
                number: number.to_string(),
                rule: cap.rule.to_owned(),
                calls: cap.calls,
                per_s: cap.per_s,
                count,
                retry_at: Some(DateTime::from_timestamp_nanos(clear_at)),
            }),
        }
    }
}

fn read<T>(lock: &ShardedLock<T>) -> ShardedLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(PoisonError::into_inner)
}

fn write<T>(lock: &ShardedLock<T>) -> ShardedLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(PoisonError::into_inner)
}

impl Admission for LocalAdmission {
    fn admit(&self, request: &AdmissionRequest<'_>) -> Result<Claim, Rejection> {
        let result = self.with_company(&request.company.id, |state| self.admit_in(state, request));
        if let Ok(claim) = &result {
            self.maybe_sweep_companies(to_nanos(claim.admitted_at));
        }
        result
    }

    // In-process state never fails: commit and release answer `Ok`.
    fn commit(&self, claim: &Claim) -> Result<(), StoreUnavailable> {
        if !claim.one_off {
            return Ok(());
        }
        let digits = claim.number.digits();
        self.with_existing(&claim.company_id, |state| {
            state
                .numbers
                .shard(digits)
                .in_flight_end(&claim.schedule_id, digits, claim.id);
        });
        Ok(())
    }

    fn release(&self, claim: &Claim) -> Result<(), StoreUnavailable> {
        // A release after the lease came too late: the hold counts as
        // committed (the call may have been placed).
        if let Some(lease) = &self.lease {
            let end = to_nanos(claim.admitted_at).saturating_add(lease.nanos);
            if to_nanos(lease.clock.now()) >= end {
                return self.commit(claim);
            }
        }
        let digits = claim.number.digits();
        self.with_existing(&claim.company_id, |state| {
            let mut shard = state.numbers.shard(digits);
            if claim.one_off {
                shard.in_flight_end(&claim.schedule_id, digits, claim.id);
            }
            shard.dials.remove(digits, |dial| dial.claim == claim.id);
        });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Company;
    use crate::phone::E164;
    use crate::timefmt;

    fn ask<'a>(company: &'a Company, n: u64, one_off: bool, at: &str) -> AdmissionRequest<'a> {
        AdmissionRequest {
            company,
            schedule_id: "s",
            number: E164::from_digits(n).unwrap(),
            one_off,
            caps: &[],
            now: timefmt::parse(at).unwrap(),
        }
    }

    #[test]
    fn expired_redial_entries_are_swept() {
        let admission = LocalAdmission::new();
        let mut company = Company::new("acme", 1_000_000).unwrap();
        company.redial_window_s = 1;
        let base = timefmt::parse("2026-11-26T15:00:00Z").unwrap();
        let total = 10 * SWEEP_MIN_ENTRIES;
        for i in 0..total {
            // 10 ms apart: a 1 s window holds 100 live dials.
            let now = base + chrono::Duration::milliseconds(i64::try_from(i).unwrap() * 10);
            let claim = admission
                .admit(&AdmissionRequest {
                    now,
                    ..ask(&company, 17_195_550_000 + i, false, "2026-11-26T15:00:00Z")
                })
                .unwrap();
            admission.commit(&claim).unwrap();
        }
        let held = admission.redial_entries();
        assert!(
            held <= 2 * SWEEP_MIN_ENTRIES as usize,
            "{held} entries held after {total} dials"
        );
    }

    #[test]
    fn release_drops_only_its_own_claim() {
        let admission = LocalAdmission::new();
        let company = Company::new("acme", 100).unwrap();
        let old = admission
            .admit(&ask(&company, 17195551234, false, "2026-11-26T15:00:00Z"))
            .unwrap();
        admission.commit(&old).unwrap();
        let new = admission
            .admit(&ask(&company, 17195551234, false, "2026-11-26T15:00:30Z"))
            .unwrap();
        admission.commit(&new).unwrap();
        admission.release(&old).unwrap(); // late, stale: must not free the newer dial
        let err = admission
            .admit(&ask(&company, 17195551234, false, "2026-11-26T15:00:31Z"))
            .unwrap_err();
        assert_eq!(err.code(), "recently_dialed");
    }

    /// Issue 12, item 1: alternating limits 1 and 2 at one instant admitted
    /// 1,000 calls (the limiter restarted on every change); a change keeps
    /// TAT, so at most the larger burst passes.
    #[test]
    fn a_new_cps_limit_keeps_the_theoretical_arrival_time() {
        let admission = LocalAdmission::new();
        let one = Company::new("acme", 1).unwrap();
        let two = Company::new("acme", 2).unwrap();
        let mut admitted = 0;
        for i in 0..1000u64 {
            let company = if i % 2 == 0 { &one } else { &two };
            if admission
                .admit(&ask(
                    company,
                    17195550000 + i,
                    false,
                    "2026-11-26T15:00:00Z",
                ))
                .is_ok()
            {
                admitted += 1;
            }
        }
        // At 1 cps the first sets TAT to t + 1 s, past the 0.5 s that 2 cps
        // tolerates: one call, where the restarting limiter let 1,000 by.
        assert_eq!(admitted, 1);

        // One change from 1 to 2: TAT carries over, the new interval and
        // burst apply from the next admission. 2 calls in the first second.
        let admission = LocalAdmission::new();
        let at = |c: &Company, n: u64, s: &str| admission.admit(&ask(c, n, false, s));
        assert!(at(&one, 17195550001, "2026-11-26T15:00:00Z").is_ok());
        let err = at(&two, 17195550002, "2026-11-26T15:00:00Z").unwrap_err();
        assert_eq!(err.code(), "cps_exceeded");
        assert_eq!(
            timefmt::rfc3339(err.retry_at().unwrap()),
            "2026-11-26T15:00:00.500Z"
        );
        assert!(at(&two, 17195550002, "2026-11-26T15:00:00.500Z").is_ok());
        let err = at(&two, 17195550003, "2026-11-26T15:00:00.900Z").unwrap_err();
        assert_eq!(
            timefmt::rfc3339(err.retry_at().unwrap()),
            "2026-11-26T15:00:01Z"
        );
        // Back to 1 cps: TAT 15:00:01.5 stands; tau is 0.
        let err = at(&one, 17195550003, "2026-11-26T15:00:01Z").unwrap_err();
        assert_eq!(
            timefmt::rfc3339(err.retry_at().unwrap()),
            "2026-11-26T15:00:01.500Z"
        );
    }

    /// TAT carried across a change from 3 cps (a third of a nanosecond off
    /// the grid) still decides to the nanosecond.
    #[test]
    fn a_change_from_an_inexact_interval_stays_exact() {
        let admission = LocalAdmission::new();
        let three = Company::new("acme", 3).unwrap();
        let two = Company::new("acme", 2).unwrap();
        let at = |c: &Company, n: u64, s: &str| admission.admit(&ask(c, n, false, s));
        for n in 0..2 {
            assert!(at(&three, 17195550010 + n, "2026-11-26T15:00:00Z").is_ok());
        }
        // TAT = t + 2/3 s. At 2 cps a call passes from TAT - 0.5 s = t + 1/6 s,
        // 166666666.67 ns: not at ...666, at ...667.
        let err = at(&two, 17195550020, "2026-11-26T15:00:00.166666666Z").unwrap_err();
        assert_eq!(
            timefmt::rfc3339(err.retry_at().unwrap()),
            "2026-11-26T15:00:00.166666667Z"
        );
        assert!(at(&two, 17195550020, "2026-11-26T15:00:00.166666667Z").is_ok());
    }

    /// 5 and 6 alternating over 10 s admitted 10,000 calls; the GCRA at the
    /// larger limit allows at most 6 + 60.
    #[test]
    fn alternating_limits_never_pass_the_larger_gcra() {
        let admission = LocalAdmission::new();
        let five = Company::new("acme", 5).unwrap();
        let six = Company::new("acme", 6).unwrap();
        let base = timefmt::parse("2026-11-26T15:00:00Z").unwrap();
        let mut admitted = 0;
        for i in 0..10_000u64 {
            let company = if i % 2 == 0 { &five } else { &six };
            let now = base + chrono::Duration::milliseconds(i64::try_from(i).unwrap());
            let req = AdmissionRequest {
                now,
                ..ask(company, 17195500000 + i, false, "2026-11-26T15:00:00Z")
            };
            if admission.admit(&req).is_ok() {
                admitted += 1;
            }
        }
        assert!(admitted <= 66, "{admitted} admitted in 10 s");
        assert!(admitted >= 50, "{admitted}: the limiter must still admit");
    }

    #[test]
    fn a_new_cps_limit_keeps_claims() {
        let admission = LocalAdmission::new();
        let mut company = Company::new("acme", 1).unwrap();
        let held = admission
            .admit(&ask(&company, 17195550001, true, "2026-11-26T15:00:00Z"))
            .unwrap();
        company.cps_limit = NonZeroU32::new(2).unwrap();
        let dup = admission
            .admit(&ask(&company, 17195550001, true, "2026-11-26T15:00:01Z"))
            .unwrap_err();
        assert_eq!(dup.code(), "duplicate_concurrent_lead");
        admission.release(&held).unwrap();
        assert_eq!(admission.in_flight(), 0);
    }

    /// Issue 12, item 2: A at 15:00:00 committed; Y at 15:00:30 admitted and
    /// released; X, whose time was read at 15:00:29.9 before Y, was admitted
    /// 29.9 s after A. Admission now decides X at its high-water mark.
    #[test]
    fn an_out_of_order_time_is_decided_at_the_high_water_mark() {
        let admission = LocalAdmission::new();
        let company = Company::new("acme", 100).unwrap();
        let a = admission
            .admit(&ask(&company, 17195551234, false, "2026-11-26T15:00:00Z"))
            .unwrap();
        admission.commit(&a).unwrap();
        let y = admission
            .admit(&ask(&company, 17195551234, false, "2026-11-26T15:00:30Z"))
            .unwrap();
        admission.release(&y).unwrap();
        let x = admission
            .admit(&ask(
                &company,
                17195551234,
                false,
                "2026-11-26T15:00:29.900Z",
            ))
            .unwrap();
        assert_eq!(
            timefmt::rfc3339(x.admitted_at),
            "2026-11-26T15:00:30Z",
            "decided at the high-water mark, 30 s after A"
        );
    }

    /// Issue 12, item 3: at the last instant chrono's nanoseconds reach, two
    /// dials of one number were both admitted (`at + window` saturated).
    #[test]
    fn instants_past_the_supported_range_are_refused() {
        let admission = LocalAdmission::new();
        let company = Company::new("acme", 100).unwrap();
        for at in [
            "2262-04-11T23:47:16.854775807Z",
            "2201-01-01T00:00:00Z",
            "1969-12-31T23:59:59Z",
        ] {
            let err = admission
                .admit(&ask(&company, 17195551234, false, at))
                .unwrap_err();
            assert_eq!(err.code(), "invalid_request", "{at}");
        }
        let last = "2200-12-31T23:59:59.999999999Z";
        assert!(admission
            .admit(&ask(&company, 17195551234, false, last))
            .is_ok());
        let err = admission
            .admit(&ask(&company, 17195551234, false, last))
            .unwrap_err();
        assert_eq!(err.code(), "recently_dialed");
    }

    /// Issue 12, item 4: a forgotten hold kept its one-off lead in flight
    /// for ever; with a lease it counts as committed at the lease's end.
    #[test]
    fn a_leaked_hold_ends_with_its_lease_as_committed() {
        let clock = crate::FakeClock::at("2026-11-26T15:00:00Z").unwrap();
        let admission =
            LocalAdmission::new().with_hold_lease(Duration::from_secs(60), clock.clone());
        let mut company = Company::new("acme", 100).unwrap();
        company.redial_window_s = 120;
        let held = admission
            .admit(&ask(&company, 17195551234, true, "2026-11-26T15:00:00Z"))
            .unwrap();
        let dup = admission
            .admit(&ask(&company, 17195551234, true, "2026-11-26T15:00:59Z"))
            .unwrap_err();
        assert_eq!(dup.code(), "duplicate_concurrent_lead");
        // Past the lease: no longer in flight, but committed: the window runs.
        let err = admission
            .admit(&ask(&company, 17195551234, true, "2026-11-26T15:01:00Z"))
            .unwrap_err();
        assert_eq!(err.code(), "recently_dialed");
        // A release after the lease commits instead.
        clock.set(timefmt::parse("2026-11-26T15:01:30Z").unwrap());
        admission.release(&held).unwrap();
        let err = admission
            .admit(&ask(&company, 17195551234, false, "2026-11-26T15:01:30Z"))
            .unwrap_err();
        assert_eq!(
            err.code(),
            "recently_dialed",
            "the late release did not free the window"
        );
        assert!(admission
            .admit(&ask(&company, 17195551234, true, "2026-11-26T15:02:00Z"))
            .is_ok());
    }

    /// Without a lease a leaked hold stays in flight (the command-line host).
    #[test]
    fn without_a_lease_a_hold_stays_in_flight() {
        let admission = LocalAdmission::new();
        let company = Company::new("acme", 100).unwrap();
        let held = admission
            .admit(&ask(&company, 17195551234, true, "2026-11-26T15:00:00Z"))
            .unwrap();
        std::mem::forget(held);
        let err = admission
            .admit(&ask(&company, 17195551234, true, "2027-11-26T15:00:00Z"))
            .unwrap_err();
        assert_eq!(err.code(), "duplicate_concurrent_lead");
    }

    /// Issue 12, item 6: 100k companies making one call each were all held
    /// a day later; the state of a company with nothing live is dropped,
    /// by the host's timer or by other companies' traffic.
    #[test]
    fn companies_with_nothing_live_are_dropped() {
        let admission = LocalAdmission::new();
        let t0 = timefmt::parse("2026-11-26T15:00:00Z").unwrap();
        let ids: Vec<String> = (0..5000).map(|i| format!("co-{i}")).collect();
        for id in &ids {
            let company = Company::new(id.as_str(), 1).unwrap();
            let claim = admission
                .admit(&AdmissionRequest {
                    now: t0,
                    ..ask(&company, 17195551234, false, "2026-11-26T15:00:00Z")
                })
                .unwrap();
            admission.commit(&claim).unwrap();
        }
        assert_eq!(admission.companies(), 5000);
        admission.sweep(t0 + chrono::Duration::seconds(29));
        assert_eq!(admission.companies(), 5000, "windows still open");
        admission.sweep(t0 + chrono::Duration::seconds(30));
        assert_eq!(admission.companies(), 0);
        assert_eq!(admission.redial_entries(), 0);

        // Without the timer: one busy company's traffic sweeps the others.
        for id in &ids {
            let company = Company::new(id.as_str(), 1).unwrap();
            admission
                .admit(&AdmissionRequest {
                    now: t0 + chrono::Duration::seconds(60),
                    ..ask(&company, 17195551234, false, "2026-11-26T15:00:00Z")
                })
                .unwrap();
        }
        let busy = Company::new("busy", 1_000_000).unwrap();
        let later = t0 + chrono::Duration::seconds(200);
        for i in 0..(COMPANY_SHARDS as u64 + 2) * SWEEP_MIN_ENTRIES {
            let now = later + chrono::Duration::milliseconds(i64::try_from(i).unwrap());
            admission
                .admit(&AdmissionRequest {
                    now,
                    ..ask(&busy, 17190000000 + i, false, "2026-11-26T15:00:00Z")
                })
                .unwrap();
        }
        assert_eq!(admission.companies(), 1, "only the busy company is left");
    }

    /// A dropped company's limiter and high-water mark are not missed: a
    /// decision after the sweep is taken at or after the sweep's instant.
    #[test]
    fn a_sweep_never_lets_an_older_time_back_in() {
        let admission = LocalAdmission::new();
        let company = Company::new("acme", 1).unwrap();
        let t0 = timefmt::parse("2026-11-26T15:00:00Z").unwrap();
        let a = admission
            .admit(&ask(&company, 17195551234, false, "2026-11-26T15:00:00Z"))
            .unwrap();
        admission.commit(&a).unwrap();
        admission.sweep(t0 + chrono::Duration::seconds(30));
        assert_eq!(admission.companies(), 0);
        let late = admission
            .admit(&ask(&company, 17195551234, false, "2026-11-26T15:00:10Z"))
            .unwrap();
        assert_eq!(timefmt::rfc3339(late.admitted_at), "2026-11-26T15:00:30Z");
    }

    #[test]
    fn caps_count_unreleased_dials_and_say_when_they_clear() {
        let admission = LocalAdmission::new();
        let mut company = Company::new("acme", 100).unwrap();
        company.redial_window_s = 1;
        let caps = [CallCap {
            calls: 3,
            per_s: 86_400,
            rule: "FL's cap of 3 calls per 86400 s (Fla. Stat. 501.616)",
        }];
        let at = |s: &str| AdmissionRequest {
            caps: &caps,
            ..ask(&company, 13055551234, false, s)
        };
        let first = admission.admit(&at("2026-11-26T15:00:00Z")).unwrap();
        let second = admission.admit(&at("2026-11-26T16:00:00Z")).unwrap();
        admission.commit(&first).unwrap();
        admission.commit(&second).unwrap();
        let third = admission.admit(&at("2026-11-26T17:00:00Z")).unwrap();
        admission.release(&third).unwrap();
        let third = admission.admit(&at("2026-11-26T18:00:00Z")).unwrap();
        admission.commit(&third).unwrap();
        let err = admission.admit(&at("2026-11-26T19:00:00Z")).unwrap_err();
        assert_eq!(err.code(), "call_cap_reached");
        assert_eq!(
            timefmt::rfc3339(err.retry_at().unwrap()),
            "2026-11-27T15:00:00Z",
            "the oldest counted dial's T + S"
        );
        assert!(err.to_string().contains("3 calls per 86400"), "{err}");
        assert!(admission.admit(&at("2026-11-27T15:00:00Z")).is_ok());
    }

    #[test]
    fn companies_do_not_share_limits_or_windows() {
        let admission = LocalAdmission::new();
        let acme = Company::new("acme", 1).unwrap();
        let globex = Company::new("globex", 1).unwrap();
        assert!(admission
            .admit(&ask(&acme, 17195551234, false, "2026-11-26T15:00:00Z"))
            .is_ok());
        assert!(admission
            .admit(&ask(&globex, 17195551234, false, "2026-11-26T15:00:00Z"))
            .is_ok());
    }
}
