//! The command-line host's output and input limits (issue 12, items 3, 5,
//! 7 and 8): a write error is a one-line error and a non-zero exit, never a
//! panic; input is bounded; errors stay one short line.

use std::io::Write;
use std::process::{Command, Stdio};

/// The binary, run from the repository's root (the paths below are).
fn dialgate() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_dialgate"));
    command.current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."));
    command
}

fn dev_full() -> Option<std::fs::File> {
    std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .ok()
}

fn stderr_line(out: &std::process::Output) -> String {
    let text = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!text.contains("panicked"), "a panic: {text}");
    text
}

/// Before: `check` and `help` panicked (exit 101), `run` exited 0 with its
/// output lost.
#[test]
fn a_full_disk_is_an_error_for_every_command() {
    let Some(_) = dev_full() else {
        eprintln!("skipped: no /dev/full on this machine");
        return;
    };
    let cases: [&[&str]; 5] = [
        &["check", "tests/scenarios/cps.json"],
        &["help"],
        &["--version"],
        &[
            "run",
            "--world",
            "examples/world.json",
            "examples/requests.jsonl",
        ],
        &["run", "--help"],
    ];
    for args in cases {
        let out = dialgate()
            .args(args)
            .stdout(dev_full().expect("/dev/full"))
            .output()
            .expect("run dialgate");
        let err = stderr_line(&out);
        assert_eq!(out.status.code(), Some(3), "{args:?}: {err}");
        assert!(err.contains("cannot write the output"), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
    }
}

#[test]
fn a_closed_pipe_is_an_error_not_a_panic() {
    for args in [
        &[
            "check",
            "tests/scenarios/cps.json",
            "tests/scenarios/guards.json",
        ][..],
        &[
            "run",
            "--world",
            "examples/world.json",
            "examples/requests.jsonl",
        ][..],
    ] {
        let mut child = dialgate()
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn");
        // Close the reading end before the first write.
        drop(child.stdout.take());
        let out = child.wait_with_output().expect("wait");
        let err = stderr_line(&out);
        assert_eq!(out.status.code(), Some(3), "{args:?}: {err}");
    }
}

#[test]
fn an_endless_world_file_is_refused_with_a_bounded_read() {
    let out = dialgate()
        .args(["run", "--world", "/dev/zero"])
        .stdin(Stdio::null())
        .output()
        .expect("run");
    let err = stderr_line(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("/dev/zero: larger than"), "{err}");
}

#[test]
fn an_endless_step_line_is_refused() {
    let mut child = dialgate()
        .args(["run", "--world", "examples/world.json"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut stdin = child.stdin.take().expect("stdin");
    let chunk = vec![b' '; 64 << 10];
    // Writing stops when dialgate gives up and closes its end.
    for _ in 0..64 {
        if stdin.write_all(&chunk).is_err() {
            break;
        }
    }
    drop(stdin);
    let out = child.wait_with_output().expect("wait");
    let err = stderr_line(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("<stdin>:1: a step line is longer than"),
        "{err}"
    );
}

fn world_error(world: &str) -> String {
    let dir = std::env::temp_dir().join(format!("dialgate-cli-io-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join(format!("{:x}.json", world.len()));
    std::fs::write(&path, world).expect("write");
    let out = dialgate()
        .args(["run", "--world"])
        .arg(&path)
        .stdin(Stdio::null())
        .output()
        .expect("run");
    let _ = std::fs::remove_file(&path);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr_line(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    err
}

/// Before: a 100 MB unknown key gave a 100 MB stderr line; U+2028 was not
/// escaped.
#[test]
fn errors_echo_a_few_dozen_characters_of_input_on_one_line() {
    let key = "k".repeat(1 << 20);
    let err = world_error(&format!(r#"{{"companies": [], "{key}": 1}}"#));
    assert!(err.len() < 600, "{} bytes", err.len());
    assert!(err.contains('…'), "{err}");
    let err = world_error("{\"companies\": [{\"id\": \"a\u{2028}b\", \"cps_limit\": 0}]}");
    assert!(err.contains("\\u{2028}"), "{err}");
}

/// Before: ids no request can name (over 128 bytes) loaded.
#[test]
fn ids_over_128_bytes_are_refused() {
    let long = "x".repeat(129);
    for world in [
        format!(r#"{{"companies": [{{"id": "{long}", "cps_limit": 1}}]}}"#),
        format!(
            r#"{{"companies": [{{"id": "a", "cps_limit": 1}}], "schedules": [{{"id": "{long}", "company_id": "a", "lead_token": "t"}}]}}"#
        ),
        format!(
            r#"{{"companies": [{{"id": "a", "cps_limit": 1}}], "schedules": [{{"id": "s", "company_id": "a", "lead_token": "{long}"}}]}}"#
        ),
    ] {
        let err = world_error(&world);
        assert!(err.contains("longer than 128 bytes"), "{err}");
    }
    let err = world_error(
        r#"{"companies": [{"id": "a", "cps_limit": 1, "redial_window_s": 4000000000}]}"#,
    );
    assert!(err.contains("redial_window_s"), "{err}");
}

/// Before: `12:34:60` was read on any minute (a leap second that sorts
/// before the next second), and the last instant chrono can hold was
/// accepted, where two dials of one lead were both admitted.
#[test]
fn second_60_and_instants_past_2200_are_bad_input() {
    let world = r#"{"companies": [{"id": "a", "cps_limit": 5}], "schedules": [{"id": "s", "company_id": "a", "lead_token": "t"}]}"#;
    let dir = std::env::temp_dir().join(format!("dialgate-cli-io-at-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join("world.json");
    std::fs::write(&path, world).expect("write");
    for at in [
        "2026-11-26T12:34:60Z",
        "2262-04-11T23:47:16.854775807Z",
        "1969-12-31T23:59:59Z",
    ] {
        let mut child = dialgate()
            .args(["run", "--world"])
            .arg(&path)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn");
        let step = format!(
            r#"{{"at": "{at}", "company_id": "a", "make_call": {{"schedule_id": "s", "to": "+17195551234"}}}}"#
        );
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(step.as_bytes())
            .expect("write");
        let out = child.wait_with_output().expect("wait");
        let err = stderr_line(&out);
        assert_eq!(out.status.code(), Some(2), "{at}: {err}");
        assert!(out.stdout.is_empty(), "{at}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
