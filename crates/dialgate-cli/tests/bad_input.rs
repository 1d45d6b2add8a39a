//! Every known-bad input gets a clear answer and never a panic: through the
//! engine (numbers, request bodies) and through the `dialgate` binary
//! (world, steps and scenario files).

use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};

use dialgate::phone::MAX_NUMBER_CHARS;
use dialgate::{
    Company, FakeClock, InMemoryEngine, MakeCallRequest, NumberError, NumberReader, Region, World,
};

const WORLD: &str = r#"{
  "companies": [{"id": "acme", "cps_limit": 100000, "redial_window_s": 0}],
  "schedules": [{"id": "s-a", "company_id": "acme", "lead_token": "tok-a"}],
  "leads": [{"id": "lead-1", "company_id": "acme", "schedule_id": "s-a", "number": "+17195551234"}]
}"#;

fn engine() -> (InMemoryEngine, Company) {
    let world = World::from_json(WORLD).expect("world");
    let acme = world.company("acme").expect("acme").clone();
    (
        world.into_engine(FakeClock::at("2026-11-26T15:00:00Z").expect("time")),
        acme,
    )
}

/// Decides `to` on schedule `s-a`: `Ok(E.164)` or `Err(code)`.
fn dial(to: &str) -> Result<String, &'static str> {
    let (engine, acme) = engine();
    engine
        .make_call(&acme, &MakeCallRequest::for_schedule("s-a", to))
        .map(|a| a.commit().call.to.to_string())
        .map_err(|r| r.code())
}

/// Decides a raw JSON body.
fn body(bytes: &[u8]) -> Result<String, &'static str> {
    let (engine, acme) = engine();
    engine
        .make_call_json(&acme, bytes)
        .map(|a| a.commit().call.to.to_string())
        .map_err(|r| r.code())
}

// ---------------------------------------------------------------- numbers

#[test]
fn hostile_numbers_are_invalid_numbers() {
    for to in [
        ".;phone-context=",
        "+dwPAA;phone-context=AA",
        "  2 22#:",
        "ann@example.com",
        "ann.1719555@example.com",
        "",
        " ",
        "+",
        "tel:",
        "tel:;phone-context=",
        "12345",
        "+1 555 555 5555",
        "\u{0}\u{0}\u{0}",
        "٫٬؍",
    ] {
        assert_eq!(dial(to), Err("invalid_number"), "{to:?}");
    }
}

#[test]
fn vanity_numbers_read_as_libphonenumber_reads_them() {
    // phonenumbers 9.0.43: `parse("1800FLOWERS", "US")` is +18003569377.
    assert_eq!(dial("1800FLOWERS"), Ok("+18003569377".to_owned()));
}

#[test]
fn a_megabyte_to_is_refused_before_any_parsing() {
    let huge = "7".repeat(1 << 20);
    assert_eq!(
        NumberReader::new().read(&huge, Region::US),
        Err(NumberError::TooLong)
    );
    assert_eq!(dial(&huge), Err("invalid_number"));
    // Characters count, not bytes: 1 MB of two-byte characters too.
    let wide = "é".repeat(1 << 19);
    assert_eq!(
        NumberReader::new().read(&wide, Region::US),
        Err(NumberError::TooLong)
    );
    // The edge: 250 characters are read (and found wanting), 251 are not read.
    let at_limit = format!("+1719555123{}", " ".repeat(MAX_NUMBER_CHARS - 12) + "4");
    assert_eq!(at_limit.chars().count(), MAX_NUMBER_CHARS);
    assert_eq!(
        NumberReader::new()
            .read(&at_limit, Region::US)
            .map(|n| n.digits()),
        Ok(17195551234)
    );
    let over = format!("{at_limit} ");
    assert_eq!(
        NumberReader::new().read(&over, Region::US),
        Err(NumberError::TooLong)
    );
    // 250 full-width digits are 750 bytes and still read (as nonsense).
    let fw = "１".repeat(MAX_NUMBER_CHARS);
    assert_ne!(
        NumberReader::new().read(&fw, Region::US),
        Err(NumberError::TooLong)
    );
    assert_eq!(
        NumberReader::new().read(&format!("{fw}１"), Region::US),
        Err(NumberError::TooLong)
    );
}

