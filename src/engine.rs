//! The engine: the pipeline, then admission, behind one entry point.

use std::sync::Arc;

use crate::admission::Shards;
use crate::admission::{Admission, AdmissionRequest, Claim, LocalAdmission};
use crate::call::{Call, Guard, LeadOrigin, Plan};
use crate::clock::Clock;
use crate::enrol::{EnrolError, EnrolRequest, Enrolled};
use crate::model::{Company, Lead, LeadStatus};
use crate::phone::NumberReader;
use crate::pipeline;
use crate::rejection::Rejection;
use crate::request::MakeCallRequest;
use crate::store::{
    Enrolment, InMemoryLeadStore, LeadStore, OneOffLeads, ScheduleStore, StoreError,
    StoreUnavailable, SuppressionList,
};

/// Decides make_call requests. `Send + Sync`: share it (`&self`) across threads.
///
/// # Example
/// ```
/// use dialgate::*;
/// let reader = NumberReader::new();
/// let mut schedules = InMemoryScheduleStore::new();
/// schedules.insert(Schedule::dialer("sch-solar", "acme", "tok-solar")).unwrap();
/// let mut leads = InMemoryLeadStore::new();
/// leads.insert(Lead::live("lead-ann", "acme", "sch-solar", "+17195551234"), Region::US, &reader).unwrap();
/// let clock = FakeClock::at("2026-11-26T15:00:00Z").unwrap();
/// let engine = Engine::new(leads, schedules, InMemorySuppressionList::new(), clock.clone());
/// let acme = Company::new("acme", 5).unwrap();
///
/// let admitted = engine.make_call(&acme, &MakeCallRequest::for_schedule("sch-solar", "(719) 555-1234")).unwrap();
/// assert_eq!(admitted.call().lead_id, "lead-ann");
/// admitted.commit();
///
/// let again = engine.make_call(&acme, &MakeCallRequest::for_lead("lead-ann")).unwrap_err();
/// assert_eq!(again.code(), "recently_dialed");
/// assert_eq!(timefmt::rfc3339(again.retry_at().unwrap()), "2026-11-26T15:00:30Z");
/// ```
#[derive(Debug)]
pub struct Engine<L, S, P> {
    /// Shared with the admitted calls when committed one-off leads are
    /// stored ([`Engine::with_one_off_leads_stored`]).
    leads: Arc<L>,
    schedules: S,
    suppressions: P,
    clock: Arc<dyn Clock>,
    numbers: NumberReader,
    admission: Arc<dyn Admission>,
    one_offs: Option<Arc<dyn OneOffLeads>>,
    /// What an admitted call settles with, in [`SETTLE_SLOTS`] copies of
    /// their own (see [`Settle`]).
    settle: Shards<Arc<Settle>, SETTLE_SLOTS>,
    /// Registry lists consulted at step 7 after the company's entries.
    registries: Vec<Arc<dyn crate::registry::RegistryList>>,
}

/// What an admitted call settles with: the admission state, and where a
/// committed one-off lead goes.
///
/// Every admitted call holds one of these by reference count. Had every
/// call cloned one shared `Arc`, every decision on every thread would write
/// its count: one cache line taken in turns by all cores. The engine keeps
/// [`SETTLE_SLOTS`] copies instead, each its own allocation on lines of its
/// own, and a thread clones the copy of its slot ([`Shards::of_thread`]).
// Aligned so that its allocation, reference count included, has cache
// lines of its own.
#[derive(Debug)]
#[repr(align(128))]
struct Settle {
    admission: Arc<dyn Admission>,
    one_offs: Option<Arc<dyn OneOffLeads>>,
}

/// Copies of [`Settle`]: threads beyond this many share copies.
const SETTLE_SLOTS: usize = 16;

fn settle_slots(
    admission: &Arc<dyn Admission>,
    one_offs: &Option<Arc<dyn OneOffLeads>>,
) -> Shards<Arc<Settle>, SETTLE_SLOTS> {
    Shards::from_fn(|_| {
        Arc::new(Settle {
            admission: Arc::clone(admission),
            one_offs: one_offs.clone(),
        })
    })
}

