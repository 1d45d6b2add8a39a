//! Step 1, shape: which target the request names, and the size limits.

use crate::model::{Data, Scalar};
use crate::rejection::Rejection;
use crate::request::MakeCallRequest;

/// The longest id or token, in bytes.
///
/// # Example
/// ```
/// # use dialgate::*;
/// use dialgate::pipeline::shape::MAX_ID_BYTES;
/// # let (engine, company) = dialgate::doc_example();
/// let long = MakeCallRequest::for_lead(&"l".repeat(MAX_ID_BYTES + 1));
/// assert_eq!(engine.dry_run(&company, &long).unwrap_err().code(), "invalid_request");
/// ```
pub const MAX_ID_BYTES: usize = 128;
/// The most keys `data` may have.
///
/// # Example
/// ```
/// # use dialgate::*;
/// use dialgate::pipeline::shape::MAX_DATA_KEYS;
/// # let (engine, company) = dialgate::doc_example();
/// let mut req = MakeCallRequest::for_lead("lead-ann");
/// for i in 0..MAX_DATA_KEYS { req = req.with_data(&format!("k{i}"), i as i64); }
/// assert!(engine.dry_run(&company, &req).is_ok());
/// let req = req.with_data("one_more", true);
/// assert_eq!(engine.dry_run(&company, &req).unwrap_err().code(), "invalid_request");
/// ```
pub const MAX_DATA_KEYS: usize = 100;
/// The longest key of `data`, in bytes.
///
/// # Example
/// ```
/// # use dialgate::*;
/// use dialgate::pipeline::shape::MAX_DATA_KEY_BYTES;
/// # let (engine, company) = dialgate::doc_example();
/// let ok = MakeCallRequest::for_lead("lead-ann").with_data(&"k".repeat(MAX_DATA_KEY_BYTES), "v");
/// assert!(engine.dry_run(&company, &ok).is_ok());
/// let long = MakeCallRequest::for_lead("lead-ann").with_data(&"k".repeat(MAX_DATA_KEY_BYTES + 1), "v");
/// assert_eq!(engine.dry_run(&company, &long).unwrap_err().code(), "invalid_request");
/// ```
pub const MAX_DATA_KEY_BYTES: usize = 64;
/// The longest string value of `data`, in bytes.
///
/// # Example
/// ```
/// # use dialgate::*;
/// use dialgate::pipeline::shape::MAX_DATA_STRING_BYTES;
/// # let (engine, company) = dialgate::doc_example();
/// let long = MakeCallRequest::for_lead("lead-ann").with_data("notes", "x".repeat(MAX_DATA_STRING_BYTES + 1));
/// assert_eq!(engine.dry_run(&company, &long).unwrap_err().code(), "invalid_request");
/// ```
pub const MAX_DATA_STRING_BYTES: usize = 1024;

/// How the request names its schedule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ScheduleRef<'r> {
    Id(&'r str),
    Token(&'r str),
}

/// What the request asks to dial.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Target<'r> {
    /// The lead path.
    Lead(&'r str),
    /// A number on a schedule.
    Schedule { by: ScheduleRef<'r>, to: &'r str },
}

/// Applies the contract's request rules.
pub(crate) fn check(request: &MakeCallRequest) -> Result<Target<'_>, Rejection> {
    let target = target(request)?;
    for (name, value) in [
        ("lead_id", &request.lead_id),
        ("schedule_id", &request.schedule_id),
        ("lead_token", &request.lead_token),
    ] {
        if let Some(v) = value {
            check_id(name, v)?;
        }
    }
    check_data(&request.data)?;
    Ok(target)
}

/// An id or token: non-empty, at most [`MAX_ID_BYTES`].
pub(crate) fn check_id(name: &str, v: &str) -> Result<(), Rejection> {
    if v.is_empty() {
        return Err(Rejection::invalid(format!("`{name}` is empty")));
    }
    if v.len() > MAX_ID_BYTES {
        return Err(Rejection::invalid(format!(
            "`{name}` is longer than {MAX_ID_BYTES} bytes"
        )));
    }
    Ok(())
}

