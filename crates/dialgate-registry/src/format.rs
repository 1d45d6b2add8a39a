//! The registry file: layout, builder, reader and lookups.
//!
//! Layout (all integers little-endian):
//!
//! | offset | size | field |
//! |---|---|---|
//! | 0 | 8 | magic `DGDNCSET` |
//! | 8 | 4 | format version (1) |
//! | 12 | 4 | header length (256) |
//! | 16 | 4 | as-of date, days from 0001-01-01 (CE day 1) |
//! | 20 | 4 | reserved, 0 |
//! | 24 | 8 | count of numbers |
//! | 32 | 8 | data length in bytes (D) |
//! | 40 | 4 | CRC-32 (IEEE) of the whole file with these 4 bytes as zero |
//! | 44 | 4 | live exchanges (L): exchanges holding at least one number |
//! | 48 | 125 | coverage: bit `npa` set when area code `npa` is covered |
//! | 173 | 83 | reserved, 0 |
//! | 256 | D | exchange segments, in exchange order |
//! | 256 + D | 125,000 | live bitmap: bit `e` set when exchange `e` (NPA-NXX) holds numbers |
//! | 256 + D + 125,000 | 4 (L + 1) | segment offsets into data, one per live exchange and an end |
//!
//! The segment of the `r`-th live exchange is `data[offset[r]..offset[r + 1]]`:
//! a sorted array of u16 line numbers (at most 624 of them, 1,248 bytes) or
//! a 10,000-bit bitmap (1,250 bytes), whichever is smaller; the length alone
//! tells which. `r` is the rank of the exchange's bit in the live bitmap,
//! counted with per-word prefix counts computed on open. The bitmap (122 KiB),
//! those counts (61 KiB) and the offsets (4 bytes a live exchange, 320 KiB
//! for 80,000) stay in cache, so a lookup's one memory miss is its segment.

use std::fmt;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, Utc};

/// The file's first 8 bytes.
pub const MAGIC: [u8; 8] = *b"DGDNCSET";
/// The one format version this crate reads and writes.
pub const FORMAT_VERSION: u32 = 1;
/// Bytes before the exchange table.
pub const HEADER_LEN: usize = 256;
/// Exchanges (NPA-NXX) a 10-digit number space holds.
pub const EXCHANGES: usize = 1_000_000;
/// Bytes of the live-exchange bitmap.
pub const LIVE_LEN: usize = EXCHANGES / 8;
/// Words of the live-exchange bitmap.
const LIVE_WORDS: usize = EXCHANGES / 64;
/// Offset of the first exchange segment.
pub const DATA_AT: usize = HEADER_LEN;
/// Size of a list holding no number: header, live bitmap, one offset.
pub const EMPTY_LEN: usize = HEADER_LEN + LIVE_LEN + 4;
/// Bytes of a bitmap segment (10,000 lines).
pub const BITMAP_LEN: usize = 1_250;
/// Most lines an array segment holds (625 would take as many bytes as a bitmap).
pub const MAX_ARRAY_LINES: usize = 624;
/// One past the largest 10-digit number.
pub const NUMBER_LIMIT: u64 = 10_000_000_000;

const AS_OF_AT: usize = 16;
const COUNT_AT: usize = 24;
const DATA_LEN_AT: usize = 32;
const CRC_AT: usize = 40;
const LIVE_COUNT_AT: usize = 44;
const COVERAGE_AT: usize = 48;
const COVERAGE_LEN: usize = 125;

/// What is wrong with a registry file.
///
/// `#[non_exhaustive]`: verification may learn new checks, and callers show
/// the problem rather than match on it (any problem refuses the file).
///
/// # Example
///
/// ```
/// use dialgate_registry::{FileProblem, Registry};
/// let err = Registry::from_bytes(vec![b'x'; 300]).unwrap_err();
/// assert_eq!(err.problem, FileProblem::BadMagic);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FileProblem {
    /// The file could not be read or written.
    #[error("{0}")]
    Io(String),
    /// The file is shorter than its header says.
    #[error("truncated: {found} bytes, expected {expected}")]
    Truncated {
        /// Bytes found.
        found: u64,
        /// Bytes the header implies.
        expected: u64,
    },
    /// The file is longer than its header says.
    #[error("trailing bytes: {found} bytes, expected {expected}")]
    TooLong {
        /// Bytes found.
        found: u64,
        /// Bytes the header implies.
        expected: u64,
    },
    /// The first bytes are not the registry magic.
    #[error("not a dialgate registry file (bad magic)")]
    BadMagic,
    /// A format version this crate does not read.
    #[error("unsupported format version {found} (this build reads version {FORMAT_VERSION})")]
    UnsupportedVersion {
        /// The version the file declares.
        found: u32,
    },
    /// The stored checksum does not match the contents.
    #[error("checksum mismatch: stored {stored:08x}, computed {computed:08x}")]
    Checksum {
        /// The CRC-32 in the header.
        stored: u32,
        /// The CRC-32 of the contents.
        computed: u32,
    },
    /// The checksum matches but the structure is inconsistent.
    #[error("malformed: {0}")]
    Malformed(String),
}

