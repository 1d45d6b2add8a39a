//! `run --redis` and `check --redis` against a real redis-server started by
//! the test (from PATH, a free loopback port, no persistence, stopped by pid
//! on drop). Without redis-server the tests say they skipped, except under
//! CI=true, where they fail.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::process::{Command, Stdio};

use dialgate_redis::testing::TestServer;

fn server(test: &str) -> Option<TestServer> {
    match TestServer::start() {
        Ok(Some(server)) => Some(server),
        Ok(None) => {
            eprintln!("{test}: skipped: no redis-server on PATH (set CI=true to fail instead)");
            None
        }
        Err(e) => panic!("{e}"),
    }
}

fn root() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

fn json_files(dir: &PathBuf) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files
}

fn dialgate(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_dialgate"))
        .current_dir(root())
        .args(args)
        .output()
        .expect("binary runs")
}

/// Every scenario file (the contract's, copied into `tests/scenarios`, and
/// the extra ones) through `check --redis`: the same output as without, file
/// by file and all in one run.
#[test]
fn check_redis_prints_what_check_prints_for_every_scenario() {
    let Some(server) = server("check_redis_prints_what_check_prints_for_every_scenario") else {
        return;
    };
    let url = server.url();
    let mut files = json_files(&root().join("tests/scenarios"));
    files.extend(json_files(&root().join("tests/contract_extra")));
    assert!(files.len() >= 20, "found {}", files.len());
    let names: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
    for name in &names {
        let plain = dialgate(&["check", name]);
        let redis = dialgate(&["check", "--redis", &url, name]);
        assert_eq!(
            String::from_utf8_lossy(&plain.stdout),
            String::from_utf8_lossy(&redis.stdout),
            "{name}"
        );
        assert_eq!(plain.status.code(), redis.status.code(), "{name}");
    }
    let mut all = vec!["check", "--redis", &url];
    all.extend(names.iter().map(String::as_str));
    let out = dialgate(&all);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(stdout.ends_with(" passed, 0 failed\n"), "{stdout}");
}

/// Call ids are random per process: compare lines without them.
fn without_ids(text: &str) -> Vec<serde_json::Value> {
    text.lines()
        .map(|line| {
            let mut v: serde_json::Value = serde_json::from_str(line).expect("JSON line");
            if let Some(call) = v.get_mut("call").and_then(|c| c.as_object_mut()) {
                call.remove("id");
                if call["lead_origin"] == "one_off" {
                    call.remove("lead_id");
                }
            }
            v
        })
        .collect()
}

#[test]
fn run_redis_prints_what_run_prints() {
    let Some(server) = server("run_redis_prints_what_run_prints") else {
        return;
    };
    let plain = dialgate(&[
        "run",
        "--world",
        "examples/world.json",
        "examples/requests.jsonl",
    ]);
    let redis = dialgate(&[
        "run",
        "--world",
        "examples/world.json",
        "--redis",
        &server.url(),
        "examples/requests.jsonl",
    ]);
    assert!(redis.status.success());
    let plain = without_ids(&String::from_utf8_lossy(&plain.stdout));
    assert!(plain.len() > 10);
    assert_eq!(plain, without_ids(&String::from_utf8_lossy(&redis.stdout)));
}

