//! Running with the guest's output written as it is produced, and stopped
//! (keeping what was written) by Ctrl-C or SIGTERM.

use goru::{CancelHandle, Error, Executor, Language, RunOptions, RunResult};

use crate::failure::exit;
use crate::terminal::GuestOutput;

/// What stopped a run from outside.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// Ctrl-C (SIGINT).
    Interrupt,
    /// SIGTERM.
    Terminate,
}

impl Signal {
    /// The exit status a shell gives a process this signal ended.
    pub fn status(self) -> u8 {
        match self {
            Signal::Interrupt => exit::INTERRUPTED,
            Signal::Terminate => exit::TERMINATED,
        }
    }

    /// How goru names the stop.
    pub fn message(self) -> &'static str {
        match self {
            Signal::Interrupt => "interrupted (Ctrl-C)",
            Signal::Terminate => "terminated (SIGTERM)",
        }
    }
}

/// Runs `code`, writing each chunk of the guest's stdout and stderr to
/// goru's own as soon as the guest writes it (filtered on a terminal, see
/// [`GuestOutput`]). Ctrl-C or SIGTERM cancel the
/// run; its output up to then is written all the same.
pub fn run(
    executor: &Executor,
    language: &dyn Language,
    code: &str,
    options: RunOptions,
) -> std::io::Result<(Result<RunResult, Error>, Option<Signal>)> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let cancel = CancelHandle::new();
    let (sender, mut receiver) = goru::output_channel();
    let options = options.output(sender).cancel_handle(cancel.clone());
    Ok(runtime.block_on(async move {
        let run = executor.run(language, code, options);
        tokio::pin!(run);
        let interrupt = tokio::signal::ctrl_c();
        tokio::pin!(interrupt);
        let mut terminate = terminate_signal();
        let mut signal = None;
        let mut output = GuestOutput::new();
        let result = loop {
            tokio::select! {
                result = &mut run => break result,
                Some(chunk) = receiver.recv() => output.write(&chunk),
                _ = &mut interrupt, if signal.is_none() => {
                    signal = Some(Signal::Interrupt);
                    cancel.cancel();
                }
                () = terminate.recv(), if signal.is_none() => {
                    signal = Some(Signal::Terminate);
                    cancel.cancel();
                }
            }
        };
        // The chunks written before the run ended; the channel ends with the run.
        while let Some(chunk) = receiver.recv().await {
            output.write(&chunk);
        }
        drop(output);
        (result, signal)
    }))
}

/// SIGTERM, where there is such a thing.
struct Terminate(#[cfg(unix)] Option<tokio::signal::unix::Signal>);

fn terminate_signal() -> Terminate {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        Terminate(signal(SignalKind::terminate()).ok())
    }
    #[cfg(not(unix))]
    Terminate()
}

impl Terminate {
    async fn recv(&mut self) {
        #[cfg(unix)]
        if let Some(signal) = &mut self.0 {
            signal.recv().await;
            return;
        }
        std::future::pending::<()>().await;
    }
}
