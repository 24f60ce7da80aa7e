//! How keepalived 2.2.7 cuts keepalived.conf into words, line by line.
//!
//! The rules, as keepalived's `lib/parser.c` applies them:
//!
//! - `#` and `!` outside double quotes start a comment that runs to the
//!   end of the line, wherever they stand (`decomment`, parser.c:2169);
//!   `\#` and `\!` outside quotes are a literal `#` and `!`.
//! - Words are separated by spaces, tabs, form feeds and vertical tabs; a
//!   double-quoted string is one word, quotes removed, and runs to the
//!   next `"` (`alloc_strvec_r`, parser.c:1169). An unmatched quote is an
//!   error.
//! - `{` and `}` outside quotes stand for themselves wherever they are
//!   written (keepalived moves them to lines of their own,
//!   parser.c:2823-2850), so `vrrp_instance VI_1{` opens a block.
//! - A line whose first word is `include` names files by a glob(3)
//!   pattern; a relative pattern is relative to the directory of the file
//!   that includes it (keepalived changes to that directory while it
//!   reads the file, parser.c:2320-2335). A pattern that matches nothing
//!   includes nothing.
//!
//! What keepalived's parser also offers and we refuse at the line:
//! parameter definitions and substitutions (`$NAME=...`), conditional
//! lines (`@host`), sequences (`~SEQ`), the `includer`/`includem`/
//! `includew`/`includeb`/`includea` variants and line continuation with a
//! trailing `\`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use ha_conf::{ConfigError, Location, Source};

/// One word of a line, where it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    /// The word, quotes removed.
    pub text: String,
    /// Whether it was written in double quotes (a quoted `{` is a word).
    pub quoted: bool,
    /// The file and line.
    pub location: Location,
}

impl Word {
    /// Whether this is an unquoted `{`.
    pub fn is_open(&self) -> bool {
        !self.quoted && self.text == "{"
    }

    /// Whether this is an unquoted `}`.
    pub fn is_close(&self) -> bool {
        !self.quoted && self.text == "}"
    }

    /// A complaint about this word's line.
    pub fn error(&self, message: impl Into<String>) -> ConfigError {
        ConfigError {
            location: self.location.clone(),
            message: message.into(),
        }
    }
}

/// Where included files come from.
pub trait Includes {
    /// The files a pattern written in `from` names, in glob(3)'s sorted
    /// order; an error names what could not be read.
    fn expand(&mut self, from: &Path, pattern: &str) -> Result<Vec<Source>, String>;
}

/// Includes read from the filesystem.
#[derive(Debug, Default)]
pub struct FileIncludes;

impl Includes for FileIncludes {
    fn expand(&mut self, from: &Path, pattern: &str) -> Result<Vec<Source>, String> {
        let base = from.parent().unwrap_or(Path::new("."));
        let pattern = if Path::new(pattern).is_absolute() {
            PathBuf::from(pattern)
        } else {
            base.join(pattern)
        };
        let mut sources = Vec::new();
        for path in super::glob::expand(&pattern) {
            sources.push(Source::read(&path).map_err(|e| e.message)?);
        }
        Ok(sources)
    }
}

/// No includes: every `include` line is refused (for text that does not
/// come from a file, as in the fuzz target).
#[derive(Debug, Default)]
pub struct NoIncludes;

impl Includes for NoIncludes {
    fn expand(&mut self, _from: &Path, pattern: &str) -> Result<Vec<Source>, String> {
        Err(format!(
            "cannot include '{pattern}': this text has no directory"
        ))
    }
}

/// How deep includes may nest before we call it a loop.
const MAX_INCLUDE_DEPTH: usize = 16;

/// The words of a source and everything it includes, in reading order;
/// complaints are pushed and the faulty line skipped.
pub fn words(
    source: &Source,
    includes: &mut dyn Includes,
    errors: &mut Vec<ConfigError>,
) -> Vec<Word> {
    let mut out = Vec::new();
    read(source, includes, errors, &mut out, 0);
    out
}

