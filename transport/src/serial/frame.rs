//! heartbeat's framing on a serial line.
//!
//! A message travels as heartbeat's classic text: a `>>>` line, one
//! `name=value` line per field, a `<<<` line, each ended by `\n`
//! (cluster-glue's MSG_START and MSG_END). heartbeat's serial plugin only
//! ever writes this form: it turns a netstring message into it before
//! writing (`serial_write`).
//!
//! [`fragments`] cuts a frame into the pieces heartbeat writes, of at most
//! [`FRAGSIZE`] bytes. [`Decoder`] reads the byte stream back into frames as
//! heartbeat's `serial_read` and `ttygets` do:
//!
//! - the line is read with ISTRIP and IGNCR: the eighth bit of each byte is
//!   cleared and carriage returns are dropped (the decoder does it too, so a
//!   line without those settings reads the same);
//! - lines before one that begins with `>>>` are skipped: garbage between
//!   frames, a frame whose start was lost, the noise of a cable plugged in;
//! - then every line up to and including one that begins with `<<<` is
//!   the frame;
//! - a frame longer than [`MAX_FRAME_LEN`] is dropped whole.
//!
//! One difference: heartbeat keeps a `>>>` line met inside a frame as
//! content, so a frame whose end was lost spoils the next one too; here it
//! starts the frame afresh, so only the broken one is lost.

use super::baud::FRAGSIZE;
use crate::medium::MAX_DATAGRAM_LEN;

/// The line that opens a frame (cluster-glue's MSG_START).
pub const START: &[u8] = b">>>\n";

/// The line that closes a frame (cluster-glue's MSG_END).
pub const END: &[u8] = b"<<<\n";

/// The longest frame read or written: the largest datagram a medium carries.
pub const MAX_FRAME_LEN: usize = MAX_DATAGRAM_LEN;

/// Whether `frame` is a whole frame as heartbeat writes it: `>>>\n` first,
/// `<<<\n` last, and no longer than [`MAX_FRAME_LEN`].
pub fn is_frame(frame: &[u8]) -> bool {
    frame.len() >= START.len() + END.len()
        && frame.len() <= MAX_FRAME_LEN
        && frame.starts_with(START)
        && frame.ends_with(END)
}

/// The pieces heartbeat writes one after the other, pausing between them:
/// [`FRAGSIZE`] bytes each, the last one shorter.
pub fn fragments(frame: &[u8]) -> impl Iterator<Item = &[u8]> {
    frame.chunks(FRAGSIZE)
}

/// Where the decoder is in the stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Skipping lines until one begins with `>>>`.
    Hunting,
    /// Inside a frame: collecting lines until one begins with `<<<`.
    InFrame,
    /// The frame grew too long: skipping until its `<<<` line.
    Overlong,
}

/// Reads frames out of a byte stream fed in pieces of any size.
#[derive(Debug)]
pub struct Decoder {
    state: State,
    /// The line being read, without its `\n`.
    line: Vec<u8>,
    /// The frame being read: the lines so far, each with its `\n`.
    frame: Vec<u8>,
    /// Bytes skipped outside frames (and in dropped frames) so far.
    skipped: u64,
}

impl Default for Decoder {
    fn default() -> Self {
        Decoder::new()
    }
}

impl Decoder {
    /// A decoder at the start of a stream, looking for a frame.
    pub fn new() -> Self {
        Decoder {
            state: State::Hunting,
            line: Vec::new(),
            frame: Vec::new(),
            skipped: 0,
        }
    }

    /// Reads `bytes`, passing each whole frame to `emit` as it completes
    /// (from `>>>\n` through `<<<\n`, the start and end lines as received).
    pub fn feed(&mut self, bytes: &[u8], emit: &mut impl FnMut(&[u8])) {
        for &byte in bytes {
            // ISTRIP, then IGNCR.
            let byte = byte & 0x7f;
            if byte == b'\r' {
                continue;
            }
            if byte != b'\n' {
                if self.line.len() <= MAX_FRAME_LEN {
                    self.line.push(byte);
                }
                continue;
            }
            self.end_of_line(emit);
        }
    }

    /// How many bytes were skipped so far: garbage between frames and the
    /// bytes of dropped frames.
    pub fn skipped(&self) -> u64 {
        self.skipped
    }

    /// Whether the decoder is inside a frame (or a line), waiting for more.
    pub fn is_mid_frame(&self) -> bool {
        self.state != State::Hunting || !self.line.is_empty()
    }

    fn end_of_line(&mut self, emit: &mut impl FnMut(&[u8])) {
        let line = std::mem::take(&mut self.line);
        let starts = line.starts_with(&START[..3]);
        let ends = line.starts_with(&END[..3]);
        match self.state {
            State::Hunting | State::Overlong if starts => self.begin(&line),
            State::Hunting => self.skip(line.len() + 1),
            State::Overlong => {
                self.skip(line.len() + 1);
                if ends {
                    self.state = State::Hunting;
                }
            }
            State::InFrame if starts => {
                self.skip(self.frame.len());
                self.begin(&line);
            }
            State::InFrame => {
                if self.frame.len() + line.len() + 1 > MAX_FRAME_LEN {
                    self.skip(self.frame.len() + line.len() + 1);
                    self.frame.clear();
                    self.state = if ends {
                        State::Hunting
                    } else {
                        State::Overlong
                    };
                    return;
                }
                self.push_line(&line);
                if ends {
                    emit(&self.frame);
                    self.frame.clear();
                    self.state = State::Hunting;
                }
            }
        }
        self.line = line;
        self.line.clear();
    }

