//! Calling rules (contract "Calling rules"): when a number may be called and
//! how often, from the company's `calling_rules`, the dialing schedule's
//! `calling_hours`, the federal window and the state table.
//!
//! The data come from files in `data/`, embedded and indexed once per
//! process ([`tables`]): libphonenumber's time-zone map, the NANP area-code
//! table and the state rules. The evaluation ([`window`]) is pure: an
//! instant and the rules in, an answer out.

use std::fmt;

use chrono::NaiveDate;
use chrono_tz::Tz;
use serde_json::Value;

pub mod tables;
pub mod window;

pub use tables::{StateRow, Tables};
pub use window::{Closure, WindowCheck, WindowFound, Zones, HORIZON_S};

/// The longest cap period, seconds (ten years), so that no cap end computed
/// from a decision can overflow.
pub const MAX_CAP_PERIOD_S: u32 = crate::clock::MAX_WINDOW_S;

/// A two-letter US state (or DC) code, upper case.
///
/// # Example
/// ```
/// use dialgate::calling::State;
/// assert_eq!(State::parse("fl").unwrap().as_str(), "FL");
/// assert!(State::parse("XX").is_none());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct State([u8; 2]);

/// The 50 states and DC.
const US_STATES: [&str; 51] = [
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FL", "GA", "HI", "ID", "IL", "IN", "IA",
    "KS", "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM",
    "NY", "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA",
    "WV", "WI", "WY",
];

impl State {
    /// The state a two-letter code names (any case), if it is a US state or
    /// DC.
    ///
    /// # Example
    /// ```
    /// assert!(dialgate::calling::State::parse("Dc").is_some());
    /// ```
    pub fn parse(code: &str) -> Option<State> {
        let [a, b] = code.as_bytes() else {
            return None;
        };
        let up = [a.to_ascii_uppercase(), b.to_ascii_uppercase()];
        US_STATES
            .iter()
            .any(|s| s.as_bytes() == up)
            .then_some(State(up))
    }

    /// The code, e.g. `"FL"`.
    ///
    /// # Example
    /// ```
    /// assert_eq!(dialgate::calling::State::parse("tx").unwrap().as_str(), "TX");
    /// ```
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or("??")
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One day of an hours object.
///
/// # Example
/// ```
/// use dialgate::calling::Day;
/// let day = Day::Open { start_min: 9 * 60, stop_min: 17 * 60 };
/// assert_ne!(day, Day::Closed);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Day {
    /// No calls that day (`null`).
    Closed,
    /// Calls from `start_min` (inclusive) to `stop_min` (exclusive), minutes
    /// after local midnight; `stop_min` may be 1440 (`24:00`).
    Open {
        /// The first minute.
        start_min: u16,
        /// The minute calls stop.
        stop_min: u16,
    },
}

/// An hours object: per weekday, a window or no calls; a missing day is not
/// narrowed.
///
/// # Example
/// ```
/// use dialgate::calling::Hours;
/// let hours = Hours::from_json(&serde_json::json!({"mon": "12:00-16:00", "sun": null})).unwrap();
/// assert!(hours.day(chrono::Weekday::Tue).is_none());
/// assert!(Hours::from_json(&serde_json::json!({"mon": "16:00-12:00"})).is_err());
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Hours {
    days: [Option<Day>; 7],
}

const DAY_KEYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

impl Hours {
    /// The hours of `weekday`, `None` when that day is not narrowed.
    ///
    /// # Example
    /// ```
    /// use dialgate::calling::{Day, Hours};
    /// let hours = Hours::from_json(&serde_json::json!({"sat": null})).unwrap();
    /// assert_eq!(hours.day(chrono::Weekday::Sat), Some(Day::Closed));
    /// ```
    pub fn day(&self, weekday: chrono::Weekday) -> Option<Day> {
        self.days
            .get(weekday.num_days_from_monday() as usize)
            .copied()
            .flatten()
    }

