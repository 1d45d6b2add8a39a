//! A lead packed into one allocation of text, for the lead store.
//!
//! A [`Lead`] as Rust lays it out is six `String`-sized fields and a
//! `BTreeMap`, each with heap allocations of its own: about 1.3 KB for a
//! lead with two data keys. Packed, the same lead is one allocation of
//! about 80 bytes: a header (the interned (company, schedule) scope, the
//! E.164 digits, the insertion order, as varints; the region the digits
//! were read in; the status), then the id, the number and the data as
//! length-prefixed text. A lookup unpacks it into a `Lead` (the
//! allocations a decision would have made copying the shared lead's data
//! and id anyway).
//!
//! The pack is a `str`: every byte that is not text is ASCII (below 0x80),
//! so the whole is valid UTF-8, checked once when it is made, and a text is
//! read back by slicing (two char-boundary tests) instead of validating its
//! bytes on every lookup (the crate has no `unsafe` to skip that check).
//!
//! Layout: `scope | digits | seq` (varints) `| region: 2 ASCII bytes or 0 0
//! | status |
//! [status text] | id | [number] | n | n × (key, tag, [value])`,
//! the number left out when it is `+` and the digits (a flag on the status),
//! where a varint holds six bits a byte, low first, with 0x40 set on every
//! byte but the last; a text is a varint length and UTF-8 bytes; `n` is the
//! count of keys up to 127; a status or value tag is one byte (status: 0
//! live, 1 one_off, 2 other + text; value: 0 null, 1 false, 2 true, 3/6/7 a
//! number as a varint of its u64 / zigzagged i64 / f64 bits, 4 string +
//! text, 5 integer literal + text). Numbers keep their bits, not their
//! text: serde_json's fast float parse can read a float's text back one
//! unit off (the property test below found it).

use std::sync::Arc;

use crate::model::{Data, Lead, LeadStatus, Scalar};
use crate::phone::Region;
use crate::store::LeadToDial;

/// The status byte's flag: the number is `+` and the digits.
const E164_NUMBER: u8 = 0x10;

/// A varint byte's flag: more bytes follow.
const MORE: u8 = 0x40;

/// Bytes of the header at most: three varints and three bytes.
const HEADER: usize = 11 + 11 + 6 + 3;

/// A packed lead (see the module's notes). Cloning shares it.
#[derive(Clone, Debug)]
pub(super) struct Packed(Arc<str>);

/// Appends an ASCII byte (below 0x80, as every non-text byte of a pack is).
fn put_byte(out: &mut String, b: u8) {
    out.push(char::from(b & 0x7f));
}

fn put_varint(out: &mut String, mut n: u64) {
    loop {
        // Six bits at a time, low first; 0x40 says more follow.
        let byte = (n & 0x3f) as u8;
        n >>= 6;
        if n == 0 {
            put_byte(out, byte);
            break;
        }
        put_byte(out, byte | MORE);
    }
}

fn put_text(out: &mut String, text: &str) {
    put_varint(out, text.len() as u64);
    out.push_str(text);
}

/// Reads a pack front to back; every read is checked, so text that is not
/// a packed lead (never, from [`Packed::new`]) reads as `None`.
struct Reader<'a> {
    text: &'a str,
    at: usize,
}

impl<'a> Reader<'a> {
    fn new(text: &'a str) -> Self {
        Reader { text, at: 0 }
    }

    fn byte(&mut self) -> Option<u8> {
        let b = *self.text.as_bytes().get(self.at)?;
        self.at += 1;
        Some(b)
    }

