//! The contract's scenario files and the extra ones written from its text
//! (`tests/contract_extra`), run through the library and through the
//! binary; `check`'s failure and bad-input answers; the shipped example run
//! end to end.

use std::path::PathBuf;
use std::process::Command;

use dialgate::host::check_scenario;

/// The scenario files of `dir` (under the crate root), sorted.
fn scenario_files(dir: &str) -> Vec<PathBuf> {
    let dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../..")).join(dir);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("readable entry").path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files
}

fn expectations_in(text: &str) -> usize {
    let v: serde_json::Value = serde_json::from_str(text).expect("scenario is JSON");
    v["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .filter(|s| s.get("expect").is_some())
        .count()
}

/// Every scenario of `files` passes through the library, every expectation
/// counted.
fn pass_through_the_library(files: &[PathBuf]) {
    let mut failures = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(file).expect("readable");
        let name = file.display().to_string();
        match check_scenario(&name, &text) {
            Err(e) => failures.push(format!("{name}: bad input: {e}")),
            Ok(report) => {
                failures.extend(report.mismatches.iter().cloned());
                if report.passed + report.mismatches.len() != expectations_in(&text) {
                    failures.push(format!("{name}: not every expectation was counted"));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// `dialgate check` passes `files` in one run and counts every expectation.
fn pass_through_the_binary(files: &[PathBuf]) {
    let total: usize = files
        .iter()
        .map(|f| expectations_in(&std::fs::read_to_string(f).expect("readable")))
        .sum();
    let out = Command::new(env!("CARGO_BIN_EXE_dialgate"))
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
        .arg("check")
        .args(files)
        .output()
        .expect("binary runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        stdout.lines().last(),
        Some(format!("{total} passed, 0 failed").as_str())
    );
}

/// The contract's own scenarios (`tests/scenarios`, copies of the files that ship with CONTRACT.md).
fn contract_scenarios() -> Vec<PathBuf> {
    let files = scenario_files("tests/scenarios");
    assert!(
        files.len() >= 8,
        "the contract ships at least 8 scenarios, found {}",
        files.len()
    );
    files
}

#[test]
fn every_scenario_passes_through_the_library() {
    pass_through_the_library(&contract_scenarios());
}

#[test]
fn every_scenario_passes_through_the_binary() {
    pass_through_the_binary(&contract_scenarios());
}

/// Scenarios written from CONTRACT.md's text alone (`tests/contract_extra`):
/// every op, the GCRA to the nanosecond, time formats, Unicode digits,
/// suppression scope, the lifecycle; `readme_choices.json` pins the README's
/// readings where the text is silent.
#[test]
fn every_extra_scenario_passes_through_the_library() {
    let files = scenario_files("tests/contract_extra");
    assert!(files.len() >= 16, "found {}", files.len());
    pass_through_the_library(&files);
}

#[test]
fn every_extra_scenario_passes_through_the_binary() {
    pass_through_the_binary(&scenario_files("tests/contract_extra"));
}

#[test]
fn a_failed_expectation_is_reported_and_exits_1() {
    let dir = std::env::temp_dir().join(format!("dialgate-scn-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("wrong.json");
    std::fs::write(
        &file,
        r#"{"name": "wrong on purpose", "world": {"companies": [{"id": "a", "cps_limit": 1}]},
            "steps": [
              {"at": "2026-11-26T15:00:00Z", "company_id": "a", "make_call": {"lead_id": "x"},
               "expect": {"ok": false, "error": {"code": "schedule_not_found"}}},
              {"at": "2026-11-26T15:00:00Z", "company_id": "a", "make_call": {"lead_id": "x"},
               "expect": {"ok": false}},
              {"at": "2026-11-26T15:00:00Z", "company_id": "a", "make_call": {"lead_id": "x"}}
            ]}"#,
    )
    .expect("write");
    let out = Command::new(env!("CARGO_BIN_EXE_dialgate"))
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
        .arg("check")
        .arg(&file)
        .output()
        .expect("binary runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    assert!(
        lines[0].contains("wrong.json: step 1: expected"),
        "{stdout}"
    );
    assert!(
        lines[0].contains("unknown_lead"),
        "the line shows what it got: {stdout}"
    );
    assert_eq!(lines[1], "1 passed, 1 failed");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_shipped_example_prints_one_line_per_step_and_shows_every_code() {
    let root = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."));
    let steps = std::fs::read_to_string(root.join("examples/requests.jsonl")).expect("example");
    let out = Command::new(env!("CARGO_BIN_EXE_dialgate"))
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
        .args(["run", "--world"])
        .arg(root.join("examples/world.json"))
        .arg(root.join("examples/requests.jsonl"))
        .output()
        .expect("binary runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect();
    assert_eq!(
        lines.len(),
        steps.lines().filter(|l| !l.trim().is_empty()).count()
    );
    let codes: std::collections::BTreeSet<&str> = lines
        .iter()
        .filter_map(|l| l["error"]["code"].as_str())
        .collect();
    // The in-memory stores never fail, so `unavailable` cannot show here
    // (tests/faults.rs covers it).
    for code in dialgate::Rejection::CODES
        .iter()
        .filter(|c| **c != "unavailable")
    {
        assert!(codes.contains(code), "the example shows `{code}`");
    }
    let origins: std::collections::BTreeSet<&str> = lines
        .iter()
        .filter_map(|l| l["call"]["lead_origin"].as_str())
        .collect();
    assert_eq!(origins.len(), 2, "existing and one-off calls both shown");
    assert!(lines
        .iter()
        .any(|l| l["call"]["route"].as_array().is_some_and(|r| !r.is_empty())));
}

#[test]
fn run_reads_steps_from_stdin() {
    use std::io::Write;
    let root = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."));
    let mut child = Command::new(env!("CARGO_BIN_EXE_dialgate"))
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
        .args(["run", "--world"])
        .arg(root.join("examples/world.json"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("binary runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(b"{\"at\": \"2026-11-26T15:00:00Z\", \"company_id\": \"sunrise-solar\", \"make_call\": {\"lead_id\": \"lead-maria\"}}\n\n{\"at\": \"2026-11-26T15:00:00Z\", \"release\": \"nope\"}\n")
        .expect("write");
    let out = child.wait_with_output().expect("exits");
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    assert!(
        lines[0].starts_with(r#"{"ok":true,"call":{"id":""#),
        "{stdout}"
    );
    assert!(lines[1].contains(r#""code":"unknown_label""#), "{stdout}");
}

/// The contract's bad-input rule for `check`: a one-line error naming the
/// file, exit 2, no panic.
#[test]
fn bad_scenario_input_exits_2_with_one_line_naming_the_file() {
    let dir = std::env::temp_dir().join(format!("dialgate-cx-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let world = r#"{"companies": [{"id": "acme", "cps_limit": 1}],
        "schedules": [{"id": "s", "company_id": "acme", "lead_token": "t"}]}"#;
    let step = |at: &str| {
        format!(
            r#"{{"at": "{at}", "company_id": "acme", "make_call": {{"schedule_id": "s", "to": "+17195550001"}}}}"#
        )
    };
    let cases = [
        ("malformed.json", r#"{"name": "x", "world": "#.to_owned()),
        (
            "unknown_world_key.json",
            r#"{"name": "x", "world": {"companies": [{"id": "acme", "cps_limit": 1, "colour": "red"}]}, "steps": []}"#.to_owned(),
        ),
        (
            "duplicate_company.json",
            r#"{"name": "x", "world": {"companies": [{"id": "acme", "cps_limit": 1}, {"id": "acme", "cps_limit": 2}]}, "steps": []}"#.to_owned(),
        ),
        (
            "orphan_schedule.json",
            r#"{"name": "x", "world": {"companies": [{"id": "acme", "cps_limit": 1}], "schedules": [{"id": "s", "company_id": "nope", "lead_token": "t"}]}, "steps": []}"#.to_owned(),
        ),
        (
            "backwards.json",
            format!(
                r#"{{"name": "x", "world": {world}, "steps": [{}, {}]}}"#,
                step("2026-11-26T15:00:01Z"),
                step("2026-11-26T15:00:00Z")
            ),
        ),
    ];
    for (name, text) in cases {
        let file = dir.join(name);
        std::fs::write(&file, text).expect("write");
        let out = Command::new(env!("CARGO_BIN_EXE_dialgate"))
            .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
            .arg("check")
            .arg(&file)
            .output()
            .expect("binary runs");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{name}: {stderr}");
        assert_eq!(stderr.trim_end().lines().count(), 1, "{name}: {stderr}");
        assert!(
            stderr.contains(name),
            "{name}: the error names the file: {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{name}: {stderr}");
    }
    let missing = dir.join("does-not-exist.json");
    let out = Command::new(env!("CARGO_BIN_EXE_dialgate"))
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
        .arg("check")
        .arg(&missing)
        .output()
        .expect("binary runs");
    assert_eq!(out.status.code(), Some(2));
    let _ = std::fs::remove_dir_all(&dir);
}
