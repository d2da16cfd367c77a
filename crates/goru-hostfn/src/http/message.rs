//! The request a guest sends and the response it gets back.

use std::fmt;
use std::str::FromStr;

use super::error::{HttpError, clip};

/// The HTTP methods a guest may use.
///
/// ```
/// use goru_hostfn::http::Method;
///
/// let m: Method = "post".parse().unwrap();
/// assert_eq!(m, Method::Post);
/// assert_eq!(m.as_str(), "POST");
/// assert_eq!("TRACE".parse::<Method>().unwrap_err().kind(), "invalid_method");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    /// `GET`
    Get,
    /// `POST`
    Post,
    /// `PUT`
    Put,
    /// `PATCH`
    Patch,
    /// `DELETE`
    Delete,
    /// `HEAD`
    Head,
}

impl Method {
    /// Every method, in declaration order.
    pub const ALL: [Method; 6] = [
        Method::Get,
        Method::Post,
        Method::Put,
        Method::Patch,
        Method::Delete,
        Method::Head,
    ];

    /// The method as sent on the wire, in upper case.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
            Method::Head => "HEAD",
        }
    }
}

impl FromStr for Method {
    type Err = HttpError;

    /// Parses a method name, ignoring case.
    fn from_str(s: &str) -> Result<Self, HttpError> {
        Method::ALL
            .into_iter()
            .find(|m| m.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| HttpError::InvalidMethod { method: clip(s, 16) })
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A request as the guest asks for it.
///
/// ```
/// use goru_hostfn::http::{HttpRequest, Method};
///
/// let mut req = HttpRequest::new(Method::Post, "https://api.example.com/items");
/// req.headers.push(("Content-Type".into(), "application/json".into()));
/// req.body = Some(br#"{"name":"x"}"#.to_vec());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpRequest {
    /// The method.
    pub method: Method,
    /// The absolute http or https URL.
    pub url: String,
    /// Extra request headers. Names that appear more than once (ignoring
    /// case) are sent once, with their values joined by `, ` (`; ` for
    /// `Cookie`).
    pub headers: Vec<(String, String)>,
    /// The request body, if any.
    pub body: Option<Vec<u8>>,
}

impl HttpRequest {
    /// A request with no extra headers and no body.
    pub fn new(method: Method, url: impl Into<String>) -> Self {
        HttpRequest {
            method,
            url: url.into(),
            headers: Vec::new(),
            body: None,
        }
    }
}

/// The response the guest gets back; statuses such as 404 or 500 are
/// responses too, not errors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpResponse {
    /// The status code.
    pub status: u16,
    /// The response headers, names in lower case, in the order received with
    /// repeated names grouped. Values that are not UTF-8 are left out.
    pub headers: Vec<(String, String)>,
    /// The body, at most [`HttpConfig::max_body_bytes`](super::HttpConfig::max_body_bytes)
    /// long. Bodies sent with `Content-Encoding: gzip` are decompressed (and
    /// that header and `Content-Length` removed) before they are cut.
    pub body: Vec<u8>,
    /// Whether the server sent more body than was kept.
    pub truncated: bool,
    /// The URL that answered, after redirects.
    pub url: String,
}

impl HttpResponse {
    /// The first value of a header, looked up ignoring case.
    ///
    /// ```
    /// use goru_hostfn::http::HttpResponse;
    ///
    /// let resp = HttpResponse {
    ///     status: 200,
    ///     headers: vec![("content-type".into(), "text/plain".into())],
    ///     body: b"hi".to_vec(),
    ///     truncated: false,
    ///     url: "https://example.com/".into(),
    /// };
    /// assert_eq!(resp.header("Content-Type"), Some("text/plain"));
    /// ```
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods_parse_ignoring_case_and_round_trip() {
        for m in Method::ALL {
            assert_eq!(m.as_str().parse::<Method>(), Ok(m));
            assert_eq!(m.as_str().to_lowercase().parse::<Method>(), Ok(m));
            assert_eq!(m.to_string(), m.as_str());
        }
        assert_eq!("pAtCh".parse::<Method>(), Ok(Method::Patch));
    }

    #[test]
    fn unknown_methods_are_typed_errors() {
        for bad in ["", "OPTIONS", "CONNECT", "GET ", "G\r\nET"] {
            let err = bad.parse::<Method>().unwrap_err();
            assert_eq!(err.kind(), "invalid_method", "{bad:?}");
        }
        let long = "X".repeat(10_000);
        assert!(long.parse::<Method>().unwrap_err().to_string().len() < 100);
    }
}
