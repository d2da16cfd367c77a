//! Soft interrupts: asking a session's interpreter to raise an exception
//! (Python's `KeyboardInterrupt`, a `TimeoutError` at the deadline;
//! JavaScript's `InternalError: interrupted` for both) so the
//! running code unwinds and the interpreter, with its state, lives on.
//!
//! The host does what a signal would: it sets a few words in the guest's
//! linear memory (the interpreter's pending-signal state, at addresses the
//! language knows for its exact binary). This is a request, never a bound:
//! the guest owns that memory and may ignore or clear it, and the hard stop
//! (a host-owned global checked at every loop) stays the guarantee.

/// Why the host interrupts the guest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InterruptKind {
    /// The user asked to interrupt the running code (Ctrl-C in a REPL,
    /// [`crate::Session::interrupt`]); Python raises `KeyboardInterrupt`,
    /// JavaScript `InternalError: interrupted`.
    Interrupt,
    /// A session run reached its time limit; Python raises `TimeoutError`,
    /// JavaScript `InternalError: interrupted`.
    Timeout,
}

/// Aligned 32-bit stores into the guest's linear memory, done in order, that
/// make the interpreter raise an exception at its next safe point (see
/// [`crate::Language::soft_interrupt`]).
///
/// ```
/// use goru_core::SoftInterrupt;
///
/// let interrupt = SoftInterrupt::new().store(0x1000, 1).store(0x2000, 1);
/// assert_eq!(interrupt.stores(), [(0x1000, 1), (0x2000, 1)]);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SoftInterrupt {
    stores: Vec<(u32, u32)>,
}

impl SoftInterrupt {
    /// No stores yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a store of `value` at the 4-aligned guest `address`. A store
    /// that is not aligned or lies outside the memory is not done, and the
    /// interrupt counts as not delivered.
    pub fn store(mut self, address: u32, value: u32) -> Self {
        self.stores.push((address, value));
        self
    }

    /// The stores, `(address, value)`, in order.
    pub fn stores(&self) -> &[(u32, u32)] {
        &self.stores
    }
}
