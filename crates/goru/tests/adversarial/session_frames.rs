//! Guests that forge the session protocol: a run is over only when the guest is parked waiting for more.
//!
//! The guest can write any frame to its channel, including the
//! `goru_session_next` frame its shim sends when a run is done. Before, such
//! a frame answered the run at once and disarmed its deadline while the guest
//! went on running, outside every limit and after the session was deleted.

use std::time::{Duration, Instant};

use goru::{Error, SessionEnd};

use crate::child::contained;
use crate::guest::{IGNORES_INTERRUPTS, SOFT_GRACE, STOP_BOUND, TIMEOUT, python_session};
use crate::test_name;

/// Python that writes `frame_json` as one channel frame on a new descriptor
/// opened with `flags`, and keeps the descriptor as `FD`.
fn forge(frame_json: &str, flags: &str) -> String {
    format!(
        r#"
import os, struct
_payload = {frame_json:?}.encode()
FD = os.open("/.goru/channel", {flags})
os.write(FD, struct.pack("<I", len(_payload)) + _payload)
"#
    )
}

const DONE: &str = r#"{"calls":[{"fn":"goru_session_next","args":{"done":{"exit_code":0}}}]}"#;

#[test]
fn a_forged_done_does_not_end_the_run() {
    contained(&test_name!(a_forged_done_does_not_end_the_run), || {
        let session = python_session(TIMEOUT);
        let code = forge(DONE, "os.O_WRONLY") + IGNORES_INTERRUPTS;
        let started = Instant::now();
        let err = session.run_blocking(&code).unwrap_err();
        let took = started.elapsed();
        assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
        assert!(
            took >= TIMEOUT && took < TIMEOUT + SOFT_GRACE + STOP_BOUND,
            "the run took {took:?}"
        );
        assert!(matches!(
            session.run_blocking("1").unwrap_err(),
            Error::SessionEnded {
                reason: SessionEnd::Timeout
            }
        ));
    });
}

/// A guest that really parks after its forged report ends that run; the code
/// of the next run then reaches the attacker's read, and the next run is
/// under its own deadline.
#[test]
fn a_guest_that_parks_and_goes_on_is_under_the_next_deadline() {
    contained(
        &test_name!(a_guest_that_parks_and_goes_on_is_under_the_next_deadline),
        || {
            let session = python_session(TIMEOUT);
            let code =
                forge(DONE, "os.O_RDWR | os.O_NONBLOCK") + "_got = os.read(FD, 1 << 16)\nwhile True: pass\n";
            let first = session
                .run_blocking(&code)
                .expect("the parked guest's report ends the run");
            assert_eq!(first.exit_code, 0);
            let started = Instant::now();
            let err = session.run_blocking("print('never run')").unwrap_err();
            let took = started.elapsed();
            assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
            assert!(took < TIMEOUT + SOFT_GRACE + STOP_BOUND, "the run took {took:?}");
        },
    );
}

#[test]
fn a_malformed_report_ends_the_session() {
    contained(&test_name!(a_malformed_report_ends_the_session), || {
        let session = python_session(TIMEOUT);
        let bad = r#"{"calls":[{"fn":"goru_session_next","args":{"done":{"exit_code":"zero"}}}]}"#;
        let code = forge(bad, "os.O_RDWR") + "os.read(FD, 1 << 16)\nwhile True: pass\n";
        let err = session.run_blocking(&code).unwrap_err();
        assert!(
            matches!(&err, Error::SessionEnded { reason: SessionEnd::Failed(m) } if m.contains("protocol")),
            "{err:?}"
        );
        assert!(!session.is_open());
    });
}

/// Closing stops the guest whatever it is doing: running a run, or running
/// after a forged report.
#[test]
fn close_stops_a_running_guest() {
    contained(&test_name!(close_stops_a_running_guest), || {
        let session = python_session(Duration::from_secs(60));
        let running = {
            let session = session.clone();
            let code = forge(DONE, "os.O_WRONLY") + "while True: pass\n";
            std::thread::spawn(move || session.run_blocking(&code))
        };
        std::thread::sleep(Duration::from_millis(500));
        let started = Instant::now();
        session.close();
        let err = running.join().unwrap().unwrap_err();
        assert!(started.elapsed() < STOP_BOUND, "{:?}", started.elapsed());
        assert!(matches!(err, Error::Cancelled { .. }), "{err:?}");
        assert!(matches!(
            session.run_blocking("1").unwrap_err(),
            Error::SessionClosed
        ));
    });
}

/// A session's request for more code is parsed under the channel's budget
/// like any other frame: a 14 MB frame of tiny JSON objects (1.5 GB as
/// parsed values) naming `goru_session_next` is refused, and the run goes on.
#[test]
fn a_parse_bomb_naming_the_session_call_is_refused() {
    contained(
        &test_name!(a_parse_bomb_naming_the_session_call_is_refused),
        || {
            let session = python_session(Duration::from_secs(30));
            let code = r#"
import os, struct
bomb = b'{"calls":[{"fn":"goru_session_next","args":{"done":[' + b'{"":0},' * 2000000 + b'{"":0}]}}]}'
fd = os.open("/.goru/channel", os.O_RDWR)
data = struct.pack("<I", len(bomb)) + bomb
while data:
    data = data[os.write(fd, data):]
n = struct.unpack("<I", os.read(fd, 4))[0]
body = b""
while len(body) < n:
    body += os.read(fd, n - len(body))
print("refused" if b'"limit"' in body else body[:200])
"#;
            let result = session.run_blocking(code).unwrap();
            assert_eq!(result.stdout_lossy(), "refused\n", "{result:?}");
            assert_eq!(session.run_blocking("print(1)").unwrap().stdout_lossy(), "1\n");
        },
    );
}
