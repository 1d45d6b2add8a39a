//! Why a request is refused: one variant per contract code.

use chrono::{DateTime, Utc};

use crate::timefmt;

/// A refused request: the code of the guard that failed, the ids involved and,
/// for the two guards that time clears, when a retry would pass.
///
/// The enum is deliberately not `#[non_exhaustive]`: a new guard is a change
/// to the contract, and a host's `match` (its HTTP status mapping, say)
/// should stop compiling until it decides how to answer the new code.
///
/// # Example
/// ```
/// use dialgate::Rejection;
/// let r = Rejection::UnknownLead { lead_id: "lead-9".into() };
/// assert_eq!(r.code(), "unknown_lead");
/// assert_eq!(r.to_string(), "no lead `lead-9` in this company");
/// assert!(r.retry_at().is_none());
/// ```
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    /// The request breaks a shape rule.
    #[error("invalid request: {reason}")]
    InvalidRequest {
        /// What is wrong, for a human.
        reason: String,
    },
    /// No lead with that id in the caller's company.
    #[error("no lead `{lead_id}` in this company")]
    UnknownLead {
        /// The requested lead id.
        lead_id: String,
    },
    /// No schedule with that id or token in the caller's company.
    #[error("no schedule {what} in this company")]
    ScheduleNotFound {
        /// How the schedule was named: ``id `x` `` or ``token `x` ``, or as a
        /// distribution's target.
        what: String,
    },
    /// A schedule on the route is inactive.
    #[error("schedule `{schedule_id}` is inactive")]
    ScheduleInactive {
        /// The inactive schedule.
        schedule_id: String,
    },
    /// A router had no active distribution whose conditions all hold.
    #[error("router `{schedule_id}` has no active distribution matching the data (tried {tried})")]
    NoMatchingDistribution {
        /// The router.
        schedule_id: String,
        /// The active distributions tried, in order, or `none`.
        tried: String,
    },
    /// The route visits a schedule twice or takes too many hops.
    #[error("routing loop: {route}")]
    RoutingLoop {
        /// The schedules of the route, in order.
        route: String,
    },
    /// The number does not read as a valid number.
    #[error("`{number}` is not a dialable number: {reason}")]
    InvalidNumber {
        /// The text as given, cut to 64 characters.
        number: String,
        /// Why.
        reason: String,
    },
    /// A do-not-call entry matches.
    #[error("{number} is suppressed by {entry}")]
    SuppressedContact {
        /// The number, E.164.
        number: String,
        /// The matching entry, described.
        entry: String,
    },
    /// The decision time is outside the number's calling window.
    #[error("{number} may not be called now: {reason}{}", retry_suffix(*retry_at))]
    OutsideCallingWindow {
        /// The number, E.164.
        number: String,
        /// The zone, the local time and the rule that closed the window.
        reason: String,
        /// When the window next opens in every zone; left out when the zone
        /// is unknown or it does not open within 8 days.
        retry_at: Option<DateTime<Utc>>,
    },
    /// A one-off lead for the same number and schedule is being created.
    #[error("a one-off lead for {number} on schedule `{schedule_id}` is already being created")]
    DuplicateConcurrentLead {
        /// The number, E.164.
        number: String,
        /// The dialing schedule.
        schedule_id: String,
    },
    /// The number was dialled inside the company's redial window.
    #[error("{number} was dialled at {}, inside the {window_s} s redial window{}", timefmt::rfc3339(*dialled_at), retry_suffix(*retry_at))]
    RecentlyDialed {
        /// The number, E.164.
        number: String,
        /// When the blocking dial was admitted.
        dialled_at: DateTime<Utc>,
        /// The window, seconds.
        window_s: u32,
        /// When the window ends (deferred into the calling window); left out
        /// beyond the 8-day horizon.
        retry_at: Option<DateTime<Utc>>,
    },
    /// A rolling cap on calls to the number is full.
    #[error("{number} has {count} calls counting against {rule}{}", retry_suffix(*retry_at))]
    CallCapReached {
        /// The number, E.164.
        number: String,
        /// The rule the cap comes from (the company's, or a state's statute).
        rule: String,
        /// The cap's calls.
        calls: u32,
        /// The cap's period, seconds.
        per_s: u32,
        /// The dials counting at the decision time.
        count: u32,
        /// When every cap has room (deferred into the calling window); left
        /// out beyond the 8-day horizon.
        retry_at: Option<DateTime<Utc>>,
    },
    /// The company is at its calls-per-second limit.
    #[error("company `{company_id}` is at its limit of {cps_limit} calls per second{}", retry_suffix(*retry_at))]
    CpsExceeded {
        /// The company.
        company_id: String,
        /// Its limit.
        cps_limit: u32,
        /// When the limiter would admit the same request (deferred into the
        /// calling window); left out beyond the 8-day horizon.
        retry_at: Option<DateTime<Utc>>,
    },
    /// A store or the admission state could not answer: fail closed at the
    /// step that needed it, nothing claimed.
    #[error("{part} is unavailable: {reason}")]
    Unavailable {
        /// The step that could not run.
        guard: crate::Guard,
        /// What failed (`lead store`, `schedule store`, `suppression list`,
        /// `admission`); never a credential.
        part: String,
        /// Why, for a human; never a credential.
        reason: String,
    },
}

