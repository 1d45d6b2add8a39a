//! In-process admission: an exact GCRA per company, and the redial window
//! and the in-flight one-off leads in tables sharded by number.

use std::borrow::Borrow;
use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use chrono::DateTime;
use dashmap::DashMap;

use super::{Admission, AdmissionRequest, Claim, Padded};
use crate::clock::to_nanos;
use crate::rejection::Rejection;
use crate::store::{NumberHash, RobinTable, Slot};

/// A company's redial map is swept of expired entries after this many
/// admissions at least (or as many as it held after the last sweep, if more),
/// which keeps the sweep's cost amortised O(1) per admission and the map
/// within about twice the dials of one window.
///
/// # Example
/// ```
/// use dialgate::{admission::SWEEP_MIN_ENTRIES, *};
/// let (admission, acme) = (LocalAdmission::new(), Company::new("acme", 100_000).unwrap());
/// let t0 = timefmt::parse("2026-11-26T15:00:00Z").unwrap();
/// let ask = |i: u64, now| AdmissionRequest { company: &acme, schedule_id: "sch-solar", number: E164::from_digits(17192000000 + i).unwrap(), one_off: false, now };
/// for i in 1..SWEEP_MIN_ENTRIES { admission.admit(&ask(i, t0)).unwrap(); }
/// assert_eq!(admission.redial_entries() as u64, SWEEP_MIN_ENTRIES - 1);
/// admission.admit(&ask(0, t0 + chrono::Duration::seconds(31))).unwrap(); // the sweep
/// assert_eq!(admission.redial_entries(), 1);
/// ```
pub const SWEEP_MIN_ENTRIES: u64 = 1024;

/// Nanoseconds in a second.
const NANOS_PER_S: i128 = 1_000_000_000;

/// The contract's GCRA, exactly: emission interval 1/cps_limit s, burst
/// cps_limit. Instants are kept in nanoseconds times `cps_limit`, so the
/// interval is a whole 10^9 units and nothing rounds (governor's whole
/// nanosecond interval, 333333333 ns for 3 cps, admitted a hair early and
/// drifted).
#[derive(Debug)]
struct Gcra {
    cps_limit: NonZeroU32,
    /// The theoretical arrival time, scaled; `None` before the first admission.
    tat: Option<i128>,
}

impl Gcra {
    fn new(cps_limit: NonZeroU32) -> Self {
        Gcra {
            cps_limit,
            tat: None,
        }
    }

    /// Admits at `now_nanos` (and moves TAT on), or refuses with the
    /// earliest whole nanosecond at which it would admit: TAT - tau.
    fn check(&mut self, now_nanos: i64) -> Result<(), i64> {
        let cps = i128::from(self.cps_limit.get());
        let t = i128::from(now_nanos) * cps;
        let tau = (cps - 1) * NANOS_PER_S;
        let tat = self.tat.map_or(t, |tat| tat.max(t));
        if tat - t > tau {
            let earliest = (tat - tau + cps - 1).div_euclid(cps);
            return Err(i64::try_from(earliest).unwrap_or(i64::MAX));
        }
        self.tat = Some(tat + NANOS_PER_S);
        Ok(())
    }
}

/// One company's admission state.
#[derive(Debug)]
struct CompanyState {
    /// The company's id, shared with its claims.
    id: Arc<str>,
    /// The company's GCRA; replaced whole when the limit changes.
    limiter: Mutex<Gcra>,
    /// The redial window's dials and the in-flight one-off leads, by number.
    numbers: Numbers,
    admissions_since_sweep: AtomicU64,
    /// How many admissions the next sweep waits for.
    sweep_due: AtomicU64,
}

/// An in-flight one-off lead's key: its dialing schedule and number. Looked
/// up by [`KeyView`], so a commit or release builds no key.
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

/// A redial table slot: the number (never 0), when it was admitted and by
/// which claim.
#[derive(Clone, Copy, Debug, Default)]
struct Dial {
    number: u64,
    at_nanos: i64,
    claim: u64,
}

