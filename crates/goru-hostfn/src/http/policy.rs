//! The allow-list and the checks every URL (and every redirect target) must pass
//! before anything is resolved or connected to.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use url::{Host, Url};

use super::error::{HttpError, clip};
use super::resolver::PinnedResolver;

/// The parsed allow-list of a client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AllowList {
    entries: Vec<Entry>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry {
    host: EntryHost,
    // None: only the scheme's default port.
    port: Option<u16>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum EntryHost {
    // Lower case, IDNA-mapped, without a trailing dot.
    Domain(String),
    Ip(IpAddr),
}

impl AllowList {
    /// Parses the entries of [`HttpConfig::allow_host`](super::HttpConfig::allow_host).
    pub(crate) fn new(entries: &[String]) -> Result<Self, HttpError> {
        let entries = entries.iter().map(|e| parse_entry(e)).collect::<Result<_, _>>()?;
        Ok(AllowList { entries })
    }

    fn permits(&self, host: &Host<&str>, port: u16, is_default_port: bool) -> bool {
        self.entries.iter().any(|entry| {
            let port_ok = match entry.port {
                Some(p) => p == port,
                None => is_default_port,
            };
            port_ok
                && match (&entry.host, host) {
                    (EntryHost::Domain(allowed), Host::Domain(h)) => domain_matches(allowed, h),
                    (EntryHost::Ip(IpAddr::V4(allowed)), Host::Ipv4(h)) => allowed == h,
                    (EntryHost::Ip(IpAddr::V6(allowed)), Host::Ipv6(h)) => allowed == h,
                    _ => false,
                }
        })
    }
}

const BAD_PORT: &str = "port is not a number from 1 to 65535";

fn parse_entry(entry: &str) -> Result<Entry, HttpError> {
    let bad = |reason| HttpError::InvalidAllowEntry {
        entry: entry.to_string(),
        reason,
    };
    if let Some(rest) = entry.strip_prefix('[') {
        let (ip, after) = rest
            .split_once(']')
            .ok_or_else(|| bad("missing closing bracket"))?;
        let ip: Ipv6Addr = ip.parse().map_err(|_| bad("not an IPv6 address"))?;
        let port = match after {
            "" => None,
            _ => {
                let digits = after
                    .strip_prefix(':')
                    .ok_or_else(|| bad("expected :port after ]"))?;
                Some(port_number(digits).ok_or_else(|| bad(BAD_PORT))?)
            }
        };
        return Ok(Entry {
            host: EntryHost::Ip(IpAddr::V6(ip)),
            port,
        });
    }
    let (host, port) = match entry.split_once(':') {
        Some((host, port)) => (host, Some(port_number(port).ok_or_else(|| bad(BAD_PORT))?)),
        None => (entry, None),
    };
    if host.is_empty() {
        return Err(bad("empty host"));
    }
    if let Ok(ip) = host.parse::<Ipv4Addr>() {
        return Ok(Entry {
            host: EntryHost::Ip(IpAddr::V4(ip)),
            port,
        });
    }
    // Anything but a plain name (paths, userinfo, wildcards, bare IPv6...)
    // would be silently reinterpreted by the URL parser below.
    if !host
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_') || !c.is_ascii())
    {
        return Err(bad("not a host name; IPv6 addresses go in brackets"));
    }
    // The URL parser normalises the name exactly as it will normalise the
    // hosts of the URLs compared against it (case, IDNA).
    let url = Url::parse(&format!("http://{host}/")).map_err(|_| bad("not a host name"))?;
    match url.host() {
        Some(Host::Domain(d)) => match fold(d) {
            "" => Err(bad("empty host")),
            d => Ok(Entry {
                host: EntryHost::Domain(d.to_string()),
                port,
            }),
        },
        Some(Host::Ipv4(_)) => Err(bad("IPv4 address not in dotted-decimal form")),
        _ => Err(bad("not a host name")),
    }
}

fn port_number(s: &str) -> Option<u16> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse::<u16>().ok().filter(|&p| p != 0)
}

// One trailing dot names the same host (the DNS root); fold it on both sides.
fn fold(domain: &str) -> &str {
    domain.strip_suffix('.').unwrap_or(domain)
}

fn domain_matches(allowed: &str, host: &str) -> bool {
    let host = fold(host).to_ascii_lowercase();
    // An empty label (`.example.com`, `a..example.com`) makes a name that is no subdomain.
    if host.split('.').any(str::is_empty) {
        return false;
    }
    host == allowed || host.strip_suffix(allowed).is_some_and(|sub| sub.ends_with('.'))
}

