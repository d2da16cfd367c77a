//! Framing on the host-call channel: a little-endian `u32` byte length, then
//! that many bytes of ASCII-only JSON.
//!
//! ASCII-only because QuickJS has no UTF-8 codec for byte buffers: with every
//! non-ASCII character escaped as `\uXXXX`, one JSON character is one byte in
//! both directions.

use std::io::{self, Write};

use serde::Serialize;

/// Bytes of the length prefix.
pub(crate) const HEADER_BYTES: usize = 4;

/// A whole frame the guest has written.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Incoming {
    /// The frame's payload.
    Frame(Vec<u8>),
    /// A frame announced as `len` bytes, over the cap; its bytes were skipped.
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
    Skip { len: usize, left: usize },
}

impl FrameReader {
    pub(crate) fn new(cap: usize) -> Self {
        Self {
            cap,
            header: Vec::with_capacity(HEADER_BYTES),
            state: State::Header,
        }
    }

    /// Consumes `buf` up to the end of the first frame it completes, and
    /// returns how many bytes it took and that frame. The caller decides
    /// whether the rest may follow (the channel takes no new frame until the
    /// last reply was read).
    pub(crate) fn feed(&mut self, buf: &[u8]) -> (usize, Option<Incoming>) {
        let mut taken = 0;
        loop {
            if let Some(frame) = self.finish_frame() {
                return (taken, Some(frame));
            }
            let rest = &buf[taken..];
            if rest.is_empty() {
                return (taken, None);
            }
            taken += match &mut self.state {
                State::Header => {
                    let take = (HEADER_BYTES - self.header.len()).min(rest.len());
                    self.header.extend_from_slice(&rest[..take]);
                    if self.header.len() == HEADER_BYTES {
                        let mut len_bytes = [0; HEADER_BYTES];
                        len_bytes.copy_from_slice(&self.header);
                        self.header.clear();
                        let len = u32::from_le_bytes(len_bytes) as usize;
                        self.state = if len > self.cap {
                            State::Skip { len, left: len }
                        } else {
                            // Grown as bytes arrive, never past `len`: a
                            // frame announced but not sent costs nothing.
                            State::Body {
                                len,
                                bytes: Vec::new(),
                            }
                        };
                    }
                    take
                }
                State::Body { len, bytes } => {
                    let take = (*len - bytes.len()).min(rest.len());
                    reserve_within(bytes, take, *len);
                    bytes.extend_from_slice(&rest[..take]);
                    take
                }
                State::Skip { left, .. } => {
                    let take = (*left).min(rest.len());
                    *left -= take;
                    take
                }
            };
        }
    }

    fn finish_frame(&mut self) -> Option<Incoming> {
        let frame = match &mut self.state {
            State::Body { len, bytes } if bytes.len() == *len => Incoming::Frame(std::mem::take(bytes)),
            State::Skip { len, left: 0 } => Incoming::Oversized(*len),
            _ => return None,
        };
        self.state = State::Header;
        Some(frame)
    }
}

/// Writes `value` as ASCII-only JSON at the end of `out`, which may not grow
/// past `limit` bytes: the bytes are counted as they are produced, so a value
/// too large for the limit is never written out whole. On `Err` `out` holds
/// a partial value and must be discarded.
pub(crate) fn write_json(value: &impl Serialize, out: &mut Vec<u8>, limit: usize) -> Result<(), OverLimit> {
    let mut writer = Capped { out, limit };
    value
        .serialize(&mut serde_json::Serializer::with_formatter(
            &mut writer,
            AsciiOnly,
        ))
        .map_err(|_| OverLimit)
}

/// The value's JSON would pass the limit given to [`write_json`].
#[derive(Debug)]
pub(crate) struct OverLimit;

/// A frame carrying `payload` as ASCII-only JSON; for replies the host
/// composes itself, which are small.
pub(crate) fn encode(payload: &impl Serialize) -> Vec<u8> {
    let mut frame = vec![0; HEADER_BYTES];
    write_json(payload, &mut frame, usize::MAX).expect("a Vec takes any amount of JSON");
    let len = header(frame.len() - HEADER_BYTES);
    frame[..HEADER_BYTES].copy_from_slice(&len);
    frame
}

/// The header of a frame whose payload is `len` bytes.
pub(crate) fn header(len: usize) -> [u8; HEADER_BYTES] {
    u32::try_from(len).unwrap_or(u32::MAX).to_le_bytes()
}

/// Makes room in `bytes` for `extra` more, doubling as a `Vec` does but never
/// past `max` bytes of capacity.
fn reserve_within(bytes: &mut Vec<u8>, extra: usize, max: usize) {
    if bytes.capacity() - bytes.len() < extra {
        let want = bytes
            .capacity()
            .saturating_mul(2)
            .max(bytes.len() + extra)
            .min(max.max(bytes.len() + extra));
        bytes.reserve_exact(want - bytes.len());
    }
}

/// A writer into a `Vec` that refuses to go past `limit` bytes.
struct Capped<'a> {
    out: &'a mut Vec<u8>,
    limit: usize,
}

