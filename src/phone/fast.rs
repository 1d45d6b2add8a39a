//! The reader: libphonenumber's `parse` + `is_valid_number` + E.164 format
//! (as in `phonenumbers` 9.0.43, `phonenumberutil.py`), step by step, over
//! the metadata of `data/numbering.txt`.
//!
//! Two front ends hand the same core a national text: a scanner for the
//! common shapes (digits, `+` at the start, the separators ` -.()/`, and a
//! trailing `x`/`ext` extension), which allocates nothing, and the general
//! one (`tel:` URIs, letters, any punctuation), which runs libphonenumber's
//! own extraction patterns from the metadata file. Step names below are the
//! Python functions they replay.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::sync::OnceLock;

use regex::{Regex, RegexBuilder};

use super::matcher::Matcher;

use super::meta::{MetadataError, Numbering, Territory};
use super::{unicode_digit, Region};

/// The longest text, in bytes after digit mapping, the scanner reads.
const MAX_FAST_BYTES: usize = 64;
/// libphonenumber's bounds on a national significant number.
const MIN_NSN: usize = 2;
const MAX_NSN: usize = 17;
/// Country calling codes are below this.
const CODE_LIMIT: usize = 1000;
/// The longest extension the scanner takes (libphonenumber takes at least
/// this many after every label).
const MAX_EXT_DIGITS: usize = 6;

/// The reader's answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Valid, with these E.164 digits (at most fifteen).
    Valid(u64),
    /// libphonenumber cannot parse it or finds it invalid.
    Invalid,
}

/// Tables built once per metadata file; a territory's regexes are compiled
/// on its first use (or all at once by [`Tables::compile_all`]).
pub(crate) struct Tables {
    version: String,
    territories: Vec<Territory>,
    rules: Vec<OnceLock<Option<Rules>>>,
    /// Territory index by region (two upper-case letters), `NONE` if absent.
    by_region: Vec<u16>,
    /// By country calling code.
    codes: Vec<CodeInfo>,
    front: OnceLock<Option<Front>>,
    source: Numbering,
}

const NONE: u16 = u16::MAX;

#[derive(Clone, Debug, Default)]
struct CodeInfo {
    exists: bool,
    /// `metadata_for_region_or_calling_code(code, main region)`.
    main: Option<usize>,
    /// The regions `region_code_for_number` tries, in order.
    regions: Box<[usize]>,
}

impl fmt::Debug for Tables {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let compiled = self.rules.iter().filter(|r| r.get().is_some()).count();
        f.debug_struct("Tables")
            .field("version", &self.version)
            .field("territories", &self.territories.len())
            .field("compiled", &compiled)
            .finish()
    }
}

/// The general front end's patterns.
struct Front {
    valid: Regex,
    extension: Regex,
    unwanted_end: Regex,
    second_number: Regex,
    domain: Regex,
}

impl Front {
    fn compile(n: &Numbering) -> Result<Front, String> {
        let build = |src: &str| {
            RegexBuilder::new(src)
                .build()
                .map_err(|e| format!("pattern `{src}`: {e}"))
        };
        Ok(Front {
            valid: build(&format!("(?i)^(?:{})$", n.valid_phone_number))?,
            extension: build(&format!("(?i){}", n.extension))?,
            unwanted_end: build(&n.unwanted_end)?,
            second_number: build(&n.second_number_start)?,
            domain: build(r"^(?:[A-Za-z\d]+(?:-*[A-Za-z\d])*\.)*[A-Za-z]+(?:-*[A-Za-z\d])*\.?$")?,
        })
    }

    /// `_is_viable_phone_number`.
    fn viable(&self, text: &str) -> bool {
        text.chars().nth(1).is_some() && self.valid.is_match(text)
    }
}

/// A pattern only asked about at position 0 (`re.match`).
enum Prefix {
    /// Digits only (`011`, `0`, `268`): a match is a prefix.
    Literal(String),
    Regex(Regex),
}

impl Prefix {
    fn new(src: &str) -> Result<Prefix, String> {
        if !src.is_empty() && src.bytes().all(|b| b.is_ascii_digit()) {
            return Ok(Prefix::Literal(src.to_owned()));
        }
        digits_regex(&format!("^(?:{src})")).map(Prefix::Regex)
    }

