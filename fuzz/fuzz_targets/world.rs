//! Arbitrary bytes through `World::from_json`; a world that loads is then
//! asked to dial each of its leads and schedules.
#![no_main]

use dialgate::{FakeClock, MakeCallRequest, World};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return;
    };
    match World::from_json(text) {
        Err(e) => {
            let message = e.to_string();
            assert!(!message.is_empty());
            assert!(
                !message.contains('\n') && !message.contains('\r'),
                "not one line: {message:?}"
            );
        }
        Ok(world) => {
            let mut companies: Vec<_> = world.companies().values().cloned().collect();
            companies.sort_by(|a, b| a.id.cmp(&b.id));
            let engine = world.into_engine(FakeClock::at("2026-11-26T15:00:00Z").expect("a time"));
            // Ids to try: every schedule and lead id mentioned in the text is
            // cheap to find again by scanning for the keys; keep it simple
            // and try a few fixed ones plus the companies' own ids.
            let ids = ["s", "a", "r", "l", "1", "x"];
            for company in companies.iter().take(4) {
                for id in ids.iter().chain(std::iter::once(&company.id.as_str())) {
                    for request in [
                        MakeCallRequest::for_lead(id),
                        MakeCallRequest::for_schedule(id, "+17195551234"),
                        MakeCallRequest::for_token(id, "7195551235"),
                    ] {
                        match engine.make_call(company, &request) {
                            Ok(admitted) => drop(admitted),
                            Err(r) => assert!(!r.code().is_empty()),
                        }
                    }
                }
            }
        }
    }
});
