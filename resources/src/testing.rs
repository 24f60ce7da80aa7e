//! What the unit tests of this crate share.

/// Arguments as haresources hands them over, from string literals.
pub(crate) fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}
