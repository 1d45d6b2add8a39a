//! In-process admission: an exact GCRA per company, the redial window and
//! the in-flight one-off leads in dashmaps.

use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use chrono::DateTime;
use dashmap::mapref::entry::Entry;
use dashmap::DashMap;

use super::{Admission, AdmissionRequest, Claim};
use crate::clock::to_nanos;
use crate::rejection::Rejection;

/// A company's redial map is swept of expired entries after this many
/// admissions at least (or as many as it held after the last sweep, if more),
/// which keeps the sweep's cost amortised O(1) per admission and the map
/// within about twice the dials of one window.
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
    /// The company's GCRA; replaced whole when the limit changes.
    limiter: Mutex<Gcra>,
    /// E.164 digits -> the last admitted, unreleased dial.
    redial: DashMap<u64, Dial>,
    /// (dialing schedule, E.164 digits) -> the claim creating its one-off lead.
    in_flight: DashMap<(Box<str>, u64), u64>,
    admissions_since_sweep: AtomicU64,
    /// How many admissions the next sweep waits for.
    sweep_due: AtomicU64,
}

#[derive(Clone, Copy, Debug)]
struct Dial {
    at_nanos: i64,
    claim: u64,
}

impl CompanyState {
    fn new(cps_limit: NonZeroU32) -> Self {
        CompanyState {
            limiter: Mutex::new(Gcra::new(cps_limit)),
            redial: DashMap::new(),
            in_flight: DashMap::new(),
            admissions_since_sweep: AtomicU64::new(0),
            sweep_due: AtomicU64::new(SWEEP_MIN_ENTRIES),
        }
    }
}

/// The in-process [`Admission`]: one exact GCRA per company (emission
/// interval 1/cps, burst cps), and dashmaps for the redial window and the
/// in-flight one-off leads.
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
    companies: DashMap<String, Arc<CompanyState>>,
    next_claim: AtomicU64,
}

impl LocalAdmission {
    /// Empty state.
    pub fn new() -> Self {
        Self::default()
    }

    /// How many redial entries are held, over all companies (expired ones
    /// not yet swept included).
    pub fn redial_entries(&self) -> usize {
        self.companies.iter().map(|c| c.redial.len()).sum()
    }

    /// How many one-off leads are in flight, over all companies.
    pub fn in_flight(&self) -> usize {
        self.companies.iter().map(|c| c.in_flight.len()).sum()
    }

    fn company(&self, id: &str, cps_limit: NonZeroU32) -> Arc<CompanyState> {
        if let Some(state) = self.companies.get(id) {
            return Arc::clone(&state);
        }
        Arc::clone(
            &self
                .companies
                .entry(id.to_owned())
                .or_insert_with(|| Arc::new(CompanyState::new(cps_limit))),
        )
    }

    /// Checks the company's GCRA at the decision time, restarting it first if
    /// the company's limit changed.
    fn check_cps(state: &CompanyState, cps_limit: NonZeroU32, now_nanos: i64) -> Result<(), i64> {
        let mut gcra = state.limiter.lock().unwrap_or_else(PoisonError::into_inner);
        if gcra.cps_limit != cps_limit {
            *gcra = Gcra::new(cps_limit);
        }
        gcra.check(now_nanos)
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
        state
            .redial
            .retain(|_, dial| dial.at_nanos.saturating_add(window_nanos) > now_nanos);
        let held = u64::try_from(state.redial.len()).unwrap_or(u64::MAX);
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

        // Locks are always taken in-flight first, then redial; release and
        // sweep never hold two at once, so this order cannot deadlock.
        let in_flight = if request.one_off {
            match state
                .in_flight
                .entry((Box::from(request.schedule_id), number.digits()))
            {
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

        let redial = state.redial.entry(number.digits());
        if let Entry::Occupied(last) = &redial {
            let until = last.get().at_nanos.saturating_add(window_nanos);
            if now_nanos < until {
                return Err(Rejection::RecentlyDialed {
                    number: number.to_string(),
                    dialled_at: DateTime::from_timestamp_nanos(last.get().at_nanos),
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
            at_nanos: now_nanos,
            claim,
        };
        match redial {
            Entry::Occupied(mut last) => {
                last.insert(dial);
            }
            Entry::Vacant(slot) => {
                slot.insert(dial);
            }
        }
        if let Some(slot) = in_flight {
            slot.insert(claim);
        }
        Self::sweep(&state, window_nanos, now_nanos);
        Ok(Claim {
            id: claim,
            company_id: company.id.clone(),
            schedule_id: request.schedule_id.to_owned(),
            number,
            one_off: request.one_off,
            admitted_at: request.now,
        })
    }

    fn commit(&self, claim: &Claim) {
        if !claim.one_off {
            return;
        }
        if let Some(state) = self
            .companies
            .get(claim.company_id.as_str())
            .map(|s| Arc::clone(&s))
        {
            state.in_flight.remove_if(
                &(Box::from(claim.schedule_id.as_str()), claim.number.digits()),
                |_, holder| *holder == claim.id,
            );
        }
    }

    fn release(&self, claim: &Claim) {
        let Some(state) = self
            .companies
            .get(claim.company_id.as_str())
            .map(|s| Arc::clone(&s))
        else {
            return;
        };
        if claim.one_off {
            state.in_flight.remove_if(
                &(Box::from(claim.schedule_id.as_str()), claim.number.digits()),
                |_, holder| *holder == claim.id,
            );
        }
        state
            .redial
            .remove_if(&claim.number.digits(), |_, dial| dial.claim == claim.id);
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