    /// The next byte, not read.
    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.at).copied()
    }

    #[inline]
    fn varint(&mut self) -> Option<u64> {
        // Most varints (lengths, scopes) are one byte.
        let b = self.byte()?;
        if b & MORE == 0 {
            return Some(u64::from(b));
        }
        self.varint_from(u64::from(b & 0x3f))
    }

    /// The rest of a varint whose first byte gave `n`.
    fn varint_from(&mut self, mut n: u64) -> Option<u64> {
        let mut shift = 6u32;
        loop {
            let b = self.byte()?;
            n |= u64::from(b & 0x3f).checked_shl(shift)?;
            if b & MORE == 0 {
                return Some(n);
            }
            shift += 6;
        }
    }

    /// Steps over a varint without decoding it.
    fn skip_varint(&mut self) {
        while self.byte().is_some_and(|b| b & MORE != 0) {}
    }

    fn text(&mut self) -> Option<&'a str> {
        let len = usize::try_from(self.varint()?).ok()?;
        let end = self.at.checked_add(len)?;
        // Slicing a `str` tests two char boundaries; the bytes were
        // validated once, when the pack was made.
        let text = self.text.get(self.at..end)?;
        self.at = end;
        Some(text)
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
            Some(3) => match r.varint() {
                Some(u) => Scalar::Number(u.into()),
                None => break,
            },
            Some(6) => match r.varint() {
                Some(z) => Scalar::Number(unzigzag(z).into()),
                None => break,
            },
            Some(7) => match r
                .varint()
                .and_then(|b| serde_json::Number::from_f64(f64::from_bits(b)))
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

/// An i64 as a u64 that is small when the i64 is near zero.
fn zigzag(i: i64) -> u64 {
    ((i << 1) ^ (i >> 63)) as u64
}

fn unzigzag(z: u64) -> i64 {
    ((z >> 1) as i64) ^ -((z & 1) as i64)
}

/// The header's fields but the insertion order (which only the live
/// index's tie-break reads: see [`Packed::seq`]).
struct Header {
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
        let mut out = String::with_capacity(HEADER + lead.id.len() + lead.number.len() + 8);
        put_varint(&mut out, u64::from(scope));
        put_varint(&mut out, digits);
        put_varint(&mut out, seq);
        match read_in.map(|r| r.as_str().as_bytes().to_owned()) {
            Some(code) if code.len() == 2 => code.iter().for_each(|&b| put_byte(&mut out, b)),
            _ => out.push_str("\0\0"),
        }
        // A number written as its own E.164 text is not kept twice: a flag
        // on the status byte says to write it back from the digits.
        let e164 = digits != 0 && lead.number.strip_prefix('+') == Some(&*digits.to_string());
        let flag = if e164 { E164_NUMBER } else { 0 };
        match &lead.status {
            LeadStatus::Live => put_byte(&mut out, flag),
            LeadStatus::OneOff => put_byte(&mut out, 1 | flag),
            LeadStatus::Other(s) => {
                put_byte(&mut out, 2 | flag);
                put_text(&mut out, s);
            }
        }
        put_text(&mut out, &lead.id);
        if !e164 {
            put_text(&mut out, &lead.number);
        }
        // At most 100 keys reach a lead through a request; a world file
        // could hold more, so the count saturates (at 127, to stay ASCII)
        // and the rest are kept all the same (the count only says where the
        // data starts).
        put_byte(
            &mut out,
            u8::try_from(lead.data.len().min(0x7f)).unwrap_or(0x7f),
        );
        for (key, value) in &lead.data {
            put_text(&mut out, key);
            match value {
                Scalar::Null => put_byte(&mut out, 0),
                Scalar::Bool(false) => put_byte(&mut out, 1),
                Scalar::Bool(true) => put_byte(&mut out, 2),
                Scalar::Number(n) => {
                    // The number's own bits: a float read back from its
                    // text can be one unit off (serde_json's fast parse).
                    if let Some(u) = n.as_u64() {
                        put_byte(&mut out, 3);
                        put_varint(&mut out, u);
                    } else if let Some(i) = n.as_i64() {
                        put_byte(&mut out, 6);
                        put_varint(&mut out, zigzag(i));
                    } else {
                        put_byte(&mut out, 7);
                        put_varint(&mut out, n.as_f64().unwrap_or_default().to_bits());
                    }
                }
                Scalar::String(s) => {
                    put_byte(&mut out, 4);
                    put_text(&mut out, s);
                }
                Scalar::Integer(s) => {
                    put_byte(&mut out, 5);
                    put_text(&mut out, s);
                }
            }
        }
        Packed(Arc::from(out))
    }

    /// The header, and a reader at the status byte.
    fn header(&self) -> (Header, Reader<'_>) {
        let mut r = Reader::new(&self.0);
        let scope = r
            .varint()
            .and_then(|s| u32::try_from(s).ok())
            .unwrap_or(u32::MAX);
        let digits = r.varint().unwrap_or(0);
        r.skip_varint();
        let region = [r.byte().unwrap_or(0), r.byte().unwrap_or(0)];
        let header = Header {
            digits,
            scope,
            region,
        };
        (header, r)
    }

    /// Insertion order: of two live leads with one number, the older (the
    /// smaller) is reused.
    pub(super) fn seq(&self) -> u64 {
        let mut r = Reader::new(&self.0);
        r.skip_varint();
        r.skip_varint();
        r.varint().unwrap_or(0)
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
        self.header().1.peek().map(|s| s & !E164_NUMBER) == Some(0)
    }

    /// The digits it is live-indexed under; 0: not indexed.
    pub(super) fn indexed(&self) -> u64 {
        if self.is_live() {
            self.digits()
        } else {
            0
        }
    }

    /// The lead's id.
    pub(super) fn id(&self) -> &str {
        self.open().id
    }

    /// The pack read up to the end of its id, in one pass: what an id
    /// index lookup tests, kept to read on from.
    pub(super) fn open(&self) -> Opened<'_> {
        let (header, mut r) = self.header();
        let status = r.byte().unwrap_or(0);
        if status & !E164_NUMBER == 2 {
            let _ = r.text();
        }
        let id = r.text().unwrap_or_default();
        Opened {
            header,
            status,
            id,
            rest: r,
        }
    }

    /// The scope and the digits, read in one pass (a live index lookup's
    /// test).
    pub(super) fn scope_and_digits(&self) -> (u32, u64) {
        // The header's first two fields.
        let mut r = Reader::new(&self.0);
        let scope = r
            .varint()
            .and_then(|s| u32::try_from(s).ok())
            .unwrap_or(u32::MAX);
        (scope, r.varint().unwrap_or(0))
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

    /// Whether two packs are one (the same allocation).
    pub(super) fn same(&self, other: &Packed) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }

    /// Bytes it holds on the heap (its allocation's counts included).
    pub(super) fn heap_bytes(&self) -> usize {
        self.0.len() + 2 * std::mem::size_of::<usize>()
    }
}