/// A registry file that cannot be opened, read or written.
///
/// Its message is one line naming the file and what is wrong.
///
/// # Example
///
/// ```
/// let err = dialgate_registry::Registry::open("/nonexistent/federal.dnc").unwrap_err();
/// assert_eq!(err.path, "/nonexistent/federal.dnc");
/// assert!(!err.to_string().contains('\n'));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("registry file `{path}`: {problem}")]
pub struct FileError {
    /// The file (`<memory>` for an image not read from disk).
    pub path: String,
    /// What is wrong.
    pub problem: FileProblem,
}

/// What a list says of one number, before freshness is considered.
///
/// Not `#[non_exhaustive]`: a new answer must break the caller's match, since
/// every answer but `NotRegistered` refuses the call.
///
/// # Example
///
/// ```
/// # use chrono::NaiveDate;
/// use dialgate_registry::{Builder, Lookup, Registry};
/// let reg = Registry::from_bytes(Builder::new(NaiveDate::from_ymd_opt(2026, 1, 5).unwrap()).finish()).unwrap();
/// assert_eq!(reg.lookup(2125550100), Lookup::NotCovered);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lookup {
    /// The list holds the number.
    Registered,
    /// The list covers the area code and does not hold the number.
    NotRegistered,
    /// The list does not cover the number's area code (or the number is not
    /// a 10-digit number): nothing is known of it.
    NotCovered,
}

/// Why a list refuses a call to a number. Fail-closed: only a fresh list that
/// covers the area code and does not hold the number lets a call through.
/// Not `#[non_exhaustive]`, for the reason [`Lookup`] is not.
///
/// # Example
///
/// ```
/// use dialgate_registry::Refusal;
/// assert_eq!(Refusal::NotCovered { area_code: 305 }.to_string(), "the list does not cover area code 305");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Refusal {
    /// The list holds the number.
    Registered,
    /// The list does not cover the number's area code.
    NotCovered {
        /// The area code (the number's first 3 digits; 0 for a number that
        /// is not 10 digits).
        area_code: u16,
    },
    /// The list's as-of date is more than `max_age_days` before the decision.
    Stale {
        /// The list's as-of date.
        as_of: NaiveDate,
        /// The maximum age the caller allowed.
        max_age_days: u32,
    },
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::Registered => write!(f, "the number is registered"),
            Refusal::NotCovered { area_code } => {
                write!(f, "the list does not cover area code {area_code:03}")
            }
            Refusal::Stale {
                as_of,
                max_age_days,
            } => write!(
                f,
                "the list is stale: as of {as_of}, more than {max_age_days} days old"
            ),
        }
    }
}

/// The bytes of a registry: mapped from a file or owned.
enum Bytes {
    Mapped(memmap2::Mmap),
    Owned(Vec<u8>),
}

impl Bytes {
    fn as_slice(&self) -> &[u8] {
        match self {
            Bytes::Mapped(m) => m,
            Bytes::Owned(v) => v,
        }
    }
}

/// Maps a registry file read-only.
#[allow(unsafe_code)] // The one unsafe block of the crate.
fn map_file(file: &File) -> std::io::Result<memmap2::Mmap> {
    // SAFETY: the mapping is read-only and this crate never modifies a
    // registry file in place: new versions are written to a temporary file
    // and renamed over the old name, so the inode behind this mapping keeps
    // its bytes for as long as the mapping lives. An operator truncating or
    // rewriting the file in place would break that; the README forbids it.
    unsafe { memmap2::Mmap::map(file) }
}

/// An exact, immutable set of 10-digit NANP numbers, with its as-of date and
/// the area codes it covers.
///
/// # Example
///
/// ```
/// use chrono::NaiveDate;
/// use dialgate_registry::{Builder, Lookup, Registry};
///
/// let as_of = NaiveDate::from_ymd_opt(2026, 1, 5).unwrap();
/// let mut b = Builder::new(as_of);
/// b.cover(212);
/// b.push(2125550100).unwrap();
/// let reg = Registry::from_bytes(b.finish()).unwrap();
/// assert_eq!(reg.lookup(2125550100), Lookup::Registered);
/// assert_eq!(reg.lookup(2125550101), Lookup::NotRegistered);
/// assert_eq!(reg.lookup(3055550100), Lookup::NotCovered);
/// ```
pub struct Registry {
    bytes: Bytes,
    /// Live exchanges before each word of the live bitmap.
    ranks: Box<[u32]>,
    /// Where the live bitmap and the offsets start.
    live_at: usize,
    offsets_at: usize,
    path: String,
    as_of: NaiveDate,
    count: u64,
    coverage: [u64; 16],
}

impl fmt::Debug for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Registry")
            .field("path", &self.path)
            .field("as_of", &self.as_of)
            .field("count", &self.count)
            .field("bytes", &self.bytes.as_slice().len())
            .finish()
    }
}

fn read_u32(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes(s.try_into().ok()?))
}

fn read_u64(b: &[u8], at: usize) -> Option<u64> {
    let s = b.get(at..at.checked_add(8)?)?;
    Some(u64::from_le_bytes(s.try_into().ok()?))
}

/// CRC-32 of an image with its checksum field taken as zero.
fn image_crc(b: &[u8]) -> u32 {
    let mut h = crc32fast::Hasher::new();
    h.update(b.get(..CRC_AT).unwrap_or_default());
    h.update(&[0; 4]);
    h.update(b.get(CRC_AT + 4..).unwrap_or_default());
    h.finalize()
}

fn bitmap_has(seg: &[u8], line: u16) -> bool {
    seg.get(usize::from(line / 8))
        .is_some_and(|byte| byte & (1 << (line % 8)) != 0)
}

