//! Property tests of guest path resolution, purely lexical: whatever path the guest names, it is
//! refused or resolved into exactly one mount, the one with the longest prefix on whole
//! components, without having climbed out of it on the way.

use std::collections::BTreeSet;
use std::path::{Component, Path};

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;

use super::config::FsConfig;
use super::filesystem::Filesystem;
use super::mount::{Mount, MountMode};
use super::path::mount_point_components;

/// Names that are prefixes of one another as strings but not as components, and non-ASCII ones.
const NAMES: &[&str] = &["data", "dat", "data2", "database", "a", "b", "é", "ü"];

/// Pieces of hostile paths: the names above, dots, odd characters, NUL.
const PIECES: &[&str] = &[
    "", ".", "..", "...", "data", "dat", "data2", "database", "a", "b", "é", "ü", "a\0", "\0", "\\",
    "..\\..", ":", " ", "\u{202e}", "%2e%2e",
];

/// One to four distinct mount points built from [`NAMES`].
fn mount_points() -> impl Strategy<Value = Vec<Vec<&'static str>>> {
    vec(vec(select(NAMES), 1..4), 1..5).prop_map(|points| {
        let distinct: BTreeSet<_> = points.into_iter().collect();
        distinct.into_iter().collect()
    })
}

fn guest_path() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        6 => select(NAMES).prop_map(str::to_owned),
        3 => Just("..".to_owned()),
        3 => select(PIECES).prop_map(str::to_owned),
        1 => (1usize..80).prop_map(|n| "x".repeat(n)),
        1 => (1usize..40).prop_map(|n| "é".repeat(n)),
    ];
    prop_oneof![
        4 => (prop::bool::weighted(0.9), vec(piece, 0..10))
            .prop_map(|(absolute, pieces)| format!("{}{}", if absolute { "/" } else { "" }, pieces.join("/"))),
        1 => any::<String>(),
    ]
}

/// What the resolution must be: the index of the serving mount and the components below it.
///
/// Walks the path component by component; once the walk has gone up (`..`) it must stay under
/// the serving mount, so a path may not leave its mount even if it comes back.
fn model(path: &str, mounts: &[Vec<&str>], max_chars: usize) -> Option<(usize, Vec<String>)> {
    if path.chars().count() > max_chars || !path.starts_with('/') || path.contains('\0') {
        return None;
    }
    let mut walk: Vec<&str> = Vec::new();
    let mut after_going_up = Vec::new();
    for component in path.split('/') {
        match component {
            "" | "." => {}
            ".." => {
                walk.pop()?;
                after_going_up.push(walk.clone());
            }
            name => walk.push(name),
        }
    }
    let (index, mount) = mounts
        .iter()
        .enumerate()
        .filter(|(_, mount)| walk.starts_with(mount))
        .max_by_key(|(_, mount)| mount.len())?;
    if after_going_up.iter().any(|state| !state.starts_with(mount)) {
        return None;
    }
    Some((
        index,
        walk[mount.len()..].iter().map(|c| (*c).to_owned()).collect(),
    ))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn a_path_resolves_as_the_model_says_into_one_mount(
        points in mount_points(),
        path in guest_path(),
        max_chars in prop_oneof![Just(4096usize), 1usize..120],
    ) {
        // Resolution never touches the host directory; any existing one will do.
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
        let virtual_paths: Vec<String> = points.iter().map(|p| format!("/{}", p.join("/"))).collect();
        let mounts = virtual_paths
            .iter()
            .map(|v| Mount::new(v.as_str(), dir, MountMode::ReadOnly))
            .collect();
        let fs = Filesystem::new(mounts, FsConfig::new().max_path_length(max_chars)).unwrap();

        let expected = model(&path, &points, max_chars);
        match (fs.resolve(&path), expected) {
            (Err(_), None) => {}
            (Ok(resolved), Some((index, below))) => {
                prop_assert_eq!(&resolved.mount.virtual_path, &virtual_paths[index]);
                let name = below.last().map_or(points[index][points[index].len() - 1], String::as_str);
                prop_assert_eq!(resolved.name.as_str(), name);
                if below.is_empty() {
                    prop_assert_eq!(resolved.relative.as_path(), Path::new("."));
                } else {
                    // Only plain names: nothing absolute, no `..`, read back as the model's components.
                    let relative: Vec<String> = resolved
                        .relative
                        .components()
                        .map(|c| match c {
                            Component::Normal(name) => Ok(name.to_string_lossy().into_owned()),
                            other => Err(TestCaseError::fail(format!("{path:?} resolved to {other:?}"))),
                        })
                        .collect::<Result<_, _>>()?;
                    prop_assert_eq!(relative, below);
                }
            }
            (got, expected) => {
                return Err(TestCaseError::fail(format!(
                    "{path:?} under {virtual_paths:?}: resolve gave {:?}, the model {expected:?}",
                    got.map(|r| (r.mount.virtual_path.clone(), r.relative)),
                )));
            }
        }
    }

    /// What the embedder writes as a mount point is exactly what the guest sees, or refused.
    #[test]
    fn a_mount_point_is_accepted_only_in_normal_form(text in prop_oneof![guest_path(), any::<String>()]) {
        if let Ok(components) = mount_point_components(&text) {
            prop_assert_eq!(format!("/{}", components.join("/")), text);
            for component in &components {
                prop_assert!(!matches!(component.as_str(), "" | "." | ".."));
                prop_assert!(!component.contains(['/', '\0']));
            }
        }
    }

    #[test]
    fn parsing_a_mount_spec_never_panics(spec in "[/a-z.:\\\\\0é]{0,24}|\\PC{0,24}") {
        if let Ok(mount) = Mount::parse(&spec) {
            prop_assert!(mount_point_components(mount.virtual_path()).is_ok());
        }
    }
}