impl<L, S, P> Engine<L, S, P>
where
    L: LeadStore,
    S: ScheduleStore,
    P: SuppressionList,
{
    /// An engine over these stores and clock, with in-process admission.
    ///
    /// # Example
    /// ```
    /// use dialgate::*;
    /// let engine = Engine::new(InMemoryLeadStore::new(), InMemoryScheduleStore::new(), InMemorySuppressionList::new(), SystemClock);
    /// let acme = Company::new("acme", 5).unwrap();
    /// let err = engine.make_call(&acme, &MakeCallRequest::for_lead("lead-ann")).unwrap_err();
    /// assert_eq!(err.code(), "unknown_lead");
    /// ```
    pub fn new(leads: L, schedules: S, suppressions: P, clock: impl Clock + 'static) -> Self {
        let admission: Arc<dyn Admission> = Arc::new(LocalAdmission::new());
        Engine {
            leads: Arc::new(leads),
            schedules,
            suppressions,
            clock: Arc::new(clock),
            numbers: NumberReader::new(),
            settle: settle_slots(&admission, &None),
            admission,
            one_offs: None,
            registries: Vec::new(),
        }
    }

    /// Replaces the admission state (a fleet-wide one, say).
    ///
    /// # Example
    /// ```
    /// # use dialgate::*;
    /// # use std::sync::Arc;
    /// let shared = Arc::new(LocalAdmission::new());
    /// let engine = Engine::new(InMemoryLeadStore::new(), InMemoryScheduleStore::new(), InMemorySuppressionList::new(), SystemClock)
    ///     .with_admission(shared.clone());
    /// # let _ = engine;
    /// ```
    pub fn with_admission(mut self, admission: Arc<dyn Admission>) -> Self {
        self.settle = settle_slots(&admission, &self.one_offs);
        self.admission = admission;
        self
    }

    /// The admission state decisions claim in.
    ///
    /// # Example
    /// ```
    /// # let (engine, _company) = dialgate::doc_example();
    /// assert!(engine.admission().health().is_ok());
    /// ```
    pub fn admission(&self) -> &Arc<dyn Admission> {
        &self.admission
    }

    /// Stores each committed one-off lead (status `one_off`) in the lead
    /// store, so it can be read by its id, instead of leaving that to the
    /// host. [`Admitted::try_commit`] reports a store that could not take it.
    ///
    /// # Example
    /// ```
    /// # use dialgate::*;
    /// # let (engine, company) = dialgate::doc_example();
    /// let engine = engine.with_one_off_leads_stored();
    /// let done = engine.make_call(&company, &MakeCallRequest::for_schedule("sch-solar", "+17195557777")).unwrap().commit();
    /// let id = done.call.lead_id;
    /// assert_eq!(engine.leads().lead("acme", &id).unwrap().unwrap().status, LeadStatus::OneOff);
    /// ```
    pub fn with_one_off_leads_stored(mut self) -> Self
    where
        L: OneOffLeads + 'static,
    {
        let one_offs: Arc<dyn OneOffLeads> = Arc::clone(&self.leads) as _;
        self.one_offs = Some(one_offs);
        self.settle = settle_slots(&self.admission, &self.one_offs);
        self
    }

    /// Consults these registry lists at step 7, after the company's own
    /// entries (in this order; the first that refuses names the rejection).
    ///
    /// # Example
    /// ```
    /// # use dialgate::*;
    /// # use std::sync::Arc;
    /// let spec = RegistrySpec { name: "federal".into(), file: "dnc.reg".into(), company_ids: None, max_age_days: None };
    /// let (engine, company) = dialgate::doc_example();
    /// let engine = engine.with_registries(vec![Arc::new(registry::NotLoaded(spec))]);
    /// let err = engine.dry_run(&company, &MakeCallRequest::for_lead("lead-ann")).unwrap_err();
    /// assert_eq!(err.code(), "suppressed_contact");
    /// ```
    pub fn with_registries(
        mut self,
        registries: Vec<Arc<dyn crate::registry::RegistryList>>,
    ) -> Self {
        self.registries = registries;
        self
    }

    /// Uses this number reader (one already built, to share its compiled
    /// tables).
    ///
    /// # Example
    /// ```
    /// use dialgate::*;
    /// let reader = NumberReader::new();
    /// let engine = Engine::new(InMemoryLeadStore::new(), InMemoryScheduleStore::new(), InMemorySuppressionList::new(), SystemClock)
    ///     .with_number_reader(reader.clone());
    /// assert_eq!(engine.numbers().read("(719) 555-1234", Region::US), reader.read("(719) 555-1234", Region::US));
    /// ```
    pub fn with_number_reader(mut self, numbers: NumberReader) -> Self {
        self.numbers = numbers;
        self
    }

    /// The number reader the engine uses (for indexing stores the same way).
    ///
    /// # Example
    /// ```
    /// # let (engine, _company) = dialgate::doc_example();
    /// let n = engine.numbers().read("(719) 555-1234", dialgate::Region::US).unwrap();
    /// assert_eq!(n.to_string(), "+17195551234");
    /// ```
    pub fn numbers(&self) -> &NumberReader {
        &self.numbers
    }

    /// The lead store.
    ///
    /// # Example
    /// ```
    /// # use dialgate::*;
    /// # let (engine, _company) = dialgate::doc_example();
    /// assert_eq!(engine.leads().len(), 1);
    /// assert_eq!(engine.leads().lead("acme", "lead-ann").unwrap().unwrap().schedule_id, "sch-solar");
    /// ```
    pub fn leads(&self) -> &L {
        &self.leads
    }

    /// The schedule store (the in-memory one changes through `&self`
    /// while decisions run).
    ///
    /// # Example
    /// ```
    /// # use dialgate::*;
    /// # let (engine, company) = dialgate::doc_example();
    /// engine.schedules().insert(Schedule::dialer("sch-roof", "acme", "tok-roof")).unwrap();
    /// let plan = engine.dry_run(&company, &MakeCallRequest::for_token("tok-roof", "+17195557777")).unwrap();
    /// assert_eq!(plan.schedule_id, "sch-roof");
    /// ```
    pub fn schedules(&self) -> &S {
        &self.schedules
    }

    /// The suppression list (the in-memory one changes through `&self`
    /// while decisions run).
    ///
    /// # Example
    /// ```
    /// # use dialgate::*;
    /// # let (engine, company) = dialgate::doc_example();
    /// engine.suppressions().insert(Suppression::everywhere(SuppressionMatch::prefix("+1719555").unwrap()));
    /// let err = engine.make_call(&company, &MakeCallRequest::for_lead("lead-ann")).unwrap_err();
    /// assert_eq!(err.code(), "suppressed_contact");
    /// ```
    pub fn suppressions(&self) -> &P {
        &self.suppressions
    }

    /// Runs the pure pipeline (steps 1 to 7) alone: what would be dialled,
    /// claiming nothing.
    ///
    /// # Errors
    /// The rejection of the first failing step.
    ///
    /// # Example
    /// ```
    /// # use dialgate::*;
    /// # let (engine, company) = dialgate::doc_example();
    /// let plan = engine.dry_run(&company, &MakeCallRequest::for_schedule("sch-solar", "+17195557777")).unwrap();
    /// assert_eq!(plan.lead_origin, LeadOrigin::OneOff);
    /// assert!(engine.dry_run(&company, &MakeCallRequest::for_schedule("sch-solar", "+17195557777")).is_ok());
    /// ```
    pub fn dry_run(&self, company: &Company, request: &MakeCallRequest) -> Result<Plan, Rejection> {
        pipeline::plan(
            &*self.leads,
            &self.schedules,
            &self.suppressions,
            &self.registries,
            &self.numbers,
            company,
            request,
            self.clock.now(),
        )
    }

    /// Decides a request: the pipeline, then admission. An admitted call
    /// holds its claims until [`Admitted::commit`] or [`Admitted::release`];
    /// dropping it releases.
    ///
    /// # Errors
    /// The rejection of the first failing step; nothing is claimed.
    ///
    /// # Example
    /// ```
    /// # use dialgate::*;
    /// # let (engine, company) = dialgate::doc_example();
    /// // The promote case: `lead-ann` is a live lead of the schedule with this number.
    /// let admitted = engine.make_call(&company, &MakeCallRequest::for_schedule("sch-solar", "(719) 555-1234")).unwrap();
    /// assert_eq!(admitted.call().lead_id, "lead-ann");
    /// assert_eq!(admitted.call().guards, Guard::ALL);
    /// ```
    pub fn make_call(
        &self,
        company: &Company,
        request: &MakeCallRequest,
    ) -> Result<Admitted, Rejection> {
        let plan = self.dry_run(company, request)?;
        let caps = match &plan.calling_window {
            Some(found) => found.caps(company.calling_rules.as_deref(), plan.decided_at),
            None => Vec::new(),
        };
        let claim = self
            .admission
            .admit(&AdmissionRequest {
                company,
                schedule_id: &plan.schedule_id,
                number: plan.to,
                one_off: plan.lead_origin == LeadOrigin::OneOff,
                caps: &caps,
                now: plan.decided_at,
            })
            .map_err(|mut rejection| {
                // retry_at as a deferral: into the calling window.
                if let (Some(found), Some(clears)) = (&plan.calling_window, rejection.retry_at()) {
                    rejection.set_retry_at(found.defer(
                        company.calling_rules.as_deref(),
                        clears,
                        plan.decided_at,
                    ));
                }
                rejection
            })?;
        // Admission decided at the company's high-water mark, a moment after
        // the window was checked: a window that closed in between refuses
        // (the claim is released; the CPS token is spent, a wrong no at worst).
        if let Some(found) = &plan.calling_window {
            if claim.admitted_at > plan.decided_at {
                if let Some(closed) =
                    found.closed_at(company.calling_rules.as_deref(), plan.to, claim.admitted_at)
                {
                    let _ = self.admission.release(&claim);
                    return Err(closed);
                }
            }
        }
        // Unique across engines, processes and restarts (see `crate::id`);
        // no state shared between deciding threads is written.
        let id = crate::id::call_id(plan.decided_at);
        let mut digits = [0u8; DECIMAL_U64];
        let one_off_lead = match plan.lead_origin {
            LeadOrigin::OneOff => Some(Lead {
                id: joined(&[&id, "-lead"]),
                company_id: plan.company_id.clone(),
                schedule_id: plan.schedule_id.clone(),
                number: joined(&["+", decimal(plan.to.digits(), &mut digits)]),
                status: LeadStatus::OneOff,
                data: plan.data.clone(),
            }),
            LeadOrigin::Existing => None,
        };
        let lead_id = match (&one_off_lead, plan.lead_id) {
            (Some(lead), _) => lead.id.clone(),
            (None, Some(id)) => id,
            (None, None) => String::new(),
        };
        let mut guards = plan.guards;
        guards.extend([
            Guard::ConcurrentLead,
            Guard::RedialWindow,
            Guard::CallCap,
            Guard::Cps,
        ]);
        Ok(Admitted {
            call: Call {
                id,
                company_id: plan.company_id,
                schedule_id: plan.schedule_id,
                route: plan.route,
                lead_id,
                lead_origin: plan.lead_origin,
                to: plan.to,
                data: plan.data,
                // Admission decides at the company's high-water mark when
                // this decision's time was overtaken: the time it counts from.
                placed_at: claim.admitted_at,
                guards,
            },
            one_off_lead,
            hold: Hold {
                claim,
                settle: Arc::clone(self.settle.of_thread()),
                settled: false,
            },
        })
    }

    /// Reads a JSON request body and decides it.
    ///
    /// # Errors
    /// `invalid_request` for a body that does not read, else as
    /// [`Engine::make_call`].
    ///
    /// # Example
    /// ```
    /// # use dialgate::*;
    /// # let (engine, company) = dialgate::doc_example();
    /// let err = engine.make_call_json(&company, br#"{"schedule_id": "sch-solar", "to": 17195551234}"#).unwrap_err();
    /// assert_eq!(err.code(), "invalid_request");
    /// ```
    pub fn make_call_json(&self, company: &Company, body: &[u8]) -> Result<Admitted, Rejection> {
        self.make_call(company, &MakeCallRequest::from_json(body)?)
    }
}