fn array_has(seg: &[u8], line: u16) -> bool {
    // Binary search over the u16 pairs: at most 10 probes inside 1,248 bytes.
    let (mut lo, mut hi) = (0usize, seg.len() / 2);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        let at = mid * 2;
        let v = match seg.get(at..at + 2) {
            Some(&[a, b]) => u16::from_le_bytes([a, b]),
            _ => return false,
        };
        match v.cmp(&line) {
            std::cmp::Ordering::Equal => return true,
            std::cmp::Ordering::Less => lo = mid + 1,
            std::cmp::Ordering::Greater => hi = mid,
        }
    }
    false
}

/// The area code of a 10-digit number (0 when it is not one).
pub fn area_code(number: u64) -> u16 {
    if number < NUMBER_LIMIT {
        u16::try_from(number / 10_000_000).unwrap_or(0)
    } else {
        0
    }
}

/// The 10-digit national number of a NANP number given as its E.164 digits
/// (`12125550100` gives `2125550100`); `None` outside country code 1.
///
/// # Example
///
/// ```
/// assert_eq!(dialgate_registry::nanp_national(12125550100), Some(2125550100));
/// assert_eq!(dialgate_registry::nanp_national(442071234567), None);
/// ```
pub fn nanp_national(e164_digits: u64) -> Option<u64> {
    (NUMBER_LIMIT..2 * NUMBER_LIMIT)
        .contains(&e164_digits)
        .then(|| e164_digits - NUMBER_LIMIT)
}

/// The instant a list dated `as_of` is taken to be from: 00:00 UTC that day.
fn as_of_instant(as_of: NaiveDate) -> DateTime<Utc> {
    as_of.and_time(NaiveTime::MIN).and_utc()
}

impl Registry {
    /// Opens and verifies a registry file (magic, version, length, checksum,
    /// structure), then maps it.
    ///
    /// # Errors
    ///
    /// A [`FileError`] naming the file when it cannot be read, is truncated,
    /// corrupted, of another format version or malformed.
    ///
    /// # Example
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// use dialgate_registry::{write_atomic, Builder, Registry};
    ///
    /// let dir = tempfile::tempdir().unwrap();
    /// let path = dir.path().join("federal.dnc");
    /// let mut b = Builder::new(NaiveDate::from_ymd_opt(2026, 1, 5).unwrap());
    /// b.cover(212);
    /// write_atomic(&path, &b.finish()).unwrap();
    /// let reg = Registry::open(&path).unwrap();
    /// assert!(reg.covers(212));
    /// std::fs::write(&path, b"junk").unwrap();
    /// assert!(Registry::open(&path).unwrap_err().to_string().contains("federal.dnc"));
    /// ```
    pub fn open(path: impl AsRef<Path>) -> Result<Registry, FileError> {
        let path = path.as_ref();
        let label = path.display().to_string();
        let io = |e: std::io::Error| FileError {
            path: label.clone(),
            problem: FileProblem::Io(e.to_string()),
        };
        let file = File::open(path).map_err(io)?;
        let map = map_file(&file).map_err(io)?;
        Registry::verify(Bytes::Mapped(map), label)
    }

    /// Verifies an image held in memory (as [`Builder::finish`] returns it).
    ///
    /// # Errors
    ///
    /// As [`Registry::open`], naming the file `<memory>`.
    ///
    /// # Example
    ///
    /// ```
    /// use dialgate_registry::Registry;
    /// let err = Registry::from_bytes(b"DGDNCSET".to_vec()).unwrap_err();
    /// assert_eq!(err.to_string(), "registry file `<memory>`: truncated: 8 bytes, expected 125260");
    /// ```
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Registry, FileError> {
        Registry::verify(Bytes::Owned(bytes), "<memory>".to_string())
    }

    fn verify(bytes: Bytes, path: String) -> Result<Registry, FileError> {
        match check_image(bytes.as_slice()) {
            Ok(Checked {
                as_of,
                count,
                coverage,
                ranks,
                live_at,
                offsets_at,
            }) => Ok(Registry {
                bytes,
                ranks,
                live_at,
                offsets_at,
                path,
                as_of,
                count,
                coverage,
            }),
            Err(problem) => Err(FileError { path, problem }),
        }
    }

    /// What the list says of a 10-digit number (area code first: `2125550100`).
    ///
    /// # Example
    ///
    /// ```
    /// # use chrono::NaiveDate;
    /// # use dialgate_registry::{Builder, Lookup, Registry};
    /// let mut b = Builder::new(NaiveDate::from_ymd_opt(2026, 1, 5).unwrap());
    /// b.cover(212);
    /// let reg = Registry::from_bytes(b.finish()).unwrap();
    /// assert_eq!(reg.lookup(2125550100), Lookup::NotRegistered);
    /// assert_eq!(reg.lookup(12125550100), Lookup::NotCovered); // 11 digits
    /// ```
    #[inline]
    pub fn lookup(&self, number: u64) -> Lookup {
        if !self.covers(area_code(number)) {
            return Lookup::NotCovered;
        }
        // number < NUMBER_LIMIT here (area code 0 is never covered).
        let ex = (number / 10_000) as usize;
        let line = (number % 10_000) as u16;
        let Some(seg) = self.find(ex) else {
            return Lookup::NotRegistered;
        };
        let hit = if seg.len() == BITMAP_LEN {
            bitmap_has(seg, line)
        } else {
            array_has(seg, line)
        };
        if hit {
            Lookup::Registered
        } else {
            Lookup::NotRegistered
        }
    }

