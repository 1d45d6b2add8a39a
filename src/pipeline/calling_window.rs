//! Step 8, the calling window: when calling rules apply (the company has
//! `calling_rules` or the dialing schedule `calling_hours`), the decision
//! time must be inside the window in every zone where the called party may
//! be. See [`crate::calling`].

use chrono::{DateTime, Duration, Utc};

use crate::calling::{
    CallingRules, Hours, State, Tables, WindowCheck, WindowFound, Zones, HORIZON_S,
};
use crate::model::{Data, Scalar};
use crate::phone::E164;
use crate::rejection::Rejection;

/// Checks the window at `now`; `Ok(None)` when no calling rules apply,
/// `Ok(Some(found))` with the zones and states found when it is open.
///
/// # Errors
/// `outside_calling_window`, with `retry_at` the next opening within 8 days
/// (none when the zone is unknown under `"unknown_zone": "block"`).
///
/// # Example
/// ```
/// use dialgate::{calling::CallingRules, pipeline::calling_window, E164};
/// let rules = CallingRules::federal_and_states();
/// let fl = E164::from_digits(13055550100).unwrap();
/// let at = dialgate::timefmt::parse("2026-12-08T01:00:00Z").unwrap(); // 20:00 in Miami
/// let err = calling_window::check(Some(&rules), None, fl, &Default::default(), at).unwrap_err();
/// assert_eq!(dialgate::timefmt::rfc3339(err.retry_at().unwrap()), "2026-12-08T13:00:00Z");
/// assert!(calling_window::check(None, None, fl, &Default::default(), at).unwrap().is_none());
/// ```
pub fn check(
    rules: Option<&CallingRules>,
    schedule_hours: Option<&Hours>,
    number: E164,
    data: &Data,
    now: DateTime<Utc>,
) -> Result<Option<WindowFound>, Rejection> {
    if rules.is_none() && schedule_hours.is_none() {
        return Ok(None);
    }
    let closed = |reason: String, retry_at| Rejection::OutsideCallingWindow {
        number: number.to_string(),
        reason,
        retry_at,
    };
    // Without its data the guard cannot say the window is open: closed.
    let tables = Tables::get()
        .map_err(|e| closed(format!("the calling-rules data is unusable: {e}"), None))?;
    let digits = number.digits();
    let named_zone = match data.get("time_zone") {
        Some(Scalar::String(name)) => name.parse::<chrono_tz::Tz>().ok(),
        _ => None,
    };
    let zones = match (named_zone, tables.zones(digits)) {
        (Some(tz), _) => Zones::One(tz),
        (None, Some(zones)) => Zones::Map(zones),
        (None, None) => match rules.and_then(|r| r.unknown_zone) {
            Some(tz) => Zones::One(tz),
            None => {
                return Err(closed(
                    format!("the time zone of {number} is unknown, and unknown zones are blocked"),
                    None,
                ))
            }
        },
    };
    let area = tables.area_code(digits);
    let area_state = area
        .and_then(|(region, state)| (region == "US").then_some(state).flatten())
        .and_then(State::parse);
    let data_state = match data.get("state") {
        Some(Scalar::String(code)) => State::parse(code),
        _ => None,
    };
    let found = WindowFound {
        zones,
        states: [area_state, data_state.filter(|s| Some(*s) != area_state)],
        canada: area.is_some_and(|(region, _)| region == "CA"),
        schedule_hours: schedule_hours.copied(),
    };
    let window = WindowCheck::new(rules, &found, tables);
    match window.closure_at(now) {
        None => Ok(Some(found)),
        Some(closure) => {
            let retry_at = window.next_open(now, now + Duration::seconds(HORIZON_S));
            Err(closed(closure.to_string(), retry_at))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timefmt::{parse, rfc3339};

    fn data(pairs: &[(&str, &str)]) -> Data {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), Scalar::from(*v)))
            .collect()
    }

    #[test]
    fn time_zone_and_state_in_the_data() {
        let rules = CallingRules::federal_and_states();
        let ny = E164::from_digits(12125550199).unwrap();
        let at = parse("2026-12-07T15:45:00Z").unwrap();
        assert!(check(Some(&rules), None, ny, &Data::new(), at).is_ok());
        let err = check(
            Some(&rules),
            None,
            ny,
            &data(&[("time_zone", "America/Los_Angeles")]),
            at,
        )
        .unwrap_err();
        assert_eq!(rfc3339(err.retry_at().unwrap()), "2026-12-07T16:00:00Z");
        // A state in the data applies its row in the number's zones.
        let co = E164::from_digits(17195550150).unwrap();
        let at = parse("2026-12-08T03:00:00Z").unwrap();
        let err = check(Some(&rules), None, co, &data(&[("state", "fl")]), at).unwrap_err();
        assert_eq!(rfc3339(err.retry_at().unwrap()), "2026-12-08T15:00:00Z");
        assert!(check(Some(&rules), None, co, &data(&[("state", "Florida")]), at).is_ok());
    }

    #[test]
    fn unknown_zones_block_or_take_the_named_zone() {
        let toll_free = E164::from_digits(18005550100).unwrap();
        let at = parse("2026-12-07T15:30:00Z").unwrap();
        let block = CallingRules::federal_and_states();
        let err = check(Some(&block), None, toll_free, &Data::new(), at).unwrap_err();
        assert_eq!(err.code(), "outside_calling_window");
        assert_eq!(err.retry_at(), None);
        let assume = CallingRules {
            unknown_zone: Some(chrono_tz::America::New_York),
            ..CallingRules::federal_and_states()
        };
        assert!(check(Some(&assume), None, toll_free, &Data::new(), at).is_ok());
    }

    #[test]
    fn schedule_hours_alone_apply_the_rules() {
        let hours = Hours::from_json(&serde_json::json!({"mon": "12:00-16:00"})).unwrap();
        let ny = E164::from_digits(12125550177).unwrap();
        let at = parse("2026-12-07T16:59:00Z").unwrap();
        let err = check(None, Some(&hours), ny, &Data::new(), at).unwrap_err();
        assert_eq!(rfc3339(err.retry_at().unwrap()), "2026-12-07T17:00:00Z");
        assert!(
            err.to_string().contains("schedule's calling hours"),
            "{err}"
        );
    }
}
