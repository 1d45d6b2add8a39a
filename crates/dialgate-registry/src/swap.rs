//! A registry shared by every decision, swapped for a newer version without
//! a pause.

use std::path::Path;
use std::sync::Arc;

use arc_swap::ArcSwap;
use chrono::{DateTime, Utc};

use crate::format::{FileError, Refusal, Registry};

/// The current version of one list. Lookups take a lock-free snapshot; a
/// swap publishes a new version to every lookup that starts after it, while
/// lookups under way finish on the version they started with (its mapping
/// lives until the last of them lets go).
///
/// # Example
///
/// ```
/// use chrono::NaiveDate;
/// use dialgate_registry::{Builder, LiveRegistry, Lookup, Registry};
///
/// let day = |d| NaiveDate::from_ymd_opt(2026, 1, d).unwrap();
/// let mut b = Builder::new(day(1));
/// b.cover(212);
/// let live = LiveRegistry::new(Registry::from_bytes(b.finish()).unwrap());
/// assert_eq!(live.lookup(2125550100), Lookup::NotRegistered);
///
/// let mut b = Builder::new(day(2));
/// b.cover(212);
/// b.push(2125550100).unwrap();
/// live.store(Registry::from_bytes(b.finish()).unwrap());
/// assert_eq!(live.lookup(2125550100), Lookup::Registered);
/// assert_eq!(live.snapshot().as_of(), day(2));
/// ```
#[derive(Debug)]
pub struct LiveRegistry {
    current: ArcSwap<Registry>,
}

impl LiveRegistry {
    /// A live registry starting at `registry`.
    ///
    /// # Example
    ///
    /// ```
    /// # use chrono::NaiveDate;
    /// # use dialgate_registry::{Builder, LiveRegistry, Registry};
    /// let reg = Registry::from_bytes(Builder::new(NaiveDate::from_ymd_opt(2026, 1, 5).unwrap()).finish()).unwrap();
    /// let live = LiveRegistry::new(reg);
    /// ```
    pub fn new(registry: Registry) -> LiveRegistry {
        LiveRegistry {
            current: ArcSwap::from_pointee(registry),
        }
    }

    /// Opens a registry file as the first version.
    ///
    /// # Errors
    ///
    /// As [`Registry::open`].
    ///
    /// # Example
    ///
    /// ```
    /// # use dialgate_registry::LiveRegistry;
    /// assert!(LiveRegistry::open("/nonexistent/list.dnc").is_err());
    /// ```
    pub fn open(path: impl AsRef<Path>) -> Result<LiveRegistry, FileError> {
        Registry::open(path).map(LiveRegistry::new)
    }

    /// Publishes a new version.
    ///
    /// # Example
    ///
    /// ```
    /// # use chrono::NaiveDate;
    /// # use dialgate_registry::{Builder, LiveRegistry, Registry};
    /// let reg = || Registry::from_bytes(Builder::new(NaiveDate::from_ymd_opt(2026, 1, 5).unwrap()).finish()).unwrap();
    /// let live = LiveRegistry::new(reg());
    /// live.store(reg());
    /// ```
    pub fn store(&self, registry: Registry) {
        self.current.store(Arc::new(registry));
    }

    /// Opens `path` and publishes it; on any error the current version stays.
    ///
    /// # Errors
    ///
    /// As [`Registry::open`].
    ///
    /// # Example
    ///
    /// ```
    /// # use chrono::NaiveDate;
    /// # use dialgate_registry::{Builder, LiveRegistry, Registry};
    /// let live = LiveRegistry::new(Registry::from_bytes(Builder::new(NaiveDate::from_ymd_opt(2026, 1, 5).unwrap()).finish()).unwrap());
    /// assert!(live.reload("/nonexistent/list.dnc").is_err());
    /// assert_eq!(live.snapshot().path(), "<memory>");
    /// ```
    pub fn reload(&self, path: impl AsRef<Path>) -> Result<(), FileError> {
        let registry = Registry::open(path)?;
        self.store(registry);
        Ok(())
    }

