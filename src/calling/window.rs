//! The calling window of a number at an instant, and when it next opens.
//!
//! Per zone of the number, at the local date, weekday and wall-clock time:
//! the intersection of the federal window, the company's hours, the
//! schedule's calling hours, the rows of the states that apply and the
//! Canada row, closed on holidays. Open only when open in every zone.

use std::fmt;

use chrono::{
    DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, Offset, TimeZone, Timelike, Utc,
};
use chrono_tz::Tz;

use super::{CallingRules, Day, Hours, State, Tables};

/// How far ahead a `retry_at` may be, seconds (8 days): past it the
/// request cannot pass in the foreseeable future and `retry_at` is left out.
pub const HORIZON_S: i64 = 691_200;

/// The federal window, minutes (TCPA 47 CFR 64.1200(c)(1); TSR 16 CFR 310.4(c)).
const FEDERAL: Day = Day::Open {
    start_min: 8 * 60,
    stop_min: 21 * 60,
};

/// Where the called party may be.
///
/// # Example
/// ```
/// use dialgate::calling::Zones;
/// let z = Zones::One(chrono_tz::America::Chicago);
/// assert_eq!(z.as_slice().len(), 1);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Zones {
    /// The time-zone map's zones for the number's longest prefix.
    Map(&'static [Tz]),
    /// One zone: the routing data's `time_zone`, or the company's
    /// `unknown_zone`.
    One(Tz),
}

impl Zones {
    /// The zones.
    ///
    /// # Example
    /// See [`Zones`].
    pub fn as_slice(&self) -> &[Tz] {
        match self {
            Zones::Map(z) => z,
            Zones::One(z) => std::slice::from_ref(z),
        }
    }
}

/// What the calling-window guard found for a number: its zones, the states
/// that apply, whether the Canada row applies. A plan records it, so a host
/// can show why.
///
/// # Example
/// ```
/// # use dialgate::*;
/// let world = World::from_json(r#"{"companies": [{"id": "acme", "cps_limit": 5, "calling_rules": {}}],
///   "schedules": [{"id": "s", "company_id": "acme", "lead_token": "t"}]}"#).unwrap();
/// let acme = world.company("acme").unwrap().clone();
/// let engine = world.into_engine(FakeClock::at("2026-12-07T15:00:00Z").unwrap());
/// let plan = engine.dry_run(&acme, &MakeCallRequest::for_schedule("s", "+13055550100")).unwrap();
/// let found = plan.calling_window.unwrap();
/// assert_eq!(found.zones.as_slice()[0].name(), "America/New_York");
/// assert_eq!(found.states[0].unwrap().as_str(), "FL");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WindowFound {
    /// The number's zones.
    pub zones: Zones,
    /// The states that apply (the area code's, the routing data's).
    pub states: [Option<State>; 2],
    /// Whether the number's region is Canada.
    pub canada: bool,
    /// The dialing schedule's calling hours.
    pub schedule_hours: Option<Hours>,
}

