//! The live in-memory lead store: leads change through `&self` while other
//! threads decide.
//!
//! Two indexes, each in 64 shards behind their own read-write lock (a
//! [`ShardedLock`]: a reader locks the slot of its thread, so two threads
//! reading one shard write different cache lines; with a plain `RwLock`
//! the reader count moved between the deciding cores on about half the
//! lookups, either thread being as likely to have read a shard last):
//!
//! - **by id**, sharded by a keyed hash of (company, lead id): the lead path
//!   takes one read lock;
//! - **live by number**, sharded by a keyed hash of (company, schedule, E.164
//!   digits): the promote path takes one read lock.
//!
//! Decisions for different leads and numbers therefore take different locks
//! (and different cache lines) nearly always, and a writer holds at most one
//! shard of each index, for one insert or removal: it never stalls a reader
//! of another shard. Each lead is kept packed in one immutable allocation
//! (`pack.rs`: about 80 bytes for a lead with two data keys, against 1.3 KB
//! as a `Lead`), shared by both indexes; a change packs a new one and swaps
//! it in under both shards' write locks (id shard first, always, so two
//! writers cannot deadlock), so a decision sees the lead before or after a
//! change, never half of it, and both indexes agree at every instant a
//! reader can look. Companies and schedules are interned once (a snapshot
//! read without a lock), not kept per lead.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};

use crossbeam_utils::sync::{ShardedLock, ShardedLockReadGuard, ShardedLockWriteGuard};

use super::hash::{hash_joined, IdKeys};
use super::pack::{Opened, Packed};
use super::scopes::ScopeList;
use super::StoreError;
use crate::admission::{Padded, Shards};
use crate::model::{Data, Lead, LeadStatus};
use crate::phone::{NumberReader, Region, E164};
use crate::store::{
    Found, LeadAndNumber, LeadStore, LeadToDial, Lookup, OneOffLeads, StoreUnavailable,
};

/// Shards of each index.
const SHARDS: usize = 64;

/// A hasher for keys that are already keyed hashes: it hands them on,
/// rotated by half a word. A shard is picked by a hash's top bits
/// ([`Shards::of`]) and hashbrown takes its 7-bit tags from the top bits
/// too, so unrotated, every key of a shard would share 6 of its 7 tag bits
/// and half the entries in a probed group would match a lookup's tag.
#[derive(Default)]
struct Prehashed(u64);

impl Hasher for Prehashed {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        // Only `write_u64` is used; fold anything else in, to stay correct.
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n.rotate_left(32);
    }
}

type PrehashedMap<V> = HashMap<u64, V, BuildHasherDefault<Prehashed>>;

/// A lead as the id index keeps it. The packed header says in which
/// region the store read the digits itself (none when the caller gave
/// them, which the live index trusts but the lead path does not).
#[derive(Clone, Debug)]
struct Stored {
    packed: Packed,
}

/// The same pairs by name, to their scope number.
type ScopeIds = HashMap<(Box<str>, Box<str>), u32>;

/// One shard of the id index: hash of (company, id) -> the lead. Two keys
/// with one 64-bit hash (never seen in practice, but possible) put the
/// second in `collided`.
#[derive(Debug, Default)]
struct IdShard {
    leads: PrehashedMap<Stored>,
    collided: Vec<(u64, Stored)>,
}

/// Whether `packed` is `company_id`'s lead `lead_id`.
fn is_lead(scopes: &ScopeList, packed: &Packed, company_id: &str, lead_id: &str) -> bool {
    opened_as(scopes, packed, company_id, lead_id).is_some()
}

/// `packed` read up to its id, if it is `company_id`'s lead `lead_id`.
fn opened_as<'p>(
    scopes: &ScopeList,
    packed: &'p Packed,
    company_id: &str,
    lead_id: &str,
) -> Option<Opened<'p>> {
    let opened = packed.open();
    let is = opened.id() == lead_id
        && scopes
            .get(opened.scope())
            .is_some_and(|(c, _)| **c == *company_id);
    is.then_some(opened)
}

/// Whether `packed` is a live lead of (company, schedule, digits).
fn is_live_for(
    scopes: &ScopeList,
    packed: &Packed,
    company_id: &str,
    schedule_id: &str,
    digits: u64,
) -> bool {
    let (scope, d) = packed.scope_and_digits();
    d == digits
        && scopes
            .get(scope)
            .is_some_and(|(c, s)| **c == *company_id && **s == *schedule_id)
}

impl IdShard {
    fn get(
        &self,
        scopes: &ScopeList,
        hash: u64,
        company_id: &str,
        lead_id: &str,
    ) -> Option<&Stored> {
        self.get_opened(scopes, hash, company_id, lead_id)
            .map(|(s, _)| s)
    }