impl Rejection {
    /// Every code [`code`](Self::code) can return, in the contract's step
    /// order.
    ///
    /// # Example
    /// ```
    /// assert_eq!(dialgate::Rejection::CODES.first(), Some(&"invalid_request"));
    /// assert_eq!(dialgate::Rejection::CODES.len(), 14);
    /// ```
    pub const CODES: [&'static str; 14] = [
        "invalid_request",
        "unknown_lead",
        "schedule_not_found",
        "schedule_inactive",
        "no_matching_distribution",
        "routing_loop",
        "invalid_number",
        "suppressed_contact",
        "outside_calling_window",
        "duplicate_concurrent_lead",
        "recently_dialed",
        "call_cap_reached",
        "cps_exceeded",
        "unavailable",
    ];

    /// The contract's code for this rejection.
    ///
    /// # Example
    /// ```
    /// let r = dialgate::Rejection::ScheduleInactive { schedule_id: "s".into() };
    /// assert_eq!(r.code(), "schedule_inactive");
    /// ```
    pub fn code(&self) -> &'static str {
        match self {
            Rejection::InvalidRequest { .. } => "invalid_request",
            Rejection::UnknownLead { .. } => "unknown_lead",
            Rejection::ScheduleNotFound { .. } => "schedule_not_found",
            Rejection::ScheduleInactive { .. } => "schedule_inactive",
            Rejection::NoMatchingDistribution { .. } => "no_matching_distribution",
            Rejection::RoutingLoop { .. } => "routing_loop",
            Rejection::InvalidNumber { .. } => "invalid_number",
            Rejection::SuppressedContact { .. } => "suppressed_contact",
            Rejection::OutsideCallingWindow { .. } => "outside_calling_window",
            Rejection::DuplicateConcurrentLead { .. } => "duplicate_concurrent_lead",
            Rejection::RecentlyDialed { .. } => "recently_dialed",
            Rejection::CallCapReached { .. } => "call_cap_reached",
            Rejection::CpsExceeded { .. } => "cps_exceeded",
            Rejection::Unavailable { .. } => "unavailable",
        }
    }

    /// The guard that refused.
    ///
    /// # Example
    /// ```
    /// use dialgate::{Guard, Rejection};
    /// let r = Rejection::InvalidRequest { reason: "x".into() };
    /// assert_eq!(r.guard(), Guard::Shape);
    /// ```
    pub fn guard(&self) -> crate::Guard {
        use crate::Guard;
        match self {
            Rejection::InvalidRequest { .. } => Guard::Shape,
            Rejection::UnknownLead { .. } => Guard::Resolve,
            Rejection::ScheduleNotFound { .. } => Guard::Resolve,
            Rejection::ScheduleInactive { .. } => Guard::Active,
            Rejection::NoMatchingDistribution { .. } | Rejection::RoutingLoop { .. } => {
                Guard::Route
            }
            Rejection::InvalidNumber { .. } => Guard::Number,
            Rejection::SuppressedContact { .. } => Guard::Suppression,
            Rejection::OutsideCallingWindow { .. } => Guard::CallingWindow,
            Rejection::DuplicateConcurrentLead { .. } => Guard::ConcurrentLead,
            Rejection::RecentlyDialed { .. } => Guard::RedialWindow,
            Rejection::CallCapReached { .. } => Guard::CallCap,
            Rejection::CpsExceeded { .. } => Guard::Cps,
            Rejection::Unavailable { guard, .. } => *guard,
        }
    }

    /// The earliest instant at which the failing guard would let the same
    /// request pass, were nothing else admitted meanwhile; only for
    /// `recently_dialed` and `cps_exceeded`.
    ///
    /// # Example
    /// ```
    /// # use dialgate::*;
    /// # let (engine, company) = dialgate::doc_example();
    /// let done = engine.make_call(&company, &MakeCallRequest::for_lead("lead-ann")).unwrap().commit();
    /// let again = engine.make_call(&company, &MakeCallRequest::for_lead("lead-ann")).unwrap_err();
    /// assert_eq!(again.retry_at().unwrap() - done.call.placed_at, chrono::Duration::seconds(30));
    /// assert_eq!(Rejection::UnknownLead { lead_id: "lead-bob".into() }.retry_at(), None);
    /// ```
    pub fn retry_at(&self) -> Option<DateTime<Utc>> {
        match self {
            Rejection::RecentlyDialed { retry_at, .. }
            | Rejection::CpsExceeded { retry_at, .. }
            | Rejection::CallCapReached { retry_at, .. }
            | Rejection::OutsideCallingWindow { retry_at, .. } => *retry_at,
            _ => None,
        }
    }

    /// The rejection as the contract's JSON:
    /// `{"ok": false, "error": {"code", "message", "retry_at"?}}`.
    ///
    /// # Example
    /// ```
    /// let r = dialgate::Rejection::UnknownLead { lead_id: "x".into() };
    /// assert_eq!(r.to_json()["error"]["code"], "unknown_lead");
    /// ```
    pub fn to_json(&self) -> serde_json::Value {
        let mut error = serde_json::Map::new();
        error.insert("code".into(), self.code().into());
        error.insert("message".into(), self.to_string().into());
        if let Some(at) = self.retry_at() {
            error.insert("retry_at".into(), timefmt::rfc3339(at).into());
        }
        serde_json::json!({"ok": false, "error": error})
    }

    /// Moves the `retry_at` of a time-cleared rejection (the calling
    /// window's deferral); others are left as they are.
    pub(crate) fn set_retry_at(&mut self, at: Option<DateTime<Utc>>) {
        match self {
            Rejection::RecentlyDialed { retry_at, .. }
            | Rejection::CpsExceeded { retry_at, .. }
            | Rejection::CallCapReached { retry_at, .. }
            | Rejection::OutsideCallingWindow { retry_at, .. } => *retry_at = at,
            _ => {}
        }
    }

    /// `unavailable` at `guard`, naming the part that failed.
    pub(crate) fn unavailable(
        guard: crate::Guard,
        part: &str,
        failure: crate::store::StoreUnavailable,
    ) -> Rejection {
        Rejection::Unavailable {
            guard,
            part: part.to_owned(),
            reason: failure.reason,
        }
    }

    pub(crate) fn invalid(reason: impl Into<String>) -> Rejection {
        Rejection::InvalidRequest {
            reason: reason.into(),
        }
    }
}

