//! Logical lines of haresources: comments removed, `\` continuations joined.
//!
//! heartbeat's ResourceManager strips everything from `#` to the end of a
//! line, then joins a line ending in `\` to the next one by removing the
//! backslash and the newline, with nothing put in between (`a\` + `b` reads
//! `ab`). A continuation only counts when `\` is the very last character, so
//! `\` followed by blanks (often `\ # note`) does not continue the line there;
//! we refuse that instead of guessing. Each joined piece remembers the
//! physical line it came from so that errors point at the right line.

use ha_conf::{ConfigError, Line, Location, Source};

/// One resource-group line after joining, with a map back to physical lines.
#[derive(Debug)]
pub(super) struct LogicalLine<'a> {
    /// The first physical line (where the group starts).
    pub first: Line<'a>,
    /// The joined text, comments and continuation backslashes removed.
    pub text: String,
    /// `(byte offset in text, physical line)` for each joined piece, ascending.
    pieces: Vec<(usize, Line<'a>)>,
}

impl<'a> LogicalLine<'a> {
    fn start(line: Line<'a>) -> Self {
        LogicalLine {
            first: line,
            text: String::new(),
            pieces: Vec::new(),
        }
    }

    fn append(&mut self, line: Line<'a>, content: &str) {
        self.pieces.push((self.text.len(), line));
        self.text.push_str(content);
    }

    /// The physical line that holds byte `offset` of the joined text.
    pub fn line_at(&self, offset: usize) -> Line<'a> {
        self.pieces
            .iter()
            .rev()
            .find(|(start, _)| *start <= offset)
            .map_or(self.first, |(_, line)| *line)
    }

    /// The location of byte `offset` of the joined text.
    pub fn location_at(&self, offset: usize) -> Location {
        self.line_at(offset).location()
    }

    /// The whitespace-separated words of the line with their byte offsets.
    pub fn words(&self) -> impl Iterator<Item = (usize, &str)> + '_ {
        let text = self.text.as_str();
        text.split(|c: char| c.is_ascii_whitespace())
            .filter(|word| !word.is_empty())
            .map(move |word| (word.as_ptr() as usize - text.as_ptr() as usize, word))
    }
}

/// The text of a physical line before any `#`.
fn strip_comment(text: &str) -> &str {
    text.find('#').map_or(text, |hash| &text[..hash])
}

/// Splits a source into logical lines; blank and comment-only ones are dropped.
pub(super) fn logical_lines<'a>(
    source: &'a Source,
    errors: &mut Vec<ConfigError>,
) -> Vec<LogicalLine<'a>> {
    let mut out = Vec::new();
    let mut current: Option<LogicalLine<'a>> = None;
    let mut last_line = None;
    for line in source.lines() {
        last_line = Some(line);
        let content = strip_comment(line.text);
        let logical = current.get_or_insert_with(|| LogicalLine::start(line));
        if let Some(joined) = content.strip_suffix('\\') {
            logical.append(line, joined);
            continue;
        }
        let trimmed = content.trim_end_matches(|c: char| c.is_ascii_whitespace());
        if trimmed.ends_with('\\') && trimmed.len() != content.len() {
            errors.push(line.error(
                "'\\' continues a line only as its very last character; \
                 remove the blanks (or comment) after it, or the '\\' itself",
            ));
        }
        logical.append(line, content);
        if let Some(done) = current.take() {
            if !done.text.trim().is_empty() {
                out.push(done);
            }
        }
    }
    if let Some(unfinished) = current.take() {
        if let Some(line) = last_line {
            errors.push(
                line.error("the last line ends with '\\' but no line follows to continue it"),
            );
        }
        if !unfinished.text.trim().is_empty() {
            out.push(unfinished);
        }
    }
    out
}
