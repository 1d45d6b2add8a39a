//! The fast path of [`NumberReader::read`](super::NumberReader::read).
//!
//! It replays `phonenumber` 0.3.10's `parse` + `is_valid` + E.164 formatting
//! step by step, but only for texts whose shape it fully understands (digits,
//! `+` at the start, the separators ` -.()/`, and a trailing `x`/`ext`
//! extension), and with the metadata's patterns compiled into this reader's
//! own regexes. The regexes are compiled per metadata entry on first use, so
//! a search never takes `phonenumber`'s global cache lock.
//!
//! Anything else, and any step it cannot replay exactly, is [`Verdict::Unsure`]
//! and the caller falls back to `phonenumber` itself. Quirks of the reference
//! are replayed on purpose (they are marked "as the reference does"), because
//! the contract is the same verdict as `phonenumber`, not the "right" one.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::sync::OnceLock;

use phonenumber::country::Id;
use phonenumber::metadata::{Database, Descriptor, Metadata, DATABASE};
use regex::{Regex, RegexBuilder};

use super::{unicode_digit, Region};

/// The longest text, in bytes after digit mapping, the fast path reads.
const MAX_FAST_BYTES: usize = 64;
/// `phonenumber`'s bounds on a national significant number.
const MIN_NSN: usize = 2;
const MAX_NSN: usize = 17;
/// Country calling codes are below this.
const CODE_LIMIT: usize = 1000;
/// The longest extension digit run `phonenumber`'s extension pattern takes.
const MAX_EXT_DIGITS: usize = 7;

/// The fast path's answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Valid, with these E.164 digits (at most fifteen).
    Valid(u64),
    /// The reference finds the text invalid (or errs, or panics).
    Invalid,
    /// Not understood: ask the reference.
    Unsure,
}

/// Tables built once per reader; regexes compiled lazily per metadata entry.
pub(crate) struct Tables {
    metas: Vec<&'static Metadata>,
    rules: Vec<OnceLock<Option<Rules>>>,
    /// Metadata index by region (two upper-case letters), `NONE` if absent.
    by_region: Vec<u16>,
    /// By country calling code: whether it exists, and how `is_valid` picks
    /// the metadata for it.
    codes: Vec<CodeInfo>,
}

const NONE: u16 = u16::MAX;

#[derive(Clone, Debug, Default)]
struct CodeInfo {
    exists: bool,
    plan: Plan,
}

/// How `validator::source_for` chooses the metadata of a country code.
#[derive(Clone, Debug, Default)]
enum Plan {
    /// No region: never valid.
    #[default]
    Never,
    /// One metadata entry.
    Single(usize),
    /// Regions tried in order: (entry checked, entry returned).
    Multi(Box<[(usize, usize)]>),
    /// The reference would panic or does something not replayed.
    Unsure,
}

impl fmt::Debug for Tables {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let compiled = self.rules.iter().filter(|r| r.get().is_some()).count();
        f.debug_struct("Tables")
            .field("metadata", &self.metas.len())
            .field("compiled", &compiled)
            .finish()
    }
}

/// One metadata entry's rules, compiled.
struct Rules {
    code: u16,
    code_text: String,
    idd: Option<Pattern>,
    national_prefix: Option<String>,
    /// A literal only without a transform rule (then it just strips).
    prefix_for_parsing: Option<Pattern>,
    transform: Option<String>,
    general: Desc,
    /// For each national length, the union of the type patterns that admit
    /// it (index into `unions`); `None` when no type does.
    union_by_len: [Option<usize>; MAX_NSN + 1],
    unions: Vec<Regex>,
    leading_digits: Option<Pattern>,
}

/// Numbers the metadata entries by identity while the tables are built.
#[derive(Default)]
struct MetaIndex {
    metas: Vec<&'static Metadata>,
    index: HashMap<*const Metadata, usize>,
}

impl MetaIndex {
    fn of(&mut self, m: &'static Metadata) -> usize {
        let metas = &mut self.metas;
        *self.index.entry(std::ptr::from_ref(m)).or_insert_with(|| {
            metas.push(m);
            metas.len() - 1
        })
    }
}

