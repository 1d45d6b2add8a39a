//! The domain: companies, schedules with their distributions, leads and
//! suppression entries, and the flat data that travels with a request.

use std::collections::BTreeMap;
use std::fmt;
use std::num::NonZeroU32;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::phone::Region;

/// The flat routing data of a request or a lead: keys to scalars.
///
/// # Example
/// ```
/// use dialgate::{Data, Scalar};
/// let mut data = Data::new();
/// data.insert("state".into(), Scalar::from("CO"));
/// data.insert("homeowner".into(), Scalar::from(true));
/// assert_eq!(data["homeowner"].text().as_deref(), Some("true"));
/// ```
pub type Data = BTreeMap<String, Scalar>;

/// A scalar value of [`Data`]: string, number, boolean or null.
///
/// Conditions compare scalars by their text: a string is itself, a number
/// its decimal form (`42` equals `"42"`), a boolean `true` or `false`.
///
/// # Example
/// ```
/// use dialgate::Scalar;
/// assert_eq!(Scalar::from(42).text().as_deref(), Some("42"));
/// assert_eq!(Scalar::from("42").text().as_deref(), Some("42"));
/// assert_eq!(Scalar::Null.text(), None);
/// ```
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum Scalar {
    /// JSON `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A JSON number, kept as written.
    Number(serde_json::Number),
    /// A string.
    String(String),
    /// An integer literal beyond 64 bits, its decimal digits as written
    /// (a JSON number in output).
    #[serde(skip)]
    Integer(String),
}

impl Serialize for Scalar {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Scalar::Null => s.serialize_unit(),
            Scalar::Bool(b) => s.serialize_bool(*b),
            Scalar::Number(n) => n.serialize(s),
            Scalar::String(text) => s.serialize_str(text),
            Scalar::Integer(digits) => serde_json::value::RawValue::from_string(digits.clone())
                .map_err(serde::ser::Error::custom)?
                .serialize(s),
        }
    }
}

impl Scalar {
    /// The text by which conditions compare this value; `None` for null,
    /// which conditions treat like a missing key.
    ///
    /// # Example
    /// ```
    /// use dialgate::Scalar;
    /// assert_eq!(Scalar::from(true).text().as_deref(), Some("true"));
    /// let bill: Scalar = serde_json::from_str("182.5").unwrap();
    /// assert_eq!(bill.text().as_deref(), Some("182.5"));
    /// assert_eq!(Scalar::Null.text(), None);
    /// ```
    pub fn text(&self) -> Option<std::borrow::Cow<'_, str>> {
        use std::borrow::Cow;
        match self {
            Scalar::Null => None,
            Scalar::Bool(b) => Some(Cow::Borrowed(if *b { "true" } else { "false" })),
            Scalar::Number(n) => Some(Cow::Owned(n.to_string())),
            Scalar::String(s) | Scalar::Integer(s) => Some(Cow::Borrowed(s)),
        }
    }
}

impl From<&str> for Scalar {
    fn from(s: &str) -> Self {
        Scalar::String(s.to_owned())
    }
}

impl From<String> for Scalar {
    fn from(s: String) -> Self {
        Scalar::String(s)
    }
}

impl From<i64> for Scalar {
    fn from(n: i64) -> Self {
        Scalar::Number(n.into())
    }
}

impl From<bool> for Scalar {
    fn from(b: bool) -> Self {
        Scalar::Bool(b)
    }
}

/// The default redial window, in seconds.
///
/// # Example
/// ```
/// use dialgate::{model::DEFAULT_REDIAL_WINDOW_S, Company};
/// assert_eq!(Company::new("acme", 5).unwrap().redial_window_s, DEFAULT_REDIAL_WINDOW_S);
/// ```
pub const DEFAULT_REDIAL_WINDOW_S: u32 = 30;

