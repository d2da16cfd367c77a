//! Reading a request body: bounded by `--max-body`, JSON or MessagePack as
//! its `Content-Type` says, always an object (a map), errors answered in the
//! API's shape (axum's own extractor answers in plain text).

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use serde::de::DeserializeOwned;

use crate::error::ApiError;
use crate::state::AppState;
use crate::wire::Format;

/// A request body parsed as `T`: MessagePack when the `Content-Type` names
/// it, JSON otherwise (any other `Content-Type` is taken as JSON).
#[derive(Debug)]
pub struct JsonBody<T>(pub T);

/// A body parsed as `T`, where an empty body means `T::default()`.
#[derive(Debug)]
pub struct OptionalJsonBody<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let format = Format::of_body(request.headers());
        let bytes = read(request, state).await?;
        parse(format, &bytes).map(JsonBody)
    }
}

impl<T: DeserializeOwned + Default> FromRequest<AppState> for OptionalJsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let format = Format::of_body(request.headers());
        let bytes = read(request, state).await?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(OptionalJsonBody(T::default()));
        }
        parse(format, &bytes).map(OptionalJsonBody)
    }
}

/// The whole body, at most `--max-body` bytes (axum's `DefaultBodyLimit`,
/// set on the router, is what bounds it).
async fn read(request: Request, state: &AppState) -> Result<Bytes, ApiError> {
    Bytes::from_request(request, state).await.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::payload_too_large(state.config.max_body)
        } else {
            ApiError::bad_request(format!("cannot read the request body: {}", rejection.body_text()))
        }
    })
}

/// Parses an object. serde's derived structs would also take an array of
/// their fields in order; the API takes objects only, as its schema says.
fn parse<T: DeserializeOwned>(format: Format, bytes: &[u8]) -> Result<T, ApiError> {
    match format {
        Format::Json => {
            if bytes.trim_ascii_start().first() != Some(&b'{') {
                return Err(ApiError::bad_request("the body must be a JSON object"));
            }
            serde_json::from_slice(bytes)
                .map_err(|e| ApiError::bad_request(format!("invalid JSON body: {e}")))
        }
        Format::MsgPack => {
            // fixmap, map16, map32.
            if !matches!(bytes.first(), Some(0x80..=0x8f | 0xde | 0xdf)) {
                return Err(ApiError::bad_request("the body must be a MessagePack map"));
            }
            let mut cursor = std::io::Cursor::new(bytes);
            let value = T::deserialize(&mut rmp_serde::Deserializer::new(&mut cursor))
                .map_err(|e| ApiError::bad_request(format!("invalid MessagePack body: {e}")))?;
            if cursor.position() == bytes.len() as u64 {
                Ok(value)
            } else {
                Err(ApiError::bad_request(
                    "invalid MessagePack body: trailing bytes after the map",
                ))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Default, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Body {
        code: String,
    }

    #[test]
    fn objects_only() {
        let parsed: Body = parse(Format::Json, br#" {"code": "1"}"#).expect("an object");
        assert_eq!(parsed.code, "1");
        assert!(parse::<Body>(Format::Json, br#"["1"]"#).is_err());
        assert!(parse::<Body>(Format::Json, b"null").is_err());
        let packed = rmp_serde::to_vec_named(&serde_json::json!({"code": "1"})).unwrap();
        assert_eq!(parse::<Body>(Format::MsgPack, &packed).expect("a map").code, "1");
        let array = rmp_serde::to_vec(&("1",)).unwrap();
        assert!(parse::<Body>(Format::MsgPack, &array).is_err());
        let mut trailing = packed.clone();
        trailing.push(0xc0);
        assert!(parse::<Body>(Format::MsgPack, &trailing).is_err());
    }
}