/// A pattern whose leftmost match is only asked about at position 0.
enum Pattern {
    /// Digits only (`011`, `0`, `268`): a match at 0 is a prefix.
    Literal(String),
    /// Compiled as the reference's cache compiles it.
    Regex(Regex),
}

impl Pattern {
    fn new(src: &str) -> Option<Pattern> {
        // Verbose mode ignores whitespace, so a digits-and-blanks source is
        // that literal.
        let literal: String = src.chars().filter(|c| !c.is_ascii_whitespace()).collect();
        if !literal.is_empty() && literal.bytes().all(|b| b.is_ascii_digit()) {
            return Some(Pattern::Literal(literal));
        }
        exact_regex(src).ok().map(Pattern::Regex)
    }

    /// The end of the leftmost match when it starts at 0.
    fn match_at_start(&self, value: &str) -> Option<usize> {
        match self {
            Pattern::Literal(lit) => has_prefix(value, lit).then_some(lit.len()),
            Pattern::Regex(re) => re.find(value).filter(|m| m.start() == 0).map(|m| m.end()),
        }
    }
}

/// A descriptor: an anchored pattern plus its lengths.
struct Desc {
    re: Regex,
    possible: Vec<u16>,
    local: Vec<u16>,
}

impl Desc {
    /// `Descriptor::is_match`: the length is possible (or none are listed)
    /// and a match starts at 0.
    fn is_match(&self, value: &str) -> bool {
        let len = u16::try_from(value.len()).unwrap_or(u16::MAX);
        (self.possible.is_empty() || self.possible.contains(&len)) && self.re.is_match(value)
    }
}

/// `validator::Validation`, only as far as the parser looks at it.
#[derive(PartialEq, Eq)]
enum Length {
    Possible,
    TooShort,
    Other,
}

impl Rules {
    fn compile(meta: &Metadata) -> Option<Rules> {
        let d = meta.descriptors();
        let general = Desc {
            re: prefix_regex(d.general().national_number().as_str())?,
            possible: d.general().possible_length().to_vec(),
            local: d.general().possible_local_length().to_vec(),
        };
        // The types `validator::number_type` tries; any match makes it known.
        let types: Vec<&Descriptor> = [
            d.premium_rate(),
            d.toll_free(),
            d.shared_cost(),
            d.voip(),
            d.personal_number(),
            d.pager(),
            d.uan(),
            d.voicemail(),
            d.fixed_line(),
            d.mobile(),
        ]
        .into_iter()
        .flatten()
        .collect();
        let mut unions = Vec::new();
        let mut by_members: HashMap<Vec<usize>, usize> = HashMap::new();
        let mut union_by_len = [None; MAX_NSN + 1];
        let transform = meta.national_prefix_transform_rule();
        for (len, slot) in union_by_len.iter_mut().enumerate() {
            let len16 = u16::try_from(len).ok()?;
            let members: Vec<usize> = types
                .iter()
                .enumerate()
                .filter(|(_, t)| {
                    t.possible_length().is_empty() || t.possible_length().contains(&len16)
                })
                .map(|(i, _)| i)
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
                .filter_map(|&i| types.get(i))
                .map(|t| format!("(?:{})", t.national_number().as_str()))
                .collect::<Vec<_>>()
                .join("|");
            unions.push(prefix_regex(&alternation)?);
            let u = unions.len() - 1;
            by_members.insert(members, u);
            *slot = Some(u);
        }
        Some(Rules {
            code: meta.country_code(),
            code_text: meta.country_code().to_string(),
            idd: match meta.international_prefix() {
                Some(r) => Some(Pattern::new(r.as_str())?),
                None => None,
            },
            national_prefix: meta.national_prefix().map(str::to_owned),
            prefix_for_parsing: match (meta.national_prefix_for_parsing(), transform) {
                (None, _) => None,
                (Some(r), None) => Some(Pattern::new(r.as_str())?),
                (Some(r), Some(_)) => Some(Pattern::Regex(exact_regex(r.as_str()).ok()?)),
            },
            transform: transform.map(str::to_owned),
            general,
            union_by_len,
            unions,
            leading_digits: match meta.leading_digits() {
                Some(r) => Some(Pattern::new(r.as_str())?),
                None => None,
            },
        })
    }

