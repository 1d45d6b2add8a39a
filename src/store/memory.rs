//! The in-memory stores: the embedded default and the testing kit.
//!
//! Every lookup is a few hash lookups (no scan over leads or entries) and
//! allocates nothing, but for a suppression hit on a compact entry, which is
//! rebuilt to be handed over; numbers are indexed as integers. The stores
//! are built to hold millions of records:
//!
//! - [`InMemorySuppressionList`] keeps its common entry (an exact number,
//!   optional company, optional schedule, no expiry) in one 8-byte slot of an
//!   open-addressing table: the number in 50 bits and, in the other 14, an
//!   interned (company, schedule) pair. That is 10 to 15 bytes an entry at
//!   any size. Other entries (expiring ones, prefixes, a number's second entry)
//!   are kept whole beside it.
//! - [`InMemoryLeadStore`] keeps each lead once, in a slab, and indexes it
//!   per company by id (8-byte slots of hash tag and slab position: the id
//!   is not stored twice) and per schedule by number (digits to slab
//!   position).
//!
//! Ids and tokens come from requests, so the tables keyed by them hash with
//! the standard library's SipHash; number keys use a seeded multiplicative
//! hash (see `hash.rs`).

use std::borrow::Cow;
use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};

use chrono::{DateTime, Utc};

use super::{LeadStore, Lookup, ScheduleStore, StoreUnavailable, SuppressionList};
use crate::model::{Lead, Schedule, Suppression, SuppressionMatch};
use crate::phone::{NumberReader, Region, E164};

mod hash;
mod numbers;
pub(crate) mod table;

pub(crate) use hash::NumberHash;
use numbers::{NumberTable, SIDE};
use table::{RobinTable, Slot};

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
    /// The store holds as many leads as it can (2^32 - 1).
    #[error("the lead store is full")]
    Full,
}

/// Leads in memory, indexed by (company, id) and by (company, schedule,
/// E.164 number).
///
/// Each lead is stored once, in a slab whose holes (from
/// [`InMemoryLeadStore::remove`]) the next inserts fill. Each company has an
/// id index of 8-byte slots (32 bits of the id's SipHash and a slab
/// position; the id itself is read from the lead) and, per schedule, a
/// number index from E.164 digits to the slab position of the oldest live
/// lead with that number. Both are open-addressing tables whose probes read
/// consecutive slots: a lookup in a large store is one cache miss for the
/// index, one for the lead.
///
/// # Example
/// ```
/// use dialgate::{E164, InMemoryLeadStore, Lead, LeadStore, NumberReader, Region};
/// let mut leads = InMemoryLeadStore::new();
/// leads.insert(Lead::live("lead-bob", "acme", "sch-solar", "(719) 555-0199"), Region::US, &NumberReader::new()).unwrap();
/// let n = E164::from_digits(17195550199).unwrap();
/// assert_eq!(leads.live_lead("acme", "sch-solar", n).unwrap().unwrap().id, "lead-bob");
/// ```
#[derive(Debug, Default)]
pub struct InMemoryLeadStore {
    /// The leads with their numbers; `None` is a hole left by a removal.
    slots: Vec<Option<Stored>>,
    /// Holes in `slots`, to fill first.
    free: Vec<u32>,
    /// Company id -> its indexes (SipHash: ids come from requests).
    companies: HashMap<Box<str>, CompanyLeads>,
    /// Slot heading a number index entry -> the younger live leads with the
    /// same company, schedule and number, oldest first (rare: one number
    /// enrolled twice in one schedule).
    younger: HashMap<u32, Vec<u32>, NumberHash>,
    /// SipHash keys of the id indexes.
    keys: RandomState,
    len: usize,
}

/// A lead in the slab, with the number it reads as.
#[derive(Debug)]
struct Stored {
    lead: Lead,
    /// The E.164 digits the lead's number reads as; 0: unread or unreadable.
    /// A live lead with digits is indexed under them.
    digits: u64,
    /// The region the store read `digits` in itself ([`InMemoryLeadStore::insert`]);
    /// `None` when the caller gave them ([`InMemoryLeadStore::insert_read`]),
    /// which the live index trusts but the lead path does not.
    read_in: Option<Region>,
}

impl Stored {
    /// The digits the lead is live-indexed under; 0: not indexed.
    fn indexed(&self) -> u64 {
        if self.lead.status.is_live() {
            self.digits
        } else {
            0
        }
    }
}

/// One company's indexes into the slab.
#[derive(Debug, Default)]
struct CompanyLeads {
    /// Lead id -> slot.
    by_id: RobinTable<IdSlot>,
    /// Schedule id -> E.164 digits -> slot of the oldest live lead.
    live: HashMap<Box<str>, RobinTable<LiveSlot>>,
}

/// An id index slot: `tag << 32 | slab position`, the tag 32 bits of the
/// id's hash (never 0). Tags may repeat: the lead's id decides.
#[derive(Clone, Copy, Debug, Default)]
struct IdSlot(u64);

impl Slot for IdSlot {
    #[inline]
    fn key(self) -> u64 {
        self.0 >> 32
    }
}

impl IdSlot {
    fn new(tag: u64, index: u32) -> Self {
        IdSlot(tag << 32 | u64::from(index))
    }

    #[inline]
    fn index(self) -> u32 {
        // The low 32 bits.
        self.0 as u32
    }
}

/// A number index slot: E.164 digits (never 0) and the slab position of the
/// oldest live lead with them.
#[derive(Clone, Copy, Debug, Default)]
struct LiveSlot {
    number: u64,
    index: u32,
}

impl Slot for LiveSlot {
    #[inline]
    fn key(self) -> u64 {
        self.number
    }
}

/// The lead in slot `i`, with its number.
#[inline]
fn stored_at(slots: &[Option<Stored>], i: u32) -> Option<&Stored> {
    slots.get(i as usize)?.as_ref()
}

/// The lead in slot `i`.
#[inline]
fn lead_at(slots: &[Option<Stored>], i: u32) -> Option<&Lead> {
    stored_at(slots, i).map(|s| &s.lead)
}

/// The id index's tag of a lead id: the high half of its SipHash, never 0.
#[inline]
fn id_tag(keys: &RandomState, lead_id: &str) -> u64 {
    (keys.hash_one(lead_id) >> 32).max(1)
}

/// Whether slot `i` holds lead `lead_id` (of the company whose index asks).
#[inline]
fn is_lead(slots: &[Option<Stored>], i: u32, lead_id: &str) -> bool {
    lead_at(slots, i).is_some_and(|l| l.id == lead_id)
}

