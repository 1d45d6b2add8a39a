//! Reading telephone numbers into E.164, the number stage's parser.
//!
//! [`NumberReader::read`] gives the same verdict and the same E.164 text as
//! `phonenumber::parse` followed by `phonenumber::is_valid` in the given
//! region, after turning every Unicode decimal digit into its ASCII twin.
//!
//! Most texts never reach `phonenumber`: a fast path (`fast.rs`) replays its
//! parse and validation for the common shapes (`+CC ...`, national formats
//! with ` -.()/` separators, IDD prefixes, trailing `x`/`ext` extensions)
//! with the metadata patterns compiled into its own regexes. Anything else
//! falls back to `phonenumber`, so the answer is always the reference's.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;
use std::sync::{Arc, OnceLock};

#[doc(hidden)]
pub mod corpus;
mod fast;

use phonenumber::country::Id;

/// The longest text, in characters, that is read as a number; longer is
/// rejected before any parsing so a request's cost stays bounded.
///
/// # Example
/// ```
/// use dialgate::{phone::MAX_NUMBER_CHARS, NumberError, NumberReader, Region};
/// let long = "1".repeat(MAX_NUMBER_CHARS + 1);
/// assert_eq!(NumberReader::new().read(&long, Region::US), Err(NumberError::TooLong));
/// ```
pub const MAX_NUMBER_CHARS: usize = 250;

/// A region (ISO 3166 alpha-2) whose conventions read numbers written
/// without a leading `+`.
///
/// # Example
/// ```
/// use dialgate::Region;
/// let us: Region = "US".parse().unwrap();
/// assert_eq!(us.as_str(), "US");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Region(Id);

impl Region {
    /// The United States, the default region of a company.
    ///
    /// # Example
    /// ```
    /// use dialgate::{Company, Region};
    /// assert_eq!("US".parse::<Region>().unwrap(), Region::US);
    /// assert_eq!(Company::new("acme", 5).unwrap().default_region, Region::US);
    /// ```
    pub const US: Region = Region(Id::US);

    /// The region's two-letter code.
    ///
    /// # Example
    /// ```
    /// assert_eq!(dialgate::Region::US.as_str(), "US");
    /// ```
    pub fn as_str(&self) -> &str {
        self.0.as_ref()
    }

    /// The `phonenumber` identifier of this region.
    ///
    /// # Example
    /// ```
    /// assert_eq!(dialgate::Region::US.id(), phonenumber::country::Id::US);
    /// ```
    pub fn id(self) -> Id {
        self.0
    }
}

impl Default for Region {
    fn default() -> Self {
        Region::US
    }
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The error of parsing a [`Region`] from text that is not a known
/// ISO 3166 alpha-2 code.
///
/// # Example
/// ```
/// use dialgate::{phone::UnknownRegion, Region};
/// assert_eq!("us".parse::<Region>(), Err(UnknownRegion("us".to_owned())));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a region code (ISO 3166 alpha-2, such as `US`)")]
pub struct UnknownRegion(pub String);

impl FromStr for Region {
    type Err = UnknownRegion;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        // phonenumber's parser is case-sensitive and lists only upper case.
        Id::from_str(s)
            .map(Region)
            .map_err(|_| UnknownRegion(s.to_owned()))
    }
}

/// A valid telephone number in E.164 form, held as its digits.
///
/// E.164 digits never start with `0` (no country code does), so the integer
/// keeps every digit.
///
/// # Example
/// ```
/// use dialgate::{E164, NumberReader, Region};
/// let n = NumberReader::new().read("(719) 555-1234", Region::US).unwrap();
/// assert_eq!(n.to_string(), "+17195551234");
/// assert_eq!(n, E164::from_digits(17195551234).unwrap());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct E164(u64);

impl E164 {
    /// The largest E.164 number: fifteen digits.
    const MAX: u64 = 999_999_999_999_999;