impl Slot for Dial {
    #[inline]
    fn key(self) -> u64 {
        self.number
    }
}

/// Shards of a company's number state, each behind its own lock.
const SHARDS: usize = 16;

/// One shard of a company's number state: what one lock guards.
#[derive(Debug, Default)]
struct Shard {
    /// E.164 digits -> the last admitted, unreleased dial, in an
    /// open-addressing table whose slots hold key and dial together (a new
    /// number costs one cache miss, where a `HashMap` reads a control byte
    /// and writes a bucket elsewhere).
    dials: RobinTable<Dial>,
    /// (dialing schedule, E.164 digits) -> the claim creating its one-off
    /// lead.
    in_flight: HashMap<InFlightKey, u64, NumberHash>,
}

/// A company's redial window and in-flight one-off leads, sharded by number:
/// a decision takes one lock for both. Numbers pick their shard and slot by
/// seeded multiplicative hashes: a request picks a number, not its hash.
#[derive(Debug)]
struct Numbers {
    shards: [Mutex<Shard>; SHARDS],
    hash: NumberHash,
}

impl Numbers {
    fn new() -> Self {
        Numbers {
            shards: std::array::from_fn(|_| Mutex::new(Shard::default())),
            hash: NumberHash::new(),
        }
    }

    /// The shard holding `digits`, locked.
    fn shard(&self, digits: u64) -> MutexGuard<'_, Shard> {
        // The top four bits of the hash: below REDIAL_SHARDS.
        let i = (self.hash.hash_u64(digits) >> 60) as usize;
        let [first, ..] = &self.shards;
        lock(self.shards.get(i).unwrap_or(first))
    }

    /// Dials held, expired ones not yet swept included.
    fn dials(&self) -> usize {
        self.shards.iter().map(|s| lock(s).dials.len()).sum()
    }

    /// One-off leads in flight.
    fn in_flight(&self) -> usize {
        self.shards.iter().map(|s| lock(s).in_flight.len()).sum()
    }

    /// Drops the dials whose window ended by `now_nanos`; how many are held.
    fn sweep(&self, window_nanos: i64, now_nanos: i64) -> usize {
        self.shards
            .iter()
            .map(|s| {
                let mut shard = lock(s);
                shard
                    .dials
                    .retain(|dial| dial.at_nanos.saturating_add(window_nanos) > now_nanos);
                shard.dials.len()
            })
            .sum()
    }
}

/// Locks, poisoned or not: every critical section leaves its table whole.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl CompanyState {
    fn new(id: Arc<str>, cps_limit: NonZeroU32) -> Self {
        CompanyState {
            id,
            limiter: Mutex::new(Gcra::new(cps_limit)),
            numbers: Numbers::new(),
            admissions_since_sweep: AtomicU64::new(0),
            sweep_due: AtomicU64::new(SWEEP_MIN_ENTRIES),
        }
    }
}

/// A company's state, read from the company map.
type CompanyRef<'a> = dashmap::mapref::one::Ref<'a, Arc<str>, Arc<CompanyState>>;

/// The in-process [`Admission`]: one exact GCRA per company (emission
/// interval 1/cps, burst cps), and tables sharded by number for the redial
/// window and the in-flight one-off leads.
///
/// Expired redial entries are swept as admissions go, so memory follows the
/// dials of one window, not every number ever dialled. A change of a
/// company's `cps_limit` starts its limiter afresh.
///
/// # Example
/// ```
/// use dialgate::*;
/// let admission = LocalAdmission::new();
/// let company = Company::new("globex", 2).unwrap();
/// let now = timefmt::parse("2026-11-26T15:00:00Z").unwrap();
/// let ask = |n: u64| AdmissionRequest { company: &company, schedule_id: "s", number: E164::from_digits(n).unwrap(), one_off: false, now };
/// assert!(admission.admit(&ask(16505550123)).is_ok());
/// assert!(admission.admit(&ask(13125550147)).is_ok());
/// let refused = admission.admit(&ask(17205550161)).unwrap_err();
/// assert_eq!(refused.code(), "cps_exceeded");
/// assert_eq!(timefmt::rfc3339(refused.retry_at().unwrap()), "2026-11-26T15:00:00.500Z");
/// ```
#[derive(Debug, Default)]
pub struct LocalAdmission {
    /// Company id -> its state. Ids come from the host's authentication,
    /// not from requests: hashed as numbers are, with a seeded multiply.
    companies: DashMap<Arc<str>, Arc<CompanyState>, NumberHash>,
    /// Bumped by every admission: on lines of its own.
    next_claim: Padded<AtomicU64>,
}

