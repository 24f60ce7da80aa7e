//! heartbeat's ipfail, as far as ha.cf names it: `respawn USER .../ipfail`
//! (and its `apiauth ipfail ...`) turn on the node's built-in ipfail.
//!
//! ipfail is a client program heartbeat respawns; here its rule is part of
//! the state machine (`machine::ping_nodes`), so a `respawn` line whose
//! program is ipfail only sets [`super::HaConfig::ipfail`], and ipfail's
//! `apiauth` line, which lets that program sign on to heartbeat's API, has
//! nothing to authorise. Every other `respawn` or `apiauth` line is
//! refused as not supported yet, as before.

/// What a `respawn` line means here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Respawn {
    /// heartbeat's ipfail: the built-in ipfail is on.
    Ipfail,
    /// Any other program: not supported yet.
    Other,
}

/// Reads `respawn USER PROGRAM [ARGS...]`.
pub(super) fn respawn(name: &str, words: &[&str]) -> Result<Respawn, String> {
    match words {
        [] | [_] => Err(format!(
            "{name}: expected a user and a program, found '{}'",
            words.join(" ")
        )),
        [_, program, ..] if is_ipfail(program) => Ok(Respawn::Ipfail),
        _ => Ok(Respawn::Other),
    }
}

/// Whether an `apiauth` line is ipfail's (`apiauth ipfail ...`).
pub(super) fn is_ipfail_apiauth(words: &[&str]) -> bool {
    words.first() == Some(&"ipfail")
}

/// Whether a program path names heartbeat's ipfail.
fn is_ipfail(program: &str) -> bool {
    program == "ipfail" || program.ends_with("/ipfail")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_ipfail_is_recognised() {
        assert_eq!(
            respawn("respawn", &["hacluster", "/usr/lib64/heartbeat/ipfail"]),
            Ok(Respawn::Ipfail)
        );
        assert_eq!(
            respawn("respawn", &["root", "/usr/lib/heartbeat/dopd"]),
            Ok(Respawn::Other)
        );
        assert_eq!(
            respawn("respawn", &["root", "/usr/lib/heartbeat/notipfail"]),
            Ok(Respawn::Other)
        );
        assert_eq!(
            respawn("respawn", &["root"]),
            Err("respawn: expected a user and a program, found 'root'".to_owned())
        );
        assert!(is_ipfail_apiauth(&["ipfail", "gid=root", "uid=root"]));
        assert!(!is_ipfail_apiauth(&["dopd", "gid=haclient"]));
    }
}
