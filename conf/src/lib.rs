//! Config-file primitives shared by every parser in the suite.
//!
//! Every file the suite reads (ha.cf, authkeys, haresources, ldirectord.cf) is
//! parsed line by line, and every complaint names the file and the line it is
//! about: `ha.cf:12: deadtime must be greater than keepalive`. This crate holds
//! the pieces that make that uniform: [`Source`] (a file's text and its path),
//! [`Line`] (one numbered line of it), [`ConfigError`] (one located
//! complaint), [`ConfigErrors`] (all complaints of a load, so that
//! `check-config` can print every problem at once) and [`ConfigWarning`]
//! (something that does not stop the load but deserves a look:
//! `ha.cf:6: warning: bcast: interface 'eth9' does not exist on this host`).

#![forbid(unsafe_code)]

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Where in which file something was written.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Location {
    /// The file, as the user named it.
    pub path: Arc<Path>,
    /// 1-based line number; 0 when the complaint is about the whole file.
    pub line: u32,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}", self.path.display())
        } else {
            write!(f, "{}:{}", self.path.display(), self.line)
        }
    }
}

/// One complaint about a config file, located at a file and line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{location}: {message}")]
pub struct ConfigError {
    /// The file and line the complaint is about.
    pub location: Location,
    /// What is wrong, and where possible what was expected instead.
    pub message: String,
}

impl ConfigError {
    /// A complaint about a whole file (no particular line).
    pub fn file(path: impl AsRef<Path>, message: impl Into<String>) -> Self {
        ConfigError {
            location: Location {
                path: Arc::from(path.as_ref()),
                line: 0,
            },
            message: message.into(),
        }
    }
}

/// Something a config file says that does not stop it loading but may not
/// do what was meant, located at a file and line. `check-config` prints
/// warnings on stderr and still exits 0; daemons log them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{location}: warning: {message}")]
pub struct ConfigWarning {
    /// The file and line the warning is about.
    pub location: Location,
    /// What may be wrong.
    pub message: String,
}

/// Every complaint found while loading a configuration; never empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigErrors(Vec<ConfigError>);

impl ConfigErrors {
    /// Wraps a non-empty list; returns `None` for an empty one.
    pub fn from_vec(errors: Vec<ConfigError>) -> Option<Self> {
        (!errors.is_empty()).then_some(ConfigErrors(errors))
    }

    /// The individual complaints, in file order.
    pub fn errors(&self) -> &[ConfigError] {
        &self.0
    }

    /// Appends the complaints of another load.
    pub fn extend(&mut self, other: ConfigErrors) {
        self.0.extend(other.0);
    }
}

impl From<ConfigError> for ConfigErrors {
    fn from(error: ConfigError) -> Self {
        ConfigErrors(vec![error])
    }
}

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, error) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{error}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

/// Collects complaints while a parser goes on to find the next one.
#[derive(Debug, Default)]
pub struct Diagnostics(Vec<ConfigError>);

impl Diagnostics {
    /// An empty collection.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records one complaint.
    pub fn push(&mut self, error: ConfigError) {
        self.0.push(error);
    }

    /// Records the error of a result and returns its value, if any.
    pub fn take<T>(&mut self, result: Result<T, ConfigError>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(error) => {
                self.push(error);
                None
            }
        }
    }

    /// Whether nothing has been recorded.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `Ok(value)` when nothing was recorded, else every complaint in file
    /// order: by line, complaints about the whole file last.
    pub fn finish<T>(mut self, value: T) -> Result<T, ConfigErrors> {
        self.0.sort_by_key(|error| match error.location.line {
            0 => u32::MAX,
            line => line,
        });
        match ConfigErrors::from_vec(self.0) {
            None => Ok(value),
            Some(errors) => Err(errors),
        }
    }
}

/// A config file's text together with the path it was read from.
#[derive(Debug, Clone)]
pub struct Source {
    path: Arc<Path>,
    text: String,
}