    /// The end of the match at 0.
    fn match_at_start(&self, value: &str) -> Option<usize> {
        match self {
            Prefix::Literal(lit) => value.starts_with(lit.as_str()).then_some(lit.len()),
            Prefix::Regex(re) => re.find(value).map(|m| m.end()),
        }
    }
}

/// A description: a whole-text pattern plus its lengths.
struct Desc {
    re: Matcher,
    possible: Vec<i32>,
    local: Vec<i32>,
}

/// `_test_number_length` results the parser tells apart.
#[derive(PartialEq, Eq)]
enum Length {
    Possible,
    LocalOnly,
    TooShort,
    TooLong,
    Invalid,
}

/// One territory's rules, compiled.
struct Rules {
    code: u16,
    code_text: String,
    idd: Option<Prefix>,
    /// With groups when a transform rule uses them.
    prefix_for_parsing: Option<Prefix>,
    transform: Option<String>,
    general: Option<Desc>,
    /// For each national length, the union of the type patterns admitting
    /// it (index into `unions`); `None` when no type does.
    union_by_len: [Option<usize>; MAX_NSN + 1],
    unions: Vec<Matcher>,
    leading_digits: Option<Prefix>,
}

/// Compiles a pattern over ASCII digits (ASCII classes match them exactly
/// as Unicode ones do, and are faster).
fn digits_regex(src: &str) -> Result<Regex, String> {
    RegexBuilder::new(src)
        .unicode(false)
        .build()
        .or_else(|_| RegexBuilder::new(src).build())
        .map_err(|e| format!("pattern `{src}`: {e}"))
}

/// [`digits_regex`] for a pattern only asked whether it matches, by every
/// number read on every thread.
fn digits_matcher(src: &str) -> Result<Matcher, String> {
    Matcher::new(src, false).or_else(|_| Matcher::new(src, true))
}

fn len_i32(len: usize) -> i32 {
    i32::try_from(len).unwrap_or(i32::MAX)
}

impl Rules {
    fn compile(t: &Territory) -> Result<Rules, String> {
        let general = match &t.general {
            Some(g) => Some(Desc {
                re: digits_matcher(&format!("^(?:{})$", g.pattern))?,
                possible: g.possible.clone(),
                local: g.local.clone(),
            }),
            None => None,
        };
        let mut unions = Vec::new();
        let mut by_members: HashMap<Vec<usize>, usize> = HashMap::new();
        let mut union_by_len = [None; MAX_NSN + 1];
        for (len, slot) in union_by_len.iter_mut().enumerate() {
            let len = len_i32(len);
            let members: Vec<usize> = (0..t.types.len())
                .filter(|&i| {
                    t.types
                        .get(i)
                        .is_some_and(|d| d.possible.is_empty() || d.possible.contains(&len))
                })
                .collect();
            if members.is_empty() {
                continue;
            }
            if let Some(&u) = by_members.get(&members) {
                *slot = Some(u);
                continue;
            }
            let alternation = members
                .iter()
                .filter_map(|&i| t.types.get(i))
                .map(|d| format!("(?:{})", d.pattern))
                .collect::<Vec<_>>()
                .join("|");
            unions.push(digits_matcher(&format!("^(?:{alternation})$"))?);
            let u = unions.len() - 1;
            by_members.insert(members, u);
            *slot = Some(u);
        }
        let prefix = |p: &Option<String>| p.as_deref().map(Prefix::new).transpose();
        Ok(Rules {
            code: t.code,
            code_text: t.code.to_string(),
            idd: prefix(&t.idd)?,
            prefix_for_parsing: match (&t.national_prefix_for_parsing, &t.transform) {
                (None, _) => None,
                (Some(p), None) => Some(Prefix::new(p)?),
                (Some(p), Some(_)) => Some(Prefix::Regex(digits_regex(&format!("^(?:{p})"))?)),
            },
            transform: t.transform.clone(),
            general,
            union_by_len,
            unions,
            leading_digits: prefix(&t.leading_digits)?,
        })
    }

