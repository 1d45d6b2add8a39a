//! Deterministic corpora of number texts, shared by the differential test
//! and the benchmark (not part of the supported API).
//!
//! The texts are what a dialer sees: US numbers in the usual formats, and
//! numbers of many countries in E.164, national and IDD forms. Digits are
//! varied around the metadata's example numbers, so some are invalid.

use phonenumber::metadata::DATABASE;

use super::Region;

/// A small deterministic generator (xorshift64*), so corpora need no RNG
/// dependency and are the same on every run.
///
/// # Example
/// ```
/// use dialgate::phone::corpus::Rng;
/// let (mut a, mut b) = (Rng::new(7), Rng::new(7));
/// assert_eq!(a.next_u64(), b.next_u64());
/// assert!(a.below(10) < 10);
/// ```
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed (any value, zero included).
    ///
    /// # Example
    /// ```
    /// use dialgate::phone::corpus::Rng;
    /// assert_eq!(Rng::new(7).next_u64(), Rng::new(7).next_u64());
    /// assert_ne!(Rng::new(1).next_u64(), Rng::new(2).next_u64());
    /// ```
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15 | 1)
    }

    /// The next 64 random bits.
    ///
    /// # Example
    /// ```
    /// let mut rng = dialgate::phone::corpus::Rng::new(42);
    /// let (a, b) = (rng.next_u64(), rng.next_u64());
    /// assert_ne!(a, b);
    /// ```
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `0..n` (`0` when `n` is 0).
    ///
    /// # Example
    /// ```
    /// let mut rng = dialgate::phone::corpus::Rng::new(42);
    /// assert!((0..100).all(|_| rng.below(19) < 19));
    /// assert_eq!(rng.below(0), 0);
    /// ```
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.next_u64() % n
        }
    }

    /// True with probability `percent`/100.
    ///
    /// # Example
    /// ```
    /// let mut rng = dialgate::phone::corpus::Rng::new(42);
    /// assert!(!rng.percent(0) && rng.percent(100));
    /// let hits = (0..1000).filter(|_| rng.percent(85)).count();
    /// assert!((800..900).contains(&hits));
    /// ```
    pub fn percent(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    /// One element of `items` (`None` when empty).
    ///
    /// # Example
    /// ```
    /// let mut rng = dialgate::phone::corpus::Rng::new(42);
    /// let regions = ["GB", "DE", "FR"];
    /// assert!(regions.contains(rng.pick(&regions).unwrap()));
    /// assert_eq!(rng.pick::<&str>(&[]), None);
    /// ```
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        let n = u64::try_from(items.len()).unwrap_or(u64::MAX);
        items.get(usize::try_from(self.below(n)).unwrap_or(0))
    }
}

/// Area codes in service, most of the US corpus' numbers use one.
const AREA_CODES: &[u16] = &[
    201, 202, 203, 205, 206, 207, 208, 210, 212, 213, 214, 215, 216, 217, 224, 225, 248, 253, 267,
    281, 301, 302, 303, 305, 310, 312, 313, 314, 315, 317, 323, 330, 336, 347, 352, 360, 385, 401,
    402, 404, 405, 407, 408, 410, 412, 414, 415, 425, 443, 469, 480, 484, 501, 502, 503, 504, 505,
    508, 510, 512, 513, 515, 516, 518, 520, 530, 540, 541, 559, 561, 562, 571, 585, 602, 603, 609,
    610, 612, 614, 615, 617, 619, 626, 630, 631, 646, 650, 651, 657, 678, 702, 703, 704, 706, 713,
    714, 717, 718, 719, 720, 727, 732, 734, 737, 754, 757, 760, 763, 770, 773, 774, 781, 786, 801,
    803, 804, 808, 813, 816, 818, 832, 847, 850, 858, 860, 901, 904, 907, 909, 910, 913, 914, 916,
    917, 919, 925, 929, 941, 949, 954, 971, 972, 973, 978, 800, 888, 877, 866, 855, 844, 833,
];

/// One US number's three groups: area code, exchange, line.
///
/// # Example
/// ```
/// use dialgate::phone::corpus::{us_parts, Rng};
/// let (area, exchange, line) = us_parts(&mut Rng::new(1));
/// assert!(area >= 200 && exchange < 1000 && line < 10_000);
/// ```
pub fn us_parts(rng: &mut Rng) -> (u16, u16, u16) {
    let area = if rng.percent(85) {
        rng.pick(AREA_CODES).copied().unwrap_or(212)
    } else {
        200 + small(rng.below(800))
    };
    // Exchanges 0xx and 1xx do not exist.
    let exchange = if rng.percent(92) {
        200 + small(rng.below(800))
    } else {
        small(rng.below(200))
    };
    (area, exchange, small(rng.below(10_000)))
}