impl InMemoryLeadStore {
    /// An empty store.
    ///
    /// # Example
    /// ```
    /// use dialgate::{InMemoryLeadStore, LeadStore};
    /// let leads = InMemoryLeadStore::new();
    /// assert!(leads.is_empty());
    /// assert!(leads.lead("acme", "lead-ann").unwrap().is_none());
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// How many leads are stored.
    ///
    /// # Example
    /// ```
    /// use dialgate::{InMemoryLeadStore, Lead, NumberReader, Region};
    /// let (mut leads, reader) = (InMemoryLeadStore::new(), NumberReader::new());
    /// leads.insert(Lead::live("lead-ann", "acme", "sch-solar", "+17195551234"), Region::US, &reader).unwrap();
    /// leads.insert(Lead::live("lead-ann", "globex", "sch-roof", "+17195551234"), Region::US, &reader).unwrap();
    /// assert_eq!(leads.len(), 2);
    /// ```
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no lead is stored.
    ///
    /// # Example
    /// ```
    /// use dialgate::{InMemoryLeadStore, Lead, NumberReader, Region};
    /// let mut leads = InMemoryLeadStore::new();
    /// assert!(leads.is_empty());
    /// leads.insert(Lead::live("lead-ann", "acme", "sch-solar", "+17195551234"), Region::US, &NumberReader::new()).unwrap();
    /// assert!(!leads.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Makes room for `additional` more leads in the slab.
    ///
    /// # Example
    /// ```
    /// use dialgate::{InMemoryLeadStore, Lead, NumberReader, Region};
    /// let (mut leads, reader) = (InMemoryLeadStore::new(), NumberReader::new());
    /// leads.reserve(100);
    /// for i in 0..100 {
    ///     leads.insert(Lead::live(&format!("lead-{i}"), "acme", "sch-solar", &format!("+1719555{i:04}")), Region::US, &reader).unwrap();
    /// }
    /// assert_eq!(leads.len(), 100);
    /// ```
    pub fn reserve(&mut self, additional: usize) {
        self.slots.reserve(additional);
    }

    /// Gives back the memory that growth left unused (after a bulk load,
    /// say).
    ///
    /// # Example
    /// ```
    /// use dialgate::{InMemoryLeadStore, Lead, LeadStore, NumberReader, Region};
    /// let mut leads = InMemoryLeadStore::new();
    /// leads.reserve(10_000);
    /// leads.insert(Lead::live("lead-ann", "acme", "sch-solar", "+17195551234"), Region::US, &NumberReader::new()).unwrap();
    /// leads.shrink_to_fit();
    /// assert!(leads.lead("acme", "lead-ann").unwrap().is_some());
    /// ```
    pub fn shrink_to_fit(&mut self) {
        self.slots.shrink_to_fit();
        self.free.shrink_to_fit();
        self.younger.shrink_to_fit();
        self.companies.shrink_to_fit();
        for company in self.companies.values_mut() {
            company.by_id.shrink_to_fit();
            company.live.shrink_to_fit();
            for numbers in company.live.values_mut() {
                numbers.shrink_to_fit();
            }
        }
    }

    /// Stores a lead, reading its number in `region` for the live index (a
    /// number that does not read is stored but never matched by number).
    /// The number read is kept: a decision on the lead path in the same
    /// region does not read it again
    /// ([`LeadStore::lead_and_number`]).
    ///
    /// # Errors
    /// [`StoreError::DuplicateLead`] when the company has a lead with that
    /// id, [`StoreError::Full`] past 2^32 - 1 leads.
    ///
    /// # Example
    /// ```
    /// use dialgate::{InMemoryLeadStore, Lead, NumberReader, Region, StoreError};
    /// let (mut leads, reader) = (InMemoryLeadStore::new(), NumberReader::new());
    /// leads.insert(Lead::live("lead-ann", "acme", "sch-solar", "(719) 555-1234"), Region::US, &reader).unwrap();
    /// let again = leads.insert(Lead::live("lead-ann", "acme", "sch-solar", "+17195550199"), Region::US, &reader);
    /// assert_eq!(again, Err(StoreError::DuplicateLead("lead-ann".into())));
    /// ```
    pub fn insert(
        &mut self,
        lead: Lead,
        region: Region,
        reader: &NumberReader,
    ) -> Result<(), StoreError> {
        match reader.read(&lead.number, region) {
            Ok(n) => self.insert_stored(lead, n.digits(), Some(region)),
            Err(_) => self.insert_stored(lead, 0, None),
        }
    }

    /// Stores a lead whose number the caller has already read (`None`: it
    /// does not read), as a bulk load from a database of normalised numbers
    /// does. Only a live lead is indexed by number. The lead path reads the
    /// number again at each decision, as the store cannot vouch for it
    /// (use [`InMemoryLeadStore::insert`] to have it read once).
    ///
    /// # Errors
    /// As [`InMemoryLeadStore::insert`].
    ///
    /// # Example
    /// ```
    /// use dialgate::{E164, InMemoryLeadStore, Lead, LeadStore};
    /// let mut leads = InMemoryLeadStore::new();
    /// let n = E164::from_digits(17195550199).unwrap();
    /// leads.insert_read(Lead::live("lead-bob", "acme", "sch-solar", "+17195550199"), Some(n)).unwrap();
    /// assert_eq!(leads.live_lead("acme", "sch-solar", n).unwrap().unwrap().id, "lead-bob");
    /// ```
    pub fn insert_read(&mut self, lead: Lead, number: Option<E164>) -> Result<(), StoreError> {
        let digits = match number {
            Some(n) if lead.status.is_live() => n.digits(),
            _ => 0,
        };
        self.insert_stored(lead, digits, None)
    }

