//! The loader: formats, bad-line threshold, zips and their CRC, coverage,
//! and the command line.

use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use dialgate_registry::load::{build, read_changes, BuildOptions, Kind, LoadError};
use dialgate_registry::{cli, Lookup, Registry};

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 1, d).unwrap()
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn zip_of(dir: &Path, name: &str, entries: &[(&str, &str)]) -> PathBuf {
    let p = dir.join(name);
    let mut z = zip::ZipWriter::new(std::fs::File::create(&p).unwrap());
    for (n, text) in entries {
        z.start_file(
            *n,
            zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Stored),
        )
        .unwrap();
        z.write_all(text.as_bytes()).unwrap();
    }
    z.finish().unwrap();
    p
}

fn run(args: &[&str]) -> (i32, String, String) {
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = cli::run(&args, &mut out, &mut err);
    (
        code,
        String::from_utf8(out).unwrap(),
        String::from_utf8(err).unwrap(),
    )
}

#[test]
fn ftc_files_name_their_coverage() {
    let dir = tempfile::tempdir().unwrap();
    let a = write(dir.path(), "212.txt", "2125550100\n212,5550101\n\n");
    let b = write(dir.path(), "305_2026-01-05.txt", ""); // empty, still covered
    let c = write(dir.path(), "misc.txt", "4155550100\n");
    let csv = write(dir.path(), "state.csv", "phone,state\n7135550100,TX\n");
    let inputs = vec![
        (Kind::Full, a),
        (Kind::Full, b),
        (Kind::Full, c),
        (Kind::Csv, csv),
    ];
    let (image, report) = build(&inputs, &BuildOptions::new(day(5))).unwrap();
    assert_eq!(report.area_codes, vec![212, 305, 415]);
    assert_eq!((report.numbers, report.bad_lines), (4, 1));
    assert_eq!(
        report.examples[0].to_string(),
        format!(
            "{}:1: not a 10-digit number",
            dir.path().join("state.csv").display()
        )
    );
    let reg = Registry::from_bytes(image).unwrap();
    assert_eq!(reg.lookup(2_125_550_101), Lookup::Registered);
    assert_eq!(reg.lookup(3_055_550_100), Lookup::NotRegistered);
    // A CSV adds numbers, not coverage.
    assert_eq!(reg.lookup(7_135_550_100), Lookup::NotCovered);
}

#[test]
fn no_coverage_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let csv = write(dir.path(), "litigators.csv", "7135550100\n");
    assert_eq!(
        build(&[(Kind::Csv, csv.clone())], &BuildOptions::new(day(5))),
        Err(LoadError::NoCoverage)
    );
    let mut o = BuildOptions::new(day(5));
    o.cover = (200..1000).collect();
    assert!(build(&[(Kind::Csv, csv)], &o).is_ok());
}