fn read(
    source: &Source,
    includes: &mut dyn Includes,
    errors: &mut Vec<ConfigError>,
    out: &mut Vec<Word>,
    depth: usize,
) {
    let path: Arc<Path> = Arc::from(source.path());
    for line in source.lines() {
        let location = Location {
            path: path.clone(),
            line: line.number,
        };
        let at = |message: String| ConfigError {
            location: location.clone(),
            message,
        };
        let line_words = match split(line.text) {
            Ok(words) => words,
            Err(message) => {
                errors.push(at(message));
                continue;
            }
        };
        let Some((first, _)) = line_words.first() else {
            continue;
        };
        let first_quoted = line_words.first().is_some_and(|(_, q)| *q);
        if !first_quoted {
            if first == "include" {
                let Some((pattern, _)) = line_words.get(1) else {
                    errors.push(at("include: expected a file name or pattern".into()));
                    continue;
                };
                if line_words.len() > 2 {
                    errors.push(at("include: expected one file name or pattern".into()));
                    continue;
                }
                if depth >= MAX_INCLUDE_DEPTH {
                    errors.push(at(format!(
                        "include: more than {MAX_INCLUDE_DEPTH} nested includes (a file includes itself?)"
                    )));
                    continue;
                }
                match includes.expand(source.path(), pattern) {
                    Ok(sources) => {
                        for included in &sources {
                            read(included, includes, errors, out, depth + 1);
                        }
                    }
                    Err(message) => errors.push(at(format!("include '{pattern}': {message}"))),
                }
                continue;
            }
            if let Some(variant) = ["includer", "includem", "includew", "includeb", "includea"]
                .into_iter()
                .find(|v| first == v)
            {
                errors.push(at(format!(
                    "'{variant}' is not supported yet (use 'include')"
                )));
                continue;
            }
            if let Some(kind) = refused_line_start(first) {
                errors.push(at(format!("{kind} not supported yet")));
                continue;
            }
        }
        out.extend(line_words.into_iter().map(|(text, quoted)| Word {
            text,
            quoted,
            location: location.clone(),
        }));
    }
}

/// keepalived's line-level features we do not implement.
fn refused_line_start(first: &str) -> Option<&'static str> {
    if first.starts_with('$') {
        Some("keepalived's parameter definitions and substitutions ($NAME) are")
    } else if first.starts_with('@') {
        Some("keepalived's conditional configuration lines (@name) are")
    } else if first.starts_with('~') {
        Some("keepalived's sequence lines (~SEQ) are")
    } else {
        None
    }
}

/// The characters that separate words.
fn is_separator(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\x0c' | '\x0b' | '\r' | '\n')
}

/// Cuts one line into words, each with whether it was quoted.
pub fn split(line: &str) -> Result<Vec<(String, bool)>, String> {
    let mut words = Vec::new();
    let mut chars = line.chars().peekable();
    let mut current = String::new();
    let mut in_word = false;
    while let Some(c) = chars.next() {
        match c {
            '#' | '!' => break,
            '"' => {
                if in_word {
                    words.push((std::mem::take(&mut current), false));
                    in_word = false;
                }
                let mut quoted = String::new();
                let mut closed = false;
                for q in chars.by_ref() {
                    if q == '"' {
                        closed = true;
                        break;
                    }
                    quoted.push(q);
                }
                if !closed {
                    return Err(format!("unmatched quote in '{}'", line.trim()));
                }
                words.push((quoted, true));
            }
            '{' | '}' => {
                if in_word {
                    words.push((std::mem::take(&mut current), false));
                    in_word = false;
                }
                words.push((c.to_string(), false));
            }
            '\\' => match chars.peek() {
                Some('#' | '!') => {
                    current.extend(chars.next());
                    in_word = true;
                }
                None => {
                    return Err(
                        "line continuation with a trailing '\\' is not supported yet".into(),
                    )
                }
                Some(_) => {
                    current.push(c);
                    in_word = true;
                }
            },
            c if is_separator(c) => {
                if in_word {
                    words.push((std::mem::take(&mut current), false));
                    in_word = false;
                }
            }
            c => {
                current.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        words.push((current, false));
    }
    Ok(words)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(line: &str) -> Vec<String> {
        split(line)
            .expect("splits")
            .into_iter()
            .map(|(t, _)| t)
            .collect()
    }

    #[test]
    fn comments_quotes_and_braces_as_keepalived_cuts_them() {
        assert_eq!(texts("  router_id wyl01 # note"), ["router_id", "wyl01"]);
        assert_eq!(
            texts("! Configuration File for keepalived"),
            Vec::<String>::new()
        );
        assert_eq!(texts("priority 100! no space needed"), ["priority", "100"]);
        assert_eq!(
            texts(r#"notify_master "/bin/x a # b" root"#),
            ["notify_master", "/bin/x a # b", "root"]
        );
        assert_eq!(texts("vrrp_instance VI_1{"), ["vrrp_instance", "VI_1", "{"]);
        assert_eq!(texts("auth_pass a\\#b"), ["auth_pass", "a#b"]);
        assert!(split("script \"/bin/true").is_err());
        assert!(split("priority 100 \\").is_err());
        let quoted = split("\"{\"").expect("splits");
        assert_eq!(quoted, [("{".to_string(), true)]);
    }
}