/// A URL that passed every check, and how to reach it.
#[derive(Debug, Clone)]
pub(crate) struct Target {
    pub(crate) url: Url,
    /// The host as the URL parser reads it, for messages.
    pub(crate) host: String,
    port: u16,
    // Set when the host is an IP address on the allow-list.
    literal: Option<IpAddr>,
}

impl Target {
    /// The resolver that lets ureq reach this target and nothing else.
    pub(crate) fn resolver(&self) -> PinnedResolver {
        match self.literal {
            Some(ip) => PinnedResolver::literal(ip, self.port),
            None => PinnedResolver::domain(&self.host, self.port),
        }
    }
}

/// Checks a URL given by the guest.
pub(crate) fn check_url(raw: &str, allow: &AllowList, max_len: usize) -> Result<Target, HttpError> {
    if too_long(raw, max_len) {
        return Err(HttpError::UrlTooLong { limit: max_len });
    }
    let Written::Absolute { authority } = written(raw)? else {
        return Err(invalid(raw, "not an absolute http or https URL"));
    };
    let url = Url::parse(raw).map_err(|e| invalid(raw, e))?;
    check_authority(raw, authority, &url)?;
    admit(url, allow)
}

/// Checks the `Location` of a redirect answered to a request for `from`.
pub(crate) fn check_redirect(
    from: &Url,
    location: &str,
    allow: &AllowList,
    max_len: usize,
) -> Result<Target, HttpError> {
    if too_long(location, max_len) {
        return Err(HttpError::UrlTooLong { limit: max_len });
    }
    let written = written(location)?;
    let url = from.join(location).map_err(|e| invalid(location, e))?;
    if too_long(url.as_str(), max_len) {
        return Err(HttpError::UrlTooLong { limit: max_len });
    }
    match written {
        Written::Absolute { authority } | Written::SchemeRelative { authority } => {
            check_authority(location, authority, &url)?
        }
        Written::PathOnly => {}
    }
    if from.scheme() == "https" && url.scheme() == "http" {
        return Err(HttpError::Redirect {
            reason: "https to http downgrade",
        });
    }
    admit(url, allow)
}

fn too_long(s: &str, max_chars: usize) -> bool {
    s.len() > max_chars && s.chars().count() > max_chars
}

fn invalid(url: &str, reason: impl ToString) -> HttpError {
    HttpError::InvalidUrl {
        url: url.to_string(),
        reason: reason.to_string(),
    }
}

/// What a URL string says about its authority before the URL parser
/// normalises it.
enum Written<'a> {
    Absolute { authority: &'a str },
    SchemeRelative { authority: &'a str },
    PathOnly,
}

fn written(input: &str) -> Result<Written<'_>, HttpError> {
    // The URL parser drops tabs and newlines, trims spaces and reads `\` as
    // `/`; refusing such input keeps the text we check equal to what it parses.
    if input.chars().any(|c| c.is_ascii_control()) {
        return Err(invalid(input, "contains control characters"));
    }
    if input.contains('\\') {
        return Err(invalid(input, "contains a backslash"));
    }
    if input.starts_with(' ') || input.ends_with(' ') {
        return Err(invalid(input, "starts or ends with a space"));
    }
    if let Some(scheme) = scheme_of(input) {
        if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
            return Err(HttpError::SchemeNotAllowed {
                scheme: clip(scheme, 32),
            });
        }
        // `http:host` is accepted by the parser (and even read as a relative
        // path when a base is given); only the plain form is allowed.
        let rest = &input[scheme.len() + 1..];
        let Some(after) = rest.strip_prefix("//") else {
            return Err(invalid(input, "expected // after the scheme"));
        };
        return Ok(Written::Absolute {
            authority: authority_of(after),
        });
    }
    match input.strip_prefix("//") {
        Some(after) => Ok(Written::SchemeRelative {
            authority: authority_of(after),
        }),
        None => Ok(Written::PathOnly),
    }
}

fn scheme_of(input: &str) -> Option<&str> {
    let end = input.find([':', '/', '?', '#'])?;
    let scheme = &input[..end];
    let mut chars = scheme.chars();
    let valid = input[end..].starts_with(':')
        && chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    valid.then_some(scheme)
}

fn authority_of(after_slashes: &str) -> &str {
    let end = after_slashes.find(['/', '?', '#']).unwrap_or(after_slashes.len());
    &after_slashes[..end]
}

