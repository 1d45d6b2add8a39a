//! The world file's `api_keys`: validated strictly, each error naming its place.

use dialgate::World;

fn world(keys: &str) -> Result<World, dialgate::WorldError> {
    World::from_json(&format!(
        r#"{{"companies": [{{"id": "acme", "cps_limit": 5, "api_keys": {keys}}},
                          {{"id": "globex", "cps_limit": 5}}]}}"#
    ))
}

const DIGEST: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

#[test]
fn keys_load_with_their_company() {
    let w = world(&format!(r#"[{{"public_key": "pk_a", "private_key_sha256": "{DIGEST}"}}, {{"public_key": "pk_b", "private_key_sha256": "{DIGEST}"}}]"#)).unwrap();
    let keys = w.api_keys();
    assert_eq!(keys.len(), 2);
    assert_eq!(keys[0].public_key, "pk_a");
    assert_eq!(keys[1].company_id, "acme");
    assert_eq!(keys[0].private_key_sha256[..4], [0x9f, 0x86, 0xd0, 0x81]);
    // The digest is not printed by Debug.
    assert!(!format!("{:?}", keys[0]).contains("9f86"));
}

#[test]
fn no_keys_and_null_keys_are_none() {
    assert!(world("[]").unwrap().api_keys().is_empty());
    assert!(world("null").unwrap().api_keys().is_empty());
}

#[test]
fn bad_keys_name_their_place() {
    let cases = [
        (
            format!(
                r#"[{{"public_key": "pk", "private_key_sha256": "{}"}}]"#,
                DIGEST.to_uppercase()
            ),
            "companies[0] (`acme`).api_keys[0]: `private_key_sha256` is not 64 lowercase hex",
        ),
        (
            format!(
                r#"[{{"public_key": "pk", "private_key_sha256": "{}"}}]"#,
                &DIGEST[1..]
            ),
            "companies[0] (`acme`).api_keys[0]: `private_key_sha256` is not 64",
        ),
        (
            format!(
                r#"[{{"public_key": "pk", "private_key_sha256": "{}g"}}]"#,
                &DIGEST[1..]
            ),
            "`private_key_sha256` is not 64",
        ),
        (
            format!(r#"[{{"public_key": "", "private_key_sha256": "{DIGEST}"}}]"#),
            "companies[0] (`acme`).api_keys[0]: `public_key` is empty",
        ),
        (
            format!(r#"[{{"public_key": "a:b", "private_key_sha256": "{DIGEST}"}}]"#),
            "`public_key` holds `:`",
        ),
        (
            format!(r#"[{{"public_key": "a b", "private_key_sha256": "{DIGEST}"}}]"#),
            "whitespace",
        ),
        (
            format!(
                r#"[{{"public_key": "{}", "private_key_sha256": "{DIGEST}"}}]"#,
                "k".repeat(129)
            ),
            "longer than 128 bytes",
        ),
        (
            format!(
                r#"[{{"public_key": "pk", "private_key_sha256": "{DIGEST}"}}, {{"public_key": "pk", "private_key_sha256": "{DIGEST}"}}]"#
            ),
            "companies[0] (`acme`).api_keys[1]: public key `pk` is already used",
        ),
        (
            format!(
                r#"[{{"public_key": "pk", "private_key_sha256": "{DIGEST}", "private_key": "x"}}]"#
            ),
            "unknown field `private_key`",
        ),
        (
            r#"[{"public_key": "pk"}]"#.to_owned(),
            "missing field `private_key_sha256`",
        ),
        (
            format!(r#"{{"public_key": "pk", "private_key_sha256": "{DIGEST}"}}"#),
            "invalid type",
        ),
    ];
    for (keys, want) in cases {
        let err = world(&keys).unwrap_err().to_string();
        assert!(err.contains(want), "{keys}: got {err}, want {want}");
    }
}

#[test]
fn public_keys_are_unique_across_companies() {
    let text = format!(
        r#"{{"companies": [{{"id": "acme", "cps_limit": 5, "api_keys": [{{"public_key": "pk", "private_key_sha256": "{DIGEST}"}}]}},
                          {{"id": "globex", "cps_limit": 5, "api_keys": [{{"public_key": "pk", "private_key_sha256": "{DIGEST}"}}]}}]}}"#
    );
    let err = World::from_json(&text).unwrap_err().to_string();
    assert_eq!(
        err,
        "companies[1] (`globex`).api_keys[0]: public key `pk` is already used"
    );
}