    /// The current version, kept alive for as long as the caller holds it.
    ///
    /// # Example
    ///
    /// ```
    /// # use chrono::NaiveDate;
    /// # use dialgate_registry::{Builder, LiveRegistry, Registry};
    /// let live = LiveRegistry::new(Registry::from_bytes(Builder::new(NaiveDate::from_ymd_opt(2026, 1, 5).unwrap()).finish()).unwrap());
    /// assert!(live.snapshot().is_empty());
    /// ```
    pub fn snapshot(&self) -> Arc<Registry> {
        self.current.load_full()
    }

    /// Runs `f` on the current version without touching its reference count
    /// (arc-swap's guard: the cheap path for one lookup).
    ///
    /// # Example
    ///
    /// ```
    /// # use chrono::NaiveDate;
    /// # use dialgate_registry::{Builder, LiveRegistry, Registry};
    /// let live = LiveRegistry::new(Registry::from_bytes(Builder::new(NaiveDate::from_ymd_opt(2026, 1, 5).unwrap()).finish()).unwrap());
    /// assert_eq!(live.with(|r| r.len()), 0);
    /// ```
    pub fn with<R>(&self, f: impl FnOnce(&Registry) -> R) -> R {
        f(&self.current.load())
    }

    /// [`Registry::lookup`] on the current version.
    ///
    /// # Example
    ///
    /// ```
    /// # use chrono::NaiveDate;
    /// # use dialgate_registry::{Builder, LiveRegistry, Lookup, Registry};
    /// let live = LiveRegistry::new(Registry::from_bytes(Builder::new(NaiveDate::from_ymd_opt(2026, 1, 5).unwrap()).finish()).unwrap());
    /// assert_eq!(live.lookup(2125550100), Lookup::NotCovered);
    /// ```
    pub fn lookup(&self, number: u64) -> crate::format::Lookup {
        self.with(|r| r.lookup(number))
    }

    /// [`Registry::check`] on the current version.
    ///
    /// # Errors
    ///
    /// The [`Refusal`] saying why the call may not go ahead.
    ///
    /// # Example
    ///
    /// ```
    /// # use chrono::{NaiveDate, Utc};
    /// # use dialgate_registry::{Builder, LiveRegistry, Refusal, Registry};
    /// let live = LiveRegistry::new(Registry::from_bytes(Builder::new(NaiveDate::from_ymd_opt(2026, 1, 5).unwrap()).finish()).unwrap());
    /// assert_eq!(live.check(2125550100, Utc::now(), 31), Err(Refusal::NotCovered { area_code: 212 }));
    /// ```
    pub fn check(&self, number: u64, at: DateTime<Utc>, max_age_days: u32) -> Result<(), Refusal> {
        self.with(|r| r.check(number, at, max_age_days))
    }
}

/// The default maximum age of a list, in days: the federal list must be no
/// more than 31 days old (16 CFR 310.4(b)(3)(iv)).
pub const DEFAULT_MAX_AGE_DAYS: u32 = 31;

/// One entry of a world's `registries`: a named list, the companies it
/// applies to, and its maximum age.
///
/// # Example
///
/// ```
/// use chrono::{NaiveDate, TimeZone, Utc};
/// use dialgate_registry::{write_atomic, Builder, ListRefusal, Refusal, RegistryList};
///
/// let dir = tempfile::tempdir().unwrap();
/// let file = dir.path().join("federal.dnc");
/// let mut b = Builder::new(NaiveDate::from_ymd_opt(2026, 1, 1).unwrap());
/// b.cover(212);
/// b.push(2125550100).unwrap();
/// write_atomic(&file, &b.finish()).unwrap();
///
/// let list = RegistryList::open("federal", &file, Some(vec!["acme".into()]), None).unwrap();
/// let at = Utc.with_ymd_and_hms(2026, 1, 10, 15, 0, 0).unwrap();
/// assert_eq!(list.check("other", 12125550100, at), Ok(())); // not its company
/// let refused = list.check("acme", 12125550100, at).unwrap_err();
/// assert_eq!(refused.refusal, Refusal::Registered);
/// assert_eq!(refused.to_string(), "registry list `federal`: the number is registered");
/// assert_eq!(list.check("acme", 442071234567, at), Ok(())); // outside the NANP
/// ```
#[derive(Debug)]
pub struct RegistryList {
    /// The list's name, as the world names it.
    pub name: String,
    /// The companies it applies to; `None`: every company.
    pub company_ids: Option<Vec<String>>,
    /// Its maximum age in days.
    pub max_age_days: u32,
    /// Its current version.
    pub live: LiveRegistry,
}