    /// Whether a call to `number` may go ahead under this list at `at`, the
    /// list being allowed `max_age_days` of age. Fail-closed: refused when the
    /// list holds the number, does not cover its area code, or is stale.
    ///
    /// # Errors
    ///
    /// The [`Refusal`] saying why the call may not go ahead.
    ///
    /// # Example
    ///
    /// ```
    /// # use chrono::{NaiveDate, TimeZone, Utc};
    /// # use dialgate_registry::{Builder, Refusal, Registry};
    /// let as_of = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
    /// let mut b = Builder::new(as_of);
    /// b.cover(212);
    /// let reg = Registry::from_bytes(b.finish()).unwrap();
    /// let at = Utc.with_ymd_and_hms(2026, 1, 20, 12, 0, 0).unwrap();
    /// assert_eq!(reg.check(2125550100, at, 31), Ok(()));
    /// assert_eq!(reg.check(2125550100, at, 7), Err(Refusal::Stale { as_of, max_age_days: 7 }));
    /// ```
    pub fn check(&self, number: u64, at: DateTime<Utc>, max_age_days: u32) -> Result<(), Refusal> {
        match self.lookup(number) {
            Lookup::Registered => Err(Refusal::Registered),
            Lookup::NotCovered => Err(Refusal::NotCovered {
                area_code: area_code(number),
            }),
            Lookup::NotRegistered if self.is_stale(at, max_age_days) => Err(Refusal::Stale {
                as_of: self.as_of,
                max_age_days,
            }),
            Lookup::NotRegistered => Ok(()),
        }
    }

    /// Whether the list is more than `max_age_days` days old at `at`, its
    /// as-of date counting from 00:00 UTC that day.
    ///
    /// # Example
    ///
    /// ```
    /// # use chrono::{NaiveDate, TimeZone, Utc};
    /// # use dialgate_registry::{Builder, Registry};
    /// let mut b = Builder::new(NaiveDate::from_ymd_opt(2026, 1, 1).unwrap());
    /// let reg = Registry::from_bytes(b.finish()).unwrap();
    /// assert!(!reg.is_stale(Utc.with_ymd_and_hms(2026, 2, 1, 0, 0, 0).unwrap(), 31));
    /// assert!(reg.is_stale(Utc.with_ymd_and_hms(2026, 2, 1, 0, 0, 1).unwrap(), 31));
    /// ```
    pub fn is_stale(&self, at: DateTime<Utc>, max_age_days: u32) -> bool {
        at.signed_duration_since(as_of_instant(self.as_of))
            > chrono::TimeDelta::days(i64::from(max_age_days))
    }

    /// The list's version date.
    ///
    /// # Example
    ///
    /// ```
    /// # use chrono::NaiveDate;
    /// # use dialgate_registry::{Builder, Registry};
    /// let d = NaiveDate::from_ymd_opt(2026, 1, 5).unwrap();
    /// assert_eq!(Registry::from_bytes(Builder::new(d).finish()).unwrap().as_of(), d);
    /// ```
    pub fn as_of(&self) -> NaiveDate {
        self.as_of
    }

    /// Whether the list covers an area code.
    ///
    /// # Example
    ///
    /// ```
    /// # use chrono::NaiveDate;
    /// # use dialgate_registry::{Builder, Registry};
    /// let mut b = Builder::new(NaiveDate::from_ymd_opt(2026, 1, 5).unwrap());
    /// b.cover(305);
    /// let reg = Registry::from_bytes(b.finish()).unwrap();
    /// assert!(reg.covers(305) && !reg.covers(212));
    /// ```
    #[inline]
    pub fn covers(&self, area_code: u16) -> bool {
        // Area codes 0xx and 1xx are not NANP area codes: never covered.
        area_code >= 200
            && self
                .coverage
                .get(usize::from(area_code / 64))
                .is_some_and(|w| w & (1 << (area_code % 64)) != 0)
    }

    /// The covered area codes, ascending.
    ///
    /// # Example
    ///
    /// ```
    /// # use chrono::NaiveDate;
    /// # use dialgate_registry::{Builder, Registry};
    /// let mut b = Builder::new(NaiveDate::from_ymd_opt(2026, 1, 5).unwrap());
    /// b.cover(305);
    /// b.cover(212);
    /// assert_eq!(Registry::from_bytes(b.finish()).unwrap().area_codes(), vec![212, 305]);
    /// ```
    pub fn area_codes(&self) -> Vec<u16> {
        (200..1000).filter(|&a| self.covers(a)).collect()
    }

    /// How many numbers the list holds.
    ///
    /// # Example
    ///
    /// ```
    /// # use chrono::NaiveDate;
    /// # use dialgate_registry::{Builder, Registry};
    /// let mut b = Builder::new(NaiveDate::from_ymd_opt(2026, 1, 5).unwrap());
    /// b.push(2125550100).unwrap();
    /// assert_eq!(Registry::from_bytes(b.finish()).unwrap().len(), 1);
    /// ```
    pub fn len(&self) -> u64 {
        self.count
    }

