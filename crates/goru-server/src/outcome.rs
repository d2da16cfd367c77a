//! A run's outcome as the API reports it: a finished run or one the host
//! stopped (with its partial output) becomes a 200 run result; anything else
//! becomes an error answer.

use std::time::Duration;

use goru::{Output, RunResult};

use super::api::{ErrorDetail, Exception, RunResponse};
use super::error::{ApiError, ErrorCode};
use crate::units::format_size;

/// The answer for a run that took `elapsed` (used when the run itself
/// reports no duration), and the word the log records for it.
pub fn respond(
    outcome: Result<RunResult, goru::Error>,
    elapsed: Duration,
) -> Result<(RunResponse, &'static str), ApiError> {
    match outcome {
        Ok(result) => {
            let logged = match (&result.exception, result.exit_code) {
                (Some(_), _) => "exception",
                (None, 0) => "ok",
                (None, _) => "exit_nonzero",
            };
            Ok((finished(result), logged))
        }
        Err(error) => match (stop_code(&error), error.output()) {
            (Some(code), Some(output)) => {
                let detail = ErrorDetail {
                    code: code.as_str(),
                    message: stop_message(&error),
                };
                Ok((stopped(output, detail, elapsed), code.as_str()))
            }
            _ => Err(ApiError::from_goru(&error)),
        },
    }
}

/// The code of a run the host stopped; `None` for every other error.
pub fn stop_code(error: &goru::Error) -> Option<ErrorCode> {
    match error {
        goru::Error::Timeout { .. } => Some(ErrorCode::Timeout),
        goru::Error::MemoryLimit { .. } => Some(ErrorCode::MemoryLimit),
        goru::Error::Trap { .. } => Some(ErrorCode::Trap),
        goru::Error::Cancelled { .. } => Some(ErrorCode::Cancelled),
        _ => None,
    }
}

/// The message of a stopped run, sizes written for people.
pub fn stop_message(error: &goru::Error) -> String {
    match error {
        goru::Error::MemoryLimit { limit_bytes, .. } => {
            format!("memory limit of {} exceeded", format_size(*limit_bytes))
        }
        other => other.to_string(),
    }
}

fn finished(result: RunResult) -> RunResponse {
    let duration_ms = millis(result.duration);
    let exception = result.exception.map(|e| Exception {
        kind: e.kind,
        message: e.message,
        traceback: e.traceback,
    });
    RunResponse {
        exit_code: Some(result.exit_code),
        duration_ms,
        error: None,
        exception,
        ..output_fields(&result.output)
    }
}

fn stopped(output: &Output, error: ErrorDetail, elapsed: Duration) -> RunResponse {
    RunResponse {
        exit_code: None,
        duration_ms: millis(elapsed),
        error: Some(error),
        exception: None,
        ..output_fields(output)
    }
}

/// stdout, stderr and the truncation flag; the rest left empty.
fn output_fields(output: &Output) -> RunResponse {
    RunResponse {
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        exit_code: None,
        duration_ms: 0,
        truncated: output.stdout_truncated || output.stderr_truncated,
        error: None,
        exception: None,
    }
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn output(stdout: &[u8]) -> Box<Output> {
        Box::new(Output {
            stdout: stdout.to_vec(),
            stderr: Vec::new(),
            stdout_truncated: true,
            stderr_truncated: false,
        })
    }

    #[test]
    fn a_stopped_run_keeps_its_output() {
        let error = goru::Error::Timeout {
            limit: Duration::from_secs(1),
            output: output(b"before\xff"),
        };
        let (response, logged) = respond(Err(error), Duration::from_millis(1500)).expect("a run result");
        assert_eq!(logged, "timeout");
        assert_eq!(response.stdout, "before\u{fffd}");
        assert_eq!(response.exit_code, None);
        assert_eq!(response.duration_ms, 1500);
        assert!(response.truncated);
        assert_eq!(response.error.map(|e| e.code), Some("timeout"));
    }

    #[test]
    fn other_errors_are_error_answers() {
        let error = respond(Err(goru::Error::SessionBusy), Duration::ZERO).expect_err("an error answer");
        assert_eq!(error.code, ErrorCode::Busy);
        let error = respond(Err(goru::Error::SessionClosed), Duration::ZERO).expect_err("an error answer");
        assert_eq!(error.code, ErrorCode::SessionEnded);
        let error = respond(Err(goru::Error::Setup("/secret/path".into())), Duration::ZERO)
            .expect_err("an error answer");
        assert_eq!(error.code, ErrorCode::Internal);
        assert!(!error.message.contains("/secret"), "{}", error.message);
    }
}
