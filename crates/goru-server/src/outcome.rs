//! A run's outcome as the API reports it: a finished run or one the host
//! stopped (with its partial output) becomes a 200 run result; anything else
//! becomes an error answer.

use std::time::Duration;

use goru::{Output, RunResult};

use crate::api::{Exception, RunResponse};
use crate::error::{ApiError, ErrorCode};
use crate::units::error_message;

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
            let exception = result.exception.map(|e| Exception {
                kind: e.kind,
                message: e.message,
                traceback: e.traceback,
            });
            let ended = Ended::Finished {
                exit_code: result.exit_code,
                exception,
            };
            Ok((run_response(&result.output, result.duration, ended), logged))
        }
        Err(error) => match (ErrorCode::stopped(error.kind()), error.output()) {
            (Some(code), Some(output)) => {
                let stopped = Ended::Stopped {
                    code: code.as_str(),
                    message: error_message(&error),
                };
                Ok((run_response(output, elapsed, stopped), code.as_str()))
            }
            _ => Err(ApiError::from_goru(&error)),
        },
    }
}

/// How a run ended, as its answer tells it.
enum Ended {
    /// The guest ran to its end.
    Finished {
        exit_code: i32,
        exception: Option<Exception>,
    },
    /// The host stopped it.
    Stopped { code: &'static str, message: String },
}

/// The run result: the guest's output and how the run ended. Every answer
/// with a run result is made here.
fn run_response(output: &Output, duration: Duration, ended: Ended) -> RunResponse {
    let (exit_code, error, error_code, exception) = match ended {
        Ended::Finished { exit_code, exception } => {
            // goru's `error`: set whenever the run did not succeed.
            let error = match (&exception, exit_code) {
                (Some(e), _) => Some(format!("{}: {}", e.kind, e.message)),
                (None, 0) => None,
                (None, status) => Some(format!("exit status {status}")),
            };
            (Some(exit_code), error, None, exception)
        }
        Ended::Stopped { code, message } => (None, Some(message), Some(code), None),
    };
    RunResponse {
        output: [output.stdout.as_slice(), output.stderr.as_slice()].concat(),
        stdout: output.stdout.clone(),
        stderr: output.stderr.clone(),
        exit_code,
        duration_ms: millis(duration),
        truncated: output.truncated(),
        error,
        error_code,
        exception,
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
        assert_eq!(response.stdout, b"before\xff");
        assert_eq!(response.output, b"before\xff");
        assert_eq!(response.exit_code, None);
        assert_eq!(response.duration_ms, 1500);
        assert!(response.truncated);
        assert_eq!(response.error_code, Some("timeout"));
        assert_eq!(response.error.as_deref(), Some("timed out after 1s"));
    }

    #[test]
    fn a_finished_run_reports_its_status_and_exception() {
        let result = RunResult {
            output: *output(b"out"),
            exit_code: 1,
            exception: Some(goru::GuestException {
                kind: "ValueError".into(),
                message: "bad".into(),
                traceback: "Traceback ...".into(),
            }),
            duration: Duration::from_millis(7),
            exited: false,
        };
        let (response, logged) = respond(Ok(result), Duration::from_secs(9)).expect("a run result");
        assert_eq!(logged, "exception");
        assert_eq!(
            (response.stdout.as_slice(), response.exit_code),
            (&b"out"[..], Some(1))
        );
        assert_eq!(response.duration_ms, 7);
        assert!(response.truncated && response.error_code.is_none());
        assert_eq!(response.error.as_deref(), Some("ValueError: bad"));
        assert_eq!(response.exception.map(|e| e.kind), Some("ValueError".into()));
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
