//! How heartbeat cuts a config line into words.
//!
//! heartbeat reads ha.cf with a few fixed rules, reproduced here so that a
//! file means the same to both programs:
//!
//! - a `#` anywhere ends the line (there is no quoting), and so does a
//!   carriage return;
//! - the directive name runs up to the first space, tab or form feed, and is
//!   compared case-sensitively (`Keepalive` is not `keepalive`);
//! - the values of most directives are separated by whitespace *or commas*
//!   (`node a,b` names two nodes), while the media lines `ucast` and `mcast`
//!   are split on whitespace only;
//! - there is no `directive=value` form: `keepalive=2` is one unknown word.

/// The characters heartbeat treats as whitespace.
const WHITESPACE: &[char] = &[' ', '\t', '\n', '\r', '\x0c'];

/// The characters that separate the values of an option directive.
const DELIMITERS: &[char] = &[',', ' ', '\t', '\n', '\r', '\x0c'];

/// One non-blank line: the directive name and the text after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Statement<'a> {
    /// The directive name, exactly as written.
    pub name: &'a str,
    /// Everything after the name (comment removed, leading separators skipped).
    pub rest: &'a str,
}

impl<'a> Statement<'a> {
    /// Cuts a line as heartbeat does; `None` for blank and comment-only lines.
    pub fn parse(text: &'a str) -> Option<Self> {
        let text = text.split('#').next().unwrap_or_default();
        let text = text.split(['\r', '\n']).next().unwrap_or_default();
        let text = text.trim_start_matches(WHITESPACE);
        if text.is_empty() {
            return None;
        }
        let end = text.find(WHITESPACE).unwrap_or(text.len());
        let (name, rest) = text.split_at(end);
        Some(Statement {
            name,
            rest: rest.trim_start_matches(DELIMITERS),
        })
    }

    /// The values of an option directive: split on whitespace and commas.
    pub fn values(&self) -> Vec<&'a str> {
        self.rest
            .split(DELIMITERS)
            .filter(|value| !value.is_empty())
            .collect()
    }

    /// The words of a whole-line directive (`ucast`, `mcast`): whitespace only.
    pub fn words(&self) -> Vec<&'a str> {
        self.rest
            .split(WHITESPACE)
            .filter(|word| !word.is_empty())
            .collect()
    }
}

/// Splits text on heartbeat's whitespace, dropping empty pieces.
pub(crate) fn split_whitespace(text: &str) -> impl Iterator<Item = &str> {
    text.split(WHITESPACE).filter(|word| !word.is_empty())
}

/// The candidate a misspelt word most likely meant, if any is close enough.
///
/// A candidate differing only in letter case wins; otherwise the closest one
/// within two edits (and fewer edits than half the word's length).
pub(crate) fn closest<'c>(word: &str, candidates: &[&'c str]) -> Option<&'c str> {
    if let Some(same) = candidates.iter().find(|c| c.eq_ignore_ascii_case(word)) {
        return Some(same);
    }
    let length = word.chars().count();
    let limit = 2.min(length.saturating_sub(1) / 2);
    candidates
        .iter()
        // The distance is at least the difference in length: skip hopeless
        // candidates before paying for the comparison.
        .filter(|candidate| candidate.chars().count().abs_diff(length) <= limit)
        .map(|candidate| (edit_distance(word, candidate), *candidate))
        .filter(|(distance, _)| *distance <= limit)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate)
}

/// Levenshtein distance between two short words.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    let mut current = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        current[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitute = previous[j] + usize::from(ca != *cb);
            current[j + 1] = substitute.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        std::mem::swap(&mut previous, &mut current);
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn statement(text: &str) -> Option<(String, Vec<String>)> {
        Statement::parse(text).map(|s| {
            let values = s.values().into_iter().map(String::from).collect();
            (s.name.to_owned(), values)
        })
    }

    #[test]
    fn blank_and_comment_lines_are_skipped() {
        assert_eq!(statement(""), None);
        assert_eq!(statement("   \t "), None);
        assert_eq!(statement("# keepalive 2"), None);
        assert_eq!(statement("   #keepalive 2"), None);
    }

    #[test]
    fn a_hash_anywhere_ends_the_line() {
        let (name, values) = statement("logfile /var/log/ha-log #where logs go").expect("line");
        assert_eq!(name, "logfile");
        assert_eq!(values, ["/var/log/ha-log"]);
        let (_, values) = statement("node a#b").expect("line");
        assert_eq!(values, ["a"]);
    }

    #[test]
    fn values_split_on_commas_and_whitespace_words_on_whitespace_only() {
        let line = Statement::parse("node  a,b\tc ,, d").expect("line");
        assert_eq!(line.values(), ["a", "b", "c", "d"]);
        let line = Statement::parse("ucast eth0,10.0.0.1 x").expect("line");
        assert_eq!(line.words(), ["eth0,10.0.0.1", "x"]);
    }

    #[test]
    fn a_carriage_return_ends_the_line() {
        let (name, values) = statement("keepalive 2\r3").expect("line");
        assert_eq!((name.as_str(), values), ("keepalive", vec!["2".to_owned()]));
    }

    #[test]
    fn there_is_no_equals_form() {
        let line = Statement::parse("keepalive=2").expect("line");
        assert_eq!(line.name, "keepalive=2");
        assert!(line.values().is_empty());
    }

    #[test]
    fn closest_prefers_case_then_small_edits() {
        let names = ["keepalive", "deadtime", "node"];
        assert_eq!(closest("KeepAlive", &names), Some("keepalive"));
        assert_eq!(closest("keepalve", &names), Some("keepalive"));
        assert_eq!(closest("deadtiem", &names), Some("deadtime"));
        assert_eq!(closest("nod", &names), Some("node"));
        assert_eq!(closest("xyz", &names), None);
        assert_eq!(closest("bogus", &names), None);
        assert_eq!(closest(&"k".repeat(10_000), &names), None);
    }
}