    fn begin(&mut self, line: &[u8]) {
        self.frame.clear();
        if line.len() + 1 > MAX_FRAME_LEN {
            self.skip(line.len() + 1);
            self.state = State::Overlong;
            return;
        }
        self.push_line(line);
        self.state = State::InFrame;
    }

    fn push_line(&mut self, line: &[u8]) {
        self.frame.extend_from_slice(line);
        self.frame.push(b'\n');
    }

    fn skip(&mut self, count: usize) {
        self.skipped = self.skipped.saturating_add(count as u64);
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn decode_all(chunks: &[&[u8]]) -> (Vec<Vec<u8>>, Decoder) {
        let mut decoder = Decoder::new();
        let mut frames = Vec::new();
        for chunk in chunks {
            decoder.feed(chunk, &mut |f| frames.push(f.to_vec()));
        }
        (frames, decoder)
    }

    fn frame(fields: &[&str]) -> Vec<u8> {
        let mut out = START.to_vec();
        for field in fields {
            out.extend_from_slice(field.as_bytes());
            out.push(b'\n');
        }
        out.extend_from_slice(END);
        out
    }

    #[test]
    fn one_frame_reads_back_whole() {
        let sent = frame(&["t=status", "src=alpha", "auth=1 abc"]);
        assert!(is_frame(&sent));
        let (frames, decoder) = decode_all(&[&sent]);
        assert_eq!(frames, [sent]);
        assert_eq!(decoder.skipped(), 0);
        assert!(!decoder.is_mid_frame());
    }

    #[test]
    fn garbage_between_frames_is_skipped() {
        let first = frame(&["t=status", "seq=1"]);
        let second = frame(&["t=status", "seq=2"]);
        let mut stream = b"line noise\n\xff\xfe<<<\n=x\n".to_vec();
        stream.extend_from_slice(&first);
        stream.extend_from_slice(b"garbage without a newline, then");
        stream.extend_from_slice(b"\n");
        stream.extend_from_slice(&second);
        let (frames, decoder) = decode_all(&[&stream]);
        assert_eq!(frames, [first, second]);
        assert!(decoder.skipped() > 0);
    }

    #[test]
    fn carriage_returns_and_the_eighth_bit_are_dropped() {
        let (frames, _) = decode_all(&[b">>>\r\nt=st\xe1tus\r\n<<<\r\n"]);
        assert_eq!(frames, [b">>>\nt=status\n<<<\n".to_vec()]);
    }

    #[test]
    fn a_frame_cut_short_loses_only_itself() {
        let good = frame(&["t=status", "seq=2"]);
        let mut stream = b">>>\nt=status\nseq=1\n".to_vec();
        stream.extend_from_slice(&good);
        let (frames, decoder) = decode_all(&[&stream]);
        assert_eq!(frames, [good]);
        assert_eq!(decoder.skipped(), 19);
    }

    #[test]
    fn a_frame_too_long_is_dropped_and_the_next_one_read() {
        let long = "x".repeat(MAX_FRAME_LEN);
        let mut stream = frame(&[&long]);
        let good = frame(&["t=status"]);
        stream.extend_from_slice(&good);
        let (frames, _) = decode_all(&[&stream]);
        assert_eq!(frames, [good]);
    }

    #[test]
    fn fragments_are_fragsize_bytes() {
        let big = frame(&[&"y".repeat(1200)]);
        let sizes: Vec<usize> = fragments(&big).map(<[u8]>::len).collect();
        assert_eq!(sizes, [512, 512, big.len() - 1024]);
        assert_eq!(fragments(&frame(&["t=x"])).count(), 1);
    }

    fn field_line() -> impl Strategy<Value = String> {
        // What a field line can hold: no newline, not a marker line.
        "[a-z_]{1,8}=[ -~]{0,40}"
    }

    proptest! {
        #[test]
        fn frames_survive_any_split(
            messages in prop::collection::vec(prop::collection::vec(field_line(), 0..8), 1..5),
            garbage in prop::collection::vec("[ -=?-~]{0,30}\n", 5),
            cuts in prop::collection::vec(0usize..2000, 0..10),
        ) {
            let mut stream = Vec::new();
            let mut sent = Vec::new();
            for (fields, noise) in messages.iter().zip(garbage.iter().cycle()) {
                stream.extend_from_slice(noise.as_bytes());
                let fields: Vec<&str> = fields.iter().map(String::as_str).collect();
                let one = frame(&fields);
                stream.extend_from_slice(&one);
                sent.push(one);
            }
            let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c % (stream.len() + 1)).collect();
            cuts.sort_unstable();
            let mut pieces = Vec::new();
            let mut at = 0;
            for cut in cuts {
                pieces.push(&stream[at..cut]);
                at = cut;
            }
            pieces.push(&stream[at..]);
            let (frames, decoder) = decode_all(&pieces);
            prop_assert_eq!(frames, sent);
            prop_assert!(!decoder.is_mid_frame());
        }

        #[test]
        fn any_bytes_decode_without_panic(bytes in prop::collection::vec(any::<u8>(), 0..4000)) {
            let (frames, _) = decode_all(&[&bytes]);
            for frame in frames {
                prop_assert!(frame.starts_with(b">>>"));
                prop_assert!(frame.ends_with(b"\n"));
            }
        }
    }
}
