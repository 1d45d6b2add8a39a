//! The body of `POST /api/v1/schedules/make_call`, read strictly from JSON.

use std::fmt;

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::Deserialize;

use crate::model::{Data, Scalar};
use crate::rejection::Rejection;

/// A "call now" / "promote" request, as the host received it.
///
/// Every field is optional here; the shape stage enforces the contract's rules
/// (which combinations are allowed, lengths, sizes).
///
/// # Example
/// ```
/// use dialgate::MakeCallRequest;
/// let req = MakeCallRequest::from_json(br#"{"schedule_id": "123", "to": "+17195551234"}"#).unwrap();
/// assert_eq!(req.schedule_id.as_deref(), Some("123"));
/// assert_eq!(MakeCallRequest::for_schedule("123", "+17195551234"), req);
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MakeCallRequest {
    /// Dial this lead.
    pub lead_id: Option<String>,
    /// Dial `to` on this schedule.
    pub schedule_id: Option<String>,
    /// Dial `to` on the schedule with this Leads API key.
    pub lead_token: Option<String>,
    /// The number to dial, any format the company's region reads.
    pub to: Option<String>,
    /// Flat data for routing and the call record.
    pub data: Data,
}

impl MakeCallRequest {
    /// A request to dial `to` on schedule `schedule_id`.
    ///
    /// # Example
    /// ```
    /// let r = dialgate::MakeCallRequest::for_schedule("sch-solar", "(719) 555-1234");
    /// assert_eq!(r.schedule_id.as_deref(), Some("sch-solar"));
    /// assert_eq!(r.to.as_deref(), Some("(719) 555-1234"));
    /// ```
    pub fn for_schedule(schedule_id: &str, to: &str) -> Self {
        MakeCallRequest {
            schedule_id: Some(schedule_id.to_owned()),
            to: Some(to.to_owned()),
            ..Self::default()
        }
    }

    /// A request to dial `to` on the schedule whose Leads API key is `lead_token`.
    ///
    /// # Example
    /// ```
    /// let r = dialgate::MakeCallRequest::for_token("tok-solar", "+17195551234");
    /// assert_eq!(r.lead_token.as_deref(), Some("tok-solar"));
    /// ```
    pub fn for_token(lead_token: &str, to: &str) -> Self {
        MakeCallRequest {
            lead_token: Some(lead_token.to_owned()),
            to: Some(to.to_owned()),
            ..Self::default()
        }
    }

    /// A request to dial lead `lead_id`.
    ///
    /// # Example
    /// ```
    /// let r = dialgate::MakeCallRequest::for_lead("lead-ann");
    /// assert_eq!(r.lead_id.as_deref(), Some("lead-ann"));
    /// ```
    pub fn for_lead(lead_id: &str) -> Self {
        MakeCallRequest {
            lead_id: Some(lead_id.to_owned()),
            ..Self::default()
        }
    }

    /// Adds one key of data.
    ///
    /// # Example
    /// ```
    /// let r = dialgate::MakeCallRequest::for_lead("l").with_data("state", "CO");
    /// assert_eq!(r.data.len(), 1);
    /// ```
    pub fn with_data(mut self, key: &str, value: impl Into<Scalar>) -> Self {
        self.data.insert(key.to_owned(), value.into());
        self
    }

    /// Reads a request body. Unknown keys are ignored, as an HTTP API
    /// ignores fields it does not know; `null` stands for an absent field.
    ///
    /// # Errors
    /// `invalid_request` when the body is not a JSON object, repeats a key,
    /// gives an id, token or `to` that is not a string, or gives `data` that
    /// is not a flat object of scalars.
    ///
    /// # Example
    /// ```
    /// use dialgate::MakeCallRequest;
    /// let r = MakeCallRequest::from_json(br#"{"lead_id": "lead-ann", "data": {"state": "CO"}, "utm_source": "fb"}"#).unwrap();
    /// assert_eq!(r, MakeCallRequest::for_lead("lead-ann").with_data("state", "CO"));
    /// let err = MakeCallRequest::from_json(br#"{"lead_id": "lead-ann", "lead_id": "lead-bob"}"#).unwrap_err();
    /// assert_eq!(err.code(), "invalid_request");
    /// ```
    pub fn from_json(body: &[u8]) -> Result<Self, Rejection> {
        let mut de = serde_json::Deserializer::from_slice(body);
        let request = (&mut de)
            .deserialize_map(RequestVisitor {
                keys: MAKE_CALL_KEYS,
            })
            .and_then(|r| de.end().map(|()| r))
            .map_err(|e| Rejection::invalid(e.to_string()))?;
        Ok(request)
    }
}

