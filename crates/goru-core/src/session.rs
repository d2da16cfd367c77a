//! Sessions: one live interpreter whose globals persist across runs.
//!
//! The guest's shim loops on a reserved host function
//! ([`SESSION_NEXT_FUNCTION`](crate::SESSION_NEXT_FUNCTION)) that hands it one piece of code at a time and
//! takes back its result; its output goes to the same bounded sinks as a
//! stateless run's, emptied before each run. A run that traps, is cancelled
//! or hits the memory cap ends the session: the guest is stopped at once and
//! its instance dropped with its memory. A run that reaches its time limit is
//! first interrupted softly where the language can be (see
//! [`crate::Language::soft_interrupt`]); only a guest that is not back
//! within the grace is stopped so.

mod link;

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use tokio::sync::{mpsc, oneshot, watch};

use crate::error::SessionEnd;
use crate::executor::guest_thread;
use crate::instance::RunSpec;
use crate::instance::control::{RunControl, SOFT_GRACE, STOP_GRACE, StopReason};
use crate::instance::memory::MemoryBudget;
use crate::instance::stdio::Capture;
use crate::output::OutputSender;
use crate::{Error, InterruptKind, Limits, Output, RunResult};
pub(crate) use link::Link;
use link::{Done, Mode, Request};

/// A live interpreter: variables, functions and imports persist from one
/// [`Session::run`] to the next. Made by [`crate::Executor::session`].
///
/// Cheap to clone; clones share the interpreter. One run at a time: a run
/// started while another is going fails with [`Error::SessionBusy`]. After
/// [`Session::close`] (or once every clone is dropped) the interpreter exits;
/// runs then fail with [`Error::SessionClosed`]. A run that traps, is
/// cancelled or hits the memory cap ends the session at once; later runs
/// fail with [`Error::SessionEnded`]. A guest exception does not end it, and
/// neither does a run that reaches its time limit when the language has a
/// soft interrupt (Python: the code gets a `TimeoutError`; JavaScript: an
/// `InternalError: interrupted`) and the guest is
/// back within 250 ms: that run fails with [`Error::Timeout`] and the
/// session keeps its state. Otherwise a timeout ends the session too.
///
/// ```no_run
/// # async fn demo(python: &dyn goru_core::Language) -> Result<(), goru_core::Error> {
/// use goru_core::{Executor, RunOptions};
///
/// let executor = Executor::builder().build()?;
/// let session = executor.session(python, RunOptions::new()).await?;
/// session.run("x = 41").await?;
/// assert_eq!(session.run("print(x + 1)").await?.stdout_lossy(), "42\n");
/// session.close();
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Session {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    language: String,
    requests: Mutex<Option<mpsc::UnboundedSender<Request>>>,
    /// Set by [`Session::close`]: later runs get [`Error::SessionClosed`].
    closed: std::sync::atomic::AtomicBool,
    turn: tokio::sync::Mutex<()>,
    /// Whether a run's code is being run (soft interrupts only then).
    running: std::sync::atomic::AtomicBool,
    control: Arc<RunControl>,
    stdout: Capture,
    stderr: Capture,
    /// Where output goes between runs and in runs without a sender of their
    /// own; dropped when the guest is gone, so its receiver sees the end.
    output: Arc<SessionOutput>,
    budget: Arc<MemoryBudget>,
    calls_left: Arc<AtomicUsize>,
    limits: Limits,
    ending: Arc<Ending>,
    handle: tokio::runtime::Handle,
}

/// How the guest thread ended, once it has.
#[derive(Debug)]
struct Ending {
    state: Mutex<EndState>,
    ended: watch::Sender<bool>,
}

#[derive(Debug, Default)]
struct EndState {
    reason: Option<SessionEnd>,
    /// The error that ended it, with the output of the run it ended, for
    /// whichever run is there to report it.
    error: Option<Error>,
}

impl Ending {
    fn record(&self, outcome: Result<RunResult, Error>) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        match outcome {
            Ok(result) => {
                state.reason.get_or_insert(SessionEnd::Exited(result.exit_code));
            }
            Err(error) => {
                state.reason.get_or_insert_with(|| SessionEnd::from_error(&error));
                state.error = Some(error);
            }
        }
        drop(state);
        self.ended.send_replace(true);
    }

    fn reason(&self) -> Option<SessionEnd> {
        self.state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .reason
            .clone()
    }
}