    /// Reads an hours object strictly.
    ///
    /// # Errors
    /// Anything but an object of `mon`..`sun` to `"HH:MM-HH:MM"` (start
    /// before stop, `00:00` to `24:00`) or `null`.
    ///
    /// # Example
    /// See [`Hours`].
    pub fn from_json(value: &Value) -> Result<Hours, RulesError> {
        let Value::Object(map) = value else {
            return Err(RulesError::new("", "must be an object of weekdays"));
        };
        let mut hours = Hours::default();
        for (key, v) in map {
            let Some(i) = DAY_KEYS.iter().position(|d| d == key) else {
                return Err(RulesError::new(
                    key,
                    "is not a weekday (mon, tue, wed, thu, fri, sat, sun)",
                ));
            };
            let day = match v {
                Value::Null => Day::Closed,
                Value::String(s) => parse_window(s).ok_or_else(|| {
                    RulesError::new(
                        key,
                        format_args!(
                            "`{s}` is not `HH:MM-HH:MM` with 00:00 <= start < stop <= 24:00"
                        ),
                    )
                })?,
                _ => return Err(RulesError::new(key, "must be `\"HH:MM-HH:MM\"` or null")),
            };
            if let Some(slot) = hours.days.get_mut(i) {
                *slot = Some(day);
            }
        }
        Ok(hours)
    }
}

/// `HH:MM-HH:MM`, start inclusive, stop exclusive.
fn parse_window(s: &str) -> Option<Day> {
    let (a, b) = s.split_once('-')?;
    let start = parse_hhmm(a)?;
    let stop = parse_hhmm(b)?;
    (start < stop && stop <= 1440).then_some(Day::Open {
        start_min: start,
        stop_min: stop,
    })
}

fn parse_hhmm(s: &str) -> Option<u16> {
    let b = s.as_bytes();
    if b.len() != 5 || b.get(2) != Some(&b':') {
        return None;
    }
    let digit = |i: usize| -> Option<u16> {
        let c = *b.get(i)?;
        c.is_ascii_digit().then(|| u16::from(c - b'0'))
    };
    let h = digit(0)? * 10 + digit(1)?;
    let m = digit(3)? * 10 + digit(4)?;
    let minutes = h * 60 + m;
    (m < 60 && (h < 24 || minutes == 1440)).then_some(minutes)
}

/// A company-wide rolling cap: at most `calls` dials of one number inside
/// any `per_s` seconds.
///
/// # Example
/// ```
/// let cap = dialgate::calling::CapRule { calls: 2, per_s: 3600 };
/// assert_eq!(cap.calls, 2);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CapRule {
    /// Calls (>= 1).
    pub calls: u32,
    /// Seconds (>= 1).
    pub per_s: u32,
}

/// A company's `calling_rules`.
///
/// # Example
/// ```
/// use dialgate::calling::CallingRules;
/// let rules = CallingRules::from_json(&serde_json::json!({
///     "hours": {"sun": null},
///     "holidays": ["2026-12-25"],
///     "state_holidays": {"LA": ["2026-12-24"]},
///     "caps": [{"calls": 2, "per_s": 3600}],
///     "unknown_zone": "America/New_York"
/// })).unwrap();
/// assert!(rules.states);
/// assert_eq!(rules.caps.len(), 1);
/// assert!(CallingRules::from_json(&serde_json::json!({"caps": [{"calls": 0, "per_s": 1}]})).is_err());
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CallingRules {
    /// Narrows the window for the company.
    pub hours: Option<Hours>,
    /// Whether the state table applies (default true).
    pub states: bool,
    /// Local dates with no calls, sorted.
    pub holidays: Vec<NaiveDate>,
    /// Per state, local dates with no calls into it, sorted.
    pub state_holidays: Vec<(State, Vec<NaiveDate>)>,
    /// Company-wide rolling caps per number.
    pub caps: Vec<CapRule>,
    /// The zone assumed when a number's is unknown; `None`: such numbers
    /// are blocked.
    pub unknown_zone: Option<Tz>,
    /// The caps' descriptions, for rejections (made once, not per decision).
    pub(crate) cap_labels: Vec<String>,
}

impl CallingRules {
    /// Rules with nothing but the defaults (`{}`): the federal window and
    /// the state table.
    ///
    /// # Example
    /// ```
    /// assert!(dialgate::calling::CallingRules::federal_and_states().states);
    /// ```
    pub fn federal_and_states() -> CallingRules {
        CallingRules {
            states: true,
            ..CallingRules::default()
        }
    }

