//! heartbeat's client programs and API permissions: `respawn` and `apiauth`.
//!
//! `respawn USER PROGRAM ARGS...` names a program heartbeat starts as USER
//! with the node and restarts when it exits; `apiauth CLIENT [uid=LIST]
//! [gid=LIST]` says who may connect to heartbeat's client API as CLIENT.
//! Both are whole-line directives: their words are split on whitespace
//! only, so commas belong to the word they are in.
//!
//! Checked here, as heartbeat checks them when it reads the file: the user
//! word is present, the program is a full path, `apiauth` has a client name
//! of at most 31 bytes and one `uid=` and/or one `gid=` list and nothing
//! else. heartbeat hands a respawn line to `/bin/sh -c "exec LINE"`; we run
//! the program with its words as arguments and no shell, so a line that
//! would mean something else to the shell (quotes, `$`, redirections, globs)
//! is refused at its line. Whether the user exists and the program is
//! executable is the host's business (ha-node checks it at check-config
//! and start), so that parsing stays free of I/O.
//!
//! heartbeat's `ipfail` (`respawn hacluster /usr/lib/heartbeat/ipfail`) is
//! not run: [`is_ipfail`] recognises it, and the node's built-in ipfail
//! does its work.

use std::fmt;
use std::path::{Path, PathBuf};

use ha_conf::Location;

/// The client name of heartbeat's ipfail, the one API client we serve
/// (built in).
pub const IPFAIL_CLIENT: &str = "ipfail";

/// heartbeat keeps an API client's name in a 32-byte buffer, terminator
/// included.
const MAX_CLIENT_NAME: usize = 31;

/// Characters that `/bin/sh` would interpret in a respawn line, which
/// heartbeat runs through it.
const SHELL_SYNTAX: &[char] = &[
    '\'', '"', '`', '$', '\\', ';', '|', '&', '<', '>', '(', ')', '*', '?', '[',
];

/// One `respawn` line: a program started as a user with the node and
/// restarted when it exits (unless it exits 100).
///
/// Two entries are equal when they say the same thing, wherever written:
/// [`Respawn::location`] is left out of the comparison.
#[derive(Debug, Clone, Eq)]
pub struct Respawn {
    /// The user the program runs as (its uid and primary gid from the user
    /// database).
    pub user: String,
    /// The program, a full path.
    pub program: PathBuf,
    /// Its arguments, as written.
    pub args: Vec<String>,
    /// Where the line was written.
    pub location: Location,
}

impl PartialEq for Respawn {
    fn eq(&self, other: &Self) -> bool {
        (&self.user, &self.program, &self.args) == (&other.user, &other.program, &other.args)
    }
}

impl Respawn {
    /// The program's file name, the tag its log lines carry.
    pub fn name(&self) -> String {
        self.program.file_name().map_or_else(
            || self.program.display().to_string(),
            |name| name.to_string_lossy().into_owned(),
        )
    }

    /// Whether this is heartbeat's ipfail, which the node does not run (its
    /// built-in ipfail does the work).
    pub fn is_ipfail(&self) -> bool {
        is_ipfail(&self.program)
    }

    /// The command line: the program and its arguments, space-separated.
    pub fn command_line(&self) -> String {
        let mut line = self.program.display().to_string();
        for arg in &self.args {
            line.push(' ');
            line.push_str(arg);
        }
        line
    }
}

impl fmt::Display for Respawn {
    /// The ha.cf line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "respawn {} {}", self.user, self.command_line())
    }
}

/// Whether `program` is heartbeat's ipfail (`.../ipfail`, e.g.
/// `/usr/lib/heartbeat/ipfail` or `/usr/lib64/heartbeat/ipfail`).
pub fn is_ipfail(program: &Path) -> bool {
    program.is_absolute()
        && program
            .file_name()
            .is_some_and(|name| name == IPFAIL_CLIENT)
}

/// One `apiauth` line: who may connect to heartbeat's API as a client.
///
/// Equal when they say the same thing, wherever written (see [`Respawn`]).
#[derive(Debug, Clone, Eq)]
pub struct ApiAuth {
    /// The client's name (`ipfail`, `ccm`, `ping`, ...).
    pub client: String,
    /// The users allowed (`uid=`), names or numbers, in order; empty if no
    /// `uid=` list.
    pub uids: Vec<String>,
    /// The groups allowed (`gid=`), names or numbers, in order; empty if
    /// no `gid=` list.
    pub gids: Vec<String>,
    /// Where the line was written.
    pub location: Location,
}

impl PartialEq for ApiAuth {
    fn eq(&self, other: &Self) -> bool {
        (&self.client, &self.uids, &self.gids) == (&other.client, &other.uids, &other.gids)
    }
}

impl ApiAuth {
    /// Whether this is ipfail's permission, which the built-in ipfail
    /// makes moot.
    pub fn is_ipfail(&self) -> bool {
        self.client == IPFAIL_CLIENT
    }
}

