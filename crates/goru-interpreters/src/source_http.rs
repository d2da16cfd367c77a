//! Source 2: the upstream release URL, over HTTP(S) with ureq.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::install::install;
use crate::progress::Progress;
use crate::{FetchError, Pin};

/// Time allowed between two reads of the response body.
const READ_TIMEOUT: Duration = Duration::from_secs(30);

/// Downloads `url` into `dir`, verified, printing progress to stderr.
pub(crate) fn fetch(
    url: &str,
    pin: &Pin,
    dir: &Path,
    connect_timeout: Duration,
    timeout: Duration,
) -> Result<PathBuf, FetchError> {
    let agent = ureq::AgentBuilder::new()
        .timeout_connect(connect_timeout)
        .timeout_read(READ_TIMEOUT)
        .timeout(timeout)
        .user_agent(concat!("goru-interpreters/", env!("CARGO_PKG_VERSION")))
        .build();
    let response = agent.get(url).call().map_err(|e| {
        let message = e.to_string();
        FetchError::Http {
            url: url.to_owned(),
            message: message
                .strip_prefix(&format!("{url}: "))
                .unwrap_or(&message)
                .to_owned(),
        }
    })?;
    let total = response
        .header("Content-Length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(pin.size);
    let progress = Progress::new(format!("downloading {url}"), total);
    install(&mut response.into_reader(), pin, dir, url, Some(progress))
}