#[test]
fn long_tel_uris_with_phone_context_do_not_panic() {
    let mut cases = vec![
        format!("tel:{};phone-context=", "1".repeat(98 - 19)),
        format!("tel:+1-719-555-1234;phone-context={}", "a".repeat(98 - 34)),
        format!("tel:;phone-context={}", "+".repeat(98 - 19)),
        format!("tel:{};phone-context=+1", ";".repeat(98 - 21)),
        format!("{};phone-context=", "+1-".repeat(28)),
    ];
    cases.push(format!(
        "tel:7195551234;phone-context=+1{}",
        ";".repeat(98 - 32)
    ));
    for to in &cases {
        assert!(
            to.chars().count() >= 97,
            "{} chars: {to}",
            to.chars().count()
        );
        let got = dial(to);
        assert!(
            matches!(got, Ok(_) | Err("invalid_number")),
            "{to:?}: {got:?}"
        );
    }
}

#[test]
fn unicode_decimal_digits_read_as_ascii() {
    for to in [
        "＋１ ７１９ ５５５ １２３４", // full-width
        "+١ ٧١٩ ٥٥٥ ١٢٣٤",             // Arabic-Indic
        "٧١٩٥٥٥١٢٣٤",                  // Arabic-Indic, national
        "۷۱۹۵۵۵۱۲۳۴",                  // Extended Arabic-Indic
        "७१९५५५१२३४",                  // Devanagari
        "(７１９) ５５５-１２３４",
    ] {
        assert_eq!(dial(to), Ok("+17195551234".into()), "{to:?}");
    }
    // Not decimal digits: superscripts, circled digits, Roman numerals.
    for to in ["¹⁷¹⁹⁵⁵⁵¹²³⁴", "①⑦①⑨⑤⑤⑤①②③④", "ⅦⅠⅨ"] {
        assert_eq!(dial(to), Err("invalid_number"), "{to:?}");
    }
}

/// phonenumber 0.3 applied the *default region's* national prefix to a
/// number written with another country code: read by a US company,
/// `+49 151 12345678` (a German mobile) lost the `1` after `+49` and became
/// `+49 511 2345678`, someone else's number; `+33 1 23 45 67 89` (Paris)
/// became invalid. Found by `cargo fuzz run number`. The reader reads such
/// numbers with their own country's rules, as libphonenumber does, through
/// both front ends.
#[test]
fn foreign_numbers_keep_their_digits() {
    let r = NumberReader::new();
    for (text, digits) in [
        ("+49 151 12345678", 4915112345678),
        ("+4917195555125", 4917195555125),
        ("+33 1 23 45 67 89", 33123456789),
        ("tel:+49-151-12345678", 4915112345678),
        ("011 49 151 12345678", 4915112345678),
        ("tel:0151-12345678;phone-context=+49", 4915112345678),
        ("+44 20 7183 8750", 442071838750),
        ("+1 (719) 555-1234", 17195551234),
    ] {
        assert_eq!(
            r.read(text, Region::US).map(|n| n.digits()),
            Ok(digits),
            "{text} in US"
        );
        assert_eq!(
            r.read_general(text, Region::US).map(|n| n.digits()),
            Ok(digits),
            "{text} in US, general front end"
        );
    }
}

