//! One resource word of a haresources line, split as ResourceManager does:
//! a word that looks like an IP address (heartbeat's `isip` shell pattern
//! `[0-9]*.[0-9]*.[0-9]*.[0-9]*`) stands for `IPaddr::WORD`; otherwise the
//! part before the first `::` is the resource name and the parts after it,
//! split on `::`, are its arguments.
//!
//! Only the syntax is checked here: a name that can name a file, no empty
//! argument. What the name means, and whether its arguments suit it, is the
//! resolver's to say.

/// Whether heartbeat's `isip` pattern `[0-9]*.[0-9]*.[0-9]*.[0-9]*` matches.
pub(super) fn looks_like_ip(word: &str) -> bool {
    if !word.starts_with(|c: char| c.is_ascii_digit()) {
        return false;
    }
    // Three times: some '.' later on that is followed by a digit.
    let mut rest = &word[1..];
    for _ in 0..3 {
        let Some(next) = rest
            .char_indices()
            .find(|&(i, c)| c == '.' && rest[i + 1..].starts_with(|d: char| d.is_ascii_digit()))
        else {
            return false;
        };
        rest = &rest[next.0 + 2..];
    }
    true
}

/// Whether `name` can name a resource: a file name (no `/`, not hidden),
/// with `:` allowed for the `ocf:PROVIDER:TYPE` form.
fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with(['.', '-', ':'])
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '+' | '@' | ':'))
}

/// Splits one resource word into its name and arguments; the error says
/// what was expected.
pub(super) fn split_word(word: &str) -> Result<(String, Vec<String>), String> {
    let (name, args): (&str, Vec<String>) = if looks_like_ip(word) {
        ("IPaddr", word.split("::").map(str::to_string).collect())
    } else {
        let mut parts = word.split("::");
        let name = parts.next().unwrap_or_default();
        if !valid_name(name) {
            return Err(format!(
                "'{name}' is not a resource script name; expected NAME, \
                 NAME::ARG[::ARG...] or an IP address"
            ));
        }
        (name, parts.map(str::to_string).collect())
    };
    if args.iter().any(String::is_empty) {
        return Err(format!(
            "'{word}' has an empty argument; arguments are separated by a single '::'"
        ));
    }
    Ok((name.to_string(), args))
}
