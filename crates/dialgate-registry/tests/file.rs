//! Corrupted, truncated and wrong-version files are refused with one line
//! naming the file and what is wrong.

use chrono::NaiveDate;
use dialgate_registry::{write_atomic, Builder, FileProblem, Registry};

fn image() -> Vec<u8> {
    let mut b = Builder::new(NaiveDate::from_ymd_opt(2026, 1, 5).unwrap());
    b.cover(212);
    for l in 0..3000 {
        b.push(2_125_550_000 + l * 3).unwrap();
    }
    b.push(3_055_550_100).unwrap();
    b.finish()
}

fn refused(bytes: &[u8]) -> (FileProblem, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("federal.dnc");
    std::fs::write(&path, bytes).unwrap();
    let err = Registry::open(&path).unwrap_err();
    let text = err.to_string();
    assert!(!text.contains('\n'), "{text}");
    assert!(
        text.starts_with(&format!("registry file `{}`: ", path.display())),
        "{text}"
    );
    (err.problem, text)
}

#[test]
fn a_good_file_opens() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("federal.dnc");
    write_atomic(&path, &image()).unwrap();
    let reg = Registry::open(&path).unwrap();
    assert_eq!(reg.len(), 3001);
    assert_eq!(reg.as_of(), NaiveDate::from_ymd_opt(2026, 1, 5).unwrap());
    // No temporary file is left beside it.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[test]
fn every_flipped_byte_is_refused() {
    let good = image();
    // Header, table and data: a byte in each region, and a sample beyond.
    let n = good.len();
    let positions = [
        0,
        9,
        17,
        30,
        41,
        45,
        60,
        200,
        256,
        300,
        1_600,
        n - 125_100,
        n - 100_000,
        n - 10,
        n - 1,
    ];
    for at in positions {
        let mut bad = good.clone();
        bad[at] ^= 0x40;
        let (problem, text) = refused(&bad);
        assert!(
            matches!(
                problem,
                FileProblem::BadMagic
                    | FileProblem::UnsupportedVersion { .. }
                    | FileProblem::Checksum { .. }
                    | FileProblem::Malformed(_)
                    | FileProblem::Truncated { .. }
                    | FileProblem::TooLong { .. }
            ),
            "byte {at}: {text}"
        );
    }
}

#[test]
fn truncated_and_extended_files_are_refused() {
    let good = image();
    for len in [0, 7, 100, 256, 100_000, good.len() - 4, good.len() - 1] {
        let (problem, text) = refused(&good[..len]);
        assert!(
            matches!(
                problem,
                FileProblem::Truncated { .. } | FileProblem::BadMagic
            ),
            "{len}: {text}"
        );
    }
    let (_, text) = refused(&good[..good.len() - 1]);
    assert!(text.contains("truncated"), "{text}");
    let mut longer = good.clone();
    longer.push(0);
    assert!(matches!(refused(&longer).0, FileProblem::TooLong { .. }));
}

#[test]
fn another_version_is_refused_by_name() {
    let mut bad = image();
    bad[8..12].copy_from_slice(&2u32.to_le_bytes());
    let (problem, text) = refused(&bad);
    assert_eq!(problem, FileProblem::UnsupportedVersion { found: 2 });
    assert!(
        text.ends_with("unsupported format version 2 (this build reads version 1)"),
        "{text}"
    );
}

#[test]
fn a_checksum_mismatch_is_named() {
    let mut bad = image();
    let last = bad.len() - 1;
    bad[last] ^= 1;
    let (problem, text) = refused(&bad);
    assert!(matches!(problem, FileProblem::Checksum { .. }), "{text}");
    assert!(text.contains("checksum mismatch"), "{text}");
}

#[test]
fn a_missing_file_is_named() {
    let err = Registry::open("/nonexistent/dir/federal.dnc").unwrap_err();
    assert!(err
        .to_string()
        .starts_with("registry file `/nonexistent/dir/federal.dnc`: "));
    assert!(matches!(err.problem, FileProblem::Io(_)));
}

#[test]
fn not_a_registry_is_bad_magic() {
    assert_eq!(refused(&[b'x'; 5000]).0, FileProblem::BadMagic);
}
