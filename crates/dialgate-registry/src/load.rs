//! The loader: FTC full lists, FTC change lists and plain CSVs, from files
//! or zips, into a new registry image.

use std::collections::BTreeSet;
use std::fmt;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use chrono::{DateTime, NaiveDate, NaiveDateTime};

use crate::format::{
    area_code, segment_lines, Builder, FileError, Registry, BITMAP_LEN, EXCHANGES, MAX_ARRAY_LINES,
};

/// Bad lines a load tolerates by default before it fails (summed over every
/// input). Blank lines are not bad.
pub const DEFAULT_MAX_BAD_LINES: u64 = 100;

/// Why one input line was refused.
///
/// # Example
///
/// ```
/// use dialgate_registry::load::{parse_full_line, LineError};
/// assert_eq!(parse_full_line(b"1125550100"), Err(LineError::NotNanp));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LineError {
    /// Not 10 digits (or `AAA,NNNNNNN`).
    #[error("not a 10-digit number")]
    BadNumber,
    /// The area code or exchange begins with 0 or 1: not a NANP number.
    #[error("not a NANP number (area code or exchange starts with 0 or 1)")]
    NotNanp,
    /// A change line without `number,timestamp,A|D`.
    #[error("not `number,timestamp,A|D`")]
    BadChange,
    /// A change line whose timestamp does not parse.
    #[error("bad timestamp")]
    BadTimestamp,
    /// Not UTF-8 text.
    #[error("not UTF-8")]
    NotText,
}

fn trim(s: &[u8]) -> &[u8] {
    s.trim_ascii()
}

fn digits(s: &[u8]) -> Option<u64> {
    if s.is_empty() || s.len() > 11 || !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(s.iter().fold(0u64, |n, d| n * 10 + u64::from(d - b'0')))
}

/// A NANP number from its 10 digits, checked: NPA and NXX start with 2-9.
fn nanp(s: &[u8]) -> Result<u64, LineError> {
    let s = s.strip_prefix(b"+1").unwrap_or(s);
    let s = if s.len() == 11 {
        s.strip_prefix(b"1").unwrap_or(s)
    } else {
        s
    };
    if s.len() != 10 {
        return Err(LineError::BadNumber);
    }
    let n = digits(s).ok_or(LineError::BadNumber)?;
    let (npa, nxx) = (n / 10_000_000, n / 10_000 % 1000);
    if npa < 200 || nxx < 200 {
        return Err(LineError::NotNanp);
    }
    Ok(n)
}

/// One line of an FTC full list: `NNNNNNNNNN` or `AAA,NNNNNNN`. `Ok(None)`
/// for a blank line.
///
/// # Errors
///
/// [`LineError`] for anything else.
///
/// # Example
///
/// ```
/// use dialgate_registry::load::parse_full_line;
/// assert_eq!(parse_full_line(b"2125550100"), Ok(Some(2125550100)));
/// assert_eq!(parse_full_line(b"212,5550100\r"), Ok(Some(2125550100)));
/// assert_eq!(parse_full_line(b"  "), Ok(None));
/// assert!(parse_full_line(b"212555").is_err());
/// ```
pub fn parse_full_line(line: &[u8]) -> Result<Option<u64>, LineError> {
    let line = trim(line);
    if line.is_empty() {
        return Ok(None);
    }
    match line.iter().position(|&b| b == b',') {
        Some(i) => {
            let (a, rest) = line.split_at(i);
            let n = rest.get(1..).unwrap_or_default();
            let (a, n) = (trim(a), trim(n));
            if a.len() != 3 || n.len() != 7 {
                return Err(LineError::BadNumber);
            }
            let mut ten = Vec::with_capacity(10);
            ten.extend_from_slice(a);
            ten.extend_from_slice(n);
            nanp(&ten).map(Some)
        }
        None => nanp(line).map(Some),
    }
}