impl WindowFound {
    /// The rolling caps that apply to the number: the company's, and, when
    /// the state table applies, those of its states (FL, OK, MD), with the
    /// rules they come from.
    ///
    /// # Example
    /// ```
    /// # use dialgate::*;
    /// let world = World::from_json(r#"{"companies": [{"id": "acme", "cps_limit": 5, "calling_rules": {"caps": [{"calls": 2, "per_s": 3600}]}}],
    ///   "schedules": [{"id": "s", "company_id": "acme", "lead_token": "t"}]}"#).unwrap();
    /// let acme = world.company("acme").unwrap().clone();
    /// let engine = world.into_engine(FakeClock::at("2026-12-07T15:00:00Z").unwrap());
    /// let plan = engine.dry_run(&acme, &MakeCallRequest::for_schedule("s", "+13055550100")).unwrap();
    /// let caps = plan.calling_window.unwrap().caps(acme.calling_rules.as_deref(), plan.decided_at);
    /// assert_eq!(caps.iter().map(|c| (c.calls, c.per_s)).collect::<Vec<_>>(), [(2, 3600), (3, 86_400)]);
    /// assert!(caps[1].rule.contains("Fla. Stat. 501.616"));
    /// ```
    pub fn caps<'r>(
        &self,
        rules: Option<&'r CallingRules>,
        at: DateTime<Utc>,
    ) -> Vec<crate::admission::CallCap<'r>> {
        let mut caps = Vec::new();
        if let Some(rules) = rules {
            for (cap, label) in rules.caps.iter().zip(&rules.cap_labels) {
                caps.push(crate::admission::CallCap {
                    calls: cap.calls,
                    per_s: cap.per_s,
                    rule: label,
                });
            }
        }
        let Ok(tables) = Tables::get() else {
            return caps;
        };
        if rules.is_none_or(|r| r.states) {
            let Some(&zone) = self.zones.as_slice().first() else {
                return caps;
            };
            let date = at.with_timezone(&zone).date_naive();
            let [a, b] = self.states;
            for state in a.into_iter().chain(b.filter(|b| Some(*b) != a)) {
                if let Some(row) = tables.state_row(state, date) {
                    if let Some((calls, per_s)) = row.cap {
                        caps.push(crate::admission::CallCap {
                            calls,
                            per_s,
                            rule: &row.cap_label,
                        });
                    }
                }
            }
        }
        caps
    }

    /// The `outside_calling_window` rejection of `number` at `t`, if the
    /// window is closed then (`None` when open). Fails closed when the data
    /// cannot be had.
    ///
    /// # Example
    /// ```
    /// # use dialgate::*;
    /// let world = World::from_json(r#"{"companies": [{"id": "acme", "cps_limit": 5, "calling_rules": {}}],
    ///   "schedules": [{"id": "s", "company_id": "acme", "lead_token": "t"}]}"#).unwrap();
    /// let acme = world.company("acme").unwrap().clone();
    /// let engine = world.into_engine(FakeClock::at("2026-12-08T00:59:59Z").unwrap());
    /// let plan = engine.dry_run(&acme, &MakeCallRequest::for_schedule("s", "+13055550100")).unwrap();
    /// let found = plan.calling_window.unwrap();
    /// let later = timefmt::parse("2026-12-08T01:00:00Z").unwrap(); // 20:00 in Miami
    /// assert_eq!(found.closed_at(acme.calling_rules.as_deref(), plan.to, later).unwrap().code(), "outside_calling_window");
    /// assert!(found.closed_at(acme.calling_rules.as_deref(), plan.to, plan.decided_at).is_none());
    /// ```
    pub fn closed_at(
        &self,
        rules: Option<&CallingRules>,
        number: crate::phone::E164,
        t: DateTime<Utc>,
    ) -> Option<crate::Rejection> {
        let reject = |reason: String, retry_at| crate::Rejection::OutsideCallingWindow {
            number: number.to_string(),
            reason,
            retry_at,
        };
        let Ok(tables) = Tables::get() else {
            return Some(reject("the calling-rules data is unusable".into(), None));
        };
        let check = WindowCheck::new(rules, self, tables);
        let closure = check.closure_at(t)?;
        let retry_at = check.next_open(t, t + Duration::seconds(HORIZON_S));
        Some(reject(closure.to_string(), retry_at))
    }

    /// A guard's own clearance deferred into the calling window (see
    /// [`WindowCheck::defer`]).
    ///
    /// # Example
    /// See [`WindowCheck::defer`].
    pub fn defer(
        &self,
        rules: Option<&CallingRules>,
        clearance: DateTime<Utc>,
        decided_at: DateTime<Utc>,
    ) -> Option<DateTime<Utc>> {
        let tables = Tables::get().ok()?;
        WindowCheck::new(rules, self, tables).defer(clearance, decided_at)
    }
}

/// The rule that closed a window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Rule {
    Federal,
    Company,
    Schedule,
    State(State),
    Canada,
    Holiday,
    StateHoliday(State),
}