impl<S, P> Engine<InMemoryLeadStore, S, P>
where
    S: ScheduleStore,
    P: SuppressionList,
{
    /// Enrols a lead (`POST /api/v1/leads`): steps 1 to 5 of the decision on
    /// the schedule path, with `number` in place of `to`, then a live lead
    /// in the dialing schedule (its number in E.164, its id the given one or
    /// a fresh unique one), or, when that schedule already has a live lead
    /// with the number, that lead (no duplicate). Decisions that start after
    /// it returns see the lead.
    ///
    /// # Errors
    /// [`EnrolError::Rejected`] with the step's rejection,
    /// [`EnrolError::Conflict`] when the company already has a lead with the
    /// given id.
    ///
    /// # Example
    /// ```
    /// # use dialgate::*;
    /// # let (engine, company) = dialgate::doc_example();
    /// let r = EnrolRequest::from_json(br#"{"lead_token": "tok-solar", "number": "719-555-0100"}"#).unwrap();
    /// let enrolled = engine.enrol(&company, &r).unwrap();
    /// assert_eq!(enrolled.lead.schedule_id, "sch-solar");
    /// let call = engine.make_call(&company, &MakeCallRequest::for_schedule("sch-solar", "+17195550100")).unwrap();
    /// assert_eq!(call.call().lead_id, enrolled.lead.id, "the promote case");
    /// ```
    pub fn enrol(&self, company: &Company, request: &EnrolRequest) -> Result<Enrolled, EnrolError> {
        let as_call = request.as_make_call()?;
        let (dialing, number) = pipeline::enrol_target(
            &*self.leads,
            &self.schedules,
            &self.numbers,
            company,
            &as_call,
        )?;
        let id = match &request.id {
            Some(id) => id.clone(),
            None => crate::id::call_id(self.clock.now()),
        };
        let lead = crate::enrol::live_lead(id, &company.id, &dialing, number, as_call.data);
        match self.leads.enrol(lead, number) {
            Ok(Enrolment::Created(lead)) => Ok(Enrolled {
                lead,
                created: true,
            }),
            Ok(Enrolment::Existing(lead)) => Ok(Enrolled {
                lead,
                created: false,
            }),
            Err(StoreError::DuplicateLead(id)) => Err(EnrolError::Conflict(id)),
            Err(e) => Err(EnrolError::Rejected(Rejection::unavailable(
                crate::call::Guard::Lead,
                "lead store",
                StoreUnavailable::new(e.to_string()),
            ))),
        }
    }
}

