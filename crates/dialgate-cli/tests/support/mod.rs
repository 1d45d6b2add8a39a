//! What the tests that run `dialgate serve` share: the binary, a started
//! host stopped by pid, and raw HTTP over loopback.
// Each test file uses its own part of this module.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub fn dialgate() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_dialgate"));
    c.current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."));
    c
}

/// The README's key for `sunrise-solar`: base64("pk_sunrise_4f1c2a:sk_sunrise_9d83e07b51a2c6f4").
pub const SUNRISE: &str = "cGtfc3VucmlzZV80ZjFjMmE6c2tfc3VucmlzZV85ZDgzZTA3YjUxYTJjNmY0";

/// A started `dialgate serve`, stopped by pid (SIGKILL) if a test fails.
pub struct Serving {
    pub child: Child,
    pub addr: String,
}

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn serve(extra: &[&str]) -> Serving {
    let mut child = dialgate()
        .args([
            "serve",
            "--world",
            "examples/world.json",
            "--listen",
            "127.0.0.1:0",
        ])
        .args(extra)
        .env("DIALGATE_LOG", "off")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn dialgate serve");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("the ready line");
    let addr = line
        .trim_end()
        .strip_prefix("listening on http://")
        .unwrap_or_else(|| panic!("not a ready line: {line:?}"))
        .to_owned();
    assert!(!addr.ends_with(":0"), "a real port: {addr}");
    Serving { child, addr }
}

pub fn make_call_request(body: &str) -> String {
    format!(
        "POST /api/v1/schedules/make_call HTTP/1.1\r\nHost: x\r\nAuthorization: Basic {SUNRISE}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

pub fn read_reply(mut stream: TcpStream) -> String {
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    let mut reply = String::new();
    stream.read_to_string(&mut reply).expect("reply");
    reply
}
