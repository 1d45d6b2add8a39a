//! `dialgate`: runs the make_call engine on a JSON world and a stream of steps.

use std::collections::BTreeMap;
use std::io::{self, BufRead, BufWriter, Read, Write};
use std::process::ExitCode;

use std::path::Path;
use std::sync::Arc;

/// mimalloc: the HTTP host allocates a little per request on every worker
/// thread, where glibc's malloc spent a fifth of the host's time (arenas,
/// consolidation) under load.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use dialgate::host::{check_scenario_with, check_scenario_with_admission, Host};
use dialgate::{RegistryList, RegistrySpec, World};

const USAGE: &str = "usage:
  dialgate run --world WORLD.json [--redis URL] [STEPS.jsonl]
                                                  decide each step (stdin when no file), one JSON line each
  dialgate check [--redis URL] SCENARIO.json...   run scenarios and compare their expectations
  dialgate serve --world WORLD.json [--listen ADDR] [--redis URL] [--hold-lease-s N]
                                                  the HTTP host (POST /api/v1/schedules/make_call)
  dialgate registry build|apply|info ...          build and update do-not-call registry files
  dialgate help [COMMAND] | --help | --version
Every command takes --help.";

const RUN_USAGE: &str = "usage: dialgate run --world WORLD.json [--redis URL] [STEPS.jsonl]
  Decides each step of STEPS.jsonl (stdin when no file or `-`) against the
  world and prints one JSON line a step; a summary of the decisions by code
  goes to stderr at the end. Exit 0, 2 on bad input, 3 when stdout fails.
  --redis URL  keep admission (steps 9 to 12) in that Redis server, under
               `dialgate:`, shared with every process using it; decisions
               still take the steps' times.";

const CHECK_USAGE: &str = "usage: dialgate check [--redis URL] SCENARIO.json...
  Runs each scenario, prints every mismatch (file, step, expected, got) and a
  last line `N passed, M failed`. Exit 0 when none failed, 1 otherwise, 2 on
  bad input, 3 when stdout fails.
  --redis URL  keep admission in that Redis server, each scenario under a
               fresh namespace (empty admission state).";

const SERVE_USAGE: &str =
    "usage: dialgate serve --world WORLD.json [--listen ADDR] [--redis URL] [--hold-lease-s N]
  Serves the HTTP host: POST /api/v1/schedules/make_call (HTTP Basic with a
  company's API key from the world's `api_keys`), /api/v1/calls/{id}/commit
  and /release for calls made with ?hold=true, /healthz, /readyz, /metrics.
  --listen ADDR      where to listen (default 127.0.0.1:8080; port 0 picks a free port)
  --hold-lease-s N   seconds a held call may stay unsettled before it is committed (default 60)
  --redis URL        admission shared by a fleet, in that Redis server
  Prints `listening on http://HOST:PORT` on stdout when ready, one JSON log
  line per request on stderr (level from DIALGATE_LOG: off, error, warn,
  info, debug). SIGTERM or SIGINT: stops accepting, finishes the requests
  under way (10 s at most), commits the open holds, exits 0. Exit 2 on bad
  input, 1 when it cannot listen.";

/// Exit code for bad input (unreadable or invalid files, bad arguments).
const BAD_INPUT: u8 = 2;
/// Exit code when the output cannot be written (a closed pipe, a full disk).
const OUTPUT_FAILED: u8 = 3;

/// The largest world or scenario file read, bytes: a world of a million
/// leads is about 120 MB. Larger (or endless: `/dev/zero`) is bad input.
const MAX_FILE_BYTES: u64 = 256 << 20;
/// The longest step line read, bytes: a request body is at most 64 KiB.
const MAX_STEP_LINE_BYTES: u64 = 1 << 20;

/// Why a command stopped: bad input, or output that could not be written.
enum Failure {
    BadInput(String),
    Output(io::Error),
}

impl From<String> for Failure {
    fn from(message: String) -> Self {
        Failure::BadInput(message)
    }
}

impl From<&str> for Failure {
    fn from(message: &str) -> Self {
        Failure::BadInput(message.to_owned())
    }
}

