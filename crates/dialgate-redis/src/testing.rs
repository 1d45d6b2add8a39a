//! A throwaway `redis-server` for tests and benches: started from `PATH` on a
//! free loopback port with no persistence, stopped by its pid when dropped
//! (also when the test fails).
//!
//! Without `redis-server` on `PATH`, [`TestServer::start`] answers `Ok(None)`
//! (the caller prints that it skipped), except when the environment has
//! `CI=true`, where it is an error: CI must run these tests for real.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A `redis-server` child process on `127.0.0.1:port`, killed on drop.
///
/// # Example
/// ```no_run
/// use dialgate_redis::testing::TestServer;
/// let Some(server) = TestServer::start().unwrap() else {
///     eprintln!("skipped: no redis-server on PATH");
///     return;
/// };
/// println!("{}", server.url());
/// ```
#[derive(Debug)]
pub struct TestServer {
    child: Child,
    port: u16,
}

impl TestServer {
    /// Starts `redis-server` on a free loopback port, without persistence
    /// (`--save "" --appendonly no`), and waits until it answers.
    ///
    /// # Errors
    /// It does not start or answer within 10 s; or it is not on `PATH` while
    /// `CI=true`.
    ///
    /// # Example
    /// See [`TestServer`].
    pub fn start() -> Result<Option<TestServer>, String> {
        Self::start_with(&[])
    }

    /// [`TestServer::start`] with extra `redis-server` arguments
    /// (`["--maxmemory", "2mb"]`, say).
    ///
    /// # Errors
    /// As [`TestServer::start`].
    ///
    /// # Example
    /// ```no_run
    /// let server = dialgate_redis::testing::TestServer::start_with(&["--maxmemory", "2mb"]);
    /// # let _ = server;
    /// ```
    pub fn start_with(extra: &[&str]) -> Result<Option<TestServer>, String> {
        let found = std::env::var_os("PATH").is_some_and(|path| {
            std::env::split_paths(&path).any(|dir| dir.join("redis-server").is_file())
        });
        if !found {
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                return Err(
                    "redis-server is not on PATH, and CI=true: the Redis tests must run".into(),
                );
            }
            return Ok(None);
        }
        let port = free_port()?;
        Self::start_on(port, extra).map(Some)
    }

    /// Starts `redis-server` on `port` (a restart on the same port).
    fn start_on(port: u16, extra: &[&str]) -> Result<TestServer, String> {
        let port_text = port.to_string();
        let mut args = vec![
            "--port",
            port_text.as_str(),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--daemonize",
            "no",
            "--loglevel",
            "warning",
        ];
        args.extend_from_slice(extra);
        let child = Command::new("redis-server")
            .args(&args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start redis-server: {e}"))?;
        let server = TestServer { child, port };
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if server.ping() {
                return Ok(server);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Err(format!(
            "redis-server on port {port} did not answer within 10 s"
        ))
    }

    /// `redis://127.0.0.1:PORT/`.
    ///
    /// # Example
    /// See [`TestServer`].
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// The server's process id (to SIGSTOP it, say).
    ///
    /// # Example
    /// ```no_run
    /// # let server = dialgate_redis::testing::TestServer::start().unwrap().unwrap();
    /// assert!(server.pid() > 0);
    /// ```
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends `signal` (`"STOP"`, `"CONT"`) to the server by its pid.
    ///
    /// # Errors
    /// `kill` cannot run or fails.
    ///
    /// # Example
    /// ```no_run
    /// # let server = dialgate_redis::testing::TestServer::start().unwrap().unwrap();
    /// server.signal("STOP").unwrap();
    /// server.signal("CONT").unwrap();
    /// ```
    pub fn signal(&self, signal: &str) -> Result<(), String> {
        let status = Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(self.pid().to_string())
            .status()
            .map_err(|e| format!("cannot run kill: {e}"))?;
        if status.success() {
            Ok(())
        } else {
            Err(format!("kill -{signal} {} failed", self.pid()))
        }
    }

    /// Kills the server and starts an empty one on the same port (what a
    /// restart without persistence does: every key and script forgotten).
    ///
    /// # Errors
    /// The new server does not start.
    ///
    /// # Example
    /// ```no_run
    /// # let mut server = dialgate_redis::testing::TestServer::start().unwrap().unwrap();
    /// server.restart_empty().unwrap();
    /// ```
    pub fn restart_empty(&mut self) -> Result<(), String> {
        let _ = self.signal("CONT");
        let _ = self.child.kill();
        let _ = self.child.wait();
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            match Self::start_on(self.port, &[]) {
                Ok(new) => {
                    let old = std::mem::replace(self, new);
                    std::mem::forget(old); // already killed and reaped
                    return Ok(());
                }
                Err(e) if Instant::now() > deadline => return Err(e),
                Err(_) => std::thread::sleep(Duration::from_millis(100)),
            }
        }
    }

    /// Runs one command with `redis-cli` semantics over a plain connection
    /// and answers its reply's lines (`["PONG"]`).
    ///
    /// # Errors
    /// The connection or the command fails.
    ///
    /// # Example
    /// ```no_run
    /// # let server = dialgate_redis::testing::TestServer::start().unwrap().unwrap();
    /// assert_eq!(server.command(&["PING"]).unwrap(), "PONG");
    /// ```
    pub fn command(&self, args: &[&str]) -> Result<String, String> {
        let out = Command::new("redis-cli")
            .arg("-p")
            .arg(self.port.to_string())
            .args(args)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("cannot run redis-cli: {e}"))?;
        let text = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        if out.status.success() {
            Ok(text)
        } else {
            Err(text)
        }
    }

    fn ping(&self) -> bool {
        use std::io::Write;
        let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", self.port)) else {
            return false;
        };
        let _ = stream.set_read_timeout(Some(Duration::from_millis(500)));
        if stream.write_all(b"PING\r\n").is_err() {
            return false;
        }
        let mut line = String::new();
        BufReader::new(stream).read_line(&mut line).is_ok() && line.starts_with("+PONG")
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        // A stopped server ignores SIGTERM until continued; SIGKILL does not.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A loopback port free now (bound and released).
fn free_port() -> Result<u16, String> {
    let listener = TcpListener::bind(("127.0.0.1", 0)).map_err(|e| format!("no free port: {e}"))?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(|e| format!("no free port: {e}"))
}