/// One line of a plain CSV list: the first field is a 10-digit number
/// (optionally quoted, optionally `1` or `+1` before it); other fields are
/// ignored. `Ok(None)` for a blank line.
///
/// # Errors
///
/// [`LineError`] when the first field is not a NANP number (a header line
/// counts as one bad line).
///
/// # Example
///
/// ```
/// use dialgate_registry::load::parse_csv_line;
/// assert_eq!(parse_csv_line(b"\"2125550100\",TX,2025-01-01"), Ok(Some(2125550100)));
/// assert_eq!(parse_csv_line(b"+12125550100"), Ok(Some(2125550100)));
/// assert!(parse_csv_line(b"phone,state").is_err());
/// ```
pub fn parse_csv_line(line: &[u8]) -> Result<Option<u64>, LineError> {
    let line = trim(line);
    if line.is_empty() {
        return Ok(None);
    }
    let field = line.split(|&b| b == b',').next().unwrap_or_default();
    let field = trim(field);
    let field = field
        .strip_prefix(b"\"")
        .and_then(|f| f.strip_suffix(b"\""))
        .unwrap_or(field);
    nanp(trim(field)).map(Some)
}

/// One change of an FTC change list.
///
/// # Example
///
/// ```
/// use dialgate_registry::load::{parse_change_line, Change};
/// let c: Change = parse_change_line(b"2125550100,0,A").unwrap().unwrap();
/// assert!(c.add);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Change {
    /// The 10-digit number.
    pub number: u64,
    /// When the change was made, in seconds since 1970 (UTC).
    pub at: i64,
    /// `true` for `A` (added), `false` for `D` (deleted).
    pub add: bool,
}

fn parse_timestamp(s: &str) -> Option<i64> {
    if let Ok(n) = s.parse::<i64>() {
        return Some(n);
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.timestamp());
    }
    for f in [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M:%S",
        "%m/%d/%Y %H:%M:%S",
        "%m/%d/%Y %H:%M",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, f) {
            return Some(t.and_utc().timestamp());
        }
    }
    for f in ["%Y-%m-%d", "%m/%d/%Y"] {
        if let Ok(d) = NaiveDate::parse_from_str(s, f) {
            return Some(d.and_time(chrono::NaiveTime::MIN).and_utc().timestamp());
        }
    }
    None
}

/// One line of an FTC change list: `number,timestamp,A|D` (the number as
/// in a full list, 10 digits; the timestamp RFC 3339, `YYYY-MM-DD HH:MM:SS`,
/// `MM/DD/YYYY HH:MM[:SS]`, a date, or Unix seconds). `Ok(None)` for a blank line.
///
/// # Errors
///
/// [`LineError`] for anything else.
///
/// # Example
///
/// ```
/// use dialgate_registry::load::{parse_change_line, Change};
/// assert_eq!(
///     parse_change_line(b"2125550100,2026-01-05 10:00:00,D"),
///     Ok(Some(Change { number: 2125550100, at: 1767607200, add: false }))
/// );
/// assert!(parse_change_line(b"2125550100,yesterday,A").is_err());
/// ```
pub fn parse_change_line(line: &[u8]) -> Result<Option<Change>, LineError> {
    let line = trim(line);
    if line.is_empty() {
        return Ok(None);
    }
    let text = std::str::from_utf8(line).map_err(|_| LineError::NotText)?;
    let mut parts = text.split(',').map(str::trim);
    let (Some(n), Some(t), Some(a), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(LineError::BadChange);
    };
    let number = nanp(n.as_bytes())?;
    let at = parse_timestamp(t).ok_or(LineError::BadTimestamp)?;
    let add = match a {
        "A" | "a" => true,
        "D" | "d" => false,
        _ => return Err(LineError::BadChange),
    };
    Ok(Some(Change { number, at, add }))
}

/// A bad input line: where and why.
///
/// # Example
///
/// ```
/// use dialgate_registry::load::{BadLine, LineError};
/// let bad = BadLine { file: "212.txt".into(), line: 3, error: LineError::BadNumber };
/// assert_eq!(bad.to_string(), "212.txt:3: not a 10-digit number");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadLine {
    /// The file (`archive.zip!entry` inside a zip).
    pub file: String,
    /// Its line number, from 1.
    pub line: u64,
    /// Why it was refused.
    pub error: LineError,
}

impl fmt::Display for BadLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.error)
    }
}

/// What a load read.
///
/// # Example
///
/// ```
/// assert_eq!(dialgate_registry::load::Report::default().bad_lines, 0);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// Lines read (blank ones included).
    pub lines: u64,
    /// Bad lines.
    pub bad_lines: u64,
    /// The first bad lines (at most 20), for the operator.
    pub examples: Vec<BadLine>,
    /// Numbers in the result.
    pub numbers: u64,
    /// Area codes the result covers.
    pub area_codes: Vec<u16>,
}

