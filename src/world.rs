//! The JSON world the command-line host loads: companies, schedules, leads
//! and suppression entries, checked strictly.

use std::collections::{HashMap, HashSet};
use std::num::NonZeroU32;

use std::fmt;
use std::marker::PhantomData;

use serde::de::value::MapAccessDeserializer;
use serde::de::{Deserializer, MapAccess, Visitor};
use serde::Deserialize;

use crate::clock::Clock;
use crate::model::{
    Company, Condition, ConditionOp, Data, Distribution, Lead, LeadStatus, Scalar, Schedule,
    ScheduleKind, Suppression, SuppressionMatch, DEFAULT_REDIAL_WINDOW_S,
};
use crate::phone::{NumberReader, Region};
use crate::request::ScalarOnly;
use crate::store::{InMemoryLeadStore, InMemoryScheduleStore, InMemorySuppressionList};
use crate::{timefmt, Engine, InMemoryEngine};

/// Why a world does not load: where, and what.
///
/// # Example
/// ```
/// let err = dialgate::World::from_json(r#"{"companies": [{"id": "a", "cps_limit": 0}]}"#).unwrap_err();
/// assert_eq!(err.to_string(), "companies[0] (`a`): `cps_limit` must be at least 1");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct WorldError {
    /// The place and the problem, on one line.
    pub message: String,
}

fn err(place: impl std::fmt::Display, what: impl std::fmt::Display) -> WorldError {
    WorldError {
        message: one_line(&format!("{place}: {what}")),
    }
}

/// The longest quoted piece of input an error repeats, in characters.
pub const MAX_ECHO_CHARS: usize = 48;
/// The longest one-line error, in characters.
pub const MAX_ERROR_CHARS: usize = 400;

/// `text` on one line and short: control characters and the line and
/// paragraph separators (a newline in an id, U+2028) written as escapes, a
/// quoted piece of input (between backticks or double quotes) cut to
/// [`MAX_ECHO_CHARS`] and the whole to [`MAX_ERROR_CHARS`], each cut marked
/// `…`. A 100 MB unknown key must not become a 100 MB line on stderr.
///
/// # Example
/// ```
/// let long = "k".repeat(1000);
/// let line = dialgate::world::one_line(&format!("unknown field `{long}`\u{2028}x"));
/// assert!(line.len() < 100, "{line}");
/// assert!(line.ends_with("…`\\u{2028}x"), "{line}");
/// ```
pub fn one_line(text: &str) -> String {
    let mut out = String::with_capacity(text.len().min(MAX_ERROR_CHARS + 8));
    let mut quote: Option<char> = None;
    let mut quoted = 0usize;
    let mut written = 0usize;
    for c in text.chars() {
        if written >= MAX_ERROR_CHARS {
            out.push('…');
            break;
        }
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {
                quoted += 1;
                if quoted == MAX_ECHO_CHARS + 1 {
                    out.push('…');
                    written += 1;
                }
                if quoted > MAX_ECHO_CHARS {
                    continue;
                }
            }
            None if c == '`' || c == '"' => {
                quote = Some(c);
                quoted = 0;
            }
            None => {}
        }
        if c.is_control() || c == '\u{2028}' || c == '\u{2029}' {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
        written += 1;
    }
    out
}

/// `T` read from a JSON object only. serde's derive also takes an array of
/// the fields in order (`["acme", 5]` as a company), which nobody writing a
/// world by hand means; it is an error here, with its place.
pub(crate) struct Object<T>(pub(crate) T);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Object<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ObjectVisitor<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for ObjectVisitor<T> {
            type Value = T;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
                T::deserialize(MapAccessDeserializer::new(map))
            }
        }
        deserializer
            .deserialize_map(ObjectVisitor(PhantomData))
            .map(Object)
    }
}

/// A field holding one object (see [`Object`]).
pub(crate) fn object<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<T, D::Error> {
    Object::deserialize(d).map(|o| o.0)
}

/// A field holding an array of objects (see [`Object`]).
pub(crate) fn objects<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Vec<T>, D::Error> {
    Vec::<Object<T>>::deserialize(d).map(|v| v.into_iter().map(|o| o.0).collect())
}

/// A field holding an array of objects, or `null`.
fn some_objects<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Vec<T>>, D::Error> {
    Option::<Vec<Object<T>>>::deserialize(d)
        .map(|v| v.map(|v| v.into_iter().map(|o| o.0).collect()))
}