    /// Reads a `calling_rules` object strictly.
    ///
    /// # Errors
    /// An unknown key, a malformed hours object or date, a cap with `calls`
    /// or `per_s` of 0 (or `per_s` over ten years), an unknown IANA zone.
    ///
    /// # Example
    /// See [`CallingRules`].
    pub fn from_json(value: &Value) -> Result<CallingRules, RulesError> {
        let Value::Object(map) = value else {
            return Err(RulesError::new("", "must be an object"));
        };
        let mut rules = CallingRules::federal_and_states();
        for (key, v) in map {
            match key.as_str() {
                "hours" => {
                    rules.hours = Some(Hours::from_json(v).map_err(|e| e.within("hours"))?)
                }
                "states" => {
                    rules.states = v
                        .as_bool()
                        .ok_or_else(|| RulesError::new("states", "must be true or false"))?
                }
                "holidays" => rules.holidays = dates(v).map_err(|e| e.within("holidays"))?,
                "state_holidays" => {
                    let Value::Object(states) = v else {
                        return Err(RulesError::new(
                            "state_holidays",
                            "must be an object of state codes to dates",
                        ));
                    };
                    for (code, list) in states {
                        let state = State::parse(code).ok_or_else(|| {
                            RulesError::new(
                                format_args!("state_holidays.{code}"),
                                "is not a US state code",
                            )
                        })?;
                        let list = dates(list)
                            .map_err(|e| e.within(&format!("state_holidays.{code}")))?;
                        rules.state_holidays.push((state, list));
                    }
                    rules.state_holidays.sort_by_key(|(s, _)| *s);
                }
                "caps" => {
                    let Value::Array(caps) = v else {
                        return Err(RulesError::new("caps", "must be an array"));
                    };
                    for (i, cap) in caps.iter().enumerate() {
                        rules
                            .caps
                            .push(cap_rule(cap).map_err(|e| e.within(&format!("caps[{i}]")))?);
                    }
                }
                "unknown_zone" => {
                    let name = v.as_str().ok_or_else(|| {
                        RulesError::new("unknown_zone", "must be \"block\" or an IANA zone name")
                    })?;
                    rules.unknown_zone = if name == "block" {
                        None
                    } else {
                        Some(name.parse::<Tz>().map_err(|_| {
                            RulesError::new(
                                "unknown_zone",
                                format_args!("`{name}` is not an IANA zone"),
                            )
                        })?)
                    };
                }
                other => {
                    return Err(RulesError::new(
                        other,
                        "is not a calling rule (hours, states, holidays, state_holidays, caps, unknown_zone)",
                    ))
                }
            }
        }
        rules.cap_labels = rules
            .caps
            .iter()
            .map(|c| format!("the company's cap of {} calls per {} s", c.calls, c.per_s))
            .collect();
        Ok(rules)
    }

    /// Whether `date` is a holiday of the company.
    fn is_holiday(&self, date: NaiveDate) -> bool {
        self.holidays.binary_search(&date).is_ok()
    }

    /// Whether `date` is a holiday of `state`.
    fn is_state_holiday(&self, state: State, date: NaiveDate) -> bool {
        self.state_holidays
            .iter()
            .any(|(s, dates)| *s == state && dates.binary_search(&date).is_ok())
    }
}

fn dates(v: &Value) -> Result<Vec<NaiveDate>, RulesError> {
    let Value::Array(items) = v else {
        return Err(RulesError::new(
            "",
            "must be an array of `YYYY-MM-DD` dates",
        ));
    };
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let date = item
            .as_str()
            .filter(|s| s.len() == 10)
            .and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
            .ok_or_else(|| {
                RulesError::new(
                    format_args!("[{i}]"),
                    format_args!("{item} is not a `YYYY-MM-DD` date"),
                )
            })?;
        out.push(date);
    }
    out.sort_unstable();
    out.dedup();
    Ok(out)
}