    /// Whether the list holds no number.
    ///
    /// # Example
    ///
    /// ```
    /// # use chrono::NaiveDate;
    /// # use dialgate_registry::{Builder, Registry};
    /// let b = Builder::new(NaiveDate::from_ymd_opt(2026, 1, 5).unwrap());
    /// assert!(Registry::from_bytes(b.finish()).unwrap().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The file's size in bytes (header, table and segments).
    ///
    /// # Example
    ///
    /// ```
    /// # use chrono::NaiveDate;
    /// # use dialgate_registry::{Builder, Registry, format::EMPTY_LEN};
    /// let b = Builder::new(NaiveDate::from_ymd_opt(2026, 1, 5).unwrap());
    /// assert_eq!(Registry::from_bytes(b.finish()).unwrap().size_bytes(), EMPTY_LEN as u64);
    /// ```
    pub fn size_bytes(&self) -> u64 {
        self.bytes.as_slice().len() as u64
    }

    /// The file it was opened from (`<memory>` for an image).
    ///
    /// # Example
    ///
    /// ```
    /// # use chrono::NaiveDate;
    /// # use dialgate_registry::{Builder, Registry};
    /// let b = Builder::new(NaiveDate::from_ymd_opt(2026, 1, 5).unwrap());
    /// assert_eq!(Registry::from_bytes(b.finish()).unwrap().path(), "<memory>");
    /// ```
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The file's bytes (what [`write_atomic`] would write again).
    ///
    /// # Example
    ///
    /// ```
    /// # use chrono::NaiveDate;
    /// # use dialgate_registry::{Builder, Registry};
    /// let image = Builder::new(NaiveDate::from_ymd_opt(2026, 1, 5).unwrap()).finish();
    /// assert_eq!(Registry::from_bytes(image.clone()).unwrap().as_bytes(), &image[..]);
    /// ```
    pub fn as_bytes(&self) -> &[u8] {
        self.bytes.as_slice()
    }

    /// The segment of exchange `ex`; `None` when it holds nothing. Only its
    /// bitmap word, prefix count and offsets are read: all cache-resident.
    #[inline]
    fn find(&self, ex: usize) -> Option<&[u8]> {
        let b = self.bytes.as_slice();
        let w = ex / 64;
        let word = read_u64(b, self.live_at + w * 8)?;
        let bit = 1u64 << (ex % 64);
        if word & bit == 0 {
            return None;
        }
        let rank = *self.ranks.get(w)? as usize + (word & (bit - 1)).count_ones() as usize;
        let at = self.offsets_at + rank * 4;
        let (start, end) = (read_u32(b, at)?, read_u32(b, at + 4)?);
        b.get(DATA_AT + start as usize..DATA_AT + end as usize)
    }

    /// The encoded segment of exchange `ex` (empty when it holds nothing).
    pub(crate) fn segment(&self, ex: usize) -> &[u8] {
        self.find(ex).unwrap_or_default()
    }

    /// Every number the list holds, ascending.
    ///
    /// # Example
    ///
    /// ```
    /// # use chrono::NaiveDate;
    /// # use dialgate_registry::{Builder, Registry};
    /// let mut b = Builder::new(NaiveDate::from_ymd_opt(2026, 1, 5).unwrap());
    /// b.push(2125550100).unwrap();
    /// b.push(3055550100).unwrap();
    /// let reg = Registry::from_bytes(b.finish()).unwrap();
    /// assert_eq!(reg.iter().collect::<Vec<_>>(), vec![2125550100, 3055550100]);
    /// ```
    pub fn iter(&self) -> impl Iterator<Item = u64> + '_ {
        (0..EXCHANGES).flat_map(move |ex| {
            let base = ex as u64 * 10_000;
            segment_lines(self.segment(ex))
                .into_iter()
                .map(move |l| base + u64::from(l))
        })
    }
}

/// The line numbers a segment holds, ascending.
pub(crate) fn segment_lines(seg: &[u8]) -> Vec<u16> {
    if seg.len() == BITMAP_LEN {
        let mut out = Vec::new();
        for (i, byte) in seg.iter().enumerate() {
            let mut b = *byte;
            while b != 0 {
                let bit = b.trailing_zeros() as u16;
                out.push(i as u16 * 8 + bit);
                b &= b - 1;
            }
        }
        out
    } else {
        seg.chunks_exact(2)
            .map(|c| match c {
                &[a, b] => u16::from_le_bytes([a, b]),
                _ => 0,
            })
            .collect()
    }
}

/// What verification learns of an image.
struct Checked {
    as_of: NaiveDate,
    count: u64,
    coverage: [u64; 16],
    ranks: Box<[u32]>,
    live_at: usize,
    offsets_at: usize,
}

