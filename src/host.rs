//! The command-line host's engine room: steps of a JSON stream run against a
//! world on a fake clock, and scenario files checked against expectations.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{json, Value};

use crate::engine::Admitted;
use crate::model::Company;
use crate::request::MakeCallRequest;
use crate::world::{object, objects, one_line, Object, World, WorldFile};
use crate::{timefmt, FakeClock, InMemoryEngine};

/// One step of a steps file or scenario, as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct StepFile {
    at: String,
    #[serde(default)]
    company_id: Option<String>,
    #[serde(default)]
    make_call: Option<Box<RawValue>>,
    #[serde(default)]
    begin: Option<Box<RawValue>>,
    #[serde(default)]
    label: Option<String>,
    #[serde(default)]
    commit: Option<String>,
    #[serde(default)]
    release: Option<String>,
    #[serde(default)]
    expect: Option<Value>,
}

/// A scenario file: a world, and steps with expectations.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ScenarioFile {
    #[serde(default)]
    #[allow(dead_code)]
    name: Option<String>,
    #[serde(deserialize_with = "object")]
    world: WorldFile,
    #[serde(deserialize_with = "objects")]
    steps: Vec<StepFile>,
}

/// Runs steps against one world, in time order.
///
/// # Example
/// ```
/// use dialgate::host::Host;
/// let world = dialgate::World::from_json(r#"{"companies": [{"id": "acme", "cps_limit": 1}],
///   "schedules": [{"id": "s", "company_id": "acme", "lead_token": "t"}]}"#).unwrap();
/// let mut host = Host::new(world);
/// let out = host.step_json(r#"{"at": "2026-11-26T15:00:00Z", "company_id": "acme", "make_call": {"schedule_id": "s", "to": "+17195557777"}}"#).unwrap();
/// assert_eq!(out["ok"], true);
/// let out = host.step_json(r#"{"at": "2026-11-26T15:00:00Z", "company_id": "acme", "make_call": {"schedule_id": "s", "to": "+17195557778"}}"#).unwrap();
/// assert_eq!(out["error"]["code"], "cps_exceeded");
/// assert!(host.step_json(r#"{"at": "2026-11-26T14:00:00Z", "commit": "x"}"#).unwrap_err().contains("backwards"));
/// ```
#[derive(Debug)]
pub struct Host {
    engine: InMemoryEngine,
    companies: HashMap<String, Company>,
    clock: FakeClock,
    open: HashMap<String, Admitted>,
    last_at: Option<DateTime<Utc>>,
}

impl Host {
    /// A host over `world`, its clock at the Unix epoch until the first step.
    ///
    /// # Example
    /// ```
    /// use dialgate::{host::Host, World};
    /// let mut host = Host::new(World::from_json(r#"{"companies": [{"id": "acme", "cps_limit": 5}]}"#).unwrap());
    /// let out = host.step_json(r#"{"at": "2026-11-26T15:00:00Z", "company_id": "acme", "make_call": {"lead_id": "lead-ann"}}"#).unwrap();
    /// assert_eq!(out["error"]["code"], "unknown_lead");
    /// ```
    pub fn new(world: World) -> Host {
        let clock = FakeClock::new(DateTime::UNIX_EPOCH);
        let (companies, engine) = world.into_parts(clock.clone());
        let engine = engine.with_one_off_leads_stored();
        Host {
            engine,
            companies,
            clock,
            open: HashMap::new(),
            last_at: None,
        }
    }