/// What [`start`] needs besides the guest itself.
pub(crate) struct Start {
    pub(crate) language: String,
    pub(crate) spec: RunSpec,
    pub(crate) control: Arc<RunControl>,
    pub(crate) requests: mpsc::UnboundedSender<Request>,
    pub(crate) ready: oneshot::Receiver<()>,
    pub(crate) handle: tokio::runtime::Handle,
    /// The session's own output sender, if any.
    pub(crate) output: Option<OutputSender>,
}

/// Runs a session's instance to its end, on a blocking thread.
pub(crate) trait Guest:
    FnOnce(RunSpec, &Arc<RunControl>) -> Result<RunResult, Error> + Send + 'static
{
}

impl<G> Guest for G where G: FnOnce(RunSpec, &Arc<RunControl>) -> Result<RunResult, Error> + Send + 'static {}

/// Starts the guest and waits until it asks for its first piece of code.
pub(crate) async fn start(start: Start, run_guest: impl Guest) -> Result<Session, Error> {
    let Start {
        language,
        spec,
        control,
        requests,
        ready,
        handle,
        output,
    } = start;
    let output = Arc::new(SessionOutput {
        sender: Mutex::new(output),
        captures: [spec.stdout.clone(), spec.stderr.clone()],
    });
    let (ended_tx, mut ended_rx) = watch::channel(false);
    let ending = Arc::new(Ending {
        state: Mutex::new(EndState::default()),
        ended: ended_tx,
    });
    let inner = Arc::new(Inner {
        language,
        requests: Mutex::new(Some(requests)),
        closed: std::sync::atomic::AtomicBool::new(false),
        turn: tokio::sync::Mutex::new(()),
        running: std::sync::atomic::AtomicBool::new(false),
        stdout: spec.stdout.clone(),
        stderr: spec.stderr.clone(),
        output: output.clone(),
        budget: spec.budget.clone(),
        calls_left: spec.calls_left.clone(),
        limits: spec.limits,
        control: control.clone(),
        ending: ending.clone(),
        handle: handle.clone(),
    });
    guest_thread::spawn(&handle, move || {
        let outcome = guest_thread::catch_panic(|| run_guest(spec, &control));
        control.finish();
        output.end();
        ending.record(outcome);
    })?;
    let session = Session { inner };
    let control = &session.inner.control;
    let deadline = tokio::time::Instant::from_std(control.deadline());
    let stop_if_dropped = StopOnDrop(Some(control.clone()));
    tokio::select! {
        up = ready => if up.is_ok() {
            control.disarm();
            stop_if_dropped.defuse();
            return Ok(session);
        },
        _ = ended_rx.wait_for(|ended| *ended) => {}
        () = tokio::time::sleep_until(deadline) => control.stop(StopReason::Timeout),
        () = control.stop_requested() => {}
    }
    stop_if_dropped.defuse();
    Err(session.wait_for_end().await)
}

impl Session {
    /// The name of the session's language.
    pub fn language(&self) -> &str {
        &self.inner.language
    }

    /// Runs `code` in the session's interpreter, as a script: the value of a
    /// final expression is not printed. The result's output is this run's
    /// only. Dropping the future stops the guest and ends the session. Code
    /// that [`crate::check_code`] refuses fails with [`Error::InvalidCode`]
    /// and leaves the session as it was.
    pub async fn run(&self, code: &str) -> Result<RunResult, Error> {
        self.run_with(code, SessionRun::new()).await
    }

    /// Like [`Session::run`], as REPL input: the value of a final expression
    /// is printed (Python sets `_` to it, as its REPL does).
    pub async fn run_repl(&self, code: &str) -> Result<RunResult, Error> {
        self.run_with(code, SessionRun::new().repl(true)).await
    }

    /// [`Session::run`] or [`Session::run_repl`] as `run` says, e.g. with
    /// its output streamed as it is written.
    ///
    /// ```no_run
    /// # async fn demo(session: goru_core::Session) -> Result<(), goru_core::Error> {
    /// use goru_core::{SessionRun, output_channel};
    ///
    /// let (sender, mut receiver) = output_channel();
    /// let shown = tokio::spawn(async move {
    ///     let mut seen = Vec::new();
    ///     while let Some(chunk) = receiver.recv().await {
    ///         seen.extend(chunk.bytes);
    ///     }
    ///     seen
    /// });
    /// let result = session.run_with("print('hi')", SessionRun::new().output(sender)).await?;
    /// assert_eq!(shown.await.expect("receiver"), result.stdout());
    /// # Ok(()) }
    /// ```
    pub async fn run_with(&self, code: &str, run: SessionRun) -> Result<RunResult, Error> {
        crate::check_code(code)?;
        let started = Instant::now();
        let mode = if run.repl { Mode::Repl } else { Mode::Exec };
        let (done, output) = self.request(code, mode, run.output).await?;
        let mut result = RunResult::finished(output, done.exit_code, done.exception, started);
        result.exited = done.exited;
        Ok(result)
    }

