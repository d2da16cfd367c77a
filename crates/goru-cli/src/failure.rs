//! How goru ends without the guest's own status: the exit statuses it uses
//! itself, and the failures that carry them.

use goru_server::units::error_message;

/// The process exit statuses goru itself uses (see `goru --help`).
pub mod exit {
    use goru::ErrorKind;

    /// An uncaught guest exception, or a failure in goru itself.
    pub const FAILURE: u8 = 1;
    /// The guest raised an uncaught exception.
    pub const EXCEPTION: u8 = 1;
    /// The command line was not usable (clap uses the same status).
    pub const USAGE: u8 = 2;
    /// The run hit its wall-clock limit (as coreutils `timeout`).
    pub const TIMEOUT: u8 = 124;
    /// The run hit its memory limit.
    pub const MEMORY: u8 = 125;
    /// The guest trapped.
    pub const TRAP: u8 = 126;
    /// The run was stopped by Ctrl-C (SIGINT), as a shell reports it.
    pub const INTERRUPTED: u8 = 130;
    /// The run was stopped by SIGTERM, as a shell reports it.
    pub const TERMINATED: u8 = 143;

    /// The status of a run that failed with an error of this kind.
    pub fn of(kind: ErrorKind) -> u8 {
        match kind {
            ErrorKind::Timeout => TIMEOUT,
            ErrorKind::MemoryLimit => MEMORY,
            ErrorKind::Trap => TRAP,
            _ => FAILURE,
        }
    }
}

/// Why goru exits without the guest's own status. Each is reported as one
/// `goru: ...` line on stderr.
#[derive(Debug)]
pub enum Failure {
    /// A bad command line (status 2).
    Usage(String),
    /// The run was stopped or could not start, with this status.
    Status(u8, String),
    /// Anything else (status 1).
    Other(anyhow::Error),
}

/// How a run the host stopped, or that never started, is reported.
pub fn stopped(error: goru::Error) -> Failure {
    Failure::Status(exit::of(error.kind()), error_message(&error))
}

#[cfg(test)]
mod tests {
    use goru::ErrorKind;

    use super::*;

    #[test]
    fn statuses_follow_the_error_kind() {
        assert_eq!(exit::of(ErrorKind::Timeout), 124);
        assert_eq!(exit::of(ErrorKind::MemoryLimit), 125);
        assert_eq!(exit::of(ErrorKind::Trap), 126);
        assert_eq!(exit::of(ErrorKind::Cancelled), 1);
        assert_eq!(exit::of(ErrorKind::Setup), 1);
        let Failure::Status(status, message) = stopped(goru::Error::MemoryLimit {
            limit_bytes: 64 << 20,
            output: Box::default(),
        }) else {
            panic!("a status")
        };
        assert_eq!(
            (status, message.as_str()),
            (125, "memory limit of 64 MiB exceeded")
        );
    }
}