impl From<io::Error> for Failure {
    fn from(e: io::Error) -> Self {
        Failure::Output(e)
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let rest = args.get(1..).unwrap_or_default();
    let outcome = match args.first().map(String::as_str) {
        Some("run") => run(rest),
        Some("check") => check(rest),
        Some("serve") => serve(rest),
        Some("registry") => {
            let mut out = io::stdout().lock();
            let mut err = io::stderr().lock();
            let code = dialgate_registry::cli::run(rest, &mut out, &mut err);
            Ok(ExitCode::from(u8::try_from(code).unwrap_or(BAD_INPUT)))
        }
        Some("help") => match rest.first().map(String::as_str) {
            Some("run") => say(RUN_USAGE),
            Some("check") => say(CHECK_USAGE),
            Some("serve") => say(SERVE_USAGE),
            Some("registry") => {
                let mut out = io::stdout().lock();
                let mut err = io::stderr().lock();
                let help = ["--help".to_owned()];
                let code = dialgate_registry::cli::run(&help, &mut out, &mut err);
                Ok(ExitCode::from(u8::try_from(code).unwrap_or(BAD_INPUT)))
            }
            _ => say(USAGE),
        },
        Some("-h" | "--help") => say(USAGE),
        Some("-V" | "--version") => say(concat!("dialgate ", env!("CARGO_PKG_VERSION"))),
        Some(other) => Err(Failure::BadInput(format!(
            "unknown command `{}`\n{USAGE}",
            dialgate::world::one_line(other)
        ))),
        None => Err(Failure::BadInput(format!("expected a command\n{USAGE}"))),
    };
    match outcome {
        Ok(code) => code,
        Err(Failure::BadInput(message)) => {
            eprintln!("dialgate: {message}");
            ExitCode::from(BAD_INPUT)
        }
        Err(Failure::Output(e)) => {
            // stderr may be gone too; there is nothing else to tell.
            let _ = writeln!(io::stderr(), "dialgate: cannot write the output: {e}");
            ExitCode::from(OUTPUT_FAILED)
        }
    }
}

/// Prints `text` on stdout and succeeds, or fails as output.
fn say(text: &str) -> Result<ExitCode, Failure> {
    let mut out = io::stdout().lock();
    writeln!(out, "{text}")?;
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

fn wants_help(args: &[String]) -> bool {
    args.iter().any(|a| a == "--help" || a == "-h")
}

/// A whole file, at most [`MAX_FILE_BYTES`].
fn read(path: &str) -> Result<String, String> {
    let file = std::fs::File::open(path).map_err(|e| format!("{path}: cannot read: {e}"))?;
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("{path}: cannot read: {e}"))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(format!(
            "{path}: larger than the {} MiB a file may be",
            MAX_FILE_BYTES >> 20
        ));
    }
    String::from_utf8(bytes).map_err(|e| {
        format!(
            "{path}: not UTF-8 text (byte {})",
            e.utf8_error().valid_up_to()
        )
    })
}

/// A world's registry list, opened from its file with `dialgate-registry`.
#[derive(Debug)]
struct OpenedList(dialgate_registry::RegistryList);

impl RegistryList for OpenedList {
    fn name(&self) -> &str {
        &self.0.name
    }

    fn check(
        &self,
        company_id: &str,
        digits: u64,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), String> {
        self.0
            .check(company_id, digits, now)
            .map_err(|refusal| refusal.to_string())
    }
}

/// Opens registry lists, a relative file from `folder` (the world file's).
fn opener(folder: &Path) -> impl Fn(&RegistrySpec) -> Result<Arc<dyn RegistryList>, String> + '_ {
    move |spec| {
        let path = folder.join(&spec.file);
        dialgate_registry::RegistryList::open(
            spec.name.clone(),
            &path,
            spec.company_ids.clone(),
            spec.max_age_days,
        )
        .map(|list| Arc::new(OpenedList(list)) as Arc<dyn RegistryList>)
        .map_err(|e| e.to_string())
    }
}

fn folder_of(path: &str) -> &Path {
    Path::new(path).parent().unwrap_or(Path::new("."))
}