    /// `_match_national_number(value, general_desc)`.
    fn general_matches(&self, value: &str) -> bool {
        self.general.as_ref().is_some_and(|g| g.re.is_match(value))
    }

    /// `_test_number_length(value, metadata)` for the unknown type.
    fn length(&self, len: usize) -> Length {
        let Some(g) = &self.general else {
            return Length::Invalid;
        };
        let len = len_i32(len);
        if g.local.contains(&len) {
            return Length::LocalOnly;
        }
        let (Some(&min), Some(&max)) = (g.possible.first(), g.possible.last()) else {
            return Length::Invalid;
        };
        if len == min {
            Length::Possible
        } else if len < min {
            Length::TooShort
        } else if max < len {
            Length::TooLong
        } else if g.possible.get(1..).is_some_and(|p| p.contains(&len)) {
            Length::Possible
        } else {
            Length::Invalid
        }
    }

    /// `_number_type_helper(value, metadata) != UNKNOWN`.
    fn is_known_type(&self, value: &str) -> bool {
        let Some(g) = &self.general else {
            return false;
        };
        let len = len_i32(value.len());
        if !(g.possible.is_empty() || g.possible.contains(&len)) || !g.re.is_match(value) {
            return false;
        }
        self.union_by_len
            .get(value.len())
            .copied()
            .flatten()
            .and_then(|u| self.unions.get(u))
            .is_some_and(|re| re.is_match(value))
    }

    /// `_maybe_strip_national_prefix_carrier_code`: the national number.
    fn strip_national_prefix<'a>(&self, number: Cow<'a, str>) -> Cow<'a, str> {
        let Some(parsing) = &self.prefix_for_parsing else {
            return number;
        };
        if number.is_empty() {
            return number;
        }
        let re = match parsing {
            Prefix::Literal(lit) => {
                if !number.starts_with(lit.as_str()) {
                    return number;
                }
                let rest = number.get(lit.len()..).unwrap_or("");
                if self.general_matches(&number) && !self.general_matches(rest) {
                    return number;
                }
                return trim(number, lit.len());
            }
            Prefix::Regex(re) => re,
        };
        // Groups only matter to a transform rule; `find` is cheaper.
        let (end, last_present) = if self.transform.is_some() {
            let Some(caps) = re.captures(&number) else {
                return number;
            };
            let groups = caps.len().saturating_sub(1);
            let end = caps.get(0).map_or(0, |m| m.end());
            (end, groups > 0 && caps.get(groups).is_some())
        } else {
            match re.find(&number) {
                Some(m) => (m.end(), false),
                None => return number,
            }
        };
        let viable = self.general_matches(&number);
        match &self.transform {
            Some(rule) if last_present => {
                let transformed = re.replacen(&number, 1, rule.as_str()).into_owned();
                if viable && !self.general_matches(&transformed) {
                    return number;
                }
                Cow::Owned(transformed)
            }
            _ => {
                let rest = number.get(end..).unwrap_or("");
                if viable && !self.general_matches(rest) {
                    return number;
                }
                trim(number, end)
            }
        }
    }
}

/// Drops the first `n` bytes (ASCII digits only here).
fn trim(value: Cow<'_, str>, n: usize) -> Cow<'_, str> {
    match value {
        Cow::Borrowed(s) => Cow::Borrowed(s.get(n..).unwrap_or("")),
        Cow::Owned(s) => Cow::Owned(s.get(n..).unwrap_or("").to_owned()),
    }
}

/// The two-letter region's slot in `by_region`.
fn region_key(id: &str) -> Option<usize> {
    match id.as_bytes() {
        [a @ b'A'..=b'Z', b @ b'A'..=b'Z'] => {
            Some(usize::from(a - b'A') * 26 + usize::from(b - b'A'))
        }
        _ => None,
    }
}

/// How the country code is to be found.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Leading plus signs (stripped).
    Plus,
    /// No plus: an IDD, the region's own code, or none.
    Plain,
}

