//! What each run and session gets: the server's limits and capabilities (a
//! fresh grant each time), narrowed by what the request asks for.

use std::time::Duration;

use goru::{Capabilities, Language, RunOptions};
use serde_json::Value;

use crate::error::ApiError;
use crate::units;

/// The server-wide part of every run's options (see [`crate::ServerBuilder`]).
#[derive(Debug)]
pub struct RunDefaults {
    /// Limits; no host functions, no stdin.
    pub base: RunOptions,
    /// `base` with the packages directory and its install policy, for
    /// languages that have packages (the setting is server-wide, the
    /// language per request).
    pub with_packages: RunOptions,
    /// What the guest may reach; opened once per run or session, so no two
    /// share a key-value store.
    pub capabilities: Capabilities,
    /// The default timeout and the most a request may ask for.
    pub max_timeout: Duration,
    /// The language of requests that name none.
    pub default_language: &'static dyn Language,
}

impl RunDefaults {
    /// The language a request names, or the default.
    pub fn language(&self, name: Option<&str>) -> Result<&'static dyn Language, ApiError> {
        match name {
            None => Ok(self.default_language),
            Some(name) => goru::language_by_name(name).ok_or_else(|| {
                ApiError::bad_request(format!(
                    "unknown lang {name:?} (expected one of: {})",
                    goru::language_names().join(", ")
                ))
            }),
        }
    }

    /// The timeout a request asks for: seconds (a number) or a duration
    /// text; never over `--timeout`, which is the default.
    pub fn timeout(&self, requested: Option<&Value>) -> Result<Duration, ApiError> {
        let timeout = match requested {
            None | Some(Value::Null) => return Ok(self.max_timeout),
            Some(Value::Number(seconds)) => seconds
                .as_f64()
                .filter(|s| s.is_finite() && *s > 0.0)
                .and_then(|s| Duration::try_from_secs_f64(s).ok())
                .ok_or_else(|| ApiError::bad_request("timeout must be a positive number of seconds"))?,
            Some(Value::String(text)) => {
                units::parse_duration(text).map_err(|e| ApiError::bad_request(format!("timeout: {e}")))?
            }
            Some(_) => {
                return Err(ApiError::bad_request(
                    "timeout must be seconds (a number) or a duration such as \"500ms\"",
                ));
            }
        };
        if timeout > self.max_timeout {
            return Err(ApiError::bad_request(format!(
                "timeout of {timeout:?} is over this server's limit of {:?}",
                self.max_timeout
            )));
        }
        Ok(timeout)
    }

    /// The options of one run or session of `language`: the server's limits
    /// (and packages, if the language has them) with this timeout and stdin,
    /// and a fresh grant of the server's capabilities.
    pub fn options(
        &self,
        language: &dyn Language,
        timeout: Duration,
        stdin: Option<String>,
    ) -> Result<RunOptions, ApiError> {
        let granted = self.capabilities.open().map_err(|e| ApiError::internal(&e))?;
        // Only Python imports packages (see goru::packages).
        let base = if language.name() == goru::Python.name() {
            &self.with_packages
        } else {
            &self.base
        };
        Ok(base
            .clone()
            .timeout(timeout)
            .stdin(stdin.unwrap_or_default())
            .host_functions(granted))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn defaults(max_timeout: Duration, default_language: &'static dyn Language) -> RunDefaults {
        RunDefaults {
            base: RunOptions::new(),
            with_packages: RunOptions::new(),
            capabilities: Capabilities::new(),
            max_timeout,
            default_language,
        }
    }

    #[test]
    fn timeouts_may_lower_but_not_raise_the_limit() {
        let defaults = defaults(Duration::from_secs(10), &goru::Python);
        let timeout = |v: Value| defaults.timeout(Some(&v)).map_err(|e| e.message);
        assert_eq!(defaults.timeout(None).ok(), Some(Duration::from_secs(10)));
        assert_eq!(timeout(Value::Null), Ok(Duration::from_secs(10)));
        assert_eq!(timeout(serde_json::json!(2.5)), Ok(Duration::from_millis(2500)));
        assert_eq!(
            timeout(serde_json::json!("500ms")),
            Ok(Duration::from_millis(500))
        );
        assert_eq!(timeout(serde_json::json!(10)), Ok(Duration::from_secs(10)));
        for bad in [
            serde_json::json!(11),
            serde_json::json!("1m"),
            serde_json::json!(0),
            serde_json::json!(-1),
            serde_json::json!("soon"),
            serde_json::json!(true),
            serde_json::json!([1]),
        ] {
            assert!(timeout(bad.clone()).is_err(), "{bad}");
        }
    }

    #[test]
    fn languages() {
        let defaults = defaults(Duration::from_secs(1), &goru::Python);
        let name = |n| defaults.language(n).map(|l| l.name().to_owned()).ok();
        assert_eq!(name(None), Some("python".into()));
        assert_eq!(name(Some("JavaScript")), Some("js".into()));
        assert_eq!(name(Some("cobol")), None);
        let defaults = self::defaults(Duration::from_secs(1), &goru::JavaScript);
        assert_eq!(defaults.language(None).map(|l| l.name()).ok(), Some("js"));
    }
}
