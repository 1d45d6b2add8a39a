//! The in-memory stores: the embedded default and the testing kit.
//!
//! Every lookup is a few hash lookups (no scan over leads or entries), and
//! numbers are indexed as integers.

use std::borrow::Cow;
use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::{LeadStore, ScheduleStore, SuppressionList};
use crate::model::{Lead, Schedule, Suppression, SuppressionMatch};
use crate::phone::{NumberReader, Region, E164};

/// Why a record was not stored.
///
/// # Example
/// ```
/// use dialgate::{InMemoryScheduleStore, Schedule, StoreError};
/// let mut s = InMemoryScheduleStore::new();
/// s.insert(Schedule::dialer("a", "acme", "t")).unwrap();
/// assert!(matches!(s.insert(Schedule::dialer("b", "acme", "t")), Err(StoreError::DuplicateLeadToken(_))));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// The company already has a lead with this id.
    #[error("duplicate lead id `{0}`")]
    DuplicateLead(String),
    /// The company already has a schedule with this id.
    #[error("duplicate schedule id `{0}`")]
    DuplicateSchedule(String),
    /// Some schedule already has this Leads API key.
    #[error("duplicate lead token `{0}`")]
    DuplicateLeadToken(String),
}

#[derive(Debug, Default)]
struct CompanyLeads {
    by_id: HashMap<String, Lead>,
    /// schedule id -> E.164 digits -> live leads with that number, oldest first.
    live: HashMap<String, HashMap<u64, Vec<String>>>,
}

/// Leads in memory, indexed by id and by (schedule, E.164 number).
///
/// # Example
/// ```
/// use dialgate::{E164, InMemoryLeadStore, Lead, LeadStore, NumberReader, Region};
/// let mut leads = InMemoryLeadStore::new();
/// leads.insert(Lead::live("lead-bob", "acme", "sch-solar", "(719) 555-0199"), Region::US, &NumberReader::new()).unwrap();
/// let n = E164::from_digits(17195550199).unwrap();
/// assert_eq!(leads.live_lead("acme", "sch-solar", n).unwrap().id, "lead-bob");
/// ```
#[derive(Debug, Default)]
pub struct InMemoryLeadStore {
    companies: HashMap<String, CompanyLeads>,
    len: usize,
}

impl InMemoryLeadStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// How many leads are stored.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no lead is stored.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Stores a lead, reading its number in `region` for the live index (a
    /// number that does not read is stored but never matched by number).
    ///
    /// # Errors
    /// [`StoreError::DuplicateLead`] when the company has a lead with that id.
    pub fn insert(
        &mut self,
        lead: Lead,
        region: Region,
        reader: &NumberReader,
    ) -> Result<(), StoreError> {
        let company = self.companies.entry(lead.company_id.clone()).or_default();
        if company.by_id.contains_key(&lead.id) {
            return Err(StoreError::DuplicateLead(lead.id));
        }
        if lead.status.is_live() {
            if let Ok(number) = reader.read(&lead.number, region) {
                company
                    .live
                    .entry(lead.schedule_id.clone())
                    .or_default()
                    .entry(number.digits())
                    .or_default()
                    .push(lead.id.clone());
            }
        }
        company.by_id.insert(lead.id.clone(), lead);
        self.len += 1;
        Ok(())
    }

    /// Removes a lead and its index entries, returning it.
    ///
    /// # Example
    /// ```
    /// use dialgate::{InMemoryLeadStore, Lead, LeadStore, NumberReader, Region};
    /// let mut leads = InMemoryLeadStore::new();
    /// leads.insert(Lead::live("l", "acme", "s", "+17195551234"), Region::US, &NumberReader::new()).unwrap();
    /// assert!(leads.remove("acme", "l").is_some());
    /// assert!(leads.lead("acme", "l").is_none());
    /// ```
    pub fn remove(&mut self, company_id: &str, lead_id: &str) -> Option<Lead> {
        let company = self.companies.get_mut(company_id)?;
        let lead = company.by_id.remove(lead_id)?;
        self.len -= 1;
        if let Some(by_number) = company.live.get_mut(&lead.schedule_id) {
            by_number.retain(|_, ids| {
                ids.retain(|id| id != lead_id);
                !ids.is_empty()
            });
        }
        Some(lead)
    }
}

impl LeadStore for InMemoryLeadStore {
    fn lead(&self, company_id: &str, lead_id: &str) -> Option<Cow<'_, Lead>> {
        self.companies
            .get(company_id)?
            .by_id
            .get(lead_id)
            .map(Cow::Borrowed)
    }

    fn live_lead(
        &self,
        company_id: &str,
        schedule_id: &str,
        number: E164,
    ) -> Option<Cow<'_, Lead>> {
        let company = self.companies.get(company_id)?;
        let id = company
            .live
            .get(schedule_id)?
            .get(&number.digits())?
            .first()?;
        company.by_id.get(id).map(Cow::Borrowed)
    }
}

