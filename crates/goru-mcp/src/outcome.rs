//! A run's outcome as a tool result: text an agent reads (output, exit
//! status, exception, why it was stopped) and the same as structured JSON.

use std::time::Duration;

use goru::{ErrorKind, Output, RunResult};
use goru_server::units::error_message;
use rmcp::model::{CallToolResult, ContentBlock};
use serde_json::{Value, json};

/// The tool result of a run that took `elapsed` (used when the run itself
/// reports no duration). An error result (`isError`) when the guest raised,
/// exited non-zero, or was stopped; the output so far is in it either way.
pub fn run_result(outcome: Result<RunResult, goru::Error>, elapsed: Duration) -> CallToolResult {
    match outcome {
        Ok(result) => {
            let failed = result.exception.is_some() || result.exit_code != 0;
            let exception = result
                .exception
                .as_ref()
                .map(|e| json!({"kind": e.kind, "message": e.message, "traceback": e.traceback}));
            let mut text = output_text(&result.output);
            match &result.exception {
                Some(e) => {
                    text.push_str(&format!("uncaught exception {}: {}", e.kind, e.message));
                    // The interpreter usually printed it on stderr already.
                    let traceback = e.traceback.trim_end();
                    let stderr = String::from_utf8_lossy(&result.output.stderr);
                    if !traceback.is_empty() && !stderr.contains(traceback) {
                        text.push('\n');
                        text.push_str(traceback);
                    }
                }
                None => text.push_str(&format!("exit status {}", result.exit_code)),
            }
            let structured = json!({
                "stdout": String::from_utf8_lossy(&result.output.stdout),
                "stderr": String::from_utf8_lossy(&result.output.stderr),
                "exit_code": result.exit_code,
                "exception": exception,
                "truncated": result.output.truncated(),
                "duration_ms": millis(result.duration),
            });
            with_structured(text, structured, failed)
        }
        Err(error) => match error.output() {
            Some(output) => {
                let message = error_message(&error);
                let mut text = output_text(output);
                text.push_str(&format!("stopped: {message}{}", after_stop(error.kind())));
                let structured = json!({
                    "stdout": String::from_utf8_lossy(&output.stdout),
                    "stderr": String::from_utf8_lossy(&output.stderr),
                    "exit_code": Value::Null,
                    "error": {"kind": error.kind().as_str(), "message": message},
                    "truncated": output.truncated(),
                    "duration_ms": millis(elapsed),
                });
                with_structured(text, structured, true)
            }
            None => failure(&error),
        },
    }
}

/// The error result of a call that ran nothing: a message safe to show
/// (host details go to the log only).
pub fn failure(error: &goru::Error) -> CallToolResult {
    let message = match error.kind() {
        ErrorKind::InvalidCode
        | ErrorKind::SessionBusy
        | ErrorKind::SessionClosed
        | ErrorKind::SessionEnded => error_message(error),
        _ => {
            tracing::error!(target: "goru::mcp", %error, "the sandbox failed");
            "the sandbox could not run the code (an internal error; the server's log has the details)"
                .to_owned()
        }
    };
    refused(message)
}

/// An error result that is only a message.
pub fn refused(message: impl Into<String>) -> CallToolResult {
    CallToolResult::error(vec![ContentBlock::text(message.into())])
}

/// A successful result with text and the same as structured JSON.
pub fn done(text: impl Into<String>, structured: Value) -> CallToolResult {
    with_structured(text.into(), structured, false)
}

fn with_structured(text: String, structured: Value, failed: bool) -> CallToolResult {
    let content = vec![ContentBlock::text(text)];
    let mut result = if failed {
        CallToolResult::error(content)
    } else {
        CallToolResult::success(content)
    };
    result.structured_content = Some(structured);
    result
}

/// What a stopped run means for what comes next.
fn after_stop(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::Timeout => " (the program was stopped; make it faster, or do less per call)",
        ErrorKind::MemoryLimit => " (the program was stopped; use less memory)",
        _ => "",
    }
}