    /// `validator::length(meta, number, Type::Unknown)`.
    fn length(&self, len: usize) -> Length {
        let len = u16::try_from(len).unwrap_or(u16::MAX);
        let possible = &self.general.possible;
        let (Some(&min), Some(&max)) = (possible.first(), possible.last()) else {
            return Length::Other;
        };
        if self.general.local.contains(&len) || len == min {
            Length::Possible
        } else if len < min {
            Length::TooShort
        } else if len <= max && possible.contains(&len) {
            Length::Possible
        } else {
            Length::Other
        }
    }

    /// `validator::number_type(meta, value) != Type::Unknown`.
    fn is_known_type(&self, value: &str) -> bool {
        if !self.general.is_match(value) {
            return false;
        }
        self.union_by_len
            .get(value.len())
            .copied()
            .flatten()
            .and_then(|u| self.unions.get(u))
            .is_some_and(|re| re.is_match(value))
    }

    /// `helper::national_number`: strips the national prefix (and carrier
    /// code) with this entry's parsing rule. `None` where the reference
    /// panics.
    fn national_number<'a>(&self, national: Cow<'a, str>) -> Option<Cow<'a, str>> {
        let parsing = match &self.prefix_for_parsing {
            None => {
                return Some(match &self.national_prefix {
                    Some(np) if has_prefix(&national, np) => trim(national, np.len()),
                    _ => national,
                })
            }
            // No transform rule here: a match at 0 is stripped (below).
            Some(Pattern::Literal(lit)) => {
                return Some(if has_prefix(&national, lit) {
                    trim(national, lit.len())
                } else {
                    national
                });
            }
            Some(Pattern::Regex(re)) => re,
        };
        let Some(found) = parsing.find(&national) else {
            return Some(national);
        };
        if found.start() != 0 {
            return Some(national);
        }
        let end = found.end();
        let (first_present, last_present) = match parsing.captures(&national) {
            Some(caps) => (
                caps.get(1).is_some(),
                caps.len()
                    .checked_sub(1)
                    .and_then(|i| caps.get(i))
                    .is_some(),
            ),
            // The reference unwraps here; `find` matched so this is unreachable.
            None => return None,
        };
        match &self.transform {
            Some(transform) if last_present => {
                let viable = self.general.is_match(&national);
                let transformed = parsing.replace(&national, transform.as_str()).into_owned();
                if viable && !self.general.is_match(&transformed) {
                    return Some(national);
                }
                // The reference unwraps the first group as the carrier.
                if !first_present {
                    return None;
                }
                Some(Cow::Owned(transformed))
            }
            // As the reference does: it checks the general pattern on the
            // unstripped number twice (`viable && !viable`), so it always
            // strips.
            _ => Some(trim(national, end)),
        }
    }
}

/// `value.starts_with(prefix)` for the 1-4 digit prefixes here, without a
/// `memcmp` call.
fn has_prefix(value: &str, prefix: &str) -> bool {
    prefix.len() <= value.len() && prefix.bytes().zip(value.bytes()).all(|(p, v)| p == v)
}

