//! `dialgate registry build ...` and `dialgate registry apply ...`.

use std::io::Write;
use std::path::PathBuf;

use chrono::NaiveDate;

use crate::format::{write_atomic, Registry};
use crate::load::{self, ApplyOptions, BuildOptions, Kind, Report, DEFAULT_MAX_BAD_LINES};

const USAGE: &str = "\
usage: dialgate registry build --out FILE --as-of YYYY-MM-DD [--cover AREA_CODES|all]
                              [--ftc FILE]... [--csv FILE]... [--max-bad-lines N]
       dialgate registry apply --base FILE --changes FILE... --out FILE --as-of YYYY-MM-DD
                              [--cover AREA_CODES] [--max-bad-lines N]
       dialgate registry info FILE

build: a new list from FTC full lists (--ftc: lines of 10 digits or AAA,NNNNNNN;
       a file or zip entry named by its area code, 212.txt, covers it) and plain
       CSVs (--csv: the first field a 10-digit number; state, litigator, internal
       lists). --cover adds covered area codes (comma-separated, or all).
apply: the base list with FTC change lists (number,timestamp,A|D; per number
       the latest change wins) applied, as a new version.
info:  the file's as-of date, numbers and coverage, after verifying it.

A file (or zip, its CRC checked) is read whole before anything is written; more
than --max-bad-lines bad lines (default 100) fail the load. The output is
written to a temporary file, fsynced and renamed: the old version stays until
the new one is complete. Exit 0 on success, 2 on any error.";

/// Runs `build`, `apply` or `info` (the words after `dialgate registry`),
/// writing the report to `out` and a one-line error to `err`. Returns the
/// exit code: 0 on success (and for `--help`), 2 on any error.
///
/// # Example
///
/// ```
/// let dir = tempfile::tempdir().unwrap();
/// let ftc = dir.path().join("212.txt");
/// std::fs::write(&ftc, "2125550100\n").unwrap();
/// let out_file = dir.path().join("federal.dnc");
/// let args: Vec<String> = ["build", "--out", out_file.to_str().unwrap(), "--as-of", "2026-01-05", "--ftc", ftc.to_str().unwrap()]
///     .iter().map(|s| s.to_string()).collect();
/// let (mut out, mut err) = (Vec::new(), Vec::new());
/// assert_eq!(dialgate_registry::cli::run(&args, &mut out, &mut err), 0);
/// assert!(String::from_utf8(out).unwrap().contains("1 numbers"));
/// ```
pub fn run(args: &[String], out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    if args.is_empty() || args.iter().any(|a| a == "--help" || a == "-h") {
        let _ = writeln!(out, "{USAGE}");
        return if args.is_empty() { 2 } else { 0 };
    }
    match execute(args) {
        Ok(text) => {
            let _ = write!(out, "{text}");
            0
        }
        Err(message) => {
            let _ = writeln!(err, "error: {message}");
            2
        }
    }
}

#[derive(Default)]
struct Args {
    out: Option<PathBuf>,
    base: Option<PathBuf>,
    as_of: Option<NaiveDate>,
    cover: Vec<u16>,
    inputs: Vec<(Kind, PathBuf)>,
    changes: Vec<PathBuf>,
    max_bad: Option<u64>,
    positional: Vec<PathBuf>,
}

fn parse_cover(s: &str) -> Result<Vec<u16>, String> {
    if s == "all" {
        return Ok((200..1000).collect());
    }
    s.split(',')
        .map(|a| match a.trim().parse::<u16>() {
            Ok(n) if (200..1000).contains(&n) => Ok(n),
            _ => Err(format!("--cover: `{a}` is not an area code 200-999")),
        })
        .collect()
}