/// A load that failed; no file was written and the old version stays.
///
/// # Example
///
/// ```
/// use dialgate_registry::load::LoadError;
/// assert!(LoadError::NoCoverage.to_string().starts_with("the list covers no area code"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoadError {
    /// An input could not be read.
    #[error("`{file}`: {message}")]
    Input {
        /// The input.
        file: String,
        /// What went wrong (a zip's CRC mismatch or truncation included).
        message: String,
    },
    /// More bad lines than allowed.
    #[error("{count} bad lines (more than the {max} allowed), first at {first}")]
    TooManyBadLines {
        /// Bad lines seen.
        count: u64,
        /// The threshold.
        max: u64,
        /// The first one.
        first: BadLine,
    },
    /// The build would cover no area code (every number would be refused).
    #[error("the list covers no area code: name FTC files by area code or pass --cover")]
    NoCoverage,
    /// The base file of an apply, or the output, failed.
    #[error(transparent)]
    File(#[from] FileError),
}

/// What an input file holds.
///
/// # Example
///
/// ```
/// use dialgate_registry::load::Kind;
/// let inputs = [(Kind::Full, "212.txt"), (Kind::Csv, "texas.csv")];
/// assert_eq!(inputs.len(), 2);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// An FTC full list (per area code).
    Full,
    /// A plain CSV list of numbers.
    Csv,
    /// An FTC change list.
    Changes,
}

/// Bad-line bookkeeping shared by every input of one load.
struct Lines {
    report: Report,
    max_bad: u64,
}

impl Lines {
    fn bad(&mut self, file: &str, line: u64, error: LineError) -> Result<(), LoadError> {
        self.report.bad_lines += 1;
        let bad = BadLine {
            file: file.to_string(),
            line,
            error,
        };
        if self.report.examples.len() < 20 {
            self.report.examples.push(bad.clone());
        }
        if self.report.bad_lines > self.max_bad {
            let first = self.report.examples.first().cloned().unwrap_or(bad);
            return Err(LoadError::TooManyBadLines {
                count: self.report.bad_lines,
                max: self.max_bad,
                first,
            });
        }
        Ok(())
    }
}

/// The area code a file's name gives (`212.txt`, `212_2026-01.txt`), if any.
fn name_area_code(name: &str) -> Option<u16> {
    let base = name.rsplit(['/', '\\', '!']).next().unwrap_or(name);
    let head = base.get(..3)?;
    let rest = base.get(3..).unwrap_or_default();
    if !head.bytes().all(|b| b.is_ascii_digit()) || rest.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    let a: u16 = head.parse().ok()?;
    (200..1000).contains(&a).then_some(a)
}

/// What receives each line: file name, line number, text.
type LineSink<'a> = dyn FnMut(&str, u64, &[u8]) -> Result<(), LoadError> + 'a;

/// Calls `f(name, line_number, line)` for every line of a file, or of every
/// entry of a zip (its CRC checked as the entry ends); first with line 0 and
/// no text for each file or entry.
fn each_line(path: &Path, f: &mut LineSink<'_>) -> Result<(), LoadError> {
    let label = path.display().to_string();
    let input = |message: String| LoadError::Input {
        file: label.clone(),
        message,
    };
    let mut file = File::open(path).map_err(|e| input(e.to_string()))?;
    let mut magic = [0u8; 4];
    let n = file.read(&mut magic).map_err(|e| input(e.to_string()))?;
    drop(file);
    let file = File::open(path).map_err(|e| input(e.to_string()))?;
    let is_zip = (n == 4 && magic == *b"PK\x03\x04")
        || path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("zip"));
    if is_zip {
        let mut zip = zip::ZipArchive::new(BufReader::new(file))
            .map_err(|e| input(format!("bad zip: {e}")))?;
        for i in 0..zip.len() {
            let entry = zip
                .by_index(i)
                .map_err(|e| input(format!("bad zip: {e}")))?;
            if entry.is_dir() {
                continue;
            }
            let name = format!("{label}!{}", entry.name());
            read_lines(BufReader::new(entry), &name, f)?;
        }
        Ok(())
    } else {
        read_lines(BufReader::new(file), &label, f)
    }
}