/// A tenant: the caller's account, passed in by the host from
/// authentication, never read from a request body.
///
/// # Example
/// ```
/// use dialgate::Company;
/// let acme = Company::new("acme", 5).unwrap();
/// assert_eq!(acme.redial_window_s, 30);
/// assert_eq!(acme.default_region.as_str(), "US");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Company {
    /// The company's id.
    pub id: String,
    /// Calls per second the company's carrier allows.
    pub cps_limit: NonZeroU32,
    /// The region that reads numbers written without `+`.
    pub default_region: Region,
    /// Seconds during which a dialled number may not be dialled again.
    pub redial_window_s: u32,
    /// The company's calling rules; `None`: it dials at any hour (unless a
    /// schedule has calling hours).
    pub calling_rules: Option<std::sync::Arc<crate::calling::CallingRules>>,
}

impl Company {
    /// A company with the default region (`US`) and redial window (30 s);
    /// `None` when `cps_limit` is zero.
    ///
    /// # Example
    /// ```
    /// use dialgate::Company;
    /// let acme = Company::new("acme", 5).unwrap();
    /// assert_eq!(acme.cps_limit.get(), 5);
    /// assert!(Company::new("acme", 0).is_none());
    /// ```
    pub fn new(id: impl Into<String>, cps_limit: u32) -> Option<Company> {
        Some(Company {
            id: id.into(),
            cps_limit: NonZeroU32::new(cps_limit)?,
            default_region: Region::US,
            redial_window_s: DEFAULT_REDIAL_WINDOW_S,
            calling_rules: None,
        })
    }
}

/// One of a company's API keys (the world file's `api_keys`): the public
/// key a caller sends, and the SHA-256 of its private key. The private key
/// itself is never stored; a host compares the digest of what it is sent
/// with [`ApiKey::private_key_sha256`] in constant time.
///
/// # Example
/// ```
/// use dialgate::ApiKey;
/// let key = ApiKey::new("acme", "pk_acme", "2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae").unwrap();
/// assert_eq!(key.company_id, "acme");
/// assert_eq!(key.private_key_sha256[0], 0x2c);
/// assert!(ApiKey::new("acme", "pk_acme", "2C26").is_err());
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey {
    /// The company the key authenticates.
    pub company_id: String,
    /// The public key (the user-id of HTTP Basic authentication).
    pub public_key: String,
    /// The SHA-256 digest of the private key.
    pub private_key_sha256: [u8; 32],
}

impl fmt::Debug for ApiKey {
    // The digest is not the key, but there is no reason to print it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiKey")
            .field("company_id", &self.company_id)
            .field("public_key", &self.public_key)
            .finish_non_exhaustive()
    }
}

/// The longest public key, bytes.
pub const MAX_PUBLIC_KEY_BYTES: usize = 128;

impl ApiKey {
    /// A key from its public key and the lowercase hex SHA-256 of its
    /// private key.
    ///
    /// # Errors
    /// A message naming the field: a public key that is empty, longer than
    /// [`MAX_PUBLIC_KEY_BYTES`], or holds `:` (which HTTP Basic
    /// authentication cannot carry in a user-id), whitespace or a control
    /// character; a digest that is not 64 lowercase hex characters.
    ///
    /// # Example
    /// ```
    /// use dialgate::ApiKey;
    /// let err = ApiKey::new("acme", "pk:acme", &"0".repeat(64)).unwrap_err();
    /// assert_eq!(err, "`public_key` holds `:`, which Basic authentication cannot carry");
    /// ```
    pub fn new(
        company_id: &str,
        public_key: &str,
        private_key_sha256: &str,
    ) -> Result<ApiKey, String> {
        if public_key.is_empty() {
            return Err("`public_key` is empty".into());
        }
        if public_key.len() > MAX_PUBLIC_KEY_BYTES {
            return Err(format!(
                "`public_key` is longer than {MAX_PUBLIC_KEY_BYTES} bytes"
            ));
        }
        if public_key.contains(':') {
            return Err("`public_key` holds `:`, which Basic authentication cannot carry".into());
        }
        if public_key
            .chars()
            .any(|c| c.is_whitespace() || c.is_control())
        {
            return Err("`public_key` holds whitespace or a control character".into());
        }
        let digest = sha256_hex(private_key_sha256).ok_or_else(|| {
            "`private_key_sha256` is not 64 lowercase hex characters (the SHA-256 of the private key)"
                .to_owned()
        })?;
        Ok(ApiKey {
            company_id: company_id.to_owned(),
            public_key: public_key.to_owned(),
            private_key_sha256: digest,
        })
    }
}