fn parse_args(words: &[String]) -> Result<Args, String> {
    let mut a = Args::default();
    let mut it = words.iter();
    while let Some(w) = it.next() {
        let mut value = || {
            it.next()
                .cloned()
                .ok_or_else(|| format!("`{w}` needs a value"))
        };
        match w.as_str() {
            "--out" => a.out = Some(value()?.into()),
            "--base" => a.base = Some(value()?.into()),
            "--as-of" => {
                let v = value()?;
                a.as_of = Some(
                    NaiveDate::parse_from_str(&v, "%Y-%m-%d")
                        .map_err(|_| format!("--as-of: `{v}` is not YYYY-MM-DD"))?,
                );
            }
            "--cover" => a.cover.extend(parse_cover(&value()?)?),
            "--ftc" => a.inputs.push((Kind::Full, value()?.into())),
            "--csv" => a.inputs.push((Kind::Csv, value()?.into())),
            "--changes" => a.changes.push(value()?.into()),
            "--max-bad-lines" => {
                let v = value()?;
                a.max_bad = Some(
                    v.parse()
                        .map_err(|_| format!("--max-bad-lines: `{v}` is not a count"))?,
                );
            }
            s if s.starts_with('-') => return Err(format!("unknown option `{s}`")),
            s => a.positional.push(s.into()),
        }
    }
    Ok(a)
}

fn summary(verb: &str, out: &std::path::Path, as_of: NaiveDate, r: &Report) -> String {
    let mut s = format!(
        "{verb} {}: as of {as_of}, {} numbers, {} area codes covered, {} lines read, {} bad\n",
        out.display(),
        r.numbers,
        r.area_codes.len(),
        r.lines,
        r.bad_lines
    );
    for bad in &r.examples {
        s.push_str(&format!("bad line {bad}\n"));
    }
    s
}

fn execute(words: &[String]) -> Result<String, String> {
    let (cmd, rest) = words.split_first().ok_or("no command")?;
    let a = parse_args(rest)?;
    let need =
        |o: Option<PathBuf>, name: &str| o.ok_or_else(|| format!("{cmd}: {name} is required"));
    match cmd.as_str() {
        "build" => {
            let out = need(a.out, "--out")?;
            let as_of = a.as_of.ok_or("build: --as-of is required")?;
            if a.inputs.is_empty() {
                return Err("build: give at least one --ftc or --csv file".into());
            }
            if !a.positional.is_empty() || !a.changes.is_empty() || a.base.is_some() {
                return Err(
                    "build: takes only --out, --as-of, --cover, --ftc, --csv, --max-bad-lines"
                        .into(),
                );
            }
            let options = BuildOptions {
                as_of,
                cover: a.cover,
                max_bad_lines: a.max_bad.unwrap_or(DEFAULT_MAX_BAD_LINES),
            };
            let (image, report) = load::build(&a.inputs, &options).map_err(|e| e.to_string())?;
            write_atomic(&out, &image).map_err(|e| e.to_string())?;
            Ok(summary("built", &out, as_of, &report))
        }
        "apply" => {
            let out = need(a.out, "--out")?;
            let base = need(a.base, "--base")?;
            let as_of = a.as_of.ok_or("apply: --as-of is required")?;
            if a.changes.is_empty() {
                return Err("apply: give at least one --changes file".into());
            }
            if !a.positional.is_empty() || !a.inputs.is_empty() {
                return Err(
                    "apply: takes only --base, --changes, --out, --as-of, --cover, --max-bad-lines"
                        .into(),
                );
            }
            let base = Registry::open(&base).map_err(|e| e.to_string())?;
            let options = ApplyOptions {
                as_of,
                cover: a.cover,
                max_bad_lines: a.max_bad.unwrap_or(DEFAULT_MAX_BAD_LINES),
            };
            let (image, report) =
                load::apply(&base, &a.changes, &options).map_err(|e| e.to_string())?;
            write_atomic(&out, &image).map_err(|e| e.to_string())?;
            Ok(summary("applied", &out, as_of, &report))
        }
        "info" => {
            let [file] = a.positional.as_slice() else {
                return Err("info: give one FILE".into());
            };
            let reg = Registry::open(file).map_err(|e| e.to_string())?;
            let codes = reg.area_codes();
            Ok(format!(
                "{}: format {}, as of {}, {} numbers, {} bytes ({:.2} bits a number), {} area codes covered\n",
                file.display(),
                crate::format::FORMAT_VERSION,
                reg.as_of(),
                reg.len(),
                reg.size_bytes(),
                reg.size_bytes() as f64 * 8.0 / reg.len().max(1) as f64,
                codes.len()
            ))
        }
        other => Err(format!("unknown command `{other}` (build, apply, info)")),
    }
}
