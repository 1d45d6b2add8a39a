//! `NumberReader::read` against libphonenumber's own answers: the corpus
//! `tests/data/number_oracle.tsv` (every NANP area code, every region's
//! example numbers in E.164, international, national, IDD and RFC 3966
//! forms, letters, Unicode digits, extensions, stray text, the cases of
//! issue 13), each with the E.164 number or `invalid` that `phonenumbers`
//! 9.0.43 gives, written by `scripts/gen_numbering.py`.
//!
//! The default test checks every 16th line; the full run is `#[ignore]`d:
//! `cargo test --release --test number_differential -- --ignored`.

use dialgate::{NumberReader, Region};

const ORACLE: &str = include_str!("data/number_oracle.tsv");

/// Inputs where dialgate differs from libphonenumber on purpose (README,
/// "Number reading"): none in the corpus today.
const KNOWN_DIFFERENCES: &[(&str, &str)] = &[];

fn run(every: usize) {
    let reader = NumberReader::new();
    let (mut checked, mut valid, mut fast) = (0, 0, 0);
    let mut mismatches = Vec::new();
    let rows = ORACLE.lines().filter(|l| !l.starts_with('#'));
    for (i, line) in rows.enumerate() {
        if i % every != 0 {
            continue;
        }
        let mut fields = line.split('\t');
        let (Some(region), Some(text), Some(want), None) =
            (fields.next(), fields.next(), fields.next(), fields.next())
        else {
            panic!("bad oracle line {line:?}");
        };
        if KNOWN_DIFFERENCES.contains(&(region, text)) {
            continue;
        }
        // Regions libphonenumber knows but dialgate's `Region` does not are
        // skipped (there are none in the corpus today).
        let Ok(region) = region.parse::<Region>() else {
            continue;
        };
        let got = reader.read(text, region).ok().map(|n| n.to_string());
        let general = reader
            .read_general(text, region)
            .ok()
            .map(|n| n.to_string());
        if general != got {
            mismatches.push(format!(
                "{text:?} in {region}: scanner {got:?}, general front end {general:?}"
            ));
        }
        let want = (want != "invalid").then(|| want.to_owned());
        checked += 1;
        valid += usize::from(want.is_some());
        fast += usize::from(reader.is_fast(text, region));
        if got != want {
            mismatches.push(format!(
                "{text:?} in {region}: read gave {got:?}, libphonenumber {want:?}"
            ));
        }
    }
    eprintln!(
        "checked {checked} inputs ({valid} valid, {fast} read by the scanner), {} mismatches",
        mismatches.len()
    );
    for m in mismatches.iter().take(100) {
        eprintln!("MISMATCH {m}");
    }
    assert!(mismatches.is_empty(), "{} mismatches", mismatches.len());
    assert!(checked * every >= 30_000, "only {checked} inputs checked");
}

/// A sample, fast in debug builds.
#[test]
fn read_matches_libphonenumber_on_a_sample() {
    run(16);
}

/// The whole corpus; CI runs it in release.
#[test]
#[ignore = "the whole corpus: cargo test --release --test number_differential -- --ignored"]
fn read_matches_libphonenumber_everywhere() {
    run(1);
}

/// The numbers of issue 13: the new NANP area codes and the `+7 800` kind.
#[test]
fn the_issue_13_numbers_read_as_libphonenumber_reads_them() {
    let reader = NumberReader::new();
    for (text, want) in [
        ("+1 273 234 5678", "+12732345678"),
        ("(274) 456-7890", "+12744567890"),
        ("+1 472 555 0123", "+14725550123"),
        ("+1 983 555 0123", "+19835550123"),
        ("+7 800 555 35 35", "+78005553535"),
        ("+370 800 12345", "+37080012345"),
        ("+375 801 123 4567", "+3758011234567"),
    ] {
        assert_eq!(
            reader.read(text, Region::US).map(|n| n.to_string()),
            Ok(want.to_owned()),
            "{text}"
        );
    }
}
