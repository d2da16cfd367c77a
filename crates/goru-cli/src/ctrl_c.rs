//! Ctrl-C while the REPL runs an input: a soft interrupt of that input
//! (Python raises `KeyboardInterrupt`, JavaScript `InternalError:
//! interrupted`; the session keeps its state), not the end of goru. A second
//! Ctrl-C during the same input, or one in a language without soft
//! interrupts, closes the session instead (the REPL then starts a fresh
//! one): code that ignores the interrupt, or cannot see it, still stops.
//! With no input running,
//! Ctrl-C ends goru as it would without this when input is piped; on a
//! terminal the line editor takes Ctrl-C as a key while it reads, and one
//! that comes between reading and running is dropped.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, OnceLock, PoisonError};

use goru::Session;

/// The session whose input is running, if one is.
static RUNNING: Mutex<Option<Running>> = Mutex::new(None);

/// An input being run.
struct Running {
    session: Session,
    /// Whether it was interrupted softly already.
    interrupted: bool,
}

/// Whether a Ctrl-C with no input running ends goru.
static IDLE_EXITS: AtomicBool = AtomicBool::new(true);

/// Takes Ctrl-C over from the default action from now on; `interactive`:
/// one with no input running is dropped rather than ending goru.
pub fn listen(interactive: bool) {
    IDLE_EXITS.store(!interactive, Ordering::Release);
    start_listener();
}

/// Runs `run` (an input of `session`) with Ctrl-C interrupting it.
pub fn interrupting<T>(session: &Session, run: impl FnOnce() -> T) -> T {
    start_listener();
    *RUNNING.lock().unwrap_or_else(PoisonError::into_inner) = Some(Running {
        session: session.clone(),
        interrupted: false,
    });
    let result = run();
    RUNNING.lock().unwrap_or_else(PoisonError::into_inner).take();
    result
}

/// Starts, once, a thread that takes Ctrl-C over from the default action.
/// The handler is in place when this returns: a Ctrl-C from then on never
/// takes the default action (ending goru with no word), and none is missed
/// between two waits.
fn start_listener() {
    static LISTENING: OnceLock<()> = OnceLock::new();
    LISTENING.get_or_init(|| {
        let Ok(runtime) = tokio::runtime::Builder::new_current_thread().enable_all().build() else {
            return;
        };
        let interrupts = {
            let _entered = runtime.enter();
            interrupts()
        };
        let Ok(mut interrupts) = interrupts else {
            return;
        };
        std::thread::spawn(move || {
            runtime.block_on(async {
                while interrupts.recv().await.is_some() {
                    let mut running = RUNNING.lock().unwrap_or_else(PoisonError::into_inner);
                    match running.as_mut() {
                        Some(input) if input.interrupted || !input.session.interrupt() => {
                            input.session.close()
                        }
                        Some(input) => input.interrupted = true,
                        // 128 + SIGINT, as a process killed by it reports.
                        None if IDLE_EXITS.load(Ordering::Acquire) => std::process::exit(130),
                        None => {}
                    }
                }
            });
        });
    });
}

/// Ctrl-C as a stream; its handler is installed by the time this returns
/// (it must be called inside a tokio runtime).
#[cfg(unix)]
fn interrupts() -> std::io::Result<tokio::signal::unix::Signal> {
    tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())
}

#[cfg(windows)]
fn interrupts() -> std::io::Result<tokio::signal::windows::CtrlC> {
    tokio::signal::windows::ctrl_c()
}
