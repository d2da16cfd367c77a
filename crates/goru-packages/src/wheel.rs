//! Wheel file names: taken from a download URL, and whether their tags say
//! pure Python (`*-none-any.whl`), the only kind the WASI CPython can import.

use std::path::Path;

/// The file name at the end of a download URL: the last path segment,
/// without query or fragment, percent-decoded.
pub(crate) fn file_name_from_url(url: &str) -> String {
    let url = url.split(['#', '?']).next().unwrap_or(url);
    let segment = url.rsplit('/').next().unwrap_or(url);
    percent_encoding::percent_decode_str(segment)
        .decode_utf8_lossy()
        .into_owned()
}

/// Whether `file` is a wheel whose every ABI tag is `none` and every platform
/// tag `any` (`six-1.17.0-py2.py3-none-any.whl`): pure Python, for any
/// interpreter and platform. Compressed tag sets (`none.abi3`) must hold only
/// `none` / `any` to count.
pub(crate) fn is_pure_wheel(file: &str) -> bool {
    let Some(stem) = file.strip_suffix(".whl") else {
        return false;
    };
    // name-version(-build)?-python-abi-platform
    let parts: Vec<&str> = stem.split('-').collect();
    if parts.len() < 5 {
        return false;
    }
    let [abi, platform] = [parts[parts.len() - 2], parts[parts.len() - 1]];
    abi.split('.').all(|t| t == "none") && platform.split('.').all(|t| t == "any")
}

/// Whether `path` is a compiled extension module or native library, which
/// the WASI CPython cannot load.
pub(crate) fn is_native_library(path: &Path) -> bool {
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return false;
    };
    let name = name.to_ascii_lowercase();
    [".so", ".pyd", ".dylib"].iter().any(|ext| name.ends_with(ext)) || name.contains(".so.")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_from_urls() {
        assert_eq!(
            file_name_from_url("https://files.example/packages/b7/ce/six-1.17.0-py2.py3-none-any.whl"),
            "six-1.17.0-py2.py3-none-any.whl"
        );
        assert_eq!(
            file_name_from_url("https://x/a/foo-1.0%2Blocal-py3-none-any.whl#sha256=abc"),
            "foo-1.0+local-py3-none-any.whl"
        );
        assert_eq!(
            file_name_from_url("file:///opt/wheels/x-1-py3-none-any.whl?a=b"),
            "x-1-py3-none-any.whl"
        );
        assert_eq!(file_name_from_url("bare%2"), "bare%2");
    }

    #[test]
    fn wheel_tags() {
        for pure in [
            "six-1.17.0-py2.py3-none-any.whl",
            "jinja2-3.1.6-py3-none-any.whl",
            "foo-1.0-1build-py3-none-any.whl",
            "odd-1.0-cp312-none-any.whl",
        ] {
            assert!(is_pure_wheel(pure), "{pure}");
        }
        for native in [
            "markupsafe-3.0.4-cp312-cp312-manylinux2014_x86_64.manylinux_2_17_x86_64.manylinux_2_28_x86_64.whl",
            "pydantic_core-2.0-cp312-cp312-win_amd64.whl",
            "cryptography-42.0-cp39-abi3-macosx_10_12_universal2.whl",
            "foo-1.0-py3-none-win32.whl",
            "foo-1.0-py3-none-any.win32.whl",
            "foo-1.0-py3-none.abi3-any.whl",
            "foo-1.0.tar.gz",
            "foo-1.0-none-any.whl",
            "none-any.whl",
        ] {
            assert!(!is_pure_wheel(native), "{native}");
        }
    }

    #[test]
    fn native_libraries() {
        for native in [
            "pkg/_speedups.cpython-312-x86_64-linux-gnu.so",
            "pkg/_x.pyd",
            "pkg/libfoo.dylib",
            "pkg.libs/libgfortran.so.5",
            "pkg/X.SO",
        ] {
            assert!(is_native_library(Path::new(native)), "{native}");
        }
        for pure in ["pkg/__init__.py", "pkg/data.json", "pkg/something.sol", "pkg/so"] {
            assert!(!is_native_library(Path::new(pure)), "{pure}");
        }
    }
}
