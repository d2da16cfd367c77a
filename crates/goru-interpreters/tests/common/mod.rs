//! Shared helpers for the tests: fake pins over small byte strings, fetchers without network.

#![allow(dead_code)]

use std::path::Path;

use goru_interpreters::{Fetcher, Pin, PinFile};
use sha2::{Digest, Sha256};

/// The bytes of the fake interpreter.
pub const BYTES: &[u8] = b"\0asm fake interpreter for goru-interpreters tests\n";

/// A pin for [`BYTES`] with the given upstream URL and wheel member (if any).
pub fn fake_pin(url: Option<&str>, wheel_member: Option<&str>) -> Pin {
    let mut toml = format!(
        "[[runtime]]\nname = \"fake\"\nversion = \"1.0\"\nfile = \"fake-1.0.wasm\"\n\
         size = {}\nsha256 = \"{}\"\n",
        BYTES.len(),
        hex::encode(Sha256::digest(BYTES))
    );
    if let Some(url) = url {
        toml += &format!("url = \"{url}\"\n");
    }
    if let Some(member) = wheel_member {
        toml +=
            &format!("[runtime.wheel]\npackage = \"fake-pkg\"\nversion = \"1.0\"\nmember = \"{member}\"\n");
    }
    let pins: PinFile = toml.parse().expect("fake pin parses");
    pins.runtimes.into_iter().next().expect("one pin")
}

/// A fetcher with no local directory and no Python: only the pin's URL can be tried.
pub fn offline_fetcher() -> Fetcher {
    let mut f = Fetcher::default();
    f.local_dir = None;
    f.python = None;
    f
}

/// Names of the files in `dir`, sorted.
pub fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("readable dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}