fn run(args: &[String]) -> Result<ExitCode, Failure> {
    if wants_help(args) {
        return say(RUN_USAGE);
    }
    let mut world_path = None;
    let mut steps_path = None;
    let mut redis_url = None;
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        if let Some(url) = redis_option(arg, &mut it)? {
            redis_url = Some(url);
        } else if arg == "--world" {
            world_path = Some(it.next().ok_or("`--world` needs a file")?.clone());
        } else if let Some(path) = arg.strip_prefix("--world=") {
            world_path = Some(path.to_owned());
        } else if arg.starts_with('-') && arg != "-" {
            return Err(Failure::BadInput(format!(
                "unknown option `{}`\n{RUN_USAGE}",
                dialgate::world::one_line(arg)
            )));
        } else if steps_path.replace(arg.clone()).is_some() {
            return Err(Failure::BadInput(format!(
                "one steps file at most\n{RUN_USAGE}"
            )));
        }
    }
    let world_path = world_path.ok_or(format!("`run` needs `--world WORLD.json`\n{RUN_USAGE}"))?;
    let world = World::from_json(&read(&world_path)?).map_err(|e| format!("{world_path}: {e}"))?;
    let mut host = Host::with_registries(world, &opener(folder_of(&world_path)))
        .map_err(|e| format!("{world_path}: {e}"))?;
    if let Some(url) = redis_url {
        host = host.with_admission(Arc::new(
            redis_admission(&url)?
                .with_namespace("dialgate:")
                .map_err(|e| e.to_string())?,
        ));
    }

    let (name, mut input): (String, Box<dyn BufRead>) = match steps_path.as_deref() {
        None | Some("-") => ("<stdin>".into(), Box::new(io::stdin().lock())),
        Some(path) => {
            let file =
                std::fs::File::open(path).map_err(|e| format!("{path}: cannot read: {e}"))?;
            (path.to_owned(), Box::new(io::BufReader::new(file)))
        }
    };
    let mut out = BufWriter::new(io::stdout().lock());
    let mut by_code: BTreeMap<String, u64> = BTreeMap::new();
    let mut line = Vec::new();
    for number in 1.. {
        line.clear();
        let read = input
            .by_ref()
            .take(MAX_STEP_LINE_BYTES + 1)
            .read_until(b'\n', &mut line)
            .map_err(|e| format!("{name}:{number}: cannot read: {e}"))?;
        if read == 0 {
            break;
        }
        if line.len() as u64 > MAX_STEP_LINE_BYTES {
            out.flush()?;
            return Err(Failure::BadInput(format!(
                "{name}:{number}: a step line is longer than {} MiB",
                MAX_STEP_LINE_BYTES >> 20
            )));
        }
        let text =
            std::str::from_utf8(&line).map_err(|_| format!("{name}:{number}: not UTF-8 text"))?;
        if text.trim().is_empty() {
            continue;
        }
        match host.step_json(text) {
            Ok(output) => {
                let code = match output["error"]["code"].as_str() {
                    Some(code) => code.to_owned(),
                    None if output.get("call").is_some() => "admitted".to_owned(),
                    None => "settled".to_owned(),
                };
                *by_code.entry(code).or_default() += 1;
                writeln!(out, "{output}")?;
            }
            Err(e) => {
                out.flush()?;
                return Err(Failure::BadInput(format!("{name}:{number}: {e}")));
            }
        }
    }
    out.flush()?;
    let total: u64 = by_code.values().sum();
    let counts: Vec<String> = by_code.iter().map(|(c, n)| format!("{c} {n}")).collect();
    let _ = writeln!(
        io::stderr(),
        "dialgate: {total} steps: {}",
        if counts.is_empty() {
            "none".to_owned()
        } else {
            counts.join(", ")
        }
    );
    Ok(ExitCode::SUCCESS)
}

