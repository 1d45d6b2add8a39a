//! `NumberReader::read` against `phonenumber` itself on generated inputs:
//! every verdict and every E.164 number must be the reference's.
//!
//! The default test checks a sample sized for debug builds; the full run
//! (well over 100,000 inputs) is `#[ignore]`d, run it in release:
//! `cargo test --release --test number_differential -- --ignored`.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Once};
use std::time::{Duration, Instant};

use dialgate::phone::corpus::{self, Country, Rng};
use dialgate::phone::{ascii_digits, reference_read, MAX_NUMBER_CHARS};
use dialgate::{NumberError, NumberReader, Region, E164};

/// What `read` must answer: the reference's verdict after the same
/// length and digit checks.
fn expected(text: &str, region: Region) -> Result<E164, NumberError> {
    if text.chars().count() > MAX_NUMBER_CHARS {
        return Err(NumberError::TooLong);
    }
    let ascii = ascii_digits(text);
    if !ascii.bytes().any(|b| b.is_ascii_digit()) {
        return Err(NumberError::NoDigits);
    }
    reference_read(&ascii, region).ok_or(NumberError::Invalid(region))
}

static REFERENCE_PANICS: AtomicUsize = AtomicUsize::new(0);

/// Counts `phonenumber`'s own panics (the reference catches them) instead
/// of printing each; every other panic prints as usual.
fn quiet_reference_panics() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let default = Arc::new(std::panic::take_hook());
        std::panic::set_hook(Box::new(move |info| {
            let in_phonenumber = info
                .location()
                .is_some_and(|l| l.file().contains("phonenumber"));
            if in_phonenumber {
                REFERENCE_PANICS.fetch_add(1, Ordering::Relaxed);
            } else {
                default(info);
            }
        }));
    });
}

struct Checker {
    reader: NumberReader,
    pending: Vec<(String, Region)>,
    checked: usize,
    valid: usize,
    fast: usize,
    mismatches: Vec<String>,
    slowest: (Duration, String),
}

impl Checker {
    fn new() -> Checker {
        quiet_reference_panics();
        Checker {
            reader: NumberReader::new(),
            pending: Vec::new(),
            checked: 0,
            valid: 0,
            fast: 0,
            mismatches: Vec::new(),
            slowest: (Duration::ZERO, String::new()),
        }
    }

    /// Queues an input; inputs are checked grouped by region and country
    /// code, so phonenumber's small regex cache stays warm (it thrashes
    /// otherwise, which makes debug runs crawl).
    fn check(&mut self, text: &str, region: Region) {
        self.pending.push((text.to_owned(), region));
    }

    fn run_pending(&mut self) {
        let mut pending = std::mem::take(&mut self.pending);
        pending.sort_by_cached_key(|(text, region)| {
            let digits: String = ascii_digits(text)
                .chars()
                .filter(char::is_ascii_digit)
                .take(3)
                .collect();
            (region.as_str().to_owned(), digits)
        });
        for (text, region) in pending {
            self.check_now(&text, region);
        }
    }

    fn check_now(&mut self, text: &str, region: Region) {
        let got = self.reader.read(text, region);
        let started = Instant::now();
        let want = expected(text, region);
        let took = started.elapsed();
        if took > self.slowest.0 {
            self.slowest = (took, format!("{text:?} in {region}"));
        }
        self.checked += 1;
        if self.reader.is_fast(text, region) {
            self.fast += 1;
        }
        if want.is_ok() {
            self.valid += 1;
        }
        if got != want {
            self.mismatches.push(format!(
                "{text:?} in {region}: read gave {got:?}, phonenumber gives {want:?}"
            ));
        }
    }

    fn finish(mut self, at_least: usize) {
        self.run_pending();
        let panics = REFERENCE_PANICS.load(Ordering::Relaxed);
        eprintln!(
            "checked {} inputs ({} valid, {} on the fast path), {} mismatches; \
             phonenumber panicked {} times; slowest reference call {:?} on {}",
            self.checked,
            self.valid,
            self.fast,
            self.mismatches.len(),
            panics,
            self.slowest.0,
            self.slowest.1
        );
        for m in self.mismatches.iter().take(100) {
            eprintln!("MISMATCH {m}");
        }
        assert!(
            self.mismatches.is_empty(),
            "{} mismatches (listed above)",
            self.mismatches.len()
        );
        assert!(
            self.checked >= at_least,
            "only {} inputs checked",
            self.checked
        );
    }
}

/// Unicode decimal digit blocks: full-width, Arabic-Indic, extended
/// Arabic-Indic, Devanagari, Bengali, Thai, mathematical bold.
const DIGIT_ZEROS: &[u32] = &[0xFF10, 0x0660, 0x06F0, 0x0966, 0x09E6, 0x0E50, 0x1D7CE];

