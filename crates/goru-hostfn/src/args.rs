//! A host call's arguments, read into a typed struct with serde.

use goru_core::HostError;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

/// Reads the guest's `args`, an object of named arguments, as a `T`. A call
/// without arguments (`null`) reads as an empty object, so a `T` whose
/// fields all have defaults accepts it. A mismatch is an `invalid_argument`
/// error naming the field, e.g. ``"`key`: invalid type: integer `1`,
/// expected a string"``.
pub(crate) fn parse<T: DeserializeOwned>(args: Value) -> Result<T, HostError> {
    let args = match args {
        Value::Null => Value::Object(Map::new()),
        // serde would also read a struct from an array, by position.
        Value::Object(_) => args,
        _ => return Err(HostError::invalid_argument("the arguments must be an object")),
    };
    serde_path_to_error::deserialize(args).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        // The arguments as a whole (a missing field, a non-object) have the path ".".
        HostError::invalid_argument(if path == "." {
            inner.to_string()
        } else {
            format!("`{path}`: {inner}")
        })
    })
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;
    use serde_json::json;

    use super::*;

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Args {
        key: String,
        #[serde(default)]
        tags: Vec<String>,
    }

    fn message(args: Value) -> String {
        let error = parse::<Args>(args).unwrap_err();
        assert_eq!(error.kind(), "invalid_argument");
        error.message().to_owned()
    }

    #[test]
    fn arguments_are_read_into_the_struct() {
        let args: Args = parse(json!({"key": "a"})).unwrap();
        assert_eq!(
            args,
            Args {
                key: "a".into(),
                tags: vec![]
            }
        );
    }

    #[test]
    fn a_bad_argument_is_named_in_the_message() {
        assert_eq!(
            message(json!({"key": 1})),
            "`key`: invalid type: integer `1`, expected a string"
        );
        assert_eq!(
            message(json!({"key": "a", "tags": ["x", 2]})),
            "`tags[1]`: invalid type: integer `2`, expected a string"
        );
        assert_eq!(message(json!({})), "missing field `key`");
        assert_eq!(message(Value::Null), "missing field `key`");
        assert_eq!(
            message(json!({"key": "a", "extra": 1})),
            "`extra`: unknown field `extra`, expected `key` or `tags`"
        );
        assert_eq!(message(json!(["a"])), "the arguments must be an object");
    }
}
