//! A lead packed into one allocation of bytes, for the lead store.
//!
//! A [`Lead`] as Rust lays it out is six `String`-sized fields and a
//! `BTreeMap`, each with heap allocations of its own: about 1.3 KB for a
//! lead with two data keys. Packed, the same lead is one allocation of
//! about 80 bytes: a header (insertion order, the E.164 digits, the
//! interned (company, schedule) scope as LEB128 varints; the region the
//! digits were read in; the status), then the id, the number and the data
//! as length-prefixed text. A lookup unpacks it into a `Lead`
//! (the allocations a decision would have made copying the shared lead's
//! data and id anyway).
//!
//! Layout: `seq | digits | scope` (varints) `| region: 2 ASCII bytes or 0 0
//! | status: u8 |
//! [status text] | id | [number] | n: u8 | n × (key, tag: u8, [value])`,
//! the number left out when it is `+` and the digits (a flag on the status),
//! where text is a LEB128 length and UTF-8 bytes, and a status or value
//! tag is one byte (status: 0 live, 1 one_off, 2 other + text; value: 0
//! null, 1 false, 2 true, 3/6/7 a number as its u64/i64/f64 bits, 4
//! string + text, 5 integer literal + text). Numbers keep their bits, not
//! their text: serde_json's fast float parse can read a float's text back
//! one unit off (the property test below found it).

use std::sync::Arc;

use crate::model::{Data, Lead, LeadStatus, Scalar};
use crate::phone::Region;
use crate::store::LeadToDial;

/// The status byte's flag: the number is `+` and the digits.
const E164_NUMBER: u8 = 0x10;

/// Bytes of the header at most: three varints and three bytes.
const HEADER: usize = 10 + 10 + 5 + 3;

/// A packed lead (see the module's notes). Cloning shares it.
#[derive(Clone, Debug)]
pub(super) struct Packed(Arc<[u8]>);

fn put_varint(out: &mut Vec<u8>, mut n: u64) {
    loop {
        // Seven bits at a time, low first; the high bit says more follow.
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(byte);
            break;
        }
        out.push(byte | 0x80);
    }
}

fn put_text(out: &mut Vec<u8>, text: &str) {
    put_varint(out, text.len() as u64);
    out.extend_from_slice(text.as_bytes());
}

/// Reads packed bytes front to back; every read is checked, so bytes that
/// are not a packed lead (never, from [`Packed::new`]) read as `None`.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn byte(&mut self) -> Option<u8> {
        let (&b, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(b)
    }

    fn eight(&mut self) -> Option<[u8; 8]> {
        let (bytes, rest) = self.0.split_at_checked(8)?;
        self.0 = rest;
        <[u8; 8]>::try_from(bytes).ok()
    }

    fn varint(&mut self) -> Option<u64> {
        let mut n = 0u64;
        let mut shift = 0u32;
        loop {
            let b = self.byte()?;
            n |= u64::from(b & 0x7f).checked_shl(shift)?;
            if b & 0x80 == 0 {
                return Some(n);
            }
            shift += 7;
        }
    }

    fn text(&mut self) -> Option<&'a str> {
        let len = usize::try_from(self.varint()?).ok()?;
        let (text, rest) = self.0.split_at_checked(len)?;
        self.0 = rest;
        std::str::from_utf8(text).ok()
    }
}

/// `+` and the digits, as `format!("+{digits}")` writes them, without the
/// formatting machinery (the lead path unpacks a number per decision).
fn e164_text(mut digits: u64) -> String {
    let mut buf = [0u8; 21];
    let mut at = buf.len();
    loop {
        at -= 1;
        if let Some(slot) = buf.get_mut(at) {
            // The remainder is below 10.
            *slot = b'0' + (digits % 10) as u8;
        }
        digits /= 10;
        if digits == 0 || at == 1 {
            break;
        }
    }
    at -= 1;
    if let Some(slot) = buf.get_mut(at) {
        *slot = b'+';
    }
    buf.get(at..)
        .and_then(|b| std::str::from_utf8(b).ok())
        .map(str::to_owned)
        .unwrap_or_default()
}