impl<'de> Deserialize<'de> for MakeCallRequest {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(RequestVisitor {
            keys: MAKE_CALL_KEYS,
        })
    }
}

/// The body keys read into a request's lead id, schedule id, token and
/// number, in that order: make_call's, or a lead enrolment's.
pub(crate) type Keys = [&'static str; 4];

/// make_call's keys.
const MAKE_CALL_KEYS: Keys = ["lead_id", "schedule_id", "lead_token", "to"];

/// Reads a request body whose four text fields are named `keys`, and `data`.
pub(crate) struct RequestVisitor {
    pub(crate) keys: Keys,
}

impl<'de> Visitor<'de> for RequestVisitor {
    type Value = MakeCallRequest;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut request = MakeCallRequest::default();
        let mut seen_data = false;
        let mut seen = [false; 4];
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            let slot = match self.keys.iter().position(|k| *k == &*key) {
                Some(slot) => slot,
                None if &*key == "data" => {
                    if std::mem::replace(&mut seen_data, true) {
                        return Err(de::Error::custom("duplicate key `data`"));
                    }
                    request.data = map.next_value::<Option<FlatData>>()?.unwrap_or_default().0;
                    continue;
                }
                None => {
                    map.next_value::<de::IgnoredAny>()?;
                    continue;
                }
            };
            if let Some(flag) = seen.get_mut(slot) {
                if std::mem::replace(flag, true) {
                    return Err(de::Error::custom(format_args!("duplicate key `{key}`")));
                }
            }
            let value = map
                .next_value::<Option<Text>>()
                .map_err(|_| de::Error::custom(format_args!("`{key}` must be a string")))?
                .map(|t| t.0);
            match slot {
                0 => request.lead_id = value,
                1 => request.schedule_id = value,
                2 => request.lead_token = value,
                _ => request.to = value,
            }
        }
        Ok(request)
    }
}

/// A JSON string and nothing else.
struct Text(String);

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Text;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Text, E> {
                Ok(Text(v.to_owned()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Text, E> {
                Ok(Text(v))
            }
        }
        deserializer.deserialize_string(V)
    }
}

/// A flat object of scalars, refusing repeated keys.
#[derive(Default)]
struct FlatData(Data);

impl<'de> Deserialize<'de> for FlatData {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = FlatData;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("`data` as a flat object of scalars")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<FlatData, A::Error> {
                let mut data = Data::new();
                while let Some(key) = map.next_key::<String>()? {
                    let value = map.next_value::<ScalarOnly>().map_err(|_| {
                        de::Error::custom(format_args!(
                            "`data.{key}` must be a string, number, boolean or null"
                        ))
                    })?;
                    if data.insert(key, value.0).is_some() {
                        return Err(de::Error::custom("duplicate key in `data`"));
                    }
                }
                Ok(FlatData(data))
            }
        }
        deserializer.deserialize_map(V)
    }
}

/// A scalar, refusing arrays and objects.
#[derive(Debug)]
pub(crate) struct ScalarOnly(pub(crate) Scalar);

impl<'de> Deserialize<'de> for ScalarOnly {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // The raw text, so an integer literal keeps its exact digits (serde
        // reads one past u64 as a double, `1e+20`, and `-0` as `-0.0`).
        let raw = <&'de serde_json::value::RawValue>::deserialize(deserializer)?;
        scalar_from_raw(raw.get())
            .map(ScalarOnly)
            .map_err(de::Error::custom)
    }
}

