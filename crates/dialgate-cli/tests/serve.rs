//! `dialgate serve` as a user runs it: the real binary on a free port with
//! the example world, the README's curl, SIGTERM finishing a slow request.
//! And the command line's help, version and unknown commands.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

mod support;

use support::{dialgate, make_call_request, read_reply, serve, SUNRISE};

fn run(args: &[&str]) -> Output {
    dialgate()
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run dialgate")
}

fn terminate(pid: u32) {
    let status = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
}

#[test]
fn serve_answers_the_readme_curl_and_stops_cleanly_on_sigterm() {
    let mut s = serve(&[]);
    // The README's curl, as raw HTTP.
    let mut stream = TcpStream::connect(&s.addr).expect("connect");
    let body = r#"{"schedule_id": "123", "to": "+17195551234", "data": {"first_name": "Ann", "source": "web"}}"#;
    stream
        .write_all(make_call_request(body).as_bytes())
        .expect("send");
    let reply = read_reply(stream);
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
    assert!(
        reply
            .to_ascii_lowercase()
            .contains("content-type: application/json"),
        "{reply}"
    );
    assert!(reply.contains(r#""ok":true"#), "{reply}");
    assert!(reply.contains(r#""schedule_id":"123""#), "{reply}");

    // A slow request: the headers and half the body now, the rest after
    // SIGTERM. The host finishes it, then exits 0.
    let body = r#"{"schedule_id": "123", "to": "+17195550142"}"#;
    let request = make_call_request(body);
    let (first, rest) = request.split_at(request.len() - body.len() / 2);
    let mut slow = TcpStream::connect(&s.addr).expect("connect");
    slow.write_all(first.as_bytes()).expect("send");
    slow.flush().expect("flush");
    // Give the host the time to take the request in (ordering only: no
    // assertion depends on how long anything took).
    std::thread::sleep(Duration::from_millis(300));
    terminate(s.child.id());
    std::thread::sleep(Duration::from_millis(300));
    slow.write_all(rest.as_bytes()).expect("send the rest");
    let reply = read_reply(slow);
    assert!(
        reply.starts_with("HTTP/1.1 200"),
        "the slow request finished: {reply}"
    );
    assert!(reply.contains(r#""to":"+17195550142""#), "{reply}");
    let status = s.child.wait().expect("wait");
    assert_eq!(status.code(), Some(0), "exit 0 after SIGTERM");
}

#[test]
fn serve_takes_health_and_refuses_bad_keys() {
    let s = serve(&["--hold-lease-s", "5"]);
    let get = |path: &str| {
        let mut stream = TcpStream::connect(&s.addr).expect("connect");
        write!(
            stream,
            "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        )
        .expect("send");
        read_reply(stream)
    };
    assert!(get("/healthz").starts_with("HTTP/1.1 200"));
    assert!(get("/readyz").starts_with("HTTP/1.1 200"));
    assert!(get("/metrics").contains("dialgate_decisions_total"));
    let reply = get("/nope");
    assert!(
        reply.starts_with("HTTP/1.1 404") && reply.contains("not_found"),
        "{reply}"
    );
    let mut stream = TcpStream::connect(&s.addr).expect("connect");
    let request = make_call_request("{}").replace(SUNRISE, "cGtfc3VucmlzZV80ZjFjMmE6d3Jvbmc=");
    stream.write_all(request.as_bytes()).expect("send");
    let reply = read_reply(stream);
    assert!(reply.starts_with("HTTP/1.1 401"), "{reply}");
    assert!(reply.contains("Basic realm=\"dialgate\""), "{reply}");
}

#[test]
fn serve_refuses_bad_input_with_exit_2() {
    for (args, what) in [
        (&["serve"][..], "needs `--world"),
        (&["serve", "--world", "nope.json"], "nope.json: cannot read"),
        (
            &["serve", "--world", "examples/requests.jsonl"],
            "examples/requests.jsonl",
        ),
        (
            &[
                "serve",
                "--world",
                "examples/world.json",
                "--hold-lease-s",
                "0",
            ],
            "--hold-lease-s",
        ),
        (
            &[
                "serve",
                "--world",
                "examples/world.json",
                "--hold-lease-s",
                "x",
            ],
            "--hold-lease-s",
        ),
        (
            &["serve", "--world", "examples/world.json", "--frob"],
            "unknown option `--frob`",
        ),
        (&["serve", "--world"], "needs a file"),
    ] {
        let out = run(args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(what), "{args:?}: {err}");
        assert!(out.stdout.is_empty(), "{args:?}");
    }
    // An address that cannot be listened on: exit 1, one line.
    let out = run(&[
        "serve",
        "--world",
        "examples/world.json",
        "--listen",
        "256.0.0.1:1",
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("cannot serve on 256.0.0.1:1"), "{err}");
}

#[test]
fn every_command_has_help_and_exits_0() {
    for args in [
        &["--help"][..],
        &["-h"],
        &["help"],
        &["help", "run"],
        &["help", "serve"],
        &["help", "registry"],
        &["run", "--help"],
        &["check", "--help"],
        &["serve", "--help"],
        &["serve", "--world", "examples/world.json", "--help"],
        &["registry", "--help"],
        &["registry", "build", "--help"],
        &["registry", "apply", "--help"],
        &["registry", "info", "--help"],
    ] {
        let out = run(args);
        let text = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(0), "{args:?}");
        assert!(text.starts_with("usage"), "{args:?}: {text}");
    }
    let serve_help = String::from_utf8_lossy(&run(&["serve", "--help"]).stdout).into_owned();
    for option in [
        "--world",
        "--listen",
        "--redis",
        "--hold-lease-s",
        "SIGTERM",
    ] {
        assert!(serve_help.contains(option), "{option}: {serve_help}");
    }
    let main_help = String::from_utf8_lossy(&run(&["--help"]).stdout).into_owned();
    for command in ["run", "check", "serve", "registry"] {
        assert!(
            main_help.contains(&format!("dialgate {command}")),
            "{command}"
        );
    }
}

#[test]
fn version_prints_the_version() {
    for flag in ["--version", "-V"] {
        let out = run(&[flag]);
        assert_eq!(out.status.code(), Some(0));
        assert_eq!(
            String::from_utf8_lossy(&out.stdout).trim_end(),
            concat!("dialgate ", env!("CARGO_PKG_VERSION"))
        );
    }
}

#[test]
fn an_unknown_command_lists_the_commands() {
    let out = run(&["frobnicate"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert!(err.contains("unknown command `frobnicate`"), "{err}");
    for command in ["run", "check", "serve", "registry"] {
        assert!(
            err.contains(&format!("dialgate {command}")),
            "{command}: {err}"
        );
    }
    let out = run(&[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("dialgate serve"));
}

#[test]
fn run_ends_with_a_summary_by_code_on_stderr() {
    let out = run(&[
        "run",
        "--world",
        "examples/world.json",
        "examples/requests.jsonl",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let err = String::from_utf8_lossy(&out.stderr);
    let last = err.lines().last().unwrap_or_default();
    let steps = String::from_utf8_lossy(&out.stdout).lines().count();
    assert!(
        last.starts_with(&format!("dialgate: {steps} steps: ")),
        "{last}"
    );
    for code in [
        "admitted 12",
        "suppressed_contact 3",
        "recently_dialed 3",
        "settled 2",
    ] {
        assert!(last.contains(code), "{code}: {last}");
    }
}

#[test]
fn each_request_is_one_json_log_line_without_keys() {
    let mut child = dialgate()
        .args([
            "serve",
            "--world",
            "examples/world.json",
            "--listen",
            "127.0.0.1:0",
        ])
        .env_remove("DIALGATE_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn dialgate serve");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("the ready line");
    let addr = line
        .trim_end()
        .trim_start_matches("listening on http://")
        .to_owned();
    let send = |request: String| {
        let mut stream = TcpStream::connect(&addr).expect("connect");
        stream.write_all(request.as_bytes()).expect("send");
        read_reply(stream)
    };
    let ok = send(make_call_request(
        r#"{"schedule_id": "123", "to": "+17195550199"}"#,
    ));
    let call_id = ok
        .split(r#""id":""#)
        .nth(1)
        .and_then(|r| r.split('"').next())
        .expect("a call id")
        .to_owned();
    send(make_call_request("{}").replace(SUNRISE, "cGtfc3VucmlzZV80ZjFjMmE6c2tfd3Jvbmc="));
    terminate(child.id());
    let status = child.wait().expect("wait");
    assert_eq!(status.code(), Some(0));
    let mut log = String::new();
    child
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut log)
        .expect("log");
    let lines: Vec<serde_json::Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    let requests: Vec<&serde_json::Value> =
        lines.iter().filter(|l| l["message"] == "request").collect();
    assert_eq!(requests.len(), 2, "{log}");
    let admitted = requests[0];
    assert_eq!(admitted["method"], "POST");
    assert_eq!(admitted["path"], "/api/v1/schedules/make_call");
    assert_eq!(admitted["status"], 200);
    assert_eq!(admitted["company"], "sunrise-solar");
    assert_eq!(admitted["code"], "admitted");
    assert_eq!(admitted["call_id"], call_id.as_str());
    assert!(admitted["latency_us"].is_u64());
    assert_eq!(
        (requests[1]["status"].as_u64(), requests[1]["code"].as_str()),
        (Some(401), Some("unauthorized"))
    );
    for secret in [
        "sk_sunrise",
        "sk_wrong",
        SUNRISE,
        "cGtfc3VucmlzZV80ZjFjMmE6c2tfd3Jvbmc",
        "Authorization",
        "authorization",
    ] {
        assert!(!log.contains(secret), "`{secret}` in the log:\n{log}");
    }
}
