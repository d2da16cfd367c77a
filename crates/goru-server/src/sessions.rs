//! The open sessions of a server: a bounded registry by unguessable id, one
//! run at a time per session, and the reaper that closes sessions idle past
//! the TTL. `goru serve`'s HTTP routes and `goru mcp`'s tools both keep
//! their sessions here, each with what it needs to know per session (`T`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::{Duration, Instant};

use goru::Session;

use crate::ids::{random_hex, short};

/// Why a session could not be had. Each front end words it for its own
/// clients (naming its own routes or tools).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SessionError {
    /// The cap on open sessions is reached.
    #[error("{0} sessions are open, the most allowed")]
    TooMany(usize),
    /// No open session has this id (never made, closed, or reaped).
    #[error("no open session has this id")]
    Unknown,
    /// The session is running other code.
    #[error("the session is running other code")]
    Busy,
    /// The call running in the session was cancelled, which ended it.
    #[error("the session's last run was cancelled, which ended it")]
    Cancelled,
    /// The operating system's random generator failed: no id could be made.
    #[error("no session id could be made (the OS random generator failed)")]
    NoId,
}

/// The registry. Every entry counts toward the cap until it is closed or
/// reaped; entries whose interpreter has ended give their slot up first
/// when room is needed.
///
/// ```no_run
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// use std::time::Duration;
/// use goru::{Executor, Python, RunOptions};
/// use goru_server::sessions::Sessions;
///
/// let sessions = Sessions::<()>::new(8, Duration::from_secs(600), None);
/// let executor = Executor::builder().build()?;
/// let slot = sessions.reserve()?; // counts toward the cap while starting
/// let id = slot.fill(executor.session(&Python, RunOptions::new()).await?, ())?;
///
/// let checkout = sessions.checkout(&id, || false)?; // busy until dropped
/// let result = checkout.session.run("x = 6 * 7\nprint(x)").await?;
/// assert_eq!(result.stdout_lossy(), "42\n");
/// drop(checkout);
/// assert!(sessions.close(&id));
/// # Ok(()) }
/// ```
pub struct Sessions<T> {
    registry: Mutex<Registry<T>>,
    max: usize,
    ttl: Duration,
    /// `NODE.` before every id, for a fleet's router (`--node-id NODE`).
    id_prefix: String,
}

struct Registry<T> {
    open: HashMap<String, Entry<T>>,
    /// Slots taken by sessions still starting.
    starting: usize,
}

struct Entry<T> {
    session: Session,
    about: T,
    last_used: Instant,
    /// Whether the call running in the session was cancelled, while one is.
    running: Option<Cancelled>,
}

/// Asks whether the call a checkout serves was cancelled.
type Cancelled = Box<dyn Fn() -> bool + Send + Sync>;

/// A slot for a session being started; given back if never filled.
pub struct Slot<T> {
    sessions: Arc<Sessions<T>>,
    filled: bool,
}

/// A session checked out for one run: other checkouts get
/// [`SessionError::Busy`] until it is dropped, which also counts as use for
/// the TTL.
pub struct Checkout<T> {
    sessions: Arc<Sessions<T>>,
    id: String,
    /// The session to run in.
    pub session: Session,
    /// What the front end keeps about the session.
    pub about: T,
}

