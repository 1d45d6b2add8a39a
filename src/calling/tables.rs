//! The calling rules' data, embedded from `data/` and indexed once per
//! process: libphonenumber's time-zone map (longest prefix of the E.164
//! digits), the NANP area-code table (region and state) and the state rules.

use std::collections::HashMap;
use std::sync::OnceLock;

use chrono::NaiveDate;
use chrono_tz::Tz;

use super::{parse_window, Day, State};

const TIMEZONES: &str = include_str!("../../data/timezones.tsv");
const AREA_CODES: &str = include_str!("../../data/nanp_area_codes.tsv");
const STATE_RULES: &str = include_str!("../../data/state_rules.tsv");

/// A row of the state table (or the Canada row).
///
/// # Example
/// ```
/// let tables = dialgate::calling::Tables::get().unwrap();
/// let fl = tables.state_row(dialgate::calling::State::parse("FL").unwrap(), chrono::NaiveDate::from_ymd_opt(2026, 12, 7).unwrap()).unwrap();
/// assert_eq!(fl.cap, Some((3, 86_400)));
/// assert_eq!(fl.statute, "Fla. Stat. 501.616");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StateRow {
    /// The state, or `"Canada"`.
    pub name: String,
    /// Monday to Friday.
    pub weekday: Day,
    /// Saturday.
    pub saturday: Day,
    /// Sunday.
    pub sunday: Day,
    /// The cap, (calls, seconds).
    pub cap: Option<(u32, u32)>,
    /// The local date from which the row applies.
    pub since: NaiveDate,
    /// The statute.
    pub statute: String,
    /// "FL's cap of 3 calls per 86400 s (Fla. Stat. 501.616)", for rejections.
    pub cap_label: String,
}

impl StateRow {
    /// The row's hours on `weekday`.
    ///
    /// # Example
    /// ```
    /// let tables = dialgate::calling::Tables::get().unwrap();
    /// let la = tables.state_row(dialgate::calling::State::parse("LA").unwrap(), chrono::NaiveDate::from_ymd_opt(2026, 12, 7).unwrap()).unwrap();
    /// assert_eq!(la.day(chrono::Weekday::Sun), dialgate::calling::Day::Closed);
    /// ```
    pub fn day(&self, weekday: chrono::Weekday) -> Day {
        match weekday {
            chrono::Weekday::Sat => self.saturday,
            chrono::Weekday::Sun => self.sunday,
            _ => self.weekday,
        }
    }
}

/// The indexed data.
///
/// # Example
/// ```
/// let tables = dialgate::calling::Tables::get().unwrap();
/// assert_eq!(tables.zones(12125550100).map(|z| z.len()), Some(1));
/// assert_eq!(tables.zones(18005550100), None, "toll-free: only the bare country code matches");
/// ```
#[derive(Debug)]
pub struct Tables {
    /// (prefix digits << 4 | prefix length) -> index into `zone_sets`, and
    /// bit 16 set when no shorter prefix is listed (a bare country code).
    prefixes: HashMap<u64, u32>,
    zone_sets: Vec<Box<[Tz]>>,
    longest_prefix: u32,
    /// By NANP area code: region (two letters) and state or province.
    area_codes: Vec<Option<AreaCode>>,
    /// State rows, sorted by state then date.
    states: Vec<(State, StateRow)>,
    /// Canada rows, sorted by date.
    canada: Vec<StateRow>,
}

/// An area code's region and state or province, two letters each.
type AreaCode = ([u8; 2], Option<[u8; 2]>);

static TABLES: OnceLock<Result<Tables, String>> = OnceLock::new();

impl Tables {
    /// The embedded tables, indexed on first use.
    ///
    /// # Errors
    /// The embedded data does not parse (a unit test proves it does; the
    /// engine fails closed on it).
    ///
    /// # Example
    /// See [`Tables`].
    pub fn get() -> Result<&'static Tables, &'static str> {
        TABLES
            .get_or_init(Tables::build)
            .as_ref()
            .map_err(String::as_str)
    }

