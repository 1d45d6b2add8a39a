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
        // The E.164 text of a number reads again exactly as phonenumber
        // reads it (with the foreign-code correction, `+49 151 ...` in US
        // now keeps its digits). It need not read as the same number:
        // phonenumber reads `55 0900 2123 4` in BR as +55900212344 but
        // finds `+55900212344` invalid (BR's national prefix for parsing,
        // `90`, is stripped from it); see tests/bad_input.rs.
        let again = reader().read(&e164, region);
        let reference = reference_read(&e164, region).ok_or(NumberError::Invalid(region));
        assert_eq!(again, reference, "{text:?} -> {e164} in {code}: reader vs phonenumber");
    }
});