    /// [`IdShard::get`], with the lead read up to its id (the test read
    /// it; the lead path reads on from there).
    fn get_opened<'s>(
        &'s self,
        scopes: &ScopeList,
        hash: u64,
        company_id: &str,
        lead_id: &str,
    ) -> Option<(&'s Stored, Opened<'s>)> {
        let open = |s: &'s Stored| Some((s, opened_as(scopes, &s.packed, company_id, lead_id)?));
        match self.leads.get(&hash).and_then(open) {
            Some(found) => Some(found),
            None if self.collided.is_empty() => None,
            None => self
                .collided
                .iter()
                .filter(|(h, _)| *h == hash)
                .find_map(|(_, s)| open(s)),
        }
    }

    fn get_mut(
        &mut self,
        scopes: &ScopeList,
        hash: u64,
        company_id: &str,
        lead_id: &str,
    ) -> Option<&mut Stored> {
        let is = |s: &Stored| is_lead(scopes, &s.packed, company_id, lead_id);
        if self.leads.get(&hash).is_some_and(is) {
            return self.leads.get_mut(&hash);
        }
        self.collided
            .iter_mut()
            .filter(|(h, _)| *h == hash)
            .map(|(_, s)| s)
            .find(|s| is(s))
    }

    fn insert(&mut self, hash: u64, stored: Stored) {
        match self.leads.entry(hash) {
            std::collections::hash_map::Entry::Vacant(v) => {
                v.insert(stored);
            }
            std::collections::hash_map::Entry::Occupied(_) => self.collided.push((hash, stored)),
        }
    }

    fn remove(
        &mut self,
        scopes: &ScopeList,
        hash: u64,
        company_id: &str,
        lead_id: &str,
    ) -> Option<Stored> {
        let is = |s: &Stored| is_lead(scopes, &s.packed, company_id, lead_id);
        if self.leads.get(&hash).is_some_and(is) {
            let removed = self.leads.remove(&hash);
            // A collided lead with this hash takes the main table's place.
            if let Some(at) = self.collided.iter().position(|(h, _)| *h == hash) {
                let (_, next) = self.collided.swap_remove(at);
                self.leads.insert(hash, next);
            }
            return removed;
        }
        let at = self
            .collided
            .iter()
            .position(|(h, s)| *h == hash && is(s))?;
        Some(self.collided.swap_remove(at).1)
    }
}

/// One shard of the live index: hash of (company, schedule, digits) -> a
/// live lead with them; the others under the same hash (a number enrolled
/// more than once in one schedule, or, never seen, another key of that
/// hash) in `more`, under the same hash.
#[derive(Debug, Default)]
struct LiveShard {
    first: PrehashedMap<Packed>,
    more: PrehashedMap<Vec<Packed>>,
}

impl LiveShard {
    /// The oldest live lead under `hash` that `is` the one asked for.
    fn oldest(&self, hash: u64, is: impl Fn(&Packed) -> bool) -> Option<&Packed> {
        // `more` holds entries under a hash only while `first` holds one
        // (`insert` fills `first` first, `remove` refills it from `more`):
        // a number that is no live lead (every one-off decision) reads one
        // table, not two.
        let first = self.first.get(&hash)?;
        let Some(more) = self.more.get(&hash) else {
            return is(first).then_some(first);
        };
        std::iter::once(first)
            .filter(|p| is(p))
            .chain(more.iter().filter(|p| is(p)))
            .min_by_key(|p| p.seq())
    }

    fn insert(&mut self, hash: u64, packed: Packed) {
        match self.first.entry(hash) {
            std::collections::hash_map::Entry::Vacant(v) => {
                v.insert(packed);
            }
            std::collections::hash_map::Entry::Occupied(_) => {
                self.more.entry(hash).or_default().push(packed);
            }
        }
    }

    fn remove(&mut self, hash: u64, packed: &Packed) {
        if self.first.get(&hash).is_some_and(|p| p.same(packed)) {
            self.first.remove(&hash);
            // One of the others under the hash takes the first place.
            if let Some(more) = self.more.get_mut(&hash) {
                if let Some(next) = more.pop() {
                    self.first.insert(hash, next);
                }
            }
        } else if let Some(more) = self.more.get_mut(&hash) {
            more.retain(|p| !p.same(packed));
        }
        if self.more.get(&hash).is_some_and(Vec::is_empty) {
            self.more.remove(&hash);
        }
    }
}

/// A change to a stored lead ([`InMemoryLeadStore::update`]): each field
/// given replaces the lead's.
///
/// # Example
/// ```
/// use dialgate::{LeadChange, LeadStatus};
/// let done = LeadChange { status: Some(LeadStatus::Other("completed".into())), data: None };
/// assert!(done.data.is_none());
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LeadChange {
    /// The new status.
    pub status: Option<LeadStatus>,
    /// The new data, replacing the old whole.
    pub data: Option<Data>,
}

/// What [`InMemoryLeadStore::enrol`] did.
///
/// # Example
/// ```
/// use dialgate::{E164, Enrolment, InMemoryLeadStore, Lead};
/// let leads = InMemoryLeadStore::new();
/// let n = E164::from_digits(17195551234).unwrap();
/// let first = leads.enrol(Lead::live("a", "acme", "s", "+17195551234"), n).unwrap();
/// assert!(matches!(first, Enrolment::Created(_)));
/// let again = leads.enrol(Lead::live("b", "acme", "s", "+17195551234"), n).unwrap();
/// assert!(matches!(again, Enrolment::Existing(ref l) if l.id == "a"));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub enum Enrolment {
    /// The lead was stored.
    Created(Lead),
    /// The schedule already had a live lead with the number: it, unchanged.
    Existing(Lead),
}

