//! `GET /openapi.json`: the API's description, docs/openapi.yaml, as JSON.
//! The YAML is built into the server, so what it serves is what its docs say.

use std::sync::OnceLock;

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;

/// The route.
pub const OPENAPI_PATH: &str = "/openapi.json";

/// docs/openapi.yaml (this crate's `src/openapi.yaml`; the docs link to it), as written.
pub const OPENAPI_YAML: &str = include_str!("openapi.yaml");

/// The description as JSON text, converted once.
fn openapi_json() -> Result<&'static str, &'static str> {
    static JSON: OnceLock<Result<String, String>> = OnceLock::new();
    JSON.get_or_init(|| {
        let value: serde_json::Value = serde_yaml::from_str(OPENAPI_YAML).map_err(|e| e.to_string())?;
        serde_json::to_string(&value).map_err(|e| e.to_string())
    })
    .as_deref()
    .map_err(String::as_str)
}

/// `GET /openapi.json`.
pub async fn openapi() -> Response {
    match openapi_json() {
        Ok(json) => (
            [(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))],
            json,
        )
            .into_response(),
        Err(error) => ApiError::internal(&error).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_yaml_converts() {
        let json: serde_json::Value = serde_json::from_str(openapi_json().expect("valid YAML")).unwrap();
        assert_eq!(json["openapi"], "3.1.0");
        assert!(json["paths"]["/execute"]["post"].is_object());
    }
}
