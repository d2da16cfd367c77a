//! The client: runs one guest request through the checks, ureq and the redirects.

use std::error::Error as _;
use std::io::{self, Read};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::config::HttpConfig;
use super::error::HttpError;
use super::headers;
use super::message::{HttpRequest, HttpResponse, Method};
use super::policy::{self, AllowList, Target};
use super::resolver::is_refusal;

const USER_AGENT: &str = concat!("goru/", env!("CARGO_PKG_VERSION"));

/// A blocking HTTP client that only reaches the hosts of its
/// [`HttpConfig`].
///
/// Cloning is cheap and clones share the configuration; the client can be
/// used from several threads at once.
///
/// ```no_run
/// use goru_hostfn::http::{HttpClient, HttpConfig, HttpRequest, Method};
///
/// let client = HttpClient::new(HttpConfig::new().allow_host("api.example.com"))?;
/// let resp = client.request(&HttpRequest::new(Method::Get, "https://api.example.com/status"))?;
/// println!("{} {}", resp.status, String::from_utf8_lossy(&resp.body));
/// # Ok::<(), goru_hostfn::http::HttpError>(())
/// ```
#[derive(Debug, Clone)]
pub struct HttpClient {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    config: HttpConfig,
    allow: AllowList,
}

impl HttpClient {
    /// Builds a client, checking every allow-list entry.
    ///
    /// Fails with [`HttpError::InvalidAllowEntry`] for an entry that is not
    /// `host` or `host:port` (see [`HttpConfig::allow_host`]).
    pub fn new(config: HttpConfig) -> Result<Self, HttpError> {
        let allow = AllowList::new(&config.allowed_hosts)?;
        Ok(HttpClient {
            inner: Arc::new(Inner { config, allow }),
        })
    }

    /// Sends a request and waits for the response, following redirects.
    ///
    /// Every status the server answers, 404 and 500 included, is a response;
    /// errors are reserved for requests that are refused or could not be
    /// completed. The URL, and every redirect target, must pass the
    /// allow-list and address checks before any connection is made.
    ///
    /// Redirects (301, 302, 303, 307, 308) are followed up to
    /// [`HttpConfig::max_redirects`]: 303, and 301/302 after a POST, continue
    /// as a GET without body; 307 and 308 keep the method and body.
    /// `Authorization` and `Cookie` are dropped once a redirect leaves the
    /// origin (scheme, host and port) of the URL before it.
    pub fn request(&self, req: &HttpRequest) -> Result<HttpResponse, HttpError> {
        self.request_until(req, None)
    }

    /// [`HttpClient::request`], ending with [`HttpError::Timeout`] at
    /// `deadline` if that comes before the configured timeout.
    pub(crate) fn request_until(
        &self,
        req: &HttpRequest,
        deadline: Option<Instant>,
    ) -> Result<HttpResponse, HttpError> {
        let config = &self.inner.config;
        let mut target = policy::check_url(&req.url, &self.inner.allow, config.max_url_length)?;
        let mut headers = headers::prepare(&req.headers)?;
        if let Some(body) = &req.body
            && body.len() > config.max_body_bytes
        {
            return Err(HttpError::BodyTooLarge {
                size: body.len(),
                limit: config.max_body_bytes,
            });
        }
        let timeout = Instant::now() + config.timeout;
        let deadline = deadline.map_or(timeout, |deadline| deadline.min(timeout));
        let mut method = req.method;
        let mut body = req.body.as_deref();
        let mut redirects = 0;
        loop {
            let remaining = deadline.saturating_duration_since(Instant::now());
            if remaining.is_zero() {
                return Err(HttpError::Timeout);
            }
            let resp = send(&target, method, &headers, body, remaining)?;
            let location = match resp.header("location") {
                Some(location) if is_followed(resp.status()) && config.max_redirects > 0 => location,
                _ => return read_response(resp, &target, config.max_body_bytes),
            };
            if redirects == config.max_redirects {
                return Err(HttpError::Redirect {
                    reason: "too many redirects",
                });
            }
            redirects += 1;
            let next =
                policy::check_redirect(&target.url, location, &self.inner.allow, config.max_url_length)?;
            if redirected_to_get(resp.status(), method) {
                if method != Method::Head {
                    method = Method::Get;
                }
                body = None;
                headers.retain(|(name, _)| !is_body_header(name));
            }
            if next.url.origin() != target.url.origin() {
                headers.retain(|(name, _)| !is_credential(name));
            }
            target = next;
        }
    }
}

// 300, 304 and the rest of 3xx do not ask the client to go elsewhere.
fn is_followed(status: u16) -> bool {
    matches!(status, 301 | 302 | 303 | 307 | 308)
}

/// Whether a redirect turns the request into a GET without body, as browsers
/// do (Fetch standard, HTTP-redirect fetch).
fn redirected_to_get(status: u16, method: Method) -> bool {
    status == 303 || (matches!(status, 301 | 302) && method == Method::Post)
}

fn is_body_header(name: &str) -> bool {
    [
        "content-type",
        "content-encoding",
        "content-language",
        "content-location",
    ]
    .iter()
    .any(|h| h.eq_ignore_ascii_case(name))
}