impl Write for Capped<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.limit - self.out.len().min(self.limit) < buf.len() {
            return Err(io::Error::other("over the limit"));
        }
        reserve_within(self.out, buf.len(), self.limit);
        self.out.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Compact JSON with every character outside ASCII written as a `\u` escape
/// (two for characters outside the Basic Multilingual Plane). Non-ASCII
/// characters only occur inside JSON strings, where the escape means the
/// same character.
struct AsciiOnly;

impl serde_json::ser::Formatter for AsciiOnly {
    fn write_string_fragment<W: ?Sized + Write>(&mut self, writer: &mut W, fragment: &str) -> io::Result<()> {
        // Replies are mostly ASCII: such a fragment is written whole.
        if fragment.is_ascii() {
            return writer.write_all(fragment.as_bytes());
        }
        let mut plain = 0;
        for (at, c) in fragment.char_indices() {
            if !c.is_ascii() {
                writer.write_all(&fragment.as_bytes()[plain..at])?;
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    write!(writer, "\\u{unit:04x}")?;
                }
                plain = at + c.len_utf8();
            }
        }
        writer.write_all(&fragment.as_bytes()[plain..])
    }
}

#[cfg(test)]
mod proptests;

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn framed(payload: &[u8]) -> Vec<u8> {
        let mut f = (payload.len() as u32).to_le_bytes().to_vec();
        f.extend_from_slice(payload);
        f
    }

    /// Feeds all of `stream`, as a guest that reads every reply would.
    fn frames(reader: &mut FrameReader, mut stream: &[u8]) -> Vec<Incoming> {
        let mut out = Vec::new();
        loop {
            let (taken, frame) = reader.feed(stream);
            stream = &stream[taken..];
            match frame {
                Some(frame) => out.push(frame),
                None => return out,
            }
        }
    }

    #[test]
    fn frames_split_across_writes_are_reassembled() {
        let mut reader = FrameReader::new(100);
        let mut stream = framed(b"{\"a\":1}");
        stream.extend(framed(b"[]"));
        let mut out = Vec::new();
        for byte in &stream {
            out.extend(frames(&mut reader, std::slice::from_ref(byte)));
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
    fn feeding_stops_at_the_end_of_the_first_whole_frame() {
        let mut reader = FrameReader::new(100);
        let mut stream = framed(b"one");
        let first = stream.len();
        stream.extend(framed(b"two"));
        assert_eq!(
            reader.feed(&stream),
            (first, Some(Incoming::Frame(b"one".to_vec())))
        );
        assert_eq!(
            reader.feed(&stream[first..]),
            (stream.len() - first, Some(Incoming::Frame(b"two".to_vec())))
        );
        assert_eq!(reader.feed(&[]), (0, None));
    }

    #[test]
    fn an_empty_frame_is_a_frame() {
        let mut reader = FrameReader::new(100);
        assert_eq!(
            frames(&mut reader, &framed(b"")),
            vec![Incoming::Frame(Vec::new())]
        );
    }

    #[test]
    fn oversized_frames_are_reported_once_skipped_without_buffering() {
        let mut reader = FrameReader::new(4);
        let stream = framed(b"0123456789");
        assert_eq!(reader.feed(&stream[..8]), (8, None), "not before its end");
        let mut rest = stream[8..].to_vec();
        rest.extend(framed(b"ok"));
        assert_eq!(
            frames(&mut reader, &rest),
            vec![Incoming::Oversized(10), Incoming::Frame(b"ok".to_vec())]
        );
    }

    #[test]
    fn a_frame_body_never_reserves_more_than_its_length() {
        let mut reader = FrameReader::new(1 << 20);
        let payload = vec![b'x'; 100_000];
        let stream = framed(&payload);
        reader.feed(&stream[..HEADER_BYTES + 1]);
        for chunk in stream[HEADER_BYTES + 1..].chunks(7_000) {
            reader.feed(chunk);
            if let State::Body { bytes, .. } = &reader.state {
                assert!(bytes.capacity() <= payload.len());
            }
        }
        assert!(matches!(reader.state, State::Header));
    }

    #[test]
    fn encoding_escapes_everything_outside_ascii() {
        let frame = encode(&json!({"s": "é\u{1F600}\u{0}", "é": 1}));
        let payload = &frame[HEADER_BYTES..];
        assert!(payload.is_ascii());
        assert_eq!(
            u32::from_le_bytes(frame[..4].try_into().unwrap()) as usize,
            payload.len()
        );
        let back: Value = serde_json::from_slice(payload).unwrap();
        assert_eq!(back, json!({"s": "é\u{1F600}\u{0}", "é": 1}));
    }

    #[test]
    fn json_past_the_limit_is_refused_while_written() {
        let mut out = Vec::new();
        assert!(write_json(&json!("0123456789"), &mut out, 12).is_ok());
        assert_eq!(out, b"\"0123456789\"");
        let mut out = Vec::new();
        assert!(write_json(&json!(["x".repeat(1000)]), &mut out, 100).is_err());
        assert!(out.capacity() <= 100);
    }
}
