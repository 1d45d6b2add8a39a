//! Arbitrary text, in one of a few regions, through `NumberReader::read`,
//! compared with phonenumber's own verdict.
#![no_main]

use std::sync::OnceLock;

use arbitrary::Arbitrary;
use dialgate::phone::{ascii_digits, reference_read, MAX_NUMBER_CHARS};
use dialgate::{NumberError, NumberReader, Region};
use libfuzzer_sys::fuzz_target;

const REGIONS: [&str; 8] = ["US", "GB", "DE", "IN", "BR", "JP", "IT", "AU"];

#[derive(Arbitrary, Debug)]
struct Input {
    region: u8,
    text: String,
}

fn reader() -> &'static NumberReader {
    static READER: OnceLock<NumberReader> = OnceLock::new();
    READER.get_or_init(NumberReader::new)
}

fuzz_target!(|input: Input| {
    let code = REGIONS[usize::from(input.region) % REGIONS.len()];
    let region: Region = code.parse().expect("a known region");
    let text = input.text.as_str();
    let read = reader().read(text, region);
    let chars = text.chars().count();
    if chars > MAX_NUMBER_CHARS {
        assert_eq!(
            read,
            Err(NumberError::TooLong),
            "{chars} characters read as {read:?}"
        );
    } else {
        // The reader's fast path must answer exactly as phonenumber does on
        // the text with its Unicode digits made ASCII.
        let ascii = ascii_digits(text);
        let reference = if ascii.bytes().any(|b| b.is_ascii_digit()) {
            reference_read(&ascii, region).ok_or(NumberError::Invalid(region))
        } else {
            Err(NumberError::NoDigits)
        };
        assert_eq!(read, reference, "{text:?} in {code}: reader vs phonenumber");
    }
    if let Ok(n) = read {
        assert!(chars <= MAX_NUMBER_CHARS);
        let e164 = n.to_string();
        let digits = e164.strip_prefix('+').expect("E.164 starts with +");
        assert!(
            (1..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()),
            "{text:?} read as {e164:?}"
        );
        assert_ne!(digits.as_bytes()[0], b'0', "{text:?} read as {e164:?}");
        assert_eq!(digits.parse::<u64>().ok(), Some(n.digits()));
        // The engine stores one-off leads by their E.164 text and reads it
        // again in the company's region: the text must read back as the same
        // number. Checked only for a number of the region's own country code:
        // phonenumber 0.3 strips the *region's* national prefix from a
        // foreign number (`+49 151 ...` read in US loses the `1` after `+49`),
        // a known defect reported separately (tests/bad_input.rs,
        // `foreign_numbers_keep_their_digits`, ignored until fixed).
        let own_cc = phonenumber::metadata::DATABASE
            .by_id(code)
            .map(|m| m.country_code().to_string())
            .expect("metadata for a known region");
        if digits.starts_with(&own_cc) {
            assert_eq!(
                reader().read(&e164, region),
                Ok(n),
                "{text:?} -> {e164} does not read back in {code}"
            );
        }
    }
});