/// 64 lowercase hex characters as 32 bytes.
fn sha256_hex(text: &str) -> Option<[u8; 32]> {
    fn nibble(c: u8) -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            _ => None,
        }
    }
    let bytes = text.as_bytes();
    if bytes.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (slot, pair) in out.iter_mut().zip(bytes.chunks_exact(2)) {
        let [hi, lo] = pair else { return None };
        *slot = (nibble(*hi)? << 4) | nibble(*lo)?;
    }
    Some(out)
}

/// Whether a schedule dials or routes.
///
/// # Example
/// ```
/// use dialgate::{Distribution, ScheduleKind};
/// let router = ScheduleKind::Router(vec![Distribution::catch_all("d1", "sch-b")]);
/// assert!(router.is_router());
/// assert!(!ScheduleKind::Dialer.is_router());
/// ```
#[derive(Clone, Debug, PartialEq)]
pub enum ScheduleKind {
    /// A schedule that dials its leads.
    Dialer,
    /// A lead-distribution router: its ordered distributions send a request on
    /// to another schedule.
    Router(Vec<Distribution>),
}

impl ScheduleKind {
    /// Whether this is a router.
    ///
    /// # Example
    /// ```
    /// use dialgate::{Distribution, Schedule};
    /// assert!(!Schedule::dialer("sch-solar", "acme", "tok-solar").kind.is_router());
    /// let router = Schedule::router("sch-inbound", "acme", "tok-inbound", vec![Distribution::catch_all("d-all", "sch-solar")]);
    /// assert!(router.kind.is_router());
    /// ```
    pub fn is_router(&self) -> bool {
        matches!(self, ScheduleKind::Router(_))
    }
}

/// A schedule: a dialer, or a router of requests to other schedules.
///
/// # Example
/// ```
/// use dialgate::Schedule;
/// let s = Schedule::dialer("sch-solar", "acme", "tok-solar");
/// assert!(s.active);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Schedule {
    /// The schedule's id.
    pub id: String,
    /// The company that owns it.
    pub company_id: String,
    /// The schedule's Leads API key, unique across all companies.
    pub lead_token: String,
    /// Whether the schedule accepts calls.
    pub active: bool,
    /// Dialer or router.
    pub kind: ScheduleKind,
    /// The schedule's calling hours (step 8), when it has them.
    pub calling_hours: Option<crate::calling::Hours>,
}

impl Schedule {
    /// An active dialer schedule.
    ///
    /// # Example
    /// ```
    /// use dialgate::{Schedule, ScheduleKind};
    /// let s = Schedule::dialer("sch-solar", "acme", "tok-solar");
    /// assert_eq!(s.kind, ScheduleKind::Dialer);
    /// assert_eq!(s.lead_token, "tok-solar");
    /// ```
    pub fn dialer(id: &str, company_id: &str, lead_token: &str) -> Schedule {
        Schedule {
            id: id.to_owned(),
            company_id: company_id.to_owned(),
            lead_token: lead_token.to_owned(),
            active: true,
            kind: ScheduleKind::Dialer,
            calling_hours: None,
        }
    }

    /// An active router with these distributions, tried in order.
    ///
    /// # Example
    /// ```
    /// use dialgate::{Distribution, Schedule};
    /// let r = Schedule::router("sch-r", "acme", "tok-r", vec![Distribution::catch_all("d", "sch-solar")]);
    /// assert!(r.kind.is_router());
    /// ```
    pub fn router(
        id: &str,
        company_id: &str,
        lead_token: &str,
        distributions: Vec<Distribution>,
    ) -> Schedule {
        Schedule {
            kind: ScheduleKind::Router(distributions),
            ..Schedule::dialer(id, company_id, lead_token)
        }
    }
}