/// Verifies an image.
fn check_image(b: &[u8]) -> Result<Checked, FileProblem> {
    let found = b.len() as u64;
    if b.len() < HEADER_LEN {
        if b.len() >= 8 && b.get(..8) != Some(&MAGIC[..]) {
            return Err(FileProblem::BadMagic);
        }
        return Err(FileProblem::Truncated {
            found,
            expected: EMPTY_LEN as u64,
        });
    }
    if b.get(..8) != Some(&MAGIC[..]) {
        return Err(FileProblem::BadMagic);
    }
    let version = read_u32(b, 8).unwrap_or(0);
    if version != FORMAT_VERSION {
        return Err(FileProblem::UnsupportedVersion { found: version });
    }
    let malformed = |m: &str| FileProblem::Malformed(m.to_string());
    if read_u32(b, 12) != Some(HEADER_LEN as u32) {
        return Err(malformed("header length is not 256"));
    }
    let data_len = read_u64(b, DATA_LEN_AT).unwrap_or(u64::MAX);
    let live = u64::from(read_u32(b, LIVE_COUNT_AT).unwrap_or(0));
    let expected = (EMPTY_LEN as u64)
        .saturating_add(data_len)
        .saturating_add(live.saturating_mul(4));
    if found < expected {
        return Err(FileProblem::Truncated { found, expected });
    }
    if found > expected {
        return Err(FileProblem::TooLong { found, expected });
    }
    let stored = read_u32(b, CRC_AT).unwrap_or(0);
    let computed = image_crc(b);
    if stored != computed {
        return Err(FileProblem::Checksum { stored, computed });
    }
    let days = read_u32(b, AS_OF_AT).unwrap_or(0);
    let as_of = i32::try_from(days)
        .ok()
        .and_then(NaiveDate::from_num_days_from_ce_opt)
        .ok_or_else(|| malformed("as-of date out of range"))?;
    let count = read_u64(b, COUNT_AT).unwrap_or(0);
    let mut coverage = [0u64; 16];
    for npa in 0..1000u16 {
        let byte = b
            .get(COVERAGE_AT + usize::from(npa / 8))
            .copied()
            .unwrap_or(0);
        if byte & (1 << (npa % 8)) != 0 {
            if npa < 200 {
                return Err(malformed("covers an area code below 200"));
            }
            if let Some(w) = coverage.get_mut(usize::from(npa / 64)) {
                *w |= 1 << (npa % 64);
            }
        }
    }
    // The sizes are consistent (checked above), so these fit in usize.
    let live_at = DATA_AT + data_len as usize;
    let offsets_at = live_at + LIVE_LEN;
    let mut ranks = Vec::with_capacity(LIVE_WORDS);
    let mut running = 0u32;
    for w in 0..LIVE_WORDS {
        ranks.push(running);
        running += read_u64(b, live_at + w * 8).unwrap_or(0).count_ones();
    }
    if u64::from(running) != live {
        return Err(FileProblem::Malformed(format!(
            "header counts {live} live exchanges, the bitmap {running}"
        )));
    }
    // Offsets must start at 0, rise, end at the data length, and every
    // segment be a non-empty sorted array or a bitmap: lookups then never
    // go astray.
    if read_u32(b, offsets_at) != Some(0) {
        return Err(malformed("offsets do not start at 0"));
    }
    let mut prev = 0u32;
    let mut total = 0u64;
    for r in 0..live as usize {
        let end = read_u32(b, offsets_at + (r + 1) * 4).unwrap_or(0);
        if end <= prev {
            return Err(FileProblem::Malformed(format!(
                "live exchange {r} has no segment (offsets do not rise)"
            )));
        }
        let seg = b
            .get(DATA_AT + prev as usize..DATA_AT + end as usize)
            .ok_or_else(|| malformed("offsets point past the data"))?;
        if seg.len() == BITMAP_LEN {
            total += seg.iter().map(|x| u64::from(x.count_ones())).sum::<u64>();
        } else {
            if seg.len() % 2 != 0 || seg.len() > MAX_ARRAY_LINES * 2 {
                return Err(FileProblem::Malformed(format!(
                    "live exchange {r} has a segment of {} bytes",
                    seg.len()
                )));
            }
            let lines = segment_lines(seg);
            let sorted = lines.windows(2).all(|w| matches!(w, [a, b] if a < b));
            if !sorted || lines.last().is_some_and(|&l| l >= 10_000) {
                return Err(FileProblem::Malformed(format!(
                    "live exchange {r} has unsorted or out-of-range lines"
                )));
            }
            total += lines.len() as u64;
        }
        prev = end;
    }
    if u64::from(prev) != data_len {
        return Err(malformed("offsets do not end at the data length"));
    }
    if total != count {
        return Err(FileProblem::Malformed(format!(
            "header counts {count} numbers, segments hold {total}"
        )));
    }
    Ok(Checked {
        as_of,
        count,
        coverage,
        ranks: ranks.into_boxed_slice(),
        live_at,
        offsets_at,
    })
}

/// Why a number cannot be added to a [`Builder`].
///
/// # Example
///
/// ```
/// # use chrono::NaiveDate;
/// use dialgate_registry::{BuildError, Builder};
/// let mut b = Builder::new(NaiveDate::from_ymd_opt(2026, 1, 5).unwrap());
/// assert_eq!(b.push(10_000_000_000), Err(BuildError::OutOfRange(10_000_000_000)));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BuildError {
    /// The number is not a 10-digit number.
    #[error("`{0}` is not a 10-digit number")]
    OutOfRange(u64),
    /// Numbers must come in ascending order.
    #[error("`{number}` comes after `{previous}`: numbers must be ascending")]
    NotAscending {
        /// The number pushed.
        number: u64,
        /// The number before it.
        previous: u64,
    },
}