/// Drops the first `n` bytes (ASCII digits only here).
fn trim(value: Cow<'_, str>, n: usize) -> Cow<'_, str> {
    match value {
        Cow::Borrowed(s) => Cow::Borrowed(s.get(n..).unwrap_or("")),
        Cow::Owned(s) => Cow::Owned(s.get(n..).unwrap_or("").to_owned()),
    }
}

/// A pattern compiled as the reference's cache does (verbose mode), for the
/// patterns whose match positions and groups matter.
fn exact_regex(src: &str) -> Result<Regex, regex::Error> {
    RegexBuilder::new(src).ignore_whitespace(true).build()
}

/// "A match starts at 0", as one anchored regex. Haystacks are ASCII digits,
/// where ASCII-only classes match exactly as Unicode ones do.
fn prefix_regex(src: &str) -> Option<Regex> {
    let anchored = format!("^(?:{src}\n)");
    RegexBuilder::new(&anchored)
        .ignore_whitespace(true)
        .unicode(false)
        .build()
        .or_else(|_| RegexBuilder::new(&anchored).ignore_whitespace(true).build())
        .ok()
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

impl Tables {
    /// Indexes the metadata database; compiles nothing yet.
    pub(crate) fn new() -> Tables {
        let db: &'static Database = &DATABASE;
        let mut index = MetaIndex::default();
        let mut codes = vec![CodeInfo::default(); CODE_LIMIT];
        for (code, info) in (0u16..).zip(codes.iter_mut()) {
            let Some(list) = db.by_code(&code) else {
                continue;
            };
            info.exists = true;
            let first = list.first().map(|m| index.of(m));
            for m in list {
                index.of(m);
            }
            info.plan = match db.region(&code).as_deref() {
                None | Some([]) => Plan::Never,
                Some(["001"]) => first.map_or(Plan::Never, Plan::Single),
                Some([one]) => match one.parse::<Id>() {
                    Err(_) => Plan::Never,
                    Ok(id) => db
                        .by_id(id.as_ref())
                        .map_or(Plan::Never, |m| Plan::Single(index.of(m))),
                },
                Some(many) => {
                    let steps: Option<Vec<(usize, usize)>> = many
                        .iter()
                        .map(|region| {
                            let checked = db.by_id(*region)?;
                            let returned = db.by_id(region.parse::<Id>().ok()?.as_ref())?;
                            Some((index.of(checked), index.of(returned)))
                        })
                        .collect();
                    steps.map_or(Plan::Unsure, |s| Plan::Multi(s.into_boxed_slice()))
                }
            };
        }
        // `parse` looks the region up by its code text.
        let mut by_region = vec![NONE; 26 * 26];
        let ids: Vec<&'static str> = index.metas.iter().map(|m| m.id()).collect();
        for id in ids {
            let (Some(k), Some(m)) = (region_key(id), db.by_id(id)) else {
                continue;
            };
            let i = index.of(m);
            if let (Some(slot), Ok(i)) = (by_region.get_mut(k), u16::try_from(i)) {
                *slot = i;
            }
        }
        let rules = index.metas.iter().map(|_| OnceLock::new()).collect();
        Tables {
            metas: index.metas,
            rules,
            by_region,
            codes,
        }
    }

    fn rules(&self, i: usize) -> Option<&Rules> {
        let meta = self.metas.get(i)?;
        self.rules
            .get(i)?
            .get_or_init(|| Rules::compile(meta))
            .as_ref()
    }

    fn region_rules(&self, region: Region) -> Option<&Rules> {
        let slot = *self.by_region.get(region_key(region.as_str())?)?;
        if slot == NONE {
            return None;
        }
        self.rules(usize::from(slot))
    }

    /// Reads `text` (not yet digit-mapped) in `region`.
    pub(crate) fn read(&self, text: &str, region: Region) -> Verdict {
        let mut buf = [0u8; MAX_FAST_BYTES];
        let Some(len) = map_ascii(text, &mut buf) else {
            return Verdict::Unsure;
        };
        let Some(bytes) = buf.get(..len) else {
            return Verdict::Unsure;
        };
        let Some(shape) = shape(bytes) else {
            return Verdict::Unsure;
        };
        let mut digits = [0u8; MAX_FAST_BYTES];
        let mut n = 0;
        for &b in shape.national.iter().filter(|b| b.is_ascii_digit()) {
            match digits.get_mut(n) {
                Some(slot) => *slot = b,
                None => return Verdict::Unsure,
            }
            n += 1;
        }
        // `is_viable` needs three digits (or exactly two, left to the
        // reference).
        if n < 3 {
            return Verdict::Unsure;
        }
        let Some(national) = digits.get(..n).and_then(|d| std::str::from_utf8(d).ok()) else {
            return Verdict::Unsure;
        };
        self.decide(shape.kind, national, region)
    }

    /// `parse` from the country-code step on, then `is_valid`, then E.164.
    fn decide(&self, kind: Kind<'_>, digits: &str, region: Region) -> Verdict {
        let Some(r) = self.region_rules(region) else {
            return Verdict::Unsure;
        };
        let mut national: Cow<'_, str> = Cow::Borrowed(digits);

        // helper::international_prefix.
        let mut idd_or_plus = !matches!(kind, Kind::Plain);
        let mut idd_after_plus = false;
        if !matches!(kind, Kind::PlusCode(_)) {
            if let Some(end) = r.idd.as_ref().and_then(|idd| idd.match_at_start(&national)) {
                let rest = digits.get(end..).unwrap_or("");
                if !rest.starts_with('0') {
                    idd_after_plus = idd_or_plus;
                    idd_or_plus = true;
                    national = Cow::Borrowed(rest);
                }
            }
        }

        // helper::country_code.
        let code = if idd_or_plus {
            if national.len() <= MIN_NSN {
                return Verdict::Invalid;
            }
            if let Kind::PlusCode(prefix) = kind {
                let Some(code) = parse_u16(prefix.iter().filter(|b| b.is_ascii_digit())) else {
                    return Verdict::Invalid;
                };
                if !self.code_exists(code) {
                    return Verdict::Invalid;
                }
                code
            } else {
                if national.starts_with('0') {
                    return Verdict::Invalid;
                }
                let mut found = None;
                for len in 1..=3 {
                    let Some(code) = national
                        .get(..len)
                        .and_then(|p| parse_u16(p.as_bytes().iter()))
                    else {
                        break;
                    };
                    if self.code_exists(code) {
                        found = Some((code, len));
                        break;
                    }
                }
                let Some((code, len)) = found else {
                    return Verdict::Invalid;
                };
                national = trim(national, len);
                code
            }
        } else {
            // As the reference does: general lengths are empty in this
            // database, so a leading country code is always stripped.
            if has_prefix(&national, &r.code_text)
                && (!r.general.is_match(&national) || r.length(national.len()) != Length::Possible)
            {
                national = trim(national, r.code_text.len());
            }
            r.code
        };

        // parse: national prefix and carrier. `phonenumber` strips them with
        // the company region's rules whatever the country code, which turns
        // `+49 151 12345678` read in US into +49 511 2345678. A number that
        // carries a foreign code is read with its own country's rules
        // instead, as `phonenumber` reads `+<code><rest>` with no region (see
        // `reference_read`).
        let strip = if code == r.code {
            Some(r)
        } else {
            if idd_after_plus {
                // `+` then an IDD then a foreign code: `+<IDD>...` read with
                // no region is rare enough to leave to the reference.
                return Verdict::Unsure;
            }
            match self.source_for(code, national.trim_start_matches('0')) {
                Err(Unsure) => return Verdict::Unsure,
                Ok(None) => None,
                Ok(Some((i, _))) => match self.rules(i) {
                    Some(rules) => Some(rules),
                    None => return Verdict::Unsure,
                },
            }
        };
        if let Some(s) = strip {
            let Some(mut potential) = s.national_number(national.clone()) else {
                return Verdict::Invalid;
            };
            if let Some(np) = &s.national_prefix {
                if has_prefix(&potential, np) {
                    potential = trim(potential, np.len());
                }
            }
            if s.length(potential.len()) != Length::TooShort {
                national = potential;
            }
        }
        if national.len() < MIN_NSN || national.len() > MAX_NSN {
            return Verdict::Invalid;
        }

        // NationalNumber: leading zeros, then a value below 2^56.
        let zeros = national.bytes().take_while(|&b| b == b'0').count();
        let Some(value) = national.get(zeros..).and_then(|v| parse_u64(v.as_bytes())) else {
            return Verdict::Invalid;
        };
        if value >= 1 << 56 {
            return Verdict::Invalid;
        }

        match self.is_valid(code, &national) {
            Verdict::Valid(_) => {}
            other => return other,
        }

        // E.164 text is `+{code}{national}`; more than fifteen digits is no
        // `E164`.
        let code_len = r_digits(u64::from(code));
        let total = code_len + national.len();
        if total > 15 {
            return Verdict::Invalid;
        }
        let Some(scale) = u32::try_from(national.len())
            .ok()
            .and_then(|p| 10u64.checked_pow(p))
        else {
            return Verdict::Unsure;
        };
        match u64::from(code)
            .checked_mul(scale)
            .and_then(|c| c.checked_add(value))
        {
            Some(e164) if e164 != 0 => Verdict::Valid(e164),
            _ => Verdict::Unsure,
        }
    }

    fn code_exists(&self, code: u16) -> bool {
        self.codes.get(usize::from(code)).is_some_and(|c| c.exists)
    }

    /// `validator::source_for`: the metadata entry whose rules read a
    /// national number of `code`; `Ok(None)` where there is none. The flag
    /// says the entry's `number_type` is already known not to be unknown (it
    /// was how the entry was chosen), so `is_valid` need not ask again.
    fn source_for(&self, code: u16, national: &str) -> Result<Option<(usize, bool)>, Unsure> {
        let Some(info) = self.codes.get(usize::from(code)) else {
            return Ok(None);
        };
        match &info.plan {
            Plan::Never => Ok(None),
            Plan::Unsure => Err(Unsure),
            Plan::Single(i) => Ok(Some((*i, false))),
            Plan::Multi(steps) => {
                for &(checked, returned) in steps.iter() {
                    let r = self.rules(checked).ok_or(Unsure)?;
                    match &r.leading_digits {
                        Some(ld) if ld.match_at_start(national).is_some() => {
                            return Ok(Some((returned, false)))
                        }
                        Some(_) => {}
                        None if r.is_known_type(national) => {
                            return Ok(Some((returned, returned == checked)))
                        }
                        None => {}
                    }
                }
                Ok(None)
            }
        }
    }

    /// `validator::is_valid_with` on a parsed number; `Valid(0)` for valid.
    fn is_valid(&self, code: u16, national: &str) -> Verdict {
        match self.source_for(code, national) {
            Err(Unsure) => Verdict::Unsure,
            Ok(None) => Verdict::Invalid,
            Ok(Some((_, true))) => Verdict::Valid(0),
            Ok(Some((i, false))) => match self.rules(i) {
                None => Verdict::Unsure,
                Some(r) if r.is_known_type(national) => Verdict::Valid(0),
                Some(_) => Verdict::Invalid,
            },
        }
    }
}

/// A step the fast path cannot replay: ask the reference.
#[derive(Clone, Copy, Debug)]
struct Unsure;

fn r_digits(n: u64) -> usize {
    n.checked_ilog10().map_or(1, |l| l as usize + 1)
}

fn parse_u16<'a>(digits: impl Iterator<Item = &'a u8>) -> Option<u16> {
    let mut value: u16 = 0;
    let mut any = false;
    for &b in digits {
        let d = b.checked_sub(b'0').filter(|d| *d < 10)?;
        value = value.checked_mul(10)?.checked_add(u16::from(d))?;
        any = true;
    }
    any.then_some(value)
}

fn parse_u64(digits: &[u8]) -> Option<u64> {
    if digits.is_empty() {
        return None;
    }
    let mut value: u64 = 0;
    for &b in digits {
        let d = b.checked_sub(b'0').filter(|d| *d < 10)?;
        value = value.checked_mul(10)?.checked_add(u64::from(d))?;
    }
    Some(value)
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

/// How the country code is found.
#[derive(Clone, Copy)]
enum Kind<'a> {
    /// RFC 3966 form `+CC-...`: the prefix text between `+` and the first
    /// separator.
    PlusCode(&'a [u8]),
    /// A leading `+` followed by the country code.
    Plus,
    /// No `+`: an IDD, or the region's own code.
    Plain,
}

struct Shape<'a> {
    kind: Kind<'a>,
    /// The national part as `phonenumber` sees it before normalizing.
    national: &'a [u8],
}

/// The RFC 3966 visual separators.
fn is_rfc_separator(b: u8) -> bool {
    matches!(b, b'-' | b'.' | b'(' | b')')
}

/// Decides which of `phonenumber`'s two parsers reads `t` and what national
/// text it hands on; `None` for anything outside the understood shapes.
fn shape(t: &[u8]) -> Option<Shape<'_>> {
    let (mut letters, mut spaces) = (false, false);
    for (i, &b) in t.iter().enumerate() {
        match b {
            b' ' => spaces = true,
            b'0'..=b'9' | b'-' | b'.' | b'(' | b')' | b'/' => {}
            b'+' if i == 0 => {}
            b'a'..=b'z' | b'A'..=b'Z' => letters = true,
            _ => return None,
        }
    }
    if letters {
        // Only a trailing extension. Its `x` is no hex digit, so the RFC 3966
        // parser fails, unless the `x` hides in a `+` prefix ("+1x2-3").
        if !spaces && rfc3966(t, true).is_some() {
            return None;
        }
        let base = extension_start(t)?;
        let national = natural(t.get(..base)?)?;
        return Some(Shape {
            kind: natural_kind(national),
            national,
        });
    }
    if !spaces {
        if let Some(shape) = rfc3966(t, false) {
            return Some(shape);
        }
    }
    // `extract` then: no extension can match without letters, `#` or `;`.
    let national = natural(t)?;
    Some(Shape {
        kind: natural_kind(national),
        national,
    })
}