/// Characters the mutations insert: separators, letters (hex and not),
/// extension and RFC 3966 syntax, Unicode punctuation, spaces and digits.
const POOL: &[char] = &[
    '0', '1', '5', '9', ' ', ' ', '-', '.', '(', ')', '/', '+', 'x', 'X', 'e', 't', 'n', 'a', 'A',
    'f', 'F', 'z', 'o', '#', '*', ';', ',', '~', '[', ']', '\\', ':', '=', '\t', '\u{a0}',
    '\u{FF0B}', '\u{FF11}', '\u{0663}', '\u{0660}', '\u{06F5}', '\u{2013}', '\u{200B}', '\u{FF0D}',
    '\u{3000}', '\u{E9}', '\u{301}', '\u{FF58}', '\u{2060}', '\u{30FC}', '\n',
];

const AFFIXES: &[(&str, &str)] = &[
    ("tel:", ""),
    ("Tel:", ";ext=12"),
    ("", ";ext=123"),
    ("", ";phone-context=+44"),
    ("", ";isub=1234"),
    ("Phone: ", ""),
    ("call ", " now"),
    ("", " x"),
    ("", " x12345678"),
    ("", " extension 99"),
    ("", " ext: 7"),
    ("", " EXT.12"),
    ("", "x1"),
    ("", "#"),
    ("", " #12#"),
    ("", " - 123#"),
    ("", "/x2303"),
    ("", " / x23"),
    ("", " int 5"),
    ("", " anexo 5"),
    ("++", ""),
    ("+", ""),
    ("00", ""),
    ("011", ""),
    ("0", ""),
    ("1", ""),
    ("(", ")"),
    (" ", " "),
    ("", "."),
    ("", "-"),
    ("\u{FF0B}", ""),
];

fn to_unicode_digits(text: &str, rng: &mut Rng) -> String {
    let zero = rng.pick(DIGIT_ZEROS).copied().unwrap_or(0xFF10);
    let every = rng.below(3);
    text.chars()
        .map(|c| match c.to_digit(10) {
            Some(d) if every == 0 || rng.percent(50) => char::from_u32(zero + d).unwrap_or(c),
            _ => c,
        })
        .collect()
}

fn mutate(text: &str, rng: &mut Rng) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    let rounds = 1 + rng.below(3);
    for _ in 0..rounds {
        let len = u64::try_from(chars.len()).unwrap_or(0);
        let at = usize::try_from(rng.below(len + 1)).unwrap_or(0);
        match rng.below(10) {
            0..=2 => chars.insert(at, rng.pick(POOL).copied().unwrap_or(' ')),
            3 if !chars.is_empty() => {
                chars.remove(at.min(chars.len() - 1));
            }
            4 if !chars.is_empty() => {
                let i = at.min(chars.len() - 1);
                chars[i] = rng.pick(POOL).copied().unwrap_or(' ');
            }
            5 => {
                let (pre, post) = rng.pick(AFFIXES).copied().unwrap_or(("", ""));
                let s: String = chars.iter().collect();
                chars = format!("{pre}{s}{post}").chars().collect();
            }
            6 => {
                let s: String = chars.iter().collect();
                chars = to_unicode_digits(&s, rng).chars().collect();
            }
            7 => {
                // Vanity: a run of digits becomes letters.
                let run = usize::try_from(1 + rng.below(7)).unwrap_or(1);
                for c in chars.iter_mut().skip(at).take(run) {
                    if c.is_ascii_digit() {
                        *c = char::from(b'A' + u8::try_from(rng.below(26)).unwrap_or(0));
                    }
                }
            }
            8 => chars.truncate(at),
            _ => {
                let s: String = chars.iter().collect();
                chars = s.replace(' ', "").chars().collect();
            }
        }
    }
    chars.into_iter().collect()
}

fn random_junk(rng: &mut Rng) -> String {
    let len = rng.below(24);
    (0..len)
        .map(|_| {
            if rng.percent(55) {
                char::from(b'0' + u8::try_from(rng.below(10)).unwrap_or(0))
            } else {
                rng.pick(POOL).copied().unwrap_or(' ')
            }
        })
        .collect()
}

/// A region from the corpus' countries, or one from anywhere.
fn some_region(countries: &[Country], rng: &mut Rng) -> Region {
    const OTHERS: &[&str] = &[
        "AG", "BS", "KY", "JM", "VI", "GU", "KZ", "VA", "GG", "IM", "JE", "SJ", "CX", "CC", "EH",
        "YT", "TA", "AX", "BL", "MF", "BQ", "CW", "SM", "MG", "GA", "NF", "AC", "XK",
    ];
    if rng.percent(80) {
        rng.pick(countries).map_or(Region::US, |c| c.region)
    } else {
        rng.pick(OTHERS)
            .and_then(|id| id.parse().ok())
            .unwrap_or(Region::US)
    }
}