    /// Stores a lead whose number reads as `digits` (0: none), read by the
    /// store in `read_in` or given by the caller (`None`).
    fn insert_stored(
        &mut self,
        lead: Lead,
        digits: u64,
        read_in: Option<Region>,
    ) -> Result<(), StoreError> {
        let Self {
            slots,
            free,
            companies,
            younger,
            keys,
            len,
        } = self;
        let company = match companies.get_mut(lead.company_id.as_str()) {
            Some(company) => company,
            None => companies
                .entry(Box::from(lead.company_id.as_str()))
                .or_default(),
        };
        let tag = id_tag(keys, &lead.id);
        if company
            .by_id
            .find(tag, |s| is_lead(slots, s.index(), &lead.id))
            .is_some()
        {
            return Err(StoreError::DuplicateLead(lead.id));
        }
        let index = match free.last() {
            Some(&i) => i,
            None => match u32::try_from(slots.len()) {
                Ok(i) if i != u32::MAX => i,
                _ => return Err(StoreError::Full),
            },
        };
        if digits != 0 && lead.status.is_live() {
            let numbers = match company.live.get_mut(lead.schedule_id.as_str()) {
                Some(numbers) => numbers,
                None => company
                    .live
                    .entry(Box::from(lead.schedule_id.as_str()))
                    .or_default(),
            };
            match numbers.find(digits, |_| true) {
                Some(head) => younger.entry(head.index).or_default().push(index),
                None => numbers.insert(LiveSlot {
                    number: digits,
                    index,
                }),
            }
        }
        let stored = Stored {
            lead,
            digits,
            read_in,
        };
        if free.pop().is_some() {
            if let Some(slot) = slots.get_mut(index as usize) {
                *slot = Some(stored);
            }
        } else {
            slots.push(Some(stored));
        }
        company.by_id.insert(IdSlot::new(tag, index));
        *len += 1;
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
    /// assert!(leads.lead("acme", "l").unwrap().is_none());
    /// ```
    pub fn remove(&mut self, company_id: &str, lead_id: &str) -> Option<Lead> {
        let Self {
            slots,
            free,
            companies,
            younger,
            keys,
            len,
        } = self;
        let company = companies.get_mut(company_id)?;
        let index = company
            .by_id
            .remove(id_tag(keys, lead_id), |s| {
                is_lead(slots, s.index(), lead_id)
            })?
            .index();
        let stored = slots.get_mut(index as usize)?.take()?;
        let digits = stored.indexed();
        let lead = stored.lead;
        free.push(index);
        *len -= 1;
        if digits == 0 {
            return Some(lead);
        }
        let Some(numbers) = company.live.get_mut(lead.schedule_id.as_str()) else {
            return Some(lead);
        };
        match numbers.find(digits, |_| true).map(|s| s.index) {
            Some(head) if head == index => {
                // It headed its number: the next oldest takes over, if any.
                let mut rest = younger.remove(&index).unwrap_or_default();
                if rest.is_empty() {
                    numbers.remove(digits, |_| true);
                } else {
                    let next = rest.remove(0);
                    let slot = LiveSlot {
                        number: digits,
                        index: next,
                    };
                    numbers.replace(digits, |_| true, slot);
                    if !rest.is_empty() {
                        younger.insert(next, rest);
                    }
                }
            }
            Some(head) => {
                if let Some(rest) = younger.get_mut(&head) {
                    rest.retain(|&i| i != index);
                    if rest.is_empty() {
                        younger.remove(&head);
                    }
                }
            }
            None => {}
        }
        Some(lead)
    }
}

impl InMemoryLeadStore {
    /// The slab index of this company's lead with this id.
    fn slot_of(&self, company_id: &str, lead_id: &str) -> Option<u32> {
        let company = self.companies.get(company_id)?;
        let tag = id_tag(&self.keys, lead_id);
        company
            .by_id
            .find(tag, |s| is_lead(&self.slots, s.index(), lead_id))
            .map(|slot| slot.index())
    }
}

impl InMemoryLeadStore {
    fn get_lead(&self, company_id: &str, lead_id: &str) -> Option<Cow<'_, Lead>> {
        lead_at(&self.slots, self.slot_of(company_id, lead_id)?).map(Cow::Borrowed)
    }

    fn get_lead_and_number(
        &self,
        company_id: &str,
        lead_id: &str,
        region: Region,
    ) -> Option<(Cow<'_, Lead>, Option<E164>)> {
        let stored = stored_at(&self.slots, self.slot_of(company_id, lead_id)?)?;
        // Only digits the store read itself, in this region, are the
        // reader's verdict.
        let number = match stored.read_in {
            Some(r) if r == region => E164::from_digits(stored.digits),
            _ => None,
        };
        Some((Cow::Borrowed(&stored.lead), number))
    }

    fn get_live_lead(
        &self,
        company_id: &str,
        schedule_id: &str,
        number: E164,
    ) -> Option<Cow<'_, Lead>> {
        let slot = self
            .companies
            .get(company_id)?
            .live
            .get(schedule_id)?
            .find(number.digits(), |_| true)?;
        lead_at(&self.slots, slot.index).map(Cow::Borrowed)
    }
}

/// Schedules in memory, indexed by (company, id) and by token.
///
/// # Example
/// ```
/// use dialgate::{InMemoryScheduleStore, Schedule, ScheduleStore};
/// let mut s = InMemoryScheduleStore::new();
/// s.insert(Schedule::dialer("sch-solar", "acme", "tok-solar")).unwrap();
/// assert_eq!(s.schedule("acme", "sch-solar").unwrap().unwrap().lead_token, "tok-solar");
/// assert!(s.schedule("globex", "sch-solar").unwrap().is_none());
/// ```
#[derive(Debug, Default)]
pub struct InMemoryScheduleStore {
    by_company: HashMap<String, HashMap<String, Schedule>>,
    /// token -> (company id, schedule id)
    tokens: HashMap<String, (String, String)>,
}

impl InMemoryScheduleStore {
    /// An empty store.
    ///
    /// # Example
    /// ```
    /// use dialgate::{InMemoryScheduleStore, ScheduleStore};
    /// let schedules = InMemoryScheduleStore::new();
    /// assert!(schedules.schedule("acme", "sch-solar").unwrap().is_none());
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// Stores a schedule.
    ///
    /// # Errors
    /// [`StoreError::DuplicateSchedule`] when its company has a schedule with
    /// that id, [`StoreError::DuplicateLeadToken`] when any schedule has its token.
    ///
    /// # Example
    /// ```
    /// use dialgate::{InMemoryScheduleStore, Schedule, StoreError};
    /// let mut schedules = InMemoryScheduleStore::new();
    /// schedules.insert(Schedule::dialer("sch-solar", "acme", "tok-solar")).unwrap();
    /// assert!(schedules.insert(Schedule::dialer("sch-solar", "globex", "tok-globex")).is_ok(), "ids are per company");
    /// let again = schedules.insert(Schedule::dialer("sch-solar", "acme", "tok-solar-2"));
    /// assert_eq!(again, Err(StoreError::DuplicateSchedule("sch-solar".into())));
    /// ```
    pub fn insert(&mut self, schedule: Schedule) -> Result<(), StoreError> {
        if self.tokens.contains_key(&schedule.lead_token) {
            return Err(StoreError::DuplicateLeadToken(schedule.lead_token));
        }
        let company = self
            .by_company
            .entry(schedule.company_id.clone())
            .or_default();
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

// The in-memory stores never fail: they answer `Ok`.
impl LeadStore for InMemoryLeadStore {
    fn lead(&self, company_id: &str, lead_id: &str) -> Lookup<'_, Lead> {
        Ok(self.get_lead(company_id, lead_id))
    }

    fn lead_and_number(
        &self,
        company_id: &str,
        lead_id: &str,
        region: Region,
    ) -> Result<Option<super::LeadAndNumber<'_>>, StoreUnavailable> {
        Ok(self.get_lead_and_number(company_id, lead_id, region))
    }

    fn live_lead(&self, company_id: &str, schedule_id: &str, number: E164) -> Lookup<'_, Lead> {
        Ok(self.get_live_lead(company_id, schedule_id, number))
    }
}

impl ScheduleStore for InMemoryScheduleStore {
    fn schedule(&self, company_id: &str, schedule_id: &str) -> Lookup<'_, Schedule> {
        Ok(self.get_schedule(company_id, schedule_id))
    }

    fn schedule_by_token(&self, company_id: &str, lead_token: &str) -> Lookup<'_, Schedule> {
        Ok(self.get_schedule_by_token(company_id, lead_token))
    }
}

impl SuppressionList for InMemorySuppressionList {
    fn find(
        &self,
        number: E164,
        company_id: &str,
        schedule_ids: &[&str],
        now: DateTime<Utc>,
    ) -> Lookup<'_, Suppression> {
        Ok(self.get_find(number, company_id, schedule_ids, now))
    }
}