fn natural_kind(national: &[u8]) -> Kind<'static> {
    if national.first() == Some(&b'+') {
        Kind::Plus
    } else {
        Kind::Plain
    }
}

/// `rfc3966::phone_number` on text of digits, `+` at 0, `-.()/` and
/// letters, without spaces; `hex` lets hex letters count as digits, as the
/// reference does (the caller then gives up on the text).
fn rfc3966(t: &[u8], hex: bool) -> Option<Shape<'_>> {
    let (kind, national) = match t.split_first() {
        Some((b'+', rest)) => {
            // `+` then `take_till1(separator)`: at least one byte.
            let sep = rest.iter().position(|&b| is_rfc_separator(b))?;
            if sep == 0 {
                return None;
            }
            let (prefix, national) = rest.split_at(sep);
            (Kind::PlusCode(prefix), national)
        }
        _ => (Kind::Plain, t),
    };
    // `take_while1(number)` must reach the end (no parameters here).
    let number =
        |b: u8| b.is_ascii_digit() || is_rfc_separator(b) || (hex && b.is_ascii_hexdigit());
    if national.is_empty() || !national.iter().all(|&b| number(b)) {
        return None;
    }
    Some(Shape { kind, national })
}

/// `helper::extract` on text without letters: from the first `+` or digit,
/// without trailing punctuation.
fn natural(t: &[u8]) -> Option<&[u8]> {
    let start = t.iter().position(|&b| b == b'+' || b.is_ascii_digit())?;
    let from = t.get(start..)?;
    let end = from
        .iter()
        .rposition(|b| b.is_ascii_digit())
        .map_or(0, |i| i + 1);
    let out = from.get(..end)?;
    // `[\\/] *x` would cut a second number; there is no `x` before an
    // extension here, but stay clear of it anyway.
    (!out.is_empty()).then_some(out)
}

/// How many spaces end `t`.
fn trailing_spaces(t: &[u8]) -> usize {
    t.iter().rev().take_while(|&&b| b == b' ').count()
}

/// The byte where a trailing extension (`x12`, ` ext. 12`, ` X 12`) starts
/// in `t`, as `phonenumber`'s extension pattern finds it, with the text
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
