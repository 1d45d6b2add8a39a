//! The in-memory stores: the embedded default and the testing kit.
//!
//! Every lookup is a few hash lookups (no scan over leads or entries) and
//! allocates nothing, but for a suppression hit on a compact entry, which is
//! rebuilt to be handed over; numbers are indexed as integers. The stores
//! are built to hold millions of records:
//!
//! - [`SuppressionShard`] keeps its common entry (an exact number,
//!   optional company, optional schedule, no expiry) in one 8-byte slot of an
//!   open-addressing table: the number in 50 bits and, in the other 14, an
//!   interned (company, schedule) pair. That is 10 to 15 bytes an entry at
//!   any size. Other entries (expiring ones, a number's second entry) are
//!   kept whole beside it; prefixes (few, consulted by every decision) are
//!   copied into every shard, so a lookup takes one shard's read lock.
//! - [`InMemoryLeadStore`] keeps each lead once, packed in one immutable
//!   text allocation (`pack.rs`) shared by its two sharded indexes, by
//!   (company, id) and by (company, schedule, number); companies and
//!   schedules are interned into an append-only scope list (`scopes.rs`).
//! - [`InMemoryScheduleStore`] is a snapshot behind `arc-swap`, indexed by
//!   one hash of (company, schedule).
//!
//! Ids and tokens come from requests, so the tables keyed by them hash with
//! seeds random per table: foldhash on the decision path, the standard
//! library's SipHash elsewhere; number keys use a seeded multiplicative hash
//! (see `hash.rs`).

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};

use crossbeam_utils::sync::{ShardedLock, ShardedLockReadGuard, ShardedLockWriteGuard};

use chrono::{DateTime, Utc};

use super::{Found, Lookup, SuppressionList};
use crate::admission::{Padded, Shards};
use crate::model::{Suppression, SuppressionMatch};
use crate::phone::E164;

mod hash;
mod leads;
mod numbers;
mod pack;
mod schedules;
mod scopes;
pub(crate) mod table;

pub(crate) use hash::NumberHash;
pub use leads::{Enrolment, InMemoryLeadStore, LeadChange};
use numbers::{NumberTable, SIDE};
pub use schedules::{InMemoryScheduleStore, Put};

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
/// The list changes through `&self` while other threads decide: exact
/// numbers live in 16 shards (by number) behind their own read-write lock,
/// so a decision takes one read lock that decisions for other numbers
/// rarely share, and a writer holds one shard for one insert or removal.
/// The locks are `crossbeam_utils`' `ShardedLock`s: a reader locks its
/// thread's slot, so deciding threads do not write one lock word.
/// Prefix entries, few and rarely changed but consulted by every decision,
/// are kept in every shard, so a decision finds both kinds under its one
/// read lock; a prefix change visits the shards in turn (prefix writers take
/// turns), one write lock at a time, and is seen by every decision that
/// starts after it returns.
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
    /// By number; each also holds every prefix entry.
    numbers: Shards<ShardedLock<SuppressionShard>, SUPPRESSION_SHARDS>,
    /// Prefix writers take turns, so every shard sees prefix changes in one
    /// order.
    prefix_writers: Mutex<()>,
    len: Padded<AtomicUsize>,
}