/// Compares the authority as written with the parsed URL: no userinfo, and
/// IP addresses only in their plain form, so that `2130706433`, `0x7f.1` or
/// `127.1` cannot pass for names.
fn check_authority(input: &str, authority: &str, url: &Url) -> Result<(), HttpError> {
    if authority.contains('@') || !url.username().is_empty() || url.password().is_some() {
        return Err(HttpError::CredentialsInUrl);
    }
    let host_written = if authority.starts_with('[') {
        authority.find(']').map_or(authority, |end| &authority[..=end])
    } else {
        authority.split_once(':').map_or(authority, |(host, _port)| host)
    };
    match url.host() {
        Some(Host::Ipv4(ip)) if host_written != ip.to_string() => {
            Err(invalid(input, "IPv4 address not in dotted-decimal form"))
        }
        Some(Host::Ipv6(ip)) => {
            let as_written = host_written.strip_prefix('[').and_then(|h| h.strip_suffix(']'));
            match as_written.and_then(|h| h.parse::<Ipv6Addr>().ok()) {
                Some(w) if w == ip => Ok(()),
                _ => Err(invalid(input, "IPv6 address in an unusual form")),
            }
        }
        _ => Ok(()),
    }
}

/// The checks on the parsed URL: scheme, host and port on the allow-list.
fn admit(url: Url, allow: &AllowList) -> Result<Target, HttpError> {
    if !matches!(url.scheme(), "http" | "https") {
        return Err(HttpError::SchemeNotAllowed {
            scheme: clip(url.scheme(), 32),
        });
    }
    let (Some(host), Some(port)) = (url.host(), url.port_or_known_default()) else {
        return Err(invalid(url.as_str(), "no host"));
    };
    if !allow.permits(&host, port, url.port().is_none()) {
        return Err(HttpError::HostNotAllowed {
            host: host.to_string(),
            port,
        });
    }
    let literal = match host {
        Host::Domain(_) => None,
        Host::Ipv4(ip) => Some(IpAddr::V4(ip)),
        Host::Ipv6(ip) => Some(IpAddr::V6(ip)),
    };
    let host = url.host_str().unwrap_or_default().to_string();
    Ok(Target {
        url,
        host,
        port,
        literal,
    })
}

#[cfg(test)]
mod proptests;

#[cfg(test)]
mod tests {
    use super::*;

    fn allow(entries: &[&str]) -> AllowList {
        AllowList::new(&entries.iter().map(|e| e.to_string()).collect::<Vec<_>>()).unwrap()
    }

    fn check(entries: &[&str], url: &str) -> Result<Target, HttpError> {
        check_url(url, &allow(entries), 8192)
    }

