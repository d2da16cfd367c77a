//! MCP's logging: `logging/setLevel` (or, on newer protocol versions, the
//! level a request carries in its `_meta`) opts a client in to
//! `notifications/message` at or above a level. goru sends one for each
//! run, session and install: what happened, never code or output. Nothing
//! is ever written to stdout but protocol messages.
//!
//! The SDK marks MCP logging deprecated (it is dropped from the newest
//! protocol revision); clients on the earlier revisions still use it.
#![expect(
    deprecated,
    reason = "MCP logging is deprecated upstream, yet what clients of earlier revisions use"
)]

use std::sync::{Arc, Mutex, PoisonError};

use rmcp::RoleServer;
use rmcp::model::{LoggingLevel, LoggingMessageNotificationParam};
use rmcp::service::RequestContext;
use serde_json::Value;

/// The logger name of goru's messages.
const LOGGER: &str = "goru";

/// How much a client asked to hear, per connection.
#[derive(Debug, Clone, Default)]
pub struct ClientLog {
    level: Arc<Mutex<Option<Level>>>,
}

/// A message's severity, as MCP (RFC 5424) orders them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// Details.
    Debug,
    /// Normal events.
    Info,
    /// Normal but noteworthy.
    Notice,
    /// Something went wrong for one call.
    Warning,
    /// Something failed in goru itself.
    Error,
    /// Critical.
    Critical,
    /// Action needed.
    Alert,
    /// Unusable.
    Emergency,
}

impl Level {
    fn from_mcp(level: LoggingLevel) -> Self {
        match level {
            LoggingLevel::Debug => Level::Debug,
            LoggingLevel::Info => Level::Info,
            LoggingLevel::Notice => Level::Notice,
            LoggingLevel::Warning => Level::Warning,
            LoggingLevel::Error => Level::Error,
            LoggingLevel::Critical => Level::Critical,
            LoggingLevel::Alert => Level::Alert,
            LoggingLevel::Emergency => Level::Emergency,
        }
    }

    fn to_mcp(self) -> LoggingLevel {
        match self {
            Level::Debug => LoggingLevel::Debug,
            Level::Info => LoggingLevel::Info,
            Level::Notice => LoggingLevel::Notice,
            Level::Warning => LoggingLevel::Warning,
            Level::Error => LoggingLevel::Error,
            Level::Critical => LoggingLevel::Critical,
            Level::Alert => LoggingLevel::Alert,
            Level::Emergency => LoggingLevel::Emergency,
        }
    }
}

impl ClientLog {
    /// The client's `logging/setLevel`.
    pub fn set(&self, level: LoggingLevel) {
        *self.level.lock().unwrap_or_else(PoisonError::into_inner) = Some(Level::from_mcp(level));
    }

    /// Sends `data` at `level` to the client of `context` if it asked for
    /// that level (for this request, or for the connection).
    pub async fn send(&self, context: &RequestContext<RoleServer>, level: Level, data: Value) {
        let wanted = context
            .meta
            .log_level()
            .map(Level::from_mcp)
            .or(*self.level.lock().unwrap_or_else(PoisonError::into_inner));
        if wanted.is_none_or(|wanted| level < wanted) {
            return;
        }
        let mut message = LoggingMessageNotificationParam::new(level.to_mcp(), data);
        message.logger = Some(LOGGER.to_owned());
        // A client that went away needs no log.
        let _ = context.peer.notify_logging_message(message).await;
    }
}

/// The `logging` capability, advertised to clients.
pub fn capabilities() -> rmcp::model::ServerCapabilities {
    rmcp::model::ServerCapabilities::builder()
        .enable_tools()
        .enable_logging()
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_are_ordered_as_in_mcp() {
        assert!(Level::Debug < Level::Info && Level::Warning < Level::Error);
        for level in [Level::Debug, Level::Notice, Level::Emergency] {
            assert_eq!(Level::from_mcp(level.to_mcp()), level);
        }
    }
}
