//! Enrolling a lead through the host (`POST /api/v1/leads`): steps 1 to 5
//! of the decision on the schedule path, with `number` in place of `to`,
//! then a live lead in the dialing schedule, or the live lead that already
//! has the number there.

use serde::Deserializer as _;

use crate::model::{Data, Lead, LeadStatus};
use crate::phone::E164;
use crate::rejection::Rejection;
use crate::request::{MakeCallRequest, RequestVisitor};

/// A request to enrol a lead: `{"schedule_id" | "lead_token", "number",
/// "data", "id"?}`.
///
/// # Example
/// ```
/// let r = dialgate::EnrolRequest::from_json(br#"{"schedule_id": "123", "number": "+17195551234", "data": {"state": "CO"}}"#).unwrap();
/// assert_eq!(r.schedule_id.as_deref(), Some("123"));
/// assert_eq!(r.id, None);
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct EnrolRequest {
    /// The lead's id; one is made when absent.
    pub id: Option<String>,
    /// Enrol on this schedule (or the one its routing leads to).
    pub schedule_id: Option<String>,
    /// Enrol on the schedule with this Leads API key.
    pub lead_token: Option<String>,
    /// The lead's number, any format the company's region reads.
    pub number: Option<String>,
    /// The lead's data, and the routing data of a router schedule.
    pub data: Data,
}

/// The keys of an enrolment body, in the order of [`RequestVisitor`]'s slots.
const ENROL_KEYS: crate::request::Keys = ["id", "schedule_id", "lead_token", "number"];

impl EnrolRequest {
    /// Reads a JSON body, as strictly as a make_call body (text fields must
    /// be strings, `data` flat, no repeated key; unknown keys are ignored).
    ///
    /// # Errors
    /// `invalid_request` naming what is wrong.
    ///
    /// # Example
    /// ```
    /// let err = dialgate::EnrolRequest::from_json(br#"{"schedule_id": "123", "number": 17195551234}"#).unwrap_err();
    /// assert_eq!(err.code(), "invalid_request");
    /// assert!(err.to_string().contains("`number`"));
    /// ```
    pub fn from_json(body: &[u8]) -> Result<Self, Rejection> {
        let mut de = serde_json::Deserializer::from_slice(body);
        let read = (&mut de)
            .deserialize_map(RequestVisitor { keys: ENROL_KEYS })
            .and_then(|r| de.end().map(|()| r))
            .map_err(|e| Rejection::invalid(e.to_string()))?;
        Ok(EnrolRequest {
            id: read.lead_id,
            schedule_id: read.schedule_id,
            lead_token: read.lead_token,
            number: read.to,
            data: read.data,
        })
    }

    /// Step 1 for an enrolment: the make_call request it stands for (on the
    /// schedule path), after the rules make_call's shape does not cover.
    pub(crate) fn as_make_call(&self) -> Result<MakeCallRequest, Rejection> {
        if self.schedule_id.is_none() && self.lead_token.is_none() {
            return Err(Rejection::invalid(
                "name a schedule: `schedule_id` or `lead_token`",
            ));
        }
        if self.number.is_none() {
            return Err(Rejection::invalid("`number` is required"));
        }
        if let Some(id) = &self.id {
            crate::pipeline::shape::check_id("id", id)?;
        }
        Ok(MakeCallRequest {
            lead_id: None,
            schedule_id: self.schedule_id.clone(),
            lead_token: self.lead_token.clone(),
            to: self.number.clone(),
            data: self.data.clone(),
        })
    }
}

/// A lead enrolled, or found enrolled already.
///
/// # Example
/// ```
/// # use dialgate::*;
/// # let (engine, company) = dialgate::doc_example();
/// let r = EnrolRequest::from_json(br#"{"schedule_id": "sch-solar", "number": "+17195550100", "id": "lead-cy"}"#).unwrap();
/// let first = engine.enrol(&company, &r).unwrap();
/// assert!(first.created);
/// assert_eq!(first.lead.number, "+17195550100");
/// let r = EnrolRequest::from_json(br#"{"schedule_id": "sch-solar", "number": "(719) 555-0100"}"#).unwrap();
/// let again = engine.enrol(&company, &r).unwrap();
/// assert!(!again.created);
/// assert_eq!(again.lead.id, "lead-cy");
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Enrolled {
    /// The lead (its number in E.164 when created here).
    pub lead: Lead,
    /// Whether it was stored now (`false`: the dialing schedule already had
    /// a live lead with the number, answered instead).
    pub created: bool,
}

/// Why a lead was not enrolled.
///
/// # Example
/// ```
/// # use dialgate::*;
/// # let (engine, company) = dialgate::doc_example();
/// let r = EnrolRequest::from_json(br#"{"schedule_id": "sch-solar", "number": "+17195550100", "id": "lead-ann"}"#).unwrap();
/// let err = engine.enrol(&company, &r).unwrap_err();
/// assert_eq!(err.code(), "conflict");
/// let r = EnrolRequest::from_json(br#"{"schedule_id": "nope", "number": "+17195550100"}"#).unwrap();
/// assert_eq!(engine.enrol(&company, &r).unwrap_err().code(), "schedule_not_found");
/// ```
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum EnrolError {
    /// A step of the decision refused it (`invalid_request`,
    /// `schedule_not_found`, `schedule_inactive`, a routing code,
    /// `invalid_number`, `unavailable`).
    #[error(transparent)]
    Rejected(#[from] Rejection),
    /// The company already has a lead with the given id.
    #[error("lead id `{0}` is already used in the company")]
    Conflict(String),
}

impl EnrolError {
    /// The error's code: the rejection's, or `conflict`.
    ///
    /// # Example
    /// ```
    /// assert_eq!(dialgate::EnrolError::Conflict("a".into()).code(), "conflict");
    /// ```
    pub fn code(&self) -> &'static str {
        match self {
            EnrolError::Rejected(r) => r.code(),
            EnrolError::Conflict(_) => "conflict",
        }
    }
}

/// The lead an enrolment stores: live, in the dialing schedule, its number
/// in E.164.
pub(crate) fn live_lead(
    id: String,
    company_id: &str,
    schedule_id: &str,
    number: E164,
    data: Data,
) -> Lead {
    Lead {
        id,
        company_id: company_id.to_owned(),
        schedule_id: schedule_id.to_owned(),
        number: number.to_string(),
        status: LeadStatus::Live,
        data,
    }
}