/// Shards of the exact-number entries.
const SUPPRESSION_SHARDS: usize = 16;

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

    /// A list of these entries, its tables sized once for them.
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
        let mut shards: Vec<SuppressionShard> = (0..SUPPRESSION_SHARDS)
            .map(|_| SuppressionShard::new())
            .collect();
        let mut len = 0;
        let entries = entries.into_iter();
        let each = entries.size_hint().0 / SUPPRESSION_SHARDS;
        for shard in &mut shards {
            shard.reserve(each + each / 8);
        }
        for entry in entries {
            len += 1;
            match entry.matcher {
                SuppressionMatch::Number(n) => {
                    if let Some(shard) = shards.get_mut(number_shard(n)) {
                        shard.insert(entry);
                    }
                }
                SuppressionMatch::Prefix { .. } => {
                    for shard in &mut shards {
                        shard.insert(entry.clone());
                    }
                }
            }
        }
        let list = InMemorySuppressionList {
            numbers: {
                let mut shards = shards.into_iter();
                Shards::from_fn(|_| ShardedLock::new(shards.next().unwrap_or_default()))
            },
            prefix_writers: Mutex::default(),
            len: Padded(AtomicUsize::new(len)),
        };
        list.shrink_to_fit();
        list
    }

    /// How many entries are stored.
    ///
    /// # Example
    /// ```
    /// use dialgate::{E164, InMemorySuppressionList, Suppression, SuppressionMatch};
    /// let n = SuppressionMatch::Number(E164::from_digits(17195551234).unwrap());
    /// let list = InMemorySuppressionList::new();
    /// list.insert(Suppression::everywhere(n));
    /// list.insert(Suppression { company_id: Some("acme".into()), ..Suppression::everywhere(n) });
    /// assert_eq!(list.len(), 2);
    /// ```
    pub fn len(&self) -> usize {
        self.len.load(Ordering::Relaxed)
    }

    /// Whether no entry is stored.
    ///
    /// # Example
    /// ```
    /// use dialgate::{InMemorySuppressionList, Suppression, SuppressionMatch};
    /// let list = InMemorySuppressionList::new();
    /// assert!(list.is_empty());
    /// list.insert(Suppression::everywhere(SuppressionMatch::prefix("+1900").unwrap()));
    /// assert!(!list.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Makes room for `additional` more exact-number entries.
    ///
    /// # Example
    /// ```
    /// use dialgate::InMemorySuppressionList;
    /// let list = InMemorySuppressionList::new();
    /// let before = list.heap_bytes();
    /// list.reserve(10_000);
    /// assert!(list.heap_bytes() > before);
    /// ```
    pub fn reserve(&self, additional: usize) {
        let each = additional.div_ceil(SUPPRESSION_SHARDS);
        for shard in self.numbers.iter() {
            write_lock(shard).reserve(each + each / 8);
        }
    }

    /// Gives back the memory that growth left unused.
    ///
    /// # Example
    /// ```
    /// use dialgate::{E164, InMemorySuppressionList, Suppression, SuppressionMatch};
    /// let list = InMemorySuppressionList::new();
    /// list.reserve(10_000);
    /// list.insert(Suppression::everywhere(SuppressionMatch::Number(E164::from_digits(17195551234).unwrap())));
    /// let reserved = list.heap_bytes();
    /// list.shrink_to_fit();
    /// assert!(list.heap_bytes() < reserved);
    /// ```
    pub fn shrink_to_fit(&self) {
        for shard in self.numbers.iter() {
            write_lock(shard).shrink_to_fit();
        }
    }

    /// About how many bytes of heap the list holds: its tables and the ids
    /// of the entries kept whole, without the allocator's own overhead.
    ///
    /// # Example
    /// ```
    /// use dialgate::{E164, InMemorySuppressionList, Suppression, SuppressionMatch};
    /// let list = InMemorySuppressionList::new();
    /// let empty = list.heap_bytes();
    /// list.insert(Suppression::everywhere(SuppressionMatch::Number(E164::from_digits(17195551234).unwrap())));
    /// assert!(list.heap_bytes() > empty);
    /// ```
    pub fn heap_bytes(&self) -> usize {
        self.numbers
            .iter()
            .map(|shard| read_lock(shard).heap_bytes())
            .sum::<usize>()
    }

    /// Adds an entry; decisions that start after it returns see it.
    ///
    /// # Example
    /// ```
    /// use dialgate::{timefmt, E164, InMemorySuppressionList, Suppression, SuppressionList, SuppressionMatch};
    /// let list = InMemorySuppressionList::new();
    /// let until = timefmt::parse("2026-12-01T00:00:00Z").unwrap();
    /// list.insert(Suppression { expires_at: Some(until), ..Suppression::everywhere(SuppressionMatch::prefix("+1719555").unwrap()) });
    /// let n = E164::from_digits(17195551234).unwrap();
    /// assert!(list.find(n, "acme", &["sch-solar"], until - chrono::Duration::days(5)).unwrap().is_some());
    /// assert!(list.find(n, "acme", &["sch-solar"], until).unwrap().is_none(), "expired");
    /// ```
    pub fn insert(&self, entry: Suppression) {
        match entry.matcher {
            SuppressionMatch::Number(n) => {
                write_lock(self.numbers.of(number_hash(n))).insert(entry);
            }
            SuppressionMatch::Prefix { .. } => {
                self.change_prefixes(|p| {
                    p.insert(entry.clone());
                    true
                });
            }
        }
        self.len.fetch_add(1, Ordering::Relaxed);
    }

    /// Removes one entry equal to `entry` (the same number as read or the
    /// same prefix, company, schedule and expiry instant); whether there
    /// was one.
    ///
    /// # Example
    /// ```
    /// use dialgate::{E164, InMemorySuppressionList, Suppression, SuppressionList, SuppressionMatch};
    /// let n = E164::from_digits(17195551234).unwrap();
    /// let entry = Suppression { company_id: Some("acme".into()), ..Suppression::everywhere(SuppressionMatch::Number(n)) };
    /// let list = InMemorySuppressionList::new();
    /// list.insert(entry.clone());
    /// assert!(!list.remove(&Suppression::everywhere(SuppressionMatch::Number(n))), "another scope");
    /// assert!(list.remove(&entry));
    /// assert!(list.find(n, "acme", &["s"], chrono::Utc::now()).unwrap().is_none());
    /// assert!(!list.remove(&entry));
    /// ```
    pub fn remove(&self, entry: &Suppression) -> bool {
        let removed = match entry.matcher {
            SuppressionMatch::Number(n) => {
                write_lock(self.numbers.of(number_hash(n))).remove(entry)
            }
            SuppressionMatch::Prefix { .. } => self.change_prefixes(|p| p.remove(entry)),
        };
        if removed {
            self.len.fetch_sub(1, Ordering::Relaxed);
        }
        removed
    }

    /// Makes one prefix change in every shard, one write lock at a time;
    /// whether it changed the list (each shard holds the same prefixes, so
    /// each answers alike).
    fn change_prefixes(&self, mut change: impl FnMut(&mut SuppressionShard) -> bool) -> bool {
        let _turn = self
            .prefix_writers
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let mut changed = false;
        for shard in self.numbers.iter() {
            changed |= change(&mut write_lock(shard));
        }
        changed
    }
}