    /// A number from its E.164 digits (without `+`); `None` for zero or more
    /// than fifteen digits. It does not check that the number is valid.
    ///
    /// # Example
    /// ```
    /// assert!(dialgate::E164::from_digits(17195551234).is_some());
    /// assert!(dialgate::E164::from_digits(0).is_none());
    /// ```
    pub fn from_digits(digits: u64) -> Option<E164> {
        (digits != 0 && digits <= Self::MAX).then_some(E164(digits))
    }

    /// The digits as an integer.
    ///
    /// # Example
    /// ```
    /// assert_eq!(dialgate::E164::from_digits(442071838750).unwrap().digits(), 442071838750);
    /// ```
    pub fn digits(self) -> u64 {
        self.0
    }

    /// How many digits the number has.
    ///
    /// # Example
    /// ```
    /// assert_eq!(dialgate::E164::from_digits(17195551234).unwrap().len(), 11);
    /// ```
    pub fn len(self) -> u32 {
        self.0.checked_ilog10().unwrap_or(0) + 1
    }

    /// Always false: a number has at least one digit.
    ///
    /// # Example
    /// ```
    /// assert!(!dialgate::E164::from_digits(1).unwrap().is_empty());
    /// ```
    pub fn is_empty(self) -> bool {
        false
    }

    /// Whether the number's text starts with the digits of `prefix`
    /// (`prefix_len` of them).
    ///
    /// # Example
    /// ```
    /// let n = dialgate::E164::from_digits(17195551234).unwrap();
    /// assert!(n.starts_with(1719, 4));
    /// assert!(!n.starts_with(44, 2));
    /// ```
    pub fn starts_with(self, prefix: u64, prefix_len: u32) -> bool {
        let len = self.len();
        len >= prefix_len && self.0 / 10u64.pow(len - prefix_len) == prefix
    }
}

impl fmt::Display for E164 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "+{}", self.0)
    }
}

/// Why a text is not a dialable number.
///
/// # Example
/// ```
/// use dialgate::{NumberError, NumberReader, Region};
/// assert_eq!(NumberReader::new().read("n/a", Region::US), Err(NumberError::NoDigits));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NumberError {
    /// The text is longer than [`MAX_NUMBER_CHARS`].
    #[error("number is longer than {MAX_NUMBER_CHARS} characters")]
    TooLong,
    /// The text has no decimal digit.
    #[error("number has no digits")]
    NoDigits,
    /// The text does not read as a valid number of its region.
    #[error("not a valid number in region {0}")]
    Invalid(Region),
}

/// Reads numbers in a region's conventions.
///
/// One reader serves many threads (`&self`); build it once per engine.
/// Readers share one set of patterns, compiled per country on first use and
/// then only read: unlike `phonenumber`'s global regex cache there is no
/// eviction and no shared lock (the regexes keep per-thread search caches).
///
/// # Example
/// ```
/// use dialgate::{NumberError, NumberReader, Region};
/// let reader = NumberReader::new();
/// assert_eq!(reader.read("+1 719 555 1234", Region::US).unwrap().to_string(), "+17195551234");
/// assert_eq!(reader.read("12345", Region::US), Err(NumberError::Invalid(Region::US)));
/// ```
#[derive(Debug, Clone)]
pub struct NumberReader {
    fast: Arc<fast::Tables>,
}

impl Default for NumberReader {
    fn default() -> Self {
        NumberReader::new()
    }
}

impl NumberReader {
    /// A reader. The first reader indexes `phonenumber`'s metadata; later
    /// ones share it.
    ///
    /// # Example
    /// ```
    /// let reader = dialgate::NumberReader::new();
    /// assert!(reader.read("719-555-1234", dialgate::Region::US).is_ok());
    /// ```
    pub fn new() -> Self {
        static TABLES: OnceLock<Arc<fast::Tables>> = OnceLock::new();
        NumberReader {
            fast: Arc::clone(TABLES.get_or_init(|| Arc::new(fast::Tables::new()))),
        }
    }

