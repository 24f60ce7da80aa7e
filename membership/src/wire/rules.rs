//! The rules a field must follow to travel, as heartbeat enforces them:
//! names are non-empty, hold no `=` and no NUL, and do not begin with `(`
//! (heartbeat would read a type there); values are never empty; strings and
//! list items hold no NUL. We also require names, strings and list items to
//! be UTF-8. Each check returns what is wrong, if anything.

use super::netstring::Reader;

/// What heartbeat would refuse in a field name (UTF-8 is checked apart).
pub(crate) fn name_problem(name: &[u8]) -> Option<&'static str> {
    if name.is_empty() {
        Some("the name is empty")
    } else if name.contains(&b'=') {
        Some("the name contains '='")
    } else if name.contains(&0) {
        Some("the name contains a NUL byte")
    } else if name.first() == Some(&b'(') {
        Some("the name begins with '(', which heartbeat reads as a type")
    } else {
        None
    }
}

pub(crate) fn empty_problem(value: &[u8]) -> Option<&'static str> {
    value
        .is_empty()
        .then_some("the value is empty (heartbeat refuses empty values)")
}

/// What is wrong with a string value or list item, if anything.
pub(crate) fn string_problem(value: &[u8]) -> Option<&'static str> {
    if let Some(problem) = empty_problem(value) {
        Some(problem)
    } else if value.contains(&0) {
        Some("the text contains a NUL byte")
    } else if std::str::from_utf8(value).is_err() {
        Some("the text is not UTF-8")
    } else {
        None
    }
}

/// What is wrong with a packed list value, if anything.
pub(crate) fn list_problem(packed: &[u8]) -> Option<&'static str> {
    if let Some(problem) = empty_problem(packed) {
        return Some(problem);
    }
    let mut reader = Reader::new(packed, 0);
    while !reader.is_done() {
        let Ok(range) = reader.netstring() else {
            return Some("the list is not a sequence of LEN:ITEM, netstrings");
        };
        if string_problem(packed.get(range).unwrap_or_default()).is_some() {
            return Some("a list item is empty, holds NUL or is not UTF-8");
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_checks() {
        assert_eq!(list_problem(b"1:a,2:bc,"), None);
        assert!(list_problem(b"").is_some());
        assert!(list_problem(b"1:a,0:,").is_some());
        assert!(list_problem(b"1:a").is_some());
        assert!(list_problem(b"2:\xff\xfe,").is_some());
    }
}