impl Tables {
    /// Indexes the metadata; compiles nothing yet.
    pub(crate) fn new(source: Numbering) -> Result<Tables, MetadataError> {
        let mut by_region = vec![NONE; 26 * 26];
        let mut nongeo: HashMap<u16, usize> = HashMap::new();
        for (i, t) in source.territories.iter().enumerate() {
            let slot =
                u16::try_from(i).map_err(|_| MetadataError::new(0, "too many territories"))?;
            if t.id == "001" {
                nongeo.insert(t.code, i);
            } else {
                let k = region_key(&t.id)
                    .ok_or_else(|| MetadataError::new(0, format!("bad region `{}`", t.id)))?;
                if let Some(s) = by_region.get_mut(k) {
                    *s = slot;
                }
            }
        }
        let lookup = |id: &str| -> Option<usize> {
            let s = *by_region.get(region_key(id)?)?;
            (s != NONE).then_some(usize::from(s))
        };
        let mut codes = vec![CodeInfo::default(); CODE_LIMIT];
        for (code, regions) in &source.codes {
            let info = codes
                .get_mut(usize::from(*code))
                .ok_or_else(|| MetadataError::new(0, format!("country code {code}")))?;
            info.exists = true;
            info.main = match regions.first().map(String::as_str) {
                Some("001") => nongeo.get(code).copied(),
                Some(id) => lookup(id),
                None => None,
            };
            info.regions = regions.iter().filter_map(|r| lookup(r)).collect();
        }
        let rules = source.territories.iter().map(|_| OnceLock::new()).collect();
        Ok(Tables {
            version: source.version.clone(),
            territories: source.territories.clone(),
            rules,
            by_region,
            codes,
            front: OnceLock::new(),
            source,
        })
    }

    /// Tables that know no territory: every number is invalid.
    pub(crate) fn empty() -> Tables {
        Tables {
            version: String::new(),
            territories: Vec::new(),
            rules: Vec::new(),
            by_region: vec![NONE; 26 * 26],
            codes: Vec::new(),
            front: OnceLock::new(),
            source: Numbering::default(),
        }
    }

    /// Compiles every pattern now, so that a bad one is an error here.
    pub(crate) fn compile_all(&self) -> Result<(), MetadataError> {
        Front::compile(&self.source).map_err(|e| MetadataError::new(0, e))?;
        for t in &self.territories {
            Rules::compile(t).map_err(|e| MetadataError::new(0, format!("{}: {e}", t.id)))?;
        }
        Ok(())
    }

    /// The libphonenumber version the metadata comes from.
    pub(crate) fn version(&self) -> &str {
        &self.version
    }

    fn rules(&self, i: usize) -> Option<&Rules> {
        let t = self.territories.get(i)?;
        self.rules
            .get(i)?
            .get_or_init(|| Rules::compile(t).ok())
            .as_ref()
    }

    fn front(&self) -> Option<&Front> {
        self.front
            .get_or_init(|| Front::compile(&self.source).ok())
            .as_ref()
    }

    fn region_rules(&self, region: Region) -> Option<&Rules> {
        let slot = *self.by_region.get(region_key(region.as_str())?)?;
        if slot == NONE {
            return None;
        }
        self.rules(usize::from(slot))
    }

    /// Reads `text` (not yet digit-mapped) in `region`; the flag says
    /// whether the scanner read it.
    pub(crate) fn read(&self, text: &str, region: Region) -> (Verdict, bool) {
        match self.scan(text, region) {
            Some(v) => (v, true),
            None => (self.read_general(text, region), false),
        }
    }

    /// The scanner: `None` for a text outside its shapes.
    fn scan(&self, text: &str, region: Region) -> Option<Verdict> {
        let mut buf = [0u8; MAX_FAST_BYTES];
        let len = map_ascii(text, &mut buf)?;
        let bytes = buf.get(..len)?;
        let national = shape(bytes)?;
        let mut digits = [0u8; MAX_FAST_BYTES];
        let mut n = 0;
        for &b in national.iter().filter(|b| b.is_ascii_digit()) {
            *digits.get_mut(n)? = b;
            n += 1;
        }
        // `_is_viable_phone_number` takes three digits (or a text of two).
        if n < 3 {
            return None;
        }
        let digits = std::str::from_utf8(digits.get(..n)?).ok()?;
        let kind = if national.first() == Some(&b'+') {
            Kind::Plus
        } else {
            Kind::Plain
        };
        Some(self.parse(kind, digits, region))
    }