/// Hand-written shapes at the edges of the fast path.
const EDGE_CASES: &[(&str, &str)] = &[
    ("+1x2-555-1234", "US"),
    ("+17195551234ext.12", "US"),
    ("+1-719-555-1234", "US"),
    ("+1(719)555-1234", "US"),
    ("+49/30-1234567", "DE"),
    ("030/1234567", "DE"),
    ("+49 30/1234567", "DE"),
    ("0049 30 1234567", "DE"),
    ("011 44 20 7183 8750", "US"),
    ("011 0 44 20 7183 8750", "US"),
    ("+011 44 20 7183 8750", "US"),
    ("+0044 20 7183 8750", "GB"),
    ("+ 00 44 20 7183 8750", "GB"),
    ("+44 (0) 20 7183 8750", "GB"),
    ("+44-(0)20-7183-8750", "GB"),
    ("44 20 7183 8750", "GB"),
    ("1 1 719 555 1234", "US"),
    ("11-719-555-1234", "US"),
    ("+1 1 719 555 1234", "US"),
    ("+39 06 1234 5678", "IT"),
    ("06 1234 5678", "IT"),
    ("+39 06 1234 5678", "US"),
    ("0 11 1234-5678", "AR"),
    ("011 15 2345-6789", "AR"),
    ("+54 9 11 2345-6789", "AR"),
    ("(011) 15-2345-6789", "AR"),
    ("0 21 98765 4321", "BR"),
    ("0xx21 98765-4321", "BR"),
    ("0 15 21 98765 4321", "BR"),
    ("+55 21 98765-4321", "BR"),
    ("03-1234-5678", "JP"),
    ("+81 3-1234-5678", "JP"),
    ("800 123 4567", "US"),
    ("+800 1234 5678", "US"),
    ("+882 1234 5678", "US"),
    ("+979 123456789", "US"),
    ("+1", "US"),
    ("+12", "US"),
    ("12", "US"),
    ("123", "US"),
    ("+123", "US"),
    ("000", "US"),
    ("+000 000", "US"),
    ("0000000000", "US"),
    ("(0) 000-0000", "GB"),
    ("99999999999999999999", "US"),
    ("+99999999999999999999", "US"),
    ("+1 99999999999999999", "US"),
    ("1-800-FLOWERS", "US"),
    ("1-800-356-9377 x", "US"),
    ("719-555-1234 x12345678", "US"),
    ("719-555-1234 X 12", "US"),
    ("719-555-1234 EXT 12", "US"),
    ("719-555-1234 Ext. 12", "US"),
    ("719 555 1234 ext 1234567", "US"),
    ("(719) 555-1234 x 12", "US"),
    ("719.555.1234x1", "US"),
    ("719-555-1234,12", "US"),
    ("719-555-1234;ext=12", "US"),
    ("tel:+1-719-555-1234;ext=12", "US"),
    ("tel:719-555-1234;phone-context=+1", "US"),
    ("719-555-1234;phone-context=+44", "US"),
    ("+44 20 7183 8750", "ZZ"),
    ("(530) 583-6985 x302/x2303", "US"),
    ("\u{FF0B}1 719 555 1234", "US"),
    ("\u{FF0B}\u{FF11} \u{FF17}\u{FF11}\u{FF19} \u{FF15}\u{FF15}\u{FF15} \u{FF11}\u{FF12}\u{FF13}\u{FF14}", "US"),
    ("\u{0667}\u{0661}\u{0669}-\u{0665}\u{0665}\u{0665}-\u{0661}\u{0662}\u{0663}\u{0664}", "US"),
    ("+1 719 555 1234\u{200F}", "US"),
    ("Call 719-555-1234.", "US"),
    ("719-555-1234...", "US"),
    ("719- 555- 1234", "US"),
    ("---719---555---1234---", "US"),
    ("(((719)))555----1234", "US"),
    ("7 1 9 5 5 5 1 2 3 4", "US"),
    (".;phone-context=", "US"),
    ("+dwPAA;phone-context=AA", "US"),
    (" 2 22#:", "US"),
    ("someletters1110@gmail.com", "US"),
    ("+68 (0) 6 21-82/56", "US"),
    ("+1 264 497 1234", "AI"),
    ("264 497 1234", "AI"),
    ("497 1234", "AI"),
    ("+1 345 946 1234", "KY"),
    ("946 1234", "KY"),
    ("+7 701 123 4567", "KZ"),
    ("8 701 123 4567", "KZ"),
    ("8 (495) 123-45-67", "RU"),
    ("+358 18 12345", "AX"),
    ("+599 7 123 4567", "BQ"),
    ("+290 22158", "TA"),
    ("+262 269 61 23 45", "YT"),
    ("+61 8 9162 1234", "CX"),
    ("08 9162 1234", "CX"),
    ("0549 886377", "SM"),
    ("886377", "SM"),
    ("+378 0549 886377", "SM"),
    ("020 1234 5678", "MG"),
    ("01 44 12 34", "GA"),
    ("44 12 34", "GA"),
    ("+61 1 31 234", "AU"),
    ("1481 256789", "GG"),
    ("256789", "GG"),
];