/// One way out of a router: when every condition holds, the request goes on
/// to the target schedule.
///
/// # Example
/// ```
/// use dialgate::{Condition, Distribution};
/// let d = Distribution {
///     when: vec![Condition::eq("traffic_source_id", "42")],
///     ..Distribution::catch_all("d-fb", "sch-solar")
/// };
/// assert_eq!(d.when.len(), 1);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Distribution {
    /// The distribution's id.
    pub id: String,
    /// The schedule it sends to.
    pub target_schedule_id: String,
    /// Inactive distributions are skipped.
    pub active: bool,
    /// Conditions that must all hold; empty matches everything.
    pub when: Vec<Condition>,
}

impl Distribution {
    /// An active distribution with no conditions.
    ///
    /// # Example
    /// ```
    /// use dialgate::Distribution;
    /// let d = Distribution::catch_all("d-all", "sch-solar");
    /// assert!(d.active && d.when.is_empty());
    /// assert_eq!(d.target_schedule_id, "sch-solar");
    /// ```
    pub fn catch_all(id: &str, target_schedule_id: &str) -> Distribution {
        Distribution {
            id: id.to_owned(),
            target_schedule_id: target_schedule_id.to_owned(),
            active: true,
            when: Vec::new(),
        }
    }
}

/// A test on one key of the routing data.
///
/// # Example
/// ```
/// use dialgate::{Condition, Data, Scalar};
/// let mut data = Data::new();
/// data.insert("traffic_source_id".into(), Scalar::from(8));
/// assert!(Condition::is_in("traffic_source_id", &["7", "8"]).holds(&data));
/// assert!(!Condition::eq("state", "CO").holds(&data));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Condition {
    /// The key of the routing data.
    pub field: String,
    /// The test.
    pub op: ConditionOp,
}

/// The test of a [`Condition`], with its operand as text.
///
/// # Example
/// ```
/// use dialgate::ConditionOp;
/// let op = ConditionOp::Prefix("+1719".into());
/// assert_eq!(op.name(), "prefix");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConditionOp {
    /// The value's text equals this.
    Eq(String),
    /// The key is missing or its text differs from this.
    Ne(String),
    /// The value's text is one of these.
    In(Vec<String>),
    /// The key is missing or its text is none of these.
    NotIn(Vec<String>),
    /// The key is present and not null.
    Exists,
    /// The value's text starts with this.
    Prefix(String),
}

impl ConditionOp {
    /// The operator's name as written in a world file.
    ///
    /// # Example
    /// ```
    /// use dialgate::ConditionOp;
    /// assert_eq!(ConditionOp::NotIn(vec!["HI".into(), "AK".into()]).name(), "not_in");
    /// assert_eq!(ConditionOp::Exists.name(), "exists");
    /// ```
    pub fn name(&self) -> &'static str {
        match self {
            ConditionOp::Eq(_) => "eq",
            ConditionOp::Ne(_) => "ne",
            ConditionOp::In(_) => "in",
            ConditionOp::NotIn(_) => "not_in",
            ConditionOp::Exists => "exists",
            ConditionOp::Prefix(_) => "prefix",
        }
    }
}

impl Condition {
    /// `field` equals `value`.
    ///
    /// # Example
    /// ```
    /// use dialgate::{Condition, Data, Scalar};
    /// let mut data = Data::new();
    /// data.insert("business_type".into(), Scalar::from("commercial"));
    /// assert!(Condition::eq("business_type", "commercial").holds(&data));
    /// assert!(!Condition::eq("business_type", "residential").holds(&data));
    /// ```
    pub fn eq(field: &str, value: &str) -> Condition {
        Condition {
            field: field.to_owned(),
            op: ConditionOp::Eq(value.to_owned()),
        }
    }

    /// `field` is one of `values`.
    ///
    /// # Example
    /// ```
    /// use dialgate::{Condition, Data, Scalar};
    /// let mut data = Data::new();
    /// data.insert("language".into(), Scalar::from("es-MX"));
    /// assert!(Condition::is_in("language", &["es", "es-MX"]).holds(&data));
    /// assert!(!Condition::is_in("language", &["en"]).holds(&data));
    /// ```
    pub fn is_in(field: &str, values: &[&str]) -> Condition {
        Condition {
            field: field.to_owned(),
            op: ConditionOp::In(values.iter().map(|v| (*v).to_owned()).collect()),
        }
    }