#[test]
fn bad_lines_above_the_threshold_fail_the_load_and_keep_the_old_file() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("2125550100\n");
    for i in 0..3 {
        text.push_str(&format!("21255501{i}\n")); // 9 digits
    }
    let ftc = write(dir.path(), "212.txt", &text);
    let mut o = BuildOptions::new(day(5));
    o.max_bad_lines = 3;
    let (_, report) = build(&[(Kind::Full, ftc.clone())], &o).unwrap();
    assert_eq!(report.bad_lines, 3);
    o.max_bad_lines = 2;
    let err = build(&[(Kind::Full, ftc.clone())], &o).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "3 bad lines (more than the 2 allowed), first at {}:2: not a 10-digit number",
            ftc.display()
        )
    );

    // Through the command line: the failed load leaves the old version.
    let out = dir.path().join("federal.dnc");
    let good = write(dir.path(), "213.txt", "2135550100\n");
    let (code, stdout, _) = run(&[
        "build",
        "--out",
        out.to_str().unwrap(),
        "--as-of",
        "2026-01-05",
        "--ftc",
        good.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stdout}");
    let before = std::fs::read(&out).unwrap();
    let (code, _, stderr) = run(&[
        "build",
        "--out",
        out.to_str().unwrap(),
        "--as-of",
        "2026-01-06",
        "--ftc",
        ftc.to_str().unwrap(),
        "--max-bad-lines",
        "2",
    ]);
    assert_eq!(code, 2);
    assert!(stderr.starts_with("error: 3 bad lines"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1);
    assert_eq!(std::fs::read(&out).unwrap(), before);
}

#[test]
fn zips_are_read_and_a_bad_crc_or_truncation_fails() {
    let dir = tempfile::tempdir().unwrap();
    let body: String = (0..2000).map(|l| format!("212555{l:04}\n")).collect();
    let z = zip_of(
        dir.path(),
        "ftc.zip",
        &[("212.txt", &body), ("305.txt", "3055550100\n")],
    );
    let (image, report) = build(&[(Kind::Full, z.clone())], &BuildOptions::new(day(5))).unwrap();
    assert_eq!(
        (report.numbers, report.area_codes.clone()),
        (2001, vec![212, 305])
    );
    assert_eq!(
        Registry::from_bytes(image).unwrap().lookup(2_125_551_999),
        Lookup::Registered
    );

    let bytes = std::fs::read(&z).unwrap();
    // A flipped byte inside the stored entry: the CRC check must refuse it.
    let at = bytes.windows(10).position(|w| w == b"2125551000").unwrap();
    let mut bad = bytes.clone();
    bad[at + 3] = b'9';
    std::fs::write(&z, &bad).unwrap();
    let err = build(&[(Kind::Full, z.clone())], &BuildOptions::new(day(5))).unwrap_err();
    assert!(
        matches!(&err, LoadError::Input { message, .. } if message.to_lowercase().contains("checksum")),
        "{err}"
    );

    // Truncated: everything after half the file is gone.
    std::fs::write(&z, &bytes[..bytes.len() / 2]).unwrap();
    let err = build(&[(Kind::Full, z.clone())], &BuildOptions::new(day(5))).unwrap_err();
    assert!(matches!(err, LoadError::Input { .. }), "{err}");
}

#[test]
fn the_last_change_per_number_wins() {
    let dir = tempfile::tempdir().unwrap();
    let a = write(
        dir.path(),
        "changes1.csv",
        "2125550100,2026-01-05 10:00:00,A\n2125550100,2026-01-05 09:00:00,D\n2125550101,2026-01-05T08:00:00Z,A\n",
    );
    let b = write(
        dir.path(),
        "changes2.csv",
        "2125550101,2026-01-05 08:00:00,D\n2125550102,1767600000,a\nbad\n",
    );
    let (changes, report) = read_changes(&[a, b], 100).unwrap();
    // Equal times: the later line wins.
    assert_eq!(
        changes,
        vec![
            (2_125_550_100, true),
            (2_125_550_101, false),
            (2_125_550_102, true)
        ]
    );
    assert_eq!(report.bad_lines, 1);
}

#[test]
fn apply_through_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let ftc = write(d, "212.txt", "2125550100\n2125550101\n");
    let base = d.join("federal.dnc");
    let (code, _, err) = run(&[
        "build",
        "--out",
        base.to_str().unwrap(),
        "--as-of",
        "2026-01-05",
        "--ftc",
        ftc.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let ch = zip_of(
        d,
        "changes.zip",
        &[(
            "changes.txt",
            "2125550100,2026-01-06 01:00:00,D\n2125550199,2026-01-06 01:00:00,A\n",
        )],
    );
    let (code, out, err) = run(&[
        "apply",
        "--base",
        base.to_str().unwrap(),
        "--changes",
        ch.to_str().unwrap(),
        "--out",
        base.to_str().unwrap(),
        "--as-of",
        "2026-01-06",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("as of 2026-01-06, 2 numbers"), "{out}");
    let reg = Registry::open(&base).unwrap();
    assert_eq!(reg.lookup(2_125_550_100), Lookup::NotRegistered);
    assert_eq!(reg.lookup(2_125_550_199), Lookup::Registered);
    let (code, out, _) = run(&["info", base.to_str().unwrap()]);
    assert_eq!(code, 0);
    assert!(out.contains("2 numbers"), "{out}");
}

#[test]
fn help_and_usage_errors() {
    let (code, out, _) = run(&["build", "--help"]);
    assert_eq!(code, 0);
    assert!(out.starts_with("usage: dialgate registry build"));
    assert_eq!(run(&["apply", "--help"]).0, 0);
    let (code, _, err) = run(&["build", "--out", "x.dnc"]);
    assert_eq!(
        (code, err.as_str()),
        (2, "error: build: --as-of is required\n")
    );
    let (code, _, err) = run(&["frobnicate"]);
    assert_eq!(code, 2);
    assert!(err.contains("unknown command `frobnicate`"));
    let (code, _, err) = run(&["build", "--out", "x", "--as-of", "2026-13-01", "--ftc", "a"]);
    assert_eq!(code, 2);
    assert!(err.contains("`2026-13-01` is not YYYY-MM-DD"));
}
