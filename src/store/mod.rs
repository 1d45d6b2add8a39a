//! Where the pipeline reads leads, schedules and suppression entries.
//!
//! Hosts implement these traits over their own databases or caches. The
//! lookups are scoped to the caller's company, so another company's record
//! is indistinguishable from one that does not exist. They return
//! [`Cow`] so an in-memory store lends its records and a database-backed one
//! hands over what it loaded.

use std::borrow::Cow;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::model::{Lead, Schedule, Suppression};
use crate::phone::{Region, E164};

mod memory;

pub(crate) use memory::table::{RobinTable, Slot};
pub(crate) use memory::NumberHash;
pub use memory::{InMemoryLeadStore, InMemoryScheduleStore, InMemorySuppressionList, StoreError};

/// Leads, by id and by number.
///
/// # Example
/// ```
/// use dialgate::{InMemoryLeadStore, Lead, LeadStore, NumberReader, Region};
/// let mut leads = InMemoryLeadStore::new();
/// leads.insert(Lead::live("lead-ann", "acme", "sch-solar", "(719) 555-1234"), Region::US, &NumberReader::new()).unwrap();
/// assert!(leads.lead("acme", "lead-ann").is_some());
/// assert!(leads.lead("globex", "lead-ann").is_none());
/// ```
pub trait LeadStore: Send + Sync {
    /// The lead with this id in this company.
    fn lead(&self, company_id: &str, lead_id: &str) -> Option<Cow<'_, Lead>>;

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
    /// # Example
    /// ```
    /// use dialgate::{E164, InMemoryLeadStore, Lead, LeadStore, NumberReader, Region};
    /// let mut leads = InMemoryLeadStore::new();
    /// leads.insert(Lead::live("lead-ann", "acme", "sch-solar", "(719) 555-1234"), Region::US, &NumberReader::new()).unwrap();
    /// let (lead, number) = leads.lead_and_number("acme", "lead-ann", Region::US).unwrap();
    /// assert_eq!(lead.id, "lead-ann");
    /// assert_eq!(number, E164::from_digits(17195551234));
    /// let gb = "GB".parse().unwrap();
    /// assert_eq!(leads.lead_and_number("acme", "lead-ann", gb).unwrap().1, None, "read in another region");
    /// ```
    fn lead_and_number(
        &self,
        company_id: &str,
        lead_id: &str,
        region: Region,
    ) -> Option<(Cow<'_, Lead>, Option<E164>)> {
        let _ = region;
        self.lead(company_id, lead_id).map(|lead| (lead, None))
    }

    /// A live lead of this company's schedule whose number reads as `number`.
    fn live_lead(&self, company_id: &str, schedule_id: &str, number: E164)
        -> Option<Cow<'_, Lead>>;
}

/// Schedules, by id and by Leads API key.
///
/// # Example
/// ```
/// use dialgate::{InMemoryScheduleStore, Schedule, ScheduleStore};
/// let mut schedules = InMemoryScheduleStore::new();
/// schedules.insert(Schedule::dialer("sch-solar", "acme", "tok-solar")).unwrap();
/// assert!(schedules.schedule_by_token("acme", "tok-solar").is_some());
/// assert!(schedules.schedule_by_token("globex", "tok-solar").is_none());
/// ```
pub trait ScheduleStore: Send + Sync {
    /// The schedule with this id in this company.
    fn schedule(&self, company_id: &str, schedule_id: &str) -> Option<Cow<'_, Schedule>>;

    /// The schedule with this Leads API key in this company.
    fn schedule_by_token(&self, company_id: &str, lead_token: &str) -> Option<Cow<'_, Schedule>>;
}

/// Do-not-call entries.
///
/// # Example
/// ```
/// use dialgate::{E164, InMemorySuppressionList, Suppression, SuppressionList, SuppressionMatch};
/// let n = E164::from_digits(17195550000).unwrap();
/// let mut list = InMemorySuppressionList::new();
/// list.insert(Suppression::everywhere(SuppressionMatch::Number(n)));
/// assert!(list.find(n, "acme", &["sch-solar"], chrono::Utc::now()).is_some());
/// ```
pub trait SuppressionList: Send + Sync {
    /// An entry unexpired at `now` that matches `number` and applies to the
    /// company and to one of `schedule_ids`, if there is one.
    fn find(
        &self,
        number: E164,
        company_id: &str,
        schedule_ids: &[&str],
        now: DateTime<Utc>,
    ) -> Option<Cow<'_, Suppression>>;
}

macro_rules! forward {
    ($($wrapper:ty),*) => {$(
        impl<T: LeadStore + ?Sized> LeadStore for $wrapper {
            fn lead(&self, company_id: &str, lead_id: &str) -> Option<Cow<'_, Lead>> {
                (**self).lead(company_id, lead_id)
            }
            fn lead_and_number(&self, company_id: &str, lead_id: &str, region: Region) -> Option<(Cow<'_, Lead>, Option<E164>)> {
                (**self).lead_and_number(company_id, lead_id, region)
            }
            fn live_lead(&self, company_id: &str, schedule_id: &str, number: E164) -> Option<Cow<'_, Lead>> {
                (**self).live_lead(company_id, schedule_id, number)
            }
        }
        impl<T: ScheduleStore + ?Sized> ScheduleStore for $wrapper {
            fn schedule(&self, company_id: &str, schedule_id: &str) -> Option<Cow<'_, Schedule>> {
                (**self).schedule(company_id, schedule_id)
            }
            fn schedule_by_token(&self, company_id: &str, lead_token: &str) -> Option<Cow<'_, Schedule>> {
                (**self).schedule_by_token(company_id, lead_token)
            }
        }
        impl<T: SuppressionList + ?Sized> SuppressionList for $wrapper {
            fn find(&self, number: E164, company_id: &str, schedule_ids: &[&str], now: DateTime<Utc>) -> Option<Cow<'_, Suppression>> {
                (**self).find(number, company_id, schedule_ids, now)
            }
        }
    )*};
}

forward!(Arc<T>, Box<T>, &T);
