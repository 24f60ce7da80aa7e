//! A running program's output: read line by line as it comes, each line
//! logged with the caller's tag, the last lines kept for status, and the
//! whole stream captured when the caller asked for it; and its input, fed
//! from a buffer.

use std::collections::VecDeque;
use std::fmt;
use std::io;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::unix::pipe;

/// Longest line logged and kept as one; longer ones are cut into pieces
/// of this many bytes.
const MAX_LINE: u64 = 4096;

/// Which output stream a line came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Stream {
    /// Standard output.
    Stdout,
    /// Standard error.
    Stderr,
}

impl fmt::Display for Stream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Stream::Stdout => "stdout",
            Stream::Stderr => "stderr",
        })
    }
}

/// One line a program wrote, without its line end (invalid UTF-8 replaced).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// Where it was written.
    pub stream: Stream,
    /// What was written.
    pub text: String,
}

/// What the readers collected for the outcome.
#[derive(Debug, Default)]
pub(crate) struct Sink {
    /// The last lines of both streams, in the order they were read.
    pub(crate) tail: VecDeque<Line>,
    /// How many lines `tail` keeps.
    pub(crate) keep: usize,
    /// Whole streams, for those captured.
    pub(crate) stdout: Vec<u8>,
    pub(crate) stderr: Vec<u8>,
    /// The outcome was taken: lines from now on are only logged.
    pub(crate) closed: bool,
}

impl Sink {
    pub(crate) fn new(keep: usize) -> Arc<Mutex<Sink>> {
        Arc::new(Mutex::new(Sink {
            keep,
            ..Sink::default()
        }))
    }

    fn record(&mut self, stream: Stream, bytes: &[u8], text: &str, capture: bool) {
        if self.closed {
            return;
        }
        if capture {
            match stream {
                Stream::Stdout => self.stdout.extend_from_slice(bytes),
                Stream::Stderr => self.stderr.extend_from_slice(bytes),
            }
        }
        if self.keep > 0 {
            if self.tail.len() == self.keep {
                self.tail.pop_front();
            }
            self.tail.push_back(Line {
                stream,
                text: text.to_string(),
            });
        }
    }
}

pub(crate) fn lock(sink: &Mutex<Sink>) -> MutexGuard<'_, Sink> {
    sink.lock().unwrap_or_else(PoisonError::into_inner)
}

/// How one output stream is read.
#[derive(Debug, Clone)]
pub(crate) struct Reader {
    pub(crate) stream: Stream,
    pub(crate) tag: Arc<str>,
    pub(crate) level: log::Level,
    pub(crate) capture: bool,
    pub(crate) sink: Arc<Mutex<Sink>>,
}

impl Reader {
    /// Reads `pipe` to its end, line by line.
    pub(crate) async fn read(self, pipe: pipe::Receiver) {
        let mut pipe = BufReader::new(pipe);
        let mut bytes = Vec::new();
        loop {
            bytes.clear();
            match (&mut pipe)
                .take(MAX_LINE)
                .read_until(b'\n', &mut bytes)
                .await
            {
                Ok(0) => return,
                Ok(_) => self.line(&bytes),
                Err(e) => {
                    log::debug!("{}: reading {}: {e}", self.tag, self.stream);
                    return;
                }
            }
        }
    }

    fn line(&self, bytes: &[u8]) {
        let text = String::from_utf8_lossy(bytes);
        let text = text.trim_end_matches(['\n', '\r']);
        match self.stream {
            Stream::Stdout => log::log!(self.level, "{}: {text}", self.tag),
            Stream::Stderr => log::log!(self.level, "{} (stderr): {text}", self.tag),
        }
        lock(&self.sink).record(self.stream, bytes, text, self.capture);
    }
}

/// Writes `input` to the program's stdin and closes it. A program that
/// stops reading is not an error.
pub(crate) async fn feed(mut pipe: pipe::Sender, input: Arc<[u8]>, tag: Arc<str>) {
    match pipe.write_all(&input).await {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {}
        Err(e) => log::debug!("{tag}: writing stdin: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tail_keeps_the_last_lines_and_capture_keeps_everything() {
        let sink = Sink::new(2);
        let mut sink = lock(&sink);
        sink.record(Stream::Stdout, b"one\n", "one", true);
        sink.record(Stream::Stderr, b"two\n", "two", true);
        sink.record(Stream::Stdout, b"three", "three", true);
        let texts: Vec<&str> = sink.tail.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(texts, ["two", "three"]);
        assert_eq!(sink.stdout, b"one\nthree");
        assert_eq!(sink.stderr, b"two\n");
        sink.closed = true;
        sink.record(Stream::Stdout, b"late\n", "late", true);
        assert_eq!(sink.stdout, b"one\nthree");
    }
}