/// Why the window is closed: in which zone, at what local time, by which
/// rule.
///
/// # Example
/// ```
/// # use dialgate::*;
/// let world = World::from_json(r#"{"companies": [{"id": "acme", "cps_limit": 5, "calling_rules": {}}],
///   "schedules": [{"id": "s", "company_id": "acme", "lead_token": "t"}]}"#).unwrap();
/// let acme = world.company("acme").unwrap().clone();
/// let engine = world.into_engine(FakeClock::at("2026-12-08T01:30:00Z").unwrap());
/// let err = engine.dry_run(&acme, &MakeCallRequest::for_schedule("s", "+13055550100")).unwrap_err();
/// assert_eq!(err.code(), "outside_calling_window");
/// assert!(err.to_string().contains("20:30 Mon in America/New_York"), "{err}");
/// assert!(err.to_string().contains("Fla. Stat. 501.616"), "{err}");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Closure {
    /// The zone where it is closed.
    pub zone: Tz,
    /// The local time there.
    pub local: NaiveDateTime,
    /// The rule, described.
    pub rule: String,
}

impl fmt::Display for Closure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} in {} is outside {}",
            self.local.format("%H:%M"),
            self.local.weekday(),
            self.zone.name(),
            self.rule
        )
    }
}

/// One day's window in one zone, seconds after local midnight, with the
/// rules that set each bound.
struct DayWindow {
    lo: u32,
    lo_rule: Rule,
    hi: u32,
    hi_rule: Rule,
}

/// The calling window of one number under one set of rules.
///
/// # Example
/// ```
/// use dialgate::calling::*;
/// let tables = Tables::get().unwrap();
/// let found = WindowFound { zones: Zones::Map(tables.zones(12125550100).unwrap()), states: [None, None], canada: false, schedule_hours: None };
/// let rules = CallingRules::federal_and_states();
/// let check = WindowCheck::new(Some(&rules), &found, tables);
/// let t = dialgate::timefmt::parse("2026-12-07T12:59:59Z").unwrap();
/// assert!(check.closure_at(t).is_some());
/// assert_eq!(dialgate::timefmt::rfc3339(check.next_open(t, t + chrono::Duration::days(8)).unwrap()), "2026-12-07T13:00:00Z");
/// ```
#[derive(Debug)]
pub struct WindowCheck<'a> {
    rules: Option<&'a CallingRules>,
    found: &'a WindowFound,
    tables: &'static Tables,
}

impl<'a> WindowCheck<'a> {
    /// The window for `found` under the company's `rules` (`None`: the
    /// defaults, when only the schedule has calling hours).
    ///
    /// # Example
    /// See [`WindowCheck`].
    pub fn new(
        rules: Option<&'a CallingRules>,
        found: &'a WindowFound,
        tables: &'static Tables,
    ) -> Self {
        WindowCheck {
            rules,
            found,
            tables,
        }
    }

    fn states_apply(&self) -> bool {
        self.rules.is_none_or(|r| r.states)
    }