/// Found by `cargo fuzz run number` under phonenumber 0.3, which read
/// `55 0900 2123 4` in BR as +55900212344 (it stripped BR's national prefix
/// for parsing, `90`, from the E.164 text too). libphonenumber 9.0.43 finds
/// the first invalid and reads the E.164 text as itself; so does the reader.
#[test]
fn an_e164_text_reads_as_libphonenumber_reads_it() {
    let r = NumberReader::new();
    let br: Region = "BR".parse().expect("BR");
    for (text, want) in [
        ("\u{1}55 0900 -2123g4", None),
        ("+55900212344", Some(55900212344)),
        ("+4915112345678", Some(4915112345678)),
    ] {
        assert_eq!(
            r.read(text, br).ok().map(|n| n.digits()),
            want,
            "{text:?} in BR"
        );
    }
}

// ---------------------------------------------------------------- bodies

#[test]
fn malformed_bodies_are_invalid_requests() {
    let deep_arrays = "[".repeat(10_000);
    let deep_objects = r#"{"a":"#.repeat(10_000);
    let deep_data = format!(r#"{{"lead_id":"lead-1","data":{}}}"#, "[".repeat(10_000));
    let huge_string = format!(
        r#"{{"lead_id":"lead-1","data":{{"k":"{}"}}}}"#,
        "v".repeat(10 << 20)
    );
    let many_keys = format!(
        r#"{{"lead_id":"lead-1","data":{{{}}}}}"#,
        (0..101)
            .map(|i| format!(r#""k{i}":{i}"#))
            .collect::<Vec<_>>()
            .join(",")
    );
    let long_key = format!(
        r#"{{"lead_id":"lead-1","data":{{"{}":1}}}}"#,
        "k".repeat(65)
    );
    let long_value = format!(
        r#"{{"lead_id":"lead-1","data":{{"k":"{}"}}}}"#,
        "v".repeat(1025)
    );
    let long_id = format!(r#"{{"lead_id":"{}"}}"#, "l".repeat(129));
    let huge_number = format!(
        r#"{{"lead_id":"lead-1","data":{{"k":1{}}}}}"#,
        "0".repeat(100_000)
    );
    let cases: Vec<(&str, Vec<u8>)> = vec![
        (
            "duplicate `to`",
            br#"{"schedule_id":"s-a","to":"+17195551234","to":"+17195551235"}"#.to_vec(),
        ),
        (
            "duplicate `schedule_id`",
            br#"{"schedule_id":"s-a","schedule_id":"s-a","to":"+17195551234"}"#.to_vec(),
        ),
        (
            "duplicate `lead_id`",
            br#"{"lead_id":"lead-1","lead_id":"lead-1"}"#.to_vec(),
        ),
        (
            "duplicate `data`",
            br#"{"lead_id":"lead-1","data":{},"data":{}}"#.to_vec(),
        ),
        (
            "duplicate data key",
            br#"{"lead_id":"lead-1","data":{"a":1,"a":1}}"#.to_vec(),
        ),
        (
            "number `to`",
            br#"{"schedule_id":"s-a","to":17195551234}"#.to_vec(),
        ),
        (
            "number id",
            br#"{"schedule_id":5,"to":"+17195551234"}"#.to_vec(),
        ),
        ("bool lead", br#"{"lead_id":true}"#.to_vec()),
        (
            "array token",
            br#"{"lead_token":["tok-a"],"to":"+17195551234"}"#.to_vec(),
        ),
        (
            "object to",
            br#"{"schedule_id":"s-a","to":{"n":"+17195551234"}}"#.to_vec(),
        ),
        (
            "nested data",
            br#"{"lead_id":"lead-1","data":{"a":{"b":1}}}"#.to_vec(),
        ),
        (
            "array in data",
            br#"{"lead_id":"lead-1","data":{"a":[1]}}"#.to_vec(),
        ),
        (
            "data array",
            br#"{"lead_id":"lead-1","data":[1,2]}"#.to_vec(),
        ),
        (
            "data string",
            br#"{"lead_id":"lead-1","data":"x"}"#.to_vec(),
        ),
        ("101 data keys", many_keys.into_bytes()),
        ("65-byte key", long_key.into_bytes()),
        ("1025-byte value", long_value.into_bytes()),
        ("10 MB value", huge_string.into_bytes()),
        ("129-byte id", long_id.into_bytes()),
        ("100k-digit number", huge_number.into_bytes()),
        ("10,000 [", deep_arrays.into_bytes()),
        ("10,000 {", deep_objects.into_bytes()),
        ("deep data", deep_data.into_bytes()),
        (
            "invalid UTF-8 in `to`",
            b"{\"schedule_id\":\"s-a\",\"to\":\"+1719\xff\xfe5551234\"}".to_vec(),
        ),
        (
            "invalid UTF-8 key",
            b"{\"\xc3\x28\":1,\"lead_id\":\"lead-1\"}".to_vec(),
        ),
        (
            "lone surrogate",
            br#"{"schedule_id":"s-a","to":"\ud800"}"#.to_vec(),
        ),
        (
            "byte-order mark",
            b"\xef\xbb\xbf{\"lead_id\":\"lead-1\"}".to_vec(),
        ),
        ("empty", Vec::new()),
        ("null", b"null".to_vec()),
        ("array", b"[]".to_vec()),
        ("trailing garbage", br#"{"lead_id":"lead-1"}x"#.to_vec()),
        (
            "two objects",
            br#"{"lead_id":"lead-1"}{"lead_id":"lead-1"}"#.to_vec(),
        ),
        ("truncated", br#"{"lead_id":"lead-1""#.to_vec()),
        ("NaN", br#"{"lead_id":"lead-1","data":{"a":NaN}}"#.to_vec()),
        (
            "both target kinds",
            br#"{"lead_id":"lead-1","to":"+17195551234"}"#.to_vec(),
        ),
        ("no target", br#"{"to":"+17195551234"}"#.to_vec()),
        ("`to` missing", br#"{"schedule_id":"s-a"}"#.to_vec()),
        ("`to` null", br#"{"schedule_id":"s-a","to":null}"#.to_vec()),
        ("empty id", br#"{"lead_id":""}"#.to_vec()),
    ];
    for (name, bytes) in cases {
        assert_eq!(body(&bytes), Err("invalid_request"), "{name}");
    }
}

#[test]
fn well_formed_oddities_are_read() {
    // Unknown keys are ignored, `null` is absent, escapes are unescaped.
    assert_eq!(
        body(br#"{"lead_id":"lead-1","extra":{"deep":[1,{"x":null}]}}"#),
        Ok("+17195551234".into())
    );
    assert_eq!(
        body(br#"{"lead_id":"lead\u002d1","to":null,"data":null}"#),
        Ok("+17195551234".into())
    );
    assert_eq!(
        body(br#"  {"schedule_id":"s-a","to":"\uff0b\uff11 719 555 1234"}  "#),
        Ok("+17195551234".into())
    );
    // An unknown key's value is skipped whatever its depth, without
    // recursion: a million `[` cost no stack.
    let deep = format!(
        r#"{{"lead_id":"lead-1","x":{}{}}}"#,
        "[".repeat(1_000_000),
        "]".repeat(1_000_000)
    );
    assert_eq!(body(deep.as_bytes()), Ok("+17195551234".into()));
    let unclosed = format!(r#"{{"lead_id":"lead-1","x":{}"#, "[".repeat(1_000_000));
    assert_eq!(body(unclosed.as_bytes()), Err("invalid_request"));
    // A 1 MB `to` in a body: read, then refused as a number.
    let huge = format!(r#"{{"schedule_id":"s-a","to":"{}"}}"#, "9".repeat(1 << 20));
    assert_eq!(body(huge.as_bytes()), Err("invalid_number"));
}

#[test]
fn rejection_messages_stay_short_for_huge_input() {
    let (engine, acme) = engine();
    let huge = "x1".repeat(1 << 19);
    let err = engine
        .make_call(&acme, &MakeCallRequest::for_schedule("s-a", &huge))
        .expect_err("invalid");
    assert_eq!(err.code(), "invalid_number");
    assert!(
        err.to_string().len() < 300,
        "{} bytes",
        err.to_string().len()
    );
}

// ---------------------------------------------------------------- binary

static FILES: AtomicU32 = AtomicU32::new(0);

/// A temporary file with these bytes, unique to this test run.
struct Temp(PathBuf);

impl Temp {
    fn new(name: &str, bytes: &[u8]) -> Temp {
        let n = FILES.fetch_add(1, Ordering::Relaxed);
        let path =
            std::env::temp_dir().join(format!("dialgate-bad-{}-{n}-{name}", std::process::id()));
        std::fs::write(&path, bytes).expect("write temp file");
        Temp(path)
    }

    fn path(&self) -> &str {
        self.0.to_str().expect("utf-8 temp path")
    }
}

impl Drop for Temp {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn dialgate(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dialgate"))
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run dialgate")
}

/// Exit 2, no panic, one stderr line naming `file` and containing `what`.
fn assert_bad(out: &Output, file: &str, what: &str, case: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{case}: exit {:?}, stderr {stderr}",
        out.status
    );
    assert!(!stderr.contains("panicked"), "{case}: {stderr}");
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{case}: not one line: {stderr:?}");
    assert!(
        lines[0].contains(file),
        "{case}: does not name {file}: {stderr}"
    );
    assert!(
        lines[0].to_lowercase().contains(&what.to_lowercase()),
        "{case}: does not say {what:?}: {stderr}"
    );
}

const GOOD_WORLD: &str = r#"{"companies": [{"id": "acme", "cps_limit": 5}],
  "schedules": [{"id": "s-a", "company_id": "acme", "lead_token": "tok-a"}]}"#;

/// Bad worlds: (case, text, a word the error must contain).
fn bad_worlds() -> Vec<(&'static str, Vec<u8>, &'static str)> {
    vec![
        ("malformed JSON", br#"{"companies": [{"id": "acme", "cps_limit": 5}"#.to_vec(), "line"),
        ("empty file", b"".to_vec(), "line"),
        ("unknown top key", br#"{"companys": []}"#.to_vec(), "unknown field"),
        ("world as an array", br#"[[], [], [], []]"#.to_vec(), "object"),
        ("company as an array", br#"{"companies": [["acme", 5]]}"#.to_vec(), "object"),
        (
            "condition as an array",
            br#"{"companies": [{"id": "a", "cps_limit": 1}], "schedules": [{"id": "r", "company_id": "a", "lead_token": "t", "kind": "router",
                "distributions": [{"id": "d", "target_schedule_id": "r", "when": [["state", "eq", "CO"]]}]}]}"#.to_vec(),
            "object",
        ),
        ("unknown company key", br#"{"companies": [{"id": "a", "cps_limit": 1, "cps": 2}]}"#.to_vec(), "unknown field"),
        (
            "unknown schedule key",
            br#"{"companies": [{"id": "a", "cps_limit": 1}], "schedules": [{"id": "s", "company_id": "a", "lead_token": "t", "paused": true}]}"#.to_vec(),
            "unknown field",
        ),
        ("duplicate company id", br#"{"companies": [{"id": "a", "cps_limit": 1}, {"id": "a", "cps_limit": 2}]}"#.to_vec(), "duplicate"),
        (
            "duplicate schedule id",
            br#"{"companies": [{"id": "a", "cps_limit": 1}], "schedules": [{"id": "s", "company_id": "a", "lead_token": "t1"}, {"id": "s", "company_id": "a", "lead_token": "t2"}]}"#.to_vec(),
            "duplicate",
        ),
        (
            "duplicate lead id",
            br#"{"companies": [{"id": "a", "cps_limit": 1}], "schedules": [{"id": "s", "company_id": "a", "lead_token": "t"}],
                "leads": [{"id": "l", "company_id": "a", "schedule_id": "s", "number": "+17195551234"}, {"id": "l", "company_id": "a", "schedule_id": "s", "number": "+17195551235"}]}"#.to_vec(),
            "duplicate",
        ),
        (
            "duplicate lead token",
            br#"{"companies": [{"id": "a", "cps_limit": 1}, {"id": "b", "cps_limit": 1}], "schedules": [{"id": "s", "company_id": "a", "lead_token": "t"}, {"id": "s2", "company_id": "b", "lead_token": "t"}]}"#.to_vec(),
            "duplicate",
        ),
        (
            "schedule of a missing company",
            br#"{"companies": [{"id": "a", "cps_limit": 1}], "schedules": [{"id": "s", "company_id": "ghost", "lead_token": "t"}]}"#.to_vec(),
            "ghost",
        ),
        ("zero cps", br#"{"companies": [{"id": "a", "cps_limit": 0}]}"#.to_vec(), "cps_limit"),
        ("negative cps", br#"{"companies": [{"id": "a", "cps_limit": -1}]}"#.to_vec(), "line"),
        ("10,000 [", "[".repeat(10_000).into_bytes(), "line"),
        ("invalid UTF-8", b"{\"companies\": [{\"id\": \"\xff\", \"cps_limit\": 1}]}".to_vec(), "UTF-8"),
        (
            "duplicate company id with a newline in it",
            br#"{"companies": [{"id": "a\nb", "cps_limit": 1}, {"id": "a\nb", "cps_limit": 1}]}"#.to_vec(),
            "duplicate",
        ),
        ("unknown key with a newline in it", br#"{"compa\nnies": []}"#.to_vec(), "unknown field"),
    ]
}

#[test]
fn run_refuses_bad_world_files() {
    for (case, text, what) in bad_worlds() {
        let world = Temp::new("world.json", &text);
        let out = dialgate(&["run", "--world", world.path(), "/dev/null"]);
        assert_bad(&out, world.path(), what, case);
    }
}

#[test]
fn run_refuses_unreadable_files() {
    let missing =
        std::env::temp_dir().join(format!("dialgate-bad-{}-missing.json", std::process::id()));
    let missing = missing.to_str().expect("utf-8");
    assert_bad(
        &dialgate(&["run", "--world", missing]),
        missing,
        "cannot read",
        "missing world",
    );
    let dir = std::env::temp_dir();
    let dir = dir.to_str().expect("utf-8");
    assert_bad(
        &dialgate(&["run", "--world", dir]),
        dir,
        "cannot read",
        "world is a directory",
    );
    let world = Temp::new("world.json", GOOD_WORLD.as_bytes());
    assert_bad(
        &dialgate(&["run", "--world", world.path(), missing]),
        missing,
        "cannot read",
        "missing steps",
    );
    assert_bad(
        &dialgate(&["check", missing]),
        missing,
        "cannot read",
        "missing scenario",
    );
}

/// Bad steps files: (case, lines, the 1-based line that is bad, a word).
fn bad_steps() -> Vec<(&'static str, String, usize, &'static str)> {
    let ok = r#"{"at": "2026-11-26T15:00:01Z", "company_id": "acme", "make_call": {"schedule_id": "s-a", "to": "+17195551234"}}"#;
    vec![
        ("malformed JSON", format!("{ok}\n{{\"at\": \n"), 2, "line"),
        (
            "unknown key",
            r#"{"at": "2026-11-26T15:00:00Z", "company_id": "acme", "make_cal": {}}"#.into(),
            1,
            "unknown field",
        ),
        (
            "step as an array",
            format!("{ok}\n[\"2026-11-26T15:00:02Z\", \"acme\"]"),
            2,
            "object",
        ),
        (
            "time going backwards",
            format!("{ok}\n{}", ok.replace("15:00:01Z", "15:00:00.999Z")),
            2,
            "backwards",
        ),
        (
            "unknown company",
            ok.replace("\"acme\"", "\"ghost\""),
            1,
            "ghost",
        ),
        (
            "bad time",
            ok.replace("2026-11-26T15:00:01Z", "yesterday"),
            1,
            "RFC 3339",
        ),
        (
            "two actions",
            r#"{"at": "2026-11-26T15:00:00Z", "commit": "a", "release": "a"}"#.into(),
            1,
            "exactly one",
        ),
        (
            "no action",
            r#"{"at": "2026-11-26T15:00:00Z"}"#.into(),
            1,
            "exactly one",
        ),
        (
            "begin without label",
            ok.replace("make_call", "begin"),
            1,
            "label",
        ),
        (
            "a time before 1677",
            ok.replace("2026-11-26T15:00:01Z", "0001-01-01T00:00:00Z"),
            1,
            "outside the supported range",
        ),
        (
            "a time after 2262",
            format!(
                "{ok}\n{}",
                ok.replace("2026-11-26T15:00:01Z", "9999-12-31T23:59:59Z")
            ),
            2,
            "outside the supported range",
        ),
        (
            "a newline in a company id",
            ok.replace("\"acme\"", "\"gh\\nost\""),
            1,
            "does not exist",
        ),
        ("10,000 [", "[".repeat(10_000), 1, "line"),
    ]
}

#[test]
fn run_refuses_bad_steps() {
    let world = Temp::new("world.json", GOOD_WORLD.as_bytes());
    for (case, text, line, what) in bad_steps() {
        let steps = Temp::new("steps.jsonl", text.as_bytes());
        let out = dialgate(&["run", "--world", world.path(), steps.path()]);
        assert_bad(&out, &format!("{}:{line}", steps.path()), what, case);
    }
    let steps = Temp::new(
        "steps.jsonl",
        b"{\"at\": \"2026-11-26T15:00:00Z\", \"commit\": \"\xff\"}\n",
    );
    assert_bad(
        &dialgate(&["run", "--world", world.path(), steps.path()]),
        steps.path(),
        "UTF-8",
        "invalid UTF-8 step",
    );
}

#[test]
fn check_refuses_bad_scenarios() {
    let scenario = |world: &str, steps: &str| {
        format!(r#"{{"name": "bad", "world": {world}, "steps": [{steps}]}}"#)
    };
    let mut cases: Vec<(String, Vec<u8>, &str)> = Vec::new();
    for (case, text, what) in bad_worlds() {
        // A world that is not even JSON makes the scenario not JSON.
        let Ok(text) = String::from_utf8(text) else {
            continue;
        };
        if serde_json::from_str::<serde_json::Value>(&text).is_err() {
            continue;
        }
        cases.push((
            format!("world: {case}"),
            scenario(&text, "").into_bytes(),
            what,
        ));
    }
    for (case, text, _, what) in bad_steps() {
        let lines: Vec<&str> = text.lines().collect();
        if lines
            .iter()
            .any(|l| serde_json::from_str::<serde_json::Value>(l).is_err())
        {
            continue;
        }
        cases.push((
            format!("steps: {case}"),
            scenario(GOOD_WORLD, &lines.join(",")).into_bytes(),
            what,
        ));
    }
    cases.push((
        "malformed JSON".into(),
        br#"{"name": "x", "world": {}, "steps": ["#.to_vec(),
        "line",
    ));
    cases.push((
        "unknown key".into(),
        br#"{"name": "x", "world": {}, "steps": [], "expected": 1}"#.to_vec(),
        "unknown field",
    ));
    cases.push((
        "no world".into(),
        br#"{"name": "x", "steps": []}"#.to_vec(),
        "world",
    ));
    cases.push((
        "invalid UTF-8".into(),
        b"{\"name\": \"\xff\", \"world\": {}, \"steps\": []}".to_vec(),
        "UTF-8",
    ));
    assert!(cases.len() > 20);
    for (case, text, what) in cases {
        let file = Temp::new("scenario.json", &text);
        let out = dialgate(&["check", file.path()]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{case}: {stderr}");
        // The error is the one line: nothing on stdout.
        assert_bad(&out, file.path(), what, &case);
        assert!(out.stdout.is_empty(), "{case}: stdout {:?}", out.stdout);
    }
}

#[test]
fn a_bad_file_among_good_ones_is_the_only_output() {
    let good = Temp::new(
        "good.json",
        br#"{"name": "g", "world": {"companies": [], "schedules": []}, "steps": []}"#,
    );
    let bad = Temp::new("bad.json", b"{");
    for args in [
        ["check", good.path(), bad.path()],
        ["check", bad.path(), good.path()],
    ] {
        let out = dialgate(&args);
        assert_bad(&out, bad.path(), "", "good and bad");
        assert!(out.stdout.is_empty(), "stdout {:?}", out.stdout);
    }
}

#[test]
fn a_good_run_still_works_after_all_that() {
    let world = Temp::new("world.json", GOOD_WORLD.as_bytes());
    let steps = Temp::new(
        "steps.jsonl",
        br#"{"at": "2026-11-26T15:00:00Z", "company_id": "acme", "make_call": {"schedule_id": "s-a", "to": "+17195551234"}}
{"at": "2026-11-26T15:00:00Z", "company_id": "acme", "make_call": {"schedule_id": "s-a", "to": "\uff0b1 719 555 1234"}}
"#,
    );
    let out = dialgate(&["run", "--world", world.path(), steps.path()]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2);
    assert!(lines[0].contains(r#""ok":true"#), "{}", lines[0]);
    assert!(lines[1].contains("recently_dialed"), "{}", lines[1]);
}

// ---------------------------------------------------------------- fuzz finds

/// Found by `cargo fuzz run operations`: with governor, the emission interval
/// was a whole number of nanoseconds (333333333 ns for 3 cps), so `retry_at`
/// came out 1 ns early (`.333333333Z`, where the contract's TAT - tau is
/// 333333333.3 ns) and a request at that instant was admitted beyond the
/// GCRA. The admission's GCRA is now exact rational arithmetic.
#[test]
fn gcra_is_exact_when_the_limit_does_not_divide_a_second() {
    use dialgate::{timefmt, Admission, AdmissionRequest, LocalAdmission, E164};
    let admission = LocalAdmission::new();
    let company = Company::new("acme", 3).expect("company");
    let t0 = timefmt::parse("2026-11-26T15:00:00Z").expect("time");
    let mut n = 17_195_550_000u64;
    let mut ask = |ns: i64| {
        n += 1;
        admission.admit(&AdmissionRequest {
            company: &company,
            schedule_id: "s",
            number: E164::from_digits(n).expect("digits"),
            one_off: false,
            caps: &[],
            now: t0 + chrono::Duration::nanoseconds(ns),
        })
    };
    for _ in 0..3 {
        assert!(ask(0).is_ok());
    }
    let refused = ask(0).expect_err("burst spent");
    assert_eq!(
        timefmt::rfc3339(refused.retry_at().expect("retry_at")),
        "2026-11-26T15:00:00.333333334Z"
    );
    assert_eq!(
        ask(333_333_333).map_err(|r| r.code()).err(),
        Some("cps_exceeded")
    );
    assert!(ask(333_333_334).is_ok());
    // Sustained at exactly 3 per second for 1,000 s: one admission at each
    // instant ceil(k/3 s), and never a second one there; no drift.
    for k in 2..3_000i64 {
        let at = (k * 1_000_000_000 + 2) / 3;
        assert_eq!(
            ask(at - 1).map_err(|r| r.code()).err(),
            Some("cps_exceeded"),
            "k = {k}"
        );
        assert!(ask(at).is_ok(), "k = {k}");
        let refused = ask(at).expect_err("one per instant");
        assert_eq!(
            refused.retry_at().and_then(|t| t.timestamp_nanos_opt()),
            t0.timestamp_nanos_opt()
                .map(|t0| t0 + ((k + 1) * 1_000_000_000 + 2) / 3),
            "k = {k}"
        );
    }
}
