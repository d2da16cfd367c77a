//! Virtual paths: lexical parsing and normalisation of guest paths and mount points.
//!
//! Everything here is purely lexical; the host filesystem is never consulted. Symlinks are
//! left to cap-std, which resolves them without leaving the mount's directory.

use super::error::FsError;

/// A guest path split into normalised components (no empty, `.` or `..` component).
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct GuestPath<'a> {
    pub(crate) components: Vec<&'a str>,
    /// The fewest components the path was left with by any `..`; `usize::MAX` without `..`.
    /// A path whose `..` went above its mount's root is refused even if it comes back down:
    /// `/data/../data/x` would otherwise be a way to probe paths the guest never named.
    pub(crate) lowest_after_parent: usize,
}

impl GuestPath<'_> {
    /// Whether the path never climbed above the first `depth` components.
    pub(crate) fn stays_within(&self, depth: usize) -> bool {
        self.lowest_after_parent >= depth
    }
}

/// Parses an absolute guest path, refusing anything malformed or longer than `max_len` chars.
pub(crate) fn parse_guest_path(path: &str, max_len: usize) -> Result<GuestPath<'_>, FsError> {
    if path.chars().nth(max_len).is_some() {
        return Err(FsError::PathTooLong {
            len: path.chars().count(),
            limit: max_len,
        });
    }
    let invalid = |reason| FsError::InvalidPath {
        path: path.to_owned(),
        reason,
    };
    if !path.starts_with('/') {
        return Err(invalid("the path must be absolute"));
    }
    if path.contains('\0') {
        return Err(invalid("the path contains a NUL byte"));
    }
    if let Some(reason) = platform_refusal(path) {
        return Err(invalid(reason));
    }
    let mut components = Vec::new();
    let mut lowest_after_parent = usize::MAX;
    for component in path.split('/') {
        match component {
            "" | "." => {}
            ".." => {
                if components.pop().is_none() {
                    return Err(invalid("`..` climbs above the root"));
                }
                lowest_after_parent = lowest_after_parent.min(components.len());
            }
            name => components.push(name),
        }
    }
    Ok(GuestPath {
        components,
        lowest_after_parent,
    })
}

/// Validates a mount's virtual path and returns its components.
///
/// Mount points must already be normalised, so that what the embedder wrote is exactly what
/// the guest sees: absolute, not `/`, without empty, `.` or `..` components.
pub(crate) fn mount_point_components(virtual_path: &str) -> Result<Vec<String>, FsError> {
    let invalid = |reason: &str| FsError::InvalidMount {
        spec: virtual_path.to_owned(),
        reason: format!("the virtual path {reason}"),
    };
    let Some(rest) = virtual_path.strip_prefix('/') else {
        return Err(invalid("must be absolute"));
    };
    if rest.is_empty() {
        return Err(invalid("must not be `/`"));
    }
    if virtual_path.contains('\0') {
        return Err(invalid("contains a NUL byte"));
    }
    if let Some(reason) = platform_refusal(virtual_path) {
        return Err(invalid(reason));
    }
    rest.split('/')
        .map(|component| match component {
            "" => Err(invalid("has an empty component or a trailing `/`")),
            "." | ".." => Err(invalid("is not normalised (`.` or `..`)")),
            name => Ok(name.to_owned()),
        })
        .collect()
}

/// On Unix, `\` and `:` are ordinary file-name characters and cap-std treats them so.
#[cfg(unix)]
fn platform_refusal(_path: &str) -> Option<&'static str> {
    None
}

/// Elsewhere `\` separates components and `:` introduces prefixes; a guest name must not be able
/// to smuggle either into the host path.
#[cfg(not(unix))]
fn platform_refusal(path: &str) -> Option<&'static str> {
    if path.contains(['\\', ':']) {
        Some("`\\` and `:` are not allowed on this host")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn components(path: &str) -> Vec<&str> {
        parse_guest_path(path, 4096)
            .map(|p| p.components)
            .unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    #[test]
    fn normalises_dots_and_slashes() {
        assert_eq!(components("/data//a/./b/"), ["data", "a", "b"]);
        assert_eq!(components("/data/a/../b"), ["data", "b"]);
        assert!(components("/").is_empty());
    }

    #[test]
    fn records_how_high_dot_dot_climbed() {
        let path = parse_guest_path("/data/a/../b", 4096).unwrap();
        assert!(path.stays_within(1));
        assert!(!path.stays_within(2));
        let path = parse_guest_path("/data/../data/x", 4096).unwrap();
        assert!(!path.stays_within(1));
        assert!(
            parse_guest_path("/data/x", 4096)
                .unwrap()
                .stays_within(usize::MAX)
        );
    }

    #[test]
    fn refuses_malformed_paths() {
        for path in ["", "data", "./data", "/..", "/data/../..", "/a\0b"] {
            let err = parse_guest_path(path, 4096).unwrap_err();
            assert_eq!(err.kind(), "invalid_path", "{path:?}");
        }
    }

    #[test]
    fn limits_length_in_characters() {
        assert!(parse_guest_path("/ééé", 4).is_ok());
        let err = parse_guest_path("/éééé", 4).unwrap_err();
        assert!(matches!(err, FsError::PathTooLong { len: 5, limit: 4 }));
    }

    #[cfg(unix)]
    #[test]
    fn backslash_is_an_ordinary_character() {
        assert_eq!(components("/data/..\\..\\etc"), ["data", "..\\..\\etc"]);
    }

    #[test]
    fn validates_mount_points() {
        assert_eq!(mount_point_components("/a/b").unwrap(), ["a", "b"]);
        for bad in ["", "/", "a", "/a/", "//a", "/a//b", "/a/./b", "/a/..", "/a\0"] {
            assert!(mount_point_components(bad).is_err(), "{bad:?}");
        }
    }
}