    /// The states that apply, each once.
    fn states(&self) -> impl Iterator<Item = State> + '_ {
        let [a, b] = self.found.states;
        a.into_iter().chain(b.filter(|b| Some(*b) != a))
    }

    /// The window of `date` in a zone, or the rule that closes the day.
    fn day_window(&self, date: NaiveDate) -> Result<DayWindow, Rule> {
        let weekday = date.weekday();
        let mut w = DayWindow {
            lo: 0,
            lo_rule: Rule::Federal,
            hi: 86_400,
            hi_rule: Rule::Federal,
        };
        let mut narrow = |day: Option<Day>, rule: Rule| -> Result<(), Rule> {
            match day {
                None => Ok(()),
                Some(Day::Closed) => Err(rule),
                Some(Day::Open {
                    start_min,
                    stop_min,
                }) => {
                    let (lo, hi) = (u32::from(start_min) * 60, u32::from(stop_min) * 60);
                    if lo > w.lo || rule == Rule::Federal {
                        w.lo = w.lo.max(lo);
                        w.lo_rule = rule;
                    }
                    if hi < w.hi || rule == Rule::Federal {
                        w.hi = w.hi.min(hi);
                        w.hi_rule = rule;
                    }
                    Ok(())
                }
            }
        };
        narrow(Some(FEDERAL), Rule::Federal)?;
        if let Some(rules) = self.rules {
            if rules.is_holiday(date) {
                return Err(Rule::Holiday);
            }
            for state in self.states() {
                if rules.is_state_holiday(state, date) {
                    return Err(Rule::StateHoliday(state));
                }
            }
            narrow(rules.hours.and_then(|h| h.day(weekday)), Rule::Company)?;
        }
        narrow(
            self.found.schedule_hours.and_then(|h| h.day(weekday)),
            Rule::Schedule,
        )?;
        if self.states_apply() {
            for state in self.states() {
                if let Some(row) = self.tables.state_row(state, date) {
                    narrow(Some(row.day(weekday)), Rule::State(state))?;
                }
            }
            if self.found.canada {
                if let Some(row) = self.tables.canada_row(date) {
                    narrow(Some(row.day(weekday)), Rule::Canada)?;
                }
            }
        }
        Ok(w)
    }

    fn describe(&self, rule: Rule, date: NaiveDate) -> String {
        let hours = |day: Day| match day {
            Day::Closed => "no calls".to_owned(),
            Day::Open {
                start_min,
                stop_min,
            } => format!(
                "{:02}:{:02}-{:02}:{:02}",
                start_min / 60,
                start_min % 60,
                stop_min / 60,
                stop_min % 60
            ),
        };
        let weekday = date.weekday();
        match rule {
            Rule::Federal => {
                "the federal window 08:00-21:00 (47 CFR 64.1200(c)(1), 16 CFR 310.4(c))".into()
            }
            Rule::Company => format!(
                "the company's hours ({})",
                self.rules
                    .and_then(|r| r.hours)
                    .and_then(|h| h.day(weekday))
                    .map_or_else(String::new, hours)
            ),
            Rule::Schedule => format!(
                "the schedule's calling hours ({})",
                self.found
                    .schedule_hours
                    .and_then(|h| h.day(weekday))
                    .map_or_else(String::new, hours)
            ),
            Rule::State(state) => match self.tables.state_row(state, date) {
                Some(row) => format!(
                    "{state}'s hours ({}, {})",
                    hours(row.day(weekday)),
                    row.statute
                ),
                None => format!("{state}'s hours"),
            },
            Rule::Canada => match self.tables.canada_row(date) {
                Some(row) => format!(
                    "Canada's hours ({}, {})",
                    hours(row.day(weekday)),
                    row.statute
                ),
                None => "Canada's hours".into(),
            },
            Rule::Holiday => format!("any window: {date} is a company holiday"),
            Rule::StateHoliday(state) => format!("any window: {date} is a {state} holiday"),
        }
    }

    /// Why the window is closed at `t`, or `None` when it is open in every
    /// zone.
    ///
    /// # Example
    /// See [`WindowCheck`].
    pub fn closure_at(&self, t: DateTime<Utc>) -> Option<Closure> {
        for &tz in self.found.zones.as_slice() {
            let local = t.with_timezone(&tz).naive_local();
            let date = local.date();
            let tod_ns = u64::from(local.num_seconds_from_midnight()) * 1_000_000_000
                + u64::from(local.nanosecond().min(999_999_999));
            let rule = match self.day_window(date) {
                Err(rule) => Some(rule),
                Ok(w) if tod_ns < u64::from(w.lo) * 1_000_000_000 => Some(w.lo_rule),
                Ok(w) if tod_ns >= u64::from(w.hi) * 1_000_000_000 => Some(w.hi_rule),
                Ok(_) => None,
            };
            if let Some(rule) = rule {
                return Some(Closure {
                    zone: tz,
                    local,
                    rule: self.describe(rule, date),
                });
            }
        }
        None
    }

    /// The earliest instant at or after `from`, and at or before `limit`,
    /// at which the window is open in every zone.
    ///
    /// Openness can change only where some zone's local time crosses a
    /// bound of a rule's window or midnight, or at a change of offset: the
    /// answer is `from` or one of those instants, each tried in order.
    ///
    /// # Example
    /// See [`WindowCheck`].
    pub fn next_open(&self, from: DateTime<Utc>, limit: DateTime<Utc>) -> Option<DateTime<Utc>> {
        if self.closure_at(from).is_none() {
            return Some(from);
        }
        let mut candidates = Vec::new();
        for &tz in self.found.zones.as_slice() {
            let first = from.with_timezone(&tz).date_naive().pred_opt()?;
            let last = limit.with_timezone(&tz).date_naive().succ_opt()?;
            let mut date = first;
            while date <= last {
                for minutes in self.bounds(date) {
                    let naive = date.and_hms_opt(0, 0, 0)? + Duration::minutes(i64::from(minutes));
                    local_instants(tz, naive, &mut candidates);
                }
                date = date.succ_opt()?;
            }
            offset_changes(tz, from, limit, &mut candidates);
        }
        candidates.retain(|c| *c > from && *c <= limit);
        candidates.sort_unstable();
        candidates.dedup();
        candidates
            .into_iter()
            .find(|c| self.closure_at(*c).is_none())
    }

    /// Every bound of every rule's window on `date`, minutes, and midnight.
    fn bounds(&self, date: NaiveDate) -> Vec<u16> {
        let weekday = date.weekday();
        let mut days = vec![FEDERAL];
        if let Some(d) = self
            .rules
            .and_then(|r| r.hours)
            .and_then(|h| h.day(weekday))
        {
            days.push(d);
        }
        if let Some(d) = self.found.schedule_hours.and_then(|h| h.day(weekday)) {
            days.push(d);
        }
        if self.states_apply() {
            for state in self.states() {
                if let Some(row) = self.tables.state_row(state, date) {
                    days.push(row.day(weekday));
                }
            }
            if self.found.canada {
                if let Some(row) = self.tables.canada_row(date) {
                    days.push(row.day(weekday));
                }
            }
        }
        let mut out = vec![0, 1440];
        for day in days {
            if let Day::Open {
                start_min,
                stop_min,
            } = day
            {
                out.extend([start_min, stop_min]);
            }
        }
        out
    }

    /// A guard's own clearance moved to the earliest open instant at or
    /// after it; `None` past `decided_at` + [`HORIZON_S`].
    ///
    /// # Example
    /// ```
    /// use dialgate::calling::*;
    /// let tables = Tables::get().unwrap();
    /// let found = WindowFound { zones: Zones::Map(tables.zones(12125550100).unwrap()), states: [None, None], canada: false, schedule_hours: None };
    /// let rules = CallingRules::federal_and_states();
    /// let check = WindowCheck::new(Some(&rules), &found, tables);
    /// let t = dialgate::timefmt::parse("2026-12-08T01:59:45Z").unwrap();
    /// let cleared = dialgate::timefmt::parse("2026-12-08T02:00:15Z").unwrap();
    /// assert_eq!(dialgate::timefmt::rfc3339(check.defer(cleared, t).unwrap()), "2026-12-08T13:00:00Z");
    /// ```
    pub fn defer(
        &self,
        clearance: DateTime<Utc>,
        decided_at: DateTime<Utc>,
    ) -> Option<DateTime<Utc>> {
        let limit = decided_at + Duration::seconds(HORIZON_S);
        if clearance > limit {
            return None;
        }
        self.next_open(clearance.max(decided_at), limit)
    }
}