    /// Reads `text` in `region` into E.164.
    ///
    /// # Example
    /// ```
    /// use dialgate::{NumberReader, Region};
    /// let gb: Region = "GB".parse().unwrap();
    /// let n = NumberReader::new().read("020 7183 8750", gb).unwrap();
    /// assert_eq!(n.to_string(), "+442071838750");
    /// ```
    ///
    /// The verdict and digits are exactly [`reference_read`]'s on
    /// [`ascii_digits`]`(text)`.
    ///
    /// # Errors
    /// [`NumberError::TooLong`] past [`MAX_NUMBER_CHARS`] characters,
    /// [`NumberError::NoDigits`] when no character is a decimal digit, and
    /// [`NumberError::Invalid`] when the text is not a valid number.
    pub fn read(&self, text: &str, region: Region) -> Result<E164, NumberError> {
        if text.len() > MAX_NUMBER_CHARS && text.chars().nth(MAX_NUMBER_CHARS).is_some() {
            return Err(NumberError::TooLong);
        }
        match self.fast.read(text, region) {
            fast::Verdict::Valid(digits) => {
                E164::from_digits(digits).ok_or(NumberError::Invalid(region))
            }
            fast::Verdict::Invalid => Err(NumberError::Invalid(region)),
            fast::Verdict::Unsure => Self::read_slow(text, region),
        }
    }

    /// Whether [`read`](Self::read) answers `text` in `region` without
    /// asking `phonenumber` (the answer is the same either way; this only
    /// tells the cost).
    ///
    /// # Example
    /// ```
    /// use dialgate::{NumberReader, Region};
    /// let reader = NumberReader::new();
    /// assert!(reader.is_fast("(719) 555-1234", Region::US));
    /// assert!(!reader.is_fast("1-800-FLOWERS", Region::US));
    /// ```
    pub fn is_fast(&self, text: &str, region: Region) -> bool {
        self.fast.read(text, region) != fast::Verdict::Unsure
    }

    /// The reference path: `phonenumber` itself.
    fn read_slow(text: &str, region: Region) -> Result<E164, NumberError> {
        let ascii = ascii_digits(text);
        if !ascii.bytes().any(|b| b.is_ascii_digit()) {
            return Err(NumberError::NoDigits);
        }
        reference_read(&ascii, region).ok_or(NumberError::Invalid(region))
    }
}

/// `phonenumber`'s own verdict: parse in `region`, then `is_valid`, then the
/// E.164 digits. `None` where it errs, panics or finds the number invalid.
///
/// One correction: `phonenumber` 0.3 strips the national prefix with the
/// *region's* rules even when the text carries another country's code, so
/// `+49 151 12345678` read in US becomes +49 511 2345678 (a different
/// subscriber) and `+33 1 23 45 67 89` becomes invalid. libphonenumber reads
/// such a number with its own country's rules; so does this function, by
/// reading `+<code><rest>` with no region (an IDD such as `011` is replaced
/// by `+` first).
///
/// This is the slow path and the oracle [`NumberReader::read`] is tested
/// against.
///
/// # Example
/// ```
/// use dialgate::{phone::reference_read, Region};
/// assert_eq!(reference_read("(719) 555-1234", Region::US).map(|n| n.digits()), Some(17195551234));
/// assert_eq!(reference_read("12345", Region::US), None);
/// assert_eq!(reference_read("+49 151 12345678", Region::US).map(|n| n.digits()), Some(4915112345678));
/// assert_eq!(reference_read("011 49 151 12345678", Region::US).map(|n| n.digits()), Some(4915112345678));
/// ```
pub fn reference_read(text: &str, region: Region) -> Option<E164> {
    use phonenumber::country::Source;
    // phonenumber has panicked on hostile input before (GHSA-whhr-7f2w-qqj2,
    // GHSA-mjw4-jj88-v687); a panic there must not take the caller down.
    let parsed = std::panic::catch_unwind(|| {
        let meta = phonenumber::metadata::DATABASE.by_id(region.as_str())?;
        let mut number = phonenumber::parse(Some(region.id()), text).ok()?;
        let code = number.code().value();
        if code != meta.country_code() {
            let own = match number.code().source() {
                Source::Plus => Cow::Borrowed(text),
                Source::Idd => {
                    let idd = meta.international_prefix()?;
                    Cow::Owned(idd_as_plus(text, |t| {
                        idd.find(t).map(|m| (m.start(), m.end()))
                    })?)
                }
                Source::Number | Source::Default => return None,
            };
            number = phonenumber::parse(None, own.as_ref()).ok()?;
            if number.code().value() != code {
                return None;
            }
        }
        if !phonenumber::is_valid(&number) {
            return None;
        }
        let e164 = number.format().mode(phonenumber::Mode::E164).to_string();
        e164.strip_prefix('+')?.parse::<u64>().ok()
    })
    .ok()??;
    E164::from_digits(parsed)
}