fn small(n: u64) -> u16 {
    u16::try_from(n).unwrap_or(0)
}

/// Writes a US number in one of the formats people and CRMs use.
///
/// # Example
/// ```
/// use dialgate::phone::corpus::us_format;
/// assert_eq!(us_format(719, 555, 1234, 0), "+17195551234");
/// assert_eq!(us_format(719, 555, 1234, 2), "(719) 555-1234");
/// ```
pub fn us_format(area: u16, exchange: u16, line: u16, style: u64) -> String {
    let (a, e, l) = (area, exchange, line);
    match style % US_STYLES {
        0 => format!("+1{a:03}{e:03}{l:04}"),
        1 => format!("{a:03}-{e:03}-{l:04}"),
        2 => format!("({a:03}) {e:03}-{l:04}"),
        3 => format!("{a:03}{e:03}{l:04}"),
        4 => format!("+1 {a:03} {e:03} {l:04}"),
        5 => format!("1-{a:03}-{e:03}-{l:04}"),
        6 => format!("{a:03}.{e:03}.{l:04}"),
        7 => format!("+1 ({a:03}) {e:03}-{l:04}"),
        8 => format!("1 ({a:03}) {e:03}-{l:04}"),
        9 => format!("+1-{a:03}-{e:03}-{l:04}"),
        10 => format!("1{a:03}{e:03}{l:04}"),
        11 => format!("{a:03} {e:03} {l:04}"),
        12 => format!("({a:03}){e:03}-{l:04}"),
        13 => format!("+1.{a:03}.{e:03}.{l:04}"),
        14 => format!("1 {a:03} {e:03} {l:04}"),
        15 => format!("{a:03}-{e:03}-{l:04} x{}", l % 900 + 100),
        16 => format!("({a:03}) {e:03}-{l:04} ext. {}", l % 90 + 10),
        17 => format!(" {a:03}/{e:03}-{l:04} "),
        _ => format!("+1 {a:03}-{e:03}-{l:04}"),
    }
}

/// How many styles [`us_format`] knows.
///
/// # Example
/// ```
/// use dialgate::phone::corpus::{us_format, US_STYLES};
/// assert_eq!(us_format(719, 555, 1234, US_STYLES), us_format(719, 555, 1234, 0));
/// ```
pub const US_STYLES: u64 = 19;

/// `n` US texts in mixed formats, from `seed`.
///
/// # Example
/// ```
/// let texts = dialgate::phone::corpus::us_corpus(100, 1);
/// assert_eq!(texts.len(), 100);
/// assert_eq!(texts, dialgate::phone::corpus::us_corpus(100, 1));
/// ```
pub fn us_corpus(n: usize, seed: u64) -> Vec<String> {
    let mut rng = Rng::new(seed);
    (0..n)
        .map(|_| {
            let (a, e, l) = us_parts(&mut rng);
            let style = rng.below(US_STYLES);
            us_format(a, e, l, style)
        })
        .collect()
}

/// The countries of the international corpus.
///
/// # Example
/// ```
/// use dialgate::{phone::corpus::INTL_REGIONS, Region};
/// assert!(INTL_REGIONS.contains(&"GB"));
/// assert!(INTL_REGIONS.iter().all(|id| id.parse::<Region>().is_ok()));
/// ```
pub const INTL_REGIONS: &[&str] = &[
    "GB", "DE", "FR", "IT", "ES", "NL", "BE", "CH", "AT", "SE", "NO", "DK", "FI", "IE", "PT", "PL",
    "CZ", "HU", "RO", "GR", "TR", "RU", "UA", "IL", "AE", "SA", "EG", "ZA", "NG", "KE", "MA", "IN",
    "PK", "BD", "CN", "HK", "TW", "JP", "KR", "SG", "MY", "TH", "VN", "ID", "PH", "AU", "NZ", "CA",
    "MX", "BR", "AR", "CL", "CO", "PE", "VE", "UY", "EC", "CR", "PA", "DO", "PR", "JM", "GT", "US",
];

/// A country's numbers as the corpus varies them.
///
/// # Example
/// ```
/// let countries = dialgate::phone::corpus::countries();
/// let gb = countries.iter().find(|c| c.region.as_str() == "GB").unwrap();
/// assert_eq!((gb.code, gb.national_prefix.as_deref()), (44, Some("0")));
/// assert!(!gb.examples.is_empty());
/// ```
#[derive(Clone, Debug)]
pub struct Country {
    /// The region.
    pub region: Region,
    /// Its country calling code.
    pub code: u16,
    /// Its national prefix (trunk code), if any.
    pub national_prefix: Option<String>,
    /// The digits dialled before a country code from this region.
    pub idd: String,
    /// Example national significant numbers (fixed, mobile, toll free).
    pub examples: Vec<String>,
}

