//! Decodes a request frame, `{"calls": [{"fn": NAME, "args": ARGS}, ...]}`,
//! charging the host memory its parsed form takes against a budget.
//!
//! Parsed JSON is much larger than its text: 16 MiB of `[{"":0},...]` is
//! 1.5 GB of `serde_json::Value`s. So the values are built here, each
//! allocation charged (an upper bound of it) before it is made, and a frame
//! whose parse would pass the budget is refused. The number of calls is
//! checked while parsing too, so a frame of a million calls stops at the
//! first one over the run's allowance.

use std::cell::Cell;
use std::fmt;
use std::mem::size_of;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use crate::protocol::frame::{ARGS, CALLS, FN};

/// One requested call.
#[derive(Debug)]
pub(crate) struct Call {
    pub(crate) name: String,
    pub(crate) args: Value,
}

/// Why a frame was not decoded.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// Not the request format; the message says where.
    Malformed(String),
    /// More calls than the run has left.
    TooManyCalls,
    /// The parsed request would take more than the budget.
    OverBudget,
}

/// Decodes `payload`: at most `max_calls` calls, whose parsed form takes at
/// most `budget` bytes of host memory.
pub(crate) fn decode(payload: &[u8], max_calls: usize, budget: usize) -> Result<Vec<Call>, Refusal> {
    let state = State {
        left: Cell::new(budget),
        max_calls,
        refusal: Cell::new(None),
    };
    let mut deserializer = serde_json::Deserializer::from_slice(payload);
    let parsed = RequestSeed(&state)
        .deserialize(&mut deserializer)
        .and_then(|calls| deserializer.end().map(|()| calls));
    parsed.map_err(|e| {
        state
            .refusal
            .take()
            .unwrap_or_else(|| Refusal::Malformed(e.to_string()))
    })
}

/// A B-tree node of `Map<String, Value>` on 64-bit: 11 keys of 24 bytes, 11
/// values of 32, 12 child pointers and a header make 724 bytes; rounded up.
const MAP_NODE_BYTES: usize = 768;
/// Every node but the root holds at least 5 entries, so a map of `n > 0`
/// entries has at most `1 + n / 5` nodes: one node for the first entry and a
/// fifth of one for each entry bounds it.
const MAP_ENTRY_BYTES: usize = MAP_NODE_BYTES / 5 + 1;

struct State {
    left: Cell<usize>,
    max_calls: usize,
    refusal: Cell<Option<Refusal>>,
}

impl State {
    fn charge<E: de::Error>(&self, bytes: usize) -> Result<(), E> {
        match self.left.get().checked_sub(bytes) {
            Some(left) => {
                self.left.set(left);
                Ok(())
            }
            None => Err(self.refuse(Refusal::OverBudget)),
        }
    }

    fn refuse<E: de::Error>(&self, refusal: Refusal) -> E {
        self.refusal.set(Some(refusal));
        E::custom("refused")
    }

    /// Pushes onto `vec`, charging any capacity it grows by first.
    fn push<T, E: de::Error>(&self, vec: &mut Vec<T>, item: T) -> Result<(), E> {
        if vec.len() == vec.capacity() {
            let grown = vec.capacity().max(2);
            self.charge(grown * size_of::<T>())?;
            vec.reserve_exact(grown);
        }
        vec.push(item);
        Ok(())
    }

    fn string<E: de::Error>(&self, s: &str) -> Result<String, E> {
        self.charge(s.len())?;
        Ok(s.to_owned())
    }
}

struct RequestSeed<'a>(&'a State);

impl<'de> DeserializeSeed<'de> for RequestSeed<'_> {
    type Value = Vec<Call>;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Vec<Call>, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for RequestSeed<'_> {
    type Value = Vec<Call>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(r#"an object {"calls": [...]}"#)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Vec<Call>, A::Error> {
        let mut calls = None;
        while let Some(key) = map.next_key::<Key>()? {
            match key {
                Key::Calls if calls.is_some() => return Err(de::Error::duplicate_field(CALLS)),
                Key::Calls => calls = Some(map.next_value_seed(CallsSeed(self.0))?),
                Key::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        calls.ok_or_else(|| de::Error::missing_field(CALLS))
    }
}

struct CallsSeed<'a>(&'a State);

impl<'de> DeserializeSeed<'de> for CallsSeed<'_> {
    type Value = Vec<Call>;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Vec<Call>, D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for CallsSeed<'_> {
    type Value = Vec<Call>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of calls")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<Call>, A::Error> {
        let mut calls = Vec::new();
        while let Some(call) = seq.next_element_seed(CallSeed(self.0))? {
            if calls.len() == self.0.max_calls {
                return Err(self.0.refuse(Refusal::TooManyCalls));
            }
            self.0.push(&mut calls, call)?;
        }
        Ok(calls)
    }
}

struct CallSeed<'a>(&'a State);

