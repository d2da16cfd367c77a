//! Per-run resource limits and their defaults.
//!
//! Each limit is declared once, in the `limits!` invocation below: its name,
//! type, default and documentation. From that one line the macro makes the
//! [`Limits`] field, its default and its setter, the field of a run's partial
//! overrides ([`LimitOverrides`]) with their merge over the executor's
//! defaults, and the [`RunOptions`](crate::RunOptions) setter, so the four
//! can never disagree.

use std::time::Duration;

/// Declares the limits: `/// doc  name: Type = default,` with an optional
/// `=> normalise` (a function applied to every value set).
macro_rules! limits {
    ($(
        $(#[doc = $doc:literal])+
        $name:ident: $ty:ty = $default:expr $(=> $normalise:expr)?,
    )+) => {
        /// Bounds on one run. Every field has a default, listed on it.
        ///
        /// ```
        /// use goru_core::Limits;
        /// use std::time::Duration;
        ///
        /// let limits = Limits::default()
        ///     .timeout(Duration::from_secs(2))
        ///     .memory_bytes(64 << 20);
        /// assert_eq!(limits.output_bytes, 1 << 20);
        /// ```
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        #[non_exhaustive]
        pub struct Limits {
            $(
                $(#[doc = $doc])+
                pub $name: $ty,
            )+
        }

        impl Default for Limits {
            fn default() -> Self {
                Self { $($name: $default,)+ }
            }
        }

        impl Limits {
            $(
                #[doc = concat!("Sets [`Limits::", stringify!($name), "`].")]
                pub fn $name(mut self, value: $ty) -> Self {
                    self.$name = normalise!(value $(, $normalise)?);
                    self
                }
            )+
        }

        /// The limits one run sets for itself; the others are the
        /// executor's defaults.
        #[derive(Debug, Clone, Copy, Default)]
        pub(crate) struct LimitOverrides {
            $($name: Option<$ty>,)+
        }

        impl LimitOverrides {
            /// These limits laid over `defaults`.
            pub(crate) fn over(&self, defaults: Limits) -> Limits {
                Limits { $($name: self.$name.unwrap_or(defaults.$name),)+ }
            }
        }

        impl crate::RunOptions {
            $(
                #[doc = concat!(
                    "Sets [`Limits::", stringify!($name), "`] for this run ",
                    "(unset, it is the executor's default)."
                )]
                pub fn $name(mut self, value: $ty) -> Self {
                    self.limits.$name = Some(normalise!(value $(, $normalise)?));
                    self
                }
            )+
        }
    };
}

/// `value`, passed through the limit's normalising function if it has one.
macro_rules! normalise {
    ($value:expr) => {
        $value
    };
    ($value:expr, $normalise:expr) => {
        ($normalise)($value)
    };
}

limits! {
    /// Wall-clock time a run may take. Default: 30 s.
    timeout: Duration = Duration::from_secs(30),
    /// Linear memory the guest may grow to, in bytes (rounded down to 64 KiB
    /// wasm pages). Default: 256 MiB.
    memory_bytes: u64 = 256 << 20,
    /// Bytes kept of each of stdout and stderr; the rest is dropped and the
    /// result flagged truncated. Default: 1 MiB.
    output_bytes: usize = 1 << 20,
    /// Bytes the guest may read from stdin; a read past them fails (Python:
    /// `OSError`), so a run never takes an endless input for a whole one.
    /// A session's runs share it. Default: 1 GiB.
    input_bytes: u64 = 1 << 30,
    /// Bytes the guest may store in its in-memory scratch filesystem (`/tmp`):
    /// the sum of its files' sizes, sparse or not. A write or truncate past it
    /// fails with `ENOSPC`. Default: 16 MiB.
    scratch_fs_bytes: usize = 16 << 20,
    /// Files and directories the guest may create in its scratch filesystem;
    /// one more fails with `ENOSPC`. Default: 10 000.
    scratch_fs_entries: usize = 10_000,
    /// Descriptors the guest may have open at once, besides stdio and the
    /// filesystem root; one more `open` fails with `EMFILE`. Default: 1024.
    open_files: usize = 1024,
    /// Host calls a run may make (each call of a batch counts). Default: 10 000.
    host_calls: usize = 10_000,
    /// Largest frame on the host-call channel, in bytes, either way: a
    /// request over it is refused unread, and the results of one batch may
    /// fill a reply up to it (a call whose result would not fit gets a
    /// `limit` error instead). A request's arguments may also take at most
    /// twice this in host memory once parsed. Default: 16 MiB (room for a
    /// 10 MiB file through `fs`).
    host_frame_bytes: usize = 16 << 20,
    /// Host calls of a run running at once; the other calls of a batch wait,
    /// unstarted, and never start if the run stops first. At least 1 (a
    /// smaller value is taken as 1). Default: 16.
    host_calls_in_flight: usize = 16 => |calls: usize| calls.max(1),
}

impl Limits {
    /// The memory limit in 64 KiB wasm pages (at least one).
    pub(crate) fn memory_pages(&self) -> u32 {
        u32::try_from(self.memory_bytes >> 16).unwrap_or(u32::MAX).max(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::RunOptions;

    #[test]
    fn a_run_overrides_only_the_limits_it_sets() {
        let defaults = Limits::default().output_bytes(7).host_calls(3);
        let options = RunOptions::new()
            .timeout(Duration::from_secs(1))
            .host_calls(5)
            .host_calls_in_flight(0);
        let limits = options.limits.over(defaults);
        assert_eq!(limits.timeout, Duration::from_secs(1));
        assert_eq!(limits.host_calls, 5);
        assert_eq!(limits.output_bytes, 7, "unset: the executor's default");
        assert_eq!(limits.memory_bytes, Limits::default().memory_bytes);
        assert_eq!(limits.host_calls_in_flight, 1, "normalised on the run too");
        assert_eq!(Limits::default().host_calls_in_flight(0).host_calls_in_flight, 1);
    }
}
