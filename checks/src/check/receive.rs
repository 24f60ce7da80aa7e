//! The `receive` pattern: ldirectord matches answers with Perl's
//! `=~ /$receive/`, an unanchored regular expression search. Here the same
//! text is compiled once by a small regex engine (Perl's syntax minus
//! backreferences and look-around, which are refused when the spec is
//! built). Answers are matched as text; bytes that are not UTF-8 become
//! U+FFFD first, so `.` still matches one of them.

use regex_lite::Regex;

/// A compiled `receive` pattern, or none (empty `receive`).
#[derive(Debug, Clone, Default)]
pub struct Receive {
    regex: Option<Regex>,
}

/// A `receive` pattern the regex engine cannot compile.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("receive pattern {pattern:?} is not a regular expression this director supports: {reason}")]
pub struct ReceiveError {
    /// The pattern as written.
    pub pattern: String,
    /// The engine's complaint.
    pub reason: String,
}

impl Receive {
    /// Compiles `pattern`; the empty pattern is "no receive string".
    pub fn new(pattern: &str) -> Result<Receive, ReceiveError> {
        if pattern.is_empty() {
            return Ok(Receive::default());
        }
        Regex::new(pattern)
            .map(|regex| Receive { regex: Some(regex) })
            .map_err(|e| ReceiveError {
                pattern: pattern.to_string(),
                reason: e.to_string(),
            })
    }

    /// Whether a pattern was given.
    pub fn is_set(&self) -> bool {
        self.regex.is_some()
    }

    /// The pattern as written ("" when none).
    pub fn pattern(&self) -> &str {
        self.regex.as_ref().map_or("", Regex::as_str)
    }

    /// Whether the pattern occurs in `text`; `None` when no pattern is set
    /// (each check decides what that means, as ldirectord's do).
    pub fn find_in(&self, text: &[u8]) -> Option<bool> {
        let regex = self.regex.as_ref()?;
        Some(regex.is_match(&String::from_utf8_lossy(text)))
    }

    /// Matches `text` when a pattern is set; with none, every text matches.
    pub fn matches_or_unset(&self, text: &[u8]) -> bool {
        self.find_in(text).unwrap_or(true)
    }
}

impl PartialEq for Receive {
    fn eq(&self, other: &Receive) -> bool {
        self.pattern() == other.pattern()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn searches_unanchored_like_perl() {
        let r = Receive::new("Test HA Page").unwrap();
        assert_eq!(r.find_in(b"<h1>Test HA Page</h1>"), Some(true));
        assert_eq!(r.find_in(b"Test HA"), Some(false));
        let r = Receive::new("^OK$").unwrap();
        assert_eq!(r.find_in(b"OK"), Some(true));
        assert_eq!(r.find_in(b" OK"), Some(false));
        // Without /s a dot does not cross a newline.
        let r = Receive::new("a.b").unwrap();
        assert_eq!(r.find_in(b"a\nb"), Some(false));
        assert_eq!(r.find_in(b"a\xffb"), Some(true));
    }

    #[test]
    fn empty_pattern_is_unset_and_bad_patterns_are_refused() {
        let r = Receive::new("").unwrap();
        assert!(!r.is_set());
        assert_eq!(r.find_in(b"x"), None);
        assert!(r.matches_or_unset(b"x"));
        let err = Receive::new("(unclosed").unwrap_err();
        assert!(err.to_string().contains("(unclosed"), "{err}");
        assert!(Receive::new("a(?=b)").is_err());
    }

    #[test]
    fn equality_is_by_pattern() {
        assert_eq!(Receive::new("x+").unwrap(), Receive::new("x+").unwrap());
        assert_ne!(Receive::new("x+").unwrap(), Receive::default());
    }
}