    /// Whether the condition holds on `data`. A missing or null key fails
    /// every test but `ne` and `not_in`.
    ///
    /// # Example
    /// ```
    /// use dialgate::{Condition, ConditionOp, Data, Scalar};
    /// let mut data = Data::new();
    /// data.insert("utility_bill".into(), Scalar::from(182));
    /// let has_bill = Condition { field: "utility_bill".into(), op: ConditionOp::Exists };
    /// let not_hawaii = Condition { field: "state".into(), op: ConditionOp::Ne("HI".into()) };
    /// assert!(has_bill.holds(&data) && not_hawaii.holds(&data), "a missing key passes `ne`");
    /// ```
    pub fn holds(&self, data: &Data) -> bool {
        let text = data.get(&self.field).and_then(Scalar::text);
        match (&self.op, text) {
            (ConditionOp::Ne(_) | ConditionOp::NotIn(_), None) => true,
            (_, None) => false,
            (ConditionOp::Eq(v), Some(t)) => *t == **v,
            (ConditionOp::Ne(v), Some(t)) => *t != **v,
            (ConditionOp::In(vs), Some(t)) => vs.iter().any(|v| **v == *t),
            (ConditionOp::NotIn(vs), Some(t)) => !vs.iter().any(|v| **v == *t),
            (ConditionOp::Exists, Some(_)) => true,
            (ConditionOp::Prefix(p), Some(t)) => t.starts_with(p.as_str()),
        }
    }
}

/// Whether a lead is enrolled in its schedule's dialing cadence.
///
/// # Example
/// ```
/// use dialgate::LeadStatus;
/// assert!(LeadStatus::from("live").is_live());
/// assert!(!LeadStatus::from("completed").is_live());
/// assert_eq!(LeadStatus::OneOff.as_str(), "one_off");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LeadStatus {
    /// Enrolled: requests for its number reuse it.
    Live,
    /// Created by a call-now request, never reused.
    OneOff,
    /// Any other status (completed, do-not-call, ...), kept as written.
    Other(String),
}

impl LeadStatus {
    /// Whether the lead is live.
    ///
    /// # Example
    /// ```
    /// use dialgate::LeadStatus;
    /// assert!(LeadStatus::Live.is_live());
    /// assert!(!LeadStatus::OneOff.is_live());
    /// ```
    pub fn is_live(&self) -> bool {
        matches!(self, LeadStatus::Live)
    }

    /// The status as written.
    ///
    /// # Example
    /// ```
    /// use dialgate::LeadStatus;
    /// assert_eq!(LeadStatus::Live.as_str(), "live");
    /// assert_eq!(LeadStatus::from("do_not_call").as_str(), "do_not_call");
    /// ```
    pub fn as_str(&self) -> &str {
        match self {
            LeadStatus::Live => "live",
            LeadStatus::OneOff => "one_off",
            LeadStatus::Other(s) => s,
        }
    }
}

impl From<&str> for LeadStatus {
    fn from(s: &str) -> Self {
        match s {
            "live" => LeadStatus::Live,
            "one_off" => LeadStatus::OneOff,
            other => LeadStatus::Other(other.to_owned()),
        }
    }
}

/// A lead: a person to call, enrolled in one schedule.
///
/// # Example
/// ```
/// use dialgate::{Lead, LeadStatus};
/// let ann = Lead::live("lead-ann", "acme", "sch-solar", "+17195551234");
/// assert_eq!(ann.status, LeadStatus::Live);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Lead {
    /// The lead's id.
    pub id: String,
    /// The company that owns it.
    pub company_id: String,
    /// The schedule it belongs to.
    pub schedule_id: String,
    /// The number as written; read in the company's region when dialled.
    pub number: String,
    /// Live or not.
    pub status: LeadStatus,
    /// The lead's data, under the request's data when routing.
    pub data: Data,
}