/// The output sections that have something in them.
fn output_text(output: &Output) -> String {
    let mut text = String::new();
    for (name, bytes, truncated) in [
        ("stdout", &output.stdout, output.stdout_truncated),
        ("stderr", &output.stderr, output.stderr_truncated),
    ] {
        if bytes.is_empty() && !truncated {
            continue;
        }
        let body = String::from_utf8_lossy(bytes);
        text.push_str(&format!("--- {name} ---\n{body}"));
        if !body.ends_with('\n') {
            text.push('\n');
        }
        if truncated {
            text.push_str(&format!("[{name} truncated at the output limit]\n"));
        }
    }
    text
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(result: &CallToolResult) -> String {
        result.content[0]
            .as_text()
            .map(|t| t.text.clone())
            .unwrap_or_default()
    }

    #[test]
    fn a_finished_run() {
        let result = RunResult {
            output: Output {
                stdout: b"42\n".to_vec(),
                ..Output::default()
            },
            exit_code: 0,
            exception: None,
            duration: Duration::from_millis(5),
            exited: false,
        };
        let result = run_result(Ok(result), Duration::ZERO);
        assert_eq!(result.is_error, Some(false));
        assert_eq!(text(&result), "--- stdout ---\n42\nexit status 0");
        let structured = result.structured_content.expect("structured");
        assert_eq!(structured["stdout"], "42\n");
        assert_eq!(structured["duration_ms"], 5);
    }

    #[test]
    fn an_exception_is_an_error_with_its_traceback() {
        let result = RunResult {
            output: Output::default(),
            exit_code: 1,
            exception: Some(goru::GuestException {
                kind: "ValueError".into(),
                message: "bad".into(),
                traceback: "Traceback (most recent call last):\n  ...\n".into(),
            }),
            duration: Duration::ZERO,
            exited: false,
        };
        let result = run_result(Ok(result), Duration::ZERO);
        assert_eq!(result.is_error, Some(true));
        assert!(text(&result).starts_with("uncaught exception ValueError: bad\nTraceback"));
        // Not twice when stderr has it already.
        let traceback = "Traceback (most recent call last):\nValueError: bad\n";
        let printed = RunResult {
            output: Output {
                stderr: traceback.as_bytes().to_vec(),
                ..Output::default()
            },
            exit_code: 1,
            exception: Some(goru::GuestException {
                kind: "ValueError".into(),
                message: "bad".into(),
                traceback: traceback.into(),
            }),
            duration: Duration::ZERO,
            exited: false,
        };
        let text = text(&run_result(Ok(printed), Duration::ZERO));
        assert_eq!(text.matches("Traceback").count(), 1, "{text}");
        assert_eq!(
            result.structured_content.expect("structured")["exception"]["kind"],
            "ValueError"
        );
    }

    #[test]
    fn a_stopped_run_keeps_its_output() {
        let error = goru::Error::Timeout {
            limit: Duration::from_secs(1),
            output: Box::new(Output {
                stdout: b"partial".to_vec(),
                stdout_truncated: true,
                ..Output::default()
            }),
        };
        let result = run_result(Err(error), Duration::from_millis(1200));
        assert_eq!(result.is_error, Some(true));
        let text = text(&result);
        assert!(
            text.starts_with("--- stdout ---\npartial\n[stdout truncated"),
            "{text}"
        );
        assert!(text.contains("stopped: timed out"), "{text}");
        let structured = result.structured_content.expect("structured");
        assert_eq!(structured["error"]["kind"], "timeout");
        assert_eq!(structured["truncated"], true);
    }

    #[test]
    fn host_details_stay_in_the_log() {
        let result = failure(&goru::Error::Setup("/secret/path missing".into()));
        assert_eq!(result.is_error, Some(true));
        assert!(!text(&result).contains("/secret"));
        let busy = failure(&goru::Error::SessionBusy);
        assert!(text(&busy).contains("busy"));
    }
}
