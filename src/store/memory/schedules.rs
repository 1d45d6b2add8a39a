//! The live in-memory schedule store: a snapshot swapped whole on change.
//!
//! Schedules are read by every decision (the schedule named, every router
//! hop) and change rarely (an operator edits a campaign), so they are kept
//! as an immutable snapshot behind an [`ArcSwap`]: a decision loads it
//! without a lock and without writing any memory another thread reads (the
//! load is paid from a per-thread slot), and a change copies the snapshot's
//! maps (the schedules themselves are shared `Arc`s), changes the copy and
//! swaps it in. Writers queue on one mutex; readers never wait for them. A
//! change costs O(schedules) (about a millisecond at 10,000), which is fine
//! for configuration and wrong for per-call data (leads have their own
//! sharded store).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use arc_swap::ArcSwap;

use super::hash::{hash_joined, IdKeys, NumberHash};
use super::StoreError;
use crate::model::Schedule;
use crate::store::{Found, Lookup, ScheduleStore};

/// What [`InMemoryScheduleStore::put`] did.
///
/// # Example
/// ```
/// use dialgate::{InMemoryScheduleStore, Put, Schedule};
/// let s = InMemoryScheduleStore::new();
/// assert_eq!(s.put(Schedule::dialer("a", "acme", "t")), Ok(Put::Created));
/// assert_eq!(s.put(Schedule::dialer("a", "acme", "t2")), Ok(Put::Replaced));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Put {
    /// A new schedule.
    Created,
    /// It replaced the company's schedule with that id.
    Replaced,
}

#[derive(Clone, Debug, Default)]
struct Tables {
    /// The keys of `by_id`'s hash, copied with the snapshot so that every
    /// snapshot hashes alike.
    keys: IdKeys,
    /// The hash of (company id, schedule id) -> the schedules with that
    /// hash: one, but for a 64-bit collision. One hash of the joined ids
    /// costs about half of the two a map of maps pays per lookup.
    by_id: HashMap<u64, Vec<Arc<Schedule>>, NumberHash>,
    /// Lead token -> (company id, schedule id). Foldhash, as for `by_id`:
    /// requests only look tokens up, so they cannot flood this map.
    tokens: HashMap<Box<str>, (Box<str>, Box<str>), IdKeys>,
}

impl Tables {
    fn hash(&self, company_id: &str, schedule_id: &str) -> u64 {
        hash_joined(&self.keys, &[company_id, schedule_id], None)
    }

    fn get(&self, company_id: &str, schedule_id: &str) -> Option<&Arc<Schedule>> {
        self.by_id
            .get(&self.hash(company_id, schedule_id))?
            .iter()
            .find(|s| s.id == schedule_id && s.company_id == company_id)
    }

    /// Stores `schedule`, replacing the company's schedule of that id when
    /// `replace`.
    fn put(&mut self, schedule: Schedule, replace: bool) -> Result<Put, StoreError> {
        let old = self.get(&schedule.company_id, &schedule.id).cloned();
        if old.is_some() && !replace {
            return Err(StoreError::DuplicateSchedule(schedule.id));
        }
        if let Some((company, id)) = self.tokens.get(schedule.lead_token.as_str()) {
            if **company != *schedule.company_id || **id != *schedule.id {
                return Err(StoreError::DuplicateLeadToken(schedule.lead_token));
            }
        }
        if let Some(old) = &old {
            self.tokens.remove(old.lead_token.as_str());
        }
        self.tokens.insert(
            Box::from(schedule.lead_token.as_str()),
            (
                Box::from(schedule.company_id.as_str()),
                Box::from(schedule.id.as_str()),
            ),
        );
        let hash = self.hash(&schedule.company_id, &schedule.id);
        let same = self.by_id.entry(hash).or_default();
        same.retain(|s| s.id != schedule.id || s.company_id != schedule.company_id);
        same.push(Arc::new(schedule));
        Ok(if old.is_some() {
            Put::Replaced
        } else {
            Put::Created
        })
    }

    fn remove(&mut self, company_id: &str, schedule_id: &str) -> Option<Arc<Schedule>> {
        let hash = self.hash(company_id, schedule_id);
        let same = self.by_id.get_mut(&hash)?;
        let at = same
            .iter()
            .position(|s| s.id == schedule_id && s.company_id == company_id)?;
        let old = same.swap_remove(at);
        if same.is_empty() {
            self.by_id.remove(&hash);
        }
        self.tokens.remove(old.lead_token.as_str());
        Some(old)
    }
}

/// Schedules in memory, indexed by (company, id) and by token; changed
/// through `&self` while other threads decide (see the module's notes: a
/// snapshot swapped whole, so a decision never sees half a change).
///
/// # Example
/// ```
/// use dialgate::{InMemoryScheduleStore, Schedule, ScheduleStore};
/// let s = InMemoryScheduleStore::new();
/// s.insert(Schedule::dialer("sch-solar", "acme", "tok-solar")).unwrap();
/// assert_eq!(s.schedule("acme", "sch-solar").unwrap().unwrap().lead_token, "tok-solar");
/// assert!(s.schedule("globex", "sch-solar").unwrap().is_none());
/// ```
#[derive(Debug, Default)]
pub struct InMemoryScheduleStore {
    tables: ArcSwap<Tables>,
    /// Writers take turns: each copies the snapshot the last one left.
    writers: Mutex<()>,
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

