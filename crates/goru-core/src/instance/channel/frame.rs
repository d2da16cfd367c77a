//! Framing on the host-call channel: a little-endian `u32` byte length, then
//! that many bytes of ASCII-only JSON.
//!
//! ASCII-only because QuickJS has no UTF-8 codec for byte buffers: with every
//! non-ASCII character escaped as `\uXXXX`, one JSON character is one byte in
//! both directions.

use serde_json::Value;

/// Bytes of the length prefix.
pub(crate) const HEADER_BYTES: usize = 4;

/// What the guest's writes have added up to so far.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Incoming {
    /// A whole frame's payload.
    Frame(Vec<u8>),
    /// A frame announced as `len` bytes, over the cap; its bytes are skipped.
    Oversized(usize),
}

/// Splits the guest's byte stream into frames without ever holding more than
/// one capped frame.
#[derive(Debug)]
pub(crate) struct FrameReader {
    cap: usize,
    header: Vec<u8>,
    state: State,
}

#[derive(Debug)]
enum State {
    Header,
    Body { len: usize, bytes: Vec<u8> },
    Skip { left: usize },
}

impl FrameReader {
    pub(crate) fn new(cap: usize) -> Self {
        Self {
            cap,
            header: Vec::with_capacity(HEADER_BYTES),
            state: State::Header,
        }
    }

    /// Consumes all of `buf`, pushing each completed frame onto `out`.
    pub(crate) fn feed(&mut self, mut buf: &[u8], out: &mut Vec<Incoming>) {
        while !buf.is_empty() {
            match &mut self.state {
                State::Header => {
                    let take = (HEADER_BYTES - self.header.len()).min(buf.len());
                    self.header.extend_from_slice(&buf[..take]);
                    buf = &buf[take..];
                    if self.header.len() == HEADER_BYTES {
                        let mut len_bytes = [0; HEADER_BYTES];
                        len_bytes.copy_from_slice(&self.header);
                        self.header.clear();
                        let len = u32::from_le_bytes(len_bytes) as usize;
                        self.state = if len > self.cap {
                            out.push(Incoming::Oversized(len));
                            State::Skip { left: len }
                        } else {
                            State::Body {
                                len,
                                bytes: Vec::with_capacity(len.min(64 * 1024)),
                            }
                        };
                    }
                }
                State::Body { len, bytes } => {
                    let take = (*len - bytes.len()).min(buf.len());
                    if bytes.capacity() - bytes.len() < take {
                        // Doubling as a Vec would, but never past the announced length: left
                        // to itself the Vec may grow to almost twice the cap.
                        let target = (bytes.capacity() * 2).clamp(bytes.len() + take, *len);
                        bytes.reserve_exact(target - bytes.len());
                    }
                    bytes.extend_from_slice(&buf[..take]);
                    buf = &buf[take..];
                }
                State::Skip { left } => {
                    let take = (*left).min(buf.len());
                    *left -= take;
                    buf = &buf[take..];
                }
            }
            self.finish_frame(out);
        }
        self.finish_frame(out);
    }

    fn finish_frame(&mut self, out: &mut Vec<Incoming>) {
        match &mut self.state {
            State::Body { len, bytes } if bytes.len() == *len => {
                out.push(Incoming::Frame(std::mem::take(bytes)));
                self.state = State::Header;
            }
            State::Skip { left: 0 } => self.state = State::Header,
            _ => {}
        }
    }
}

/// A frame carrying `payload` as ASCII-only JSON.
pub(crate) fn encode(payload: &Value) -> Vec<u8> {
    let json = payload.to_string();
    let mut frame = Vec::with_capacity(HEADER_BYTES + json.len());
    frame.extend_from_slice(&[0; HEADER_BYTES]);
    let mut units = [0u16; 2];
    for c in json.chars() {
        if c.is_ascii() {
            frame.push(c as u8);
        } else {
            // Non-ASCII characters only occur inside JSON strings, where a
            // \u escape means the same character.
            for unit in c.encode_utf16(&mut units) {
                frame.extend_from_slice(format!("\\u{unit:04x}").as_bytes());
            }
        }
    }
    let len = u32::try_from(frame.len() - HEADER_BYTES).unwrap_or(u32::MAX);
    frame[..HEADER_BYTES].copy_from_slice(&len.to_le_bytes());
    frame
}

#[cfg(test)]
mod proptests;

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn framed(payload: &[u8]) -> Vec<u8> {
        let mut f = (payload.len() as u32).to_le_bytes().to_vec();
        f.extend_from_slice(payload);
        f
    }

    #[test]
    fn frames_split_across_writes_are_reassembled() {
        let mut reader = FrameReader::new(100);
        let mut stream = framed(b"{\"a\":1}");
        stream.extend(framed(b"[]"));
        let mut out = Vec::new();
        for byte in &stream {
            reader.feed(std::slice::from_ref(byte), &mut out);
        }
        assert_eq!(
            out,
            vec![
                Incoming::Frame(b"{\"a\":1}".to_vec()),
                Incoming::Frame(b"[]".to_vec())
            ]
        );
    }

    #[test]
    fn an_empty_frame_is_a_frame() {
        let mut reader = FrameReader::new(100);
        let mut out = Vec::new();
        reader.feed(&framed(b""), &mut out);
        assert_eq!(out, vec![Incoming::Frame(Vec::new())]);
    }

    #[test]
    fn oversized_frames_are_reported_and_skipped_without_buffering() {
        let mut reader = FrameReader::new(4);
        let mut stream = framed(b"0123456789");
        stream.extend(framed(b"ok"));
        let mut out = Vec::new();
        reader.feed(&stream, &mut out);
        assert_eq!(
            out,
            vec![Incoming::Oversized(10), Incoming::Frame(b"ok".to_vec())]
        );
    }

    #[test]
    fn a_large_frame_grows_its_buffer_no_further_than_its_length() {
        // Found by the property test: doubling took this frame's buffer to 512 KiB.
        let len = 325_110;
        let mut reader = FrameReader::new(333_930);
        let mut out = Vec::new();
        for chunk in framed(&vec![7; len]).chunks(16_554) {
            reader.feed(chunk, &mut out);
            if let State::Body { bytes, .. } = &reader.state {
                assert!(bytes.capacity() <= len, "{} bytes", bytes.capacity());
            }
        }
        assert_eq!(out, vec![Incoming::Frame(vec![7; len])]);
    }

    #[test]
    fn encoding_escapes_everything_outside_ascii() {
        let frame = encode(&json!({"s": "é\u{1F600}\u{0}"}));
        let payload = &frame[HEADER_BYTES..];
        assert!(payload.is_ascii());
        assert_eq!(
            u32::from_le_bytes(frame[..4].try_into().unwrap()) as usize,
            payload.len()
        );
        let back: Value = serde_json::from_slice(payload).unwrap();
        assert_eq!(back, json!({"s": "é\u{1F600}\u{0}"}));
    }
}