/// A pack read up to the end of its id ([`Packed::open`]).
pub(super) struct Opened<'a> {
    header: Header,
    status: u8,
    id: &'a str,
    rest: Reader<'a>,
}

impl<'a> Opened<'a> {
    /// The interned (company, schedule).
    pub(super) fn scope(&self) -> u32 {
        self.header.scope
    }

    /// The lead's id.
    pub(super) fn id(&self) -> &'a str {
        self.id
    }

    /// What the lead path reads of the lead: its id, its number unless the
    /// digits were read in `region` (then those), and its data; its
    /// schedule is the one `schedule_of` names for its scope.
    pub(super) fn into_lead_to_dial<'s>(
        mut self,
        region: Region,
        schedule_of: impl FnOnce(u32) -> &'s str,
    ) -> LeadToDial<'s> {
        let header = &self.header;
        let schedule_id = schedule_of(header.scope);
        let read = (header.region == region.as_str().as_bytes())
            .then(|| crate::phone::E164::from_digits(header.digits))
            .flatten();
        let number = if self.status & E164_NUMBER != 0 {
            if read.is_some() {
                String::new()
            } else {
                e164_text(header.digits)
            }
        } else {
            let text = self.rest.text().unwrap_or_default();
            if read.is_some() {
                String::new()
            } else {
                text.to_owned()
            }
        };
        LeadToDial {
            id: self.id.to_owned(),
            schedule_id: std::borrow::Cow::Borrowed(schedule_id),
            number,
            read,
            data: read_data(&mut self.rest),
        }
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
            let dial = packed.open().into_lead_to_dial(Region::US, |s| { assert_eq!(s, scope); "s" });
            prop_assert_eq!(&dial.id, &lead.id);
            prop_assert_eq!(&dial.data, &lead.data);
            prop_assert_eq!(&*dial.schedule_id, "s");
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
