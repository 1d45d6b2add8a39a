//! Arbitrary text, in one of a few regions, through `NumberReader::read`,
//! its scanner compared with libphonenumber's general front end (both over
//! the same metadata; tests/number_differential.rs compares with
//! libphonenumber itself).
#![no_main]

use std::sync::OnceLock;

use arbitrary::Arbitrary;
use dialgate::phone::MAX_NUMBER_CHARS;
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
        // The scanner must answer exactly as the general front end does.
        let general = reader().read_general(text, region);
        assert_eq!(read, general, "{text:?} in {code}: scanner vs general");
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
        // The E.164 text reads the same through both front ends.
        let again = reader().read(&e164, region);
        let general = reader().read_general(&e164, region);
        assert_eq!(again, general, "{text:?} -> {e164} in {code}: scanner vs general");
    }
});