    /// A host over `world` whose registry lists are opened by `open`.
    ///
    /// # Errors
    /// The first list that does not open: `registries[i] (`name`): why`.
    ///
    /// # Example
    /// ```
    /// use dialgate::{host::Host, registry::NotLoaded, World};
    /// let world = World::from_json(r#"{"companies": [{"id": "acme", "cps_limit": 5}], "registries": [{"name": "federal", "file": "dnc.reg"}]}"#).unwrap();
    /// let err = Host::with_registries(world, &|spec| Err(format!("{}: cannot read", spec.file))).unwrap_err();
    /// assert_eq!(err, "registries[0] (`federal`): dnc.reg: cannot read");
    /// ```
    pub fn with_registries(
        world: World,
        open: &crate::registry::RegistryOpener<'_>,
    ) -> Result<Host, String> {
        let lists = world
            .registries()
            .iter()
            .enumerate()
            .map(|(i, spec)| {
                open(spec).map_err(|e| format!("registries[{i}] (`{}`): {e}", spec.name))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let mut host = Host::new(world);
        host.engine = host.engine.with_registries(lists);
        Ok(host)
    }

    /// Uses this admission state (a shared one, or one that can fail) in
    /// place of in-process admission.
    ///
    /// # Example
    /// ```
    /// use dialgate::{host::Host, LocalAdmission, World};
    /// let host = Host::new(World::from_json(r#"{"companies": []}"#).unwrap())
    ///     .with_admission(std::sync::Arc::new(LocalAdmission::new()));
    /// # let _ = host;
    /// ```
    pub fn with_admission(self, admission: std::sync::Arc<dyn crate::Admission>) -> Host {
        Host {
            engine: self.engine.with_admission(admission),
            ..self
        }
    }

    /// Runs one step given as JSON text and returns its output line.
    ///
    /// # Errors
    /// A one-line message for a step that is not valid input: malformed JSON,
    /// an unknown key, no or several actions, an unknown company, a time
    /// before the previous step's.
    ///
    /// # Example
    /// ```
    /// use dialgate::{host::Host, World};
    /// let mut host = Host::new(World::from_json(r#"{"companies": [{"id": "acme", "cps_limit": 5}],
    ///   "schedules": [{"id": "sch-solar", "company_id": "acme", "lead_token": "tok-solar"}]}"#).unwrap());
    /// let out = host.step_json(r#"{"at": "2026-11-26T15:00:00Z", "company_id": "acme", "label": "c1", "begin": {"schedule_id": "sch-solar", "to": "+17195551234"}}"#).unwrap();
    /// assert_eq!(out["call"]["lead_origin"], "one_off");
    /// assert_eq!(host.step_json(r#"{"at": "2026-11-26T15:00:01Z", "commit": "c1"}"#).unwrap()["ok"], true);
    /// ```
    pub fn step_json(&mut self, text: &str) -> Result<Value, String> {
        let step: StepFile = serde_json::from_str::<Object<_>>(text)
            .map(|o| o.0)
            .map_err(|e| one_line(&e.to_string()))?;
        self.step(step).map_err(|e| crate::world::one_line(&e))
    }

    pub(crate) fn step(&mut self, step: StepFile) -> Result<Value, String> {
        let at = timefmt::parse(&step.at).map_err(|e| format!("`at`: {e}"))?;
        if !crate::clock::in_range(at) {
            // Window and cap ends are computed in i64 nanoseconds: the range
            // keeps decades of headroom below their end (2262).
            return Err(format!(
                "`at` {} is outside the supported range, {} to {}",
                step.at,
                timefmt::rfc3339(DateTime::from_timestamp_nanos(crate::clock::EARLIEST_NANOS)),
                timefmt::rfc3339(DateTime::from_timestamp_nanos(crate::clock::LATEST_NANOS))
            ));
        }
        if let Some(last) = self.last_at {
            if at < last {
                return Err(format!(
                    "time goes backwards: `at` {} is before the previous step's {}",
                    timefmt::rfc3339(at),
                    timefmt::rfc3339(last)
                ));
            }
        }
        let actions = [
            step.make_call.is_some(),
            step.begin.is_some(),
            step.commit.is_some(),
            step.release.is_some(),
        ];
        if actions.iter().filter(|&&a| a).count() != 1 {
            return Err(
                "a step has exactly one of `make_call`, `begin`, `commit`, `release`".into(),
            );
        }
        if step.label.is_some() != step.begin.is_some() {
            return Err("`label` goes with `begin`, and `begin` needs a `label`".into());
        }
        let needs_company = step.make_call.is_some() || step.begin.is_some();
        if step.company_id.is_some() && !needs_company {
            return Err("`company_id` goes with `make_call` or `begin`".into());
        }
        if let Some(label) = &step.label {
            if self.open.contains_key(label) {
                return Err(format!("label `{label}` is already open"));
            }
        }
        self.last_at = Some(at);
        self.clock.set(at);

        if let Some(label) = step.commit {
            return Ok(self.settle(&label, true));
        }
        if let Some(label) = step.release {
            return Ok(self.settle(&label, false));
        }
        let company_id = step
            .company_id
            .ok_or("`make_call` and `begin` need a `company_id`")?;
        let company = self
            .companies
            .get(&company_id)
            .cloned()
            .ok_or_else(|| format!("company `{company_id}` does not exist in the world"))?;
        let (body, label) = match (step.make_call, step.begin) {
            (Some(body), _) => (body, None),
            (None, Some(body)) => (body, step.label),
            (None, None) => return Err("no action".into()),
        };
        let decided = MakeCallRequest::from_json(body.get().as_bytes())
            .and_then(|request| self.engine.make_call(&company, &request));
        Ok(match decided {
            Err(rejection) => rejection.to_json(),
            Ok(admitted) => {
                let line = admitted.call().to_json();
                match label {
                    Some(label) => {
                        self.open.insert(label, admitted);
                        line
                    }
                    // A commit admission could not take: the step's line
                    // says so instead of the call.
                    None => self.commit(admitted).unwrap_or(line),
                }
            }
        })
    }

    fn settle(&mut self, label: &str, commit: bool) -> Value {
        match self.open.remove(label) {
            None => json!({"ok": false, "error": {
                "code": "unknown_label",
                "message": format!("no open call labelled `{label}`"),
            }}),
            Some(admitted) => {
                let failed = if commit {
                    self.commit(admitted)
                } else {
                    admitted
                        .try_release()
                        .err()
                        .map(|e| settle_failure(&e.error))
                };
                failed.unwrap_or_else(|| json!({"ok": true}))
            }
        }
    }

    /// Commits (the engine stores a one-off lead as the contract says:
    /// status `one_off`, so it is never reused). A commit the admission state could
    /// not take answers the error line to print (the lead is stored anyway:
    /// the call counts as placed).
    fn commit(&mut self, admitted: Admitted) -> Option<Value> {
        admitted
            .try_commit()
            .err()
            .map(|e| settle_failure(&e.error))
    }
}

/// The line for a commit or release the admission state could not take.
fn settle_failure(error: &crate::store::StoreUnavailable) -> Value {
    json!({"ok": false, "error": {
        "code": "unavailable",
        "message": format!("admission is unavailable: {}", error.reason),
    }})
}

/// The outcome of checking one scenario file.
///
/// # Example
/// ```
/// let text = r#"{"world": {"companies": [{"id": "acme", "cps_limit": 5}]},
///   "steps": [{"at": "2026-11-26T15:00:00Z", "company_id": "acme", "make_call": {"lead_id": "lead-ann"}, "expect": {"ok": true}}]}"#;
/// let report = dialgate::host::check_scenario("acme.json", text).unwrap();
/// assert_eq!(report.passed, 0);
/// assert!(report.mismatches[0].starts_with("acme.json: step 1: expected"));
/// ```
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct CheckReport {
    /// Steps whose expectation held.
    pub passed: usize,
    /// One line per step whose expectation did not hold.
    pub mismatches: Vec<String>,
}

/// Runs a scenario file (its text, named `file` in messages) and compares
/// every step that has an `expect`.
///
/// # Errors
/// A one-line message, naming `file` and the place, when the scenario is not
/// valid input.
///
/// # Example
/// ```
/// let text = r#"{"name": "n", "world": {"companies": [{"id": "a", "cps_limit": 1}]},
///   "steps": [{"at": "2026-11-26T15:00:00Z", "company_id": "a", "make_call": {"lead_id": "x"},
///              "expect": {"ok": false, "error": {"code": "unknown_lead"}}}]}"#;
/// let report = dialgate::host::check_scenario("s.json", text).unwrap();
/// assert_eq!(report.passed, 1);
/// assert!(report.mismatches.is_empty());
/// ```
pub fn check_scenario(file: &str, text: &str) -> Result<CheckReport, String> {
    check_scenario_with(file, text, &|spec| {
        Ok(std::sync::Arc::new(crate::registry::NotLoaded(spec.clone())) as _)
    })
}

/// [`check_scenario`] with the scenario world's registry lists opened by
/// `open`.
///
/// # Errors
/// As [`check_scenario`], and a list that does not open.
///
/// # Example
/// ```
/// let report = dialgate::host::check_scenario_with("s.json", r#"{"name": "n", "world": {}, "steps": []}"#, &|_| Err("no files".into())).unwrap();
/// assert_eq!(report.passed, 0);
/// ```
pub fn check_scenario_with(
    file: &str,
    text: &str,
    open: &crate::registry::RegistryOpener<'_>,
) -> Result<CheckReport, String> {
    check_scenario_lines(file, text, open, None).map_err(|e| crate::world::one_line(&e))
}

/// [`check_scenario_with`] deciding admission (steps 9 to 12) in `admission`
/// in place of a fresh in-process one: a fleet admission state under a
/// namespace of its own, say (`check --redis`). Give each scenario an empty
/// admission state, or the scenarios see each other's claims.
///
/// # Errors
/// As [`check_scenario_with`].
///
/// # Example
/// ```
/// use std::sync::Arc;
/// let text = r#"{"world": {"companies": [{"id": "a", "cps_limit": 1}], "schedules": [{"id": "s", "company_id": "a", "lead_token": "t"}]},
///   "steps": [{"at": "2026-11-26T15:00:00Z", "company_id": "a", "make_call": {"schedule_id": "s", "to": "+17195551234"}, "expect": {"ok": true}}]}"#;
/// let admission = Arc::new(dialgate::LocalAdmission::new());
/// let report = dialgate::host::check_scenario_with_admission("s.json", text, &|_| Err("no files".into()), admission.clone()).unwrap();
/// assert_eq!(report.passed, 1);
/// assert_eq!(admission.redial_entries(), 1);
/// ```
pub fn check_scenario_with_admission(
    file: &str,
    text: &str,
    open: &crate::registry::RegistryOpener<'_>,
    admission: std::sync::Arc<dyn crate::Admission>,
) -> Result<CheckReport, String> {
    check_scenario_lines(file, text, open, Some(admission)).map_err(|e| crate::world::one_line(&e))
}

fn check_scenario_lines(
    file: &str,
    text: &str,
    open: &crate::registry::RegistryOpener<'_>,
    admission: Option<std::sync::Arc<dyn crate::Admission>>,
) -> Result<CheckReport, String> {
    let scenario: ScenarioFile = serde_json::from_str::<Object<_>>(text)
        .map(|o| o.0)
        .map_err(|e| format!("{file}: {}", one_line(&e.to_string())))?;
    let world = World::from_file(scenario.world).map_err(|e| format!("{file}: world: {e}"))?;
    let mut host = Host::with_registries(world, open).map_err(|e| format!("{file}: world: {e}"))?;
    if let Some(admission) = admission {
        host = host.with_admission(admission);
    }
    let mut report = CheckReport::default();
    for (i, mut step) in scenario.steps.into_iter().enumerate() {
        let n = i + 1;
        let expect = step.expect.take();
        let got = host
            .step(step)
            .map_err(|e| format!("{file}: steps[{i}] (step {n}): {e}"))?;
        if let Some(expect) = expect {
            if matches(&expect, &got) {
                report.passed += 1;
            } else {
                report
                    .mismatches
                    .push(format!("{file}: step {n}: expected {expect}, got {got}"));
            }
        }
    }
    Ok(report)
}

/// Whether `got` has every key of `expect` with an equal value: objects
/// compare this way recursively, arrays and scalars exactly.
///
/// # Example
/// ```
/// use serde_json::json;
/// use dialgate::host::matches;
/// assert!(matches(&json!({"ok": false, "error": {"code": "x"}}), &json!({"ok": false, "error": {"code": "x", "message": "m"}})));
/// assert!(!matches(&json!({"route": []}), &json!({"route": [1]})));
/// ```
pub fn matches(expect: &Value, got: &Value) -> bool {
    match (expect, got) {
        (Value::Object(e), Value::Object(g)) => e
            .iter()
            .all(|(k, ev)| g.get(k).is_some_and(|gv| matches(ev, gv))),
        _ => expect == got,
    }
}
