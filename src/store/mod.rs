//! Where the pipeline reads leads, schedules and suppression entries.
//!
//! Hosts implement these traits over their own databases or caches. The
//! lookups are scoped to the caller's company, so another company's record
//! is indistinguishable from one that does not exist. They return
//! [`Cow`] so an in-memory store lends its records and a database-backed one
//! hands over what it loaded.
//!
//! Every lookup can fail ([`StoreUnavailable`]): a store that cannot answer
//! must say so rather than answer "no such lead" or, worse, "not
//! suppressed". The pipeline turns a failure into the `unavailable`
//! rejection at the step that needed it (fail closed).

use std::borrow::Cow;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::model::{Lead, Schedule, Suppression};
use crate::phone::{Region, E164};

mod memory;

pub(crate) use memory::table::{RobinTable, Slot};
pub(crate) use memory::NumberHash;
pub use memory::{InMemoryLeadStore, InMemoryScheduleStore, InMemorySuppressionList, StoreError};

/// A store that could not answer (a lost connection, a timeout): the
/// decision that asked fails closed with `unavailable`.
///
/// `reason` is shown to callers, so it must never hold a credential (a
/// connection string with a password, say).
///
/// # Example
/// ```
/// use dialgate::StoreUnavailable;
/// let e = StoreUnavailable::new("connection refused");
/// assert_eq!(e.to_string(), "store unavailable: connection refused");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("store unavailable: {reason}")]
pub struct StoreUnavailable {
    /// What failed, for a human; never a credential.
    pub reason: String,
}

impl StoreUnavailable {
    /// A failure for this reason.
    ///
    /// # Example
    /// ```
    /// assert_eq!(dialgate::StoreUnavailable::new("timeout").reason, "timeout");
    /// ```
    pub fn new(reason: impl Into<String>) -> Self {
        StoreUnavailable {
            reason: reason.into(),
        }
    }
}

/// What a store lookup answers: the record if there is one, or that the
/// store could not answer.
///
/// # Example
/// ```
/// use dialgate::{InMemoryScheduleStore, Lookup, Schedule, ScheduleStore};
/// let store = InMemoryScheduleStore::new();
/// let found: Lookup<'_, Schedule> = store.schedule("acme", "sch-solar");
/// assert_eq!(found, Ok(None));
/// ```
pub type Lookup<'a, T> = Result<Option<Cow<'a, T>>, StoreUnavailable>;

/// A lead and what its number reads as, when the store knows
/// ([`LeadStore::lead_and_number`]).
///
/// # Example
/// ```
/// use dialgate::{InMemoryLeadStore, LeadAndNumber, LeadStore, Region};
/// let leads = InMemoryLeadStore::new();
/// let found: Option<LeadAndNumber<'_>> = leads.lead_and_number("acme", "lead-ann", Region::US).unwrap();
/// assert!(found.is_none());
/// ```
pub type LeadAndNumber<'a> = (Cow<'a, Lead>, Option<E164>);

/// Leads, by id and by number.
///
/// # Example
/// ```
/// use dialgate::{InMemoryLeadStore, Lead, LeadStore, NumberReader, Region};
/// let mut leads = InMemoryLeadStore::new();
/// leads.insert(Lead::live("lead-ann", "acme", "sch-solar", "(719) 555-1234"), Region::US, &NumberReader::new()).unwrap();
/// assert!(leads.lead("acme", "lead-ann").unwrap().is_some());
/// assert!(leads.lead("globex", "lead-ann").unwrap().is_none());
/// ```
pub trait LeadStore: Send + Sync {
    /// The lead with this id in this company.
    ///
    /// # Errors
    /// [`StoreUnavailable`] when the store cannot answer.
    fn lead(&self, company_id: &str, lead_id: &str) -> Lookup<'_, Lead>;

