//! Naming of lab namespaces: `hl-PID-SEQ-TAG-NAME`, unique per process (PID)
//! and per lab within it (SEQ), so parallel tests and test binaries never
//! collide, and leftovers of a dead process can be recognised by its PID.
//! Also validation of host, LAN and interface names.

use std::sync::atomic::{AtomicU32, Ordering};

use crate::LabError;

/// Every namespace the lab creates starts with this.
pub(crate) const NETNS_PREFIX: &str = "hl-";

/// Longest interface name Linux accepts (IFNAMSIZ - 1).
pub(crate) const MAX_IFNAME: usize = 15;

/// Longest part of the caller's tag kept in namespace names.
const MAX_TAG: usize = 24;

/// Longest host or LAN name.
const MAX_NAME: usize = 32;

static NEXT_LAB: AtomicU32 = AtomicU32::new(0);

/// A fresh prefix `hl-PID-SEQ-TAG` for one lab of this process.
pub(crate) fn new_lab_prefix(tag: &str) -> String {
    let seq = NEXT_LAB.fetch_add(1, Ordering::Relaxed);
    format!(
        "{NETNS_PREFIX}{}-{seq}-{}",
        std::process::id(),
        sanitize_tag(tag)
    )
}

/// `tag` reduced to `[a-z0-9_]`, at most [`MAX_TAG`] characters, never empty.
fn sanitize_tag(tag: &str) -> String {
    let cleaned: String = tag
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    let trimmed = cleaned.trim_matches('_');
    // Keep the end: test names differ at the end (`module::test_name`).
    let start = trimmed.len().saturating_sub(MAX_TAG);
    let kept = trimmed
        .get(start..)
        .unwrap_or(trimmed)
        .trim_start_matches('_');
    if kept.is_empty() {
        "lab".to_string()
    } else {
        kept.to_string()
    }
}

/// The PID of the process that created namespace `netns`, if it is a lab name.
pub(crate) fn owner_pid(netns: &str) -> Option<i32> {
    let rest = netns.strip_prefix(NETNS_PREFIX)?;
    let pid = rest.split('-').next()?;
    pid.parse().ok().filter(|pid| *pid > 0)
}

/// Checks a host or LAN name: 1..=32 characters of `[A-Za-z0-9_.-]`.
pub(crate) fn check_node_name(name: &str) -> Result<(), LabError> {
    let invalid = |reason: &str| LabError::InvalidName {
        name: name.to_string(),
        reason: reason.to_string(),
    };
    if name.is_empty() || name.len() > MAX_NAME {
        return Err(invalid("expected 1 to 32 characters"));
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
    {
        return Err(invalid("expected only letters, digits, '_', '.' and '-'"));
    }
    Ok(())
}

/// Checks an interface name: 1..=15 characters, no '/', ':' or whitespace.
pub(crate) fn check_ifname(name: &str) -> Result<(), LabError> {
    let invalid = |reason: &str| LabError::InvalidName {
        name: name.to_string(),
        reason: reason.to_string(),
    };
    if name.is_empty() || name.len() > MAX_IFNAME {
        return Err(invalid("an interface name has 1 to 15 characters"));
    }
    if name == "." || name == ".." {
        return Err(invalid("not an interface name"));
    }
    if name
        .chars()
        .any(|c| c == '/' || c == ':' || c.is_whitespace() || c.is_control())
    {
        return Err(invalid(
            "an interface name has no '/', ':' or whitespace (labels go with addresses)",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_are_unique_and_carry_the_pid() {
        let a = new_lab_prefix("same");
        let b = new_lab_prefix("same");
        assert_ne!(a, b);
        assert_eq!(owner_pid(&a), Some(std::process::id() as i32));
        assert_eq!(
            owner_pid(&format!("{b}-host")),
            Some(std::process::id() as i32)
        );
    }

    #[test]
    fn tags_are_sanitized_and_bounded() {
        assert_eq!(sanitize_tag("tests::Two_Hosts"), "tests__two_hosts");
        assert_eq!(sanitize_tag("::"), "lab");
        let long = sanitize_tag(&"x".repeat(100));
        assert_eq!(long.len(), MAX_TAG);
        assert!(!sanitize_tag("a-b").contains('-'));
    }

    #[test]
    fn foreign_names_have_no_owner() {
        assert_eq!(owner_pid("lp-a"), None);
        assert_eq!(owner_pid("hl-x-1-t"), None);
        assert_eq!(owner_pid("hl-0-1-t"), None);
    }

    #[test]
    fn interface_names_follow_the_kernel_rules() {
        assert!(check_ifname("eth0").is_ok());
        assert!(check_ifname("a234567890abcde").is_ok());
        assert!(check_ifname("a234567890abcdef").is_err());
        assert!(check_ifname("").is_err());
        assert!(check_ifname("eth0:1").is_err());
        assert!(check_ifname("a b").is_err());
    }

    #[test]
    fn node_names_are_checked() {
        assert!(check_node_name("node_a.1").is_ok());
        assert!(check_node_name("node-b").is_ok());
        assert!(check_node_name("a/b").is_err());
        assert!(check_node_name("").is_err());
        assert!(check_node_name(&"n".repeat(33)).is_err());
    }
}
