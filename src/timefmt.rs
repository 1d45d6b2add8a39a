//! The one time format the crate writes: RFC 3339, UTC, `Z`, the fraction
//! left out when zero, else 3, 6 or 9 digits, the fewest that are exact.

use chrono::{DateTime, SecondsFormat, Utc};

/// Formats `t` as the contract writes times.
///
/// # Example
/// ```
/// use chrono::{TimeZone, Utc};
/// let t = Utc.with_ymd_and_hms(2026, 11, 26, 15, 0, 40).unwrap();
/// assert_eq!(dialgate::timefmt::rfc3339(t), "2026-11-26T15:00:40Z");
/// let t = t + chrono::Duration::milliseconds(500);
/// assert_eq!(dialgate::timefmt::rfc3339(t), "2026-11-26T15:00:40.500Z");
/// ```
pub fn rfc3339(t: DateTime<Utc>) -> String {
    // AutoSi picks 0, 3, 6 or 9 fractional digits, the fewest that are exact.
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// Reads an RFC 3339 time with any offset into UTC.
///
/// # Errors
/// A message naming what is wrong when `text` is not RFC 3339.
///
/// # Example
/// ```
/// let t = dialgate::timefmt::parse("2026-11-26T10:00:00-05:00").unwrap();
/// assert_eq!(dialgate::timefmt::rfc3339(t), "2026-11-26T15:00:00Z");
/// assert!(dialgate::timefmt::parse("yesterday").is_err());
/// ```
pub fn parse(text: &str) -> Result<DateTime<Utc>, String> {
    let t = DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| format!("`{text}` is not an RFC 3339 time ({e})"))?;
    // chrono reads second 60 as a leap second on any minute, an instant
    // that sorts before the next second's start: time would seem to go
    // backwards. UTC as the engine keeps it has no leap seconds.
    if chrono::Timelike::nanosecond(&t) >= 1_000_000_000 {
        return Err(format!(
            "`{text}` has second 60: leap seconds are not accepted"
        ));
    }
    Ok(t)
}
