//! Registry lists (contract "Registry lists"): national, state and
//! litigator do-not-call lists consulted at step 7 after the company's own
//! entries. The core knows them through [`RegistryList`]; the files are read
//! by an adapter (the `dialgate-registry` crate, wired by the binary), so
//! the core does no I/O.

use std::sync::Arc;

use chrono::{DateTime, Utc};

/// A registry list as the world file names it.
///
/// # Example
/// ```
/// let spec = dialgate::RegistrySpec { name: "federal".into(), file: "dnc.reg".into(), company_ids: None, max_age_days: None };
/// assert!(spec.applies_to("acme"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegistrySpec {
    /// The list's name, for rejections.
    pub name: String,
    /// Its file, as written (a relative path is read from the world file's
    /// folder).
    pub file: String,
    /// The companies it applies to; `None`: every company.
    pub company_ids: Option<Vec<String>>,
    /// Its maximum age in days (`None`: 31, 16 CFR 310.4(b)(3)(iv)).
    pub max_age_days: Option<u32>,
}

impl RegistrySpec {
    /// Whether the list applies to the company.
    ///
    /// # Example
    /// ```
    /// let spec = dialgate::RegistrySpec { name: "tx".into(), file: "tx.reg".into(), company_ids: Some(vec!["acme".into()]), max_age_days: Some(90) };
    /// assert!(spec.applies_to("acme") && !spec.applies_to("globex"));
    /// ```
    pub fn applies_to(&self, company_id: &str) -> bool {
        self.company_ids
            .as_ref()
            .is_none_or(|ids| ids.iter().any(|id| id == company_id))
    }
}

/// A loaded registry list: answers whether a call may pass it.
///
/// # Example
/// ```
/// use dialgate::RegistryList;
/// #[derive(Debug)]
/// struct Everyone;
/// impl RegistryList for Everyone {
///     fn name(&self) -> &str { "everyone" }
///     fn check(&self, _: &str, _: u64, _: chrono::DateTime<chrono::Utc>) -> Result<(), String> {
///         Err("registry list `everyone`: the number is registered".into())
///     }
/// }
/// assert!(Everyone.check("acme", 12125550100, chrono::Utc::now()).is_err());
/// ```
pub trait RegistryList: std::fmt::Debug + Send + Sync {
    /// The list's name.
    fn name(&self) -> &str;

    /// `Ok` when the list lets a call by `company_id` to `digits` (E.164
    /// without `+`) through at `now`; otherwise one line naming the list
    /// and why (registered, area code not covered, stale, cannot answer).
    /// Anything uncertain must refuse: a list that cannot answer never
    /// means "not registered".
    ///
    /// # Errors
    /// The refusal, described.
    fn check(&self, company_id: &str, digits: u64, now: DateTime<Utc>) -> Result<(), String>;
}

/// A list the world names but that was not loaded (a host without a file
/// opener): it refuses every call it applies to, so a world's registry is
/// never silently skipped.
///
/// # Example
/// ```
/// use dialgate::{registry::NotLoaded, RegistryList, RegistrySpec};
/// let list = NotLoaded(RegistrySpec { name: "federal".into(), file: "dnc.reg".into(), company_ids: None, max_age_days: None });
/// assert!(list.check("acme", 12125550100, chrono::Utc::now()).unwrap_err().contains("not loaded"));
/// ```
#[derive(Debug)]
pub struct NotLoaded(pub RegistrySpec);

impl RegistryList for NotLoaded {
    fn name(&self) -> &str {
        &self.0.name
    }

    fn check(&self, company_id: &str, digits: u64, _now: DateTime<Utc>) -> Result<(), String> {
        let nanp = (10_000_000_000..20_000_000_000).contains(&digits);
        if !nanp || !self.0.applies_to(company_id) {
            return Ok(());
        }
        Err(format!(
            "registry list `{}`: not loaded (its file `{}` was not opened)",
            self.0.name, self.0.file
        ))
    }
}

/// Opens a world's registry list (the binary's, over `dialgate-registry`).
pub type RegistryOpener<'a> = dyn Fn(&RegistrySpec) -> Result<Arc<dyn RegistryList>, String> + 'a;
