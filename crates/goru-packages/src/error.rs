//! Why installing, listing or removing packages failed.

use std::fmt;

use super::RequirementError;
use super::wheel::is_pure_wheel;

/// An error of [`Installer`](super::Installer), [`installed`](super::installed)
/// or [`remove`](super::remove).
///
/// The package-level reasons ([`NotPurePython`](Self::NotPurePython),
/// [`Resolution`](Self::Resolution), [`NotInstalled`](Self::NotInstalled),
/// [`InvalidRequirement`](Self::InvalidRequirement)) name packages only; the
/// others may name host paths and programs.
///
/// ```
/// use goru_packages::InstallError;
///
/// let error = InstallError::NotInstalled { name: "six".into() };
/// assert_eq!(error.to_string(), "six is not installed");
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InstallError {
    /// The Python program could not be started, or it has no usable pip
    /// (missing, or older than 22.2). The message says how to fix it.
    #[error(
        "cannot run pip with {program:?}: {reason}; install pip for that Python \
         (`{program} -m ensurepip --upgrade` or the system's python3-pip package) \
         or point $GORU_PYTHON at a Python 3 with pip 22.2 or newer"
    )]
    PipUnavailable {
        /// The Python program tried.
        program: String,
        /// What went wrong.
        reason: String,
    },
    /// Some of the packages (the ones asked for, or their dependencies) have
    /// no pure-Python wheel: goru runs only `py3-none-any` wheels.
    #[error("{}", NotPure(packages))]
    NotPurePython {
        /// `(name, version, wheel file)` of each such package.
        packages: Vec<(String, String, String)>,
    },
    /// No set of pure-Python wheels satisfies the requirements: no such
    /// package, no matching version, conflicting requirements. The message
    /// holds pip's `ERROR` lines.
    #[error("could not resolve the requirements: {message}")]
    Resolution {
        /// pip's error lines, trimmed.
        message: String,
    },
    /// pip failed for another reason (network, disk, ...).
    #[error("pip failed ({}):\n{output}", exit_status(*status))]
    Pip {
        /// pip's exit status (`None` when it was killed by a signal).
        status: Option<i32>,
        /// The last lines pip wrote.
        output: String,
    },
    /// The package to remove is not installed in the directory.
    #[error("{name} is not installed")]
    NotInstalled {
        /// The name asked for.
        name: String,
    },
    /// A file-system operation failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being done, e.g. "creating /srv/pkgs".
        context: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The requirement was refused before anything ran.
    #[error(transparent)]
    InvalidRequirement(#[from] RequirementError),
}

impl InstallError {
    /// An [`InstallError::Io`] for a failed `context`.
    pub(crate) fn io(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> InstallError {
        let context = context.into();
        move |source| InstallError::Io { context, source }
    }
}

fn exit_status(status: Option<i32>) -> String {
    match status {
        Some(code) => format!("exit status {code}"),
        None => "killed by a signal".to_owned(),
    }
}

/// Formats the packages of [`InstallError::NotPurePython`].
struct NotPure<'a>(&'a [(String, String, String)]);

impl fmt::Display for NotPure<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (name, version, wheel)) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            if is_pure_wheel(wheel) {
                write!(
                    f,
                    "{name} {version} is not pure Python (its wheel {wheel} holds compiled extension modules)"
                )?;
            } else {
                write!(
                    f,
                    "{name} {version} is not pure Python (its wheels are built for particular platforms, e.g. {wheel})"
                )?;
            }
        }
        if self.0.is_empty() {
            f.write_str("a package is not pure Python")?;
        }
        f.write_str("; goru runs only pure-Python wheels (py3-none-any)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn not_pure_messages_name_each_package() {
        let error = InstallError::NotPurePython {
            packages: vec![
                (
                    "MarkupSafe".into(),
                    "3.0.4".into(),
                    "markupsafe-3.0.4-cp312-cp312-manylinux2014_x86_64.whl".into(),
                ),
                ("odd".into(), "1.0".into(), "odd-1.0-py3-none-any.whl".into()),
            ],
        };
        assert_eq!(
            error.to_string(),
            "MarkupSafe 3.0.4 is not pure Python (its wheels are built for particular platforms, \
             e.g. markupsafe-3.0.4-cp312-cp312-manylinux2014_x86_64.whl); odd 1.0 is not pure Python \
             (its wheel odd-1.0-py3-none-any.whl holds compiled extension modules); goru runs only \
             pure-Python wheels (py3-none-any)"
        );
    }

    #[test]
    fn pip_unavailable_says_how_to_fix() {
        let error = InstallError::PipUnavailable {
            program: "python3".into(),
            reason: "No module named pip".into(),
        };
        let message = error.to_string();
        assert!(
            message.contains("ensurepip") && message.contains("GORU_PYTHON"),
            "{message}"
        );
    }
}