    fn build() -> Result<Tables, String> {
        let mut prefixes = HashMap::new();
        let mut zone_sets: Vec<Box<[Tz]>> = Vec::new();
        let mut interned: HashMap<&str, u16> = HashMap::new();
        let mut longest_prefix = 0;
        for (n, line) in data_lines(TIMEZONES) {
            let (prefix, zones) = line
                .split_once('\t')
                .ok_or(format!("data/timezones.tsv:{n}: no tab"))?;
            let digits: u64 = prefix
                .parse()
                .map_err(|_| format!("data/timezones.tsv:{n}: bad prefix"))?;
            let len = u32::try_from(prefix.len()).unwrap_or(u32::MAX);
            if len == 0 || len > 15 {
                return Err(format!("data/timezones.tsv:{n}: bad prefix length"));
            }
            let set = match interned.get(zones) {
                Some(&i) => i,
                None => {
                    let parsed = zones
                        .split('&')
                        .map(|z| z.parse::<Tz>())
                        .collect::<Result<Vec<Tz>, _>>()
                        .map_err(|e| format!("data/timezones.tsv:{n}: {e}"))?;
                    let i = u16::try_from(zone_sets.len())
                        .map_err(|_| "data/timezones.tsv: too many zone sets".to_owned())?;
                    zone_sets.push(parsed.into_boxed_slice());
                    interned.insert(zones, i);
                    i
                }
            };
            prefixes.insert(digits << 4 | u64::from(len), u32::from(set));
            longest_prefix = longest_prefix.max(len);
        }
        // Country codes form a prefix code: an entry no shorter entry
        // begins is its country's code.
        let keys: Vec<u64> = prefixes.keys().copied().collect();
        for key in keys {
            let (digits, len) = (key >> 4, (key & 15) as u32);
            let shorter = (1..len).any(|l| {
                let p = digits / 10u64.pow(len - l);
                prefixes.contains_key(&(p << 4 | u64::from(l)))
            });
            if !shorter {
                if let Some(v) = prefixes.get_mut(&key) {
                    *v |= 1 << 16;
                }
            }
        }

        let mut area_codes = vec![None; 1000];
        for (n, line) in data_lines(AREA_CODES) {
            let mut f = line.split('\t');
            let code: usize = f
                .next()
                .and_then(|c| c.parse().ok())
                .filter(|c| (200..1000).contains(c))
                .ok_or(format!("data/nanp_area_codes.tsv:{n}: bad area code"))?;
            let region =
                two(f.next()).ok_or(format!("data/nanp_area_codes.tsv:{n}: bad region"))?;
            let state = two(f.next().filter(|s| !s.is_empty()));
            if let Some(slot) = area_codes.get_mut(code) {
                *slot = Some((region, state));
            }
        }

        let mut states = Vec::new();
        let mut canada = Vec::new();
        for (n, line) in data_lines(STATE_RULES) {
            let place = format!("data/state_rules.tsv:{n}");
            let f: Vec<&str> = line.split('\t').collect();
            let [name, weekday, saturday, sunday, cap, since, statute] = f.as_slice() else {
                return Err(format!("{place}: expected 7 columns"));
            };
            let day = |s: &str| -> Result<Day, String> {
                if s == "-" {
                    Ok(Day::Closed)
                } else {
                    parse_window(s).ok_or(format!("{place}: bad hours `{s}`"))
                }
            };
            let cap = match *cap {
                "-" => None,
                c => {
                    let (a, b) = c.split_once('/').ok_or(format!("{place}: bad cap"))?;
                    let calls: u32 = a.parse().map_err(|_| format!("{place}: bad cap"))?;
                    let per: u32 = b.parse().map_err(|_| format!("{place}: bad cap"))?;
                    if calls == 0 || per == 0 {
                        return Err(format!("{place}: bad cap"));
                    }
                    Some((calls, per))
                }
            };
            let row = StateRow {
                name: (*name).to_owned(),
                weekday: day(weekday)?,
                saturday: day(saturday)?,
                sunday: day(sunday)?,
                cap,
                since: NaiveDate::parse_from_str(since, "%Y-%m-%d")
                    .map_err(|_| format!("{place}: bad date"))?,
                statute: (*statute).to_owned(),
                cap_label: cap
                    .map(|(c, s)| format!("{name}'s cap of {c} calls per {s} s ({statute})"))
                    .unwrap_or_default(),
            };
            if *name == "Canada" {
                canada.push(row);
            } else {
                let state =
                    State::parse(name).ok_or(format!("{place}: `{name}` is not a state"))?;
                states.push((state, row));
            }
        }
        states.sort_by_key(|(state, row)| (*state, row.since));
        canada.sort_by_key(|r| r.since);
        Ok(Tables {
            prefixes,
            zone_sets,
            longest_prefix,
            area_codes,
            states,
            canada,
        })
    }