/// Leads in memory, indexed by (company, id) and by (company, schedule,
/// E.164 number); every change goes through `&self` while other threads
/// decide.
///
/// The id index and the live index are each 64 shards behind their own
/// read-write lock (see the module's design notes): a decision takes one
/// read lock, a change at most one write lock of each index. Each lead is
/// kept packed (about 80 bytes with two data keys) and unpacked into the
/// [`Lead`] a lookup hands over ([`Found::Owned`]), so a change made
/// meanwhile never reaches a decision half-way.
///
/// # Example
/// ```
/// use dialgate::{E164, InMemoryLeadStore, Lead, LeadStore, NumberReader, Region};
/// let leads = InMemoryLeadStore::new();
/// leads.insert(Lead::live("lead-bob", "acme", "sch-solar", "(719) 555-0199"), Region::US, &NumberReader::new()).unwrap();
/// let n = E164::from_digits(17195550199).unwrap();
/// assert_eq!(leads.live_lead("acme", "sch-solar", n).unwrap().unwrap().id, "lead-bob");
/// ```
#[derive(Debug)]
pub struct InMemoryLeadStore {
    ids: Shards<ShardedLock<IdShard>, SHARDS>,
    live: Shards<ShardedLock<LiveShard>, SHARDS>,
    /// The interned (company, schedule) pairs, read without a lock.
    scopes: ScopeList,
    /// The same, by name, for writers (who take turns on it).
    scope_ids: Mutex<ScopeIds>,
    /// The keys of the id hashes (ids come from requests; see `hash.rs`).
    keys: IdKeys,
    /// Written by writers only.
    len: Padded<AtomicUsize>,
    seq: AtomicU64,
}

impl Default for InMemoryLeadStore {
    fn default() -> Self {
        InMemoryLeadStore {
            ids: Shards::default(),
            live: Shards::default(),
            scopes: ScopeList::default(),
            scope_ids: Mutex::default(),
            keys: IdKeys::default(),
            len: Padded::default(),
            seq: AtomicU64::new(0),
        }
    }
}

fn read<T>(lock: &ShardedLock<T>) -> ShardedLockReadGuard<'_, T> {
    // A writer that panicked left whole records behind (every change is a
    // swap of whole packed leads), so a poisoned lock is still consistent.
    lock.read().unwrap_or_else(PoisonError::into_inner)
}