impl fmt::Display for ApiAuth {
    /// The ha.cf line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "apiauth {}", self.client)?;
        if !self.uids.is_empty() {
            write!(f, " uid={}", self.uids.join(","))?;
        }
        if !self.gids.is_empty() {
            write!(f, " gid={}", self.gids.join(","))?;
        }
        Ok(())
    }
}

/// Reads `respawn USER PROGRAM ARGS...` from its whitespace-split words.
pub(super) fn respawn(name: &str, words: &[&str], location: Location) -> Result<Respawn, String> {
    const FORM: &str = "USER /FULL/PATH/PROGRAM [ARGS...]";
    let (user, program, args) = match words {
        [] => return Err(format!("{name}: expected {FORM}, found nothing")),
        [user] => {
            return Err(format!(
                "{name}: expected {FORM}, found only '{user}' (no program)"
            ))
        }
        [user, program, args @ ..] => (*user, *program, args),
    };
    if !program.starts_with('/') {
        return Err(format!(
            "{name}: the program '{program}' is not a full path; write it from / \
             (e.g. /usr/lib/heartbeat/ipfail)"
        ));
    }
    if let Some(word) = words[1..].iter().find(|w| w.contains(SHELL_SYNTAX)) {
        return Err(format!(
            "{name}: '{word}' is shell syntax, which heartbeat's /bin/sh would interpret \
             and ha-node does not (it runs the program with its words as arguments); \
             put the command in a script and respawn the script"
        ));
    }
    Ok(Respawn {
        user: user.to_owned(),
        program: PathBuf::from(program),
        args: args.iter().map(|a| (*a).to_owned()).collect(),
        location,
    })
}

/// Reads `apiauth CLIENT [uid=LIST] [gid=LIST]` from its whitespace-split
/// words.
pub(super) fn apiauth(name: &str, words: &[&str], location: Location) -> Result<ApiAuth, String> {
    const FORM: &str = "CLIENT uid=USER[,USER...] and/or gid=GROUP[,GROUP...]";
    let Some((client, lists)) = words.split_first() else {
        return Err(format!("{name}: expected {FORM}, found nothing"));
    };
    if client.len() > MAX_CLIENT_NAME {
        return Err(format!(
            "{name}: the client name '{client}' is longer than {MAX_CLIENT_NAME} bytes, \
             the longest heartbeat keeps"
        ));
    }
    let mut uids: Option<Vec<String>> = None;
    let mut gids: Option<Vec<String>> = None;
    for word in lists {
        let (kind, list, slot) = if let Some(list) = word.strip_prefix("uid=") {
            ("uid", list, &mut uids)
        } else if let Some(list) = word.strip_prefix("gid=") {
            ("gid", list, &mut gids)
        } else {
            return Err(format!(
                "{name} {client}: expected uid=LIST or gid=LIST, found '{word}'"
            ));
        };
        if slot.is_some() {
            return Err(format!("{name} {client}: {kind}= is given twice"));
        }
        let names: Vec<String> = list.split(',').map(str::to_owned).collect();
        if names.iter().any(String::is_empty) {
            return Err(format!(
                "{name} {client}: '{word}' has an empty name; write {kind}=NAME[,NAME...]"
            ));
        }
        *slot = Some(names);
    }
    if uids.is_none() && gids.is_none() {
        return Err(format!(
            "{name} {client}: expected a uid= or gid= list (syntax: {name} {FORM})"
        ));
    }
    Ok(ApiAuth {
        client: (*client).to_owned(),
        uids: uids.unwrap_or_default(),
        gids: gids.unwrap_or_default(),
        location,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn here() -> Location {
        Location {
            path: Arc::from(Path::new("ha.cf")),
            line: 1,
        }
    }

    #[test]
    fn ipfail_is_recognised_by_its_file_name() {
        assert!(is_ipfail(Path::new("/usr/lib/heartbeat/ipfail")));
        assert!(is_ipfail(Path::new("/usr/lib64/heartbeat/ipfail")));
        assert!(!is_ipfail(Path::new("/usr/lib/heartbeat/ipfail2")));
        assert!(!is_ipfail(Path::new("/usr/lib/heartbeat/ccm")));
        assert!(!is_ipfail(Path::new("ipfail")));
    }

    #[test]
    fn respawn_words() {
        let r = respawn("respawn", &["hacluster", "/bin/x", "-a", "b,c"], here()).unwrap();
        assert_eq!(r.user, "hacluster");
        assert_eq!(r.program, Path::new("/bin/x"));
        assert_eq!(r.args, ["-a", "b,c"]);
        assert_eq!(r.name(), "x");
        assert_eq!(r.to_string(), "respawn hacluster /bin/x -a b,c");
        assert!(!r.is_ipfail());
    }

    #[test]
    fn apiauth_lists() {
        let a = apiauth(
            "apiauth",
            &["ping", "gid=haclient", "uid=alanr,root"],
            here(),
        )
        .unwrap();
        assert_eq!(a.uids, ["alanr", "root"]);
        assert_eq!(a.gids, ["haclient"]);
        assert_eq!(a.to_string(), "apiauth ping uid=alanr,root gid=haclient");
        assert!(!a.is_ipfail());
    }
}