fn target(request: &MakeCallRequest) -> Result<Target<'_>, Rejection> {
    if let Some(lead_id) = &request.lead_id {
        if request.schedule_id.is_some() || request.lead_token.is_some() || request.to.is_some() {
            return Err(Rejection::invalid(
                "`lead_id` dials that lead: choose one of `lead_id` or `schedule_id`/`lead_token` with `to`",
            ));
        }
        return Ok(Target::Lead(lead_id));
    }
    let by = match (&request.schedule_id, &request.lead_token) {
        (Some(_), Some(_)) => {
            return Err(Rejection::invalid(
                "choose one of `schedule_id` or `lead_token`, not both",
            ))
        }
        (Some(id), None) => ScheduleRef::Id(id),
        (None, Some(token)) => ScheduleRef::Token(token),
        (None, None) => {
            return Err(Rejection::invalid(
                "name a target: `lead_id`, `schedule_id` or `lead_token`",
            ))
        }
    };
    let to = request
        .to
        .as_deref()
        .ok_or_else(|| Rejection::invalid("`to` is required with `schedule_id` or `lead_token`"))?;
    Ok(Target::Schedule { by, to })
}

fn check_data(data: &Data) -> Result<(), Rejection> {
    if data.len() > MAX_DATA_KEYS {
        return Err(Rejection::invalid(format!(
            "`data` has {} keys, more than {MAX_DATA_KEYS}",
            data.len()
        )));
    }
    for (key, value) in data {
        if key.len() > MAX_DATA_KEY_BYTES {
            return Err(Rejection::invalid(format!(
                "a key of `data` is longer than {MAX_DATA_KEY_BYTES} bytes"
            )));
        }
        if matches!(value, Scalar::String(s) if s.len() > MAX_DATA_STRING_BYTES) {
            return Err(Rejection::invalid(format!(
                "`data.{key}` is longer than {MAX_DATA_STRING_BYTES} bytes"
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(
        lead: Option<&str>,
        sched: Option<&str>,
        token: Option<&str>,
        to: Option<&str>,
    ) -> MakeCallRequest {
        MakeCallRequest {
            lead_id: lead.map(str::to_owned),
            schedule_id: sched.map(str::to_owned),
            lead_token: token.map(str::to_owned),
            to: to.map(str::to_owned),
            data: Data::new(),
        }
    }

    #[test]
    fn each_target_form_is_read() {
        assert_eq!(
            check(&req(Some("l"), None, None, None)),
            Ok(Target::Lead("l"))
        );
        assert_eq!(
            check(&req(None, Some("s"), None, Some("1"))),
            Ok(Target::Schedule {
                by: ScheduleRef::Id("s"),
                to: "1"
            })
        );
        assert_eq!(
            check(&req(None, None, Some("t"), Some("1"))),
            Ok(Target::Schedule {
                by: ScheduleRef::Token("t"),
                to: "1"
            })
        );
    }

    #[test]
    fn every_broken_rule_is_invalid_request() {
        let long = "x".repeat(MAX_ID_BYTES + 1);
        for r in [
            req(Some("l"), Some("s"), None, None),
            req(Some("l"), None, Some("t"), None),
            req(Some("l"), None, None, Some("1")),
            req(None, Some("s"), Some("t"), Some("1")),
            req(None, Some("s"), None, None),
            req(None, None, None, Some("1")),
            req(None, None, None, None),
            req(Some(""), None, None, None),
            req(Some(&long), None, None, None),
            req(None, Some(&long), None, Some("1")),
        ] {
            assert_eq!(
                check(&r).map_err(|e| e.code()),
                Err("invalid_request"),
                "{r:?}"
            );
        }
        let at_limit = "x".repeat(MAX_ID_BYTES);
        assert!(check(&req(Some(&at_limit), None, None, None)).is_ok());
    }

    #[test]
    fn data_limits_are_enforced_at_their_edges() {
        let ok = |data: Data| {
            check(&MakeCallRequest {
                data,
                ..req(Some("l"), None, None, None)
            })
            .is_ok()
        };
        let keys = |n: usize| {
            (0..n)
                .map(|i| (format!("k{i}"), Scalar::from(1)))
                .collect::<Data>()
        };
        assert!(ok(keys(MAX_DATA_KEYS)));
        assert!(!ok(keys(MAX_DATA_KEYS + 1)));
        assert!(ok(Data::from([("k".repeat(64), Scalar::Null)])));
        assert!(!ok(Data::from([("k".repeat(65), Scalar::Null)])));
        assert!(ok(Data::from([(
            "k".into(),
            Scalar::from("v".repeat(1024))
        )])));
        assert!(!ok(Data::from([(
            "k".into(),
            Scalar::from("v".repeat(1025))
        )])));
    }
}