/// A scalar from its JSON text: an integer literal compares as its decimal
/// digits (`-0` is 0; one beyond 64 bits keeps its digits), any other number
/// as its double.
pub(crate) fn scalar_from_raw(text: &str) -> Result<Scalar, String> {
    let text = text.trim();
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|_| format!("`{text}` is not JSON"))?;
    Ok(match value {
        serde_json::Value::Null => Scalar::Null,
        serde_json::Value::Bool(b) => Scalar::Bool(b),
        serde_json::Value::String(s) => Scalar::String(s),
        serde_json::Value::Number(n) => {
            let digits = text.strip_prefix('-').unwrap_or(text);
            let integer = !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit());
            if !integer || n.is_i64() || n.is_u64() {
                Scalar::Number(n)
            } else if digits.bytes().all(|b| b == b'0') {
                Scalar::Number(0.into())
            } else {
                Scalar::Integer(text.to_owned())
            }
        }
        _ => return Err("a string, number, boolean or null".into()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 12, item 8: `-0` read as `"-0.0"` and integers past u64 as
    /// `"1e+20"`; an integer compares in decimal, as the contract says.
    #[test]
    fn integer_literals_keep_their_decimal_text() {
        let req = MakeCallRequest::from_json(
            br#"{"schedule_id": "s", "to": "+17195551234", "data": {"z": -0, "big": 100000000000000000000, "neg": -123456789012345678901, "f": 4.2e1, "fz": -0.0, "i": 42}}"#,
        )
        .unwrap();
        let text = |k: &str| req.data[k].text().unwrap().into_owned();
        assert_eq!(text("z"), "0");
        assert_eq!(text("big"), "100000000000000000000");
        assert_eq!(text("neg"), "-123456789012345678901");
        assert_eq!(text("f"), "42.0");
        assert_eq!(text("fz"), "-0.0");
        assert_eq!(text("i"), "42");
        // Written back as JSON numbers, digits intact.
        let json = serde_json::to_string(&req.data).unwrap();
        assert!(json.contains(r#""big":100000000000000000000"#), "{json}");
    }

    fn code(body: &str) -> Option<&'static str> {
        MakeCallRequest::from_json(body.as_bytes())
            .err()
            .map(|r| r.code())
    }

    #[test]
    fn reads_every_field() {
        let r = MakeCallRequest::from_json(
            br#"{"lead_token":"t","to":"+1","data":{"a":1,"b":"x","c":true,"d":null,"e":1.5},"extra":[1]}"#,
        )
        .unwrap();
        assert_eq!(r.lead_token.as_deref(), Some("t"));
        assert_eq!(r.data.len(), 5);
        assert_eq!(r.data["a"].text().as_deref(), Some("1"));
    }

    #[test]
    fn nulls_are_absent() {
        let r = MakeCallRequest::from_json(br#"{"lead_id":"x","to":null,"data":null}"#).unwrap();
        assert_eq!(r, MakeCallRequest::for_lead("x"));
    }

    #[test]
    fn wrong_types_and_repeats_are_invalid_requests() {
        for body in [
            r#"{"to": 17195551234}"#,
            r#"{"schedule_id": ["a"]}"#,
            r#"{"data": {"a": {"b": 1}}}"#,
            r#"{"data": {"a": [1]}}"#,
            r#"{"data": [1]}"#,
            r#"{"to": "1", "to": "2"}"#,
            r#"{"data": {"a": 1, "a": 2}}"#,
            r#"[]"#,
            r#""x""#,
            r#"{"to": "1"} trailing"#,
            r#"{"to": "1""#,
        ] {
            assert_eq!(code(body), Some("invalid_request"), "{body}");
        }
    }

    #[test]
    fn message_names_the_field() {
        let err = MakeCallRequest::from_json(br#"{"to": 5}"#).unwrap_err();
        assert!(err.to_string().contains("`to` must be a string"), "{err}");
    }
}