impl InMemoryScheduleStore {
    fn get_schedule(&self, company_id: &str, schedule_id: &str) -> Option<Cow<'_, Schedule>> {
        self.by_company
            .get(company_id)?
            .get(schedule_id)
            .map(Cow::Borrowed)
    }

    fn get_schedule_by_token(
        &self,
        company_id: &str,
        lead_token: &str,
    ) -> Option<Cow<'_, Schedule>> {
        let (owner, id) = self.tokens.get(lead_token)?;
        if owner != company_id {
            return None;
        }
        self.get_schedule(owner, id)
    }
}

/// A company or schedule id not given: the entry applies to every one.
const ANY: u32 = u32::MAX;

/// The company and schedule ids of compact entries, interned, and the
/// (company, schedule) pairs ("scopes") the compact table refers to.
#[derive(Debug, Default)]
struct Scopes {
    /// Id -> its number; SipHash, as ids are attacker-chosen.
    names: HashMap<Box<str>, u32>,
    name_list: Vec<Box<str>>,
    /// (company, schedule) name numbers ([`ANY`] for none) -> scope.
    pairs: HashMap<(u32, u32), u32, NumberHash>,
    pair_list: Vec<(u32, u32)>,
}

impl Scopes {
    /// The number of `name` if interned.
    fn find_name(&self, name: Option<&str>) -> Option<u32> {
        match name {
            None => Some(ANY),
            Some(n) => self.names.get(n).copied(),
        }
    }

    fn intern_name(&mut self, name: Option<&str>) -> Option<u32> {
        let Some(name) = name else {
            return Some(ANY);
        };
        if let Some(&i) = self.names.get(name) {
            return Some(i);
        }
        let i = u32::try_from(self.name_list.len())
            .ok()
            .filter(|&i| i != ANY)?;
        self.names.insert(Box::from(name), i);
        self.name_list.push(Box::from(name));
        Some(i)
    }

    /// The scope of (company, schedule), made if new; `None` once all
    /// scopes below the side marker [`SIDE`] exist.
    fn scope(&mut self, company: Option<&str>, schedule: Option<&str>) -> Option<u32> {
        if let (Some(c), Some(s)) = (self.find_name(company), self.find_name(schedule)) {
            if let Some(&scope) = self.pairs.get(&(c, s)) {
                return Some(scope);
            }
        }
        let scope = u32::try_from(self.pair_list.len())
            .ok()
            .filter(|&n| n < SIDE)?;
        let pair = (self.intern_name(company)?, self.intern_name(schedule)?);
        self.pairs.insert(pair, scope);
        self.pair_list.push(pair);
        Some(scope)
    }

    fn name(&self, i: u32) -> Option<&str> {
        self.name_list.get(i as usize).map(|n| &**n)
    }

    /// The (company, schedule) of a scope.
    #[inline]
    fn get(&self, scope: u32) -> Option<(Option<&str>, Option<&str>)> {
        let &(c, s) = self.pair_list.get(scope as usize)?;
        let company = if c == ANY { None } else { Some(self.name(c)?) };
        let schedule = if s == ANY { None } else { Some(self.name(s)?) };
        Some((company, schedule))
    }

    fn heap_bytes(&self) -> usize {
        let names: usize = self.name_list.iter().map(|n| 2 * n.len()).sum();
        names
            + self.names.capacity() * (std::mem::size_of::<(Box<str>, u32)>() + 1)
            + self.name_list.capacity() * std::mem::size_of::<Box<str>>()
            + self.pairs.capacity() * (std::mem::size_of::<((u32, u32), u32)>() + 1)
            + self.pair_list.capacity() * std::mem::size_of::<(u32, u32)>()
    }
}

/// Suppression entries in memory, indexed by exact number and by
/// (prefix length, prefix).
///
/// The common entry (an exact number, no expiry, the only entry for its
/// number) takes one 8-byte slot of a compact table: the number and its
/// interned (company, schedule) pair, of which there may be 16,383. Every
/// other entry (expiring, one of several for a number, a pair past that
/// count, a prefix) is kept whole in side maps, and its number's slot says
/// so: a number not in the table is looked up nowhere else. Entries for one
/// number are tried in the order they were inserted; exact numbers before
/// prefixes, shorter prefixes first.
///
/// Build a large list with [`InMemorySuppressionList::from_entries`] (or
/// [`Extend`]), which sizes the table once; [`InMemorySuppressionList::insert`]
/// grows it by half at a time.
///
/// # Example
/// ```
/// use dialgate::{E164, InMemorySuppressionList, Suppression, SuppressionList, SuppressionMatch};
/// let mut list = InMemorySuppressionList::new();
/// list.insert(Suppression { company_id: Some("acme".into()), ..Suppression::everywhere(SuppressionMatch::prefix("+1303555").unwrap()) });
/// let n = E164::from_digits(13035550188).unwrap();
/// let now = chrono::Utc::now();
/// assert!(list.find(n, "acme", &["s"], now).unwrap().is_some());
/// assert!(list.find(n, "globex", &["s"], now).unwrap().is_none());
/// ```
#[derive(Debug, Default)]
pub struct InMemorySuppressionList {
    scopes: Scopes,
    /// Number -> the scope of its one entry, or [`SIDE`]: its entries are
    /// in `numbers`.
    compact: NumberTable,
    /// Number -> its entries, in insertion order, for every number that has
    /// more than one, or one that expires or whose scope is past [`SIDE`].
    numbers: HashMap<u64, Vec<Suppression>, NumberHash>,
    /// Whether some number of `numbers` could not be marked [`SIDE`] in
    /// `compact` (never, for a valid E.164 number): then every lookup asks
    /// `numbers`.
    unmarked: bool,
    prefixes: HashMap<(u32, u64), Vec<Suppression>, NumberHash>,
    /// The distinct prefix lengths present, ascending.
    prefix_lens: Vec<u32>,
    len: usize,
}

impl InMemorySuppressionList {
    /// An empty list.
    ///
    /// # Example
    /// ```
    /// use dialgate::{E164, InMemorySuppressionList, SuppressionList};
    /// let list = InMemorySuppressionList::new();
    /// let n = E164::from_digits(17195551234).unwrap();
    /// assert!(list.find(n, "acme", &["sch-solar"], chrono::Utc::now()).unwrap().is_none());
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// A list of these entries, its table sized once for them.
    ///
    /// # Example
    /// ```
    /// use dialgate::{E164, InMemorySuppressionList, Suppression, SuppressionList, SuppressionMatch};
    /// let list = InMemorySuppressionList::from_entries((0..1000u64).map(|i| {
    ///     Suppression::everywhere(SuppressionMatch::Number(E164::from_digits(17192000000 + i).unwrap()))
    /// }));
    /// assert_eq!(list.len(), 1000);
    /// let hit = E164::from_digits(17192000999).unwrap();
    /// assert!(list.find(hit, "acme", &["s"], chrono::Utc::now()).unwrap().is_some());
    /// ```
    pub fn from_entries(entries: impl IntoIterator<Item = Suppression>) -> Self {
        let mut list = Self::new();
        list.extend(entries);
        list.shrink_to_fit();
        list
    }