/// The data at `r`: its count byte, then its entries.
fn read_data(r: &mut Reader<'_>) -> Data {
    let mut data = Data::new();
    let _ = r.byte();
    while let Some(key) = r.text() {
        let value = match r.byte() {
            Some(0) => Scalar::Null,
            Some(1) => Scalar::Bool(false),
            Some(2) => Scalar::Bool(true),
            Some(3) => match r.eight() {
                Some(b) => Scalar::Number(u64::from_le_bytes(b).into()),
                None => break,
            },
            Some(6) => match r.eight() {
                Some(b) => Scalar::Number(i64::from_le_bytes(b).into()),
                None => break,
            },
            Some(7) => match r
                .eight()
                .and_then(|b| serde_json::Number::from_f64(f64::from_bits(u64::from_le_bytes(b))))
            {
                Some(n) => Scalar::Number(n),
                None => break,
            },
            Some(4) => Scalar::String(r.text().unwrap_or_default().to_owned()),
            Some(5) => Scalar::Integer(r.text().unwrap_or_default().to_owned()),
            _ => break,
        };
        data.insert(key.to_owned(), value);
    }
    data
}

/// The header's fields.
struct Header {
    seq: u64,
    digits: u64,
    scope: u32,
    region: [u8; 2],
}

impl Packed {
    /// `lead` packed, with its insertion order, digits (0: none), scope
    /// (its company and schedule, interned by the store) and the region the
    /// store read the digits in (`None`: the caller gave them).
    pub(super) fn new(
        lead: &Lead,
        seq: u64,
        digits: u64,
        scope: u32,
        read_in: Option<Region>,
    ) -> Packed {
        let mut out = Vec::with_capacity(HEADER + lead.id.len() + lead.number.len() + 8);
        put_varint(&mut out, seq);
        put_varint(&mut out, digits);
        put_varint(&mut out, u64::from(scope));
        match read_in.map(|r| r.as_str().as_bytes().to_owned()) {
            Some(code) if code.len() == 2 => out.extend_from_slice(&code),
            _ => out.extend_from_slice(&[0, 0]),
        }
        // A number written as its own E.164 text is not kept twice: a flag
        // on the status byte says to write it back from the digits.
        let e164 = digits != 0 && lead.number.strip_prefix('+') == Some(&*digits.to_string());
        let flag = if e164 { E164_NUMBER } else { 0 };
        match &lead.status {
            LeadStatus::Live => out.push(flag),
            LeadStatus::OneOff => out.push(1 | flag),
            LeadStatus::Other(s) => {
                out.push(2 | flag);
                put_text(&mut out, s);
            }
        }
        put_text(&mut out, &lead.id);
        if !e164 {
            put_text(&mut out, &lead.number);
        }
        // At most 100 keys reach a lead through a request; a world file
        // could hold more, so the count saturates and the rest are kept
        // all the same (the count only says where the data starts).
        out.push(u8::try_from(lead.data.len()).unwrap_or(u8::MAX));
        for (key, value) in &lead.data {
            put_text(&mut out, key);
            match value {
                Scalar::Null => out.push(0),
                Scalar::Bool(false) => out.push(1),
                Scalar::Bool(true) => out.push(2),
                Scalar::Number(n) => {
                    // The number's own bits: a float read back from its
                    // text can be one unit off (serde_json's fast parse).
                    if let Some(u) = n.as_u64() {
                        out.push(3);
                        out.extend_from_slice(&u.to_le_bytes());
                    } else if let Some(i) = n.as_i64() {
                        out.push(6);
                        out.extend_from_slice(&i.to_le_bytes());
                    } else {
                        out.push(7);
                        let f = n.as_f64().unwrap_or_default();
                        out.extend_from_slice(&f.to_bits().to_le_bytes());
                    }
                }
                Scalar::String(s) => {
                    out.push(4);
                    put_text(&mut out, s);
                }
                Scalar::Integer(s) => {
                    out.push(5);
                    put_text(&mut out, s);
                }
            }
        }
        Packed(Arc::from(out))
    }

    /// The header, and a reader at the status byte.
    fn header(&self) -> (Header, Reader<'_>) {
        let mut r = Reader(&self.0);
        let seq = r.varint().unwrap_or(0);
        let digits = r.varint().unwrap_or(0);
        let scope = r
            .varint()
            .and_then(|s| u32::try_from(s).ok())
            .unwrap_or(u32::MAX);
        let region = [r.byte().unwrap_or(0), r.byte().unwrap_or(0)];
        let header = Header {
            seq,
            digits,
            scope,
            region,
        };
        (header, r)
    }

