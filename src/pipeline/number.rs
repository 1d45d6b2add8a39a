//! Step 5, number: the number to dial, read in the company's region.

use crate::phone::{NumberReader, Region, E164};
use crate::rejection::Rejection;

/// How much of an unreadable number a rejection message repeats.
const MESSAGE_NUMBER_CHARS: usize = 64;

/// Reads `text` into E.164 or refuses it with `invalid_number`.
pub(crate) fn read(text: &str, region: Region, reader: &NumberReader) -> Result<E164, Rejection> {
    reader.read(text, region).map_err(|e| {
        let mut shown: String = text.chars().take(MESSAGE_NUMBER_CHARS).collect();
        if text.chars().nth(MESSAGE_NUMBER_CHARS).is_some() {
            shown.push('…');
        }
        Rejection::InvalidNumber {
            number: shown,
            reason: e.to_string(),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_or_refuses_with_a_reason() {
        let r = NumberReader::new();
        assert_eq!(
            read("(719) 555-1234", Region::US, &r).map(|n| n.to_string()),
            Ok("+17195551234".into())
        );
        let err = read("12345", Region::US, &r).unwrap_err();
        assert_eq!(err.code(), "invalid_number");
        assert!(err.to_string().contains("`12345`"), "{err}");
        let long = "9".repeat(300);
        let err = read(&long, Region::US, &r).unwrap_err();
        assert!(
            err.to_string().len() < 200,
            "message repeats at most 64 characters"
        );
    }
}
