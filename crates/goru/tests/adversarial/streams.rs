//! Guests against the streams: output flooded at a receiver that never reads,
//! an endless stdin, a stdin that never comes. Each ends by its timeout or
//! limit with the host's memory bounded and nothing left running.

use goru::{Error, OutputStream, Python, RunOptions, output_channel};

use crate::child::contained;
use crate::guest::{TIMEOUT, executor};
use crate::test_name;

#[test]
fn output_flooded_at_a_receiver_that_never_reads_is_bounded() {
    contained(
        &test_name!(output_flooded_at_a_receiver_that_never_reads_is_bounded),
        || {
            let (sender, mut receiver) = output_channel();
            // Tiny writes, each a chunk: the channel fills, then the guest
            // waits on it until the timeout (and its bytes stay in the cap).
            let code = "import os\nwhile True:\n    os.write(1, b'x')\n    os.write(2, b'y')";
            let options = RunOptions::new().timeout(TIMEOUT).output(sender);
            let err = executor().run_blocking(&Python, code, options).unwrap_err();
            let Error::Timeout { output, .. } = &err else {
                panic!("{err:?}")
            };
            let mut streamed = 0;
            while let Some(chunk) = receiver.blocking_recv() {
                assert!(matches!(
                    chunk.stream,
                    OutputStream::Stdout | OutputStream::Stderr
                ));
                streamed += chunk.bytes.len();
            }
            assert!(
                streamed <= output.stdout.len() + output.stderr.len(),
                "{streamed}"
            );
            assert!(streamed <= 64, "the channel holds 64 chunks: {streamed}");

            // Big writes past the cap: never more than the cap goes through.
            let (sender, mut receiver) = output_channel();
            let code = "import os\nwhile True:\n    os.write(1, b'x' * 65536)";
            let options = RunOptions::new().timeout(TIMEOUT).output(sender);
            let err = executor().run_blocking(&Python, code, options).unwrap_err();
            assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
            let mut streamed = 0;
            while let Some(chunk) = receiver.blocking_recv() {
                streamed += chunk.bytes.len();
            }
            assert!(streamed <= 1 << 20, "{streamed} bytes past the 1 MiB cap");
        },
    );
}

#[test]
fn an_endless_stdin_ends_at_the_input_limit() {
    contained(&test_name!(an_endless_stdin_ends_at_the_input_limit), || {
        let code = "import sys\nn = 0\ntry:\n    while chunk := sys.stdin.buffer.read(1 << 16):\n        n += len(chunk)\nexcept OSError:\n    print('limit at', n)";
        let options = RunOptions::new()
            .timeout(TIMEOUT * 10)
            .input_bytes(256 << 20)
            .stdin_reader(tokio::io::repeat(b'x'));
        let result = executor().run_blocking(&Python, code, options).unwrap();
        assert_eq!(result.stdout_lossy(), format!("limit at {}\n", 256 << 20));
    });
}

#[test]
fn a_stdin_that_never_comes_is_cut_by_the_timeout() {
    contained(
        &test_name!(a_stdin_that_never_comes_is_cut_by_the_timeout),
        || {
            let (_writer, reader) = tokio::io::duplex(16);
            let options = RunOptions::new().timeout(TIMEOUT).stdin_reader(reader);
            let err = executor()
                .run_blocking(&Python, "print('waiting', flush=True)\ninput()", options)
                .unwrap_err();
            let Error::Timeout { output, .. } = &err else {
                panic!("{err:?}")
            };
            assert_eq!(output.stdout, b"waiting\n");

            // And in a session, which then ends.
            let (_writer, reader) = tokio::io::duplex(16);
            let session = executor()
                .session_blocking(&Python, RunOptions::new().timeout(TIMEOUT).stdin_reader(reader))
                .unwrap();
            let err = session.run_blocking("input()").unwrap_err();
            assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
            assert!(!session.is_open());
        },
    );
}
