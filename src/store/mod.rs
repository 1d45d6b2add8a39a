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
pub use memory::{
    Enrolment, InMemoryLeadStore, InMemoryScheduleStore, InMemorySuppressionList, LeadChange, Put,
    StoreError,
};

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

/// A record a store found: lent by the store, shared with it, or handed
/// over. It dereferences to the record.
///
/// The in-memory schedule store hands out [`Found::Shared`] (a reference
/// count, no copy) and the in-memory lead store [`Found::Owned`] (a lead
/// unpacked from its compact form), so a record changed or removed
/// meanwhile stays whole for the decision that found it; a store over a
/// database hands over what it loaded ([`Found::Owned`]); a store that
/// outlives the decision can lend ([`Found::Borrowed`]).
///
/// # Example
/// ```
/// use dialgate::{Found, Schedule};
/// let s = Schedule::dialer("sch-solar", "acme", "tok-solar");
/// let lent = Found::Borrowed(&s);
/// let shared = Found::Shared(std::sync::Arc::new(s.clone()));
/// assert_eq!(lent.id, "sch-solar");
/// assert_eq!(lent, shared);
/// assert_eq!(shared.into_owned(), s);
/// ```
#[derive(Debug)]
pub enum Found<'a, T> {
    /// Lent by the store.
    Borrowed(&'a T),
    /// Handed over.
    Owned(T),
    /// Shared with the store.
    Shared(Arc<T>),
}

impl<T> std::ops::Deref for Found<'_, T> {
    type Target = T;
    #[inline]
    fn deref(&self) -> &T {
        match self {
            Found::Borrowed(t) => t,
            Found::Owned(t) => t,
            Found::Shared(t) => t,
        }
    }
}

impl<T: Clone> Found<'_, T> {
    /// The record, copied if it is not already the caller's.
    ///
    /// # Example
    /// ```
    /// use dialgate::Found;
    /// assert_eq!(Found::Owned(7).into_owned(), 7);
    /// assert_eq!(Found::Borrowed(&7).into_owned(), 7);
    /// ```
    pub fn into_owned(self) -> T {
        match self {
            Found::Borrowed(t) => t.clone(),
            Found::Owned(t) => t,
            Found::Shared(t) => Arc::try_unwrap(t).unwrap_or_else(|t| (*t).clone()),
        }
    }
}

impl<T: Clone> Clone for Found<'_, T> {
    fn clone(&self) -> Self {
        match self {
            Found::Borrowed(t) => Found::Borrowed(t),
            Found::Owned(t) => Found::Owned(t.clone()),
            Found::Shared(t) => Found::Shared(Arc::clone(t)),
        }
    }
}

impl<T: PartialEq> PartialEq for Found<'_, T> {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

impl<'a, T: Clone> From<Cow<'a, T>> for Found<'a, T> {
    fn from(c: Cow<'a, T>) -> Self {
        match c {
            Cow::Borrowed(t) => Found::Borrowed(t),
            Cow::Owned(t) => Found::Owned(t),
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
pub type Lookup<'a, T> = Result<Option<Found<'a, T>>, StoreUnavailable>;

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
pub type LeadAndNumber<'a> = (Found<'a, Lead>, Option<E164>);

/// What the lead path of a decision reads of a lead
/// ([`LeadStore::lead_to_dial`]): its id, its schedule, its number (or what
/// it reads as, when the store knows) and its data.
///
/// # Example
/// ```
/// use dialgate::{InMemoryLeadStore, Lead, LeadStore, NumberReader, Region};
/// let leads = InMemoryLeadStore::new();
/// leads.insert(Lead::live("lead-ann", "acme", "sch-solar", "(719) 555-1234"), Region::US, &NumberReader::new()).unwrap();
/// let lead = leads.lead_to_dial("acme", "lead-ann", Region::US).unwrap().unwrap();
/// assert_eq!((lead.id.as_str(), &*lead.schedule_id), ("lead-ann", "sch-solar"));
/// assert_eq!(lead.read.unwrap().to_string(), "+17195551234", "read once, when stored");
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct LeadToDial<'a> {
    /// The lead's id.
    pub id: String,
    /// Its schedule: borrowed from the store when the store keeps its
    /// schedule ids for as long as it lives (the in-memory store interns
    /// them), so the lookup that follows costs no copy.
    pub schedule_id: Cow<'a, str>,
    /// Its number as written; left empty when `read` is given.
    pub number: String,
    /// What its number reads as in the region asked for, when the store
    /// knows (as [`LeadStore::lead_and_number`] answers it).
    pub read: Option<E164>,
    /// Its data.
    pub data: crate::model::Data,
}