/// The most decimal digits of a `u64`.
const DECIMAL_U64: usize = 20;

/// `n` in decimal, written at the end of `buf` (as `n.to_string()`, without
/// the formatting machinery).
fn decimal(mut n: u64, buf: &mut [u8; DECIMAL_U64]) -> &str {
    let mut start = buf.len();
    for slot in buf.iter_mut().rev() {
        // The remainder is below 10.
        *slot = b'0' + (n % 10) as u8;
        start -= 1;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    buf.get(start..)
        .and_then(|d| std::str::from_utf8(d).ok())
        .unwrap_or_default()
}

/// The parts, one after the other, in one allocation.
fn joined(parts: &[&str]) -> String {
    let mut s = String::with_capacity(parts.iter().map(|p| p.len()).sum());
    for p in parts {
        s.push_str(p);
    }
    s
}

/// An admitted call holding its claims. Commit it once the call is placed,
/// release it if not; dropping it releases.
///
/// # Example
/// ```
/// # use dialgate::*;
/// # let (engine, company) = dialgate::doc_example();
/// let req = MakeCallRequest::for_schedule("sch-solar", "+17195557777");
/// let held = engine.make_call(&company, &req).unwrap();
/// assert_eq!(engine.make_call(&company, &req).unwrap_err().code(), "duplicate_concurrent_lead");
/// drop(held); // released: the number may be dialled again at once
/// assert!(engine.make_call(&company, &req).is_ok());
/// ```
#[derive(Debug)]
#[must_use = "an admitted call holds its claims until committed or released"]
pub struct Admitted {
    call: Call,
    one_off_lead: Option<Lead>,
    hold: Hold,
}

/// The claim of an admitted call and who to hand it back to; releases on drop
/// unless settled.
#[derive(Debug)]
struct Hold {
    claim: Claim,
    settle: Arc<Settle>,
    settled: bool,
}

impl Drop for Hold {
    fn drop(&mut self) {
        if !self.settled {
            // Nobody to tell from a drop: a failed release leaves the claims
            // to expire (a wrong no, never a wrong yes). Hosts that must
            // know call `Admitted::try_release`.
            let _ = self.settle.admission.release(&self.claim);
        }
    }
}

/// Admission could not take a commit or release ([`Admitted::try_commit`],
/// [`Admitted::try_release`]). It carries what the call settled into anyway
/// (the [`Committed`] record or the [`Call`]): the call was placed or not
/// whatever the admission state says, and its claims stay until they expire
/// (a wrong no, never a wrong yes).
///
/// # Example
/// ```
/// use dialgate::{SettleError, StoreUnavailable};
/// let e = SettleError { settled: 7, error: StoreUnavailable::new("timeout") };
/// assert_eq!(e.to_string(), "admission could not settle the call: store unavailable: timeout");
/// ```
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("admission could not settle the call: {error}")]
pub struct SettleError<T> {
    /// The committed record or the released call, as if settling had worked.
    pub settled: T,
    /// What failed.
    pub error: StoreUnavailable,
}

