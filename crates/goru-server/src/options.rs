//! What each run and session gets: the server's limits and capabilities (a
//! fresh grant each time), narrowed by what the request asks for.

use std::time::Duration;

use goru::{Capabilities, Language, RunOptions};
use serde_json::Value;

use crate::error::ApiError;
use crate::metrics::Metrics;
use crate::wire::Bytes;

/// The shortest timeout a request may ask for: shorter ones could not even
/// start an interpreter, and would read as a server fault.
pub const MIN_TIMEOUT: Duration = Duration::from_millis(1);

/// Seconds in a duration text of the API: a bare number of seconds (`2.5`),
/// or numbers with units as Go writes durations (`500ms`, `2s`, `1m30s`,
/// `1h`), exactly the pattern docs/openapi.yaml gives:
/// `^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$` or `^[0-9]+(\.[0-9]+)?$`.
///
/// Stricter than the command line's durations (no spaces, lowercase units),
/// so that the schema can say exactly what is accepted.
pub fn parse_timeout_text(text: &str) -> Option<f64> {
    let (number, mut rest) = split_decimal(text)?;
    if rest.is_empty() {
        return Some(number);
    }
    let mut seconds = 0.0;
    let mut number = number;
    loop {
        let (unit, after) = if let Some(after) = rest.strip_prefix("ms") {
            (0.001, after)
        } else if let Some(after) = rest.strip_prefix('s') {
            (1.0, after)
        } else if let Some(after) = rest.strip_prefix('m') {
            (60.0, after)
        } else if let Some(after) = rest.strip_prefix('h') {
            (3600.0, after)
        } else {
            return None;
        };
        seconds += number * unit;
        if after.is_empty() {
            return Some(seconds);
        }
        (number, rest) = split_decimal(after)?;
    }
}

/// A leading `[0-9]+(\.[0-9]+)?` and what follows it.
fn split_decimal(text: &str) -> Option<(f64, &str)> {
    let digits = |s: &str| s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let whole = digits(text);
    if whole == 0 {
        return None;
    }
    let mut end = whole;
    if let Some(fraction) = text[whole..].strip_prefix('.') {
        let places = digits(fraction);
        if places == 0 {
            return None;
        }
        end += 1 + places;
    }
    Some((text[..end].parse().ok()?, &text[end..]))
}

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
    /// Counts the host calls of every grant.
    pub metrics: Metrics,
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
    /// text ([`parse_timeout_text`]); at least [`MIN_TIMEOUT`], never over
    /// `--timeout`, which is the default.
    pub fn timeout(&self, requested: Option<&Value>) -> Result<Duration, ApiError> {
        let seconds = match requested {
            None | Some(Value::Null) => return Ok(self.max_timeout),
            Some(Value::Number(seconds)) => seconds.as_f64(),
            Some(Value::String(text)) => parse_timeout_text(text),
            Some(_) => None,
        };
        let Some(seconds) = seconds.filter(|s| s.is_finite() && *s >= 0.0) else {
            return Err(ApiError::bad_request(
                "timeout must be seconds (a positive number) or a duration such as \"500ms\" or \"1m30s\"",
            ));
        };
        match Duration::try_from_secs_f64(seconds) {
            Ok(timeout) if timeout < MIN_TIMEOUT => Err(ApiError::bad_request(format!(
                "timeout must be at least {MIN_TIMEOUT:?}"
            ))),
            Ok(timeout) if timeout <= self.max_timeout => Ok(timeout),
            _ => Err(ApiError::bad_request(format!(
                "timeout is over this server's limit of {:?}",
                self.max_timeout
            ))),
        }
    }

    /// The options of one run or session of `language`: the server's limits
    /// (and packages, if the language has them) with this timeout and stdin,
    /// and a fresh grant of the server's capabilities.
    pub fn options(
        &self,
        language: &dyn Language,
        timeout: Duration,
        stdin: Option<Bytes>,
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
            .stdin(stdin.unwrap_or_default().0)
            .host_functions(self.metrics.count_calls(granted)))
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
            metrics: Metrics::new(),
        }
    }

    #[test]
    fn timeouts_may_lower_but_not_raise_the_limit() {
        let defaults = defaults(Duration::from_secs(10), &goru::Python);
        let timeout = |v: Value| defaults.timeout(Some(&v)).map_err(|e| e.message);
        assert_eq!(
            timeout(serde_json::json!("1m")),
            Err("timeout is over this server's limit of 10s".into())
        );
        assert_eq!(
            timeout(serde_json::json!("1.5s")),
            Ok(Duration::from_millis(1500))
        );
        assert_eq!(timeout(serde_json::json!("2")), Ok(Duration::from_secs(2)));
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
            serde_json::json!(""),
            serde_json::json!(1e-300),
            serde_json::json!(0.0009),
            serde_json::json!(1e300),
            serde_json::json!("0.0001s"),
            serde_json::json!(" 1s"),
            serde_json::json!("1S"),
        ] {
            assert!(timeout(bad.clone()).is_err(), "{bad}");
        }
    }

    #[test]
    fn timeout_texts() {
        assert_eq!(parse_timeout_text("500ms"), Some(0.5));
        assert_eq!(parse_timeout_text("1m30s"), Some(90.0));
        assert_eq!(parse_timeout_text("1h0.5m"), Some(3630.0));
        assert_eq!(parse_timeout_text("2.5"), Some(2.5));
        for bad in ["", "s", "1.", ".5", "1 s", "1x", "1s ", "-1s", "1ss", "1e3", "ms"] {
            assert_eq!(parse_timeout_text(bad), None, "{bad:?}");
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