    /// The zones of the longest prefix of `digits` (E.164, without `+`) in
    /// the time-zone map; `None` when the zone is unknown (no prefix
    /// matches, or only the bare country code, listing several zones).
    ///
    /// # Example
    /// ```
    /// let tables = dialgate::calling::Tables::get().unwrap();
    /// let boise = tables.zones(12085550100).unwrap();
    /// assert_eq!(boise.len(), 2);
    /// assert_eq!(tables.zones(12083970000).unwrap()[0], chrono_tz::America::Denver);
    /// ```
    pub fn zones(&self, digits: u64) -> Option<&[Tz]> {
        let len = decimal_len(digits);
        let mut l = len.min(self.longest_prefix);
        while l >= 1 {
            let prefix = digits / 10u64.pow(len - l);
            if let Some(&entry) = self.prefixes.get(&(prefix << 4 | u64::from(l))) {
                let zones = self.zone_sets.get((entry & 0xffff) as usize)?;
                // The bare country code with several zones says nothing.
                let country_code = entry >> 16 == 1;
                return (!(country_code && zones.len() > 1)).then_some(&**zones);
            }
            l -= 1;
        }
        None
    }

    /// For a NANP number (`1` + 10 digits): the region where its area code
    /// is valid and the state or province the table names.
    ///
    /// # Example
    /// ```
    /// let tables = dialgate::calling::Tables::get().unwrap();
    /// assert_eq!(tables.area_code(13055550100), Some(("US", Some("FL"))));
    /// assert_eq!(tables.area_code(14035550100), Some(("CA", Some("AB"))));
    /// assert_eq!(tables.area_code(442071838750), None);
    /// ```
    pub fn area_code(&self, digits: u64) -> Option<(&str, Option<&str>)> {
        if !(10_000_000_000..20_000_000_000).contains(&digits) {
            return None;
        }
        let npa = (digits / 10_000_000 % 1000) as usize;
        let (region, state) = self.area_codes.get(npa)?.as_ref()?;
        let region = std::str::from_utf8(region).ok()?;
        let state = state.as_ref().and_then(|s| std::str::from_utf8(s).ok());
        Some((region, state))
    }

    /// The row of `state` that applies on local date `date` (the latest
    /// whose date has come), if the table has one.
    ///
    /// # Example
    /// See [`StateRow`].
    pub fn state_row(&self, state: State, date: NaiveDate) -> Option<&StateRow> {
        self.states
            .iter()
            .filter(|(s, row)| *s == state && row.since <= date)
            .map(|(_, row)| row)
            .next_back()
    }

    /// The Canada row on local date `date`.
    ///
    /// # Example
    /// ```
    /// let tables = dialgate::calling::Tables::get().unwrap();
    /// let ca = tables.canada_row(chrono::NaiveDate::from_ymd_opt(2026, 12, 7).unwrap()).unwrap();
    /// assert_eq!(ca.day(chrono::Weekday::Sat), dialgate::calling::Day::Open { start_min: 600, stop_min: 1080 });
    /// ```
    pub fn canada_row(&self, date: NaiveDate) -> Option<&StateRow> {
        self.canada.iter().rfind(|r| r.since <= date)
    }
}

fn two(s: Option<&str>) -> Option<[u8; 2]> {
    match s?.as_bytes() {
        [a, b] => Some([*a, *b]),
        _ => None,
    }
}

/// The data lines of a table, numbered from 1, comments and blanks skipped.
fn data_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim_end_matches('\r')))
        .filter(|(_, l)| !l.is_empty() && !l.starts_with('#'))
}

fn decimal_len(mut n: u64) -> u32 {
    let mut len = 1;
    while n >= 10 {
        n /= 10;
        len += 1;
    }
    len
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_data_parses() {
        let t = Tables::get().unwrap();
        assert!(t.prefixes.len() > 3000);
        assert!(t.states.len() >= 13);
        assert!(!t.canada.is_empty());
        assert_eq!(t.area_code(12125550100), Some(("US", Some("NY"))));
    }

    #[test]
    fn multi_zone_area_codes_and_overlays() {
        let t = Tables::get().unwrap();
        let names = |d| {
            t.zones(d)
                .unwrap()
                .iter()
                .map(|z| z.name())
                .collect::<Vec<_>>()
        };
        assert_eq!(names(12085550100), ["America/Boise", "America/Los_Angeles"]);
        assert_eq!(names(12083970000), ["America/Denver"]);
        assert_eq!(
            names(16055550100),
            ["America/Denver", "America/North_Dakota/Center"]
        );
        assert_eq!(names(19075550100), ["America/Adak", "America/Anchorage"]);
        // 212 and its overlay 646 are both New York.
        assert_eq!(names(12125550100), names(16465550100));
        assert_eq!(t.zones(18885550100), None);
        assert_eq!(t.zones(442071838750).map(|z| z.len()), Some(1));
    }
}