/// `text` with the international prefix that starts its number replaced by
/// `+ `, found as `phonenumber` finds it: on the number's characters after
/// any leading pluses, letters read as keypad digits. `None` if it is not
/// there.
fn idd_as_plus(text: &str, idd: impl Fn(&str) -> Option<(usize, usize)>) -> Option<String> {
    let start = text.find(|c: char| unicode_digit(c).is_some() || c == '+' || c == '\u{FF0B}')?;
    let (head, body) = text.split_at(start);
    let body = body.trim_start_matches(['+', '\u{FF0B}']);
    // Each normalized digit with the byte offset just past it in `body`.
    let mut normalized = String::new();
    let mut ends = Vec::new();
    for (at, c) in body.char_indices() {
        if let Some(d) = unicode_digit(c).map(u32::from).or_else(|| keypad_digit(c)) {
            normalized.push(char::from_digit(d, 10)?);
            ends.push(at + c.len_utf8());
        }
    }
    let (0, end) = idd(&normalized)? else {
        return None;
    };
    let cut = *ends.get(end.checked_sub(1)?)?;
    // `+ ` rather than `+`: `+39...-52` would read as an RFC 3966 prefix.
    Some(format!("{head}+ {}", body.get(cut..)?))
}

/// The keypad digit of an upper-case ASCII letter (`phonenumber`'s alpha
/// mapping; it drops lower-case letters).
fn keypad_digit(c: char) -> Option<u32> {
    let digit = match c {
        'A'..='C' => 2,
        'D'..='F' => 3,
        'G'..='I' => 4,
        'J'..='L' => 5,
        'M'..='O' => 6,
        'P'..='S' => 7,
        'T'..='V' => 8,
        'W'..='Z' => 9,
        _ => return None,
    };
    Some(digit)
}

/// Replaces every Unicode decimal digit (general category Nd) with its ASCII
/// digit, leaving every other character as it is.
///
/// # Example
/// ```
/// use dialgate::phone::ascii_digits;
/// assert_eq!(ascii_digits("＋１ (٧١٩) 555"), "＋1 (719) 555");
/// ```
pub fn ascii_digits(text: &str) -> std::borrow::Cow<'_, str> {
    if text.is_ascii() {
        return std::borrow::Cow::Borrowed(text);
    }
    std::borrow::Cow::Owned(
        text.chars()
            .map(|c| match unicode_digit(c) {
                Some(d) => char::from(b'0' + d),
                None => c,
            })
            .collect(),
    )
}

/// The value of a Unicode decimal digit, or `None`.
fn unicode_digit(c: char) -> Option<u8> {
    let cp = u32::from(c);
    if c.is_ascii() {
        return c.to_digit(10).and_then(|d| u8::try_from(d).ok());
    }
    // Each Nd block is ten consecutive code points starting at its zero.
    let idx = ND_ZEROS.partition_point(|&zero| zero <= cp);
    let zero = *ND_ZEROS.get(idx.checked_sub(1)?)?;
    let d = cp - zero;
    (d < 10).then(|| u8::try_from(d).ok()).flatten()
}