/// The hash that picks an exact number's shard (by its top bits): a
/// multiplicative one, which spreads consecutive numbers.
#[inline]
fn number_hash(n: E164) -> u64 {
    n.digits().wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

/// The index of an exact number's shard, as [`Shards::of`] picks it.
fn number_shard(n: E164) -> usize {
    (number_hash(n) >> (64 - SUPPRESSION_SHARDS.trailing_zeros())) as usize
}

fn read_lock<T>(lock: &ShardedLock<T>) -> ShardedLockReadGuard<'_, T> {
    // Every change leaves a shard whole before it can panic (an insert or
    // removal of one entry), so a poisoned lock is still consistent.
    lock.read().unwrap_or_else(PoisonError::into_inner)
}

fn write_lock<T>(lock: &ShardedLock<T>) -> ShardedLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(PoisonError::into_inner)
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

// The in-memory list never fails: it answers `Ok`.
impl SuppressionList for InMemorySuppressionList {
    fn find(
        &self,
        number: E164,
        company_id: &str,
        schedule_ids: &[&str],
        now: DateTime<Utc>,
    ) -> Lookup<'_, Suppression> {
        // The number's shard holds its entries and every prefix.
        let shard = read_lock(self.numbers.of(number_hash(number)));
        Ok(shard
            .get_find(number, company_id, schedule_ids, now)
            .map(|hit| Found::Owned(hit.into_owned())))
    }
}