    /// [`Session::run_with`], blocking the calling thread.
    pub fn run_with_blocking(&self, code: &str, run: SessionRun) -> Result<RunResult, Error> {
        let (session, code) = (self.clone(), code.to_owned());
        block_on(
            &self.inner.handle,
            async move { session.run_with(&code, run).await },
        )
    }

    /// Whether `code` is a complete statement, or needs more lines (an open
    /// block or bracket), as a REPL asks before running it. Code with a
    /// syntax error counts as complete: running it reports the error.
    pub async fn check_complete(&self, code: &str) -> Result<bool, Error> {
        let (done, _) = self.request(code, Mode::Check, None).await?;
        Ok(done.complete.unwrap_or(true))
    }

    /// [`Session::run`], blocking the calling thread.
    pub fn run_blocking(&self, code: &str) -> Result<RunResult, Error> {
        let (session, code) = (self.clone(), code.to_owned());
        block_on(&self.inner.handle, async move { session.run(&code).await })
    }

    /// [`Session::run_repl`], blocking the calling thread.
    pub fn run_repl_blocking(&self, code: &str) -> Result<RunResult, Error> {
        let (session, code) = (self.clone(), code.to_owned());
        block_on(&self.inner.handle, async move { session.run_repl(&code).await })
    }

    /// [`Session::check_complete`], blocking the calling thread.
    pub fn check_complete_blocking(&self, code: &str) -> Result<bool, Error> {
        let (session, code) = (self.clone(), code.to_owned());
        block_on(
            &self.inner.handle,
            async move { session.check_complete(&code).await },
        )
    }

    /// Closes the session for every clone: the interpreter exits and its
    /// memory is freed; a run in progress is cancelled.
    pub fn close(&self) {
        self.inner.close();
    }

    /// Whether the session can still run code.
    pub fn is_open(&self) -> bool {
        self.inner.open().is_ok()
    }

    /// Interrupts the running code softly, as Ctrl-C does in a REPL: Python
    /// raises `KeyboardInterrupt` in it (JavaScript: `InternalError:
    /// interrupted`), the run ends with that exception
    /// and the session keeps its state. False when no run is going or the
    /// language has no soft interrupt ([`crate::Language::soft_interrupt`]);
    /// the guest may also ignore it: use [`Session::close`] (or drop the
    /// run's future) to stop it for sure.
    pub fn interrupt(&self) -> bool {
        self.inner.running.load(Ordering::Acquire)
            && self.inner.control.interrupt_softly(InterruptKind::Interrupt)
    }

    async fn request(
        &self,
        code: &str,
        mode: Mode,
        output: Option<OutputSender>,
    ) -> Result<(Done, Output), Error> {
        let inner = &self.inner;
        let _turn = inner.turn.try_lock().map_err(|_| Error::SessionBusy)?;
        let sender = inner.open()?;
        // Whatever was printed between runs (late timers) is not this run's.
        let _ = (inner.stdout.take(), inner.stderr.take());
        let _streaming = output.map(|output| StreamRun::to(inner, output));
        inner.calls_left.store(inner.limits.host_calls, Ordering::Release);
        let (reply, done) = oneshot::channel();
        inner.control.arm(inner.limits.timeout);
        let stop_if_dropped = StopOnDrop(Some(inner.control.clone()));
        let request = Request {
            code: code.to_owned(),
            mode,
            reply,
        };
        // A soft interrupt of the last run not yet seen is not this one's.
        inner.control.take_pending_interrupt();
        if sender.send(request).is_ok() {
            inner.running.store(mode != Mode::Check, Ordering::Release);
            let deadline = tokio::time::Instant::from_std(inner.control.deadline());
            tokio::pin!(done);
            let (ended, timed_out) = tokio::select! {
                done = &mut done => (Some(done), false),
                () = tokio::time::sleep_until(deadline) => (self.interrupt_at_deadline(&mut done).await, true),
                () = inner.control.stop_requested() => (None, false),
            };
            inner.running.store(false, Ordering::Release);
            match ended {
                Some(Ok(Ok(done))) => {
                    inner.control.disarm();
                    stop_if_dropped.defuse();
                    if inner.budget.was_hit() {
                        // Wasm memory never shrinks: an interpreter that reached
                        // the cap stays there. Report this run, end the session.
                        inner.end(SessionEnd::MemoryLimit);
                    }
                    if timed_out {
                        // Interrupted at the deadline and back in time: the
                        // run failed, the session goes on.
                        return Err(Error::Timeout {
                            limit: inner.limits.timeout,
                            output: Box::new(inner.output()),
                        });
                    }
                    return Ok((done, inner.output()));
                }
                // The guest broke the protocol: no trusting it further.
                Some(Ok(Err(message))) => {
                    stop_if_dropped.defuse();
                    inner.fail(message);
                    let _ = self.wait_for_end().await;
                    let reason = inner.ending.reason().unwrap_or(SessionEnd::Cancelled);
                    return Err(Error::SessionEnded { reason });
                }
                Some(Err(_)) | None => {}
            }
        }
        stop_if_dropped.defuse();
        Err(self.wait_for_end().await)
    }

