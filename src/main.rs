//! `dialgate`: runs the make_call engine on a JSON world and a stream of steps.

use std::io::{self, BufRead, BufWriter, Write};
use std::process::ExitCode;

use dialgate::host::{check_scenario, Host};
use dialgate::World;

const USAGE: &str = "usage:
  dialgate run --world WORLD.json [STEPS.jsonl]   decide each step (stdin when no file), one JSON line each
  dialgate check SCENARIO.json...                 run scenarios and compare their expectations";

/// Exit code for bad input (unreadable or invalid files, bad arguments).
const BAD_INPUT: u8 = 2;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let outcome = match args.first().map(String::as_str) {
        Some("run") => run(args.get(1..).unwrap_or_default()),
        Some("check") => check(args.get(1..).unwrap_or_default()),
        Some("-h" | "--help" | "help") => {
            println!("{USAGE}");
            Ok(ExitCode::SUCCESS)
        }
        _ => Err(format!("expected a command\n{USAGE}")),
    };
    outcome.unwrap_or_else(|message| {
        eprintln!("dialgate: {message}");
        ExitCode::from(BAD_INPUT)
    })
}

fn read(path: &str) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("{path}: cannot read: {e}"))
}

fn run(args: &[String]) -> Result<ExitCode, String> {
    let mut world_path = None;
    let mut steps_path = None;
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        if arg == "--world" {
            world_path = Some(it.next().ok_or("`--world` needs a file")?.clone());
        } else if let Some(path) = arg.strip_prefix("--world=") {
            world_path = Some(path.to_owned());
        } else if arg.starts_with('-') && arg != "-" {
            return Err(format!("unknown option `{arg}`\n{USAGE}"));
        } else if steps_path.replace(arg.clone()).is_some() {
            return Err(format!("one steps file at most\n{USAGE}"));
        }
    }
    let world_path = world_path.ok_or(format!("`run` needs `--world WORLD.json`\n{USAGE}"))?;
    let world = World::from_json(&read(&world_path)?).map_err(|e| format!("{world_path}: {e}"))?;
    let mut host = Host::new(world);

    let (name, input): (String, Box<dyn BufRead>) = match steps_path.as_deref() {
        None | Some("-") => ("<stdin>".into(), Box::new(io::stdin().lock())),
        Some(path) => {
            let file =
                std::fs::File::open(path).map_err(|e| format!("{path}: cannot read: {e}"))?;
            (path.to_owned(), Box::new(io::BufReader::new(file)))
        }
    };
    let mut out = BufWriter::new(io::stdout().lock());
    for (i, line) in input.lines().enumerate() {
        let line = line.map_err(|e| format!("{name}:{}: cannot read: {e}", i + 1))?;
        if line.trim().is_empty() {
            continue;
        }
        match host.step_json(&line) {
            Ok(output) => {
                if writeln!(out, "{output}").is_err() {
                    // The reader went away (a closed pipe): nothing left to say.
                    return Ok(ExitCode::SUCCESS);
                }
            }
            Err(e) => {
                let _ = out.flush();
                return Err(format!("{name}:{}: {e}", i + 1));
            }
        }
    }
    let _ = out.flush();
    Ok(ExitCode::SUCCESS)
}

fn check(files: &[String]) -> Result<ExitCode, String> {
    if files.is_empty() {
        return Err(format!("`check` needs at least one scenario file\n{USAGE}"));
    }
    // Every file is read and run before anything is printed: bad input is
    // the one-line error alone, as the contract says.
    let mut reports = Vec::with_capacity(files.len());
    for file in files {
        reports.push(read(file).and_then(|text| check_scenario(file, &text))?);
    }
    let (mut passed, mut failed) = (0usize, 0usize);
    for report in reports {
        passed += report.passed;
        failed += report.mismatches.len();
        for line in report.mismatches {
            println!("{line}");
        }
    }
    println!("{passed} passed, {failed} failed");
    Ok(if failed > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}
