//! What an admitted decision says: the guards, the route, the plan and the
//! Call record.

use chrono::{DateTime, Utc};
use serde::ser::{SerializeSeq, Serializer};
use serde::Serialize;

use crate::model::Data;
use crate::phone::E164;
use crate::timefmt;

/// The contract's twelve steps, in the order they run.
///
/// # Example
/// ```
/// use dialgate::Guard;
/// assert_eq!(Guard::ALL.len(), 12);
/// assert_eq!(Guard::ALL[0].name(), "shape");
/// assert!(Guard::Route < Guard::Cps);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Guard {
    /// The request's shape rules.
    Shape,
    /// The lead or schedule exists in the caller's company.
    Resolve,
    /// The resolved schedule is active.
    Active,
    /// Routers send the request on to a dialing schedule.
    Route,
    /// The number reads as a valid number.
    Number,
    /// An existing lead is reused, or a one-off lead planned.
    Lead,
    /// No do-not-call entry matches.
    Suppression,
    /// The decision time is inside the calling window in every zone of the
    /// number (checked when calling rules apply).
    CallingWindow,
    /// No one-off lead for the same number is being created.
    ConcurrentLead,
    /// The number was not dialled inside the redial window.
    RedialWindow,
    /// Every rolling call cap on the number has room (checked when calling
    /// rules apply).
    CallCap,
    /// The company is within its calls-per-second limit.
    Cps,
}

impl Guard {
    /// Every guard, in order.
    ///
    /// # Example
    /// ```
    /// use dialgate::Guard;
    /// assert_eq!(Guard::ALL.first(), Some(&Guard::Shape));
    /// assert_eq!(Guard::ALL.last(), Some(&Guard::Cps));
    /// assert!(Guard::ALL.windows(2).all(|w| w[0] < w[1]));
    /// ```
    pub const ALL: [Guard; 12] = [
        Guard::Shape,
        Guard::Resolve,
        Guard::Active,
        Guard::Route,
        Guard::Number,
        Guard::Lead,
        Guard::Suppression,
        Guard::CallingWindow,
        Guard::ConcurrentLead,
        Guard::RedialWindow,
        Guard::CallCap,
        Guard::Cps,
    ];

    /// The guards of the pure pipeline (steps 1 to 8), which read state and
    /// change nothing.
    ///
    /// # Example
    /// ```
    /// use dialgate::Guard;
    /// assert_eq!(Guard::PIPELINE[..], Guard::ALL[..8]);
    /// assert!(!Guard::PIPELINE.contains(&Guard::Cps));
    /// ```
    pub const PIPELINE: [Guard; 8] = [
        Guard::Shape,
        Guard::Resolve,
        Guard::Active,
        Guard::Route,
        Guard::Number,
        Guard::Lead,
        Guard::Suppression,
        Guard::CallingWindow,
    ];

    /// The guard's name as the Call record lists it.
    ///
    /// # Example
    /// ```
    /// use dialgate::Guard;
    /// assert_eq!(Guard::RedialWindow.name(), "redial_window");
    /// assert_eq!(Guard::ConcurrentLead.name(), "concurrent_lead");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            Guard::Shape => "shape",
            Guard::Resolve => "resolve",
            Guard::Active => "active",
            Guard::Route => "route",
            Guard::Number => "number",
            Guard::Lead => "lead",
            Guard::Suppression => "suppression",
            Guard::CallingWindow => "calling_window",
            Guard::ConcurrentLead => "concurrent_lead",
            Guard::RedialWindow => "redial_window",
            Guard::CallCap => "call_cap",
            Guard::Cps => "cps",
        }
    }
}

impl Serialize for Guard {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

/// One router hop: the router and the distribution it took.
///
/// # Example
/// ```
/// let hop = dialgate::RouteHop { schedule_id: "sch-router".into(), distribution_id: "d-fb".into() };
/// assert_eq!(serde_json::to_value(&hop).unwrap()["distribution_id"], "d-fb");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RouteHop {
    /// The router.
    pub schedule_id: String,
    /// The distribution taken.
    pub distribution_id: String,
}

/// Whether the dialled lead existed or is created for this call.
///
/// # Example
/// ```
/// assert_eq!(dialgate::LeadOrigin::OneOff.as_str(), "one_off");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LeadOrigin {
    /// A lead that was in the store: named by `lead_id`, or a live lead of
    /// the dialing schedule with the same number (the promote case).
    Existing,
    /// A lead created for this call, not enrolled in the cadence.
    OneOff,
}

