//! The guest's output on a terminal: text, colours and cursor movement
//! pass; every other control byte and escape sequence is shown as text
//! (`^[]52;c;...^G`), so a guest can neither make the terminal answer into
//! the user's shell (a title or status report), nor set the clipboard, the
//! title or a hyperlink, nor switch the terminal's modes (mouse reporting,
//! the alternate screen). Output to a pipe or a file is written untouched.

use std::io::{IsTerminal, Write};

use goru::{OutputChunk, OutputStream};

/// The longest control sequence let through; a longer one is shown as text.
const MAX_SEQUENCE: usize = 32;

/// Where the guest's stdout and stderr go, each filtered if it is a terminal.
#[derive(Debug)]
pub struct GuestOutput {
    stdout: Option<Filter>,
    stderr: Option<Filter>,
}

impl GuestOutput {
    /// Output to goru's own stdout and stderr, filtered where they are terminals.
    pub fn new() -> Self {
        Self {
            stdout: std::io::stdout().is_terminal().then(Filter::default),
            stderr: std::io::stderr().is_terminal().then(Filter::default),
        }
    }

    /// Writes a chunk of the guest's output; a closed pipe (`goru ... |
    /// head`) is not an error worth reporting, and the guest goes on.
    pub fn write(&mut self, chunk: &OutputChunk) {
        let _ = match chunk.stream {
            OutputStream::Stdout => {
                write_flush(&mut std::io::stdout().lock(), &mut self.stdout, &chunk.bytes)
            }
            OutputStream::Stderr => {
                write_flush(&mut std::io::stderr().lock(), &mut self.stderr, &chunk.bytes)
            }
        };
    }
}

impl Drop for GuestOutput {
    /// A sequence the guest left unfinished is shown as text.
    fn drop(&mut self) {
        if let Some(filter) = &mut self.stdout {
            let _ = write_all_flush(&mut std::io::stdout().lock(), &filter.finish());
        }
        if let Some(filter) = &mut self.stderr {
            let _ = write_all_flush(&mut std::io::stderr().lock(), &filter.finish());
        }
    }
}

fn write_flush(stream: &mut impl Write, filter: &mut Option<Filter>, bytes: &[u8]) -> std::io::Result<()> {
    match filter {
        Some(filter) => write_all_flush(stream, &filter.feed(bytes)),
        None => write_all_flush(stream, bytes),
    }
}

fn write_all_flush(stream: &mut impl Write, bytes: &[u8]) -> std::io::Result<()> {
    stream.write_all(bytes)?;
    stream.flush()
}

/// The filter of one stream: it keeps the start of a sequence (or of a
/// two-byte character) that a chunk ended in the middle of.
#[derive(Debug, Default)]
pub struct Filter {
    pending: Vec<u8>,
}

impl Filter {
    /// What to write for `bytes`, the next of the stream.
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(bytes.len());
        for &byte in bytes {
            self.push(byte, &mut out);
        }
        out
    }

    /// What to write at the end of the stream: an unfinished sequence, as text.
    pub fn finish(&mut self) -> Vec<u8> {
        let mut out = Vec::new();
        shown(&std::mem::take(&mut self.pending), &mut out);
        out
    }

    fn push(&mut self, byte: u8, out: &mut Vec<u8>) {
        match self.pending.first() {
            None => match byte {
                0x1b | 0xc2 => self.pending.push(byte),
                _ => shown(&[byte], out),
            },
            // A C1 control written in UTF-8 (U+0080 to U+009F: U+009B is a
            // CSI to some terminals).
            Some(0xc2) => {
                self.pending.clear();
                if (0x80..=0x9f).contains(&byte) {
                    out.extend_from_slice(format!("<U+{:04X}>", u32::from(byte)).as_bytes());
                } else {
                    out.push(0xc2);
                    self.push(byte, out);
                }
            }
            // ESC: only CSI (`ESC [`) sequences may pass.
            Some(_) if self.pending.len() == 1 && byte != b'[' => {
                shown(&std::mem::take(&mut self.pending), out);
                self.push(byte, out);
            }
            Some(_) => match byte {
                b'[' if self.pending.len() == 1 => self.pending.push(byte),
                // Parameters and intermediates: the sequence goes on.
                0x20..=0x3f if self.pending.len() < MAX_SEQUENCE => self.pending.push(byte),
                // The final byte.
                0x40..=0x7e => {
                    self.pending.push(byte);
                    if allowed_csi(&self.pending) {
                        out.append(&mut self.pending);
                    } else {
                        shown(&std::mem::take(&mut self.pending), out);
                    }
                }
                // Not a sequence after all: shown, and the byte judged anew.
                _ => {
                    shown(&std::mem::take(&mut self.pending), out);
                    self.push(byte, out);
                }
            },
        }
    }
}

