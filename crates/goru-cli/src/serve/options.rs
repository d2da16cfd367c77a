//! What each run and session gets: the server's limits and capabilities (a
//! fresh grant each time), narrowed by what the request asks for.

use std::time::Duration;

use goru::{Capabilities, Executor, Language, RunOptions};
use serde_json::Value;

use super::error::ApiError;
use crate::cli::RunArgs;
use crate::units;

/// The server-wide part of every run's options.
#[derive(Debug)]
pub struct RunDefaults {
    /// Limits from the flags; no host functions, no stdin.
    base: RunOptions,
    /// `base` with `--packages` and its install policy, for Python (the
    /// flag is server-wide, the language per request).
    with_packages: RunOptions,
    /// What `--kv`, `--allow-host` and `--mount` grant; opened once per run
    /// or session, so no two share a key-value store.
    capabilities: Capabilities,
    /// `--timeout`: the default and the most a request may ask for.
    pub max_timeout: Duration,
    /// `--lang`, else python.
    default_language: &'static dyn Language,
}

impl RunDefaults {
    /// The defaults the flags describe, installs byte-compiled by
    /// `executor`; fails if the grant cannot be opened (a mount or packages
    /// directory that does not exist), so that shows at start-up.
    pub fn from_args(args: &RunArgs, executor: &Executor) -> Result<Self, String> {
        let capabilities = args.grant.capabilities();
        capabilities.open().map_err(|e| e.to_string())?;
        let default_language = match args.lang {
            Some(language) => language,
            None => {
                goru::language_by_name("python").ok_or("no default language in this build: pass --lang")?
            }
        };
        let base = RunOptions::new()
            .timeout(args.timeout)
            .memory_bytes(args.memory)
            .output_bytes(args.output_limit)
            .host_calls(args.grant.max_host_calls);
        let with_packages = match args.grant.packages() {
            Some(packages) => packages
                .grant(base.clone(), executor)
                .map_err(|e| format!("--packages: {e}"))?,
            None => base.clone(),
        };
        Ok(Self {
            with_packages,
            base,
            capabilities,
            max_timeout: args.timeout,
            default_language,
        })
    }

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
    /// (and packages, for Python) with this timeout and stdin,
    /// and a fresh grant of the server's capabilities.
    pub fn options(
        &self,
        language: &dyn Language,
        timeout: Duration,
        stdin: Option<String>,
    ) -> Result<RunOptions, ApiError> {
        let granted = self.capabilities.open().map_err(|e| ApiError::internal(&e))?;
        let base = match language.name() {
            "python" => &self.with_packages,
            _ => &self.base,
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
    use crate::cli::Cli;
    use clap::Parser;

    fn defaults(argv: &[&str]) -> RunDefaults {
        let cli = Cli::try_parse_from(argv).expect("parses");
        let executor = Executor::builder().build().expect("an executor");
        RunDefaults::from_args(&cli.run, &executor).expect("usable flags")
    }

    #[test]
    fn timeouts_may_lower_but_not_raise_the_limit() {
        let defaults = defaults(&["goru", "serve", "--timeout", "10s"]);
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
        let defaults = defaults(&["goru", "serve"]);
        let name = |n| defaults.language(n).map(|l| l.name().to_owned()).ok();
        assert_eq!(name(None), Some("python".into()));
        assert_eq!(name(Some("JavaScript")), Some("js".into()));
        assert_eq!(name(Some("cobol")), None);
        let defaults = self::defaults(&["goru", "serve", "-l", "js"]);
        assert_eq!(defaults.language(None).map(|l| l.name()).ok(), Some("js"));
    }
}
