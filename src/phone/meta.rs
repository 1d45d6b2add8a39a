//! The numbering metadata file (`data/numbering.txt`), as text and parsed.
//!
//! `scripts/gen_numbering.py` writes it from libphonenumber (PyPI
//! `phonenumbers`, pinned); each line is tab-separated, `-` for an absent
//! field. Parsing checks the shape only; the reader compiles the patterns.

use std::fmt;

/// The file shipped in the crate.
pub(crate) const EMBEDDED: &str = include_str!("../../data/numbering.txt");

/// Why a numbering metadata file cannot be used.
///
/// # Example
/// ```
/// use dialgate::NumberReader;
/// let err = NumberReader::from_metadata("version\t1\nbogus\tline\n").unwrap_err();
/// assert_eq!(err.line(), 2);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("numbering metadata line {line}: {reason}")]
pub struct MetadataError {
    line: usize,
    reason: String,
}

impl MetadataError {
    pub(crate) fn new(line: usize, reason: impl fmt::Display) -> MetadataError {
        MetadataError {
            line,
            reason: reason.to_string(),
        }
    }

    /// The 1-based line the error is on (0 for the file as a whole).
    ///
    /// # Example
    /// ```
    /// let err = dialgate::NumberReader::from_metadata("").unwrap_err();
    /// assert_eq!(err.line(), 0);
    /// ```
    pub fn line(&self) -> usize {
        self.line
    }
}

/// One number type's description.
#[derive(Clone, Debug, Default)]
pub(crate) struct Desc {
    pub pattern: String,
    pub possible: Vec<i32>,
    pub local: Vec<i32>,
}

/// One territory (a region, or `001` with a non-geographic code).
#[derive(Clone, Debug, Default)]
pub(crate) struct Territory {
    pub id: String,
    pub code: u16,
    pub idd: Option<String>,
    pub national_prefix_for_parsing: Option<String>,
    pub transform: Option<String>,
    pub leading_digits: Option<String>,
    pub general: Option<Desc>,
    /// The ten types `number_type` tries, in its order, those present.
    pub types: Vec<Desc>,
}

/// The whole file.
#[derive(Clone, Debug, Default)]
pub(crate) struct Numbering {
    pub version: String,
    pub valid_phone_number: String,
    pub extension: String,
    pub unwanted_end: String,
    pub second_number_start: String,
    /// Country code and its regions, main region first.
    pub codes: Vec<(u16, Vec<String>)>,
    pub territories: Vec<Territory>,
}

const TYPES: [&str; 10] = [
    "premium_rate",
    "toll_free",
    "shared_cost",
    "voip",
    "personal_number",
    "pager",
    "uan",
    "voicemail",
    "fixed_line",
    "mobile",
];

fn opt(field: &str) -> Option<String> {
    (field != "-").then(|| field.to_owned())
}

fn lengths(field: &str, line: usize) -> Result<Vec<i32>, MetadataError> {
    if field == "-" {
        return Ok(Vec::new());
    }
    field
        .split(',')
        .map(|n| {
            n.parse()
                .map_err(|_| MetadataError::new(line, format!("bad length `{n}`")))
        })
        .collect()
}

impl Numbering {
    /// Parses the file's text.
    pub(crate) fn parse(text: &str) -> Result<Numbering, MetadataError> {
        let mut n = Numbering::default();
        for (i, raw) in text.lines().enumerate() {
            let line = i + 1;
            if raw.is_empty() || raw.starts_with('#') {
                continue;
            }
            let f: Vec<&str> = raw.split('\t').collect();
            let bad = || MetadataError::new(line, "unexpected fields");
            match f.as_slice() {
                ["version", v] => n.version = (*v).to_owned(),
                ["pattern", name, p] => {
                    let slot = match *name {
                        "valid_phone_number" => &mut n.valid_phone_number,
                        "extension" => &mut n.extension,
                        "unwanted_end" => &mut n.unwanted_end,
                        "second_number_start" => &mut n.second_number_start,
                        other => {
                            return Err(MetadataError::new(
                                line,
                                format!("unknown pattern `{other}`"),
                            ))
                        }
                    };
                    *slot = (*p).to_owned();
                }
                ["code", code, regions] => {
                    let code = code.parse().map_err(|_| bad())?;
                    n.codes
                        .push((code, regions.split(',').map(str::to_owned).collect()));
                }
                ["territory", id, code, idd, _np, npp, transform, ld, _same] => {
                    n.territories.push(Territory {
                        id: (*id).to_owned(),
                        code: code.parse().map_err(|_| bad())?,
                        idd: opt(idd),
                        national_prefix_for_parsing: opt(npp),
                        transform: opt(transform),
                        leading_digits: opt(ld),
                        general: None,
                        types: Vec::new(),
                    });
                }
                ["desc", kind, pattern, possible, local] => {
                    let t = n
                        .territories
                        .last_mut()
                        .ok_or_else(|| MetadataError::new(line, "desc before any territory"))?;
                    let desc = Desc {
                        pattern: (*pattern).to_owned(),
                        possible: lengths(possible, line)?,
                        local: lengths(local, line)?,
                    };
                    if *kind == "general" {
                        t.general = Some(desc);
                    } else if TYPES.contains(kind) {
                        t.types.push(desc);
                    } else {
                        return Err(MetadataError::new(line, format!("unknown type `{kind}`")));
                    }
                }
                _ => return Err(bad()),
            }
        }
        if n.version.is_empty() || n.codes.is_empty() || n.territories.is_empty() {
            return Err(MetadataError::new(
                0,
                "no version, country codes or territories",
            ));
        }
        if n.valid_phone_number.is_empty() || n.extension.is_empty() {
            return Err(MetadataError::new(0, "patterns missing"));
        }
        Ok(n)
    }
}
