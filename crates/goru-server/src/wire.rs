//! The two wire formats: JSON (the default) and MessagePack (`Content-Type`
//! or `Accept: application/msgpack`), chosen once per request by a
//! middleware, so every answer of that request — run results and error
//! answers alike — goes out in the format the client asked for. In
//! MessagePack, stdout, stderr, `output` and `stdin` are raw bytes (`bin`),
//! byte-exact; JSON carries them as text.

use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::de::{self, Deserializer, Visitor};
use serde::{Serialize, Serializer};

/// MessagePack's media type, as sent and as answered.
pub const MSGPACK: &str = "application/msgpack";

/// A wire format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `application/json`; text fields are UTF-8, invalid bytes replaced.
    Json,
    /// `application/msgpack`; byte fields are `bin`.
    MsgPack,
}

tokio::task_local! {
    /// The answer format of the request being handled.
    static ANSWER: Format;
}

impl Format {
    /// The format a `Content-Type` names: MessagePack for its media types
    /// (`application/msgpack`, `application/x-msgpack`,
    /// `application/vnd.msgpack`), JSON for anything else or nothing.
    pub fn of_body(headers: &HeaderMap) -> Self {
        match headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()) {
            Some(value) if names_msgpack(value) => Format::MsgPack,
            _ => Format::Json,
        }
    }

    /// The format to answer in: the one `Accept` names, else the request
    /// body's, else JSON.
    fn of_answer(headers: &HeaderMap) -> Self {
        let accept = headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if names_msgpack(accept) {
            Format::MsgPack
        } else if accept.to_ascii_lowercase().contains("application/json") {
            Format::Json
        } else {
            Format::of_body(headers)
        }
    }

    /// The answer format of the request being handled (JSON outside one).
    pub fn answer() -> Self {
        ANSWER.try_with(|format| *format).unwrap_or(Format::Json)
    }
}

fn names_msgpack(media_types: &str) -> bool {
    let lower = media_types.to_ascii_lowercase();
    [
        "application/msgpack",
        "application/x-msgpack",
        "application/vnd.msgpack",
    ]
    .iter()
    .any(|name| lower.contains(name))
}

/// Middleware: decides the request's answer format for every answer made
/// while it is handled.
pub async fn negotiate(request: Request, next: Next) -> Response {
    let format = Format::of_answer(request.headers());
    ANSWER.scope(format, next.run(request)).await
}

/// A body answered in the request's format, with this status.
#[derive(Debug)]
pub struct Reply<T>(pub StatusCode, pub T);

impl<T: Serialize> Reply<T> {
    /// A 200 answer.
    pub fn ok(body: T) -> Self {
        Reply(StatusCode::OK, body)
    }
}

impl<T: Serialize> IntoResponse for Reply<T> {
    fn into_response(self) -> Response {
        let Reply(status, body) = self;
        let encoded = match Format::answer() {
            Format::Json => serde_json::to_vec(&body).map(|bytes| (bytes, "application/json")),
            Format::MsgPack => rmp_serde::to_vec_named(&body)
                .map(|bytes| (bytes, MSGPACK))
                .map_err(serde::ser::Error::custom),
        };
        match encoded {
            Ok((bytes, media_type)) => (
                status,
                [(header::CONTENT_TYPE, HeaderValue::from_static(media_type))],
                bytes,
            )
                .into_response(),
            // Our own types always serialize; a failure is a bug, said plainly.
            Err(error) => {
                tracing::error!(%error, "cannot encode an answer");
                StatusCode::INTERNAL_SERVER_ERROR.into_response()
            }
        }
    }
}

/// Serializes bytes as text in human-readable formats (JSON: UTF-8, invalid
/// sequences replaced by U+FFFD) and as raw bytes in the others (MessagePack
/// `bin`).
pub fn text_or_bytes<S: Serializer>(bytes: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
    if serializer.is_human_readable() {
        serializer.serialize_str(&String::from_utf8_lossy(bytes))
    } else {
        serializer.serialize_bytes(bytes)
    }
}

/// Bytes a request sends: a string in JSON; a string or raw bytes in
/// MessagePack. Nothing else (an array of numbers is refused).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Bytes(pub Vec<u8>);

impl<'de> serde::Deserialize<'de> for Bytes {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct BytesVisitor;

        impl Visitor<'_> for BytesVisitor {
            type Value = Bytes;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a string (or, in MessagePack, bytes)")
            }

            fn visit_str<E: de::Error>(self, text: &str) -> Result<Bytes, E> {
                Ok(Bytes(text.as_bytes().to_vec()))
            }

            fn visit_bytes<E: de::Error>(self, bytes: &[u8]) -> Result<Bytes, E> {
                Ok(Bytes(bytes.to_vec()))
            }
        }

        if deserializer.is_human_readable() {
            deserializer.deserialize_str(BytesVisitor)
        } else {
            deserializer.deserialize_any(BytesVisitor)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    struct Out {
        #[serde(serialize_with = "text_or_bytes")]
        data: Vec<u8>,
    }

    #[test]
    fn bytes_are_text_in_json_and_raw_in_msgpack() {
        let out = Out {
            data: b"a\xffb".to_vec(),
        };
        assert_eq!(serde_json::to_string(&out).unwrap(), "{\"data\":\"a\u{fffd}b\"}");
        let packed = rmp_serde::to_vec_named(&out).unwrap();
        // fixmap of 1, fixstr "data", bin8 of 3 bytes.
        assert_eq!(packed, b"\x81\xa4data\xc4\x03a\xffb");
    }

    #[test]
    fn request_bytes_take_strings_and_msgpack_bin_only() {
        assert_eq!(
            serde_json::from_str::<Bytes>(r#""hi""#).unwrap(),
            Bytes(b"hi".to_vec())
        );
        assert!(serde_json::from_str::<Bytes>("[104, 105]").is_err());
        assert_eq!(
            rmp_serde::from_slice::<Bytes>(b"\xc4\x02\x00\xff").unwrap(),
            Bytes(vec![0, 0xff])
        );
        assert_eq!(
            rmp_serde::from_slice::<Bytes>(b"\xa2hi").unwrap(),
            Bytes(b"hi".to_vec())
        );
        assert!(rmp_serde::from_slice::<Bytes>(b"\x92\x01\x02").is_err());
    }

    #[test]
    fn formats_from_headers() {
        let headers = |pairs: &[(header::HeaderName, &'static str)]| {
            let mut map = HeaderMap::new();
            for (name, value) in pairs {
                map.insert(name, HeaderValue::from_static(value));
            }
            map
        };
        assert_eq!(Format::of_answer(&headers(&[])), Format::Json);
        let packed_body = headers(&[(header::CONTENT_TYPE, "application/x-msgpack")]);
        assert_eq!(Format::of_answer(&packed_body), Format::MsgPack);
        let json_wanted = headers(&[
            (header::CONTENT_TYPE, "application/msgpack"),
            (header::ACCEPT, "application/json"),
        ]);
        assert_eq!(Format::of_answer(&json_wanted), Format::Json);
        let packed_wanted = headers(&[(header::ACCEPT, "Application/MsgPack")]);
        assert_eq!(Format::of_answer(&packed_wanted), Format::MsgPack);
    }
}
