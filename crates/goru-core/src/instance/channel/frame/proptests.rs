//! Property tests of the frame reader: whatever the guest writes, in whatever pieces, the reader
//! never panics, never holds more than one capped frame, and splits the stream exactly as a
//! whole-stream model of the protocol does.

use proptest::collection::vec;
use proptest::prelude::*;

use super::{FrameReader, HEADER_BYTES, Incoming, State};

/// The protocol read off the whole stream at once: a frame over the cap is skipped and reported
/// once all its bytes have gone by; a trailing partial frame yields nothing.
fn model(stream: &[u8], cap: usize) -> Vec<Incoming> {
    let mut out = Vec::new();
    let mut rest = stream;
    while let Some((header, after)) = rest.split_first_chunk::<HEADER_BYTES>() {
        let len = u32::from_le_bytes(*header) as usize;
        if len > cap {
            if after.len() < len {
                break;
            }
            out.push(Incoming::Oversized(len));
            rest = &after[len..];
        } else if let Some((payload, after)) = after.split_at_checked(len) {
            out.push(Incoming::Frame(payload.to_vec()));
            rest = after;
        } else {
            break;
        }
    }
    out
}

/// Bytes the reader holds for frames not yet complete, counting allocated capacity.
fn held(reader: &FrameReader) -> usize {
    let body = match &reader.state {
        State::Body { bytes, .. } => bytes.capacity(),
        State::Header | State::Skip { .. } => 0,
    };
    reader.header.capacity() + body
}

fn framed(len: u32, body: &[u8]) -> Vec<u8> {
    let mut frame = len.to_le_bytes().to_vec();
    frame.extend_from_slice(body);
    frame
}

/// Pieces of a hostile stream: raw garbage, headers whose body does not match (too short, too
/// long, over the cap, the largest `u32`), and well-formed frames, in any order.
fn piece(cap: usize) -> impl Strategy<Value = Vec<u8>> {
    let cap = u32::try_from(cap).unwrap_or(u32::MAX);
    let announced = prop_oneof![
        0..=cap,
        cap.saturating_add(1)..=cap.saturating_add(64),
        Just(u32::MAX),
    ];
    prop_oneof![
        vec(any::<u8>(), 0..16),
        (announced, vec(any::<u8>(), 0..48)).prop_map(|(len, body)| framed(len, &body)),
        vec(any::<u8>(), 0..=cap as usize).prop_map(|body| framed(body.len() as u32, &body)),
    ]
}

fn stream(cap: usize) -> impl Strategy<Value = Vec<u8>> {
    vec(piece(cap), 0..12).prop_map(|pieces| pieces.concat())
}

/// Feeds `stream` in writes of the given sizes (cycled), checking the bound after each write.
fn feed_in_chunks(
    reader: &mut FrameReader,
    stream: &[u8],
    sizes: &[usize],
    bound: usize,
) -> Result<Vec<Incoming>, TestCaseError> {
    let mut out = Vec::new();
    let mut rest = stream;
    for &size in sizes.iter().cycle() {
        if rest.is_empty() {
            break;
        }
        let (chunk, after) = rest.split_at(size.min(rest.len()));
        let mut chunk = chunk;
        loop {
            let (taken, frame) = reader.feed(chunk);
            chunk = &chunk[taken..];
            match frame {
                Some(frame) => out.push(frame),
                None => break,
            }
        }
        prop_assert!(
            held(reader) <= bound,
            "holds {} bytes, bound {}",
            held(reader),
            bound
        );
        rest = after;
    }
    Ok(out)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn any_chunking_of_any_stream_reads_as_the_model_says(
        (cap, stream) in (0usize..64).prop_flat_map(|cap| (Just(cap), stream(cap))),
        sizes in vec(1usize..40, 1..16),
    ) {
        let mut reader = FrameReader::new(cap);
        let out = feed_in_chunks(&mut reader, &stream, &sizes, HEADER_BYTES + cap)?;
        prop_assert_eq!(out, model(&stream, cap));
    }

    #[test]
    fn a_valid_frame_after_whole_frames_of_garbage_is_read(
        cap in 1usize..64,
        garbage in vec((any::<u32>(), any::<u8>()), 0..8),
        payload in vec(any::<u8>(), 0..64),
        sizes in vec(1usize..40, 1..16),
    ) {
        let payload = &payload[..payload.len().min(cap)];
        // Frames whose headers tell their true length, some over the cap.
        let lens: Vec<usize> = garbage.iter().map(|(len, _)| *len as usize % (2 * cap + 1)).collect();
        let mut stream: Vec<u8> = lens
            .iter()
            .zip(&garbage)
            .flat_map(|(&len, &(_, byte))| framed(len as u32, &vec![byte; len]))
            .collect();
        stream.extend(framed(payload.len() as u32, payload));
        let mut reader = FrameReader::new(cap);
        let out = feed_in_chunks(&mut reader, &stream, &sizes, HEADER_BYTES + cap)?;
        let oversized = lens.iter().filter(|&&len| len > cap).count();
        prop_assert_eq!(out.len(), garbage.len() + 1);
        prop_assert_eq!(
            out.iter().filter(|i| matches!(i, Incoming::Oversized(_))).count(),
            oversized
        );
        prop_assert_eq!(out.last(), Some(&Incoming::Frame(payload.to_vec())));
        prop_assert!(matches!(reader.state, State::Header));
    }
}

proptest! {
    // Large frames are slow to generate; fewer cases cover the growth of the buffer.
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// A frame too large to preallocate grows its buffer as it arrives, never past the cap.
    #[test]
    fn a_large_frame_never_holds_more_than_the_cap(
        (cap, len) in ((64usize << 10)..(512 << 10)).prop_flat_map(|cap| (Just(cap), (64 << 10)..=cap)),
        sizes in vec(1usize..(96 << 10), 1..8),
    ) {
        let stream = framed(len as u32, &vec![7; len]);
        let mut reader = FrameReader::new(cap);
        let out = feed_in_chunks(&mut reader, &stream, &sizes, HEADER_BYTES + cap)?;
        prop_assert_eq!(out, vec![Incoming::Frame(vec![7; len])]);
    }
}