impl LocalAdmission {
    /// Empty state.
    ///
    /// # Example
    /// ```
    /// use dialgate::LocalAdmission;
    /// let admission = LocalAdmission::new();
    /// assert_eq!((admission.redial_entries(), admission.in_flight()), (0, 0));
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// How many redial entries are held, over all companies (expired ones
    /// not yet swept included).
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
        self.companies.iter().map(|c| c.numbers.dials()).sum()
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
        self.companies.iter().map(|c| c.numbers.in_flight()).sum()
    }

    /// The company's state, held by a read guard of its shard of the
    /// company map (which only a company's first admission writes).
    fn company(&self, id: &str, cps_limit: NonZeroU32) -> CompanyRef<'_> {
        if let Some(state) = self.companies.get(id) {
            return state;
        }
        let id: Arc<str> = Arc::from(id);
        self.companies
            .entry(Arc::clone(&id))
            .or_insert_with(|| Arc::new(CompanyState::new(id, cps_limit)))
            .downgrade()
    }

    /// Checks the company's GCRA at the decision time, restarting it first if
    /// the company's limit changed.
    fn check_cps(state: &CompanyState, cps_limit: NonZeroU32, now_nanos: i64) -> Result<(), i64> {
        let mut gcra = lock(&state.limiter);
        if gcra.cps_limit != cps_limit {
            *gcra = Gcra::new(cps_limit);
        }
        gcra.check(now_nanos)
    }

    /// Drops the claim's in-flight one-off lead, if it still holds it.
    fn end_in_flight(shard: &mut Shard, claim: &Claim) {
        let key = (&*claim.schedule_id, claim.number.digits());
        if let Some((key, holder)) = shard.in_flight.remove_entry(&key as &dyn KeyView) {
            // Another claim's (this one's was ended already): put it back.
            if holder != claim.id {
                shard.in_flight.insert(key, holder);
            }
        }
    }

    /// Counts an admission and, once as many admissions as the map held
    /// after the last sweep (at least [`SWEEP_MIN_ENTRIES`]) have gone by,
    /// drops the expired entries.
    fn sweep(state: &CompanyState, window_nanos: i64, now_nanos: i64) {
        let since = state.admissions_since_sweep.fetch_add(1, Ordering::Relaxed) + 1;
        if since < state.sweep_due.load(Ordering::Relaxed) {
            return;
        }
        state.admissions_since_sweep.store(0, Ordering::Relaxed);
        let held = state.numbers.sweep(window_nanos, now_nanos);
        let held = u64::try_from(held).unwrap_or(u64::MAX);
        state
            .sweep_due
            .store(SWEEP_MIN_ENTRIES.max(held), Ordering::Relaxed);
    }
}