    /// `parse`'s text handling for any text, then the core.
    pub(crate) fn read_general(&self, text: &str, region: Region) -> Verdict {
        let Some(front) = self.front() else {
            return Verdict::Invalid;
        };
        let text = super::ascii_digits(text);
        let Some(national) = national_for_parsing(front, &text) else {
            return Verdict::Invalid;
        };
        let national = national.as_ref();
        if !front.viable(national) {
            return Verdict::Invalid;
        }
        let plus = national.starts_with(['+', '\u{FF0B}']);
        if !plus && self.region_rules(region).is_none() {
            return Verdict::Invalid;
        }
        // `_maybe_strip_extension`.
        let national = match front.extension.find(national) {
            Some(m) if national.get(..m.start()).is_some_and(|b| front.viable(b)) => {
                national.get(..m.start()).unwrap_or(national)
            }
            _ => national,
        };
        let body = national.trim_start_matches(['+', '\u{FF0B}']);
        let digits = normalize(body);
        self.parse(if plus { Kind::Plus } else { Kind::Plain }, &digits, region)
    }

    /// `parse` from `_maybe_extract_country_code` on, then `is_valid_number`
    /// and the E.164 digits. `digits` is the normalized number after any
    /// leading plus signs.
    fn parse(&self, kind: Kind, digits: &str, region: Region) -> Verdict {
        let own = self.region_rules(region);
        let extracted = match self.extract_country_code(kind, digits, own) {
            Ok(found) => found,
            // Invalid code after a plus: read again without it.
            Err(Failure::InvalidCode) if kind == Kind::Plus => {
                match self.extract_country_code(Kind::Plain, digits, own) {
                    Ok(Some(found)) => Some(found),
                    _ => return Verdict::Invalid,
                }
            }
            Err(_) => return Verdict::Invalid,
        };
        let (code, mut national, strip) = match extracted {
            Some((code, national)) => {
                let main = self
                    .codes
                    .get(usize::from(code))
                    .and_then(|c| c.main)
                    .and_then(|i| self.rules(i));
                (code, national, main)
            }
            None => match own {
                Some(r) => (r.code, Cow::Borrowed(digits), Some(r)),
                None => return Verdict::Invalid,
            },
        };
        if national.len() < MIN_NSN {
            return Verdict::Invalid;
        }
        if let Some(s) = strip {
            let potential = s.strip_national_prefix(national.clone());
            if matches!(
                s.length(potential.len()),
                Length::Possible | Length::TooLong
            ) {
                national = potential;
            }
        }
        if national.len() < MIN_NSN || national.len() > MAX_NSN {
            return Verdict::Invalid;
        }
        if !self.is_valid(code, &national) {
            return Verdict::Invalid;
        }
        e164(code, &national).map_or(Verdict::Invalid, Verdict::Valid)
    }

    /// `_maybe_extract_country_code`: the code and the rest, `None` when
    /// the number carries none.
    fn extract_country_code<'a>(
        &self,
        kind: Kind,
        digits: &'a str,
        own: Option<&Rules>,
    ) -> Result<Option<(u16, Cow<'a, str>)>, Failure> {
        let after = match kind {
            Kind::Plus => Some(digits),
            // `_parse_prefix_as_idd`: not when the next digit is a zero.
            Kind::Plain => own
                .and_then(|r| r.idd.as_ref())
                .and_then(|idd| idd.match_at_start(digits))
                .map(|end| digits.get(end..).unwrap_or(""))
                .filter(|rest| !rest.starts_with('0')),
        };
        if let Some(full) = after {
            if full.len() <= MIN_NSN {
                return Err(Failure::TooShortAfterIdd);
            }
            if full.starts_with('0') {
                return Err(Failure::InvalidCode);
            }
            for len in 1..=3 {
                let Some(code) = full.get(..len).and_then(|p| p.parse::<u16>().ok()) else {
                    break;
                };
                if self.code_exists(code) {
                    return Ok(Some((code, Cow::Borrowed(full.get(len..).unwrap_or("")))));
                }
            }
            return Err(Failure::InvalidCode);
        }
        let Some(r) = own else {
            return Ok(None);
        };
        if let Some(rest) = digits.strip_prefix(r.code_text.as_str()) {
            let potential = r.strip_national_prefix(Cow::Borrowed(rest));
            if (!r.general_matches(digits) && r.general_matches(&potential))
                || r.length(digits.len()) == Length::TooLong
            {
                return Ok(Some((r.code, potential)));
            }
        }
        Ok(None)
    }

    fn code_exists(&self, code: u16) -> bool {
        self.codes.get(usize::from(code)).is_some_and(|c| c.exists)
    }

    /// `is_valid_number`: the region of the number (`region_code_for_number`),
    /// then its type is known.
    fn is_valid(&self, code: u16, national: &str) -> bool {
        let Some(info) = self.codes.get(usize::from(code)) else {
            return false;
        };
        match info.regions.as_ref() {
            [] => info
                .main
                .and_then(|i| self.rules(i))
                .is_some_and(|r| r.is_known_type(national)),
            [one] => self.rules(*one).is_some_and(|r| r.is_known_type(national)),
            many => {
                for &i in many {
                    let Some(r) = self.rules(i) else {
                        return false;
                    };
                    match &r.leading_digits {
                        Some(ld) if ld.match_at_start(national).is_some() => {
                            return r.is_known_type(national)
                        }
                        Some(_) => {}
                        None if r.is_known_type(national) => return true,
                        None => {}
                    }
                }
                false
            }
        }
    }
}