/// A committed call: the record, and the one-off lead for the host to store.
///
/// # Example
/// ```
/// # use dialgate::*;
/// # let (engine, company) = dialgate::doc_example();
/// let done = engine.make_call(&company, &MakeCallRequest::for_schedule("sch-solar", "+17195557777")).unwrap().commit();
/// assert_eq!(done.one_off_lead.unwrap().status, LeadStatus::OneOff);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Committed {
    /// The Call record.
    pub call: Call,
    /// For a one-off call, the lead to store with status `one_off`.
    pub one_off_lead: Option<Lead>,
}

impl Admitted {
    /// The Call record.
    ///
    /// # Example
    /// ```
    /// # use dialgate::*;
    /// # let (engine, company) = dialgate::doc_example();
    /// let admitted = engine.make_call(&company, &MakeCallRequest::for_lead("lead-ann")).unwrap();
    /// assert_eq!(admitted.call().schedule_id, "sch-solar");
    /// assert_eq!(admitted.call().to.to_string(), "+17195551234");
    /// ```
    pub fn call(&self) -> &Call {
        &self.call
    }

    /// The one-off lead this call creates, if any.
    ///
    /// # Example
    /// ```
    /// # use dialgate::*;
    /// # let (engine, company) = dialgate::doc_example();
    /// let admitted = engine.make_call(&company, &MakeCallRequest::for_schedule("sch-solar", "+17195557777")).unwrap();
    /// let lead = admitted.one_off_lead().unwrap();
    /// assert_eq!(lead.id, admitted.call().lead_id);
    /// assert_eq!(lead.number, "+17195557777");
    /// ```
    pub fn one_off_lead(&self) -> Option<&Lead> {
        self.one_off_lead.as_ref()
    }