fn cap_rule(v: &Value) -> Result<CapRule, RulesError> {
    let Value::Object(map) = v else {
        return Err(RulesError::new(
            "",
            "must be an object {\"calls\": N, \"per_s\": S}",
        ));
    };
    let mut calls = None;
    let mut per_s = None;
    for (key, v) in map {
        let n = v
            .as_u64()
            .filter(|n| *n >= 1)
            .and_then(|n| u32::try_from(n).ok());
        match key.as_str() {
            "calls" => {
                calls =
                    Some(n.ok_or_else(|| RulesError::new("calls", "must be a whole number >= 1"))?)
            }
            "per_s" => {
                let s = n.filter(|s| *s <= MAX_CAP_PERIOD_S).ok_or_else(|| {
                    RulesError::new(
                        "per_s",
                        format_args!("must be a whole number from 1 to {MAX_CAP_PERIOD_S}"),
                    )
                })?;
                per_s = Some(s);
            }
            other => return Err(RulesError::new(other, "is not a cap field (calls, per_s)")),
        }
    }
    Ok(CapRule {
        calls: calls.ok_or_else(|| RulesError::new("calls", "is missing"))?,
        per_s: per_s.ok_or_else(|| RulesError::new("per_s", "is missing"))?,
    })
}

/// A malformed calling rule: where, and what.
///
/// # Example
/// ```
/// let err = dialgate::calling::CallingRules::from_json(&serde_json::json!({"hours": {"mon": "9-5"}})).unwrap_err();
/// assert_eq!(err.to_string(), "hours.mon: `9-5` is not `HH:MM-HH:MM` with 00:00 <= start < stop <= 24:00");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}{}{what}", place, if place.is_empty() { "" } else { ": " })]
pub struct RulesError {
    /// The key path, e.g. `hours.mon`.
    pub place: String,
    /// What is wrong.
    pub what: String,
}

impl RulesError {
    fn new(place: impl fmt::Display, what: impl fmt::Display) -> RulesError {
        RulesError {
            place: place.to_string(),
            what: what.to_string(),
        }
    }

    /// The same error, its place under `outer`.
    fn within(mut self, outer: &str) -> RulesError {
        self.place = match (self.place.is_empty(), self.place.starts_with('[')) {
            (true, _) => outer.to_owned(),
            (false, true) => format!("{outer}{}", self.place),
            (false, false) => format!("{outer}.{}", self.place),
        };
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn hours_are_strict() {
        for bad in [
            json!({"mon": "25:00-26:00"}),
            json!({"mon": "09:00-09:00"}),
            json!({"mon": "10:00-09:00"}),
            json!({"mon": "09:60-10:00"}),
            json!({"mon": "9:00-10:00"}),
            json!({"mon": "00:00-24:01"}),
            json!({"mon": 9}),
            json!({"monday": "09:00-10:00"}),
            json!(["09:00-10:00"]),
        ] {
            assert!(Hours::from_json(&bad).is_err(), "{bad}");
        }
        let h = Hours::from_json(&json!({"mon": "00:00-24:00", "tue": null})).unwrap();
        assert_eq!(
            h.day(chrono::Weekday::Mon),
            Some(Day::Open {
                start_min: 0,
                stop_min: 1440
            })
        );
        assert_eq!(h.day(chrono::Weekday::Tue), Some(Day::Closed));
        assert_eq!(h.day(chrono::Weekday::Wed), None);
    }

    #[test]
    fn rules_are_strict() {
        for (bad, says) in [
            (json!({"cap": []}), "cap: is not a calling rule"),
            (
                json!({"caps": [{"calls": 0, "per_s": 10}]}),
                "caps[0].calls",
            ),
            (json!({"caps": [{"calls": 1, "per_s": 0}]}), "caps[0].per_s"),
            (json!({"caps": [{"calls": 1}]}), "caps[0].per_s: is missing"),
            (
                json!({"caps": [{"calls": 1, "per_s": 1, "x": 1}]}),
                "caps[0].x",
            ),
            (json!({"unknown_zone": "Mars/Olympus"}), "unknown_zone"),
            (json!({"holidays": ["2026-13-01"]}), "holidays[0]"),
            (json!({"holidays": "2026-12-25"}), "holidays"),
            (json!({"state_holidays": {"ZZ": []}}), "state_holidays.ZZ"),
            (json!({"states": "yes"}), "states"),
            (json!({"hours": {"mon": "x"}}), "hours.mon"),
        ] {
            let err = CallingRules::from_json(&bad).unwrap_err().to_string();
            assert!(err.starts_with(says), "{bad}: {err}");
        }
        let rules =
            CallingRules::from_json(&json!({"states": false, "unknown_zone": "block"})).unwrap();
        assert!(!rules.states);
        assert_eq!(rules.unknown_zone, None);
    }
}