/// Why `_maybe_extract_country_code` raised.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Failure {
    InvalidCode,
    TooShortAfterIdd,
}

/// `+{code}{national}` as E.164 digits; `None` past fifteen digits.
fn e164(code: u16, national: &str) -> Option<u64> {
    let code_len = u64::from(code)
        .checked_ilog10()
        .map_or(1, |l| l as usize + 1);
    if code_len + national.len() > 15 {
        return None;
    }
    let scale = 10u64.checked_pow(u32::try_from(national.len()).ok()?)?;
    let value = parse_u64(national.as_bytes())?;
    let digits = u64::from(code).checked_mul(scale)?.checked_add(value)?;
    (digits != 0).then_some(digits)
}

fn parse_u64(digits: &[u8]) -> Option<u64> {
    let mut value: u64 = 0;
    for &b in digits {
        let d = b.checked_sub(b'0').filter(|d| *d < 10)?;
        value = value.checked_mul(10)?.checked_add(u64::from(d))?;
    }
    Some(value)
}

/// `_build_national_number_for_parsing`; `None` for an invalid
/// phone-context.
fn national_for_parsing<'a>(front: &Front, text: &'a str) -> Option<Cow<'a, str>> {
    const CONTEXT: &str = ";phone-context=";
    let Some(at) = text.find(CONTEXT) else {
        return Some(Cow::Borrowed(cut_isub(extract_possible_number(
            front, text,
        ))));
    };
    let rest = text.get(at + CONTEXT.len()..).unwrap_or("");
    let context = rest.split(';').next().unwrap_or("");
    let global = context.strip_prefix('+').is_some_and(|c| {
        c.bytes().any(|b| b.is_ascii_digit())
            && c.chars()
                .all(|ch| ch.is_ascii_digit() || matches!(ch, '-' | '.' | '(' | ')'))
    });
    if context.is_empty() || !(global || front.domain.is_match(context)) {
        return None;
    }
    // A global context's digits come first; a domain is ignored.
    let mut national = if global {
        context.to_owned()
    } else {
        String::new()
    };
    let from = text.find("tel:").map_or(0, |i| i + "tel:".len());
    national.push_str(text.get(from..at).unwrap_or(""));
    Some(Cow::Owned(cut_isub(&national).to_owned()))
}

/// `extract_possible_number`.
fn extract_possible_number<'a>(front: &Front, text: &'a str) -> &'a str {
    let Some(start) = text.find(|c: char| c == '+' || c == '\u{FF0B}' || c.is_ascii_digit()) else {
        return "";
    };
    let mut number = text.get(start..).unwrap_or("");
    if let Some(m) = front.unwanted_end.find(number) {
        number = number.get(..m.start()).unwrap_or("");
    }
    if let Some(m) = front.second_number.find(number) {
        number = number.get(..m.start()).unwrap_or("");
    }
    number
}