    /// The claims held.
    ///
    /// # Example
    /// ```
    /// # use dialgate::*;
    /// # let (engine, company) = dialgate::doc_example();
    /// let admitted = engine.make_call(&company, &MakeCallRequest::for_schedule("sch-solar", "+17195557777")).unwrap();
    /// assert!(admitted.claim().one_off);
    /// assert_eq!(&*admitted.claim().company_id, "acme");
    /// ```
    pub fn claim(&self) -> &Claim {
        &self.hold.claim
    }

    /// The call was placed: the redial window runs from the admission time
    /// and the one-off lead, if any, is no longer in flight.
    ///
    /// # Example
    /// ```
    /// # use dialgate::*;
    /// # let (engine, company) = dialgate::doc_example();
    /// let done = engine.make_call(&company, &MakeCallRequest::for_lead("lead-ann")).unwrap().commit();
    /// assert_eq!(done.call.lead_id, "lead-ann");
    /// let again = engine.make_call(&company, &MakeCallRequest::for_lead("lead-ann")).unwrap_err();
    /// assert_eq!(again.code(), "recently_dialed");
    /// ```
    ///
    /// A failure of the admission state is dropped: hosts whose admission
    /// can fail (a shared store) call [`Admitted::try_commit`] instead.
    pub fn commit(self) -> Committed {
        self.try_commit().unwrap_or_else(|e| e.settled)
    }