fn read_lines(mut r: impl BufRead, name: &str, f: &mut LineSink<'_>) -> Result<(), LoadError> {
    let mut buf = Vec::with_capacity(64);
    let mut n = 0u64;
    // Line 0 announces the file, so that an empty one still names itself.
    f(name, 0, b"")?;
    loop {
        buf.clear();
        // Reading to the end is what makes zip check the entry's CRC.
        let got = r
            .read_until(b'\n', &mut buf)
            .map_err(|e| LoadError::Input {
                file: name.to_string(),
                message: e.to_string(),
            })?;
        if got == 0 {
            return Ok(());
        }
        n += 1;
        f(name, n, &buf)?;
    }
}

/// How to build a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildOptions {
    /// The list's version date.
    pub as_of: NaiveDate,
    /// Area codes covered besides those the FTC files' names give
    /// (see [`build`]).
    pub cover: Vec<u16>,
    /// Bad lines tolerated before the load fails.
    pub max_bad_lines: u64,
}

impl BuildOptions {
    /// Options for a list as of `as_of`, no extra coverage, the default
    /// bad-line threshold.
    ///
    /// # Example
    ///
    /// ```
    /// # use chrono::NaiveDate;
    /// let o = dialgate_registry::load::BuildOptions::new(NaiveDate::from_ymd_opt(2026, 1, 5).unwrap());
    /// assert_eq!(o.max_bad_lines, 100);
    /// ```
    pub fn new(as_of: NaiveDate) -> BuildOptions {
        BuildOptions {
            as_of,
            cover: Vec::new(),
            max_bad_lines: DEFAULT_MAX_BAD_LINES,
        }
    }
}

/// Builds a list from full lists and CSVs.
///
/// Coverage: `options.cover`, plus, for each FTC full list, the area code
/// its file (or zip entry) name starts with (`212.txt`), or, for one whose
/// name names none, every area code of its numbers. CSVs add no coverage.
///
/// # Errors
///
/// [`LoadError`]: an unreadable input or zip, too many bad lines, no area
/// code covered.
///
/// # Example
///
/// ```
/// use chrono::NaiveDate;
/// use dialgate_registry::load::{build, BuildOptions, Kind};
/// use dialgate_registry::{Lookup, Registry};
///
/// let dir = tempfile::tempdir().unwrap();
/// let ftc = dir.path().join("212.txt");
/// std::fs::write(&ftc, "2125550100\n212,5550101\n").unwrap();
/// let (image, report) = build(&[(Kind::Full, ftc)], &BuildOptions::new(NaiveDate::from_ymd_opt(2026, 1, 5).unwrap())).unwrap();
/// assert_eq!((report.numbers, report.area_codes.clone()), (2, vec![212]));
/// assert_eq!(Registry::from_bytes(image).unwrap().lookup(2125550101), Lookup::Registered);
/// ```
pub fn build(
    inputs: &[(Kind, impl AsRef<Path>)],
    options: &BuildOptions,
) -> Result<(Vec<u8>, Report), LoadError> {
    let mut lines = Lines {
        report: Report::default(),
        max_bad: options.max_bad_lines,
    };
    let mut numbers: Vec<u64> = Vec::new();
    let mut cover: BTreeSet<u16> = options.cover.iter().copied().collect();
    for (kind, path) in inputs {
        each_line(path.as_ref(), &mut |name, n, line| {
            if n == 0 {
                if *kind == Kind::Full {
                    cover.extend(name_area_code(name));
                }
                return Ok(());
            }
            lines.report.lines += 1;
            let parsed = match kind {
                Kind::Full => parse_full_line(line),
                Kind::Csv => parse_csv_line(line),
                Kind::Changes => {
                    parse_change_line(line).map(|c| c.filter(|c| c.add).map(|c| c.number))
                }
            };
            match parsed {
                Ok(Some(number)) => {
                    if *kind == Kind::Full && name_area_code(name).is_none() {
                        cover.insert(area_code(number));
                    }
                    numbers.push(number);
                    Ok(())
                }
                Ok(None) => Ok(()),
                Err(e) => lines.bad(name, n, e),
            }
        })?;
    }
    numbers.sort_unstable();
    numbers.dedup();
    let mut b = Builder::with_capacity(options.as_of, numbers.len());
    for a in &cover {
        b.cover(*a);
    }
    if !b.covers_any() {
        return Err(LoadError::NoCoverage);
    }
    for n in numbers {
        // Sorted, deduplicated, 10-digit: push cannot fail.
        let _ = b.push(n);
    }
    lines.report.numbers = b.len();
    lines.report.area_codes = cover
        .into_iter()
        .filter(|a| (200..1000).contains(a))
        .collect();
    Ok((b.finish(), lines.report))
}

