//! Streaming a run's output as the guest produces it: a bounded channel of
//! stdout/stderr chunks, in the order the guest wrote them.

use tokio::sync::mpsc;

/// How many chunks may wait in an output channel before the guest's next
/// write waits for the receiver.
const CHANNEL_CHUNKS: usize = 64;

/// Which of the guest's streams a chunk came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OutputStream {
    /// The guest's stdout.
    Stdout,
    /// The guest's stderr.
    Stderr,
}

/// Bytes the guest wrote with one write to one stream, untouched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputChunk {
    /// The stream written to.
    pub stream: OutputStream,
    /// The bytes (any bytes, NUL included).
    pub bytes: Vec<u8>,
}

/// Makes a channel that streams a run's output, for
/// [`RunOptions::output`](crate::RunOptions::output) (a stateless run) or
/// [`SessionRun::output`](crate::SessionRun::output) (one run of a session).
///
/// The receiver gets each write of the guest to stdout and stderr as it
/// happens, in order; the run's result still carries the whole output as
/// usual. What goes through the channel is what the output cap keeps: a
/// stream cut at [`crate::Limits::output_bytes`] sends nothing more, so a run
/// never sends more than twice that. The channel holds at most 64 chunks:
/// while it is full the guest's next write waits (a slow receiver slows the
/// guest down; the run's timeout still applies), and once the run is stopped
/// a write no longer waits, its bytes then being only in the run's error
/// output. A dropped receiver is not an error: the run goes on, collecting
/// its output. The receiver sees the end of the channel once the run is over
/// and every clone of the sender (the options included) is dropped.
///
/// ```no_run
/// # async fn demo(python: &dyn goru_core::Language) -> Result<(), goru_core::Error> {
/// use goru_core::{Executor, OutputStream, RunOptions, output_channel};
///
/// let executor = Executor::builder().build()?;
/// let (sender, mut receiver) = output_channel();
/// let printer = tokio::spawn(async move {
///     while let Some(chunk) = receiver.recv().await {
///         if chunk.stream == OutputStream::Stdout {
///             print!("{}", String::from_utf8_lossy(&chunk.bytes));
///         }
///     }
/// });
/// let code = "import time\nfor i in range(3):\n    print(i, flush=True)\n    time.sleep(1)";
/// let result = executor.run(python, code, RunOptions::new().output(sender)).await?;
/// printer.await.expect("printer");
/// assert_eq!(result.stdout_lossy(), "0\n1\n2\n");
/// # Ok(()) }
/// ```
pub fn output_channel() -> (OutputSender, OutputReceiver) {
    let (sender, receiver) = mpsc::channel(CHANNEL_CHUNKS);
    (OutputSender(sender), OutputReceiver(receiver))
}

/// The sending side of [`output_channel`], given to a run. Cheap to clone.
#[derive(Debug, Clone)]
pub struct OutputSender(pub(crate) mpsc::Sender<OutputChunk>);

/// The receiving side of [`output_channel`].
#[derive(Debug)]
pub struct OutputReceiver(mpsc::Receiver<OutputChunk>);

impl OutputReceiver {
    /// The next chunk, or `None` once the run is over and the senders are gone.
    pub async fn recv(&mut self) -> Option<OutputChunk> {
        self.0.recv().await
    }

    /// [`OutputReceiver::recv`], blocking the calling thread (not from inside
    /// async code).
    pub fn blocking_recv(&mut self) -> Option<OutputChunk> {
        self.0.blocking_recv()
    }
}
