//! The stdio transport: newline-delimited JSON-RPC over any reader and
//! writer, as MCP's stdio transport specifies. Unlike the SDK's own, a line
//! that is not JSON gets a JSON-RPC parse error (-32700) and a JSON value
//! that is no JSON-RPC message an invalid-request error (-32600), with its
//! id when it has one; an over-long line is dropped with an error too.
//! Nothing ever stops the server but the end of its input.

use std::sync::Arc;

use rmcp::RoleServer;
use rmcp::model::{ClientJsonRpcMessage, ErrorData, RequestId, ServerJsonRpcMessage};
use rmcp::service::{RxJsonRpcMessage, TxJsonRpcMessage};
use rmcp::transport::Transport;
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::sync::Mutex;

/// The longest line read; a longer one is dropped (and answered with an
/// error) without being held in memory.
pub const MAX_LINE_BYTES: usize = 16 << 20;

/// Newline-delimited JSON-RPC over `R` and `W`.
pub struct LineTransport<R, W> {
    reader: BufReader<R>,
    /// The line read so far; kept across cancelled reads (the SDK polls
    /// `receive` in a `select!`), never longer than [`MAX_LINE_BYTES`].
    line: Vec<u8>,
    /// Dropping the rest of an over-long line.
    discarding: bool,
    writer: Arc<Mutex<W>>,
}

/// What reading one line gave.
enum LineRead {
    /// A whole line is in `line` (without its newline).
    Line,
    /// A line over [`MAX_LINE_BYTES`] was dropped.
    Oversized,
    /// The end of the input.
    End,
}

impl<R, W> std::fmt::Debug for LineTransport<R, W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LineTransport").finish_non_exhaustive()
    }
}

impl<R: AsyncRead, W> LineTransport<R, W> {
    /// Reads messages from `reader`, writes them to `writer`.
    pub fn new(reader: R, writer: W) -> Self {
        Self {
            reader: BufReader::new(reader),
            line: Vec::new(),
            discarding: false,
            writer: Arc::new(Mutex::new(writer)),
        }
    }
}

impl<R: AsyncRead + Unpin, W> LineTransport<R, W> {
    /// Reads up to the next newline, holding at most [`MAX_LINE_BYTES`].
    /// Cancel-safe: what was read stays in `self.line`.
    async fn read_line(&mut self) -> std::io::Result<LineRead> {
        loop {
            let buffer = self.reader.fill_buf().await?;
            if buffer.is_empty() {
                // A last line without its newline still counts.
                return Ok(if self.line.is_empty() || self.discarding {
                    LineRead::End
                } else {
                    LineRead::Line
                });
            }
            let (chunk, newline) = match buffer.iter().position(|&b| b == b'\n') {
                Some(at) => (&buffer[..at], true),
                None => (buffer, false),
            };
            let taken = chunk.len() + usize::from(newline);
            if !self.discarding {
                if self.line.len() + chunk.len() > MAX_LINE_BYTES {
                    self.line = Vec::new();
                    self.discarding = true;
                } else {
                    self.line.extend_from_slice(chunk);
                }
            }
            self.reader.consume(taken);
            if newline {
                if std::mem::take(&mut self.discarding) {
                    return Ok(LineRead::Oversized);
                }
                return Ok(LineRead::Line);
            }
        }
    }
}

/// Writes one error answer; a failed write ends nothing here (the next
/// read or send notices a closed pipe).
async fn answer<W: AsyncWrite + Unpin>(writer: &Mutex<W>, error: ErrorData, id: Option<RequestId>) {
    let message = ServerJsonRpcMessage::error(error, id);
    let _ = write_line(writer, &message).await;
}

async fn write_line<W, T>(writer: &Mutex<W>, message: &T) -> std::io::Result<()>
where
    W: AsyncWrite + Unpin,
    T: serde::Serialize,
{
    let mut line = serde_json::to_vec(message).map_err(std::io::Error::other)?;
    line.push(b'\n');
    let mut writer = writer.lock().await;
    writer.write_all(&line).await?;
    writer.flush().await
}

/// How one line reads as a message.
enum Parsed {
    Message(Box<ClientJsonRpcMessage>),
    /// Blank: skipped.
    Nothing,
    /// Not JSON.
    NotJson(String),
    /// JSON, but no message of the protocol; its id if it had one.
    NotAMessage(String, Option<RequestId>),
}

fn parse(line: &str) -> Parsed {
    let line = line.trim();
    if line.is_empty() {
        return Parsed::Nothing;
    }
    let value: Value = match serde_json::from_str(line) {
        Ok(value) => value,
        Err(e) => return Parsed::NotJson(e.to_string()),
    };
    let id = value
        .get("id")
        .and_then(|id| serde_json::from_value::<RequestId>(id.clone()).ok());
    match serde_json::from_value::<ClientJsonRpcMessage>(value) {
        Ok(message) => Parsed::Message(Box::new(message)),
        Err(e) => Parsed::NotAMessage(e.to_string(), id),
    }
}

impl<R, W> Transport<RoleServer> for LineTransport<R, W>
where
    R: AsyncRead + Unpin + Send + 'static,
    W: AsyncWrite + Unpin + Send + 'static,
{
    type Error = std::io::Error;

    fn send(
        &mut self,
        item: TxJsonRpcMessage<RoleServer>,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send + 'static {
        let writer = self.writer.clone();
        async move { write_line(&writer, &item).await }
    }

    async fn receive(&mut self) -> Option<RxJsonRpcMessage<RoleServer>> {
        loop {
            match self.read_line().await {
                Ok(LineRead::Line) => {}
                Ok(LineRead::End) => return None,
                Ok(LineRead::Oversized) => {
                    tracing::warn!(target: "goru::mcp", "dropped a message over {MAX_LINE_BYTES} bytes");
                    let error = ErrorData::invalid_request(
                        format!("message longer than {MAX_LINE_BYTES} bytes; dropped"),
                        None,
                    );
                    answer(&self.writer, error, None).await;
                    continue;
                }
                Err(error) => {
                    tracing::warn!(target: "goru::mcp", %error, "reading the input failed");
                    return None;
                }
            }
            let bytes = std::mem::take(&mut self.line);
            let Ok(line) = std::str::from_utf8(&bytes) else {
                answer(
                    &self.writer,
                    ErrorData::parse_error("the message is not UTF-8 text", None),
                    None,
                )
                .await;
                continue;
            };
            match parse(line) {
                Parsed::Message(message) => return Some(*message),
                Parsed::Nothing => {}
                Parsed::NotJson(reason) => {
                    let error = ErrorData::parse_error(format!("not JSON: {reason}"), None);
                    answer(&self.writer, error, None).await;
                }
                Parsed::NotAMessage(reason, id) => {
                    let error = ErrorData::invalid_request(
                        format!("not a JSON-RPC 2.0 message of MCP: {reason}"),
                        None,
                    );
                    answer(&self.writer, error, id).await;
                }
            }
        }
    }

    async fn close(&mut self) -> Result<(), Self::Error> {
        self.writer.lock().await.shutdown().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_sorted_out() {
        assert!(matches!(parse("  "), Parsed::Nothing));
        assert!(matches!(parse("{nope"), Parsed::NotJson(_)));
        assert!(matches!(
            parse(r#"{"jsonrpc":"2.0","id":7,"method":42}"#),
            Parsed::NotAMessage(_, Some(RequestId::Number(7)))
        ));
        assert!(matches!(parse("[1, 2]"), Parsed::NotAMessage(_, None)));
        assert!(matches!(
            parse(r#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#),
            Parsed::Message(_)
        ));
    }
}