/// Writes a registry image from numbers in ascending order.
///
/// # Example
///
/// ```
/// use chrono::NaiveDate;
/// use dialgate_registry::{Builder, Registry};
///
/// let mut b = Builder::new(NaiveDate::from_ymd_opt(2026, 1, 5).unwrap());
/// b.cover_all();
/// for n in [2125550100, 2125550100, 2125550199] {
///     b.push(n).unwrap(); // a repeat is skipped
/// }
/// assert!(b.push(2000000000).is_err()); // not ascending
/// assert_eq!(Registry::from_bytes(b.finish()).unwrap().len(), 2);
/// ```
#[derive(Debug)]
pub struct Builder {
    image: Vec<u8>,
    live: Vec<u64>,
    offsets: Vec<u32>,
    current: Option<usize>,
    lines: Vec<u16>,
    last: Option<u64>,
    count: u64,
    as_of: NaiveDate,
    coverage: [u8; COVERAGE_LEN],
}

impl Builder {
    /// A builder for a list as of `as_of`, covering no area code yet.
    ///
    /// # Example
    ///
    /// ```
    /// # use chrono::NaiveDate;
    /// let b = dialgate_registry::Builder::new(NaiveDate::from_ymd_opt(2026, 1, 5).unwrap());
    /// ```
    pub fn new(as_of: NaiveDate) -> Builder {
        Builder::with_capacity(as_of, 0)
    }

    /// As [`Builder::new`], reserving segment bytes for about `numbers` numbers.
    ///
    /// # Example
    ///
    /// ```
    /// # use chrono::NaiveDate;
    /// let b = dialgate_registry::Builder::with_capacity(NaiveDate::from_ymd_opt(2026, 1, 5).unwrap(), 1000);
    /// ```
    pub fn with_capacity(as_of: NaiveDate, numbers: usize) -> Builder {
        let mut image = Vec::with_capacity(EMPTY_LEN + numbers / 2);
        image.resize(DATA_AT, 0);
        Builder {
            image,
            live: vec![0; LIVE_WORDS],
            offsets: Vec::new(),
            current: None,
            lines: Vec::with_capacity(10_000),
            last: None,
            count: 0,
            as_of,
            coverage: [0; COVERAGE_LEN],
        }
    }

    /// Marks an area code covered (area codes below 200 are ignored: they
    /// are not NANP area codes).
    ///
    /// # Example
    ///
    /// ```
    /// # use chrono::NaiveDate;
    /// let mut b = dialgate_registry::Builder::new(NaiveDate::from_ymd_opt(2026, 1, 5).unwrap());
    /// b.cover(212);
    /// ```
    pub fn cover(&mut self, area_code: u16) {
        if (200..1000).contains(&area_code) {
            if let Some(byte) = self.coverage.get_mut(usize::from(area_code / 8)) {
                *byte |= 1 << (area_code % 8);
            }
        }
    }

    /// Marks every area code 200 to 999 covered.
    ///
    /// # Example
    ///
    /// ```
    /// # use chrono::NaiveDate;
    /// let mut b = dialgate_registry::Builder::new(NaiveDate::from_ymd_opt(2026, 1, 5).unwrap());
    /// b.cover_all();
    /// ```
    pub fn cover_all(&mut self) {
        for a in 200..1000 {
            self.cover(a);
        }
    }

    /// Adds a number; numbers must come in ascending order (a repeat of the
    /// last one is skipped).
    ///
    /// # Errors
    ///
    /// [`BuildError`] when the number is not 10 digits or comes before the last.
    ///
    /// # Example
    ///
    /// ```
    /// # use chrono::NaiveDate;
    /// let mut b = dialgate_registry::Builder::new(NaiveDate::from_ymd_opt(2026, 1, 5).unwrap());
    /// assert!(b.push(2125550100).is_ok());
    /// assert!(b.push(12125550100).is_err());
    /// ```
    #[inline]
    pub fn push(&mut self, number: u64) -> Result<(), BuildError> {
        if number >= NUMBER_LIMIT {
            return Err(BuildError::OutOfRange(number));
        }
        if let Some(previous) = self.last {
            if number == previous {
                return Ok(());
            }
            if number < previous {
                return Err(BuildError::NotAscending { number, previous });
            }
        }
        self.last = Some(number);
        let ex = (number / 10_000) as usize;
        if self.current != Some(ex) {
            self.flush();
            self.current = Some(ex);
        }
        self.lines.push((number % 10_000) as u16);
        Ok(())
    }

    /// Adds an already encoded segment for exchange `ex` (from a verified
    /// file), which must come after every number pushed so far.
    pub(crate) fn push_segment(&mut self, ex: usize, seg: &[u8], lines: u64) {
        self.flush();
        self.current = None;
        self.start_exchange(ex);
        self.image.extend_from_slice(seg);
        self.count += lines;
        self.last = Some(ex as u64 * 10_000 + 9_999);
    }

    fn start_exchange(&mut self, ex: usize) {
        self.offsets.push((self.image.len() - DATA_AT) as u32);
        if let Some(w) = self.live.get_mut(ex / 64) {
            *w |= 1 << (ex % 64);
        }
    }

    fn flush(&mut self) {
        let Some(ex) = self.current.take() else {
            return;
        };
        self.start_exchange(ex);
        self.count += self.lines.len() as u64;
        if self.lines.len() <= MAX_ARRAY_LINES {
            for l in &self.lines {
                self.image.extend_from_slice(&l.to_le_bytes());
            }
        } else {
            let mut bitmap = [0u8; BITMAP_LEN];
            for &l in &self.lines {
                if let Some(byte) = bitmap.get_mut(usize::from(l / 8)) {
                    *byte |= 1 << (l % 8);
                }
            }
            self.image.extend_from_slice(&bitmap);
        }
        self.lines.clear();
    }

