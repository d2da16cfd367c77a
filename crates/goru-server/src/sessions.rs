//! The open sessions: a bounded registry by id, one exec at a time per
//! session, and the reaper that closes sessions left idle past the TTL.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::{Duration, Instant};

use goru::{CancelHandle, Session};

use crate::error::{ApiError, ErrorCode};
use crate::ids::{random_hex, short};

/// The registry. Every entry counts toward `--max-sessions` until it is
/// deleted or reaped; entries whose interpreter has ended are dropped first
/// when room is needed.
#[derive(Debug)]
pub struct Sessions {
    registry: Mutex<Registry>,
    max: usize,
    ttl: Duration,
    /// `NODE.` before every id, with `--node-id NODE`.
    id_prefix: String,
}

#[derive(Debug, Default)]
struct Registry {
    entries: HashMap<String, Entry>,
    /// Slots taken by sessions still starting.
    starting: usize,
}

#[derive(Debug)]
struct Entry {
    session: Session,
    limits: ExecLimits,
    last_used: Instant,
    running: bool,
}

/// How a session's execs are bounded beyond the interpreter's own limits.
#[derive(Debug, Clone)]
pub struct ExecLimits {
    /// Stops the session's current exec (the session's own options carry it).
    pub cancel: CancelHandle,
    /// The timeout of an exec that names none.
    pub timeout: Duration,
}

/// A slot for a session being started; given back if never filled.
#[derive(Debug)]
pub struct Reservation {
    sessions: Arc<Sessions>,
    filled: bool,
}

/// A session checked out for one exec: marked running (other execs get
/// `busy`) until dropped, which also counts as use for the TTL.
#[derive(Debug)]
pub struct Checkout {
    sessions: Arc<Sessions>,
    id: String,
    /// The session to run in.
    pub session: Session,
    /// Its exec limits.
    pub limits: ExecLimits,
}

impl Sessions {
    /// A registry of at most `max` sessions, each closed after `ttl` idle,
    /// whose ids start with `node.` when a node name is given.
    pub fn new(max: usize, ttl: Duration, node: Option<&str>) -> Self {
        Self {
            registry: Mutex::new(Registry::default()),
            max,
            ttl,
            id_prefix: node.map_or_else(String::new, |node| format!("{node}.")),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Registry> {
        // No code panics while holding the lock; recover all the same.
        self.registry.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Takes a slot for a session about to start, or `too_many_sessions`.
    pub fn reserve(self: &Arc<Self>) -> Result<Reservation, ApiError> {
        let mut registry = self.lock();
        if registry.entries.len() + registry.starting >= self.max {
            registry
                .entries
                .retain(|_, entry| entry.running || entry.session.is_open());
        }
        if registry.entries.len() + registry.starting >= self.max {
            return Err(ApiError::new(
                ErrorCode::TooManySessions,
                format!(
                    "{} sessions are open, the most this server allows; delete one or retry later",
                    self.max
                ),
            ));
        }
        registry.starting += 1;
        Ok(Reservation {
            sessions: self.clone(),
            filled: false,
        })
    }

    /// Checks out session `id` for one exec.
    pub fn checkout(self: &Arc<Self>, id: &str) -> Result<Checkout, ApiError> {
        let mut registry = self.lock();
        let entry = registry
            .entries
            .get_mut(id)
            .ok_or_else(ApiError::unknown_session)?;
        if entry.running {
            return Err(ApiError::new(
                ErrorCode::Busy,
                "the session is running other code",
            ));
        }
        entry.running = true;
        entry.last_used = Instant::now();
        Ok(Checkout {
            sessions: self.clone(),
            id: id.to_owned(),
            session: entry.session.clone(),
            limits: entry.limits.clone(),
        })
    }

    /// Removes session `id` and closes it (a run in progress is cancelled).
    /// False if there was none.
    pub fn delete(&self, id: &str) -> bool {
        let removed = self.lock().entries.remove(id);
        match removed {
            Some(entry) => {
                entry.session.close();
                true
            }
            None => false,
        }
    }

    /// Closes and removes the sessions idle for longer than the TTL; their ids.
    pub fn reap_idle(&self, now: Instant) -> Vec<String> {
        let mut reaped = Vec::new();
        self.lock().entries.retain(|id, entry| {
            let idle = !entry.running && now.saturating_duration_since(entry.last_used) > self.ttl;
            if idle {
                entry.session.close();
                reaped.push(id.clone());
            }
            !idle
        });
        reaped
    }

    /// Closes and removes every session (running ones are cancelled); how many.
    pub fn close_all(&self) -> usize {
        let entries: Vec<Entry> = self.lock().entries.drain().map(|(_, entry)| entry).collect();
        for entry in &entries {
            entry.session.close();
        }
        entries.len()
    }

    /// Sessions in the registry.
    pub fn len(&self) -> usize {
        self.lock().entries.len()
    }

    /// How often the reaper looks: often enough that a session outlives its
    /// TTL by at most a quarter of it (and never more than 30 s).
    pub fn reap_period(&self) -> Duration {
        (self.ttl / 4).clamp(Duration::from_millis(50), Duration::from_secs(30))
    }
}

impl Reservation {
    /// Registers `session` in the reserved slot; its new id, or `internal`
    /// if no random id could be made (the session is then closed).
    pub fn fill(mut self, session: Session, limits: ExecLimits) -> Result<String, ApiError> {
        let Some(random) = random_hex(16) else {
            session.close();
            return Err(ApiError::internal(&"the OS random generator failed"));
        };
        let id = format!("{}{random}", self.sessions.id_prefix);
        let mut registry = self.sessions.lock();
        registry.starting -= 1;
        self.filled = true;
        registry.entries.insert(
            id.clone(),
            Entry {
                session,
                limits,
                last_used: Instant::now(),
                running: false,
            },
        );
        Ok(id)
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        if !self.filled {
            self.sessions.lock().starting -= 1;
        }
    }
}

impl Drop for Checkout {
    fn drop(&mut self) {
        // The entry is gone if the session was deleted or reaped meanwhile.
        if let Some(entry) = self.sessions.lock().entries.get_mut(&self.id) {
            entry.running = false;
            entry.last_used = Instant::now();
        }
    }
}

/// Closes idle sessions every [`Sessions::reap_period`] until the registry
/// is dropped with its server.
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
        for id in sessions.reap_idle(Instant::now()) {
            tracing::info!(session = %short(&id), "session closed after idling past the TTL");
        }
    }
}
