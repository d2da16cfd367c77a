//! Tests of `check`: verifying what is on disk without fetching.

mod common;

use common::{BYTES, fake_pin};
use goru_interpreters::{FetchError, check};

#[test]
fn accepts_the_pinned_bytes() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let pin = fake_pin(None, None);
    std::fs::write(pin.path_in(dir.path()), BYTES)?;
    assert_eq!(check(&pin, dir.path())?, pin.path_in(dir.path()));
    Ok(())
}

#[test]
fn missing_file() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let err = check(&fake_pin(None, None), dir.path()).expect_err("missing");
    assert!(matches!(err, FetchError::Missing { .. }), "{err}");
    assert!(err.to_string().contains("fake-1.0.wasm is missing"), "{err}");
    Ok(())
}

#[test]
fn wrong_size() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let pin = fake_pin(None, None);
    std::fs::write(pin.path_in(dir.path()), b"short")?;
    let err = check(&pin, dir.path()).expect_err("wrong size");
    let expected = format!("expected {} bytes, got 5", BYTES.len());
    assert!(err.to_string().contains(&expected), "{err}");
    Ok(())
}

#[test]
fn hash_mismatch_names_both_digests() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let pin = fake_pin(None, None);
    let mut wrong = BYTES.to_vec();
    wrong[0] ^= 1;
    std::fs::write(pin.path_in(dir.path()), &wrong)?;
    let err = check(&pin, dir.path()).expect_err("wrong bytes");
    let actual = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&wrong));
    match &err {
        FetchError::HashMismatch {
            expected, actual: a, ..
        } => {
            assert_eq!(expected, &pin.sha256);
            assert_eq!(a, &actual);
        }
        other => panic!("expected a hash mismatch, got {other}"),
    }
    let msg = err.to_string();
    assert!(msg.contains(&pin.sha256) && msg.contains(&actual), "{msg}");
    Ok(())
}