impl Source {
    /// Reads a file; an unreadable or non-UTF-8 file is a located error.
    pub fn read(path: impl AsRef<Path>) -> Result<Self, ConfigError> {
        let path = path.as_ref();
        let bytes = std::fs::read(path)
            .map_err(|e| ConfigError::file(path, format!("cannot read: {e}")))?;
        let text = String::from_utf8(bytes)
            .map_err(|e| ConfigError::file(path, format!("not valid UTF-8 text: {e}")))?;
        Ok(Self::new(path, text))
    }

    /// Wraps text that came from somewhere other than the filesystem.
    pub fn new(path: impl Into<PathBuf>, text: impl Into<String>) -> Self {
        Source {
            path: Arc::from(path.into()),
            text: text.into(),
        }
    }

    /// The path the text was read from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The whole text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// A complaint about the file as a whole.
    pub fn error(&self, message: impl Into<String>) -> ConfigError {
        ConfigError {
            location: Location {
                path: self.path.clone(),
                line: 0,
            },
            message: message.into(),
        }
    }

    /// The file's lines, numbered from 1, line endings removed.
    pub fn lines(&self) -> impl Iterator<Item = Line<'_>> + '_ {
        self.text.lines().enumerate().map(move |(i, text)| Line {
            path: &self.path,
            number: u32::try_from(i + 1).unwrap_or(u32::MAX),
            text,
        })
    }
}

/// One numbered line of a [`Source`].
#[derive(Debug, Clone, Copy)]
pub struct Line<'a> {
    path: &'a Arc<Path>,
    /// 1-based line number.
    pub number: u32,
    /// The line's text, without its line ending.
    pub text: &'a str,
}

impl<'a> Line<'a> {
    /// Where this line is.
    pub fn location(&self) -> Location {
        Location {
            path: self.path.clone(),
            line: self.number,
        }
    }

    /// A complaint about this line.
    pub fn error(&self, message: impl Into<String>) -> ConfigError {
        ConfigError {
            location: self.location(),
            message: message.into(),
        }
    }

    /// A warning about this line.
    pub fn warning(&self, message: impl Into<String>) -> ConfigWarning {
        ConfigWarning {
            location: self.location(),
            message: message.into(),
        }
    }

    /// The text before any `#` comment, trimmed; empty for blank or comment lines.
    pub fn content(&self) -> &'a str {
        let text = self.text;
        let end = text.find('#').unwrap_or(text.len());
        text[..end].trim()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_file_and_line() {
        let source = Source::new("/etc/ha.d/ha.cf", "keepalive 2\n\nbogus 1 # note\n");
        let line = source.lines().nth(2).expect("third line");
        assert_eq!(line.content(), "bogus 1");
        let error = line.error("unknown directive 'bogus'");
        assert_eq!(
            error.to_string(),
            "/etc/ha.d/ha.cf:3: unknown directive 'bogus'"
        );
        assert_eq!(source.error("empty").to_string(), "/etc/ha.d/ha.cf: empty");
        assert_eq!(
            line.warning("no interface 'eth9'").to_string(),
            "/etc/ha.d/ha.cf:3: warning: no interface 'eth9'"
        );
    }

    #[test]
    fn diagnostics_collect_every_error_in_file_order() {
        let source = Source::new("f", "a\nb\n");
        let mut diagnostics = Diagnostics::new();
        for line in source.lines() {
            diagnostics.push(line.error("bad"));
        }
        diagnostics.push(source.error("whole file"));
        diagnostics.push(source.lines().next().expect("line 1").error("again"));
        let errors = diagnostics.finish(()).expect_err("errors");
        assert_eq!(
            errors.to_string(),
            "f:1: bad\nf:1: again\nf:2: bad\nf: whole file"
        );
        assert!(Diagnostics::new().finish(7).is_ok());
    }

    #[test]
    fn unreadable_file_is_a_located_error() {
        let error = Source::read("/nonexistent/ha.cf").expect_err("missing file");
        assert!(error
            .to_string()
            .starts_with("/nonexistent/ha.cf: cannot read:"));
    }
}
