#![doc = include_str!("../README.md")]
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

pub mod admission;
pub mod call;
pub mod calling;
pub mod clock;
pub mod engine;
pub mod enrol;
pub mod host;
mod id;
pub mod model;
pub mod phone;
pub mod pipeline;
pub mod registry;
pub mod rejection;
pub mod request;
pub mod store;
pub mod timefmt;
pub mod world;

pub use admission::{Admission, AdmissionRequest, CallCap, Claim, LocalAdmission};
pub use call::{Call, Guard, LeadOrigin, Plan, RouteHop};
pub use clock::{Clock, FakeClock, SystemClock};
pub use engine::{Admitted, Committed, Engine, SettleError};
pub use enrol::{EnrolError, EnrolRequest, Enrolled};
pub use model::{
    ApiKey, Company, Condition, ConditionOp, Data, Distribution, Lead, LeadStatus, Scalar,
    Schedule, ScheduleKind, Suppression, SuppressionMatch,
};
pub use phone::{NumberError, NumberReader, Region, E164};
pub use registry::{RegistryList, RegistrySpec};
pub use rejection::Rejection;
pub use request::MakeCallRequest;
pub use store::{
    Enrolment, Found, InMemoryLeadStore, InMemoryScheduleStore, InMemorySuppressionList,
    LeadAndNumber, LeadChange, LeadStore, LeadToDial, Lookup, OneOffLeads, Put, ScheduleStore,
    StoreError, StoreUnavailable, SuppressionList,
};
pub use world::{World, WorldError};

/// The engine type the in-memory stores make.
///
/// # Example
/// ```
/// use dialgate::*;
/// let engine: InMemoryEngine = Engine::new(InMemoryLeadStore::new(), InMemoryScheduleStore::new(), InMemorySuppressionList::new(), SystemClock);
/// let acme = Company::new("acme", 5).unwrap();
/// let err = engine.dry_run(&acme, &MakeCallRequest::for_schedule("sch-solar", "+17195551234")).unwrap_err();
/// assert_eq!(err.code(), "schedule_not_found");
/// ```
pub type InMemoryEngine = Engine<InMemoryLeadStore, InMemoryScheduleStore, InMemorySuppressionList>;

/// A small engine for the documentation's examples: company `acme` (5 cps),
/// dialer `sch-solar` (token `tok-solar`) with live lead `lead-ann`
/// (+17195551234), on a fake clock at 2026-11-26T15:00:00Z.
#[doc(hidden)]
pub fn doc_example() -> (InMemoryEngine, Company) {
    let reader = NumberReader::new();
    let schedules = InMemoryScheduleStore::new();
    let _ = schedules.insert(Schedule::dialer("sch-solar", "acme", "tok-solar"));
    let leads = InMemoryLeadStore::new();
    let _ = leads.insert(
        Lead::live("lead-ann", "acme", "sch-solar", "+17195551234"),
        Region::US,
        &reader,
    );
    let clock =
        FakeClock::new(chrono::DateTime::from_timestamp(1_795_705_200, 0).unwrap_or_default());
    let engine = Engine::new(leads, schedules, InMemorySuppressionList::new(), clock);
    let company = Company {
        id: "acme".into(),
        cps_limit: std::num::NonZeroU32::MIN.saturating_add(4),
        default_region: Region::US,
        redial_window_s: model::DEFAULT_REDIAL_WINDOW_S,
        calling_rules: None,
    };
    (engine, company)
}