/// The instants at which `tz`'s wall clock reads `naive` (two in a repeated
/// hour), or, in a gap, the instant the clock jumps past it.
fn local_instants(tz: Tz, naive: NaiveDateTime, out: &mut Vec<DateTime<Utc>>) {
    match tz.from_local_datetime(&naive) {
        chrono::LocalResult::Single(t) => out.push(t.with_timezone(&Utc)),
        chrono::LocalResult::Ambiguous(a, b) => {
            out.push(a.with_timezone(&Utc));
            out.push(b.with_timezone(&Utc));
        }
        chrono::LocalResult::None => {
            // The first instant whose local time is at or past `naive`:
            // every offset is within a day, so it is in this bracket.
            let mut lo = naive.and_utc() - Duration::days(1);
            let mut hi = naive.and_utc() + Duration::days(1);
            while hi - lo > Duration::nanoseconds(1) {
                let mid = lo + (hi - lo) / 2;
                if mid.with_timezone(&tz).naive_local() >= naive {
                    hi = mid;
                } else {
                    lo = mid;
                }
            }
            out.push(hi);
        }
    }
}

/// The instants in [from - 1 day, limit + 1 day] at which `tz`'s offset
/// changes (to the nanosecond).
fn offset_changes(tz: Tz, from: DateTime<Utc>, limit: DateTime<Utc>, out: &mut Vec<DateTime<Utc>>) {
    let offset = |t: DateTime<Utc>| tz.offset_from_utc_datetime(&t.naive_utc()).fix();
    let mut t = from - Duration::days(1);
    let end = limit + Duration::days(1);
    while t < end {
        let next = t + Duration::hours(6);
        if offset(t) != offset(next) {
            let (mut lo, mut hi) = (t, next);
            while hi - lo > Duration::nanoseconds(1) {
                let mid = lo + (hi - lo) / 2;
                if offset(mid) == offset(lo) {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            out.push(hi);
        }
        t = next;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timefmt::{parse, rfc3339};
    use serde_json::json;

    fn found(digits: u64, data_state: Option<&str>) -> WindowFound {
        let t = Tables::get().unwrap();
        let zones = Zones::Map(t.zones(digits).unwrap());
        let area = t
            .area_code(digits)
            .and_then(|(r, s)| (r == "US").then_some(s).flatten())
            .and_then(State::parse);
        WindowFound {
            zones,
            states: [area, data_state.and_then(State::parse)],
            canada: t.area_code(digits).is_some_and(|(r, _)| r == "CA"),
            schedule_hours: None,
        }
    }

    fn open(rules: &CallingRules, f: &WindowFound, at: &str) -> Result<(), String> {
        let check = WindowCheck::new(Some(rules), f, Tables::get().unwrap());
        match check.closure_at(parse(at).unwrap()) {
            None => Ok(()),
            Some(c) => Err(c.to_string()),
        }
    }

    fn next(rules: &CallingRules, f: &WindowFound, at: &str) -> Option<String> {
        let check = WindowCheck::new(Some(rules), f, Tables::get().unwrap());
        let t = parse(at).unwrap();
        check
            .next_open(t, t + Duration::seconds(HORIZON_S))
            .map(rfc3339)
    }

    #[test]
    fn every_state_row_holds() {
        // (area code's number, local weekday-day open, closed) on Mon 2026-12-07,
        // Sat 12-05, Sun 12-06.
        let rules = CallingRules::federal_and_states();
        let cases: [(u64, &str, &str, &str); 13] = [
            // number, state, an instant just inside, just outside (UTC)
            (
                13055550100,
                "FL",
                "2026-12-07T13:00:00Z",
                "2026-12-08T01:00:00Z",
            ),
            (
                14055550100,
                "OK",
                "2026-12-07T14:00:00Z",
                "2026-12-08T02:00:00Z",
            ),
            (
                14105550100,
                "MD",
                "2026-12-07T13:00:00Z",
                "2026-12-08T01:00:00Z",
            ),
            (
                12065550100,
                "WA",
                "2026-12-07T16:00:00Z",
                "2026-12-08T04:00:00Z",
            ),
            (
                16175550100,
                "MA",
                "2026-12-07T13:00:00Z",
                "2026-12-08T01:00:00Z",
            ),
            (
                17025550100,
                "NV",
                "2026-12-07T17:00:00Z",
                "2026-12-07T16:59:59Z",
            ),
            (
                12035550100,
                "CT",
                "2026-12-07T14:00:00Z",
                "2026-12-07T13:59:59Z",
            ),
            (
                12145550100,
                "TX",
                "2026-12-06T18:00:00Z",
                "2026-12-06T17:59:59Z",
            ),
            (
                15045550100,
                "LA",
                "2026-12-05T14:00:00Z",
                "2026-12-06T18:00:00Z",
            ),
            (
                12055550100,
                "AL",
                "2026-12-05T14:00:00Z",
                "2026-12-06T18:00:00Z",
            ),
            (
                16015550100,
                "MS",
                "2026-12-05T14:00:00Z",
                "2026-12-06T18:00:00Z",
            ),
            (
                18015550100,
                "UT",
                "2026-12-08T03:59:59Z",
                "2026-12-06T18:00:00Z",
            ),
            (
                14015550100,
                "RI",
                "2026-12-05T15:00:00Z",
                "2026-12-05T22:00:00Z",
            ),
        ];
        for (digits, state, inside, outside) in cases {
            let f = found(digits, None);
            assert_eq!(f.states[0], State::parse(state), "{digits}");
            assert!(open(&rules, &f, inside).is_ok(), "{state} at {inside}");
            let why = open(&rules, &f, outside).unwrap_err();
            assert!(
                why.contains(state) || why.contains("federal"),
                "{state}: {why}"
            );
        }
        // RI weekdays stop at 18:00; Canada Saturdays at 18:00.
        let ri = found(14015550100, None);
        assert!(open(&rules, &ri, "2026-12-07T23:00:00Z").is_err());
        let ab = found(14035550100, None);
        assert!(ab.canada);
        assert!(
            open(&rules, &ab, "2026-12-05T17:00:00Z").is_ok(),
            "Sat 10:00 Edmonton"
        );
        assert!(
            open(&rules, &ab, "2026-12-06T01:00:00Z").is_err(),
            "Sat 18:00"
        );
        // Canada's 21:30 stop is past the federal window's 21:00: 21:00 rules.
        assert!(
            open(&rules, &ab, "2026-12-08T03:59:59Z").is_ok(),
            "Mon 20:59:59"
        );
        let why = open(&rules, &ab, "2026-12-08T04:00:00Z").unwrap_err();
        assert!(why.contains("federal"), "{why}");
        // Without the state table only the federal window is left.
        let no_states = CallingRules {
            states: false,
            ..CallingRules::federal_and_states()
        };
        let fl = found(13055550100, None);
        assert!(open(&no_states, &fl, "2026-12-08T01:30:00Z").is_ok());
    }

    #[test]
    fn daylight_saving_in_both_directions() {
        let rules = CallingRules::federal_and_states();
        let ny = found(12125550100, None);
        // Spring forward (2026-03-08): 08:00 EDT is 12:00Z.
        assert_eq!(
            next(&rules, &ny, "2026-03-08T05:00:00Z").unwrap(),
            "2026-03-08T12:00:00Z"
        );
        // Fall back (2026-11-01): 08:00 EST is 13:00Z.
        assert_eq!(
            next(&rules, &ny, "2026-11-01T01:30:00Z").unwrap(),
            "2026-11-01T13:00:00Z"
        );
        // A window opening inside the spring-forward gap opens at the jump.
        let hours = super::super::Hours::from_json(&json!({"sun": "02:30-24:00"})).unwrap();
        let rules = CallingRules {
            hours: Some(hours),
            ..CallingRules::federal_and_states()
        };
        let f = WindowFound {
            zones: Zones::One(chrono_tz::America::New_York),
            states: [None, None],
            canada: false,
            schedule_hours: None,
        };
        let check = WindowCheck::new(Some(&rules), &f, Tables::get().unwrap());
        // Federal still rules: 08:00. The gap bound is a candidate all the same.
        let t = parse("2026-03-08T06:00:00Z").unwrap();
        assert_eq!(
            rfc3339(check.next_open(t, t + Duration::days(8)).unwrap()),
            "2026-03-08T12:00:00Z"
        );
        let mut out = Vec::new();
        local_instants(
            chrono_tz::America::New_York,
            NaiveDate::from_ymd_opt(2026, 3, 8)
                .unwrap()
                .and_hms_opt(2, 30, 0)
                .unwrap(),
            &mut out,
        );
        assert_eq!(
            out.iter().map(|t| rfc3339(*t)).collect::<Vec<_>>(),
            ["2026-03-08T07:00:00Z"]
        );
    }

    #[test]
    fn most_restrictive_zone_and_unknown_zones() {
        let rules = CallingRules::federal_and_states();
        // 208 (Boise and Los Angeles): open when Los Angeles opens.
        let idaho = found(12085550100, None);
        assert_eq!(
            next(&rules, &idaho, "2026-12-07T15:30:00Z").unwrap(),
            "2026-12-07T16:00:00Z"
        );
        let ak = found(19075550100, None);
        assert_eq!(ak.zones.as_slice().len(), 2);
        let why = open(&rules, &ak, "2026-12-07T17:00:00Z").unwrap_err();
        assert!(
            why.contains("America/Adak"),
            "08:00 in Anchorage is 07:00 in Adak: {why}"
        );
        assert!(open(&rules, &ak, "2026-12-07T18:00:00Z").is_ok());
    }

    #[test]
    fn holidays_close_the_day_in_local_time() {
        let rules = CallingRules::from_json(&json!({
            "holidays": ["2026-12-25"],
            "state_holidays": {"LA": ["2026-12-24"]},
            "states": false
        }))
        .unwrap();
        let ny = found(12125550100, None);
        let why = open(&rules, &ny, "2026-12-25T15:00:00Z").unwrap_err();
        assert!(why.contains("company holiday"), "{why}");
        // 2026-12-26T04:00Z is still the 25th in Los Angeles, the 25th ends at 05:00Z in New York.
        assert!(open(&rules, &ny, "2026-12-26T04:59:59Z").is_err());
        let la = found(15045550100, None);
        let why = open(&rules, &la, "2026-12-24T15:00:00Z").unwrap_err();
        assert!(why.contains("LA holiday"), "{why}");
        assert!(open(&rules, &ny, "2026-12-24T15:00:00Z").is_ok());
        // A data state brings its holidays.
        let via_data = found(12125550100, Some("la"));
        assert!(open(&rules, &via_data, "2026-12-24T15:00:00Z").is_err());
        assert_eq!(
            next(&rules, &via_data, "2026-12-24T15:00:00Z").unwrap(),
            "2026-12-26T13:00:00Z"
        );
    }

    #[test]
    fn the_horizon_bounds_next_open() {
        let closed = CallingRules::from_json(&json!({"hours": {
            "mon": null, "tue": null, "wed": null, "thu": null, "fri": null, "sat": null, "sun": null}}))
        .unwrap();
        let ny = found(12125550100, None);
        assert_eq!(next(&closed, &ny, "2026-12-07T15:00:00Z"), None);
        // Open only on Mondays: a week away is inside 8 days.
        let mondays = CallingRules::from_json(&json!({"hours": {
            "tue": null, "wed": null, "thu": null, "fri": null, "sat": null, "sun": null}}))
        .unwrap();
        assert_eq!(
            next(&mondays, &ny, "2026-12-08T15:00:00Z").unwrap(),
            "2026-12-14T13:00:00Z"
        );
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
        /// next_open(t) is open and nothing in [t, next_open(t)) is: checked
        /// on every whole minute (every bound is a whole local minute, and
        /// every offset here a whole number of minutes, so openness is
        /// constant between whole UTC minutes) and t itself.
        #[test]
        fn next_open_is_the_first_open_instant(
            start in 1_767_225_600i64..1_830_297_600,
            digits in proptest::sample::select(vec![12125550100u64, 12085550100, 13055550100, 14035550100, 19075550100, 15045550100]),
            sunday_closed in proptest::bool::ANY,
        ) {
            let rules = if sunday_closed {
                CallingRules::from_json(&json!({"hours": {"sun": null, "sat": "10:30-14:45"}})).unwrap()
            } else {
                CallingRules::federal_and_states()
            };
            let f = found(digits, None);
            let check = WindowCheck::new(Some(&rules), &f, Tables::get().unwrap());
            let t = DateTime::from_timestamp(start, 123).unwrap();
            let limit = t + Duration::seconds(HORIZON_S);
            let got = check.next_open(t, limit);
            let mut scan = t;
            let expected = loop {
                if check.closure_at(scan).is_none() { break Some(scan); }
                let minute = DateTime::from_timestamp(scan.timestamp().div_euclid(60) * 60 + 60, 0).unwrap();
                if minute > limit { break None; }
                scan = minute;
            };
            proptest::prop_assert_eq!(got, expected);
        }
    }
}