impl LeadOrigin {
    /// The origin as the Call record writes it.
    ///
    /// # Example
    /// ```
    /// use dialgate::LeadOrigin;
    /// assert_eq!(LeadOrigin::Existing.as_str(), "existing");
    /// assert_eq!(serde_json::to_value(LeadOrigin::OneOff).unwrap(), LeadOrigin::OneOff.as_str());
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            LeadOrigin::Existing => "existing",
            LeadOrigin::OneOff => "one_off",
        }
    }
}

/// The pure pipeline's answer: what would be dialled, before admission.
///
/// # Example
/// ```
/// # use dialgate::*;
/// # let (engine, company) = dialgate::doc_example();
/// let plan = engine.dry_run(&company, &MakeCallRequest::for_lead("lead-ann")).unwrap();
/// assert_eq!(plan.to.to_string(), "+17195551234");
/// assert_eq!(plan.guards, Guard::PIPELINE);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    /// The caller's company.
    pub company_id: String,
    /// The dialing schedule: the last schedule of the route.
    pub schedule_id: String,
    /// The router hops taken, empty when none.
    pub route: Vec<RouteHop>,
    /// The existing lead, or `None` when a one-off lead is to be created.
    pub lead_id: Option<String>,
    /// Existing or one-off.
    pub lead_origin: LeadOrigin,
    /// The number to dial.
    pub to: E164,
    /// The routing data.
    pub data: Data,
    /// The decision time.
    pub decided_at: DateTime<Utc>,
    /// What the calling-window guard found (zones, states), when calling
    /// rules apply.
    pub calling_window: Option<crate::calling::WindowFound>,
    /// The guards passed, in order.
    pub guards: Vec<Guard>,
}

/// An admitted call, as the contract's Call record.
///
/// # Example
/// ```
/// # use dialgate::*;
/// # let (engine, company) = dialgate::doc_example();
/// let admitted = engine.make_call(&company, &MakeCallRequest::for_lead("lead-ann")).unwrap();
/// let json = admitted.call().to_json();
/// assert_eq!(json["ok"], true);
/// assert_eq!(json["call"]["lead_origin"], "existing");
/// assert_eq!(json["call"]["guards"].as_array().unwrap().len(), 12);
/// ```
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Call {
    /// Unique id of the call.
    pub id: String,
    /// The caller's company.
    pub company_id: String,
    /// The dialing schedule.
    pub schedule_id: String,
    /// Router hops taken.
    pub route: Vec<RouteHop>,
    /// The lead dialled (for a one-off lead, the id it is stored under).
    pub lead_id: String,
    /// Existing or one-off.
    pub lead_origin: LeadOrigin,
    /// The number, E.164.
    #[serde(serialize_with = "display")]
    pub to: E164,
    /// The routing data.
    pub data: Data,
    /// The decision time.
    #[serde(serialize_with = "time")]
    pub placed_at: DateTime<Utc>,
    /// The guards passed, in order.
    #[serde(serialize_with = "guards")]
    pub guards: Vec<Guard>,
}

impl Call {
    /// The success line: `{"ok": true, "call": CALL}`.
    ///
    /// # Example
    /// ```
    /// # use dialgate::*;
    /// # let (engine, company) = dialgate::doc_example();
    /// let line = engine.make_call(&company, &MakeCallRequest::for_lead("lead-ann")).unwrap().call().to_json();
    /// assert_eq!(line["call"]["lead_id"], "lead-ann");
    /// assert_eq!(line["call"]["to"], "+17195551234");
    /// assert_eq!(line["call"]["guards"][11], "cps");
    /// ```
    pub fn to_json(&self) -> serde_json::Value {
        let call = serde_json::to_value(self).unwrap_or(serde_json::Value::Null);
        serde_json::json!({"ok": true, "call": call})
    }
}

fn display<S: Serializer>(n: &E164, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(n)
}

fn time<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&timefmt::rfc3339(*t))
}

fn guards<S: Serializer>(g: &[Guard], s: S) -> Result<S::Ok, S::Error> {
    let mut seq = s.serialize_seq(Some(g.len()))?;
    for guard in g {
        seq.serialize_element(guard.name())?;
    }
    seq.end()
}