/// A world file as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct WorldFile {
    #[serde(default, deserialize_with = "objects")]
    companies: Vec<CompanyFile>,
    #[serde(default, deserialize_with = "objects")]
    schedules: Vec<ScheduleFile>,
    #[serde(default, deserialize_with = "objects")]
    leads: Vec<LeadFile>,
    #[serde(default, deserialize_with = "objects")]
    suppressions: Vec<SuppressionFile>,
    #[serde(default, deserialize_with = "objects")]
    registries: Vec<RegistryFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RegistryFile {
    name: String,
    file: String,
    #[serde(default)]
    company_ids: Option<Vec<String>>,
    #[serde(default)]
    max_age_days: Option<u32>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CompanyFile {
    id: String,
    cps_limit: u32,
    #[serde(default)]
    default_region: Option<String>,
    #[serde(default)]
    redial_window_s: Option<u32>,
    #[serde(default)]
    calling_rules: Option<serde_json::Value>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ScheduleFile {
    id: String,
    company_id: String,
    lead_token: String,
    #[serde(default)]
    active: Option<bool>,
    #[serde(default)]
    kind: Option<String>,
    #[serde(default, deserialize_with = "some_objects")]
    distributions: Option<Vec<DistributionFile>>,
    #[serde(default)]
    calling_hours: Option<serde_json::Value>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DistributionFile {
    id: String,
    target_schedule_id: String,
    #[serde(default)]
    active: Option<bool>,
    #[serde(default, deserialize_with = "objects")]
    when: Vec<ConditionFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConditionFile {
    field: String,
    op: String,
    #[serde(default)]
    value: Option<Box<serde_json::value::RawValue>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LeadFile {
    id: String,
    company_id: String,
    schedule_id: String,
    number: String,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    data: Option<HashMap<String, ScalarOnly>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SuppressionFile {
    #[serde(default)]
    number: Option<String>,
    #[serde(default)]
    prefix: Option<String>,
    #[serde(default)]
    company_id: Option<String>,
    #[serde(default)]
    schedule_id: Option<String>,
    #[serde(default)]
    expires_at: Option<String>,
}

/// A loaded world: its companies and the in-memory stores.
///
/// # Example
/// ```
/// use dialgate::{FakeClock, MakeCallRequest, World};
/// let world = World::from_json(r#"{
///   "companies": [{"id": "acme", "cps_limit": 5}],
///   "schedules": [{"id": "sch-solar", "company_id": "acme", "lead_token": "tok-solar"}]
/// }"#).unwrap();
/// let acme = world.company("acme").unwrap().clone();
/// let engine = world.into_engine(FakeClock::at("2026-11-26T15:00:00Z").unwrap());
/// let call = engine.make_call(&acme, &MakeCallRequest::for_schedule("sch-solar", "+17195557777")).unwrap();
/// assert_eq!(call.call().to.to_string(), "+17195557777");
/// ```
#[derive(Debug)]
pub struct World {
    companies: HashMap<String, Company>,
    registries: Vec<crate::RegistrySpec>,
    leads: InMemoryLeadStore,
    schedules: InMemoryScheduleStore,
    suppressions: InMemorySuppressionList,
    numbers: NumberReader,
}

impl World {
    /// Reads a world from JSON text.
    ///
    /// # Errors
    /// A [`WorldError`] naming the place: malformed JSON or an unknown key
    /// (with line and column), a duplicate id or token, a record whose company
    /// or schedule does not exist, a value out of range.
    ///
    /// # Example
    /// ```
    /// use dialgate::World;
    /// let world = World::from_json(r#"{"companies": [{"id": "acme", "cps_limit": 5}]}"#).unwrap();
    /// assert_eq!(world.companies().len(), 1);
    /// let err = World::from_json(r#"{"companies": [], "planets": []}"#).unwrap_err();
    /// assert!(err.message.contains("planets"));
    /// ```
    pub fn from_json(text: &str) -> Result<World, WorldError> {
        let file: WorldFile = serde_json::from_str::<Object<_>>(text)
            .map(|o| o.0)
            .map_err(|e| WorldError {
                message: one_line(&e.to_string()),
            })?;
        World::from_file(file)
    }

    /// The company with this id.
    ///
    /// # Example
    /// ```
    /// let world = dialgate::World::from_json(r#"{"companies": [{"id": "acme", "cps_limit": 5, "redial_window_s": 60}]}"#).unwrap();
    /// assert_eq!(world.company("acme").unwrap().redial_window_s, 60);
    /// assert!(world.company("globex").is_none());
    /// ```
    pub fn company(&self, id: &str) -> Option<&Company> {
        self.companies.get(id)
    }

    /// Every company, by id.
    ///
    /// # Example
    /// ```
    /// let world = dialgate::World::from_json(r#"{"companies": [{"id": "acme", "cps_limit": 5}, {"id": "globex", "cps_limit": 2}]}"#).unwrap();
    /// let mut ids: Vec<&str> = world.companies().keys().map(String::as_str).collect();
    /// ids.sort();
    /// assert_eq!(ids, ["acme", "globex"]);
    /// ```
    pub fn companies(&self) -> &HashMap<String, Company> {
        &self.companies
    }

    /// The registry lists the world names (its `registries`), to be opened
    /// by a host that reads files; see [`crate::host::Host::with_registries`].
    ///
    /// # Example
    /// ```
    /// let world = dialgate::World::from_json(r#"{"registries": [{"name": "federal", "file": "dnc.reg"}]}"#).unwrap();
    /// assert_eq!(world.registries()[0].name, "federal");
    /// ```
    pub fn registries(&self) -> &[crate::RegistrySpec] {
        &self.registries
    }

    /// An engine over this world's stores. Registry lists are not opened:
    /// each the world names refuses the calls it applies to (see
    /// [`crate::registry::NotLoaded`]).
    ///
    /// # Example
    /// ```
    /// use dialgate::{FakeClock, MakeCallRequest, World};
    /// let world = World::from_json(r#"{"companies": [{"id": "acme", "cps_limit": 5}],
    ///   "schedules": [{"id": "sch-solar", "company_id": "acme", "lead_token": "tok-solar"}]}"#).unwrap();
    /// let acme = world.company("acme").unwrap().clone();
    /// let engine = world.into_engine(FakeClock::at("2026-11-26T15:00:00Z").unwrap());
    /// assert!(engine.dry_run(&acme, &MakeCallRequest::for_token("tok-solar", "+17195557777")).is_ok());
    /// ```
    pub fn into_engine(self, clock: impl Clock + 'static) -> InMemoryEngine {
        self.into_parts(clock).1
    }

    /// The companies and an engine over this world's stores.
    ///
    /// # Example
    /// ```
    /// use dialgate::{MakeCallRequest, SystemClock, World};
    /// let world = World::from_json(r#"{"companies": [{"id": "acme", "cps_limit": 5}],
    ///   "schedules": [{"id": "sch-solar", "company_id": "acme", "lead_token": "tok-solar"}]}"#).unwrap();
    /// let (companies, engine) = world.into_parts(SystemClock);
    /// let plan = engine.dry_run(&companies["acme"], &MakeCallRequest::for_schedule("sch-solar", "+17195557777")).unwrap();
    /// assert_eq!(plan.company_id, "acme");
    /// ```
    pub fn into_parts(
        self,
        clock: impl Clock + 'static,
    ) -> (HashMap<String, Company>, InMemoryEngine) {
        let World {
            companies,
            registries,
            leads,
            schedules,
            suppressions,
            numbers,
        } = self;
        let engine = Engine::new(leads, schedules, suppressions, clock).with_number_reader(numbers);
        let not_loaded = registries
            .into_iter()
            .map(|spec| std::sync::Arc::new(crate::registry::NotLoaded(spec)) as _)
            .collect();
        (companies, engine.with_registries(not_loaded))
    }

    pub(crate) fn from_file(file: WorldFile) -> Result<World, WorldError> {
        let numbers = NumberReader::new();
        let mut companies = HashMap::new();
        for (i, c) in file.companies.into_iter().enumerate() {
            let place = format!("companies[{i}] (`{}`)", c.id);
            id_ok("id", &c.id).map_err(|what| err(&place, what))?;
            let company = company(c).map_err(|what| err(&place, what))?;
            if companies.contains_key(&company.id) {
                return Err(err(place, "duplicate company id"));
            }
            companies.insert(company.id.clone(), company);
        }

        let mut schedules = InMemoryScheduleStore::new();
        let mut schedule_ids = HashSet::new();
        for (i, s) in file.schedules.into_iter().enumerate() {
            let place = format!("schedules[{i}] (`{}`)", s.id);
            id_ok("id", &s.id)
                .and_then(|()| id_ok("lead_token", &s.lead_token))
                .map_err(|what| err(&place, what))?;
            if !schedule_ids.insert(s.id.clone()) {
                return Err(err(place, "duplicate schedule id"));
            }
            if !companies.contains_key(&s.company_id) {
                return Err(err(
                    place,
                    format_args!("company `{}` does not exist", s.company_id),
                ));
            }
            let schedule = schedule(s).map_err(|what| err(&place, what))?;
            schedules
                .insert_loading(schedule)
                .map_err(|e| err(&place, e))?;
        }

        let leads = InMemoryLeadStore::new();
        let mut lead_ids = HashSet::new();
        for (i, l) in file.leads.into_iter().enumerate() {
            let place = format!("leads[{i}] (`{}`)", l.id);
            id_ok("id", &l.id).map_err(|what| err(&place, what))?;
            let Some(company) = companies.get(&l.company_id) else {
                return Err(err(
                    place,
                    format_args!("company `{}` does not exist", l.company_id),
                ));
            };
            if crate::ScheduleStore::schedule(&schedules, &l.company_id, &l.schedule_id)
                .ok()
                .flatten()
                .is_none()
            {
                return Err(err(
                    place,
                    format_args!(
                        "schedule `{}` does not exist in company `{}`",
                        l.schedule_id, l.company_id
                    ),
                ));
            }
            if !lead_ids.insert(l.id.clone()) {
                return Err(err(place, "duplicate lead id"));
            }
            let lead = Lead {
                status: LeadStatus::from(l.status.as_deref().unwrap_or("live")),
                data: l
                    .data
                    .unwrap_or_default()
                    .into_iter()
                    .map(|(k, v)| (k, v.0))
                    .collect::<Data>(),
                id: l.id,
                company_id: l.company_id,
                schedule_id: l.schedule_id,
                number: l.number,
            };
            leads
                .insert(lead, company.default_region, &numbers)
                .map_err(|e| err(&place, e))?;
        }

        let suppressions = InMemorySuppressionList::new();
        for (i, s) in file.suppressions.into_iter().enumerate() {
            let place = format!("suppressions[{i}]");
            let entry = suppression(s, &companies, &numbers).map_err(|what| err(&place, what))?;
            suppressions.insert(entry);
        }

        let mut registries: Vec<crate::RegistrySpec> = Vec::new();
        for (i, r) in file.registries.into_iter().enumerate() {
            let place = format!("registries[{i}] (`{}`)", r.name);
            id_ok("name", &r.name).map_err(|what| err(&place, what))?;
            if r.file.is_empty() {
                return Err(err(place, "`file` is empty"));
            }
            if registries.iter().any(|s| s.name == r.name) {
                return Err(err(place, "duplicate registry name"));
            }
            if r.max_age_days == Some(0) {
                return Err(err(place, "`max_age_days` must be at least 1"));
            }
            for id in r.company_ids.iter().flatten() {
                if !companies.contains_key(id) {
                    return Err(err(place, format_args!("company `{id}` does not exist")));
                }
            }
            registries.push(crate::RegistrySpec {
                name: r.name,
                file: r.file,
                company_ids: r.company_ids,
                max_age_days: r.max_age_days,
            });
        }

        Ok(World {
            companies,
            registries,
            leads,
            schedules,
            suppressions,
            numbers,
        })
    }
}

/// An id or token a request can name: non-empty, at most
/// [`MAX_ID_BYTES`](crate::pipeline::shape::MAX_ID_BYTES) bytes.
fn id_ok(field: &str, id: &str) -> Result<(), String> {
    let max = crate::pipeline::shape::MAX_ID_BYTES;
    if id.is_empty() {
        return Err(format!("`{field}` is empty"));
    }
    if id.len() > max {
        return Err(format!(
            "`{field}` is longer than {max} bytes: no request could name it"
        ));
    }
    Ok(())
}

fn company(c: CompanyFile) -> Result<Company, String> {
    let cps_limit = NonZeroU32::new(c.cps_limit).ok_or("`cps_limit` must be at least 1")?;
    let redial_window_s = c.redial_window_s.unwrap_or(DEFAULT_REDIAL_WINDOW_S);
    if redial_window_s > crate::clock::MAX_WINDOW_S {
        return Err(format!(
            "`redial_window_s` is over {} s (ten years), the longest window supported",
            crate::clock::MAX_WINDOW_S
        ));
    }
    let default_region = match c.default_region {
        None => Region::US,
        Some(code) => code.parse::<Region>().map_err(|e| e.to_string())?,
    };
    let calling_rules = match &c.calling_rules {
        None => None,
        Some(v) => Some(std::sync::Arc::new(
            crate::calling::CallingRules::from_json(v).map_err(|e| {
                format!(
                    "calling_rules{}{e}",
                    if e.place.is_empty() { ": " } else { "." }
                )
            })?,
        )),
    };
    Ok(Company {
        id: c.id,
        cps_limit,
        default_region,
        redial_window_s,
        calling_rules,
    })
}

fn schedule(s: ScheduleFile) -> Result<Schedule, String> {
    let kind = match (s.kind.as_deref().unwrap_or("dialer"), s.distributions) {
        ("dialer", None) => ScheduleKind::Dialer,
        ("dialer", Some(_)) => {
            return Err("a dialer has no `distributions` (only a router does)".into())
        }
        ("router", distributions) => {
            let mut ids = HashSet::new();
            let mut out = Vec::new();
            for (i, d) in distributions.unwrap_or_default().into_iter().enumerate() {
                id_ok("id", &d.id).map_err(|e| format!("distributions[{i}]: {e}"))?;
                if !ids.insert(d.id.clone()) {
                    return Err(format!(
                        "distributions[{i}]: duplicate distribution id `{}`",
                        d.id
                    ));
                }
                let when = d
                    .when
                    .into_iter()
                    .enumerate()
                    .map(|(j, c)| {
                        condition(c).map_err(|e| format!("distributions[{i}].when[{j}]: {e}"))
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                out.push(Distribution {
                    id: d.id,
                    target_schedule_id: d.target_schedule_id,
                    active: d.active.unwrap_or(true),
                    when,
                });
            }
            ScheduleKind::Router(out)
        }
        (other, _) => return Err(format!("`kind` is `{other}`, not `dialer` or `router`")),
    };
    let calling_hours = match &s.calling_hours {
        None => None,
        Some(v) => Some(crate::calling::Hours::from_json(v).map_err(|e| {
            format!(
                "calling_hours{}{e}",
                if e.place.is_empty() { ": " } else { "." }
            )
        })?),
    };
    Ok(Schedule {
        id: s.id,
        company_id: s.company_id,
        lead_token: s.lead_token,
        active: s.active.unwrap_or(true),
        kind,
        calling_hours,
    })
}

fn scalar_text(v: &serde_json::value::RawValue) -> Result<String, String> {
    let scalar: Scalar = crate::request::scalar_from_raw(v.get())
        .map_err(|_| format!("`{}` is not a scalar", v.get()))?;
    scalar
        .text()
        .map(|t| t.into_owned())
        .ok_or_else(|| "null is not a value to compare".to_owned())
}

fn condition(c: ConditionFile) -> Result<Condition, String> {
    let one = |v: &Option<Box<serde_json::value::RawValue>>| match v {
        Some(v) => scalar_text(v),
        None => Err(format!("`{}` needs a `value`", c.op)),
    };
    let many = |v: &Option<Box<serde_json::value::RawValue>>| {
        let items = v
            .as_ref()
            .and_then(|v| {
                serde_json::from_str::<Vec<Box<serde_json::value::RawValue>>>(v.get()).ok()
            })
            .ok_or_else(|| format!("`{}` needs an array `value`", c.op))?;
        items
            .iter()
            .map(|i| scalar_text(i))
            .collect::<Result<Vec<String>, String>>()
    };
    let op = match c.op.as_str() {
        "eq" => ConditionOp::Eq(one(&c.value)?),
        "ne" => ConditionOp::Ne(one(&c.value)?),
        "prefix" => ConditionOp::Prefix(one(&c.value)?),
        "in" => ConditionOp::In(many(&c.value)?),
        "not_in" => ConditionOp::NotIn(many(&c.value)?),
        "exists" if c.value.is_none() => ConditionOp::Exists,
        "exists" => return Err("`exists` takes no `value`".into()),
        other => {
            return Err(format!(
                "`op` is `{other}`, not one of `eq`, `ne`, `in`, `not_in`, `exists`, `prefix`"
            ))
        }
    };
    Ok(Condition { field: c.field, op })
}

fn suppression(
    s: SuppressionFile,
    companies: &HashMap<String, Company>,
    numbers: &NumberReader,
) -> Result<Suppression, String> {
    let region = match &s.company_id {
        Some(id) => companies
            .get(id)
            .map(|c| c.default_region)
            .ok_or_else(|| format!("company `{id}` does not exist"))?,
        None => Region::US,
    };
    let matcher = match (s.number, s.prefix) {
        (Some(number), None) => SuppressionMatch::Number(
            numbers
                .read(&number, region)
                .map_err(|e| format!("`number` `{number}`: {e}"))?,
        ),
        (None, Some(prefix)) => SuppressionMatch::prefix(&prefix)
            .ok_or_else(|| format!("`prefix` `{prefix}` is not `+` and 1 to 15 digits"))?,
        _ => return Err("give exactly one of `number` or `prefix`".into()),
    };
    let expires_at = s.expires_at.as_deref().map(timefmt::parse).transpose()?;
    Ok(Suppression {
        matcher,
        company_id: s.company_id,
        schedule_id: s.schedule_id,
        expires_at,
    })
}