fn write<T>(lock: &ShardedLock<T>) -> ShardedLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(PoisonError::into_inner)
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
    /// let (leads, reader) = (InMemoryLeadStore::new(), NumberReader::new());
    /// leads.insert(Lead::live("lead-ann", "acme", "sch-solar", "+17195551234"), Region::US, &reader).unwrap();
    /// leads.insert(Lead::live("lead-ann", "globex", "sch-roof", "+17195551234"), Region::US, &reader).unwrap();
    /// assert_eq!(leads.len(), 2);
    /// ```
    pub fn len(&self) -> usize {
        self.len.load(Ordering::Relaxed)
    }

    /// Whether no lead is stored.
    ///
    /// # Example
    /// ```
    /// use dialgate::{InMemoryLeadStore, Lead, NumberReader, Region};
    /// let leads = InMemoryLeadStore::new();
    /// assert!(leads.is_empty());
    /// leads.insert(Lead::live("lead-ann", "acme", "sch-solar", "+17195551234"), Region::US, &NumberReader::new()).unwrap();
    /// assert!(!leads.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Makes room for `additional` more leads (spread over the shards).
    ///
    /// # Example
    /// ```
    /// use dialgate::{InMemoryLeadStore, Lead, NumberReader, Region};
    /// let (leads, reader) = (InMemoryLeadStore::new(), NumberReader::new());
    /// leads.reserve(100);
    /// for i in 0..100 {
    ///     leads.insert(Lead::live(&format!("lead-{i}"), "acme", "sch-solar", &format!("+1719555{i:04}")), Region::US, &reader).unwrap();
    /// }
    /// assert_eq!(leads.len(), 100);
    /// ```
    pub fn reserve(&self, additional: usize) {
        let each = additional.div_ceil(SHARDS);
        for shard in self.ids.iter() {
            write(shard).leads.reserve(each);
        }
        for shard in self.live.iter() {
            write(shard).first.reserve(each);
        }
    }

    /// Gives back the memory that growth left unused (after a bulk load,
    /// say).
    ///
    /// # Example
    /// ```
    /// use dialgate::{InMemoryLeadStore, Lead, LeadStore, NumberReader, Region};
    /// let leads = InMemoryLeadStore::new();
    /// leads.reserve(10_000);
    /// leads.insert(Lead::live("lead-ann", "acme", "sch-solar", "+17195551234"), Region::US, &NumberReader::new()).unwrap();
    /// leads.shrink_to_fit();
    /// assert!(leads.lead("acme", "lead-ann").unwrap().is_some());
    /// ```
    pub fn shrink_to_fit(&self) {
        for shard in self.ids.iter() {
            let mut shard = write(shard);
            shard.leads.shrink_to_fit();
            shard.collided.shrink_to_fit();
        }
        for shard in self.live.iter() {
            let mut shard = write(shard);
            shard.first.shrink_to_fit();
            shard.more.shrink_to_fit();
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
    /// id.
    ///
    /// # Example
    /// ```
    /// use dialgate::{InMemoryLeadStore, Lead, NumberReader, Region, StoreError};
    /// let (leads, reader) = (InMemoryLeadStore::new(), NumberReader::new());
    /// leads.insert(Lead::live("lead-ann", "acme", "sch-solar", "(719) 555-1234"), Region::US, &reader).unwrap();
    /// let again = leads.insert(Lead::live("lead-ann", "acme", "sch-solar", "+17195550199"), Region::US, &reader);
    /// assert_eq!(again, Err(StoreError::DuplicateLead("lead-ann".into())));
    /// ```
    pub fn insert(
        &self,
        lead: Lead,
        region: Region,
        reader: &NumberReader,
    ) -> Result<(), StoreError> {
        let (digits, read_in) = match reader.read(&lead.number, region) {
            Ok(n) => (n.digits(), Some(region)),
            Err(_) => (0, None),
        };
        self.insert_stored(lead, digits, read_in, false).map(|_| ())
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
    /// let leads = InMemoryLeadStore::new();
    /// let n = E164::from_digits(17195550199).unwrap();
    /// leads.insert_read(Lead::live("lead-bob", "acme", "sch-solar", "+17195550199"), Some(n)).unwrap();
    /// assert_eq!(leads.live_lead("acme", "sch-solar", n).unwrap().unwrap().id, "lead-bob");
    /// ```
    pub fn insert_read(&self, lead: Lead, number: Option<E164>) -> Result<(), StoreError> {
        let digits = number.map_or(0, E164::digits);
        self.insert_stored(lead, digits, None, false).map(|_| ())
    }

    /// Enrols a live lead whose number reads as `number`, unless its
    /// schedule already has a live lead with that number: then that lead is
    /// answered and nothing is stored. The check and the insert are one
    /// step: two enrolments of one number racing store one lead.
    ///
    /// # Errors
    /// [`StoreError::DuplicateLead`] when the company has a lead with the
    /// new lead's id (and the schedule has no live lead with the number).
    ///
    /// # Example
    /// ```
    /// use dialgate::{E164, Enrolment, InMemoryLeadStore, Lead, StoreError};
    /// let leads = InMemoryLeadStore::new();
    /// let n = E164::from_digits(17195551234).unwrap();
    /// leads.enrol(Lead::live("a", "acme", "s", "+17195551234"), n).unwrap();
    /// let m = E164::from_digits(17195550000).unwrap();
    /// assert_eq!(leads.enrol(Lead::live("a", "acme", "s", "+17195550000"), m), Err(StoreError::DuplicateLead("a".into())));
    /// ```
    pub fn enrol(&self, lead: Lead, number: E164) -> Result<Enrolment, StoreError> {
        let lead = Lead {
            status: LeadStatus::Live,
            ..lead
        };
        self.insert_stored(lead, number.digits(), None, true)
    }

    /// Replaces the status and/or the data of a stored lead, returning the
    /// lead as it now is (`None`: no such lead). A lead that becomes live is
    /// found by number from then on, one that stops being live no longer.
    ///
    /// # Example
    /// ```
    /// use dialgate::{E164, InMemoryLeadStore, Lead, LeadChange, LeadStatus, LeadStore, NumberReader, Region};
    /// let leads = InMemoryLeadStore::new();
    /// leads.insert(Lead::live("a", "acme", "s", "+17195551234"), Region::US, &NumberReader::new()).unwrap();
    /// let done = LeadChange { status: Some(LeadStatus::Other("completed".into())), data: None };
    /// assert_eq!(leads.update("acme", "a", done).unwrap().status, LeadStatus::Other("completed".into()));
    /// let n = E164::from_digits(17195551234).unwrap();
    /// assert!(leads.live_lead("acme", "s", n).unwrap().is_none());
    /// assert!(leads.update("globex", "a", LeadChange::default()).is_none());
    /// ```
    pub fn update(&self, company_id: &str, lead_id: &str, change: LeadChange) -> Option<Lead> {
        let hash = self.id_hash(company_id, lead_id);
        let mut ids = write(self.ids.of(hash));
        let scopes = &self.scopes;
        let stored = ids.get_mut(scopes, hash, company_id, lead_id)?;
        let before = stored.packed.clone();
        let mut lead = self.unpack(scopes, &before);
        if let Some(status) = change.status {
            lead.status = status;
        }
        if let Some(data) = change.data {
            lead.data = data;
        }
        let after = Packed::new(
            &lead,
            before.seq(),
            before.digits(),
            before.scope(),
            before.region(),
        );
        stored.packed = after.clone();
        self.reindex(&lead, &before, &after);
        Some(lead)
    }

    /// Removes a lead and its index entries, returning it.
    ///
    /// # Example
    /// ```
    /// use dialgate::{InMemoryLeadStore, Lead, LeadStore, NumberReader, Region};
    /// let leads = InMemoryLeadStore::new();
    /// leads.insert(Lead::live("l", "acme", "s", "+17195551234"), Region::US, &NumberReader::new()).unwrap();
    /// assert!(leads.remove("acme", "l").is_some());
    /// assert!(leads.lead("acme", "l").unwrap().is_none());
    /// ```
    pub fn remove(&self, company_id: &str, lead_id: &str) -> Option<Lead> {
        let hash = self.id_hash(company_id, lead_id);
        let mut ids = write(self.ids.of(hash));
        let scopes = &self.scopes;
        let stored = ids.remove(scopes, hash, company_id, lead_id)?;
        let lead = self.unpack(scopes, &stored.packed);
        let digits = stored.packed.indexed();
        if digits != 0 {
            let live = self.live_hash(&lead.company_id, &lead.schedule_id, digits);
            write(self.live.of(live)).remove(live, &stored.packed);
        }
        self.len.fetch_sub(1, Ordering::Relaxed);
        Some(lead)
    }

    /// Every stored lead, in no particular order (a snapshot shard by
    /// shard: a change made while it runs may or may not be in it).
    ///
    /// # Example
    /// ```
    /// use dialgate::{InMemoryLeadStore, Lead, NumberReader, Region};
    /// let leads = InMemoryLeadStore::new();
    /// leads.insert(Lead::live("l", "acme", "s", "+17195551234"), Region::US, &NumberReader::new()).unwrap();
    /// assert_eq!(leads.snapshot()[0].id, "l");
    /// ```
    pub fn snapshot(&self) -> Vec<Lead> {
        let scopes = &self.scopes;
        let mut all = Vec::with_capacity(self.len());
        for shard in self.ids.iter() {
            let shard = read(shard);
            let packs = shard
                .leads
                .values()
                .chain(shard.collided.iter().map(|(_, s)| s));
            all.extend(packs.map(|s| self.unpack(scopes, &s.packed)));
        }
        all
    }

    /// About how many bytes of heap the store holds: the packed leads and
    /// the index tables (without the allocator's own overhead).
    ///
    /// # Example
    /// ```
    /// use dialgate::{InMemoryLeadStore, Lead, NumberReader, Region};
    /// let leads = InMemoryLeadStore::new();
    /// let empty = leads.heap_bytes();
    /// leads.insert(Lead::live("l", "acme", "s", "+17195551234"), Region::US, &NumberReader::new()).unwrap();
    /// assert!(leads.heap_bytes() > empty);
    /// ```
    pub fn heap_bytes(&self) -> usize {
        let slot = |entry: usize| entry + 1;
        let ids: usize = self
            .ids
            .iter()
            .map(|shard| {
                let shard = read(shard);
                shard.leads.capacity() * slot(std::mem::size_of::<(u64, Stored)>())
                    + shard
                        .leads
                        .values()
                        .map(|s| s.packed.heap_bytes())
                        .sum::<usize>()
                    + shard.collided.capacity() * std::mem::size_of::<(u64, Stored)>()
            })
            .sum();
        let live: usize = self
            .live
            .iter()
            .map(|shard| {
                let shard = read(shard);
                shard.first.capacity() * slot(std::mem::size_of::<(u64, Packed)>())
                    + shard.more.capacity() * slot(std::mem::size_of::<(u64, Vec<Packed>)>())
                    + shard
                        .more
                        .values()
                        .map(|v| v.capacity() * std::mem::size_of::<Packed>())
                        .sum::<usize>()
            })
            .sum();
        ids + live + self.scopes.heap_bytes()
    }

    fn id_hash(&self, company_id: &str, lead_id: &str) -> u64 {
        hash_joined(&self.keys, &[company_id, lead_id], None)
    }

    fn live_hash(&self, company_id: &str, schedule_id: &str, digits: u64) -> u64 {
        hash_joined(&self.keys, &[company_id, schedule_id], Some(digits))
    }

    /// The scope number of (company, schedule), interned if new.
    fn scope(&self, company_id: &str, schedule_id: &str) -> Result<u32, StoreError> {
        let mut ids = self
            .scope_ids
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(&id) = ids.get(&(Box::from(company_id), Box::from(schedule_id))) {
            return Ok(id);
        }
        // Numbered in turn under the lock; the last `u32` is not a scope.
        let id = u32::try_from(ids.len())
            .ok()
            .filter(|&id| id != u32::MAX)
            .ok_or(StoreError::Full)?;
        if !self
            .scopes
            .set(id, (Box::from(company_id), Box::from(schedule_id)))
        {
            return Err(StoreError::Full);
        }
        ids.insert((Box::from(company_id), Box::from(schedule_id)), id);
        Ok(id)
    }

    /// The lead `packed` holds.
    fn unpack(&self, scopes: &ScopeList, packed: &Packed) -> Lead {
        let (company, schedule) = scopes
            .get(packed.scope())
            .map_or(("", ""), |(c, s)| (&**c, &**s));
        packed.unpack(company, schedule)
    }

    /// Stores a lead (its id shard, then, if live with digits, its live
    /// shard, both held until both are written). With `unique_live`, a live
    /// lead already indexed under the same key is answered instead.
    fn insert_stored(
        &self,
        lead: Lead,
        digits: u64,
        read_in: Option<Region>,
        unique_live: bool,
    ) -> Result<Enrolment, StoreError> {
        let scope = self.scope(&lead.company_id, &lead.schedule_id)?;
        let hash = self.id_hash(&lead.company_id, &lead.id);
        let mut ids = write(self.ids.of(hash));
        let scopes = &self.scopes;
        let duplicate = ids.get(scopes, hash, &lead.company_id, &lead.id).is_some();
        let indexed = if lead.status.is_live() { digits } else { 0 };
        let mut live = None;
        if indexed != 0 {
            let key = self.live_hash(&lead.company_id, &lead.schedule_id, indexed);
            let shard = write(self.live.of(key));
            if unique_live {
                if let Some(p) = shard.oldest(key, |p| p.scope() == scope && p.digits() == indexed)
                {
                    return Ok(Enrolment::Existing(self.unpack(scopes, p)));
                }
            }
            live = Some((key, shard));
        }
        if duplicate {
            return Err(StoreError::DuplicateLead(lead.id));
        }
        let seq = self.seq.fetch_add(1, Ordering::Relaxed);
        let packed = Packed::new(&lead, seq, digits, scope, read_in);
        if let Some((key, mut shard)) = live {
            shard.insert(key, packed.clone());
        }
        ids.insert(hash, Stored { packed });
        self.len.fetch_add(1, Ordering::Relaxed);
        Ok(Enrolment::Created(lead))
    }

    /// Moves a changed lead's live-index entry (called with its id shard
    /// write-locked).
    fn reindex(&self, lead: &Lead, before: &Packed, after: &Packed) {
        let (old, new) = (before.indexed(), after.indexed());
        // A change keeps the company, schedule and digits: only liveness
        // moves the entry.
        let key = self.live_hash(&lead.company_id, &lead.schedule_id, before.digits());
        if old == 0 && new == 0 {
            return;
        }
        let mut shard = write(self.live.of(key));
        if old != 0 {
            shard.remove(key, before);
        }
        if new != 0 {
            shard.insert(key, after.clone());
        }
    }

    /// The oldest live lead of (company, schedule) whose number reads as
    /// `number`.
    fn oldest_live(
        &self,
        scopes: &ScopeList,
        company_id: &str,
        schedule_id: &str,
        number: E164,
    ) -> Option<Packed> {
        self.with_oldest_live(scopes, company_id, schedule_id, number, Packed::clone)
    }

    /// `f` of the oldest live lead of the number, under its shard's lock.
    fn with_oldest_live<R>(
        &self,
        scopes: &ScopeList,
        company_id: &str,
        schedule_id: &str,
        number: E164,
        f: impl FnOnce(&Packed) -> R,
    ) -> Option<R> {
        let digits = number.digits();
        let key = self.live_hash(company_id, schedule_id, digits);
        read(self.live.of(key))
            .oldest(key, |p| {
                is_live_for(scopes, p, company_id, schedule_id, digits)
            })
            .map(f)
    }

    /// This company's lead with this id, as stored.
    fn found(&self, company_id: &str, lead_id: &str) -> Option<(Lead, Stored)> {
        let hash = self.id_hash(company_id, lead_id);
        let scopes = &self.scopes;
        let shard = read(self.ids.of(hash));
        let stored = shard.get(scopes, hash, company_id, lead_id)?.clone();
        drop(shard);
        Some((self.unpack(scopes, &stored.packed), stored))
    }
}

// The in-memory store never fails: it answers `Ok`.
impl LeadStore for InMemoryLeadStore {
    fn lead(&self, company_id: &str, lead_id: &str) -> Lookup<'_, Lead> {
        Ok(self
            .found(company_id, lead_id)
            .map(|(lead, _)| Found::Owned(lead)))
    }

    fn lead_and_number(
        &self,
        company_id: &str,
        lead_id: &str,
        region: Region,
    ) -> Result<Option<LeadAndNumber<'_>>, StoreUnavailable> {
        Ok(self.found(company_id, lead_id).map(|(lead, stored)| {
            // Only digits the store read itself, in this region, are the
            // reader's verdict.
            let number = stored
                .packed
                .digits_read_in(region)
                .and_then(E164::from_digits);
            (Found::Owned(lead), number)
        }))
    }

    fn lead_to_dial(
        &self,
        company_id: &str,
        lead_id: &str,
        region: Region,
    ) -> Result<Option<LeadToDial<'_>>, StoreUnavailable> {
        let hash = self.id_hash(company_id, lead_id);
        let scopes = &self.scopes;
        let shard = read(self.ids.of(hash));
        let Some((_, opened)) = shard.get_opened(scopes, hash, company_id, lead_id) else {
            return Ok(None);
        };
        let schedule_of = |scope: u32| scopes.get(scope).map_or("", |(_, s)| &**s);
        Ok(Some(opened.into_lead_to_dial(region, schedule_of)))
    }

    fn live_lead(&self, company_id: &str, schedule_id: &str, number: E164) -> Lookup<'_, Lead> {
        let scopes = &self.scopes;
        let oldest = self.oldest_live(scopes, company_id, schedule_id, number);
        Ok(oldest.map(|p| Found::Owned(self.unpack(scopes, &p))))
    }

    fn live_lead_id(
        &self,
        company_id: &str,
        schedule_id: &str,
        number: E164,
    ) -> Result<Option<String>, StoreUnavailable> {
        let scopes = &self.scopes;
        // The id is copied out under the lock: no count of the shared
        // pack is taken.
        let id = |p: &Packed| p.id().to_owned();
        Ok(self.with_oldest_live(scopes, company_id, schedule_id, number, id))
    }
}