    /// Insertion order: of two live leads with one number, the older (the
    /// smaller) is reused.
    pub(super) fn seq(&self) -> u64 {
        self.header().0.seq
    }

    /// The E.164 digits its number reads as; 0: unread or unreadable.
    pub(super) fn digits(&self) -> u64 {
        self.header().0.digits
    }

    /// The interned (company, schedule).
    pub(super) fn scope(&self) -> u32 {
        self.header().0.scope
    }

    /// The region the store read the digits in itself, if it did.
    pub(super) fn region(&self) -> Option<Region> {
        let code = self.header().0.region;
        std::str::from_utf8(&code).ok()?.parse().ok()
    }

    /// Whether the lead is live.
    pub(super) fn is_live(&self) -> bool {
        self.header().1 .0.first().map(|s| s & !E164_NUMBER) == Some(0)
    }

    /// The digits it is live-indexed under; 0: not indexed.
    pub(super) fn indexed(&self) -> u64 {
        if self.is_live() {
            self.digits()
        } else {
            0
        }
    }

    /// A reader past the header and the status text.
    fn after_status(&self) -> Reader<'_> {
        let mut r = self.header().1;
        if r.byte().map(|s| s & !E164_NUMBER) == Some(2) {
            let _ = r.text();
        }
        r
    }

    /// The lead's id.
    pub(super) fn id(&self) -> &str {
        self.after_status().text().unwrap_or_default()
    }

    /// The scope and the id, read in one pass (an id index lookup's test).
    pub(super) fn scope_and_id(&self) -> (u32, &str) {
        let (header, mut r) = self.header();
        if r.byte().map(|s| s & !E164_NUMBER) == Some(2) {
            let _ = r.text();
        }
        (header.scope, r.text().unwrap_or_default())
    }

    /// The scope and the digits, read in one pass (a live index lookup's
    /// test).
    pub(super) fn scope_and_digits(&self) -> (u32, u64) {
        let header = self.header().0;
        (header.scope, header.digits)
    }

    /// The digits, if the store read them itself in `region`.
    pub(super) fn digits_read_in(&self, region: Region) -> Option<u64> {
        let header = self.header().0;
        (header.region == region.as_str().as_bytes()).then_some(header.digits)
    }

    /// The lead, its company and schedule given by the store's scope.
    pub(super) fn unpack(&self, company_id: &str, schedule_id: &str) -> Lead {
        let (header, mut r) = self.header();
        let byte = r.byte().unwrap_or(0);
        let status = match byte & !E164_NUMBER {
            0 => LeadStatus::Live,
            1 => LeadStatus::OneOff,
            _ => LeadStatus::Other(r.text().unwrap_or_default().to_owned()),
        };
        let id = r.text().unwrap_or_default().to_owned();
        let number = if byte & E164_NUMBER != 0 {
            e164_text(header.digits)
        } else {
            r.text().unwrap_or_default().to_owned()
        };
        let data = read_data(&mut r);
        Lead {
            id,
            company_id: company_id.to_owned(),
            schedule_id: schedule_id.to_owned(),
            number,
            status,
            data,
        }
    }

    /// What the lead path reads of the lead: its id, its number unless the
    /// digits were read in `region` (then those), and its data; its
    /// schedule is the one `schedule_of` names for its scope.
    pub(super) fn to_dial<'s>(
        &self,
        region: Region,
        schedule_of: impl FnOnce(u32) -> &'s str,
    ) -> LeadToDial {
        let (header, mut r) = self.header();
        let schedule_id = schedule_of(header.scope);
        let byte = r.byte().unwrap_or(0);
        if byte & !E164_NUMBER == 2 {
            let _ = r.text();
        }
        let id = r.text().unwrap_or_default().to_owned();
        let read = (header.region == region.as_str().as_bytes())
            .then(|| crate::phone::E164::from_digits(header.digits))
            .flatten();
        let number = if byte & E164_NUMBER != 0 {
            if read.is_some() {
                String::new()
            } else {
                e164_text(header.digits)
            }
        } else {
            let text = r.text().unwrap_or_default();
            if read.is_some() {
                String::new()
            } else {
                text.to_owned()
            }
        };
        LeadToDial {
            id,
            schedule_id: schedule_id.to_owned(),
            number,
            read,
            data: read_data(&mut r),
        }
    }

    /// Whether two packs are one (the same allocation).
    pub(super) fn same(&self, other: &Packed) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }

    /// Bytes it holds on the heap (its allocation's counts included).
    pub(super) fn heap_bytes(&self) -> usize {
        self.0.len() + 2 * std::mem::size_of::<usize>()
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn scalar() -> impl Strategy<Value = Scalar> {
        prop_oneof![
            Just(Scalar::Null),
            any::<bool>().prop_map(Scalar::Bool),
            any::<i64>().prop_map(|n| Scalar::Number(n.into())),
            any::<u64>().prop_map(|n| Scalar::Number(n.into())),
            any::<f64>()
                .prop_filter_map("finite", serde_json::Number::from_f64)
                .prop_map(Scalar::Number),
            ".{0,300}".prop_map(Scalar::String),
            "-?[0-9]{20,40}".prop_map(Scalar::Integer),
        ]
    }

    fn status() -> impl Strategy<Value = LeadStatus> {
        prop_oneof![
            Just(LeadStatus::Live),
            Just(LeadStatus::OneOff),
            ".{0,20}".prop_map(|s| LeadStatus::from(s.as_str())),
        ]
    }

    proptest! {
        #[test]
        fn a_lead_unpacks_as_it_was_packed(
            id in ".{1,130}",
            number in prop_oneof![".{0,260}", Just("+17195551234".to_owned()), Just("+0".to_owned())],
            status in status(),
            data in proptest::collection::btree_map(".{0,70}", scalar(), 0..120),
            seq in any::<u64>(),
            digits in prop_oneof![any::<u64>(), Just(17195551234u64), Just(0u64)],
            scope in any::<u32>(),
            read_in in any::<bool>(),
        ) {
            let lead = Lead { id, company_id: "acme".into(), schedule_id: "s".into(), number, status, data };
            let packed = Packed::new(&lead, seq, digits, scope, read_in.then_some(Region::US));
            prop_assert_eq!(packed.unpack("acme", "s"), lead.clone());
            let dial = packed.to_dial(Region::US, |s| { assert_eq!(s, scope); "s" });
            prop_assert_eq!(&dial.id, &lead.id);
            prop_assert_eq!(&dial.data, &lead.data);
            prop_assert_eq!(dial.schedule_id.as_str(), "s");
            match dial.read {
                Some(n) => prop_assert_eq!((n.digits(), dial.number.as_str()), (digits, "")),
                None => prop_assert_eq!(&dial.number, &lead.number),
            }
            prop_assert_eq!(packed.id(), lead.id.as_str());
            prop_assert_eq!((packed.seq(), packed.digits(), packed.scope()), (seq, digits, scope));
            prop_assert_eq!(packed.is_live(), lead.status.is_live());
            prop_assert_eq!(packed.digits_read_in(Region::US), read_in.then_some(digits));
            prop_assert_eq!(packed.region(), read_in.then_some(Region::US));
            prop_assert_eq!(packed.digits_read_in("GB".parse().unwrap()), None);
        }
    }

    #[test]
    fn e164_text_writes_as_format() {
        for n in [0u64, 7, 10, 17195551234, 999_999_999_999_999, u64::MAX] {
            assert_eq!(e164_text(n), format!("+{n}"));
        }
    }

    #[test]
    fn a_lead_with_two_data_keys_packs_small() {
        let mut lead = Lead::live("lead-0000123", "company-01", "sch-solar", "+17195551234");
        lead.data
            .insert("first_name".into(), Scalar::String("Carmen".into()));
        lead.data
            .insert("state".into(), Scalar::String("CO".into()));
        let packed = Packed::new(&lead, 1_000_000, 17195551234, 3, Some(Region::US));
        // 88 bytes or fewer is a 96-byte allocation with glibc's malloc.
        assert!(packed.heap_bytes() <= 88, "{}", packed.heap_bytes());
    }
}