    /// [`Admitted::commit`], telling the host when the admission state could
    /// not take it.
    ///
    /// # Errors
    /// [`SettleError`] carrying the [`Committed`] record anyway (the call was
    /// placed).
    ///
    /// # Example
    /// ```
    /// # use dialgate::*;
    /// # let (engine, company) = dialgate::doc_example();
    /// let done = engine.make_call(&company, &MakeCallRequest::for_lead("lead-ann")).unwrap().try_commit().unwrap();
    /// assert_eq!(done.call.lead_id, "lead-ann");
    /// ```
    // The error carries the same record the success does: boxing it
    // would only add an allocation on the failure path.
    #[allow(clippy::result_large_err)]
    pub fn try_commit(self) -> Result<Committed, SettleError<Committed>> {
        let Admitted {
            call,
            one_off_lead,
            mut hold,
        } = self;
        let mut result = hold.settle.admission.commit(&hold.claim);
        hold.settled = true;
        if let (Some(store), Some(lead)) = (&hold.settle.one_offs, &one_off_lead) {
            let stored = store.store_one_off(lead.clone());
            result = result.and(stored);
        }
        let settled = Committed { call, one_off_lead };
        match result {
            Ok(()) => Ok(settled),
            Err(error) => Err(SettleError { settled, error }),
        }
    }

    /// The call was not placed: its redial claim and in-flight lead are
    /// dropped (the CPS token is spent).
    ///
    /// # Example
    /// ```
    /// # use dialgate::*;
    /// # let (engine, company) = dialgate::doc_example();
    /// let call = engine.make_call(&company, &MakeCallRequest::for_lead("lead-ann")).unwrap().release();
    /// assert_eq!(call.lead_id, "lead-ann");
    /// // Not placed, so no redial window runs.
    /// assert!(engine.make_call(&company, &MakeCallRequest::for_lead("lead-ann")).is_ok());
    /// ```
    ///
    /// A failure of the admission state is dropped: hosts whose admission
    /// can fail call [`Admitted::try_release`] instead.
    pub fn release(self) -> Call {
        self.try_release().unwrap_or_else(|e| e.settled)
    }

    /// [`Admitted::release`], telling the host when the admission state
    /// could not take it.
    ///
    /// # Errors
    /// [`SettleError`] carrying the [`Call`] anyway; its claims stay until
    /// they expire.
    ///
    /// # Example
    /// ```
    /// # use dialgate::*;
    /// # let (engine, company) = dialgate::doc_example();
    /// let call = engine.make_call(&company, &MakeCallRequest::for_lead("lead-ann")).unwrap().try_release().unwrap();
    /// assert_eq!(call.lead_id, "lead-ann");
    /// ```
    // The error carries the same record the success does: boxing it
    // would only add an allocation on the failure path.
    #[allow(clippy::result_large_err)]
    pub fn try_release(self) -> Result<Call, SettleError<Call>> {
        let Admitted {
            call: settled,
            mut hold,
            ..
        } = self;
        let result = hold.settle.admission.release(&hold.claim);
        hold.settled = true;
        match result {
            Ok(()) => Ok(settled),
            Err(error) => Err(SettleError { settled, error }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_writes_as_to_string() {
        let mut buf = [0u8; DECIMAL_U64];
        for n in [0, 1, 9, 10, 99, 100, 17195551234, u64::MAX - 1, u64::MAX] {
            assert_eq!(decimal(n, &mut buf), n.to_string());
        }
        let e = crate::E164::from_digits(442071838750).unwrap();
        assert_eq!(joined(&["+", decimal(e.digits(), &mut buf)]), e.to_string());
    }
}