impl Lead {
    /// A live lead with no data.
    ///
    /// # Example
    /// ```
    /// use dialgate::Lead;
    /// let ann = Lead::live("lead-ann", "acme", "sch-solar", "(719) 555-1234");
    /// assert!(ann.status.is_live() && ann.data.is_empty());
    /// assert_eq!(ann.number, "(719) 555-1234");
    /// ```
    pub fn live(id: &str, company_id: &str, schedule_id: &str, number: &str) -> Lead {
        Lead {
            id: id.to_owned(),
            company_id: company_id.to_owned(),
            schedule_id: schedule_id.to_owned(),
            number: number.to_owned(),
            status: LeadStatus::Live,
            data: Data::new(),
        }
    }
}

/// What a suppression entry matches.
///
/// # Example
/// ```
/// use dialgate::{E164, SuppressionMatch};
/// let n = E164::from_digits(13035550188).unwrap();
/// assert!(SuppressionMatch::prefix("+1303555").unwrap().matches(n));
/// assert!(SuppressionMatch::Number(n).matches(n));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SuppressionMatch {
    /// Exactly this number.
    Number(crate::phone::E164),
    /// Every number whose E.164 text starts with these digits.
    Prefix {
        /// The prefix's digits as an integer.
        digits: u64,
        /// How many digits the prefix has.
        len: u32,
    },
}

impl SuppressionMatch {
    /// A prefix from its E.164 text (`+` and 1 to 15 digits); `None` for
    /// anything else.
    ///
    /// # Example
    /// ```
    /// use dialgate::SuppressionMatch;
    /// assert_eq!(SuppressionMatch::prefix("+1900"), Some(SuppressionMatch::Prefix { digits: 1900, len: 4 }));
    /// assert_eq!(SuppressionMatch::prefix("1900"), None);
    /// assert_eq!(SuppressionMatch::prefix("+1-900"), None);
    /// ```
    pub fn prefix(text: &str) -> Option<SuppressionMatch> {
        let digits = text.strip_prefix('+')?;
        if digits.is_empty() || digits.len() > 15 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let len = u32::try_from(digits.len()).ok()?;
        Some(SuppressionMatch::Prefix {
            digits: digits.parse().ok()?,
            len,
        })
    }

    /// Whether `number` is matched.
    ///
    /// # Example
    /// ```
    /// use dialgate::{E164, SuppressionMatch};
    /// let premium = SuppressionMatch::prefix("+1900").unwrap();
    /// assert!(premium.matches(E164::from_digits(19005550100).unwrap()));
    /// assert!(!premium.matches(E164::from_digits(17195551234).unwrap()));
    /// ```
    pub fn matches(&self, number: crate::phone::E164) -> bool {
        match *self {
            SuppressionMatch::Number(n) => n == number,
            SuppressionMatch::Prefix { digits, len } => number.starts_with(digits, len),
        }
    }
}

impl fmt::Display for SuppressionMatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SuppressionMatch::Number(n) => write!(f, "number {n}"),
            SuppressionMatch::Prefix { digits, len } => {
                write!(f, "prefix +{digits:0width$}", width = *len as usize)
            }
        }
    }
}

/// A do-not-call entry.
///
/// # Example
/// ```
/// use dialgate::{E164, Suppression, SuppressionMatch};
/// let entry = Suppression::everywhere(SuppressionMatch::Number(E164::from_digits(17195550000).unwrap()));
/// assert!(entry.company_id.is_none() && entry.expires_at.is_none());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Suppression {
    /// The number or prefix it matches.
    pub matcher: SuppressionMatch,
    /// The company it applies to; `None`: every company.
    pub company_id: Option<String>,
    /// The schedule it applies to; `None`: every schedule of the company.
    pub schedule_id: Option<String>,
    /// The instant it stops matching; `None`: never.
    pub expires_at: Option<DateTime<Utc>>,
}

impl Suppression {
    /// An entry for every company and schedule, never expiring.
    ///
    /// # Example
    /// ```
    /// use dialgate::{Suppression, SuppressionMatch};
    /// let entry = Suppression::everywhere(SuppressionMatch::prefix("+1900").unwrap());
    /// let now = chrono::Utc::now();
    /// assert!(entry.applies("acme", &["sch-solar"], now) && entry.applies("globex", &["sch-roof"], now));
    /// ```
    pub fn everywhere(matcher: SuppressionMatch) -> Suppression {
        Suppression {
            matcher,
            company_id: None,
            schedule_id: None,
            expires_at: None,
        }
    }