    /// How many entries are stored.
    ///
    /// # Example
    /// ```
    /// use dialgate::{E164, InMemorySuppressionList, Suppression, SuppressionMatch};
    /// let n = SuppressionMatch::Number(E164::from_digits(17195551234).unwrap());
    /// let mut list = InMemorySuppressionList::new();
    /// list.insert(Suppression::everywhere(n));
    /// list.insert(Suppression { company_id: Some("acme".into()), ..Suppression::everywhere(n) });
    /// assert_eq!(list.len(), 2);
    /// ```
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no entry is stored.
    ///
    /// # Example
    /// ```
    /// use dialgate::{InMemorySuppressionList, Suppression, SuppressionMatch};
    /// let mut list = InMemorySuppressionList::new();
    /// assert!(list.is_empty());
    /// list.insert(Suppression::everywhere(SuppressionMatch::prefix("+1900").unwrap()));
    /// assert!(!list.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Makes room for `additional` more exact-number entries.
    ///
    /// # Example
    /// ```
    /// use dialgate::InMemorySuppressionList;
    /// let mut list = InMemorySuppressionList::new();
    /// let before = list.heap_bytes();
    /// list.reserve(10_000);
    /// assert!(list.heap_bytes() > before);
    /// ```
    pub fn reserve(&mut self, additional: usize) {
        self.compact.reserve(additional);
    }

    /// Gives back the memory that growth left unused.
    ///
    /// # Example
    /// ```
    /// use dialgate::{E164, InMemorySuppressionList, Suppression, SuppressionMatch};
    /// let mut list = InMemorySuppressionList::new();
    /// list.reserve(10_000);
    /// list.insert(Suppression::everywhere(SuppressionMatch::Number(E164::from_digits(17195551234).unwrap())));
    /// let reserved = list.heap_bytes();
    /// list.shrink_to_fit();
    /// assert!(list.heap_bytes() < reserved);
    /// ```
    pub fn shrink_to_fit(&mut self) {
        self.compact.shrink_to_fit();
        self.numbers.shrink_to_fit();
        self.prefixes.shrink_to_fit();
    }

    /// About how many bytes of heap the list holds: its tables and the ids
    /// of the entries kept whole, without the allocator's own overhead.
    ///
    /// # Example
    /// ```
    /// use dialgate::{E164, InMemorySuppressionList, Suppression, SuppressionMatch};
    /// let mut list = InMemorySuppressionList::new();
    /// let empty = list.heap_bytes();
    /// list.insert(Suppression::everywhere(SuppressionMatch::Number(E164::from_digits(17195551234).unwrap())));
    /// assert!(list.heap_bytes() > empty);
    /// ```
    pub fn heap_bytes(&self) -> usize {
        fn whole(v: &Vec<Suppression>) -> usize {
            v.capacity() * std::mem::size_of::<Suppression>()
                + v.iter()
                    .map(|e| {
                        e.company_id.as_ref().map_or(0, String::capacity)
                            + e.schedule_id.as_ref().map_or(0, String::capacity)
                    })
                    .sum::<usize>()
        }
        self.compact.heap_bytes()
            + self.scopes.heap_bytes()
            + self.numbers.capacity() * (std::mem::size_of::<(u64, Vec<Suppression>)>() + 1)
            + self.numbers.values().map(whole).sum::<usize>()
            + self.prefixes.capacity() * (std::mem::size_of::<((u32, u64), Vec<Suppression>)>() + 1)
            + self.prefixes.values().map(whole).sum::<usize>()
    }