fn is_credential(name: &str) -> bool {
    name.eq_ignore_ascii_case("authorization") || name.eq_ignore_ascii_case("cookie")
}

/// One hop: a request to an already checked target, without redirects.
fn send(
    target: &Target,
    method: Method,
    headers: &[(String, String)],
    body: Option<&[u8]>,
    remaining: Duration,
) -> Result<ureq::Response, HttpError> {
    // An agent per hop: its resolver only answers for this target, and with
    // no pool every connection goes through that resolver. Building one is
    // cheap (the TLS configuration is shared by ureq).
    let agent = ureq::AgentBuilder::new()
        .try_proxy_from_env(false)
        .redirects(0)
        // timeout_connect takes precedence over timeout for the connect
        // phase and defaults to 30 s, so both are set to what is left.
        .timeout_connect(remaining)
        .timeout(remaining)
        .max_idle_connections(0)
        .max_idle_connections_per_host(0)
        .user_agent(USER_AGENT)
        .resolver(target.resolver())
        .build();
    let mut request = agent.request_url(method.as_str(), &target.url);
    for (name, value) in headers {
        request = request.set(name, value);
    }
    let result = match body {
        Some(body) => request.send_bytes(body),
        None => request.call(),
    };
    match result {
        Ok(resp) | Err(ureq::Error::Status(_, resp)) => Ok(resp),
        Err(ureq::Error::Transport(err)) => Err(transport_error(&err, &target.host)),
    }
}

fn read_response(resp: ureq::Response, target: &Target, max_body: usize) -> Result<HttpResponse, HttpError> {
    let status = resp.status();
    let names = resp.headers_names();
    let mut seen: Vec<String> = Vec::with_capacity(names.len());
    let mut headers = Vec::with_capacity(names.len());
    for name in names {
        if seen.contains(&name) {
            continue;
        }
        for value in resp.all(&name) {
            headers.push((name.clone(), value.to_string()));
        }
        seen.push(name);
    }
    // One byte past the limit tells a body of exactly the limit from a
    // longer one without reading the rest.
    let limit = u64::try_from(max_body).unwrap_or(u64::MAX).saturating_add(1);
    let mut body = Vec::new();
    resp.into_reader()
        .take(limit)
        .read_to_end(&mut body)
        .map_err(|e| io_error(&e, &target.host))?;
    let truncated = body.len() > max_body;
    body.truncate(max_body);
    Ok(HttpResponse {
        status,
        headers,
        body,
        truncated,
        url: target.url.to_string(),
    })
}

/// Turns a ureq failure into an error the guest may see: the cause is kept
/// as a fixed phrase, never ureq's message, which can name local details.
fn transport_error(err: &ureq::Transport, host: &str) -> HttpError {
    let mut source = err.source();
    while let Some(cause) = source {
        if let Some(io) = cause.downcast_ref::<io::Error>() {
            if is_refusal(io) {
                return HttpError::AddressRefused {
                    host: host.to_string(),
                };
            }
            if is_timeout(io) {
                return HttpError::Timeout;
            }
        }
        source = cause.source();
    }
    let reason = match err.kind() {
        ureq::ErrorKind::Dns => "could not resolve the host",
        ureq::ErrorKind::ConnectionFailed => "could not connect",
        ureq::ErrorKind::BadStatus | ureq::ErrorKind::BadHeader => "malformed response",
        ureq::ErrorKind::Io => "connection error",
        _ => "request failed",
    };
    HttpError::Connection {
        host: host.to_string(),
        reason,
    }
}

fn io_error(err: &io::Error, host: &str) -> HttpError {
    if is_timeout(err) {
        return HttpError::Timeout;
    }
    HttpError::Connection {
        host: host.to_string(),
        reason: "error while reading the response body",
    }
}

// Socket timeouts surface as WouldBlock on Unix.
fn is_timeout(err: &io::Error) -> bool {
    matches!(err.kind(), io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn method_changes_follow_browsers() {
        assert!(redirected_to_get(303, Method::Put));
        assert!(redirected_to_get(303, Method::Post));
        assert!(redirected_to_get(301, Method::Post));
        assert!(redirected_to_get(302, Method::Post));
        assert!(!redirected_to_get(302, Method::Put));
        assert!(!redirected_to_get(307, Method::Post));
        assert!(!redirected_to_get(308, Method::Patch));
    }

    #[test]
    fn only_redirect_statuses_are_followed() {
        for s in [301, 302, 303, 307, 308] {
            assert!(is_followed(s));
        }
        for s in [200, 300, 304, 305, 306, 404] {
            assert!(!is_followed(s));
        }
    }

    #[test]
    fn timeouts_are_recognised_in_both_forms() {
        assert!(is_timeout(&io::Error::from(io::ErrorKind::TimedOut)));
        assert!(is_timeout(&io::Error::from(io::ErrorKind::WouldBlock)));
        assert!(!is_timeout(&io::Error::from(io::ErrorKind::ConnectionReset)));
        assert_eq!(
            io_error(&io::Error::from(io::ErrorKind::WouldBlock), "h"),
            HttpError::Timeout
        );
    }

    #[test]
    fn the_client_is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<HttpClient>();
    }
}