    /// At a run's deadline: interrupts the guest softly and waits up to
    /// [`SOFT_GRACE`] for its result; stops it hard if it cannot be
    /// interrupted so or is not back in time (`None` then).
    async fn interrupt_at_deadline(
        &self,
        done: &mut std::pin::Pin<&mut oneshot::Receiver<Result<Done, String>>>,
    ) -> Option<Result<Result<Done, String>, oneshot::error::RecvError>> {
        let control = &self.inner.control;
        if control.interrupt_softly(InterruptKind::Timeout)
            && let Ok(Ok(reply)) = tokio::time::timeout(SOFT_GRACE, done.as_mut()).await
        {
            return Some(Ok(reply));
        }
        control.stop(StopReason::Timeout);
        None
    }

    /// Waits for the guest thread to be gone (at most [`STOP_GRACE`] once it
    /// was stopped); the error of the run that ended it, or why it ended.
    async fn wait_for_end(&self) -> Error {
        let mut ended = self.inner.ending.ended.subscribe();
        let control = &self.inner.control;
        tokio::select! {
            _ = ended.wait_for(|ended| *ended) => {}
            () = async {
                control.stop_requested().await;
                tokio::time::sleep(STOP_GRACE).await;
            } => {
                tracing::warn!(grace = ?STOP_GRACE, "a stopped session guest did not end within the grace period");
                let reason = match control.requested_stop() {
                    Some(StopReason::Timeout) => SessionEnd::Timeout,
                    _ => SessionEnd::Cancelled,
                };
                return Error::SessionEnded { reason };
            }
        }
        let mut state = self
            .inner
            .ending
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let reason = state
            .reason
            .clone()
            .unwrap_or(SessionEnd::Failed("the guest stopped".into()));
        match state.error.take() {
            Some(error) => error,
            None => Error::SessionEnded { reason },
        }
    }
}

impl Inner {
    /// The request sender, if the session still runs code.
    fn open(&self) -> Result<mpsc::UnboundedSender<Request>, Error> {
        let sender = self
            .requests
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        if self.closed.load(Ordering::Acquire) {
            return Err(Error::SessionClosed);
        }
        if let Some(reason) = self.ending.reason() {
            return Err(Error::SessionEnded { reason });
        }
        // Stopped, but the guest thread has not finished going yet.
        match self.control.requested_stop() {
            Some(StopReason::Timeout) => {
                return Err(Error::SessionEnded {
                    reason: SessionEnd::Timeout,
                });
            }
            Some(StopReason::Cancelled) => {
                return Err(Error::SessionEnded {
                    reason: SessionEnd::Cancelled,
                });
            }
            None => {}
        }
        sender.ok_or(Error::SessionClosed)
    }

    fn output(&self) -> Output {
        Capture::take_output(&self.stdout, &self.stderr)
    }

    /// Ends the session for `reason`: the guest is told to exit.
    fn end(&self, reason: SessionEnd) {
        self.ending
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .reason
            .get_or_insert(reason);
        self.requests
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
    }

    /// Ends the session because the guest broke the session protocol, and
    /// stops it whatever it is doing.
    fn fail(&self, message: String) {
        tracing::warn!(%message, "ending a session whose guest broke the protocol");
        self.end(SessionEnd::Failed(format!(
            "the guest broke the session protocol: {message}"
        )));
        self.control.stop(StopReason::Cancelled);
    }