    /// How many numbers have been added.
    ///
    /// # Example
    ///
    /// ```
    /// # use chrono::NaiveDate;
    /// let mut b = dialgate_registry::Builder::new(NaiveDate::from_ymd_opt(2026, 1, 5).unwrap());
    /// b.push(2125550100).unwrap();
    /// assert_eq!(b.len(), 1);
    /// ```
    pub fn len(&self) -> u64 {
        self.count + self.lines.len() as u64
    }

    /// Whether nothing has been added.
    ///
    /// # Example
    ///
    /// ```
    /// # use chrono::NaiveDate;
    /// let b = dialgate_registry::Builder::new(NaiveDate::from_ymd_opt(2026, 1, 5).unwrap());
    /// assert!(b.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether any area code is covered.
    pub(crate) fn covers_any(&self) -> bool {
        self.coverage.iter().any(|&b| b != 0)
    }

    /// The finished image, checksummed, ready for [`write_atomic`] or
    /// [`Registry::from_bytes`].
    ///
    /// # Example
    ///
    /// ```
    /// # use chrono::NaiveDate;
    /// let image = dialgate_registry::Builder::new(NaiveDate::from_ymd_opt(2026, 1, 5).unwrap()).finish();
    /// assert_eq!(&image[..8], b"DGDNCSET");
    /// ```
    pub fn finish(mut self) -> Vec<u8> {
        self.flush();
        let data_len = self.image.len() - DATA_AT;
        let live = self.offsets.len() as u32;
        let mut image = self.image;
        image.reserve(LIVE_LEN + 4 * self.offsets.len() + 4);
        for w in &self.live {
            image.extend_from_slice(&w.to_le_bytes());
        }
        for off in self
            .offsets
            .iter()
            .chain(std::iter::once(&(data_len as u32)))
        {
            image.extend_from_slice(&off.to_le_bytes());
        }
        let mut header = [0u8; HEADER_LEN];
        header[..8].copy_from_slice(&MAGIC);
        put(&mut header, 8, &FORMAT_VERSION.to_le_bytes());
        put(&mut header, 12, &(HEADER_LEN as u32).to_le_bytes());
        let days = self.as_of.num_days_from_ce() as u32;
        put(&mut header, AS_OF_AT, &days.to_le_bytes());
        put(&mut header, COUNT_AT, &self.count.to_le_bytes());
        put(&mut header, DATA_LEN_AT, &(data_len as u64).to_le_bytes());
        put(&mut header, LIVE_COUNT_AT, &live.to_le_bytes());
        put(&mut header, COVERAGE_AT, &self.coverage);
        put(&mut image, 0, &header);
        let crc = image_crc(&image);
        put(&mut image, CRC_AT, &crc.to_le_bytes());
        image
    }
}

/// Recomputes the checksum of an edited image, so that verification goes on
/// to check its structure (for tests and fuzzing: a sealed image must still
/// pass every structural check to open).
///
/// # Example
///
/// ```
/// # use chrono::NaiveDate;
/// use dialgate_registry::{format::reseal, Builder, Registry};
/// let mut image = Builder::new(NaiveDate::from_ymd_opt(2026, 1, 5).unwrap()).finish();
/// image[24] = 1; // claims one number that no segment holds
/// reseal(&mut image);
/// let err = Registry::from_bytes(image).unwrap_err();
/// assert!(err.to_string().contains("header counts 1 numbers, segments hold 0"));
/// ```
pub fn reseal(image: &mut [u8]) {
    let crc = image_crc(image);
    put(image, CRC_AT, &crc.to_le_bytes());
}

fn put(buf: &mut [u8], at: usize, bytes: &[u8]) {
    if let Some(dst) = buf.get_mut(at..at + bytes.len()) {
        dst.copy_from_slice(bytes);
    }
}

/// Writes `image` to `path` without ever exposing a partial file: to a
/// temporary file beside it, fsynced, renamed over `path`, and the folder
/// fsynced. Processes that mapped the old version keep it until they let go.
///
/// # Errors
///
/// A [`FileError`] naming `path` when any step fails (the old file then
/// stays as it was).
///
/// # Example
///
/// ```
/// # use chrono::NaiveDate;
/// # use dialgate_registry::{write_atomic, Builder, Registry};
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("list.dnc");
/// write_atomic(&path, &Builder::new(NaiveDate::from_ymd_opt(2026, 1, 5).unwrap()).finish()).unwrap();
/// assert!(Registry::open(&path).is_ok());
/// ```
pub fn write_atomic(path: impl AsRef<Path>, image: &[u8]) -> Result<(), FileError> {
    let path = path.as_ref();
    let fail = |e: std::io::Error| FileError {
        path: path.display().to_string(),
        problem: FileProblem::Io(e.to_string()),
    };
    let dir: PathBuf = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "registry".to_string());
    let tmp = dir.join(format!(".{name}.tmp.{}", std::process::id()));
    let result = (|| {
        let mut f = File::create(&tmp)?;
        f.write_all(image)?;
        f.sync_all()?;
        drop(f);
        std::fs::rename(&tmp, path)?;
        // The rename is durable once the folder's entry is.
        File::open(&dir)?.sync_all()
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(fail)
}