/// Drops an RFC 3966 `;isub=` and what follows.
fn cut_isub(text: &str) -> &str {
    match text.find(";isub=") {
        Some(i) if i > 0 => text.get(..i).unwrap_or(text),
        _ => text,
    }
}

/// `_normalize`: with three letters (and no line break), letters as keypad
/// digits; otherwise digits only.
fn normalize(text: &str) -> String {
    let alpha = !text.contains('\n') && text.chars().filter(char::is_ascii_alphabetic).count() >= 3;
    text.chars()
        .filter_map(|c| {
            if c.is_ascii_digit() {
                Some(c)
            } else if alpha {
                keypad(c)
            } else {
                None
            }
        })
        .collect()
}

/// The E.161 keypad digit of an ASCII letter, either case.
fn keypad(c: char) -> Option<char> {
    let d = match c.to_ascii_uppercase() {
        'A'..='C' => '2',
        'D'..='F' => '3',
        'G'..='I' => '4',
        'J'..='L' => '5',
        'M'..='O' => '6',
        'P'..='S' => '7',
        'T'..='V' => '8',
        'W'..='Z' => '9',
        _ => return None,
    };
    Some(d)
}

/// Copies `text` into `buf` with Unicode decimal digits made ASCII (as
/// `ascii_digits` does); `None` for any other non-ASCII character or when it
/// does not fit.
fn map_ascii(text: &str, buf: &mut [u8; MAX_FAST_BYTES]) -> Option<usize> {
    if text.is_ascii() {
        let dst = buf.get_mut(..text.len())?;
        dst.copy_from_slice(text.as_bytes());
        return Some(text.len());
    }
    let mut n = 0;
    for c in text.chars() {
        let b = if c.is_ascii() {
            u8::try_from(c).ok()?
        } else {
            b'0' + unicode_digit(c)?
        };
        *buf.get_mut(n)? = b;
        n += 1;
    }
    Some(n)
}

/// The national text of a text in the scanner's shapes (from the first `+`
/// or digit to the last digit, without a trailing extension); `None` for
/// anything else.
fn shape(t: &[u8]) -> Option<&[u8]> {
    let mut letters = false;
    for (i, &b) in t.iter().enumerate() {
        match b {
            b'0'..=b'9' | b' ' | b'-' | b'.' | b'(' | b')' | b'/' => {}
            b'+' if i == 0 => {}
            b'a'..=b'z' | b'A'..=b'Z' => letters = true,
            _ => return None,
        }
    }
    let base = if letters {
        t.get(..extension_start(t)?)?
    } else {
        t
    };
    let start = base.iter().position(|&b| b == b'+' || b.is_ascii_digit())?;
    let from = base.get(start..)?;
    let end = from.iter().rposition(u8::is_ascii_digit)? + 1;
    from.get(..end)
}

/// How many spaces end `t`.
fn trailing_spaces(t: &[u8]) -> usize {
    t.iter().rev().take_while(|&&b| b == b' ').count()
}

/// The byte where a trailing extension (`x12`, ` ext. 12`, ` X 12`) starts
/// in `t`, as libphonenumber's extension pattern finds it, with the text
/// before it free of letters and ending in a digit.
fn extension_start(t: &[u8]) -> Option<usize> {
    let mut end = t.len();
    let digits = t.iter().rev().take_while(|b| b.is_ascii_digit()).count();
    if digits == 0 || digits > MAX_EXT_DIGITS {
        return None;
    }
    end -= digits;
    end -= trailing_spaces(t.get(..end)?);
    if t.get(..end)?.last() == Some(&b'.') {
        end -= 1;
    }
    let head = t.get(..end)?;
    let token = if head.len() >= 3 && head.get(end - 3..)?.eq_ignore_ascii_case(b"ext") {
        3
    } else if head.last().is_some_and(|b| b.eq_ignore_ascii_case(&b'x')) {
        1
    } else {
        return None;
    };
    end -= token;
    end -= trailing_spaces(t.get(..end)?);
    let base = t.get(..end)?;
    if !base.last()?.is_ascii_digit() || base.iter().any(u8::is_ascii_alphabetic) {
        return None;
    }
    Some(end)
}