/// `; retry at T` where a rejection carries a retry time.
fn retry_suffix(at: Option<DateTime<Utc>>) -> String {
    at.map(|t| format!("; retry at {}", timefmt::rfc3339(t)))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_lists_every_variant_in_step_order() {
        let s = String::new;
        let t = DateTime::<Utc>::UNIX_EPOCH;
        let all = [
            Rejection::InvalidRequest { reason: s() },
            Rejection::UnknownLead { lead_id: s() },
            Rejection::ScheduleNotFound { what: s() },
            Rejection::ScheduleInactive { schedule_id: s() },
            Rejection::NoMatchingDistribution {
                schedule_id: s(),
                tried: s(),
            },
            Rejection::RoutingLoop { route: s() },
            Rejection::InvalidNumber {
                number: s(),
                reason: s(),
            },
            Rejection::SuppressedContact {
                number: s(),
                entry: s(),
            },
            Rejection::OutsideCallingWindow {
                number: s(),
                reason: s(),
                retry_at: None,
            },
            Rejection::DuplicateConcurrentLead {
                number: s(),
                schedule_id: s(),
            },
            Rejection::RecentlyDialed {
                number: s(),
                dialled_at: t,
                window_s: 30,
                retry_at: Some(t),
            },
            Rejection::CallCapReached {
                number: s(),
                rule: s(),
                calls: 3,
                per_s: 86_400,
                count: 3,
                retry_at: None,
            },
            Rejection::CpsExceeded {
                company_id: s(),
                cps_limit: 1,
                retry_at: Some(t),
            },
            Rejection::Unavailable {
                guard: crate::Guard::Lead,
                part: s(),
                reason: s(),
            },
        ];
        let codes: Vec<&str> = all.iter().map(Rejection::code).collect();
        assert_eq!(codes, Rejection::CODES);
    }
}