    /// Whether the entry is in force at `now` for `company_id` and one of
    /// `schedule_ids` (its number or prefix is not checked here).
    ///
    /// # Example
    /// ```
    /// use dialgate::{E164, Suppression, SuppressionMatch};
    /// let n = E164::from_digits(17195551234).unwrap();
    /// let entry = Suppression { schedule_id: Some("sch-solar".into()), ..Suppression::everywhere(SuppressionMatch::Number(n)) };
    /// let now = chrono::Utc::now();
    /// assert!(entry.applies("acme", &["sch-inbound", "sch-solar"], now));
    /// assert!(!entry.applies("acme", &["sch-roof"], now));
    /// ```
    pub fn applies(&self, company_id: &str, schedule_ids: &[&str], now: DateTime<Utc>) -> bool {
        self.company_id.as_deref().is_none_or(|c| c == company_id)
            && self
                .schedule_id
                .as_deref()
                .is_none_or(|s| schedule_ids.contains(&s))
            && self.expires_at.is_none_or(|t| now < t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data() -> Data {
        Data::from([
            ("s".to_owned(), Scalar::from("abc")),
            ("n".to_owned(), Scalar::from(80202)),
            ("b".to_owned(), Scalar::from(true)),
            ("z".to_owned(), Scalar::Null),
        ])
    }

    fn holds(field: &str, op: ConditionOp) -> bool {
        Condition {
            field: field.to_owned(),
            op,
        }
        .holds(&data())
    }

    #[test]
    fn every_op_compares_text() {
        assert!(holds("n", ConditionOp::Eq("80202".into())));
        assert!(holds("b", ConditionOp::Eq("true".into())));
        assert!(holds("n", ConditionOp::Prefix("80".into())));
        assert!(holds("s", ConditionOp::Prefix("ab".into())));
        assert!(!holds("s", ConditionOp::Prefix("b".into())));
        assert!(holds("s", ConditionOp::In(vec!["x".into(), "abc".into()])));
        assert!(!holds("s", ConditionOp::NotIn(vec!["abc".into()])));
        assert!(holds("s", ConditionOp::Ne("abd".into())));
        assert!(holds("s", ConditionOp::Exists));
    }

    #[test]
    fn missing_and_null_fail_all_but_ne_and_not_in() {
        for field in ["missing", "z"] {
            assert!(!holds(field, ConditionOp::Eq("".into())));
            assert!(!holds(field, ConditionOp::In(vec!["".into()])));
            assert!(!holds(field, ConditionOp::Exists));
            assert!(!holds(field, ConditionOp::Prefix("".into())));
            assert!(holds(field, ConditionOp::Ne("x".into())));
            assert!(holds(field, ConditionOp::NotIn(vec!["x".into()])));
        }
    }

    #[test]
    fn suppression_scope_and_expiry() {
        let now = DateTime::<Utc>::from_timestamp(1_000, 0).unwrap_or_default();
        let entry = Suppression {
            company_id: Some("acme".into()),
            schedule_id: Some("s1".into()),
            expires_at: Some(now),
            ..Suppression::everywhere(SuppressionMatch::Prefix { digits: 1, len: 1 })
        };
        let before = now - chrono::Duration::nanoseconds(1);
        assert!(entry.applies("acme", &["s0", "s1"], before));
        assert!(
            !entry.applies("acme", &["s1"], now),
            "stops matching at the instant"
        );
        assert!(!entry.applies("globex", &["s1"], before));
        assert!(!entry.applies("acme", &["s0"], before));
        assert_eq!(entry.matcher.to_string(), "prefix +1");
    }

    #[test]
    fn prefixes_parse_strictly() {
        assert!(SuppressionMatch::prefix("+1303").is_some());
        for bad in ["1303", "+", "+13a", "+1234567890123456", ""] {
            assert!(SuppressionMatch::prefix(bad).is_none(), "{bad}");
        }
    }
}