impl Admission for LocalAdmission {
    fn admit(&self, request: &AdmissionRequest<'_>) -> Result<Claim, Rejection> {
        let company = request.company;
        let state = self.company(&company.id, company.cps_limit);
        let now_nanos = to_nanos(request.now);
        let window_nanos = i64::from(company.redial_window_s).saturating_mul(1_000_000_000);
        let number = request.number;
        let digits = number.digits();

        // One lock for the number's shard, then the company's limiter: no
        // path takes them the other way round, and release and sweep take
        // one shard at a time. The company map's read guard, held
        // throughout (as by commit), is only ever waited for by a company's
        // first admission, which holds nothing else.
        let schedule_id: Arc<str> = Arc::from(request.schedule_id);
        let mut shard = state.numbers.shard(digits);
        let Shard { dials, in_flight } = &mut *shard;
        let in_flight = if request.one_off {
            match in_flight.entry(InFlightKey {
                schedule_id: Arc::clone(&schedule_id),
                digits,
            }) {
                Entry::Occupied(_) => {
                    return Err(Rejection::DuplicateConcurrentLead {
                        number: number.to_string(),
                        schedule_id: request.schedule_id.to_owned(),
                    })
                }
                Entry::Vacant(slot) => Some(slot),
            }
        } else {
            None
        };

        if let Some(last) = dials.find(digits, |_| true) {
            let until = last.at_nanos.saturating_add(window_nanos);
            if now_nanos < until {
                return Err(Rejection::RecentlyDialed {
                    number: number.to_string(),
                    dialled_at: DateTime::from_timestamp_nanos(last.at_nanos),
                    window_s: company.redial_window_s,
                    retry_at: DateTime::from_timestamp_nanos(until),
                });
            }
        }

        if let Err(earliest) = Self::check_cps(&state, company.cps_limit, now_nanos) {
            return Err(Rejection::CpsExceeded {
                company_id: company.id.clone(),
                cps_limit: company.cps_limit.get(),
                retry_at: DateTime::from_timestamp_nanos(earliest),
            });
        }

        let claim = self.next_claim.fetch_add(1, Ordering::Relaxed);
        let dial = Dial {
            number: digits,
            at_nanos: now_nanos,
            claim,
        };
        if !dials.replace(digits, |_| true, dial) {
            dials.insert(dial);
        }
        if let Some(slot) = in_flight {
            slot.insert(claim);
        }
        drop(shard);
        Self::sweep(&state, window_nanos, now_nanos);
        Ok(Claim {
            id: claim,
            company_id: Arc::clone(&state.id),
            schedule_id,
            number,
            one_off: request.one_off,
            admitted_at: request.now,
        })
    }

    fn commit(&self, claim: &Claim) {
        if !claim.one_off {
            return;
        }
        if let Some(state) = self.companies.get(&*claim.company_id) {
            let digits = claim.number.digits();
            Self::end_in_flight(&mut state.numbers.shard(digits), claim);
        }
    }

    fn release(&self, claim: &Claim) {
        let Some(state) = self
            .companies
            .get(&*claim.company_id)
            .map(|s| Arc::clone(&s))
        else {
            return;
        };
        let digits = claim.number.digits();
        let mut shard = state.numbers.shard(digits);
        if claim.one_off {
            Self::end_in_flight(&mut shard, claim);
        }
        shard.dials.remove(digits, |dial| dial.claim == claim.id);
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
            admission.commit(&claim);
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
        admission.commit(&old);
        let new = admission
            .admit(&ask(&company, 17195551234, false, "2026-11-26T15:00:30Z"))
            .unwrap();
        admission.commit(&new);
        admission.release(&old); // late, stale: must not free the newer dial
        let err = admission
            .admit(&ask(&company, 17195551234, false, "2026-11-26T15:00:31Z"))
            .unwrap_err();
        assert_eq!(err.code(), "recently_dialed");
    }

    #[test]
    fn a_new_cps_limit_restarts_the_limiter_and_keeps_claims() {
        let admission = LocalAdmission::new();
        let mut company = Company::new("acme", 1).unwrap();
        let held = admission
            .admit(&ask(&company, 17195550001, true, "2026-11-26T15:00:00Z"))
            .unwrap();
        let err = admission
            .admit(&ask(&company, 17195550002, false, "2026-11-26T15:00:00Z"))
            .unwrap_err();
        assert_eq!(err.code(), "cps_exceeded");
        company.cps_limit = NonZeroU32::new(2).unwrap();
        assert!(admission
            .admit(&ask(&company, 17195550002, false, "2026-11-26T15:00:00Z"))
            .is_ok());
        let dup = admission
            .admit(&ask(&company, 17195550001, true, "2026-11-26T15:00:00Z"))
            .unwrap_err();
        assert_eq!(dup.code(), "duplicate_concurrent_lead");
        admission.release(&held);
        assert_eq!(admission.in_flight(), 0);
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