    /// Adds an entry.
    ///
    /// # Example
    /// ```
    /// use dialgate::{timefmt, E164, InMemorySuppressionList, Suppression, SuppressionList, SuppressionMatch};
    /// let mut list = InMemorySuppressionList::new();
    /// let until = timefmt::parse("2026-12-01T00:00:00Z").unwrap();
    /// list.insert(Suppression { expires_at: Some(until), ..Suppression::everywhere(SuppressionMatch::prefix("+1719555").unwrap()) });
    /// let n = E164::from_digits(17195551234).unwrap();
    /// assert!(list.find(n, "acme", &["sch-solar"], until - chrono::Duration::days(5)).unwrap().is_some());
    /// assert!(list.find(n, "acme", &["sch-solar"], until).unwrap().is_none(), "expired");
    /// ```
    pub fn insert(&mut self, entry: Suppression) {
        match entry.matcher {
            SuppressionMatch::Number(n) => self.insert_number(n, entry),
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

/// `x` without its last `n` decimal digits: a division by a constant per
/// arm, which compiles to a multiply (a division by `10^n` computed at run
/// time costs a hardware divide, several times as long).
#[inline]
fn drop_digits(x: u64, n: u32) -> u64 {
    match n {
        0 => x,
        1 => x / 10,
        2 => x / 100,
        3 => x / 1_000,
        4 => x / 10_000,
        5 => x / 100_000,
        6 => x / 1_000_000,
        7 => x / 10_000_000,
        8 => x / 100_000_000,
        9 => x / 1_000_000_000,
        10 => x / 10_000_000_000,
        11 => x / 100_000_000_000,
        12 => x / 1_000_000_000_000,
        13 => x / 10_000_000_000_000,
        14 => x / 100_000_000_000_000,
        15 => x / 1_000_000_000_000_000,
        _ => 10u64.checked_pow(n).map_or(0, |p| x / p),
    }
}

impl InMemorySuppressionList {
    /// Adds an entry for number `n`: into the compact table if it is the
    /// number's only entry and never expires, else beside it with the
    /// number's other entries (its compact one moved there first, so they
    /// stay in insertion order).
    fn insert_number(&mut self, n: E164, entry: Suppression) {
        let digits = n.digits();
        match self.compact.get(digits) {
            None => {
                let scope = entry
                    .expires_at
                    .is_none()
                    .then(|| {
                        self.scopes
                            .scope(entry.company_id.as_deref(), entry.schedule_id.as_deref())
                    })
                    .flatten();
                if let Some(scope) = scope {
                    if self.compact.insert_new(digits, scope) {
                        return;
                    }
                }
                if !self.compact.insert_new(digits, SIDE) {
                    self.unmarked = true;
                }
                self.numbers.entry(digits).or_default().push(entry);
            }
            Some(SIDE) => self.numbers.entry(digits).or_default().push(entry),
            Some(scope) => {
                let first = self
                    .scopes
                    .get(scope)
                    .map(|(company, schedule)| Suppression {
                        matcher: SuppressionMatch::Number(n),
                        company_id: company.map(str::to_owned),
                        schedule_id: schedule.map(str::to_owned),
                        expires_at: None,
                    });
                if !self.compact.set_scope(digits, SIDE) {
                    self.unmarked = true;
                }
                let entries = self.numbers.entry(digits).or_default();
                entries.extend(first);
                entries.push(entry);
            }
        }
    }
}

impl Extend<Suppression> for InMemorySuppressionList {
    fn extend<I: IntoIterator<Item = Suppression>>(&mut self, entries: I) {
        let entries = entries.into_iter();
        self.reserve(entries.size_hint().0);
        for entry in entries {
            self.insert(entry);
        }
    }
}

impl FromIterator<Suppression> for InMemorySuppressionList {
    fn from_iter<I: IntoIterator<Item = Suppression>>(entries: I) -> Self {
        Self::from_entries(entries)
    }
}

impl InMemorySuppressionList {
    fn get_find(
        &self,
        number: E164,
        company_id: &str,
        schedule_ids: &[&str],
        now: DateTime<Utc>,
    ) -> Option<Cow<'_, Suppression>> {
        let digits = number.digits();
        let applies = |e: &&Suppression| e.applies(company_id, schedule_ids, now);
        let scope = self.compact.get(digits);
        if scope == Some(SIDE) || self.unmarked {
            if let Some(hit) = self
                .numbers
                .get(&digits)
                .and_then(|entries| entries.iter().find(applies))
            {
                return Some(Cow::Borrowed(hit));
            }
        } else if let Some((company, schedule)) = scope.and_then(|s| self.scopes.get(s)) {
            if company.is_none_or(|c| c == company_id)
                && schedule.is_none_or(|s| schedule_ids.contains(&s))
            {
                // The hit names its entry, so it is rebuilt (the miss, the
                // common case, allocates nothing).
                return Some(Cow::Owned(Suppression {
                    matcher: SuppressionMatch::Number(number),
                    company_id: company.map(str::to_owned),
                    schedule_id: schedule.map(str::to_owned),
                    expires_at: None,
                }));
            }
        }
        let len = number.len();
        self.prefix_lens
            .iter()
            .take_while(|&&l| l <= len)
            .filter_map(|&l| {
                let prefix = drop_digits(digits, len - l);
                self.prefixes.get(&(l, prefix))
            })
            .find_map(|entries| entries.iter().find(applies))
            .map(Cow::Borrowed)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::timefmt;

    fn n(digits: u64) -> E164 {
        E164::from_digits(digits).unwrap()
    }

    fn entry(
        matcher: SuppressionMatch,
        company: Option<&str>,
        schedule: Option<&str>,
        expires_at: Option<DateTime<Utc>>,
    ) -> Suppression {
        Suppression {
            matcher,
            company_id: company.map(str::to_owned),
            schedule_id: schedule.map(str::to_owned),
            expires_at,
        }
    }

    fn at(t: &str) -> DateTime<Utc> {
        timefmt::parse(t).unwrap()
    }

    #[test]
    fn dropping_digits_divides_by_powers_of_ten() {
        for n in 0..=16u32 {
            for x in [0u64, 7, 13_035_550_188, 999_999_999_999_999, u64::MAX] {
                assert_eq!(
                    drop_digits(x, n),
                    x.checked_div(10u64.pow(n)).unwrap_or(0),
                    "{x} {n}"
                );
            }
        }
        assert_eq!(drop_digits(u64::MAX, 20), 0);
    }

    #[test]
    fn mixed_entries_on_one_number() {
        let num = n(17_195_550_111);
        let noon = at("2026-11-26T12:00:00Z");
        let mut list = InMemorySuppressionList::new();
        // First entry: compact (acme, solar); the rest go beside it.
        list.insert(entry(
            SuppressionMatch::Number(num),
            Some("acme"),
            Some("solar"),
            None,
        ));
        list.insert(entry(
            SuppressionMatch::Number(num),
            Some("globex"),
            None,
            Some(noon),
        ));
        list.insert(entry(
            SuppressionMatch::Number(num),
            None,
            Some("auto"),
            None,
        ));
        list.insert(entry(
            SuppressionMatch::Number(num),
            Some("acme"),
            None,
            Some(noon),
        ));
        assert_eq!(list.len(), 4);
        assert_eq!(list.compact.get(num.digits()), Some(SIDE));
        assert_eq!(list.numbers.get(&num.digits()).map(Vec::len), Some(4));

        let before = at("2026-11-26T11:59:59Z");
        let find = |c: &str, s: &[&str], t| list.get_find(num, c, s, t).map(Cow::into_owned);
        let hit = find("acme", &["solar"], noon).unwrap();
        assert_eq!(
            hit,
            entry(
                SuppressionMatch::Number(num),
                Some("acme"),
                Some("solar"),
                None
            )
        );
        // acme elsewhere: only the expiring company-wide entry.
        assert_eq!(
            find("acme", &["wind"], before).unwrap().expires_at,
            Some(noon)
        );
        assert_eq!(
            find("acme", &["wind"], noon),
            None,
            "expired at its instant"
        );
        // globex: its expiring entry, then the every-company `auto` one.
        assert_eq!(
            find("globex", &["x"], before)
                .unwrap()
                .company_id
                .as_deref(),
            Some("globex")
        );
        assert_eq!(find("globex", &["x"], noon), None);
        let auto = find("initech", &["router", "auto"], noon).unwrap();
        assert_eq!(
            (auto.company_id, auto.schedule_id.as_deref()),
            (None, Some("auto"))
        );
        assert_eq!(find("initech", &["solar"], noon), None);
        assert_eq!(
            list.get_find(n(17_195_550_112), "acme", &["solar"], noon),
            None
        );
    }

    #[test]
    fn an_expiring_first_entry_keeps_insertion_order() {
        let num = n(13_035_550_147);
        let noon = at("2026-11-26T12:00:00Z");
        let mut list = InMemorySuppressionList::new();
        list.insert(entry(
            SuppressionMatch::Number(num),
            Some("acme"),
            None,
            Some(noon),
        ));
        list.insert(entry(
            SuppressionMatch::Number(num),
            Some("acme"),
            None,
            None,
        ));
        assert_eq!(list.compact.get(num.digits()), Some(SIDE));
        assert_eq!(list.numbers.get(&num.digits()).map(Vec::len), Some(2));
        let before = at("2026-11-26T11:00:00Z");
        assert_eq!(
            list.get_find(num, "acme", &["s"], before)
                .unwrap()
                .expires_at,
            Some(noon)
        );
        assert_eq!(
            list.get_find(num, "acme", &["s"], noon).unwrap().expires_at,
            None
        );
    }

    #[test]
    fn prefixes_and_numbers_together() {
        let noon = at("2026-11-26T12:00:00Z");
        let mut list = InMemorySuppressionList::new();
        let p = |t: &str| SuppressionMatch::prefix(t).unwrap();
        list.insert(entry(p("+1303"), Some("acme"), None, None));
        list.insert(entry(p("+1303555"), None, Some("auto"), Some(noon)));
        list.insert(entry(p("+4420"), None, None, None));
        list.insert(entry(
            SuppressionMatch::Number(n(13_035_550_188)),
            Some("globex"),
            None,
            None,
        ));
        let before = at("2026-11-26T11:00:00Z");
        let num = n(13_035_550_188);
        let hit =
            |c: &str, s: &[&str], t| list.get_find(num, c, s, t).map(|e| e.matcher.to_string());
        assert_eq!(
            hit("globex", &["x"], noon).as_deref(),
            Some("number +13035550188")
        );
        assert_eq!(hit("acme", &["x"], noon).as_deref(), Some("prefix +1303"));
        assert_eq!(
            hit("initech", &["auto"], before).as_deref(),
            Some("prefix +1303555")
        );
        assert_eq!(hit("initech", &["auto"], noon), None);
        assert!(list
            .get_find(n(442_071_838_750), "any", &["s"], noon)
            .is_some());
        assert!(list
            .get_find(n(17_195_550_188), "acme", &["s"], noon)
            .is_none());
        // A prefix as long as the number itself matches it.
        list.insert(entry(p("+17195550188"), None, None, None));
        assert!(list
            .get_find(n(17_195_550_188), "acme", &["s"], noon)
            .is_some());
    }

    #[test]
    fn scopes_past_the_table_limit_are_kept_whole() {
        let noon = at("2026-11-26T12:00:00Z");
        let count = SIDE as u64 + 100;
        let list = InMemorySuppressionList::from_entries((0..count).map(|i| {
            let company = format!("co-{i}");
            entry(
                SuppressionMatch::Number(n(17_192_000_000 + i)),
                Some(&company),
                None,
                None,
            )
        }));
        assert_eq!(list.len(), count as usize);
        assert_eq!(list.compact.len(), count as usize, "every number marked");
        assert_eq!(list.numbers.len(), 100);
        assert!(!list.unmarked);
        for i in [0, u64::from(SIDE) - 1, u64::from(SIDE), count - 1] {
            let company = format!("co-{i}");
            let hit = list.get_find(n(17_192_000_000 + i), &company, &["s"], noon);
            assert_eq!(hit.unwrap().company_id.as_deref(), Some(company.as_str()));
            assert!(list
                .get_find(n(17_192_000_000 + i), "co-x", &["s"], noon)
                .is_none());
        }
        // A pair already known still goes in the table.
        let mut list = list;
        list.insert(entry(
            SuppressionMatch::Number(n(17_193_000_000)),
            Some("co-7"),
            None,
            None,
        ));
        assert_eq!(list.compact.len(), count as usize + 1);
        assert_eq!(list.numbers.len(), 100);
    }

    #[test]
    fn compact_entries_cost_at_most_sixteen_bytes() {
        let entries = |count: u64| {
            (0..count).map(|i| {
                let company = ["acme", "globex", "initech"][(i % 3) as usize];
                let schedule = (i % 7 == 0).then_some("solar");
                entry(
                    SuppressionMatch::Number(n(17_192_000_000 + i * 13)),
                    Some(company),
                    schedule,
                    None,
                )
            })
        };
        let bulk = InMemorySuppressionList::from_entries(entries(200_000));
        let mut one_by_one = InMemorySuppressionList::new();
        for e in entries(200_000) {
            one_by_one.insert(e);
        }
        for list in [&bulk, &one_by_one] {
            let per_entry = list.heap_bytes() as f64 / list.len() as f64;
            assert!(per_entry <= 16.0, "{per_entry} bytes an entry");
        }
        assert!((bulk.heap_bytes() as f64 / 200_000.0) < 11.0);
    }

    /// A suppression entry as a tuple, for the property test.
    fn arb_entry() -> impl Strategy<Value = Suppression> {
        let number = (0u64..40).prop_map(|i| SuppressionMatch::Number(n(17_195_550_100 + i)));
        let prefix = (6u32..=11).prop_flat_map(|len| {
            (0u64..40).prop_map(move |i| {
                let digits = (17_195_550_100 + i) / 10u64.pow(11 - len);
                SuppressionMatch::Prefix { digits, len }
            })
        });
        (
            prop_oneof![3 => number, 1 => prefix],
            proptest::option::of(prop_oneof![Just("acme"), Just("globex")]),
            proptest::option::of(prop_oneof![Just("solar"), Just("wind"), Just("auto")]),
            proptest::option::of(0i64..4),
        )
            .prop_map(|(matcher, c, s, e)| {
                let expires = e.map(|h| at("2026-11-26T12:00:00Z") + chrono::Duration::hours(h));
                entry(matcher, c, s, expires)
            })
    }

    proptest! {
        /// The list finds an entry exactly when some entry matches and
        /// applies, and what it finds is one of those, the first inserted of
        /// the number's own when the number has one.
        #[test]
        fn agrees_with_a_scan(
            entries in proptest::collection::vec(arb_entry(), 0..40),
            probes in proptest::collection::vec(
                (0u64..42, prop_oneof![Just("acme"), Just("globex"), Just("initech")], 0usize..4, 0i64..5),
                1..30,
            ),
            bulk in any::<bool>(),
        ) {
            let list = if bulk {
                InMemorySuppressionList::from_entries(entries.clone())
            } else {
                let mut l = InMemorySuppressionList::new();
                for e in entries.clone() {
                    l.insert(e);
                }
                l
            };
            prop_assert_eq!(list.len(), entries.len());
            let schedule_sets: [&[&str]; 4] = [&["solar"], &["wind"], &["router", "auto"], &[]];
            for (i, company, s, h) in probes {
                let num = n(17_195_550_100 + i);
                let now = at("2026-11-26T12:00:00Z") + chrono::Duration::hours(h);
                let schedules = schedule_sets[s];
                let applying: Vec<&Suppression> = entries
                    .iter()
                    .filter(|e| e.matcher.matches(num) && e.applies(company, schedules, now))
                    .collect();
                let found = list.get_find(num, company, schedules, now).map(Cow::into_owned);
                match &found {
                    None => prop_assert!(applying.is_empty(), "missed {:?}", applying),
                    Some(f) => prop_assert!(applying.contains(&f), "{:?} does not apply", f),
                }
                let own = applying.iter().find(|e| e.matcher == SuppressionMatch::Number(num));
                if let Some(&own) = own {
                    prop_assert_eq!(found.as_ref(), Some(own));
                }
            }
        }
    }

    fn reader() -> NumberReader {
        NumberReader::new()
    }

    #[test]
    fn leads_by_id_are_scoped_to_their_company() {
        let mut leads = InMemoryLeadStore::new();
        let r = reader();
        leads
            .insert(
                Lead::live("l1", "acme", "solar", "+17195551234"),
                Region::US,
                &r,
            )
            .unwrap();
        leads
            .insert(
                Lead::live("l1", "globex", "solar", "+17195551234"),
                Region::US,
                &r,
            )
            .unwrap();
        assert_eq!(
            leads.insert(
                Lead::live("l1", "acme", "wind", "+17195551235"),
                Region::US,
                &r
            ),
            Err(StoreError::DuplicateLead("l1".into()))
        );
        assert_eq!(leads.len(), 2);
        assert_eq!(leads.get_lead("acme", "l1").unwrap().company_id, "acme");
        assert_eq!(leads.get_lead("globex", "l1").unwrap().company_id, "globex");
        assert!(leads.get_lead("initech", "l1").is_none());
        let num = n(17_195_551_234);
        assert_eq!(
            leads
                .get_live_lead("globex", "solar", num)
                .unwrap()
                .company_id,
            "globex"
        );
        assert!(leads.get_live_lead("acme", "wind", num).is_none());
    }

    #[test]
    fn live_leads_of_one_number_are_found_oldest_first_through_removals() {
        let mut leads = InMemoryLeadStore::new();
        let num = n(17_195_551_234);
        for id in ["a", "b", "c", "d"] {
            leads
                .insert_read(Lead::live(id, "acme", "solar", "+17195551234"), Some(num))
                .unwrap();
        }
        let live =
            |l: &InMemoryLeadStore| l.get_live_lead("acme", "solar", num).map(|l| l.id.clone());
        assert_eq!(live(&leads).as_deref(), Some("a"));
        assert_eq!(leads.remove("acme", "c").unwrap().id, "c");
        assert_eq!(live(&leads).as_deref(), Some("a"));
        assert!(leads.remove("acme", "a").is_some());
        assert_eq!(live(&leads).as_deref(), Some("b"));
        // "e" fills a hole in the slab but is still the youngest.
        leads
            .insert_read(Lead::live("e", "acme", "solar", "+17195551234"), Some(num))
            .unwrap();
        assert!(leads.remove("acme", "b").is_some());
        assert_eq!(live(&leads).as_deref(), Some("d"));
        assert!(leads.remove("acme", "d").is_some());
        assert_eq!(live(&leads).as_deref(), Some("e"));
        assert!(leads.remove("acme", "e").is_some());
        assert_eq!(live(&leads), None);
        assert!(leads.is_empty());
        assert!(leads.younger.is_empty());
        assert!(leads.remove("acme", "e").is_none());
    }

    #[test]
    fn only_live_readable_leads_are_indexed_by_number() {
        let mut leads = InMemoryLeadStore::new();
        let r = reader();
        let mut done = Lead::live("done", "acme", "solar", "+17195551234");
        done.status = crate::model::LeadStatus::from("completed");
        leads.insert(done, Region::US, &r).unwrap();
        leads
            .insert(Lead::live("bad", "acme", "solar", "12345"), Region::US, &r)
            .unwrap();
        assert_eq!(leads.len(), 2);
        assert!(leads
            .get_live_lead("acme", "solar", n(17_195_551_234))
            .is_none());
        assert!(leads.get_lead("acme", "done").is_some());
        assert!(leads.get_lead("acme", "bad").is_some());
        assert!(leads
            .companies
            .values()
            .all(|c| c.live.values().all(RobinTable::is_empty)));
        assert!(leads.remove("acme", "done").is_some());
        assert!(leads.remove("acme", "bad").is_some());
    }

    proptest! {
        /// Inserts and removals against a model: a list of leads in
        /// insertion order, scanned.
        #[test]
        fn leads_agree_with_a_scan(
            ops in proptest::collection::vec((any::<bool>(), 0u8..12, 0u8..2, 0u8..2, 0u64..3, any::<bool>()), 0..80),
        ) {
            let mut store = InMemoryLeadStore::new();
            let mut model: Vec<(Lead, u64)> = Vec::new();
            for (add, id, company, schedule, number, live) in ops {
                let (id, company) = (format!("l{id}"), ["acme", "globex"][company as usize]);
                if add {
                    let schedule = ["solar", "wind"][schedule as usize];
                    let digits = 17_195_551_200 + number;
                    let mut lead = Lead::live(&id, company, schedule, &format!("+{digits}"));
                    if !live {
                        lead.status = crate::model::LeadStatus::from("paused");
                    }
                    let dup = model.iter().any(|(l, _)| l.id == id && l.company_id == company);
                    let got = store.insert_read(lead.clone(), Some(n(digits)));
                    prop_assert_eq!(got.is_err(), dup);
                    if !dup {
                        model.push((lead, digits));
                    }
                } else {
                    let at = model.iter().position(|(l, _)| l.id == id && l.company_id == company);
                    let removed = store.remove(company, &id);
                    prop_assert_eq!(removed, at.map(|i| model.remove(i).0));
                }
                prop_assert_eq!(store.len(), model.len());
                for company in ["acme", "globex"] {
                    for schedule in ["solar", "wind"] {
                        for number in 0..3 {
                            let digits = 17_195_551_200 + number;
                            let expected = model.iter().find(|(l, d)| {
                                l.company_id == company && l.schedule_id == schedule && *d == digits && l.status.is_live()
                            });
                            let got = store.get_live_lead(company, schedule, n(digits));
                            prop_assert_eq!(got.as_deref(), expected.map(|(l, _)| l));
                        }
                    }
                }
                for (lead, _) in &model {
                    let got = store.get_lead(&lead.company_id, &lead.id);
                    prop_assert_eq!(got.as_deref(), Some(lead));
                }
            }
        }
    }

    #[test]
    fn only_numbers_the_store_read_in_the_region_are_handed_back() {
        let r = reader();
        let gb: Region = "GB".parse().unwrap();
        let n = E164::from_digits(17195551234).unwrap();
        let mut leads = InMemoryLeadStore::new();
        let mut done = Lead::live("done", "acme", "s", "(719) 555-1234");
        done.status = crate::model::LeadStatus::from("completed");
        leads.insert(done, Region::US, &r).unwrap();
        leads
            .insert(Lead::live("bad", "acme", "s", "12345"), Region::US, &r)
            .unwrap();
        leads
            .insert_read(Lead::live("given", "acme", "s", "+17195551234"), Some(n))
            .unwrap();
        let number = |id: &str, region: Region| {
            let (lead, number) = leads.get_lead_and_number("acme", id, region).unwrap();
            assert_eq!(lead.id, id);
            number
        };
        assert_eq!(number("done", Region::US), Some(n), "read, though not live");
        assert_eq!(number("done", gb), None, "read in another region");
        assert_eq!(number("bad", Region::US), None, "does not read");
        assert_eq!(number("given", Region::US), None, "the caller's reading");
        assert!(leads
            .get_lead_and_number("globex", "done", Region::US)
            .is_none());
        // Not live: read, but never matched by number.
        assert_eq!(leads.get_live_lead("acme", "s", n).unwrap().id, "given");
        assert_eq!(leads.remove("acme", "done").unwrap().id, "done");
        assert_eq!(leads.get_live_lead("acme", "s", n).unwrap().id, "given");
    }

    #[test]
    fn reserve_and_shrink_keep_every_lead() {
        let mut leads = InMemoryLeadStore::new();
        leads.reserve(1000);
        for i in 0..1000u64 {
            let digits = 17_192_000_000 + i;
            leads
                .insert_read(
                    Lead::live(&format!("l{i}"), "acme", "solar", &format!("+{digits}")),
                    Some(n(digits)),
                )
                .unwrap();
        }
        for i in (0..1000u64).step_by(2) {
            assert!(leads.remove("acme", &format!("l{i}")).is_some());
        }
        leads.shrink_to_fit();
        for i in 0..1000u64 {
            let found = leads
                .get_live_lead("acme", "solar", n(17_192_000_000 + i))
                .map(|l| l.id.clone());
            assert_eq!(found, (i % 2 == 1).then(|| format!("l{i}")));
        }
    }
}