/// The corpus' countries, with their metadata.
///
/// # Example
/// ```
/// let countries = dialgate::phone::corpus::countries();
/// assert!(countries.len() >= 50);
/// assert!(countries.iter().any(|c| c.code == 44));
/// ```
pub fn countries() -> Vec<Country> {
    INTL_REGIONS
        .iter()
        .filter_map(|id| {
            let region: Region = id.parse().ok()?;
            let meta = DATABASE.by_id(*id)?;
            let d = meta.descriptors();
            let examples: Vec<String> = [d.fixed_line(), d.mobile(), d.toll_free()]
                .into_iter()
                .flatten()
                .filter_map(|x| x.example().map(str::to_owned))
                .collect();
            let idd = meta
                .preferred_international_prefix()
                .map(str::to_owned)
                .or_else(|| {
                    let p = meta.international_prefix()?.as_str().trim().to_owned();
                    p.bytes().all(|b| b.is_ascii_digit()).then_some(p)
                })
                .unwrap_or_else(|| "00".to_owned())
                // `~` (wait for a tone) is metadata notation, nobody types it.
                .replace('~', " ");
            (!examples.is_empty()).then(|| Country {
                region,
                code: meta.country_code(),
                national_prefix: meta.national_prefix().map(str::to_owned),
                idd,
                examples,
            })
        })
        .collect()
}

/// An example number with its last digits changed (most stay valid).
///
/// # Example
/// ```
/// use dialgate::phone::corpus::{vary, Rng};
/// let n = vary("2071838750", &mut Rng::new(3));
/// assert_eq!(n.len(), 10);
/// assert!(n.starts_with("20718"));
/// ```
pub fn vary(example: &str, rng: &mut Rng) -> String {
    let keep = example.len().saturating_sub(1 + small_usize(rng.below(3)));
    let mut out: String = example.chars().take(keep).collect();
    for _ in keep..example.len() {
        out.push(char::from(b'0' + u8::try_from(rng.below(10)).unwrap_or(0)));
    }
    out
}

fn small_usize(n: u64) -> usize {
    usize::try_from(n).unwrap_or(0)
}

/// `digits` in groups of two to four, joined by `sep`.
///
/// # Example
/// ```
/// use dialgate::phone::corpus::{group, Rng};
/// let g = group("2071838750", " ", &mut Rng::new(1));
/// assert_eq!(g.replace(' ', ""), "2071838750");
/// ```
pub fn group(digits: &str, sep: &str, rng: &mut Rng) -> String {
    let mut out = String::new();
    let mut rest = digits;
    while !rest.is_empty() {
        let take = (2 + small_usize(rng.below(3))).min(rest.len());
        let (head, tail) = rest.split_at(take);
        if !out.is_empty() {
            out.push_str(sep);
        }
        out.push_str(head);
        rest = tail;
    }
    out
}

/// One international text and the region it is read in.
///
/// # Example
/// ```
/// use dialgate::phone::corpus::{countries, intl_text, Rng};
/// let countries = countries();
/// let (text, _region) = intl_text(&countries, &mut Rng::new(5));
/// assert!(text.bytes().any(|b| b.is_ascii_digit()));
/// ```
pub fn intl_text(countries: &[Country], rng: &mut Rng) -> (String, Region) {
    let Some(c) = rng.pick(countries) else {
        return (String::new(), Region::US);
    };
    let example = rng.pick(&c.examples).map_or("", String::as_str);
    let nsn = vary(example, rng);
    let cc = c.code;
    let np = c.national_prefix.as_deref().unwrap_or("");
    match rng.below(9) {
        0 => (format!("+{cc}{nsn}"), c.region),
        1 => (format!("+{cc} {}", group(&nsn, " ", rng)), c.region),
        2 => (format!("+{cc}-{}", group(&nsn, "-", rng)), c.region),
        3 => (format!("+{cc} {}", group(&nsn, " ", rng)), Region::US),
        4 => (format!("{np}{}", group(&nsn, " ", rng)), c.region),
        5 => (format!("{np}{nsn}"), c.region),
        6 => (
            format!("{} {cc} {}", c.idd, group(&nsn, " ", rng)),
            c.region,
        ),
        7 => (format!("011 {cc} {}", group(&nsn, " ", rng)), Region::US),
        _ => (format!("+{cc} ({np}) {}", group(&nsn, "-", rng)), c.region),
    }
}

/// `n` international texts over [`INTL_REGIONS`], from `seed`.
///
/// # Example
/// ```
/// let texts = dialgate::phone::corpus::intl_corpus(50, 2);
/// assert_eq!(texts.len(), 50);
/// ```
pub fn intl_corpus(n: usize, seed: u64) -> Vec<(String, Region)> {
    let countries = countries();
    let mut rng = Rng::new(seed);
    (0..n).map(|_| intl_text(&countries, &mut rng)).collect()
}