fn run(scale: usize) -> Checker {
    let mut check = Checker::new();
    let countries = corpus::countries();
    assert!(countries.len() >= 50, "only {} countries", countries.len());
    let mut rng = Rng::new(0x5EED_D1A1);

    for &(text, id) in EDGE_CASES {
        let region = id.parse().unwrap_or(Region::US);
        check.check(text, region);
        check.check(text, Region::US);
    }

    // Every NANP area code, with valid and invalid exchanges, in every
    // format; some read in Canada, a Caribbean region, and abroad.
    for area in 200..=999u16 {
        for k in 0..scale {
            let exchange = match k % 4 {
                0 => 200 + u16::try_from(rng.below(800)).unwrap_or(0),
                1 => u16::try_from(rng.below(200)).unwrap_or(0),
                2 => 555,
                _ => 100 * (2 + u16::try_from(rng.below(8)).unwrap_or(0)) + 11,
            };
            let line = u16::try_from(rng.below(10_000)).unwrap_or(0);
            let style = (u64::from(area) + u64::try_from(k).unwrap_or(0)) % corpus::US_STYLES;
            let text = corpus::us_format(area, exchange, line, style);
            let region = match rng.below(12) {
                0 => "CA".parse().unwrap_or(Region::US),
                1 => "JM".parse().unwrap_or(Region::US),
                2 => some_region(&countries, &mut rng),
                _ => Region::US,
            };
            check.check(&text, region);
        }
    }

    // The benchmark corpora.
    for text in corpus::us_corpus(2_000 * scale, 11) {
        check.check(&text, Region::US);
    }
    for (text, region) in corpus::intl_corpus(3_000 * scale, 12) {
        check.check(&text, region);
    }

    // Every country's numbers in every form, in its own region, in the US
    // and elsewhere.
    for _ in 0..1_500 * scale {
        let (text, own) = corpus::intl_text(&countries, &mut rng);
        let region = if rng.percent(50) {
            own
        } else {
            some_region(&countries, &mut rng)
        };
        check.check(&text, region);
    }

    // Unicode digits.
    for _ in 0..300 * scale {
        let (text, region) = if rng.percent(50) {
            let (a, e, l) = corpus::us_parts(&mut rng);
            (
                corpus::us_format(a, e, l, rng.below(corpus::US_STYLES)),
                Region::US,
            )
        } else {
            corpus::intl_text(&countries, &mut rng)
        };
        check.check(&to_unicode_digits(&text, &mut rng), region);
    }

    // Mutations: extensions, letters, RFC 3966 syntax, stray punctuation.
    for _ in 0..2_500 * scale {
        let (text, region) = if rng.percent(50) {
            let (a, e, l) = corpus::us_parts(&mut rng);
            (
                corpus::us_format(a, e, l, rng.below(corpus::US_STYLES)),
                Region::US,
            )
        } else {
            corpus::intl_text(&countries, &mut rng)
        };
        let region = if rng.percent(80) {
            region
        } else {
            some_region(&countries, &mut rng)
        };
        check.check(&mutate(&text, &mut rng), region);
    }

    // Junk.
    for _ in 0..500 * scale {
        let text = random_junk(&mut rng);
        let region = some_region(&countries, &mut rng);
        check.check(&text, region);
    }
    check.check(&"1".repeat(MAX_NUMBER_CHARS), Region::US);
    check.check(&"1".repeat(MAX_NUMBER_CHARS + 1), Region::US);
    check.check(&"\u{FF11}".repeat(MAX_NUMBER_CHARS + 1), Region::US);
    check
}

/// A sample sized for debug builds.
#[test]
fn read_matches_phonenumber_on_a_sample() {
    run(2).finish(20_000);
}

/// The full differential run; release only.
#[test]
#[ignore = "slow in debug builds: cargo test --release --test number_differential -- --ignored"]
fn read_matches_phonenumber_everywhere() {
    run(12).finish(100_000);
}
