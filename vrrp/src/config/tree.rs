//! keepalived.conf's words grouped into statements and blocks.
//!
//! A statement is a keyword and the words after it on its line; when the
//! next word (on that line or a later one) is `{`, the statements up to
//! the matching `}` are its block, as keepalived reads them. A `}` with no
//! open block, a `{` with no keyword before it and a block not closed at
//! the end of the file are errors at their lines (keepalived reports them
//! too: parser.c:2868, 3033-3036, 3229).

use ha_conf::{ConfigError, Location};

use super::lexer::Word;

/// Blocks nested deeper than this are refused (keepalived's deepest is 3).
const MAX_DEPTH: usize = 16;

/// A keyword, its arguments and its block, if any.
#[derive(Debug, Clone)]
pub struct Statement {
    /// The keyword.
    pub keyword: Word,
    /// The words after it on its line.
    pub args: Vec<Word>,
    /// The block that follows it.
    pub block: Option<Block>,
}

/// The statements between `{` and `}`.
#[derive(Debug, Clone)]
pub struct Block {
    /// Where the `{` was written.
    pub open: Location,
    /// The statements inside, in order.
    pub statements: Vec<Statement>,
}

impl Statement {
    /// The keyword as written.
    pub fn name(&self) -> &str {
        &self.keyword.text
    }

    /// A complaint about the statement's line.
    pub fn error(&self, message: impl Into<String>) -> ConfigError {
        self.keyword.error(message)
    }
}

/// Groups words into top-level statements.
pub fn statements(words: &[Word], errors: &mut Vec<ConfigError>) -> Vec<Statement> {
    let mut i = 0;
    let (top, _) = level(words, &mut i, 0, errors);
    top
}

/// The statements of one level, and whether a `}` ended it.
fn level(
    words: &[Word],
    i: &mut usize,
    depth: usize,
    errors: &mut Vec<ConfigError>,
) -> (Vec<Statement>, bool) {
    let mut out = Vec::new();
    while let Some(word) = words.get(*i) {
        *i += 1;
        if word.is_close() {
            if depth > 0 {
                return (out, true);
            }
            errors.push(word.error("unexpected '}': no block is open"));
            continue;
        }
        if word.is_open() {
            errors.push(word.error("'{' without a keyword before it"));
            let _ = block(words, i, word, depth, errors);
            continue;
        }
        let keyword = word.clone();
        let mut args = Vec::new();
        while let Some(next) = words.get(*i) {
            if next.location != keyword.location || next.is_open() || next.is_close() {
                break;
            }
            args.push(next.clone());
            *i += 1;
        }
        let mut statement = Statement {
            keyword,
            args,
            block: None,
        };
        if let Some(open) = words.get(*i).filter(|w| w.is_open()) {
            *i += 1;
            statement.block = block(words, i, open, depth, errors);
        }
        out.push(statement);
    }
    (out, false)
}

fn block(
    words: &[Word],
    i: &mut usize,
    open: &Word,
    depth: usize,
    errors: &mut Vec<ConfigError>,
) -> Option<Block> {
    if depth + 1 > MAX_DEPTH {
        errors.push(open.error(format!("blocks nested deeper than {MAX_DEPTH}")));
        *i = words.len();
        return None;
    }
    let (statements, closed) = level(words, i, depth + 1, errors);
    if !closed {
        errors.push(open.error("this '{' is not closed by a '}'"));
    }
    Some(Block {
        open: open.location.clone(),
        statements,
    })
}