/// Schedules in memory, indexed by (company, id) and by token.
///
/// # Example
/// ```
/// use dialgate::{InMemoryScheduleStore, Schedule, ScheduleStore};
/// let mut s = InMemoryScheduleStore::new();
/// s.insert(Schedule::dialer("sch-solar", "acme", "tok-solar")).unwrap();
/// assert_eq!(s.schedule("acme", "sch-solar").unwrap().lead_token, "tok-solar");
/// assert!(s.schedule("globex", "sch-solar").is_none());
/// ```
#[derive(Debug, Default)]
pub struct InMemoryScheduleStore {
    by_company: HashMap<String, HashMap<String, Schedule>>,
    /// token -> (company id, schedule id)
    tokens: HashMap<String, (String, String)>,
}

impl InMemoryScheduleStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Stores a schedule.
    ///
    /// # Errors
    /// [`StoreError::DuplicateSchedule`] when its company has a schedule with
    /// that id, [`StoreError::DuplicateLeadToken`] when any schedule has its token.
    pub fn insert(&mut self, schedule: Schedule) -> Result<(), StoreError> {
        if self.tokens.contains_key(&schedule.lead_token) {
            return Err(StoreError::DuplicateLeadToken(schedule.lead_token));
        }
        let company = self.by_company.entry(schedule.company_id.clone()).or_default();
        if company.contains_key(&schedule.id) {
            return Err(StoreError::DuplicateSchedule(schedule.id));
        }
        self.tokens.insert(
            schedule.lead_token.clone(),
            (schedule.company_id.clone(), schedule.id.clone()),
        );
        company.insert(schedule.id.clone(), schedule);
        Ok(())
    }
}

impl ScheduleStore for InMemoryScheduleStore {
    fn schedule(&self, company_id: &str, schedule_id: &str) -> Option<Cow<'_, Schedule>> {
        self.by_company
            .get(company_id)?
            .get(schedule_id)
            .map(Cow::Borrowed)
    }

    fn schedule_by_token(&self, company_id: &str, lead_token: &str) -> Option<Cow<'_, Schedule>> {
        let (owner, id) = self.tokens.get(lead_token)?;
        if owner != company_id {
            return None;
        }
        self.schedule(owner, id)
    }
}

/// Suppression entries in memory, indexed by exact number and by
/// (prefix length, prefix).
///
/// # Example
/// ```
/// use dialgate::{E164, InMemorySuppressionList, Suppression, SuppressionList, SuppressionMatch};
/// let mut list = InMemorySuppressionList::new();
/// list.insert(Suppression { company_id: Some("acme".into()), ..Suppression::everywhere(SuppressionMatch::prefix("+1303555").unwrap()) });
/// let n = E164::from_digits(13035550188).unwrap();
/// let now = chrono::Utc::now();
/// assert!(list.find(n, "acme", &["s"], now).is_some());
/// assert!(list.find(n, "globex", &["s"], now).is_none());
/// ```
#[derive(Debug, Default)]
pub struct InMemorySuppressionList {
    numbers: HashMap<u64, Vec<Suppression>>,
    prefixes: HashMap<(u32, u64), Vec<Suppression>>,
    /// The distinct prefix lengths present, ascending.
    prefix_lens: Vec<u32>,
    len: usize,
}

impl InMemorySuppressionList {
    /// An empty list.
    pub fn new() -> Self {
        Self::default()
    }

    /// How many entries are stored.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no entry is stored.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Adds an entry.
    pub fn insert(&mut self, entry: Suppression) {
        match entry.matcher {
            SuppressionMatch::Number(n) => {
                self.numbers.entry(n.digits()).or_default().push(entry);
            }
            SuppressionMatch::Prefix { digits, len } => {
                if let Err(at) = self.prefix_lens.binary_search(&len) {
                    self.prefix_lens.insert(at, len);
                }
                self.prefixes.entry((len, digits)).or_default().push(entry);
            }
        }
        self.len += 1;
    }
}

impl SuppressionList for InMemorySuppressionList {
    fn find(
        &self,
        number: E164,
        company_id: &str,
        schedule_ids: &[&str],
        now: DateTime<Utc>,
    ) -> Option<Cow<'_, Suppression>> {
        let applies = |e: &&Suppression| e.applies(company_id, schedule_ids, now);
        if let Some(hit) = self
            .numbers
            .get(&number.digits())
            .and_then(|entries| entries.iter().find(applies))
        {
            return Some(Cow::Borrowed(hit));
        }
        let len = number.len();
        self.prefix_lens
            .iter()
            .take_while(|&&l| l <= len)
            .filter_map(|&l| {
                let prefix = number.digits() / 10u64.pow(len - l);
                self.prefixes.get(&(l, prefix))
            })
            .find_map(|entries| entries.iter().find(applies))
            .map(Cow::Borrowed)
    }
}