/// How to apply change lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplyOptions {
    /// The new version's date.
    pub as_of: NaiveDate,
    /// Area codes to cover besides the base's.
    pub cover: Vec<u16>,
    /// Bad lines tolerated before the load fails.
    pub max_bad_lines: u64,
}

impl ApplyOptions {
    /// Options for a version as of `as_of`, keeping the base's coverage.
    ///
    /// # Example
    ///
    /// ```
    /// # use chrono::NaiveDate;
    /// let o = dialgate_registry::load::ApplyOptions::new(NaiveDate::from_ymd_opt(2026, 1, 6).unwrap());
    /// assert!(o.cover.is_empty());
    /// ```
    pub fn new(as_of: NaiveDate) -> ApplyOptions {
        ApplyOptions {
            as_of,
            cover: Vec::new(),
            max_bad_lines: DEFAULT_MAX_BAD_LINES,
        }
    }
}

/// Reads change lists: per number, the change with the latest timestamp
/// (the later line on a tie), sorted by number.
///
/// # Errors
///
/// As [`build`].
///
/// # Example
///
/// ```
/// use dialgate_registry::load::read_changes;
/// let dir = tempfile::tempdir().unwrap();
/// let f = dir.path().join("changes.csv");
/// std::fs::write(&f, "2125550100,2026-01-05,A\n2125550100,2026-01-04,D\n").unwrap();
/// let (changes, _) = read_changes(&[f], 100).unwrap();
/// assert_eq!(changes, vec![(2125550100, true)]);
/// ```
pub fn read_changes(
    files: &[impl AsRef<Path>],
    max_bad_lines: u64,
) -> Result<(Vec<(u64, bool)>, Report), LoadError> {
    let mut lines = Lines {
        report: Report::default(),
        max_bad: max_bad_lines,
    };
    // (number, at, order, add): sorting puts each number's last action last.
    let mut all: Vec<(u64, i64, u64, bool)> = Vec::new();
    for path in files {
        each_line(path.as_ref(), &mut |name, n, line| {
            if n == 0 {
                return Ok(());
            }
            lines.report.lines += 1;
            match parse_change_line(line) {
                Ok(Some(c)) => {
                    all.push((c.number, c.at, all.len() as u64, c.add));
                    Ok(())
                }
                Ok(None) => Ok(()),
                Err(e) => lines.bad(name, n, e),
            }
        })?;
    }
    all.sort_unstable();
    let mut out: Vec<(u64, bool)> = Vec::with_capacity(all.len());
    for (number, _, _, add) in all {
        match out.last_mut() {
            Some(last) if last.0 == number => last.1 = add,
            _ => out.push((number, add)),
        }
    }
    Ok((out, lines.report))
}

/// A new version: `base` with `changes` (sorted by number, one a number, as
/// [`read_changes`] gives them) applied. Exchanges without changes are
/// copied as they are encoded.
///
/// # Example
///
/// ```
/// # use chrono::NaiveDate;
/// # use dialgate_registry::{Builder, Lookup, Registry};
/// use dialgate_registry::load::apply_changes;
/// let mut b = Builder::new(NaiveDate::from_ymd_opt(2026, 1, 5).unwrap());
/// b.cover(212);
/// b.push(2125550100).unwrap();
/// let base = Registry::from_bytes(b.finish()).unwrap();
/// let next = apply_changes(&base, &[(2125550100, false), (2125550101, true)], NaiveDate::from_ymd_opt(2026, 1, 6).unwrap(), &[]);
/// let next = Registry::from_bytes(next).unwrap();
/// assert_eq!(next.lookup(2125550100), Lookup::NotRegistered);
/// assert_eq!(next.lookup(2125550101), Lookup::Registered);
/// ```
pub fn apply_changes(
    base: &Registry,
    changes: &[(u64, bool)],
    as_of: NaiveDate,
    cover: &[u16],
) -> Vec<u8> {
    apply_inner(base, changes, as_of, cover).0
}