    /// The lead with this id in this company, and what its number reads as
    /// in `region` when the store already knows it (`None`: the caller reads
    /// it). The pipeline's lead path asks this, to skip reading the number
    /// again.
    ///
    /// An implementation must answer `Some(n)` only when
    /// [`NumberReader::read`](crate::NumberReader::read) of the lead's
    /// `number` in `region` gives `Ok(n)`, or decisions would differ from
    /// reading it. The default answers [`LeadStore::lead`] and `None`.
    ///
    /// # Errors
    /// [`StoreUnavailable`] when the store cannot answer.
    ///
    /// # Example
    /// ```
    /// use dialgate::{E164, InMemoryLeadStore, Lead, LeadStore, NumberReader, Region};
    /// let mut leads = InMemoryLeadStore::new();
    /// leads.insert(Lead::live("lead-ann", "acme", "sch-solar", "(719) 555-1234"), Region::US, &NumberReader::new()).unwrap();
    /// let (lead, number) = leads.lead_and_number("acme", "lead-ann", Region::US).unwrap().unwrap();
    /// assert_eq!(lead.id, "lead-ann");
    /// assert_eq!(number, E164::from_digits(17195551234));
    /// let gb = "GB".parse().unwrap();
    /// assert_eq!(leads.lead_and_number("acme", "lead-ann", gb).unwrap().unwrap().1, None, "read in another region");
    /// ```
    fn lead_and_number(
        &self,
        company_id: &str,
        lead_id: &str,
        region: Region,
    ) -> Result<Option<LeadAndNumber<'_>>, StoreUnavailable> {
        let _ = region;
        Ok(self.lead(company_id, lead_id)?.map(|lead| (lead, None)))
    }

    /// A live lead of this company's schedule whose number reads as `number`.
    ///
    /// # Errors
    /// [`StoreUnavailable`] when the store cannot answer.
    fn live_lead(&self, company_id: &str, schedule_id: &str, number: E164) -> Lookup<'_, Lead>;
}

/// Schedules, by id and by Leads API key.
///
/// # Example
/// ```
/// use dialgate::{InMemoryScheduleStore, Schedule, ScheduleStore};
/// let mut schedules = InMemoryScheduleStore::new();
/// schedules.insert(Schedule::dialer("sch-solar", "acme", "tok-solar")).unwrap();
/// assert!(schedules.schedule_by_token("acme", "tok-solar").unwrap().is_some());
/// assert!(schedules.schedule_by_token("globex", "tok-solar").unwrap().is_none());
/// ```
pub trait ScheduleStore: Send + Sync {
    /// The schedule with this id in this company.
    ///
    /// # Errors
    /// [`StoreUnavailable`] when the store cannot answer.
    fn schedule(&self, company_id: &str, schedule_id: &str) -> Lookup<'_, Schedule>;

    /// The schedule with this Leads API key in this company.
    ///
    /// # Errors
    /// [`StoreUnavailable`] when the store cannot answer.
    fn schedule_by_token(&self, company_id: &str, lead_token: &str) -> Lookup<'_, Schedule>;
}

/// Do-not-call entries.
///
/// # Example
/// ```
/// use dialgate::{E164, InMemorySuppressionList, Suppression, SuppressionList, SuppressionMatch};
/// let n = E164::from_digits(17195550000).unwrap();
/// let mut list = InMemorySuppressionList::new();
/// list.insert(Suppression::everywhere(SuppressionMatch::Number(n)));
/// assert!(list.find(n, "acme", &["sch-solar"], chrono::Utc::now()).unwrap().is_some());
/// ```
pub trait SuppressionList: Send + Sync {
    /// An entry unexpired at `now` that matches `number` and applies to the
    /// company and to one of `schedule_ids`, if there is one.
    ///
    /// # Errors
    /// [`StoreUnavailable`] when the list cannot answer: the number is then
    /// never dialled.
    fn find(
        &self,
        number: E164,
        company_id: &str,
        schedule_ids: &[&str],
        now: DateTime<Utc>,
    ) -> Lookup<'_, Suppression>;
}

macro_rules! forward {
    ($($wrapper:ty),*) => {$(
        impl<T: LeadStore + ?Sized> LeadStore for $wrapper {
            fn lead(&self, company_id: &str, lead_id: &str) -> Lookup<'_, Lead> {
                (**self).lead(company_id, lead_id)
            }
            fn lead_and_number(&self, company_id: &str, lead_id: &str, region: Region) -> Result<Option<LeadAndNumber<'_>>, StoreUnavailable> {
                (**self).lead_and_number(company_id, lead_id, region)
            }
            fn live_lead(&self, company_id: &str, schedule_id: &str, number: E164) -> Lookup<'_, Lead> {
                (**self).live_lead(company_id, schedule_id, number)
            }
        }
        impl<T: ScheduleStore + ?Sized> ScheduleStore for $wrapper {
            fn schedule(&self, company_id: &str, schedule_id: &str) -> Lookup<'_, Schedule> {
                (**self).schedule(company_id, schedule_id)
            }
            fn schedule_by_token(&self, company_id: &str, lead_token: &str) -> Lookup<'_, Schedule> {
                (**self).schedule_by_token(company_id, lead_token)
            }
        }
        impl<T: SuppressionList + ?Sized> SuppressionList for $wrapper {
            fn find(&self, number: E164, company_id: &str, schedule_ids: &[&str], now: DateTime<Utc>) -> Lookup<'_, Suppression> {
                (**self).find(number, company_id, schedule_ids, now)
            }
        }
    )*};
}

forward!(Arc<T>, Box<T>, &T);
