//! What the embedder grants: the allow-list of hosts and the limits every request runs under.

use std::time::Duration;

/// Default for [`HttpConfig::max_url_length`], in characters.
pub const DEFAULT_MAX_URL_LENGTH: usize = 8192;
/// Default for [`HttpConfig::max_body_bytes`]: 1 MiB.
pub const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024;
/// Default for [`HttpConfig::timeout`].
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// Default for [`HttpConfig::max_redirects`].
pub const DEFAULT_MAX_REDIRECTS: u32 = 5;

// ureq turns a deadline that overflows `Instant` into an error; no request
// needs more than a day, so longer timeouts are clamped rather than refused.
const MAX_TIMEOUT: Duration = Duration::from_secs(24 * 60 * 60);

/// The HTTP capability granted to a guest: which hosts it may reach and the
/// limits of each request.
///
/// A new configuration allows no host at all; every host must be granted with
/// [`allow_host`](Self::allow_host). The entries are checked when the
/// configuration is turned into a [`HttpClient`](super::HttpClient).
///
/// ```
/// use std::time::Duration;
/// use goru_hostfn::http::HttpConfig;
///
/// let config = HttpConfig::new()
///     .allow_host("api.example.com")
///     .allow_host("127.0.0.1:8080")
///     .max_body_bytes(64 * 1024)
///     .timeout(Duration::from_secs(5));
/// assert_eq!(config.allowed_hosts(), ["api.example.com", "127.0.0.1:8080"]);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpConfig {
    pub(crate) allowed_hosts: Vec<String>,
    pub(crate) max_url_length: usize,
    pub(crate) max_body_bytes: usize,
    pub(crate) timeout: Duration,
    pub(crate) max_redirects: u32,
}

impl HttpConfig {
    /// A configuration that allows no host, with the default limits: URLs of
    /// at most 8192 characters, bodies of at most 1 MiB, 30 s per request and
    /// at most 5 redirects.
    pub fn new() -> Self {
        HttpConfig {
            allowed_hosts: Vec::new(),
            max_url_length: DEFAULT_MAX_URL_LENGTH,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            timeout: DEFAULT_TIMEOUT,
            max_redirects: DEFAULT_MAX_REDIRECTS,
        }
    }

    /// Allows one more host; call it once per entry.
    ///
    /// An entry is `host` or `host:port`, where host is a domain name, an IPv4
    /// address in dotted-decimal form or an IPv6 address in brackets
    /// (`[::1]`, `[::1]:8080`).
    ///
    /// - A domain also allows its subdomains: `api.example.com` allows
    ///   `x.api.example.com` but not `evilapi.example.com`. Matching ignores
    ///   case and one trailing dot.
    /// - An IP address allows only that address, written as such in the URL.
    /// - Without a port, only the scheme's default port (80 for http, 443 for
    ///   https) is allowed; with a port, exactly that port, whatever the scheme.
    pub fn allow_host(mut self, entry: impl Into<String>) -> Self {
        self.allowed_hosts.push(entry.into());
        self
    }

    /// The allow-list entries, as given to [`allow_host`](Self::allow_host).
    pub fn allowed_hosts(&self) -> &[String] {
        &self.allowed_hosts
    }

    /// The longest URL, in characters, the guest may ask for (default 8192).
    /// Longer URLs are refused before anything else is looked at; redirect
    /// targets are held to the same limit.
    pub fn max_url_length(mut self, chars: usize) -> Self {
        self.max_url_length = chars;
        self
    }

    /// The largest body, in bytes, in either direction (default 1 MiB).
    ///
    /// Larger request bodies are refused; response bodies are cut at this
    /// size and the response is marked as truncated.
    pub fn max_body_bytes(mut self, bytes: usize) -> Self {
        self.max_body_bytes = bytes;
        self
    }

    /// How long one request may take, including name resolution, connecting,
    /// every redirect and reading the body (default 30 s). Timeouts longer
    /// than a day are clamped to a day.
    pub fn timeout(mut self, d: Duration) -> Self {
        self.timeout = d.min(MAX_TIMEOUT);
        self
    }

    /// How many redirects one request may follow (default 5). With 0,
    /// redirects are not followed and the 3xx response is returned as is.
    pub fn max_redirects(mut self, n: u32) -> Self {
        self.max_redirects = n;
        self
    }
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_allows_nothing_and_has_the_documented_defaults() {
        let c = HttpConfig::new();
        assert!(c.allowed_hosts().is_empty());
        assert_eq!(c.max_url_length, 8192);
        assert_eq!(c.max_body_bytes, 1 << 20);
        assert_eq!(c.timeout, Duration::from_secs(30));
        assert_eq!(c.max_redirects, 5);
        assert_eq!(HttpConfig::default(), c);
    }

    #[test]
    fn builders_set_their_field() {
        let c = HttpConfig::new()
            .allow_host("a.example")
            .allow_host("b.example:81")
            .max_url_length(10)
            .max_body_bytes(20)
            .timeout(Duration::from_millis(30))
            .max_redirects(0);
        assert_eq!(c.allowed_hosts(), ["a.example", "b.example:81"]);
        assert_eq!((c.max_url_length, c.max_body_bytes, c.max_redirects), (10, 20, 0));
        assert_eq!(c.timeout, Duration::from_millis(30));
    }

    #[test]
    fn huge_timeouts_are_clamped() {
        assert_eq!(HttpConfig::new().timeout(Duration::MAX).timeout, MAX_TIMEOUT);
    }
}