    fn close(&self) {
        self.closed.store(true, Ordering::Release);
        self.requests
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        // Stopped whatever it is doing: waiting for code, running a run, or
        // running after it claimed to be done. The guest's word that it will
        // exit when told is not taken.
        self.control.stop(StopReason::Cancelled);
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.close();
    }
}

/// Streams one run's output to its own sender; back to the session's own
/// when dropped (so the run's receiver sees the end).
struct StreamRun<'a>(&'a Inner);

impl<'a> StreamRun<'a> {
    fn to(inner: &'a Inner, output: OutputSender) -> Self {
        for capture in [&inner.stdout, &inner.stderr] {
            capture.stream_to(Some(&output));
        }
        Self(inner)
    }
}

impl Drop for StreamRun<'_> {
    fn drop(&mut self) {
        self.0.output.restore();
    }
}

/// The session's own output sender and the sinks that stream to it.
#[derive(Debug)]
struct SessionOutput {
    sender: Mutex<Option<OutputSender>>,
    captures: [Capture; 2],
}

impl SessionOutput {
    /// Streams to the session's sender again (after a run with its own).
    fn restore(&self) {
        let sender = self.sender.lock().unwrap_or_else(PoisonError::into_inner);
        for capture in &self.captures {
            capture.stream_to(sender.as_ref());
        }
    }

    /// The guest is gone: no more streaming, and the receivers see the end.
    fn end(&self) {
        self.sender.lock().unwrap_or_else(PoisonError::into_inner).take();
        for capture in &self.captures {
            capture.stream_to(None);
        }
    }
}

/// What one run of a session is: script or REPL input, and where its
/// output streams. For [`Session::run_with`].
///
/// ```
/// let run = goru_core::SessionRun::new().repl(true);
/// # let _ = run;
/// ```
#[derive(Debug, Clone, Default)]
pub struct SessionRun {
    repl: bool,
    output: Option<OutputSender>,
}

impl SessionRun {
    /// A script run ([`Session::run`]) whose output is only collected.
    pub fn new() -> Self {
        Self::default()
    }

    /// As REPL input ([`Session::run_repl`]) if `repl`.
    pub fn repl(mut self, repl: bool) -> Self {
        self.repl = repl;
        self
    }

    /// Streams this run's output to `sender` as it is written (see
    /// [`crate::output_channel`]); the receiver sees the end once the run is
    /// over and the senders are dropped.
    pub fn output(mut self, sender: OutputSender) -> Self {
        self.output = Some(sender);
        self
    }
}

/// Stops the guest unless defused: a run whose future is dropped midway.
struct StopOnDrop(Option<Arc<RunControl>>);

impl StopOnDrop {
    fn defuse(mut self) {
        self.0 = None;
    }
}

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        if let Some(control) = self.0.take() {
            control.stop(StopReason::Cancelled);
        }
    }
}

/// Runs `future` on `handle` and waits for it on this thread. Works from
/// plain threads and from inside async code alike (it never calls a
/// runtime's `block_on`).
pub(crate) fn block_on<T, F>(handle: &tokio::runtime::Handle, future: F) -> Result<T, Error>
where
    F: Future<Output = Result<T, Error>> + Send + 'static,
    T: Send + 'static,
{
    let (tx, rx) = std::sync::mpsc::sync_channel(1);
    handle.spawn(async move {
        let _ = tx.send(future.await);
    });
    rx.recv()
        .unwrap_or_else(|_| Err(Error::Setup("the runtime dropped the task".into())))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::{Limits, Program};

    /// A panic on the guest thread (a host bug under a session) ends the
    /// session with a typed error instead of leaving its runs unanswered.
    #[test]
    fn a_panicking_guest_thread_is_a_typed_error() {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .unwrap();
        let handle = runtime.handle().clone();
        let limits = Limits::default();
        let spec = RunSpec::new(
            Program::new(["guest"]),
            limits,
            Default::default(),
            Vec::new(),
            handle.clone(),
        );
        let (_link, requests, ready) = Link::new();
        let start_args = Start {
            language: "test".into(),
            spec,
            control: Arc::new(RunControl::new(Duration::from_secs(30))),
            requests,
            ready,
            handle,
            output: None,
        };
        let started = runtime.block_on(start(start_args, |_, _| panic!("a host bug, on purpose")));
        assert!(
            matches!(&started, Err(Error::HostPanic(m)) if m.contains("on purpose")),
            "{started:?}"
        );
    }
}