/// A call refused by a named list: what step 7's `suppressed_contact`
/// message names (the list and why).
///
/// # Example
///
/// ```
/// use dialgate_registry::{ListRefusal, Refusal};
/// let r = ListRefusal { list: "federal".into(), refusal: Refusal::NotCovered { area_code: 305 } };
/// assert_eq!(r.to_string(), "registry list `federal`: the list does not cover area code 305");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("registry list `{list}`: {refusal}")]
pub struct ListRefusal {
    /// The list's name.
    pub list: String,
    /// Why.
    pub refusal: Refusal,
}

impl RegistryList {
    /// Opens a world's `registries` entry: `name`, `file` (already resolved
    /// against the world file's folder), `company_ids` (`None` for null or
    /// absent: every company), `max_age_days` (`None`: 31).
    ///
    /// # Errors
    ///
    /// As [`Registry::open`]: a missing, corrupt or wrong-version file.
    ///
    /// # Example
    ///
    /// ```
    /// # use dialgate_registry::RegistryList;
    /// let err = RegistryList::open("federal", "/nonexistent/federal.dnc", None, None).unwrap_err();
    /// assert!(err.to_string().starts_with("registry file `/nonexistent/federal.dnc`"));
    /// ```
    pub fn open(
        name: impl Into<String>,
        file: impl AsRef<Path>,
        company_ids: Option<Vec<String>>,
        max_age_days: Option<u32>,
    ) -> Result<RegistryList, FileError> {
        Ok(RegistryList {
            name: name.into(),
            company_ids,
            max_age_days: max_age_days.unwrap_or(DEFAULT_MAX_AGE_DAYS),
            live: LiveRegistry::open(file)?,
        })
    }

    /// Whether the list applies to a company.
    ///
    /// # Example
    ///
    /// ```
    /// # use chrono::NaiveDate;
    /// # use dialgate_registry::{Builder, LiveRegistry, Registry, RegistryList};
    /// let live = LiveRegistry::new(Registry::from_bytes(Builder::new(NaiveDate::from_ymd_opt(2026, 1, 5).unwrap()).finish()).unwrap());
    /// let list = RegistryList { name: "tx".into(), company_ids: Some(vec!["a".into()]), max_age_days: 31, live };
    /// assert!(list.applies_to("a") && !list.applies_to("b"));
    /// ```
    pub fn applies_to(&self, company_id: &str) -> bool {
        self.company_ids
            .as_ref()
            .is_none_or(|ids| ids.iter().any(|c| c == company_id))
    }

    /// Step 7 for this list: a number (its E.164 digits, `12125550100`) called
    /// by `company_id` at `at`. Numbers outside country code 1 and companies
    /// the list does not apply to pass.
    ///
    /// # Errors
    ///
    /// A [`ListRefusal`] naming the list and why.
    ///
    /// # Example
    ///
    /// See [`RegistryList`].
    pub fn check(
        &self,
        company_id: &str,
        e164_digits: u64,
        at: DateTime<Utc>,
    ) -> Result<(), ListRefusal> {
        if !self.applies_to(company_id) {
            return Ok(());
        }
        let Some(national) = crate::format::nanp_national(e164_digits) else {
            return Ok(());
        };
        self.live
            .check(national, at, self.max_age_days)
            .map_err(|refusal| ListRefusal {
                list: self.name.clone(),
                refusal,
            })
    }
}
