//! Tests of pin-file parsing and validation (the lang crates' real pins: xtask's tests).

use goru_interpreters::{FetchError, PinFile};

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
