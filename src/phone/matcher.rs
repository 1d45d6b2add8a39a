//! Whole-text patterns asked only whether they match, from many threads.
//!
//! Every decision reads its number, and reading a number asks two of these
//! (the territory's general pattern and its type patterns) whether they
//! match. `regex::Regex` keeps its search caches in a pool whose owner
//! word the owning thread writes twice a search, while every other thread
//! takes its cache through a mutex: one cache line written by every
//! decision on every core. A [`Matcher`] searches with a cache of the
//! calling thread's own instead, kept in a thread-local table: nothing a
//! search writes is read by another thread. Two threads reading numbers
//! then ran at 1.9 to 2.1 times one thread; through `regex::Regex` they
//! were slower together than one alone, at 0.7 to 0.8 times
//! (`examples/scaling.rs`, `read 2` against `read 1`; BENCHMARKS.md).
//!
//! The table holds [`ENTRIES`] caches by matcher number. An entry belongs
//! to the first matcher that needs it for as long as that matcher lives;
//! another matcher of the same entry meanwhile searches through the
//! regex's own pool (correct, and as fast on one thread), so two hot
//! matchers never evict each other's cache on every search. A dropped
//! matcher's cache stays until another matcher claims its entry or the
//! thread ends.

use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};

use regex_automata::meta::{self, Cache, Regex};
use regex_automata::util::syntax;
use regex_automata::{Input, MatchKind};

/// Entries of a thread's cache table. Matchers are numbered in turn as
/// they are compiled, so the matchers of one reader fall in distinct
/// entries until it has this many.
const ENTRIES: usize = 1024;

/// A thread's entry: the number of the matcher it belongs to, whether that
/// matcher still lives, and its cache.
type Entry = Option<(u64, Weak<()>, Box<Cache>)>;

thread_local! {
    /// The calling thread's search caches, by matcher number modulo
    /// [`ENTRIES`]: (matcher number, its cache). 16 KiB and the caches.
    static CACHES: RefCell<Vec<Entry>> = const { RefCell::new(Vec::new()) };
}

/// A compiled pattern, searched with the calling thread's cache.
pub(super) struct Matcher {
    regex: Regex,
    /// Never reused: a dead matcher's entry is never taken for a live one.
    number: u64,
    /// Entries hold it weakly: once the matcher is dropped, its entry is
    /// free. Only read (and only on a miss), so no thread writes its line.
    alive: Arc<()>,
}

impl Matcher {
    /// Compiles `src` as `regex::RegexBuilder` does (leftmost-first, UTF-8
    /// text, its size limits), with Unicode classes when `unicode`.
    pub(super) fn new(src: &str, unicode: bool) -> Result<Matcher, String> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let config = meta::Config::new()
            .match_kind(MatchKind::LeftmostFirst)
            .utf8_empty(true)
            .nfa_size_limit(Some(10 * (1 << 20)))
            .hybrid_cache_capacity(2 * (1 << 20));
        let regex = meta::Builder::new()
            .configure(config)
            .syntax(syntax::Config::new().unicode(unicode).utf8(true))
            .build(src)
            .map_err(|e| format!("pattern `{src}`: {e}"))?;
        Ok(Matcher {
            regex,
            number: NEXT.fetch_add(1, Ordering::Relaxed),
            alive: Arc::new(()),
        })
    }

    /// Whether the pattern matches somewhere in `text` (`Regex::is_match`).
    pub(super) fn is_match(&self, text: &str) -> bool {
        let input = Input::new(text).earliest(true);
        let searched = CACHES.try_with(|caches| {
            let Ok(mut caches) = caches.try_borrow_mut() else {
                return None;
            };
            if caches.is_empty() {
                caches.resize_with(ENTRIES, || None);
            }
            let entry = caches.get_mut((self.number % ENTRIES as u64) as usize)?;
            let cache = match entry {
                Some((number, _, cache)) if *number == self.number => cache,
                // Another live matcher's: leave it its cache.
                Some((_, owner, _)) if owner.strong_count() > 0 => return None,
                _ => {
                    let cache = Box::new(self.regex.create_cache());
                    &mut entry
                        .insert((self.number, Arc::downgrade(&self.alive), cache))
                        .2
                }
            };
            Some(self.regex.search_half_with(cache, &input).is_some())
        });
        // A thread being torn down, a search within a search, or an entry
        // another matcher holds: the regex's own pool.
        match searched {
            Ok(Some(found)) => found,
            _ => self.regex.search_half(&input).is_some(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_as_the_regex_crate_does() {
        let patterns = [
            r"^(?:[2-9]\d{9})$",
            r"^(?:(?:2(?:0[1-35-9]|1[02-9])|3(?:0[1-9]|1[02-9]))[2-9]\d{6})$",
            r"^(?:8(?:00|33|44))",
            r"\d{3}-?\d{4}",
            "",
        ];
        let texts = [
            "",
            "2015550123",
            "3035551234",
            "1035551234",
            "800",
            "555-1234",
            "20155501234",
        ];
        for src in patterns {
            let ours = Matcher::new(src, false).unwrap();
            let theirs = regex::RegexBuilder::new(src)
                .unicode(false)
                .build()
                .unwrap();
            for text in texts {
                assert_eq!(
                    ours.is_match(text),
                    theirs.is_match(text),
                    "{src} on {text:?}"
                );
            }
        }
    }

    #[test]
    fn threads_and_matchers_sharing_entries_still_match() {
        let m = Matcher::new(r"^(?:[2-9]\d{9})$", false).unwrap();
        // A matcher whose number is ENTRIES on takes the same entry, in
        // turns (tests running beside this one number matchers too).
        let twin = (0..64 * ENTRIES)
            .map(|_| Matcher::new(r"^1\d*$", false).unwrap())
            .find(|t| t.number % ENTRIES as u64 == m.number % ENTRIES as u64)
            .unwrap();
        for _ in 0..3 {
            assert!(m.is_match("2015550123") && !twin.is_match("2015550123"));
            assert!(!m.is_match("1015550123") && twin.is_match("1015550123"));
        }
        let entry = |number: u64| {
            CACHES.with(|c| {
                c.borrow()
                    .get((number % ENTRIES as u64) as usize)
                    .and_then(|e| e.as_ref().map(|e| e.0))
            })
        };
        // The first to search holds the entry; the twin used the pool.
        assert_eq!(entry(m.number), Some(m.number));
        let number = m.number;
        drop(m);
        assert!(twin.is_match("1015550123"));
        assert_eq!(
            entry(number),
            Some(twin.number),
            "a dead matcher's entry is taken"
        );
        std::thread::scope(|s| {
            for _ in 0..8 {
                s.spawn(|| {
                    for _ in 0..200 {
                        assert!(twin.is_match("1035551234"));
                        assert!(!twin.is_match("3035551234"));
                    }
                });
            }
        });
    }

    #[test]
    fn a_bad_pattern_is_an_error_naming_it() {
        let err = Matcher::new("(", false).err().unwrap();
        assert!(err.starts_with("pattern `(`:"), "{err}");
    }
}
