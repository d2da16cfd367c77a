//! HTTP requests to an allow-list of hosts, with protection against server-side
//! request forgery.
//!
//! A guest may only reach what the embedder granted in an [`HttpConfig`]:
//!
//! - http and https URLs whose host (and port) is on the allow-list, matched
//!   on the parsed URL, never on its text; URLs with credentials, backslashes,
//!   control characters or IPv4 addresses in unusual forms (`2130706433`,
//!   `0x7f.1`, `127.1`) are refused;
//! - hosts that resolve only to public addresses: loopback, private,
//!   link-local (cloud metadata), shared and other internal ranges are refused
//!   unless the URL names an IP address that is itself on the allow-list.
//!   Connections go to the very addresses that were checked;
//! - redirects are followed by the client itself, each target checked as
//!   above, never from https down to http;
//! - proxies from the environment are ignored, request headers that frame or
//!   route the request (`Host`, `Content-Length`, `Transfer-Encoding`,
//!   `Connection`, `Proxy-*`...) are refused, bodies and URLs are bounded
//!   and the whole request runs under one timeout.
//!
//! ```
//! use goru_hostfn::http::{HttpClient, HttpConfig, HttpRequest, Method};
//!
//! let client = HttpClient::new(HttpConfig::new().allow_host("api.example.com"))?;
//! // Refused before anything is resolved or connected to.
//! let err = client.request(&HttpRequest::new(Method::Get, "http://169.254.169.254/latest/")).unwrap_err();
//! assert_eq!(err.kind(), "not_allowed");
//! # Ok::<(), goru_hostfn::http::HttpError>(())
//! ```

mod client;
mod config;
mod error;
mod headers;
mod message;
mod policy;
mod resolver;

pub use client::HttpClient;
pub use config::{
    DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_REDIRECTS, DEFAULT_MAX_URL_LENGTH, DEFAULT_TIMEOUT, HttpConfig,
};
pub use error::HttpError;
pub use message::{HttpRequest, HttpResponse, Method};
