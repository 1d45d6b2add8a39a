//! The contract's scenario files, run through the library and through the
//! binary, and the shipped example run end to end.

use std::path::PathBuf;
use std::process::Command;

use dialgate::host::check_scenario;

fn scenario_files() -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/scenarios exists")
        .map(|e| e.expect("readable entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    assert!(
        files.len() >= 8,
        "the contract ships at least 8 scenarios, found {}",
        files.len()
    );
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
fn every_scenario_passes_through_the_library() {
    for file in scenario_files() {
        let text = std::fs::read_to_string(&file).expect("readable");
        let name = file.display().to_string();
        let report = check_scenario(&name, &text).unwrap_or_else(|e| panic!("{e}"));
        assert!(
            report.mismatches.is_empty(),
            "{}",
            report.mismatches.join("\n")
        );
        assert_eq!(
            report.passed,
            expectations_in(&text),
            "{name}: every expectation counted"
        );
    }
}

#[test]
fn every_scenario_passes_through_the_binary() {
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
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let steps = std::fs::read_to_string(root.join("examples/requests.jsonl")).expect("example");
    let out = Command::new(env!("CARGO_BIN_EXE_dialgate"))
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
    for code in dialgate::Rejection::CODES {
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
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut child = Command::new(env!("CARGO_BIN_EXE_dialgate"))
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
        lines[0].starts_with(r#"{"ok":true,"call":{"id":"call-1""#),
        "{stdout}"
    );
    assert!(lines[1].contains(r#""code":"unknown_label""#), "{stdout}");
}
