//! Arbitrary bytes through the registry loader's three line parsers.
#![no_main]

use dialgate_registry::load::{parse_change_line, parse_csv_line, parse_full_line};
use libfuzzer_sys::fuzz_target;

/// A parsed number is a NANP number: 10 digits, NPA and NXX 200-999.
fn nanp(n: u64) {
    assert!(n < 10_000_000_000, "{n}");
    assert!(n / 10_000_000 >= 200 && n / 10_000 % 1000 >= 200, "{n}");
}

fuzz_target!(|bytes: &[u8]| {
    // Each call sees one line, as the loader splits them.
    for line in bytes.split(|&b| b == b'\n') {
        if let Ok(Some(n)) = parse_full_line(line) {
            nanp(n);
            // Both FTC forms of the number read back as it.
            assert_eq!(parse_full_line(n.to_string().as_bytes()), Ok(Some(n)));
            let s = n.to_string();
            assert_eq!(
                parse_full_line(format!("{},{}", &s[..3], &s[3..]).as_bytes()),
                Ok(Some(n))
            );
        }
        if let Ok(Some(n)) = parse_csv_line(line) {
            nanp(n);
            assert_eq!(parse_csv_line(format!("{n},x").as_bytes()), Ok(Some(n)));
        }
        if let Ok(Some(c)) = parse_change_line(line) {
            nanp(c.number);
            let again = format!("{},{},{}", c.number, c.at, if c.add { 'A' } else { 'D' });
            assert_eq!(parse_change_line(again.as_bytes()), Ok(Some(c)));
        }
    }
});