    /// Stores a new schedule.
    ///
    /// # Errors
    /// [`StoreError::DuplicateSchedule`] when its company has a schedule with
    /// that id, [`StoreError::DuplicateLeadToken`] when any schedule has its token.
    ///
    /// # Example
    /// ```
    /// use dialgate::{InMemoryScheduleStore, Schedule, StoreError};
    /// let schedules = InMemoryScheduleStore::new();
    /// schedules.insert(Schedule::dialer("sch-solar", "acme", "tok-solar")).unwrap();
    /// assert!(schedules.insert(Schedule::dialer("sch-solar", "globex", "tok-globex")).is_ok(), "ids are per company");
    /// let again = schedules.insert(Schedule::dialer("sch-solar", "acme", "tok-solar-2"));
    /// assert_eq!(again, Err(StoreError::DuplicateSchedule("sch-solar".into())));
    /// ```
    pub fn insert(&self, schedule: Schedule) -> Result<(), StoreError> {
        self.change(|t| t.put(schedule, false)).map(|_| ())
    }

    /// Creates or replaces the company's schedule with this id.
    ///
    /// # Errors
    /// [`StoreError::DuplicateLeadToken`] when another schedule (of any
    /// company) has its token.
    ///
    /// # Example
    /// ```
    /// use dialgate::{InMemoryScheduleStore, Put, Schedule, ScheduleStore, StoreError};
    /// let s = InMemoryScheduleStore::new();
    /// s.put(Schedule::dialer("a", "acme", "tok-a")).unwrap();
    /// s.put(Schedule { active: false, ..Schedule::dialer("a", "acme", "tok-a2") }).unwrap();
    /// assert!(!s.schedule("acme", "a").unwrap().unwrap().active);
    /// assert!(s.schedule_by_token("acme", "tok-a").unwrap().is_none(), "the old token is free");
    /// assert_eq!(s.put(Schedule::dialer("b", "globex", "tok-a2")), Err(StoreError::DuplicateLeadToken("tok-a2".into())));
    /// ```
    pub fn put(&self, schedule: Schedule) -> Result<Put, StoreError> {
        self.change(|t| t.put(schedule, true))
    }

    /// Removes the company's schedule with this id, returning it.
    ///
    /// # Example
    /// ```
    /// use dialgate::{InMemoryScheduleStore, Schedule, ScheduleStore};
    /// let s = InMemoryScheduleStore::new();
    /// s.insert(Schedule::dialer("a", "acme", "tok-a")).unwrap();
    /// assert!(s.remove("globex", "a").is_none());
    /// assert_eq!(s.remove("acme", "a").unwrap().id, "a");
    /// assert!(s.schedule_by_token("acme", "tok-a").unwrap().is_none());
    /// ```
    pub fn remove(&self, company_id: &str, schedule_id: &str) -> Option<Schedule> {
        self.change(|t| t.remove(company_id, schedule_id).ok_or(()))
            .ok()
            .map(|s| Arc::try_unwrap(s).unwrap_or_else(|s| Schedule::clone(&s)))
    }

    /// Stores a new schedule while nothing else can look (a world being
    /// loaded): changes the snapshot in place instead of copying it.
    pub(crate) fn insert_loading(&mut self, schedule: Schedule) -> Result<(), StoreError> {
        let current = self.tables.swap(Arc::default());
        // No decision can hold the snapshot (`&mut self`), so it is ours.
        let mut tables = Arc::try_unwrap(current).unwrap_or_else(|shared| Tables::clone(&shared));
        let result = tables.put(schedule, false).map(|_| ());
        self.tables.store(Arc::new(tables));
        result
    }

    /// Copies the snapshot, changes the copy, and swaps it in when the
    /// change succeeds.
    fn change<T, E>(&self, f: impl FnOnce(&mut Tables) -> Result<T, E>) -> Result<T, E> {
        let _turn = self.writers.lock().unwrap_or_else(PoisonError::into_inner);
        let mut tables = Tables::clone(&self.tables.load());
        let out = f(&mut tables)?;
        self.tables.store(Arc::new(tables));
        Ok(out)
    }
}

// The in-memory store never fails: it answers `Ok`.
impl ScheduleStore for InMemoryScheduleStore {
    fn schedule(&self, company_id: &str, schedule_id: &str) -> Lookup<'_, Schedule> {
        Ok(self
            .tables
            .load()
            .get(company_id, schedule_id)
            .map(|s| Found::Shared(Arc::clone(s))))
    }

    fn schedule_by_token(&self, company_id: &str, lead_token: &str) -> Lookup<'_, Schedule> {
        let tables = self.tables.load();
        let Some((owner, id)) = tables.tokens.get(lead_token) else {
            return Ok(None);
        };
        if **owner != *company_id {
            return Ok(None);
        }
        Ok(tables.get(owner, id).map(|s| Found::Shared(Arc::clone(s))))
    }
}
