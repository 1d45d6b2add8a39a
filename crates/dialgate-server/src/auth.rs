//! HTTP Basic authentication against the world's API keys.
//!
//! The public key picks the key (it is not secret: a hash map lookup); the
//! private key's SHA-256 is compared with the stored digest in constant
//! time, and an unknown public key is compared against a dummy digest, so
//! that the time taken does not tell a wrong private key from an unknown
//! public one. Every failure is one answer.

use std::collections::HashMap;
use std::sync::Arc;

use base64::Engine as _;
use dialgate::{ApiKey, Company};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The keys of every company, by public key.
#[derive(Debug, Default)]
pub(crate) struct Keys {
    by_public: HashMap<String, (Arc<Company>, Digest32)>,
}

/// A SHA-256 digest, not printed by `Debug`.
#[derive(Clone, Copy)]
struct Digest32([u8; 32]);

impl std::fmt::Debug for Digest32 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Digest32(..)")
    }
}

/// The longest `Authorization` header read, bytes (a public key of 128
/// bytes and a generous private key, in base64).
const MAX_HEADER_BYTES: usize = 2048;

impl Keys {
    /// Keys whose company is in `companies`; others are skipped (the world
    /// loader never makes them).
    pub(crate) fn new(keys: &[ApiKey], companies: &HashMap<String, Arc<Company>>) -> Keys {
        let by_public = keys
            .iter()
            .filter_map(|k| {
                let company = companies.get(&k.company_id)?;
                Some((
                    k.public_key.clone(),
                    (Arc::clone(company), Digest32(k.private_key_sha256)),
                ))
            })
            .collect();
        Keys { by_public }
    }

    /// The company an `Authorization` header value authenticates, if any.
    pub(crate) fn authenticate(&self, header: Option<&[u8]>) -> Option<Arc<Company>> {
        let (public, private) = credentials(header?)?;
        let digest: [u8; 32] = Sha256::digest(&private).into();
        let found = self.by_public.get(public.as_str());
        let stored = found.map_or([0u8; 32], |(_, d)| d.0);
        // Compare even when the public key is unknown: the same work either way.
        let equal: bool = digest.ct_eq(&stored).into();
        match found {
            Some((company, _)) if equal => Some(Arc::clone(company)),
            _ => None,
        }
    }
}

/// The public and private keys of a `Basic` header value.
fn credentials(header: &[u8]) -> Option<(String, Vec<u8>)> {
    if header.len() > MAX_HEADER_BYTES {
        return None;
    }
    let text = std::str::from_utf8(header).ok()?.trim();
    let (scheme, rest) = text.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(rest.trim())
        .ok()?;
    let colon = decoded.iter().position(|&b| b == b':')?;
    let (public, private) = decoded.split_at(colon);
    let private = private.get(1..)?.to_vec();
    let public = String::from_utf8(public.to_vec()).ok()?;
    Some((public, private))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> Keys {
        let digest = Sha256::digest(b"sk_secret");
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        let key = ApiKey::new("acme", "pk_acme", &hex).unwrap();
        let mut companies = HashMap::new();
        companies.insert(
            "acme".to_owned(),
            Arc::new(Company::new("acme", 5).unwrap()),
        );
        Keys::new(&[key], &companies)
    }

    fn basic(text: &str) -> Vec<u8> {
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(text)
        )
        .into_bytes()
    }

    #[test]
    fn the_right_pair_authenticates() {
        let k = keys();
        assert_eq!(
            k.authenticate(Some(&basic("pk_acme:sk_secret")))
                .unwrap()
                .id,
            "acme"
        );
        // The scheme is case-insensitive; a private key may hold `:`.
        let lower = basic("pk_acme:sk_secret");
        let lower = [b"basic".as_slice(), &lower[5..]].concat();
        assert!(k.authenticate(Some(&lower)).is_some());
    }

    #[test]
    fn every_failure_is_none() {
        let k = keys();
        for bad in [
            basic("pk_acme:sk_wrong"),
            basic("pk_other:sk_secret"),
            basic("pk_acme"),
            basic("pk_acme:"),
            basic(":sk_secret"),
            b"Bearer abc".to_vec(),
            b"Basic !!!".to_vec(),
            b"Basic".to_vec(),
            vec![b'x'; 5000],
            vec![0xff, 0xfe],
        ] {
            assert!(k.authenticate(Some(&bad)).is_none(), "{bad:?}");
        }
        assert!(k.authenticate(None).is_none());
    }
}
