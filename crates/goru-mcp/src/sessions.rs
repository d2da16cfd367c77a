//! The open sessions of a server: a bounded registry by id, one run at a
//! time per session, and the reaper that closes sessions idle past the TTL.
//! Shared by every connection (and every HTTP request) of one server, so a
//! session id works wherever the client calls from.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::{Duration, Instant};

use goru::Session;
use tokio_util::sync::CancellationToken;

/// Why a session could not be had; the message is for the agent.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SessionError {
    /// The cap on open sessions is reached.
    #[error("{0} sessions are open, the most this server allows: close one with session_close")]
    TooMany(usize),
    /// No session has this id (never made, closed, or reaped).
    #[error(
        "no open session has this id (it was closed, or idled past the server's limit): start one with session_create"
    )]
    Unknown,
    /// The session is running other code.
    #[error("the session is running other code; sessions run one piece of code at a time")]
    Busy,
    /// The session's last run was cancelled, which ended it.
    #[error(
        "the session's last run was cancelled, which ended the session: start a new one with session_create"
    )]
    Cancelled,
    /// No random id could be made.
    #[error("no session id could be made (the OS random generator failed)")]
    NoId,
}

/// The registry.
#[derive(Debug)]
pub struct Sessions {
    entries: Mutex<Registry>,
    max: usize,
    ttl: Duration,
}

#[derive(Debug, Default)]
struct Registry {
    open: HashMap<String, Entry>,
    /// Slots taken by sessions still starting.
    starting: usize,
}

#[derive(Debug)]
struct Entry {
    session: Session,
    last_used: Instant,
    /// The cancellation of the call running in it, if one is.
    running: Option<CancellationToken>,
}

/// A slot for a session being started; given back if never filled.
#[derive(Debug)]
pub struct Slot {
    sessions: Arc<Sessions>,
    filled: bool,
}

/// A session checked out for one run: other runs get [`SessionError::Busy`]
/// until it is dropped.
#[derive(Debug)]
pub struct Checkout {
    sessions: Arc<Sessions>,
    id: String,
    /// The session to run in.
    pub session: Session,
}

impl Sessions {
    /// At most `max` sessions, each closed after `ttl` unused.
    pub fn new(max: usize, ttl: Duration) -> Arc<Self> {
        Arc::new(Self {
            entries: Mutex::new(Registry::default()),
            max,
            ttl,
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Registry> {
        // Nothing panics while holding the lock; recover all the same.
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Takes a slot for a session about to start. Sessions whose
    /// interpreter ended (a stopped run) give their slot up first.
    pub fn reserve(self: &Arc<Self>) -> Result<Slot, SessionError> {
        let mut registry = self.lock();
        if registry.open.len() + registry.starting >= self.max {
            registry
                .open
                .retain(|_, e| e.running.is_some() || e.session.is_open());
        }
        if registry.open.len() + registry.starting >= self.max {
            return Err(SessionError::TooMany(self.max));
        }
        registry.starting += 1;
        Ok(Slot {
            sessions: self.clone(),
            filled: false,
        })
    }

    /// Checks session `id` out for one run of the call `cancel` cancels.
    /// A session whose running call was cancelled has ended (its run is
    /// being stopped): it is closed and forgotten, even if the stopped run
    /// has not yet given it back.
    pub fn checkout(self: &Arc<Self>, id: &str, cancel: CancellationToken) -> Result<Checkout, SessionError> {
        let mut registry = self.lock();
        let entry = registry.open.get_mut(id).ok_or(SessionError::Unknown)?;
        match &entry.running {
            Some(running) if running.is_cancelled() => {
                if let Some(entry) = registry.open.remove(id) {
                    entry.session.close();
                }
                return Err(SessionError::Cancelled);
            }
            Some(_) => return Err(SessionError::Busy),
            None => {}
        }
        entry.running = Some(cancel);
        entry.last_used = Instant::now();
        Ok(Checkout {
            sessions: self.clone(),
            id: id.to_owned(),
            session: entry.session.clone(),
        })
    }

    /// Closes and forgets session `id` (a run in it is cancelled); false if
    /// there was none.
    pub fn close(&self, id: &str) -> bool {
        let removed = self.lock().open.remove(id);
        removed.map(|e| e.session.close()).is_some()
    }

    /// Closes the sessions unused for longer than the TTL; how many.
    pub fn reap(&self, now: Instant) -> usize {
        let mut reaped = 0;
        self.lock().open.retain(|_, entry| {
            let idle = entry.running.is_none() && now.saturating_duration_since(entry.last_used) > self.ttl;
            if idle {
                entry.session.close();
                reaped += 1;
            }
            !idle
        });
        reaped
    }

    /// Closes every session; how many there were.
    pub fn close_all(&self) -> usize {
        let entries: Vec<Entry> = self.lock().open.drain().map(|(_, e)| e).collect();
        entries.iter().for_each(|e| e.session.close());
        entries.len()
    }

    /// Sessions open.
    pub fn len(&self) -> usize {
        self.lock().open.len()
    }

    /// How often the reaper looks: a session outlives its TTL by at most a
    /// quarter of it (and at most 30 s).
    fn reap_period(&self) -> Duration {
        (self.ttl / 4).clamp(Duration::from_millis(50), Duration::from_secs(30))
    }
}

impl Slot {
    /// Registers `session` in the slot; its new id.
    pub fn fill(mut self, session: Session) -> Result<String, SessionError> {
        let mut bytes = [0u8; 16];
        if getrandom::fill(&mut bytes).is_err() {
            session.close();
            return Err(SessionError::NoId);
        }
        let id = hex::encode(bytes);
        let mut registry = self.sessions.lock();
        registry.starting -= 1;
        self.filled = true;
        registry.open.insert(
            id.clone(),
            Entry {
                session,
                last_used: Instant::now(),
                running: None,
            },
        );
        Ok(id)
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        if !self.filled {
            self.sessions.lock().starting -= 1;
        }
    }
}

impl Drop for Checkout {
    fn drop(&mut self) {
        // Gone if the session was closed or reaped meanwhile.
        if let Some(entry) = self.sessions.lock().open.get_mut(&self.id) {
            entry.running = None;
            entry.last_used = Instant::now();
        }
    }
}

/// Closes idle sessions until the registry is dropped with its server.
pub async fn reap_forever(sessions: Weak<Sessions>) {
    let Some(period) = sessions.upgrade().map(|s| s.reap_period()) else {
        return;
    };
    let mut ticks = tokio::time::interval(period);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let Some(sessions) = sessions.upgrade() else {
            return;
        };
        let reaped = sessions.reap(Instant::now());
        if reaped > 0 {
            tracing::info!(target: "goru::mcp", reaped, "sessions closed after idling past the TTL");
        }
    }
}