impl<'de> DeserializeSeed<'de> for CallSeed<'_> {
    type Value = Call;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Call, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for CallSeed<'_> {
    type Value = Call;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(r#"a call {"fn": NAME, "args": ARGS}"#)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Call, A::Error> {
        let (mut name, mut args) = (None, None);
        while let Some(key) = map.next_key::<CallKey>()? {
            match key {
                CallKey::Fn if name.is_some() => return Err(de::Error::duplicate_field(FN)),
                CallKey::Fn => name = Some(map.next_value_seed(StringSeed(self.0))?),
                CallKey::Args if args.is_some() => return Err(de::Error::duplicate_field(ARGS)),
                CallKey::Args => args = Some(map.next_value_seed(ValueSeed(self.0))?),
                CallKey::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(Call {
            name: name.ok_or_else(|| de::Error::missing_field(FN))?,
            args: args.unwrap_or(Value::Null),
        })
    }
}

struct StringSeed<'a>(&'a State);

impl<'de> DeserializeSeed<'de> for StringSeed<'_> {
    type Value = String;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<String, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl Visitor<'_> for StringSeed<'_> {
    type Value = String;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<String, E> {
        self.0.string(s)
    }
}

/// Any JSON value, charged as it is built.
struct ValueSeed<'a>(&'a State);

impl<'de> DeserializeSeed<'de> for ValueSeed<'_> {
    type Value = Value;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ValueSeed<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        self.0.string(v).map(Value::String)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(ValueSeed(self.0))? {
            self.0.push(&mut items, item)?;
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut object = Map::new();
        while let Some(key) = map.next_key_seed(StringSeed(self.0))? {
            let first = if object.is_empty() { MAP_NODE_BYTES } else { 0 };
            self.0.charge(first + MAP_ENTRY_BYTES)?;
            let value = map.next_value_seed(ValueSeed(self.0))?;
            object.insert(key, value);
        }
        Ok(Value::Object(object))
    }
}

/// A key of the request object: only `calls` is read.
enum Key {
    Calls,
    Other,
}

impl<'de> de::Deserialize<'de> for Key {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = deserializer.deserialize_str(KeyName)?;
        Ok(if name { Key::Calls } else { Key::Other })
    }
}

/// A key of a call object.
enum CallKey {
    Fn,
    Args,
    Other,
}

impl<'de> de::Deserialize<'de> for CallKey {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(CallKeyName)
    }
}

/// Whether a key is `calls`, without allocating it.
struct KeyName;

impl Visitor<'_> for KeyName {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a key")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<bool, E> {
        Ok(v == CALLS)
    }
}

struct CallKeyName;

impl Visitor<'_> for CallKeyName {
    type Value = CallKey;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a key")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<CallKey, E> {
        Ok(match v {
            FN => CallKey::Fn,
            ARGS => CallKey::Args,
            _ => CallKey::Other,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn decode_str(text: &str) -> Result<Vec<Call>, Refusal> {
        decode(text.as_bytes(), 100, 1 << 20)
    }

    #[test]
    fn calls_are_decoded_with_their_arguments() {
        let calls = decode_str(
            r#"{"calls":[{"fn":"a","args":{"x":[1,2.5,"s",null,true]}},{"fn":"b","extra":1}],"v":2}"#,
        )
        .unwrap();
        assert_eq!(calls.len(), 2);
        assert_eq!(calls[0].name, "a");
        assert_eq!(calls[0].args, json!({"x": [1, 2.5, "s", null, true]}));
        assert_eq!(calls[1].name, "b");
        assert_eq!(calls[1].args, Value::Null);
    }

    #[test]
    fn anything_else_is_malformed() {
        for text in [
            "not json",
            r#"{"calls": 3}"#,
            r#"{"nothing": []}"#,
            r#"{"calls": [{"args": {}}]}"#,
            r#"{"calls": [{"fn": 1}]}"#,
            r#"{"calls": [], "calls": []}"#,
            r#"{"calls": []} trailing"#,
            "[]",
        ] {
            assert!(matches!(decode_str(text), Err(Refusal::Malformed(_))), "{text}");
        }
    }

    #[test]
    fn calls_beyond_the_allowance_stop_the_parse() {
        let text = format!(r#"{{"calls":[{}]}}"#, [r#"{"fn":"f"}"#; 4].join(","));
        assert_eq!(decode(text.as_bytes(), 4, 1 << 20).unwrap().len(), 4);
        assert_eq!(
            decode(text.as_bytes(), 3, 1 << 20).unwrap_err(),
            Refusal::TooManyCalls
        );
    }

    #[test]
    fn small_objects_are_charged_what_they_cost() {
        // 7 bytes of text each, most of a kilobyte once parsed.
        let args = [r#"{"":0}"#; 1000].join(",");
        let text = format!(r#"{{"calls":[{{"fn":"f","args":[{args}]}}]}}"#);
        assert_eq!(
            decode(text.as_bytes(), 1, 500_000).unwrap_err(),
            Refusal::OverBudget
        );
        assert!(decode(text.as_bytes(), 1, 1_000_000).is_ok());
    }

    #[test]
    fn strings_are_charged_their_length() {
        let text = format!(r#"{{"calls":[{{"fn":"f","args":"{}"}}]}}"#, "x".repeat(10_000));
        assert_eq!(
            decode(text.as_bytes(), 1, 10_000).unwrap_err(),
            Refusal::OverBudget
        );
        assert!(decode(text.as_bytes(), 1, 11_000).is_ok());
    }
}