/// Whether the complete CSI sequence `ESC [ ... final` may reach the
/// terminal: colours and text attributes (`m`), cursor movement (`A` to
/// `H`, `f`), erasing (`J`, `K`), and hiding or showing the cursor
/// (`?25l`, `?25h`), as progress bars use them. None of them makes the
/// terminal answer or changes a mode that outlives the run.
fn allowed_csi(sequence: &[u8]) -> bool {
    let (&last, body) = sequence.split_last().expect("ESC [ and a final byte");
    let parameters = &body[2..];
    match last {
        b'm' | b'A'..=b'H' | b'f' | b'J' | b'K' => {
            parameters.iter().all(|&b| b.is_ascii_digit() || b == b';')
        }
        b'h' | b'l' => parameters == b"?25",
        _ => false,
    }
}

/// `bytes` as a person should see them: control bytes in caret notation
/// (`^[` for ESC, `^G` for BEL), as `cat -v` shows them; line breaks, tabs,
/// carriage returns and backspaces as they are.
fn shown(bytes: &[u8], out: &mut Vec<u8>) {
    for &byte in bytes {
        match byte {
            b'\n' | b'\r' | b'\t' | 0x08 => out.push(byte),
            0x00..=0x1f => out.extend_from_slice(&[b'^', byte + 0x40]),
            0x7f => out.extend_from_slice(b"^?"),
            _ => out.push(byte),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filtered(chunks: &[&[u8]]) -> String {
        let mut filter = Filter::default();
        let mut out: Vec<u8> = chunks.iter().flat_map(|chunk| filter.feed(chunk)).collect();
        out.extend(filter.finish());
        String::from_utf8(out).expect("UTF-8")
    }

    #[test]
    fn text_colours_and_progress_bars_pass() {
        for text in [
            "plain text, naïve ünïcode ✓\n",
            "tab\tcr\rbackspace\x08\n",
            "\x1b[1;31mred\x1b[0m \x1b[m",
            "\x1b[2K\r[####    ] 50%\x1b[1A\x1b[10;20H\x1b[J",
            "\x1b[?25lworking\x1b[?25h",
        ] {
            assert_eq!(filtered(&[text.as_bytes()]), text);
        }
    }

    #[test]
    fn sequences_that_answer_or_reprogram_the_terminal_are_shown() {
        for (written, seen) in [
            ("\x1b]52;c;ZWNobyBoaQ==\x07", "^[]52;c;ZWNobyBoaQ==^G"), // clipboard
            ("\x1b]0;title\x1b\\", "^[]0;title^[\\"),                 // window title
            ("\x1b[21t", "^[[21t"),                                   // report the title
            ("\x1b[6n", "^[[6n"),                                     // report the cursor
            ("\x1b[c", "^[[c"),                                       // device attributes
            ("\x1b[?1000h", "^[[?1000h"),                             // mouse reporting
            ("\x1bP+q544e\x1b\\", "^[P+q544e^[\\"),                   // DCS query
            ("\x1b[1;31", "^[[1;31"),                                 // unfinished
            ("a\x00b\x7fc\x07", "a^@b^?c^G"),
            ("\u{9b}6n", "<U+009B>6n"), // an 8-bit CSI in UTF-8
        ] {
            assert_eq!(filtered(&[written.as_bytes()]), seen, "{written:?}");
        }
        let long = format!("\x1b[{}m", "1;".repeat(40));
        assert!(filtered(&[long.as_bytes()]).starts_with("^[[1;1;"));
    }

    #[test]
    fn sequences_split_across_chunks_are_judged_whole() {
        assert_eq!(filtered(&[b"\x1b", b"[3", b"2mgreen"]), "\x1b[32mgreen");
        assert_eq!(filtered(&[b"\x1b", b"]0;x\x07"]), "^[]0;x^G");
        assert_eq!(filtered(&[b"\xc2", b"\x9b", b"\xc2", b"\xa9"]), "<U+009B>©");
        // A sequence cut short by another, or by a C1 control.
        assert_eq!(filtered(&[b"\x1b[1\x1b[31mx"]), "^[[1\x1b[31mx");
        assert_eq!(filtered(&[b"\x1b[\xc2\x9b6n"]), "^[[<U+009B>6n");
    }
}
