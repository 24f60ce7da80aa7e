//! One line of ldirectord.cf: comments, indentation, `keyword = value`,
//! quotes.
//!
//! - `#` starts a comment anywhere outside double quotes (ldirectord strips
//!   `#` comments inside virtual blocks and skips `#` lines everywhere).
//! - `//` at the start of a line or after white space, outside quotes, also
//!   starts a comment: our first users' files carry such notes after their
//!   values, and no value of ldirectord.cf starts a word with `//`.
//! - A line starting with white space (tab or spaces) is indented and
//!   belongs to the virtual service above it. White space is Unicode's:
//!   one user's file is indented with non-breaking spaces.
//! - A value may be wrapped in double quotes, which are removed: from the
//!   first quote to the last, as ldirectord's `"(.*)"` takes them.

/// The meaningful part of one line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Statement<'a> {
    /// Whether the line starts with white space.
    pub indented: bool,
    /// The keyword, e.g. `real`.
    pub keyword: &'a str,
    /// The text after `=`, trimmed; `None` when there is no `=`.
    pub value: Option<&'a str>,
}

/// Why a line is not `keyword = value`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum LexError {
    /// The line does not start with a keyword.
    NoKeyword(String),
}

/// The line without its comment.
pub(super) fn strip_comment(text: &str) -> &str {
    let mut quoted = false;
    let mut previous: Option<char> = None;
    for (index, c) in text.char_indices() {
        match c {
            '"' => quoted = !quoted,
            '#' if !quoted => return &text[..index],
            '/' if !quoted
                && text[index..].starts_with("//")
                && previous.is_none_or(char::is_whitespace) =>
            {
                return &text[..index];
            }
            _ => {}
        }
        previous = Some(c);
    }
    text
}

/// Splits a line into a [`Statement`]; `Ok(None)` for a blank or comment line.
pub(super) fn lex(text: &str) -> Result<Option<Statement<'_>>, LexError> {
    let content = strip_comment(text);
    if content.trim().is_empty() {
        return Ok(None);
    }
    let indented = content.starts_with(char::is_whitespace);
    let content = content.trim();
    let end = content
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
        .unwrap_or(content.len());
    let keyword = &content[..end];
    if keyword.is_empty() {
        return Err(LexError::NoKeyword(content.to_string()));
    }
    let rest = content[end..].trim_start();
    let value = rest.strip_prefix('=').map(str::trim);
    if value.is_none() && !rest.is_empty() {
        // `keyword junk`: report it as a keyword without `=`.
        return Ok(Some(Statement {
            indented,
            keyword,
            value: None,
        }));
    }
    Ok(Some(Statement {
        indented,
        keyword,
        value,
    }))
}

/// A value without its surrounding double quotes, if it has them.
pub(super) fn unquote(value: &str) -> Result<&str, String> {
    let Some(inner) = value.strip_prefix('"') else {
        return Ok(value);
    };
    match inner.rfind('"') {
        Some(end) if inner[end + 1..].trim().is_empty() => Ok(&inner[..end]),
        Some(end) => Err(format!(
            "unexpected '{}' after the closing quote",
            inner[end + 1..].trim()
        )),
        None => Err("missing closing quote".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn statement(text: &str) -> Statement<'_> {
        lex(text).expect("lexes").expect("not blank")
    }

    #[test]
    fn comments_outside_quotes_only() {
        assert_eq!(strip_comment("a=1 # note"), "a=1 ");
        assert_eq!(strip_comment("receive=\"a#b\" # c"), "receive=\"a#b\" ");
        assert_eq!(strip_comment("checktimeout=3  //等待"), "checktimeout=3  ");
        assert_eq!(strip_comment("// note"), "");
        assert_eq!(
            strip_comment("request=\"http://x/ //y\""),
            "request=\"http://x/ //y\""
        );
        assert_eq!(strip_comment("checkcommand=/a//b"), "checkcommand=/a//b");
    }

    #[test]
    fn keyword_value_and_indentation() {
        assert_eq!(
            statement("\treal = 10.0.0.1:80 gate"),
            Statement {
                indented: true,
                keyword: "real",
                value: Some("10.0.0.1:80 gate")
            }
        );
        let top = statement("virtual6=[::1]:80");
        assert!(!top.indented);
        assert_eq!(top.keyword, "virtual6");
        assert_eq!(statement("supervised").value, None);
        assert_eq!(statement("real 1.2.3.4").value, None);
        assert_eq!(statement("request=").value, Some(""));
    }

    #[test]
    fn blank_and_comment_lines_are_nothing() {
        assert_eq!(lex("   "), Ok(None));
        assert_eq!(lex("\t# persistent=600"), Ok(None));
        assert_eq!(lex("=x"), Err(LexError::NoKeyword("=x".into())));
    }

    #[test]
    fn quotes_are_removed_greedily() {
        assert_eq!(unquote("\"index.html\""), Ok("index.html"));
        assert_eq!(unquote("plain"), Ok("plain"));
        assert_eq!(unquote("\"a\"b\""), Ok("a\"b"));
        assert_eq!(unquote("\"\""), Ok(""));
        assert_eq!(unquote("\"open"), Err("missing closing quote".into()));
        assert_eq!(
            unquote("\"a\" b"),
            Err("unexpected 'b' after the closing quote".into())
        );
    }
}