impl SuppressionShard {
    /// Removes one entry equal to `entry`; whether there was one. A compact
    /// entry's slot is marked [`SIDE`] with nothing beside it (a tombstone:
    /// lookups find no entry there, and a later entry for the number goes
    /// beside it).
    fn remove(&mut self, entry: &Suppression) -> bool {
        let removed = match entry.matcher {
            SuppressionMatch::Number(n) => {
                let digits = n.digits();
                match self.compact.get(digits) {
                    None => false,
                    Some(SIDE) => {
                        let removed = remove_equal(self.numbers.get_mut(&digits), entry);
                        if self.numbers.get(&digits).is_some_and(Vec::is_empty) {
                            self.numbers.remove(&digits);
                        }
                        removed
                    }
                    Some(scope) => {
                        let same = entry.expires_at.is_none()
                            && self.scopes.get(scope)
                                == Some((
                                    entry.company_id.as_deref(),
                                    entry.schedule_id.as_deref(),
                                ));
                        same && self.compact.set_scope(digits, SIDE)
                    }
                }
            }
            SuppressionMatch::Prefix { digits, len } => {
                remove_equal(self.prefixes.get_mut(&(len, digits)), entry)
            }
        };
        if removed {
            self.len -= 1;
        }
        removed
    }
}

/// Removes the first entry of `entries` equal to `entry`.
fn remove_equal(entries: Option<&mut Vec<Suppression>>, entry: &Suppression) -> bool {
    let Some(entries) = entries else {
        return false;
    };
    match entries.iter().position(|e| e == entry) {
        Some(at) => {
            entries.remove(at);
            true
        }
        None => false,
    }
}

/// A company or schedule id not given: the entry applies to every one.
const ANY: u32 = u32::MAX;

/// The company and schedule ids of compact entries, interned, and the
/// (company, schedule) pairs ("scopes") the compact table refers to.
#[derive(Clone, Debug, Default)]
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

/// One shard of [`InMemorySuppressionList`]: entries indexed by exact
/// number and by (prefix length, prefix), changed through `&mut self`.
#[derive(Clone, Debug, Default)]
struct SuppressionShard {
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

impl SuppressionShard {
    /// An empty list.
    fn new() -> Self {
        Self::default()
    }

    /// A shard of these entries, its table sized once for them.
    #[cfg(test)]
    fn from_entries(entries: impl IntoIterator<Item = Suppression>) -> Self {
        let entries = entries.into_iter();
        let mut list = Self::new();
        list.reserve(entries.size_hint().0);
        for entry in entries {
            list.insert(entry);
        }
        list.shrink_to_fit();
        list
    }

    /// Makes room for `additional` more exact-number entries.
    fn reserve(&mut self, additional: usize) {
        self.compact.reserve(additional);
    }

    /// Gives back the memory that growth left unused.
    fn shrink_to_fit(&mut self) {
        self.compact.shrink_to_fit();
        self.numbers.shrink_to_fit();
        self.prefixes.shrink_to_fit();
    }

    /// About how many bytes of heap the list holds: its tables and the ids
    /// of the entries kept whole, without the allocator's own overhead.
    fn heap_bytes(&self) -> usize {
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
    fn insert(&mut self, entry: Suppression) {
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

impl SuppressionShard {
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

impl SuppressionShard {
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
        let mut list = SuppressionShard::new();
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
        assert_eq!(list.len, 4);
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
        let mut list = SuppressionShard::new();
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
        let mut list = SuppressionShard::new();
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
        let list = SuppressionShard::from_entries((0..count).map(|i| {
            let company = format!("co-{i}");
            entry(
                SuppressionMatch::Number(n(17_192_000_000 + i)),
                Some(&company),
                None,
                None,
            )
        }));
        assert_eq!(list.len, count as usize);
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
        let bulk = SuppressionShard::from_entries(entries(200_000));
        let mut one_by_one = SuppressionShard::new();
        for e in entries(200_000) {
            one_by_one.insert(e);
        }
        for list in [&bulk, &one_by_one] {
            let per_entry = list.heap_bytes() as f64 / list.len as f64;
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
                SuppressionShard::from_entries(entries.clone())
            } else {
                let mut l = SuppressionShard::new();
                for e in entries.clone() {
                    l.insert(e);
                }
                l
            };
            prop_assert_eq!(list.len, entries.len());
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
}