    fn kind(entries: &[&str], url: &str) -> &'static str {
        match check(entries, url) {
            Ok(_) => "ok",
            Err(e) => e.kind(),
        }
    }

    #[test]
    fn entries_parse() {
        let a = allow(&[
            "Example.COM.",
            "api.example.com:8443",
            "127.0.0.1",
            "10.0.0.1:8080",
            "[::1]:81",
            "[fe80::1]",
        ]);
        assert_eq!(
            a.entries,
            [
                Entry {
                    host: EntryHost::Domain("example.com".into()),
                    port: None
                },
                Entry {
                    host: EntryHost::Domain("api.example.com".into()),
                    port: Some(8443)
                },
                Entry {
                    host: EntryHost::Ip("127.0.0.1".parse().unwrap()),
                    port: None
                },
                Entry {
                    host: EntryHost::Ip("10.0.0.1".parse().unwrap()),
                    port: Some(8080)
                },
                Entry {
                    host: EntryHost::Ip("::1".parse().unwrap()),
                    port: Some(81)
                },
                Entry {
                    host: EntryHost::Ip("fe80::1".parse().unwrap()),
                    port: None
                },
            ]
        );
        assert_eq!(
            allow(&["bücher.de"]).entries[0].host,
            EntryHost::Domain("xn--bcher-kva.de".into())
        );
    }

    #[test]
    fn bad_entries_are_typed_errors() {
        for entry in [
            "",
            ".",
            ":80",
            "http://example.com",
            "example.com/",
            "example.com:0",
            "example.com:",
            "example.com:+80",
            "example.com:65536",
            "example.com:http",
            "user@example.com",
            "*.example.com",
            "exa mple.com",
            "::1",
            "[::1",
            "[::1]80",
            "[127.0.0.1]",
            "0x7f000001",
            "2130706433",
            "127.1",
            "0177.0.0.1",
            "foo.123",
        ] {
            let err = AllowList::new(&[entry.to_string()]).unwrap_err();
            assert!(
                matches!(err, HttpError::InvalidAllowEntry { .. }),
                "{entry:?}: {err:?}"
            );
            assert_eq!(err.kind(), "config");
        }
    }

    #[test]
    fn a_domain_allows_itself_and_its_subdomains_only() {
        let e = ["api.example.com"];
        assert_eq!(kind(&e, "https://api.example.com/v1"), "ok");
        assert_eq!(kind(&e, "https://x.api.example.com/"), "ok");
        assert_eq!(kind(&e, "https://a.b.api.example.com/"), "ok");
        assert_eq!(kind(&e, "https://API.Example.COM/"), "ok");
        assert_eq!(kind(&e, "https://api.example.com./"), "ok");
        assert_eq!(kind(&["api.example.com."], "https://api.example.com/"), "ok");
        assert_eq!(kind(&e, "https://evilapi.example.com/"), "not_allowed");
        assert_eq!(kind(&e, "https://example.com/"), "not_allowed");
        assert_eq!(kind(&e, "https://api.example.com.evil/"), "not_allowed");
        assert_eq!(kind(&e, "https://api.example.com../"), "not_allowed");
        assert_eq!(kind(&e, "https://api-example.com/"), "not_allowed");
    }

    #[test]
    fn a_name_with_an_empty_label_is_no_subdomain() {
        let e = ["example.com"];
        for url in [
            "https://.example.com/",
            "https://.example.com./",
            "https://a..example.com/",
            "https://a.\u{3002}example.com/",
        ] {
            assert_eq!(kind(&e, url), "not_allowed", "{url}");
        }
        // The case the property test found.
        assert_eq!(kind(&["example"], "https://.example:443"), "not_allowed");
    }

    #[test]
    fn the_raw_url_text_is_never_matched() {
        let e = ["allowed.example"];
        for url in [
            "http://evil.example/?x=allowed.example",
            "http://evil.example/allowed.example",
            "http://allowed.example.evil.example/",
            "http://evilallowed.example/",
            "http://evil.example#@allowed.example/",
            "http://evil.example?@allowed.example/",
        ] {
            let err = check(&e, url).unwrap_err();
            assert!(matches!(err, HttpError::HostNotAllowed { .. }), "{url}: {err:?}");
        }
        for url in [
            "http://allowed.example@evil.example/",
            "http://allowed.example:x@evil.example/",
            "http://@allowed.example/",
        ] {
            assert_eq!(check(&e, url).unwrap_err(), HttpError::CredentialsInUrl, "{url}");
        }
        for url in [
            "http://evil.example\\@allowed.example/",
            "http://evil.example\\\\@allowed.example/",
        ] {
            let err = check(&e, url).unwrap_err();
            assert!(matches!(err, HttpError::InvalidUrl { .. }), "{url}: {err:?}");
        }
    }

    #[test]
    fn ports_follow_the_entry() {
        let no_port = ["example.com"];
        assert_eq!(kind(&no_port, "http://example.com/"), "ok");
        assert_eq!(kind(&no_port, "http://example.com:80/"), "ok");
        assert_eq!(kind(&no_port, "https://example.com/"), "ok");
        assert_eq!(kind(&no_port, "http://example.com:443/"), "not_allowed");
        assert_eq!(kind(&no_port, "http://example.com:8080/"), "not_allowed");
        let port = ["example.com:8080"];
        assert_eq!(kind(&port, "http://example.com:8080/"), "ok");
        assert_eq!(kind(&port, "https://example.com:8080/"), "ok");
        assert_eq!(kind(&port, "http://example.com/"), "not_allowed");
        assert_eq!(kind(&port, "http://example.com:8081/"), "not_allowed");
    }

    #[test]
    fn only_http_and_https() {
        for url in [
            "ftp://example.com/",
            "file:///etc/passwd",
            "javascript:alert(1)",
            "gopher://example.com:70/",
        ] {
            let err = check(&["example.com"], url).unwrap_err();
            assert!(
                matches!(err, HttpError::SchemeNotAllowed { .. }),
                "{url}: {err:?}"
            );
        }
        assert_eq!(kind(&["example.com"], "HTTPS://EXAMPLE.COM/"), "ok");
        for url in [
            "http:example.com",
            "http:/example.com/",
            "//example.com/",
            "/path",
            "example.com",
        ] {
            assert_eq!(kind(&["example.com"], url), "invalid_url", "{url}");
        }
    }

    #[test]
    fn ip_literals_must_be_listed_and_plainly_written() {
        let e = ["127.0.0.1:8080", "[::1]:8080"];
        assert!(check(&e, "http://127.0.0.1:8080/").unwrap().literal.is_some());
        assert_eq!(kind(&e, "http://[::1]:8080/"), "ok");
        assert_eq!(kind(&e, "http://[0:0:0:0:0:0:0:1]:8080/"), "ok");
        assert_eq!(kind(&e, "http://127.0.0.2:8080/"), "not_allowed");
        assert_eq!(kind(&e, "http://localhost:8080/"), "not_allowed");
        assert_eq!(kind(&e, "http://[::ffff:127.0.0.1]:8080/"), "not_allowed");
        for url in [
            "http://2130706433:8080/",
            "http://0x7f000001:8080/",
            "http://0x7f.0.0.1:8080/",
            "http://0177.0.0.1:8080/",
            "http://127.1:8080/",
            "http://127.0.1:8080/",
            "http://127.0.0.1.:8080/",
            "http://%31%32%37.0.0.1:8080/",
        ] {
            let err = check(&e, url).unwrap_err();
            assert!(matches!(err, HttpError::InvalidUrl { .. }), "{url}: {err:?}");
        }
        // A name on the list does not allow an address, and the other way round.
        assert_eq!(kind(&["localhost:8080"], "http://127.0.0.1:8080/"), "not_allowed");
    }

    #[test]
    fn odd_whitespace_and_controls_are_refused() {
        for url in [
            " http://example.com/",
            "http://example.com/ ",
            "http://exa\tmple.com/",
            "http://example.com/\n",
        ] {
            assert_eq!(kind(&["example.com"], url), "invalid_url", "{url:?}");
        }
    }

    #[test]
    fn length_is_checked_first() {
        let long = format!("ftp://example.com/{}", "a".repeat(100));
        assert_eq!(
            check_url(&long, &allow(&[]), 50).unwrap_err(),
            HttpError::UrlTooLong { limit: 50 }
        );
        let exact = "http://example.com/";
        assert!(check_url(exact, &allow(&["example.com"]), exact.len()).is_ok());
        // The limit counts characters, not bytes.
        assert!(check_url("http://example.com/é", &allow(&["example.com"]), 20).is_ok());
    }

    #[test]
    fn redirects_are_checked_like_urls() {
        let a = allow(&["example.com", "other.example:8080", "127.0.0.1:9"]);
        let from = Url::parse("http://example.com/a/b?q").unwrap();
        let go = |loc: &str| check_redirect(&from, loc, &a, 8192);
        assert_eq!(go("c").unwrap().url.as_str(), "http://example.com/a/c");
        assert_eq!(go("/d?x=1").unwrap().url.as_str(), "http://example.com/d?x=1");
        assert_eq!(
            go("https://example.com/").unwrap().url.as_str(),
            "https://example.com/"
        );
        assert_eq!(
            go("//other.example:8080/").unwrap().url.as_str(),
            "http://other.example:8080/"
        );
        assert_eq!(
            go("http://127.0.0.1:9/").unwrap().url.as_str(),
            "http://127.0.0.1:9/"
        );
        assert_eq!(go("http://evil.example/").unwrap_err().kind(), "not_allowed");
        assert_eq!(go("//evil.example/").unwrap_err().kind(), "not_allowed");
        assert_eq!(
            go("http://example.com@evil.example/").unwrap_err(),
            HttpError::CredentialsInUrl
        );
        assert_eq!(go("http:evil.example").unwrap_err().kind(), "invalid_url");
        assert_eq!(go("http://2130706433:9/").unwrap_err().kind(), "invalid_url");
        assert_eq!(go("\\\\evil.example/").unwrap_err().kind(), "invalid_url");
        assert_eq!(go("ftp://example.com/").unwrap_err().kind(), "not_allowed");
        let long = format!("/{}", "a".repeat(100));
        assert_eq!(check_redirect(&from, &long, &a, 50).unwrap_err().kind(), "limit");
    }

    #[test]
    fn redirects_may_not_downgrade_to_http() {
        let a = allow(&["example.com"]);
        let from = Url::parse("https://example.com/").unwrap();
        let err = check_redirect(&from, "http://example.com/", &a, 8192).unwrap_err();
        assert_eq!(
            err,
            HttpError::Redirect {
                reason: "https to http downgrade"
            }
        );
        assert!(check_redirect(&from, "/relative", &a, 8192).is_ok());
    }
}