#[test]
fn a_redis_that_is_down_is_bad_input() {
    let out = dialgate(&[
        "check",
        "--redis",
        "redis://:secret@127.0.0.1:1/",
        "tests/scenarios/cps.json",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("connection refused"), "{stderr}");
    assert!(!stderr.contains("secret"), "{stderr}");
}

/// Two `dialgate run --redis` processes on one Redis, deciding the same
/// steps at once: between them, no number twice inside its redial window, no
/// one-off lead twice in flight, never past the company's GCRA.
#[test]
fn two_run_processes_never_admit_beyond_the_contract() {
    let Some(server) = server("two_run_processes_never_admit_beyond_the_contract") else {
        return;
    };
    let dir = std::env::temp_dir().join(format!("dialgate-redis-race-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let world = dir.join("world.json");
    std::fs::write(
        &world,
        r#"{"companies": [{"id": "acme", "cps_limit": 5}],
            "schedules": [{"id": "s", "company_id": "acme", "lead_token": "t"}]}"#,
    )
    .expect("world");
    // 3000 steps, 2 ms apart (6 s of decision time): 40 numbers, one-off
    // leads held open (never settled, so each stays in flight).
    let mut steps = String::new();
    let t0 = dialgate::timefmt::parse("2026-11-26T15:00:00Z").expect("time");
    for i in 0..3000i64 {
        let at = dialgate::timefmt::rfc3339(t0 + chrono::Duration::milliseconds(2 * i));
        let to = format!("+1719555{:04}", i % 40);
        if i % 3 == 0 {
            steps.push_str(&format!(
                r#"{{"at": "{at}", "company_id": "acme", "begin": {{"schedule_id": "s", "to": "{to}"}}, "label": "h{i}"}}"#
            ));
        } else {
            steps.push_str(&format!(
                r#"{{"at": "{at}", "company_id": "acme", "make_call": {{"schedule_id": "s", "to": "{to}"}}}}"#
            ));
        }
        steps.push('\n');
    }
    let steps_file = dir.join("steps.jsonl");
    std::fs::write(&steps_file, steps).expect("steps");
    let url = server.url();
    let children: Vec<_> = (0..2)
        .map(|_| {
            Command::new(env!("CARGO_BIN_EXE_dialgate"))
                .args(["run", "--world"])
                .arg(&world)
                .args(["--redis", &url])
                .arg(&steps_file)
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .expect("spawn")
        })
        .collect();
    let mut admitted: Vec<(String, String)> = Vec::new();
    let mut codes: BTreeMap<String, usize> = BTreeMap::new();
    for child in children {
        let out = child.wait_with_output().expect("run");
        assert!(out.status.success());
        for line in String::from_utf8_lossy(&out.stdout).lines() {
            let v: serde_json::Value = serde_json::from_str(line).expect("JSON");
            match v["call"].as_object() {
                Some(call) => {
                    admitted.push((
                        call["placed_at"].as_str().expect("placed_at").to_owned(),
                        call["to"].as_str().expect("to").to_owned(),
                    ));
                    *codes.entry("admitted".into()).or_default() += 1;
                }
                None => {
                    let code = v["error"]["code"].as_str().expect("code").to_owned();
                    assert_ne!(code, "unavailable", "{line}");
                    *codes.entry(code).or_default() += 1;
                }
            }
        }
    }
    // 6 s < the 30 s window: one dial per number between both processes.
    let mut per_number: HashMap<&str, usize> = HashMap::new();
    for (_, to) in &admitted {
        *per_number.entry(to).or_default() += 1;
    }
    assert!(per_number.values().all(|&n| n == 1), "{per_number:?}");
    // The GCRA: burst 5, then 5 a second: at most 5 + 5 * 6 in 6 s.
    assert!(
        admitted.len() <= 35,
        "{} admitted: {codes:?}",
        admitted.len()
    );
    assert!(
        admitted.len() >= 30,
        "{} admitted: {codes:?}",
        admitted.len()
    );
    assert!(
        codes.get("recently_dialed").copied().unwrap_or(0) > 0,
        "{codes:?}"
    );
    // Exactly the GCRA: every admitted instant passes given the ones before.
    let mut times: Vec<i64> = admitted
        .iter()
        .map(|(at, _)| {
            dialgate::timefmt::parse(at)
                .expect("time")
                .timestamp_nanos_opt()
                .expect("ns")
        })
        .collect();
    times.sort_unstable();
    let mut tat: i64 = i64::MIN;
    for t in times {
        let at = tat.max(t);
        assert!(at - t <= 800_000_000, "admitted past the GCRA at {t}");
        tat = at + 200_000_000;
    }
    let _ = std::fs::remove_dir_all(&dir);
}