impl OneOffLeads for InMemoryLeadStore {
    fn store_one_off(&self, lead: Lead) -> Result<(), StoreUnavailable> {
        // Its number is the E.164 text the engine wrote ("+" and digits),
        // kept for the live index should a host make it live later. Its id
        // is made unique by the engine; a clash (a host that stored it
        // already) keeps the first.
        let digits = lead
            .number
            .strip_prefix('+')
            .and_then(|d| d.parse::<u64>().ok())
            .unwrap_or(0);
        let _ = self.insert_stored(lead, digits, None, false);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn n(digits: u64) -> E164 {
        E164::from_digits(digits).unwrap()
    }

    #[test]
    fn a_shards_keys_keep_their_table_tags_apart() {
        use std::hash::BuildHasher;
        // Keys of one shard share their top 6 bits; hashbrown's tag is the
        // top 7 bits of what Prehashed gives it, which must not be.
        let keys = IdKeys::default();
        let in_shard: Vec<u64> = (0..100_000u64)
            .map(|i| hash_joined(&keys, &["acme", &i.to_string()], None))
            .filter(|h| h >> 58 == 0)
            .collect();
        assert!(in_shard.len() > 1_000);
        let tags: std::collections::HashSet<u64> = in_shard
            .iter()
            .map(|&h| BuildHasherDefault::<Prehashed>::default().hash_one(h) >> 57)
            .collect();
        assert_eq!(tags.len(), 128, "every tag is used within a shard");
    }

    #[test]
    fn leads_by_id_are_scoped_to_their_company() {
        let leads = InMemoryLeadStore::new();
        let reader = NumberReader::new();
        leads
            .insert(
                Lead::live("l", "acme", "s", "+17195551234"),
                Region::US,
                &reader,
            )
            .unwrap();
        leads
            .insert(
                Lead::live("l", "globex", "s", "+17195550000"),
                Region::US,
                &reader,
            )
            .unwrap();
        assert_eq!(
            leads.lead("acme", "l").unwrap().unwrap().number,
            "+17195551234"
        );
        assert_eq!(
            leads.lead("globex", "l").unwrap().unwrap().number,
            "+17195550000"
        );
        assert!(leads.lead("initech", "l").unwrap().is_none());
        assert!(leads
            .live_lead("globex", "s", n(17195551234))
            .unwrap()
            .is_none());
    }

    #[test]
    fn colliding_hashes_keep_both_leads() {
        let scopes = ScopeList::default();
        assert!(scopes.set(0, (Box::from("acme"), Box::from("s"))));
        let mut shard = IdShard::default();
        let stored = |id: &str| Stored {
            packed: Packed::new(&Lead::live(id, "acme", "s", "+17195551234"), 0, 0, 0, None),
        };
        shard.insert(7, stored("a"));
        shard.insert(7, stored("b"));
        assert_eq!(shard.get(&scopes, 7, "acme", "b").unwrap().packed.id(), "b");
        assert!(shard.get(&scopes, 7, "globex", "b").is_none());
        assert_eq!(
            shard.remove(&scopes, 7, "acme", "a").unwrap().packed.id(),
            "a"
        );
        assert_eq!(
            shard.get(&scopes, 7, "acme", "b").unwrap().packed.id(),
            "b",
            "moved up"
        );
        assert!(shard.collided.is_empty());
        assert!(shard.get(&scopes, 7, "acme", "a").is_none());
    }

    #[test]
    fn an_update_moves_the_live_index() {
        let leads = InMemoryLeadStore::new();
        leads
            .insert_read(Lead::live("a", "acme", "s", "x"), Some(n(17195551234)))
            .unwrap();
        leads
            .insert_read(Lead::live("b", "acme", "s", "x"), Some(n(17195551234)))
            .unwrap();
        let other = LeadChange {
            status: Some(LeadStatus::Other("done".into())),
            data: None,
        };
        leads.update("acme", "a", other).unwrap();
        assert_eq!(
            leads
                .live_lead("acme", "s", n(17195551234))
                .unwrap()
                .unwrap()
                .id,
            "b"
        );
        let live = LeadChange {
            status: Some(LeadStatus::Live),
            data: Some([("k".to_owned(), crate::Scalar::Bool(true))].into()),
        };
        let a = leads.update("acme", "a", live).unwrap();
        assert_eq!(a.data.len(), 1);
        assert_eq!(
            leads
                .live_lead("acme", "s", n(17195551234))
                .unwrap()
                .unwrap()
                .id,
            "a",
            "the older lead is reused again"
        );
    }

    #[test]
    fn live_leads_of_one_number_are_found_oldest_first_through_removals() {
        let leads = InMemoryLeadStore::new();
        let num = n(17_195_551_234);
        for id in ["a", "b", "c", "d"] {
            leads
                .insert_read(Lead::live(id, "acme", "solar", "+17195551234"), Some(num))
                .unwrap();
        }
        let live = |l: &InMemoryLeadStore| {
            l.live_lead("acme", "solar", num)
                .unwrap()
                .map(|l| l.id.clone())
        };
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
        assert!(leads.remove("acme", "e").is_none());
    }

    #[test]
    fn only_live_readable_leads_are_indexed_by_number() {
        let leads = InMemoryLeadStore::new();
        let r = NumberReader::new();
        let mut done = Lead::live("done", "acme", "solar", "+17195551234");
        done.status = crate::model::LeadStatus::from("completed");
        leads.insert(done, Region::US, &r).unwrap();
        leads
            .insert(Lead::live("bad", "acme", "solar", "12345"), Region::US, &r)
            .unwrap();
        assert_eq!(leads.len(), 2);
        assert!(leads
            .live_lead("acme", "solar", n(17_195_551_234))
            .unwrap()
            .is_none());
        assert!(leads.lead("acme", "done").unwrap().is_some());
        assert!(leads.lead("acme", "bad").unwrap().is_some());
        assert!(leads.remove("acme", "done").is_some());
        assert!(leads.remove("acme", "bad").is_some());
    }

    #[test]
    fn only_numbers_the_store_read_in_the_region_are_handed_back() {
        let r = NumberReader::new();
        let gb: Region = "GB".parse().unwrap();
        let n = E164::from_digits(17195551234).unwrap();
        let leads = InMemoryLeadStore::new();
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
            let (lead, number) = leads.lead_and_number("acme", id, region).unwrap().unwrap();
            assert_eq!(lead.id, id);
            number
        };
        assert_eq!(number("done", Region::US), Some(n), "read, though not live");
        assert_eq!(number("done", gb), None, "read in another region");
        assert_eq!(number("bad", Region::US), None, "does not read");
        assert_eq!(number("given", Region::US), None, "the caller's reading");
        assert!(leads
            .lead_and_number("globex", "done", Region::US)
            .unwrap()
            .is_none());
        // Not live: read, but never matched by number.
        assert_eq!(
            leads.live_lead("acme", "s", n).unwrap().unwrap().id,
            "given"
        );
        assert_eq!(leads.remove("acme", "done").unwrap().id, "done");
        assert_eq!(
            leads.live_lead("acme", "s", n).unwrap().unwrap().id,
            "given"
        );
    }