/// Where committed one-off leads go when the engine stores them
/// ([`Engine::with_one_off_leads_stored`](crate::Engine::with_one_off_leads_stored)):
/// the lead, status `one_off`, is handed over when its call is committed.
///
/// # Example
/// ```
/// use dialgate::{InMemoryLeadStore, Lead, LeadStatus, LeadStore, OneOffLeads};
/// let leads = InMemoryLeadStore::new();
/// let lead = Lead { status: LeadStatus::OneOff, ..Lead::live("c1-lead", "acme", "sch-solar", "+17195557777") };
/// leads.store_one_off(lead).unwrap();
/// assert_eq!(leads.lead("acme", "c1-lead").unwrap().unwrap().status, LeadStatus::OneOff);
/// ```
pub trait OneOffLeads: std::fmt::Debug + Send + Sync {
    /// Stores a committed one-off lead.
    ///
    /// # Errors
    /// [`StoreUnavailable`] when it could not be stored (the call was placed
    /// all the same; the host is told through
    /// [`Admitted::try_commit`](crate::Admitted::try_commit)).
    fn store_one_off(&self, lead: Lead) -> Result<(), StoreUnavailable>;
}

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

    /// What the lead path reads of the lead with this id in this company
    /// (see [`LeadToDial`]). The default asks
    /// [`LeadStore::lead_and_number`]; a store that keeps leads packed
    /// unpacks only these parts.
    ///
    /// # Errors
    /// [`StoreUnavailable`] when the store cannot answer.
    ///
    /// # Example
    /// ```
    /// use dialgate::{InMemoryLeadStore, LeadStore, Region};
    /// assert!(InMemoryLeadStore::new().lead_to_dial("acme", "nope", Region::US).unwrap().is_none());
    /// ```
    fn lead_to_dial(
        &self,
        company_id: &str,
        lead_id: &str,
        region: Region,
    ) -> Result<Option<LeadToDial<'_>>, StoreUnavailable> {
        Ok(self
            .lead_and_number(company_id, lead_id, region)?
            .map(|(lead, read)| {
                let lead = match lead {
                    Found::Owned(lead) => lead,
                    lead => Lead::clone(&lead),
                };
                LeadToDial {
                    id: lead.id,
                    schedule_id: Cow::Owned(lead.schedule_id),
                    number: if read.is_some() {
                        String::new()
                    } else {
                        lead.number
                    },
                    read,
                    data: lead.data,
                }
            }))
    }

    /// The id of [`LeadStore::live_lead`]'s lead: all the promote path
    /// needs of it. The default asks `live_lead`; a store that keeps leads
    /// packed answers the id without unpacking the rest.
    ///
    /// # Errors
    /// [`StoreUnavailable`] when the store cannot answer.
    ///
    /// # Example
    /// ```
    /// use dialgate::{E164, InMemoryLeadStore, Lead, LeadStore};
    /// let leads = InMemoryLeadStore::new();
    /// let n = E164::from_digits(17195550199).unwrap();
    /// leads.insert_read(Lead::live("lead-bob", "acme", "sch-solar", "+17195550199"), Some(n)).unwrap();
    /// assert_eq!(leads.live_lead_id("acme", "sch-solar", n).unwrap().as_deref(), Some("lead-bob"));
    /// ```
    fn live_lead_id(
        &self,
        company_id: &str,
        schedule_id: &str,
        number: E164,
    ) -> Result<Option<String>, StoreUnavailable> {
        Ok(self
            .live_lead(company_id, schedule_id, number)?
            .map(|lead| lead.id.clone()))
    }
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
            fn live_lead_id(&self, company_id: &str, schedule_id: &str, number: E164) -> Result<Option<String>, StoreUnavailable> {
                (**self).live_lead_id(company_id, schedule_id, number)
            }
            fn lead_to_dial(&self, company_id: &str, lead_id: &str, region: Region) -> Result<Option<LeadToDial<'_>>, StoreUnavailable> {
                (**self).lead_to_dial(company_id, lead_id, region)
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

impl<T: OneOffLeads + ?Sized> OneOffLeads for Arc<T> {
    fn store_one_off(&self, lead: Lead) -> Result<(), StoreUnavailable> {
        (**self).store_one_off(lead)
    }
}
