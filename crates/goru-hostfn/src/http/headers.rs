//! Checks on the request headers a guest sets.

use super::error::{HttpError, clip};

// Headers that frame or route the request. Letting the guest set them would
// let it smuggle a second request, talk to a different virtual host than the
// one that was checked, or steer a proxy.
const FORBIDDEN: &[&str] = &[
    "host",
    "content-length",
    "transfer-encoding",
    "connection",
    "keep-alive",
    "upgrade",
    "te",
    "trailer",
    "expect",
];

/// Checks the guest's headers and returns them ready to send: one entry per
/// name (ignoring case), repeated names joined into one value.
///
/// ureq's own `set` replaces an earlier header of the same name, so repeated
/// names are joined here to keep every value the guest gave.
pub(crate) fn prepare(headers: &[(String, String)]) -> Result<Vec<(String, String)>, HttpError> {
    let mut out: Vec<(String, String)> = Vec::with_capacity(headers.len());
    for (name, value) in headers {
        check(name, value)?;
        match out.iter_mut().find(|(n, _)| n.eq_ignore_ascii_case(name)) {
            Some((_, joined)) => {
                joined.push_str(if name.eq_ignore_ascii_case("cookie") {
                    "; "
                } else {
                    ", "
                });
                joined.push_str(value.trim());
            }
            None => out.push((name.clone(), value.trim().to_string())),
        }
    }
    Ok(out)
}

fn check(name: &str, value: &str) -> Result<(), HttpError> {
    let invalid = |reason| HttpError::InvalidHeader {
        name: clip(name, 64),
        reason,
    };
    if name.contains(['\r', '\n']) {
        return Err(invalid("name contains CR or LF"));
    }
    if name.is_empty() || !name.bytes().all(is_tchar) {
        return Err(invalid("name is not an HTTP token"));
    }
    let lower = name.to_ascii_lowercase();
    if FORBIDDEN.contains(&lower.as_str()) || lower.starts_with("proxy-") {
        return Err(HttpError::ForbiddenHeader { name: clip(name, 64) });
    }
    if value.contains(['\r', '\n']) {
        return Err(invalid("value contains CR or LF"));
    }
    // The same rule ureq applies before sending; checking first gives the
    // guest a precise error instead of a transport failure.
    if !value
        .bytes()
        .all(|b| b == b' ' || b == b'\t' || (0x21..=0x7e).contains(&b))
    {
        return Err(invalid(
            "value has characters other than visible ASCII, space and tab",
        ));
    }
    Ok(())
}

// RFC 9110, section 5.6.2.
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(name: &str, value: &str) -> Result<Vec<(String, String)>, HttpError> {
        prepare(&[(name.to_string(), value.to_string())])
    }

    #[test]
    fn ordinary_headers_pass() {
        assert_eq!(
            one("X-Api-Key", " k ").unwrap(),
            [("X-Api-Key".to_string(), "k".to_string())]
        );
        assert!(one("Authorization", "Bearer abc").is_ok());
        assert!(one("Accept", "*/*").is_ok());
    }

    #[test]
    fn framing_and_routing_headers_are_forbidden() {
        for name in [
            "Host",
            "host",
            "Transfer-Encoding",
            "Content-Length",
            "Connection",
            "Proxy-Authorization",
            "proxy-connection",
            "Upgrade",
            "TE",
            "Expect",
        ] {
            let err = one(name, "x").unwrap_err();
            assert!(
                matches!(err, HttpError::ForbiddenHeader { .. }),
                "{name}: {err:?}"
            );
            assert_eq!(err.kind(), "invalid_header");
        }
    }

    #[test]
    fn cr_lf_and_bad_characters_are_refused() {
        for (name, value) in [
            ("X-A", "a\r\nHost: evil"),
            ("X-A", "a\nb"),
            ("X-A", "a\rb"),
            ("X-A\r\nHost", "evil"),
            ("X A", "v"),
            ("", "v"),
            ("X-A:", "v"),
            ("X-A", "caf\u{e9}"),
            ("X-A", "nul\0"),
        ] {
            let err = one(name, value).unwrap_err();
            assert!(
                matches!(err, HttpError::InvalidHeader { .. }),
                "{name:?}: {err:?}"
            );
        }
    }

    #[test]
    fn repeated_names_are_joined() {
        let h = prepare(&[
            ("Accept".into(), "text/html".into()),
            ("Cookie".into(), "a=1".into()),
            ("accept".into(), "text/plain".into()),
            ("cookie".into(), "b=2".into()),
        ])
        .unwrap();
        assert_eq!(
            h,
            [
                ("Accept".to_string(), "text/html, text/plain".to_string()),
                ("Cookie".to_string(), "a=1; b=2".to_string())
            ]
        );
    }
}
