//! Held calls (`?hold=true`): the admitted decisions a caller settles
//! later, each with a lease after which it counts as placed (committed).
//!
//! One mutex guards the table; it is taken for a hash map operation or to
//! pop expired deadlines, never while admission runs: settling happens
//! after the lock is dropped.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::sync::{Mutex, MutexGuard, PoisonError};

use chrono::{DateTime, Utc};
use dialgate::Admitted;

/// A held call.
#[derive(Debug)]
struct Held {
    company_id: String,
    admitted: Admitted,
    expires_at: DateTime<Utc>,
}

#[derive(Debug, Default)]
struct Table {
    by_id: HashMap<String, Held>,
    /// Every hold's lease end, soonest first; entries of holds settled
    /// since are skipped when popped.
    deadlines: BinaryHeap<Reverse<(DateTime<Utc>, String)>>,
}

/// What [`Holds::take`] found.
#[derive(Debug)]
pub(crate) enum Taken {
    /// The caller's hold, lease running: settle it as asked.
    Held(Admitted),
    /// The caller's hold whose lease has ended: it is committed, and the
    /// caller is told the call is no longer held.
    Expired(Admitted),
    /// No hold of that id for the caller's company.
    NotHeld,
}

/// The table of held calls.
#[derive(Debug, Default)]
pub(crate) struct Holds {
    table: Mutex<Table>,
}

impl Holds {
    fn lock(&self) -> MutexGuard<'_, Table> {
        // A panic while holding the lock leaves the table consistent (each
        // operation is one map or heap call): keep going.
        self.table.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Holds `admitted` under its call id until `expires_at`; the number of
    /// holds open after.
    pub(crate) fn insert(
        &self,
        company_id: &str,
        admitted: Admitted,
        expires_at: DateTime<Utc>,
    ) -> usize {
        let id = admitted.call().id.clone();
        let mut table = self.lock();
        table.deadlines.push(Reverse((expires_at, id.clone())));
        table.by_id.insert(
            id,
            Held {
                company_id: company_id.to_owned(),
                admitted,
                expires_at,
            },
        );
        table.by_id.len()
    }

    /// Takes the hold `call_id` of `company_id` out of the table; a hold of
    /// another company stays, and is reported as not held.
    pub(crate) fn take(
        &self,
        company_id: &str,
        call_id: &str,
        now: DateTime<Utc>,
    ) -> (Taken, usize) {
        let mut table = self.lock();
        let mine = table
            .by_id
            .get(call_id)
            .is_some_and(|h| h.company_id == company_id);
        if !mine {
            return (Taken::NotHeld, table.by_id.len());
        }
        let taken = match table.by_id.remove(call_id) {
            Some(held) if held.expires_at <= now => Taken::Expired(held.admitted),
            Some(held) => Taken::Held(held.admitted),
            None => Taken::NotHeld,
        };
        (taken, table.by_id.len())
    }

    /// Takes every hold whose lease ended at or before `now`.
    pub(crate) fn expired(&self, now: DateTime<Utc>) -> (Vec<Admitted>, usize) {
        let mut table = self.lock();
        let mut out = Vec::new();
        while let Some(Reverse((at, _))) = table.deadlines.peek() {
            if *at > now {
                break;
            }
            let Some(Reverse((at, id))) = table.deadlines.pop() else {
                break;
            };
            // Settled since (gone), or a call id held again later: skip.
            if table.by_id.get(&id).is_some_and(|h| h.expires_at == at) {
                if let Some(held) = table.by_id.remove(&id) {
                    out.push(held.admitted);
                }
            }
        }
        (out, table.by_id.len())
    }

    /// Takes every hold (the host is stopping).
    pub(crate) fn drain(&self) -> Vec<Admitted> {
        let mut table = self.lock();
        table.deadlines.clear();
        table.by_id.drain().map(|(_, h)| h.admitted).collect()
    }

    /// How many holds are open.
    pub(crate) fn len(&self) -> usize {
        self.lock().by_id.len()
    }
}
