//! Registry lists end to end (issue 11): `dialgate registry build` makes a
//! file, a world names it, and `run` consults it at step 7: registered, not
//! covered and stale numbers are refused, naming the list and why.

use std::io::Write;
use std::process::{Command, Stdio};

fn dialgate() -> Command {
    Command::new(env!("CARGO_BIN_EXE_dialgate"))
}

fn run_steps(
    world: &std::path::Path,
    steps: &str,
) -> (Option<i32>, Vec<serde_json::Value>, String) {
    let mut child = dialgate()
        .args(["run", "--world"])
        .arg(world)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(steps.as_bytes())
        .expect("steps");
    let out = child.wait_with_output().expect("wait");
    let lines = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    (
        out.status.code(),
        lines,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_world_registry_is_consulted_and_fails_closed() {
    let dir = std::env::temp_dir().join(format!("dialgate-registry-e2e-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    std::fs::write(dir.join("212.txt"), "2125550100\n2125550101\n").expect("ftc");
    let built = dialgate()
        .current_dir(&dir)
        .args([
            "registry",
            "build",
            "--out",
            "federal.reg",
            "--as-of",
            "2026-12-01",
            "--ftc",
            "212.txt",
        ])
        .output()
        .expect("build");
    assert!(
        built.status.success(),
        "{}",
        String::from_utf8_lossy(&built.stderr)
    );
    std::fs::write(
        dir.join("world.json"),
        r#"{"companies": [{"id": "acme", "cps_limit": 100}, {"id": "exempt", "cps_limit": 100}],
            "schedules": [{"id": "s", "company_id": "acme", "lead_token": "t"},
                          {"id": "x", "company_id": "exempt", "lead_token": "tx"}],
            "registries": [{"name": "federal", "file": "federal.reg", "company_ids": ["acme"]}]}"#,
    )
    .expect("world");
    let step = |at: &str, company: &str, schedule: &str, to: &str| {
        format!(
            r#"{{"at": "{at}", "company_id": "{company}", "make_call": {{"schedule_id": "{schedule}", "to": "{to}"}}}}"#
        ) + "\n"
    };
    let steps = [
        step("2026-12-02T15:00:00Z", "acme", "s", "+12125550100"), // registered
        step("2026-12-02T15:00:00Z", "acme", "s", "+12125550199"), // covered, not registered
        step("2026-12-02T15:00:00Z", "acme", "s", "+13055550100"), // 305 not covered
        step("2026-12-02T15:00:00Z", "acme", "s", "+442071838750"), // not NANP
        step("2026-12-02T15:00:00Z", "exempt", "x", "+12125550100"), // list not for this company
        step("2027-01-02T15:00:01Z", "acme", "s", "+12125550177"), // 32 days old: stale
    ]
    .concat();
    let (code, lines, stderr) = run_steps(&dir.join("world.json"), &steps);
    assert_eq!(code, Some(0), "{stderr}");
    let codes: Vec<&str> = lines
        .iter()
        .map(|l| l["error"]["code"].as_str().unwrap_or("admitted"))
        .collect();
    assert_eq!(
        codes,
        [
            "suppressed_contact",
            "admitted",
            "suppressed_contact",
            "admitted",
            "admitted",
            "suppressed_contact"
        ]
    );
    let message = |i: usize| {
        lines[i]["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    assert!(
        message(0).contains("federal") && message(0).contains("registered"),
        "{}",
        message(0)
    );
    assert!(message(2).contains("305"), "{}", message(2));
    assert!(message(5).contains("stale"), "{}", message(5));

    // A missing or corrupt file is a world-file error, exit 2.
    std::fs::write(dir.join("federal.reg"), b"not a registry").expect("corrupt");
    let (code, _, stderr) = run_steps(&dir.join("world.json"), "");
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("registries[0]"), "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}