/// The zero of every Unicode (16.0) decimal-digit block outside ASCII, sorted.
const ND_ZEROS: &[u32] = &[
    0x0660, 0x06F0, 0x07C0, 0x0966, 0x09E6, 0x0A66, 0x0AE6, 0x0B66, 0x0BE6, 0x0C66, 0x0CE6, 0x0D66,
    0x0DE6, 0x0E50, 0x0ED0, 0x0F20, 0x1040, 0x1090, 0x17E0, 0x1810, 0x1946, 0x19D0, 0x1A80, 0x1A90,
    0x1B50, 0x1BB0, 0x1C40, 0x1C50, 0xA620, 0xA8D0, 0xA900, 0xA9D0, 0xA9F0, 0xAA50, 0xABF0, 0xFF10,
    0x104A0, 0x10D30, 0x10D40, 0x11066, 0x110F0, 0x11136, 0x111D0, 0x112F0, 0x11450, 0x114D0,
    0x11650, 0x116C0, 0x116D0, 0x116DA, 0x11730, 0x118E0, 0x11950, 0x11BF0, 0x11C50, 0x11D50,
    0x11DA0, 0x11F50, 0x16130, 0x16A60, 0x16AC0, 0x16B50, 0x16D70, 0x1CCF0, 0x1D7CE, 0x1D7D8,
    0x1D7E2, 0x1D7EC, 0x1D7F6, 0x1E140, 0x1E2F0, 0x1E4F0, 0x1E5F1, 0x1E950, 0x1FBF0,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_us_formats() {
        let r = NumberReader::new();
        for text in [
            "+17195551234",
            "(719) 555-1234",
            "719.555.1234",
            "1-719-555-1234",
        ] {
            assert_eq!(
                r.read(text, Region::US).map(|n| n.digits()),
                Ok(17195551234),
                "{text}"
            );
        }
    }

    #[test]
    fn full_width_digits_read_as_ascii() {
        let r = NumberReader::new();
        assert_eq!(
            r.read("＋１ ７１９ ５５５ １２３４", Region::US)
                .map(|n| n.digits()),
            Ok(17195551234)
        );
        assert_eq!(ascii_digits("٧١٩"), "719");
    }

    #[test]
    fn rejects_each_kind_of_bad_number() {
        let r = NumberReader::new();
        assert_eq!(r.read("call me", Region::US), Err(NumberError::NoDigits));
        assert_eq!(
            r.read(&"1".repeat(251), Region::US),
            Err(NumberError::TooLong)
        );
        assert_eq!(
            r.read("12345", Region::US),
            Err(NumberError::Invalid(Region::US))
        );
        assert_eq!(
            r.read("+1 555 555 5555", Region::US),
            Err(NumberError::Invalid(Region::US))
        );
    }

    #[test]
    fn reader_is_shareable() {
        fn contract<T: Send + Sync + Clone + fmt::Debug + Default>() {}
        contract::<NumberReader>();
    }

    #[test]
    fn fast_path_and_reference_agree_on_examples() {
        let r = NumberReader::new();
        let gb: Region = "GB".parse().unwrap();
        for (text, region) in [
            ("(719) 555-1234", Region::US),
            ("1 (719) 555-1234 ext. 12", Region::US),
            ("011 44 20 7183 8750", Region::US),
            ("+44 (0) 20 7183 8750", gb),
            ("020 7183 8750", gb),
            ("44 20 7183 8750", gb),
            ("+1 555 555 5555", Region::US),
        ] {
            assert!(r.is_fast(text, region), "{text}");
            let want = reference_read(text, region).ok_or(NumberError::Invalid(region));
            assert_eq!(r.read(text, region), want, "{text}");
        }
    }

    #[test]
    fn prefixes_compare_by_digits() {
        let n = E164::from_digits(13035550188).unwrap();
        assert!(n.starts_with(1303555, 7));
        assert!(n.starts_with(13035550188, 11));
        assert!(!n.starts_with(1212, 4));
        assert!(!n.starts_with(130355501880, 12));
    }
}
