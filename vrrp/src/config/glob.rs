//! glob(3) for keepalived's `include`: `*`, `?` and `[...]` (with `!` or
//! `^` to negate, and ranges) in any path component; a leading `.` is
//! matched only by a literal dot, as glob(3) does without GLOB_PERIOD.
//! Matches come sorted, like glob(3)'s; a pattern without wildcards names
//! its file whether or not it exists (reading it reports the problem).

use std::path::{Component, Path, PathBuf};

/// The paths `pattern` names, sorted.
pub fn expand(pattern: &Path) -> Vec<PathBuf> {
    let mut found = vec![PathBuf::new()];
    let components: Vec<Component<'_>> = pattern.components().collect();
    for (i, component) in components.iter().enumerate() {
        let last = i + 1 == components.len();
        let text = component.as_os_str().to_string_lossy();
        if !matches!(component, Component::Normal(_)) || !has_wildcard(&text) {
            for path in &mut found {
                path.push(component.as_os_str());
            }
            continue;
        }
        let mut next = Vec::new();
        for dir in &found {
            let listing = if dir.as_os_str().is_empty() {
                Path::new(".").read_dir()
            } else {
                dir.read_dir()
            };
            let Ok(entries) = listing else {
                continue;
            };
            let mut names: Vec<String> = entries
                .filter_map(Result::ok)
                .filter(|e| last || e.path().is_dir())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|name| matches(&text, name))
                .collect();
            names.sort();
            next.extend(names.into_iter().map(|name| dir.join(name)));
        }
        found = next;
    }
    found.retain(|p| !p.as_os_str().is_empty());
    found
}

fn has_wildcard(text: &str) -> bool {
    text.contains(['*', '?', '['])
}

/// Whether `name` matches the one-component pattern.
pub fn matches(pattern: &str, name: &str) -> bool {
    if name.starts_with('.') && !pattern.starts_with('.') {
        return false;
    }
    let pattern: Vec<char> = pattern.chars().collect();
    let name: Vec<char> = name.chars().collect();
    match_from(&pattern, &name)
}

fn match_from(pattern: &[char], name: &[char]) -> bool {
    match pattern.first() {
        None => name.is_empty(),
        Some('*') => (0..=name.len()).any(|skip| match_from(&pattern[1..], &name[skip..])),
        Some('?') => !name.is_empty() && match_from(&pattern[1..], &name[1..]),
        Some('[') => {
            let Some((&c, rest)) = name.split_first() else {
                return false;
            };
            match class(&pattern[1..], c) {
                Some((matched, after)) => matched && match_from(after, rest),
                // An unclosed `[` is a literal.
                None => c == '[' && match_from(&pattern[1..], rest),
            }
        }
        Some(&p) => name.first() == Some(&p) && match_from(&pattern[1..], &name[1..]),
    }
}

/// Whether `c` is in the class that starts after a `[`, and what follows
/// the class; `None` when the class is not closed.
fn class(pattern: &[char], c: char) -> Option<(bool, &[char])> {
    let (negate, mut i) = match pattern.first() {
        Some('!' | '^') => (true, 1),
        _ => (false, 0),
    };
    let mut matched = false;
    let mut first = true;
    while i < pattern.len() {
        let p = pattern[i];
        if p == ']' && !first {
            return Some((matched != negate, &pattern[i + 1..]));
        }
        first = false;
        if pattern.get(i + 1) == Some(&'-') && pattern.get(i + 2).is_some_and(|e| *e != ']') {
            if (p..=pattern[i + 2]).contains(&c) {
                matched = true;
            }
            i += 3;
        } else {
            if p == c {
                matched = true;
            }
            i += 1;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_as_glob_matches_them() {
        assert!(matches("*.conf", "a.conf"));
        assert!(!matches("*.conf", ".hidden.conf"));
        assert!(matches(".*.conf", ".hidden.conf"));
        assert!(matches("vi_?.conf", "vi_1.conf"));
        assert!(matches("vi_[0-9].conf", "vi_7.conf"));
        assert!(!matches("vi_[!0-9].conf", "vi_7.conf"));
        assert!(matches("a[", "a["));
        assert!(!matches("*.conf", "a.cfg"));
    }

    #[test]
    fn expands_sorted_over_directories() {
        let dir = std::env::temp_dir().join(format!("ha-vrrp-glob-{}", std::process::id()));
        let sub = dir.join("conf.d");
        std::fs::create_dir_all(&sub).expect("mkdir");
        for name in ["b.conf", "a.conf", "c.txt"] {
            std::fs::write(sub.join(name), "").expect("write");
        }
        let found = expand(&dir.join("conf*").join("*.conf"));
        assert_eq!(found, [sub.join("a.conf"), sub.join("b.conf")]);
        assert_eq!(expand(&dir.join("nothing*")), Vec::<PathBuf>::new());
        std::fs::remove_dir_all(&dir).expect("cleanup");
    }
}
