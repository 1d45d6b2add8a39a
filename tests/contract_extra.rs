//! Extra scenarios written from the contract's text alone (CONTRACT.md), run
//! through the library the way `tests/scenarios.rs` runs the shipped ones.
//!
//! Every `tests/contract_extra/*.json` runs here; `readme_choices.json`
//! pins the README's documented readings where the contract's text is
//! silent (null values, unknown keys, labels, guard names).

use std::path::PathBuf;
use std::process::Command;

use dialgate::host::check_scenario;

fn scenario_files() -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/contract_extra");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/contract_extra exists")
        .map(|e| e.expect("readable entry").path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no scenarios in {}", dir.display());
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

#[test]
fn every_extra_scenario_passes_through_the_library() {
    let mut failures = Vec::new();
    for file in scenario_files() {
        let text = std::fs::read_to_string(&file).expect("readable");
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

#[test]
fn every_extra_scenario_passes_through_the_binary() {
    let files = scenario_files();
    let total: usize = files
        .iter()
        .map(|f| expectations_in(&std::fs::read_to_string(f).expect("readable")))
        .sum();
    let out = Command::new(env!("CARGO_BIN_EXE_dialgate"))
        .arg("check")
        .args(&files)
        .output()
        .expect("binary runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        stdout.lines().last(),
        Some(format!("{total} passed, 0 failed").as_str())
    );
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
        .arg("check")
        .arg(&missing)
        .output()
        .expect("binary runs");
    assert_eq!(out.status.code(), Some(2));
    let _ = std::fs::remove_dir_all(&dir);
}