fn apply_inner(
    base: &Registry,
    changes: &[(u64, bool)],
    as_of: NaiveDate,
    cover: &[u16],
) -> (Vec<u8>, u64) {
    // Segments take about half a byte a number: reserve the base's size.
    let mut b = Builder::with_capacity(as_of, base.size_bytes() as usize * 2 + changes.len());
    for a in base.area_codes().into_iter().chain(cover.iter().copied()) {
        b.cover(a);
    }
    let mut rest = changes;
    for ex in 0..EXCHANGES {
        let seg = base.segment(ex);
        let base_no = ex as u64 * 10_000;
        let split = rest.partition_point(|&(n, _)| n < base_no + 10_000);
        let (here, later) = rest.split_at(split);
        rest = later;
        if here.is_empty() {
            if !seg.is_empty() {
                let count = if seg.len() == BITMAP_LEN {
                    seg.iter().map(|x| u64::from(x.count_ones())).sum()
                } else {
                    seg.len() as u64 / 2
                };
                b.push_segment(ex, seg, count);
            }
            continue;
        }
        if seg.len() == BITMAP_LEN {
            // Flip bits in a copy: O(changes), and the copy stays a bitmap
            // unless it drops to an array's size.
            let mut bitmap = [0u8; BITMAP_LEN];
            bitmap.copy_from_slice(seg);
            for &(n, add) in here {
                let l = n.saturating_sub(base_no);
                if let Some(byte) = bitmap.get_mut((l / 8) as usize) {
                    let bit = 1u8 << (l % 8);
                    if add {
                        *byte |= bit;
                    } else {
                        *byte &= !bit;
                    }
                }
            }
            let count: u64 = bitmap.iter().map(|x| u64::from(x.count_ones())).sum();
            if count as usize > MAX_ARRAY_LINES {
                b.push_segment(ex, &bitmap, count);
            } else {
                for l in segment_lines(&bitmap) {
                    let _ = b.push(base_no + u64::from(l));
                }
            }
            continue;
        }
        // An array (or nothing): merge its sorted lines with the sorted changes.
        let lines = segment_lines(seg);
        let (mut li, mut ci) = (0, 0);
        loop {
            let line = lines.get(li).map(|&l| base_no + u64::from(l));
            let change = here.get(ci).copied();
            match (line, change) {
                (None, None) => break,
                (Some(l), Some((c, add))) if c == l => {
                    if add {
                        let _ = b.push(l);
                    }
                    li += 1;
                    ci += 1;
                }
                (Some(l), Some((c, _))) if l < c => {
                    let _ = b.push(l);
                    li += 1;
                }
                (Some(l), None) => {
                    let _ = b.push(l);
                    li += 1;
                }
                (_, Some((c, add))) => {
                    if add {
                        let _ = b.push(c);
                    }
                    ci += 1;
                }
            }
        }
    }
    let count = b.len();
    (b.finish(), count)
}

/// Applies change list files to a base file's version.
///
/// # Errors
///
/// As [`read_changes`].
///
/// # Example
///
/// ```
/// # use chrono::NaiveDate;
/// # use dialgate_registry::{Builder, Lookup, Registry};
/// use dialgate_registry::load::{apply, ApplyOptions};
/// let dir = tempfile::tempdir().unwrap();
/// let f = dir.path().join("changes.csv");
/// std::fs::write(&f, "2125550100,2026-01-05 09:00:00,A\n").unwrap();
/// let mut b = Builder::new(NaiveDate::from_ymd_opt(2026, 1, 4).unwrap());
/// b.cover(212);
/// let base = Registry::from_bytes(b.finish()).unwrap();
/// let (image, report) = apply(&base, &[f], &ApplyOptions::new(NaiveDate::from_ymd_opt(2026, 1, 5).unwrap())).unwrap();
/// assert_eq!(Registry::from_bytes(image).unwrap().lookup(2125550100), Lookup::Registered);
/// ```
pub fn apply(
    base: &Registry,
    change_files: &[impl AsRef<Path>],
    options: &ApplyOptions,
) -> Result<(Vec<u8>, Report), LoadError> {
    let (changes, mut report) = read_changes(change_files, options.max_bad_lines)?;
    let (image, count) = apply_inner(base, &changes, options.as_of, &options.cover);
    report.numbers = count;
    let mut area_codes: BTreeSet<u16> = base.area_codes().into_iter().collect();
    area_codes.extend(options.cover.iter().filter(|a| (200..1000).contains(*a)));
    report.area_codes = area_codes.into_iter().collect();
    Ok((image, report))
}