    #[test]
    fn reserve_and_shrink_keep_every_lead() {
        let leads = InMemoryLeadStore::new();
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
                .live_lead("acme", "solar", n(17_192_000_000 + i))
                .unwrap()
                .map(|l| l.id.clone());
            assert_eq!(found, (i % 2 == 1).then(|| format!("l{i}")));
        }
    }

    /// One operation of the model test.
    #[derive(Clone, Debug)]
    enum Op {
        Insert {
            id: u8,
            company: u8,
            schedule: u8,
            number: u8,
            live: bool,
        },
        Enrol {
            id: u8,
            company: u8,
            schedule: u8,
            number: u8,
        },
        Update {
            id: u8,
            company: u8,
            live: bool,
        },
        Remove {
            id: u8,
            company: u8,
        },
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            (0..12u8, 0..2u8, 0..2u8, 0..4u8, any::<bool>()).prop_map(
                |(id, company, schedule, number, live)| Op::Insert {
                    id,
                    company,
                    schedule,
                    number,
                    live
                }
            ),
            (0..12u8, 0..2u8, 0..2u8, 0..4u8).prop_map(|(id, company, schedule, number)| {
                Op::Enrol {
                    id,
                    company,
                    schedule,
                    number,
                }
            }),
            (0..12u8, 0..2u8, any::<bool>()).prop_map(|(id, company, live)| Op::Update {
                id,
                company,
                live
            }),
            (0..12u8, 0..2u8).prop_map(|(id, company)| Op::Remove { id, company }),
        ]
    }

    proptest! {
        /// The store against a list of leads in insertion order: by id, and
        /// the oldest live lead of a (company, schedule, number).
        #[test]
        fn leads_agree_with_a_list(ops in proptest::collection::vec(op(), 0..80)) {
            let store = InMemoryLeadStore::new();
            // (lead, digits), oldest first.
            let mut model: Vec<(Lead, u64)> = Vec::new();
            let name = |c: u8| format!("c{c}");
            for op in ops {
                match op {
                    Op::Insert { id, company, schedule, number, live } => {
                        let mut lead = Lead::live(&format!("l{id}"), &name(company), &format!("s{schedule}"), "x");
                        if !live { lead.status = LeadStatus::OneOff; }
                        let digits = 17195550000 + u64::from(number);
                        let dup = model.iter().any(|(l, _)| l.id == lead.id && l.company_id == lead.company_id);
                        let got = store.insert_read(lead.clone(), Some(n(digits)));
                        prop_assert_eq!(got.is_err(), dup);
                        if !dup { model.push((lead, digits)); }
                    }
                    Op::Enrol { id, company, schedule, number } => {
                        let lead = Lead::live(&format!("l{id}"), &name(company), &format!("s{schedule}"), "x");
                        let digits = 17195550000 + u64::from(number);
                        let existing = model.iter().find(|(l, d)| *d == digits && l.status.is_live() && l.company_id == lead.company_id && l.schedule_id == lead.schedule_id).map(|(l, _)| l.clone());
                        let dup = model.iter().any(|(l, _)| l.id == lead.id && l.company_id == lead.company_id);
                        let got = store.enrol(lead.clone(), n(digits));
                        match existing {
                            Some(e) => prop_assert_eq!(got, Ok(Enrolment::Existing(e))),
                            None if dup => prop_assert!(got.is_err()),
                            None => {
                                prop_assert_eq!(got, Ok(Enrolment::Created(lead.clone())));
                                model.push((lead, digits));
                            }
                        }
                    }
                    Op::Update { id, company, live } => {
                        let status = if live { LeadStatus::Live } else { LeadStatus::Other("done".into()) };
                        let change = LeadChange { status: Some(status.clone()), data: None };
                        let got = store.update(&name(company), &format!("l{id}"), change);
                        let want = model.iter_mut().find(|(l, _)| l.id == format!("l{id}") && l.company_id == name(company));
                        match want {
                            Some((l, _)) => { l.status = status; prop_assert_eq!(got.as_ref(), Some(&*l)); }
                            None => prop_assert!(got.is_none()),
                        }
                    }
                    Op::Remove { id, company } => {
                        let got = store.remove(&name(company), &format!("l{id}"));
                        let at = model.iter().position(|(l, _)| l.id == format!("l{id}") && l.company_id == name(company));
                        prop_assert_eq!(got, at.map(|i| model.remove(i).0));
                    }
                }
                prop_assert_eq!(store.len(), model.len());
                for c in 0..2u8 {
                    for id in 0..12u8 {
                        let want = model.iter().find(|(l, _)| l.id == format!("l{id}") && l.company_id == name(c)).map(|(l, _)| l);
                        let got = store.lead(&name(c), &format!("l{id}")).unwrap();
                        prop_assert_eq!(got.as_deref(), want);
                    }
                    for s in 0..2u8 {
                        for number in 0..4u64 {
                            let digits = 17195550000 + number;
                            let want = model.iter().find(|(l, d)| *d == digits && l.status.is_live() && l.company_id == name(c) && l.schedule_id == format!("s{s}")).map(|(l, _)| l);
                            let got = store.live_lead(&name(c), &format!("s{s}"), n(digits)).unwrap();
                            prop_assert_eq!(got.as_deref(), want);
                            let id = store.live_lead_id(&name(c), &format!("s{s}"), n(digits)).unwrap();
                            prop_assert_eq!(id, want.map(|l| l.id.clone()));
                        }
                    }
                }
            }
        }
    }
}