impl<T> Sessions<T> {
    /// A registry of at most `max` sessions, each closed after `ttl` unused,
    /// whose ids start with `node.` when a node name is given.
    pub fn new(max: usize, ttl: Duration, node: Option<&str>) -> Arc<Self> {
        Arc::new(Self {
            registry: Mutex::new(Registry {
                open: HashMap::new(),
                starting: 0,
            }),
            max,
            ttl,
            id_prefix: node.map_or_else(String::new, |node| format!("{node}.")),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Registry<T>> {
        // Nothing panics while holding the lock; recover all the same.
        self.registry.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Takes a slot for a session about to start, or
    /// [`SessionError::TooMany`].
    pub fn reserve(self: &Arc<Self>) -> Result<Slot<T>, SessionError> {
        let mut registry = self.lock();
        if registry.open.len() + registry.starting >= self.max {
            registry
                .open
                .retain(|_, entry| entry.running.is_some() || entry.session.is_open());
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

    /// Checks session `id` out for one run of a call; `cancelled` says
    /// whether that call was cancelled. A session whose running call was
    /// cancelled has ended (its run is being stopped): it is closed and
    /// forgotten, even if the stopped run has not yet given it back.
    pub fn checkout(
        self: &Arc<Self>,
        id: &str,
        cancelled: impl Fn() -> bool + Send + Sync + 'static,
    ) -> Result<Checkout<T>, SessionError>
    where
        T: Clone,
    {
        let mut registry = self.lock();
        let entry = registry.open.get_mut(id).ok_or(SessionError::Unknown)?;
        match &entry.running {
            Some(running) if running() => {
                if let Some(entry) = registry.open.remove(id) {
                    entry.session.close();
                }
                return Err(SessionError::Cancelled);
            }
            Some(_) => return Err(SessionError::Busy),
            None => {}
        }
        entry.running = Some(Box::new(cancelled));
        entry.last_used = Instant::now();
        Ok(Checkout {
            sessions: self.clone(),
            id: id.to_owned(),
            session: entry.session.clone(),
            about: entry.about.clone(),
        })
    }

    /// Closes and forgets session `id` (a run in it is cancelled); false if
    /// there was none.
    pub fn close(&self, id: &str) -> bool {
        let removed = self.lock().open.remove(id);
        removed.map(|entry| entry.session.close()).is_some()
    }

    /// Closes and forgets the sessions unused for longer than the TTL;
    /// their ids.
    pub fn reap(&self, now: Instant) -> Vec<String> {
        let mut reaped = Vec::new();
        self.lock().open.retain(|id, entry| {
            let idle = entry.running.is_none() && now.saturating_duration_since(entry.last_used) > self.ttl;
            if idle {
                entry.session.close();
                reaped.push(id.clone());
            }
            !idle
        });
        reaped
    }

    /// Closes and forgets every session (running ones are cancelled); how
    /// many there were.
    pub fn close_all(&self) -> usize {
        let entries: Vec<Entry<T>> = self.lock().open.drain().map(|(_, entry)| entry).collect();
        entries.iter().for_each(|entry| entry.session.close());
        entries.len()
    }

    /// Sessions open.
    pub fn len(&self) -> usize {
        self.lock().open.len()
    }

    /// Whether no session is open.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How often the reaper looks: a session outlives its TTL by at most a
    /// quarter of it (and at most 30 s).
    fn reap_period(&self) -> Duration {
        (self.ttl / 4).clamp(Duration::from_millis(50), Duration::from_secs(30))
    }
}

impl<T> std::fmt::Debug for Sessions<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let registry = self.lock();
        f.debug_struct("Sessions")
            .field("open", &registry.open.len())
            .field("starting", &registry.starting)
            .field("max", &self.max)
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

impl<T> Slot<T> {
    /// Registers `session` in the slot, with what the front end keeps about
    /// it; its new id. Without one ([`SessionError::NoId`]) the session is
    /// closed.
    pub fn fill(mut self, session: Session, about: T) -> Result<String, SessionError> {
        let Some(random) = random_hex(16) else {
            session.close();
            return Err(SessionError::NoId);
        };
        let id = format!("{}{random}", self.sessions.id_prefix);
        let mut registry = self.sessions.lock();
        registry.starting -= 1;
        self.filled = true;
        registry.open.insert(
            id.clone(),
            Entry {
                session,
                about,
                last_used: Instant::now(),
                running: None,
            },
        );
        Ok(id)
    }
}

impl<T> std::fmt::Debug for Slot<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Slot")
            .field("filled", &self.filled)
            .finish_non_exhaustive()
    }
}

impl<T> Drop for Slot<T> {
    fn drop(&mut self) {
        if !self.filled {
            self.sessions.lock().starting -= 1;
        }
    }
}

impl<T: std::fmt::Debug> std::fmt::Debug for Checkout<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Checkout")
            .field("id", &short(&self.id))
            .field("session", &self.session)
            .field("about", &self.about)
            .finish_non_exhaustive()
    }
}

impl<T> Drop for Checkout<T> {
    fn drop(&mut self) {
        // Gone if the session was closed or reaped meanwhile.
        if let Some(entry) = self.sessions.lock().open.get_mut(&self.id) {
            entry.running = None;
            entry.last_used = Instant::now();
        }
    }
}

/// Closes idle sessions every quarter TTL (at most every 30 s) until the
/// registry is dropped with its server. Run it on the server's runtime.
pub async fn reap_forever<T>(sessions: Weak<Sessions<T>>) {
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
        for id in sessions.reap(Instant::now()) {
            tracing::info!(session = %short(&id), "session closed after idling past the TTL");
        }
    }
}
