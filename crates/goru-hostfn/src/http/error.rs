//! The ways an HTTP request can fail; every message is safe to show to the guest.

use thiserror::Error;

/// Why an HTTP request, or building the client, failed.
///
/// Messages only repeat what the guest itself sent (its URL, host, header
/// name) or what the allowed server answered (a redirect target); they never
/// describe the host machine beyond saying that something was refused. Use
/// [`kind`](Self::kind) for a short code that stays stable across versions.
///
/// ```
/// use goru_hostfn::http::{HttpClient, HttpConfig, HttpRequest, Method};
///
/// let client = HttpClient::new(HttpConfig::new()).unwrap();
/// let err = client.request(&HttpRequest::new(Method::Get, "http://example.com/")).unwrap_err();
/// assert_eq!(err.kind(), "not_allowed");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum HttpError {
    /// An allow-list entry is not `host` or `host:port`.
    #[error("invalid allow-list entry {entry:?}: {reason}")]
    InvalidAllowEntry {
        /// The entry as given.
        entry: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The URL is longer than [`HttpConfig::max_url_length`](super::HttpConfig::max_url_length).
    #[error("URL is longer than the limit of {limit} characters")]
    UrlTooLong {
        /// The limit, in characters.
        limit: usize,
    },
    /// The URL cannot be parsed, or is written in a form that is refused
    /// because it could be read two ways (backslashes, control characters,
    /// IPv4 addresses not in dotted-decimal form).
    #[error("invalid URL {url:?}: {reason}")]
    InvalidUrl {
        /// The URL (or redirect target) as written.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Only http and https are allowed.
    #[error("scheme {scheme:?} is not allowed, only http and https are")]
    SchemeNotAllowed {
        /// The scheme of the URL.
        scheme: String,
    },
    /// User names and passwords in URLs are not allowed.
    #[error("credentials in the URL are not allowed")]
    CredentialsInUrl,
    /// The host, or the host on that port, is not on the allow-list.
    #[error("host {host} on port {port} is not on the allow-list")]
    HostNotAllowed {
        /// The host of the URL, as the URL parser reads it.
        host: String,
        /// The port of the URL, explicit or the scheme's default.
        port: u16,
    },
    /// The host is allowed, but a name it resolves to is refused (loopback,
    /// private, link-local and other non-public addresses).
    #[error("host {host} resolves to a refused address")]
    AddressRefused {
        /// The host of the URL.
        host: String,
    },
    /// The method is not one of [`Method`](super::Method)'s.
    #[error("unsupported HTTP method {method:?}")]
    InvalidMethod {
        /// The method as given, cut to a few characters.
        method: String,
    },
    /// The request header may not be set by the guest, because it would let
    /// the guest change how the request is framed or routed.
    #[error("request header {name:?} is not allowed")]
    ForbiddenHeader {
        /// The header name as given, cut to a few characters.
        name: String,
    },
    /// The request header's name or value is malformed.
    #[error("invalid request header {name:?}: {reason}")]
    InvalidHeader {
        /// The header name as given, cut to a few characters.
        name: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The request body is larger than [`HttpConfig::max_body_bytes`](super::HttpConfig::max_body_bytes).
    #[error("request body of {size} bytes is larger than the limit of {limit} bytes")]
    BodyTooLarge {
        /// The size of the body.
        size: usize,
        /// The limit, in bytes.
        limit: usize,
    },
    /// The request did not finish within [`HttpConfig::timeout`](super::HttpConfig::timeout).
    #[error("request timed out")]
    Timeout,
    /// The host could not be resolved or reached, or it answered something
    /// that is not HTTP.
    #[error("request to {host} failed: {reason}")]
    Connection {
        /// The host of the URL.
        host: String,
        /// A short, fixed description of the failure.
        reason: &'static str,
    },
    /// A redirect could not be followed: too many of them, or a downgrade
    /// from https to http. A redirect target that breaks the rules for URLs
    /// fails with the same error the guest's own URL would.
    #[error("redirect refused: {reason}")]
    Redirect {
        /// A short, fixed description of the refusal.
        reason: &'static str,
    },
}

impl HttpError {
    /// A short code for the error that stays stable across versions, for the
    /// guest to branch on: `config`, `limit`, `invalid_url`, `not_allowed`,
    /// `invalid_method`, `invalid_header`, `timeout`, `connection` or
    /// `redirect`.
    pub fn kind(&self) -> &'static str {
        match self {
            HttpError::InvalidAllowEntry { .. } => "config",
            HttpError::UrlTooLong { .. } | HttpError::BodyTooLarge { .. } => "limit",
            HttpError::InvalidUrl { .. } => "invalid_url",
            HttpError::SchemeNotAllowed { .. }
            | HttpError::CredentialsInUrl
            | HttpError::HostNotAllowed { .. }
            | HttpError::AddressRefused { .. } => "not_allowed",
            HttpError::InvalidMethod { .. } => "invalid_method",
            HttpError::ForbiddenHeader { .. } | HttpError::InvalidHeader { .. } => "invalid_header",
            HttpError::Timeout => "timeout",
            HttpError::Connection { .. } => "connection",
            HttpError::Redirect { .. } => "redirect",
        }
    }
}

/// Cuts guest-chosen text that is echoed in a message, so that an error
/// cannot be used to make the host hold or log megabytes.
pub(crate) fn clip(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars) {
        Some((end, _)) => format!("{}...", &text[..end]),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_the_documented_codes() {
        let cases = [
            (
                HttpError::InvalidAllowEntry {
                    entry: "x".into(),
                    reason: "r",
                },
                "config",
            ),
            (HttpError::UrlTooLong { limit: 1 }, "limit"),
            (HttpError::BodyTooLarge { size: 2, limit: 1 }, "limit"),
            (
                HttpError::InvalidUrl {
                    url: "u".into(),
                    reason: "r".into(),
                },
                "invalid_url",
            ),
            (
                HttpError::SchemeNotAllowed { scheme: "ftp".into() },
                "not_allowed",
            ),
            (HttpError::CredentialsInUrl, "not_allowed"),
            (
                HttpError::HostNotAllowed {
                    host: "h".into(),
                    port: 80,
                },
                "not_allowed",
            ),
            (HttpError::AddressRefused { host: "h".into() }, "not_allowed"),
            (HttpError::InvalidMethod { method: "m".into() }, "invalid_method"),
            (
                HttpError::ForbiddenHeader { name: "Host".into() },
                "invalid_header",
            ),
            (
                HttpError::InvalidHeader {
                    name: "n".into(),
                    reason: "r",
                },
                "invalid_header",
            ),
            (HttpError::Timeout, "timeout"),
            (
                HttpError::Connection {
                    host: "h".into(),
                    reason: "r",
                },
                "connection",
            ),
            (HttpError::Redirect { reason: "r" }, "redirect"),
        ];
        for (err, kind) in cases {
            assert_eq!(err.kind(), kind, "{err:?}");
        }
    }

    #[test]
    fn messages_name_the_guest_input_only() {
        let err = HttpError::AddressRefused {
            host: "localhost".into(),
        };
        assert_eq!(err.to_string(), "host localhost resolves to a refused address");
    }

    #[test]
    fn clip_cuts_on_a_char_boundary() {
        assert_eq!(clip("abc", 3), "abc");
        assert_eq!(clip("ééé", 2), "éé...");
        assert_eq!(clip("", 0), "");
    }
}