fn check(args: &[String]) -> Result<ExitCode, Failure> {
    if wants_help(args) {
        return say(CHECK_USAGE);
    }
    let mut files = Vec::new();
    let mut redis_url = None;
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match redis_option(arg, &mut it)? {
            Some(url) => redis_url = Some(url),
            None => files.push(arg.clone()),
        }
    }
    let redis = redis_url.as_deref().map(redis_admission).transpose()?;
    // A namespace per scenario, unique to this run: each starts empty.
    let run_id = format!(
        "dialgate-check:{}-{}:",
        std::process::id(),
        chrono::Utc::now().timestamp_nanos_opt().unwrap_or_default()
    );
    if files.is_empty() {
        return Err(Failure::BadInput(format!(
            "`check` needs at least one scenario file\n{CHECK_USAGE}"
        )));
    }
    // Every file is read and run before anything is printed: bad input is
    // the one-line error alone, as the contract says.
    let mut reports = Vec::with_capacity(files.len());
    for (i, file) in files.iter().enumerate() {
        let open = opener(folder_of(file));
        let text = read(file)?;
        reports.push(match &redis {
            None => check_scenario_with(file, &text, &open)?,
            Some(redis) => {
                let fresh = redis
                    .with_namespace(&format!("{run_id}{i}:"))
                    .map_err(|e| e.to_string())?;
                check_scenario_with_admission(file, &text, &open, Arc::new(fresh))?
            }
        });
    }
    let mut out = BufWriter::new(io::stdout().lock());
    let (mut passed, mut failed) = (0usize, 0usize);
    for report in reports {
        passed += report.passed;
        failed += report.mismatches.len();
        for line in report.mismatches {
            writeln!(out, "{line}")?;
        }
    }
    writeln!(out, "{passed} passed, {failed} failed")?;
    out.flush()?;
    Ok(if failed > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

fn serve(args: &[String]) -> Result<ExitCode, Failure> {
    if wants_help(args) {
        return say(SERVE_USAGE);
    }
    let mut world_path = None;
    let mut listen = "127.0.0.1:8080".to_owned();
    let mut redis = None;
    let mut options = dialgate_server::Options::default();
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let (name, inline) = match arg.split_once('=') {
            Some((name, value)) if name.starts_with("--") => (name, Some(value.to_owned())),
            _ => (arg.as_str(), None),
        };
        let mut value = |what: &str| -> Result<String, Failure> {
            match &inline {
                Some(v) => Ok(v.clone()),
                None => it.next().cloned().ok_or_else(|| {
                    Failure::BadInput(format!("`{name}` needs {what}\n{SERVE_USAGE}"))
                }),
            }
        };
        match name {
            "--world" => world_path = Some(value("a file")?),
            "--listen" => listen = value("an address")?,
            "--redis" => redis = Some(value("a URL")?),
            "--hold-lease-s" => {
                let text = value("a number of seconds")?;
                let secs = text
                    .parse::<u32>()
                    .ok()
                    .filter(|s| *s >= 1)
                    .ok_or_else(|| {
                        format!(
                        "`--hold-lease-s` must be a whole number of seconds, at least 1, not `{}`",
                        dialgate::world::one_line(&text)
                    )
                    })?;
                options.hold_lease = std::time::Duration::from_secs(u64::from(secs));
            }
            _ => {
                return Err(Failure::BadInput(format!(
                    "unknown option `{}`\n{SERVE_USAGE}",
                    dialgate::world::one_line(arg)
                )))
            }
        }
    }
    let world_path =
        world_path.ok_or(format!("`serve` needs `--world WORLD.json`\n{SERVE_USAGE}"))?;
    let world = World::from_json(&read(&world_path)?).map_err(|e| format!("{world_path}: {e}"))?;
    let open = opener(folder_of(&world_path));
    let lists = world
        .registries()
        .iter()
        .enumerate()
        .map(|(i, spec)| {
            open(spec).map_err(|e| format!("{world_path}: registries[{i}] (`{}`): {e}", spec.name))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let hold_lease = options.hold_lease;
    let mut builder = dialgate_server::App::builder(world)
        .registries(lists)
        .options(options);
    if let Some(url) = &redis {
        // Decisions then run on the blocking pool (see dialgate-server).
        builder = builder.admission(fleet_admission(url, hold_lease)?);
    }
    let app = builder.build();
    let served = app.run(&listen, |addr| {
        let mut out = io::stdout().lock();
        writeln!(out, "listening on http://{addr}")?;
        out.flush()
    });
    match served {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(e) => {
            let _ = writeln!(
                io::stderr(),
                "dialgate: cannot serve on {}: {e}",
                dialgate::world::one_line(&listen)
            );
            Ok(ExitCode::FAILURE)
        }
    }
}

/// The fleet admission state in the Redis server at `url` (`--redis`):
/// the Redis server's clock, holds committed when `hold_lease` ends. It
/// connects when first asked, so the host starts with Redis down and
/// answers `/readyz` 503 (and make_call `unavailable`) until it is up.
fn fleet_admission(
    url: &str,
    hold_lease: std::time::Duration,
) -> Result<Arc<dyn dialgate::Admission>, Failure> {
    let admission = dialgate_redis::RedisAdmission::for_fleet(url, hold_lease)
        .map_err(|e| format!("`--redis`: {e}"))?;
    Ok(Arc::new(admission))
}

/// `--redis URL` or `--redis=URL` at `arg`: the URL.
fn redis_option(
    arg: &str,
    rest: &mut std::slice::Iter<'_, String>,
) -> Result<Option<String>, String> {
    if arg == "--redis" {
        return rest
            .next()
            .cloned()
            .map(Some)
            .ok_or_else(|| "`--redis` needs a URL".to_owned());
    }
    Ok(arg.strip_prefix("--redis=").map(str::to_owned))
}

/// Decision-time admission in the Redis server at `url` (the steps' times,
/// no hold lease), which must answer now: a server that is down is bad input
/// here, not a run of `unavailable` lines.
fn redis_admission(url: &str) -> Result<dialgate_redis::RedisAdmission, String> {
    use dialgate::Admission;
    let options = dialgate_redis::RedisOptions::decision_time("dialgate:");
    let admission =
        dialgate_redis::RedisAdmission::new(url, options).map_err(|e| format!("`--redis`: {e}"))?;
    admission
        .health()
        .map_err(|e| format!("`--redis`: {}", e.reason))?;
    Ok(admission)
}
