//! Directives heartbeat 3.0.6 accepts that change nothing in ha-node, read
//! with heartbeat's value rules and answered with a note saying why.
//!
//! - `use_logd on|off` (heartbeat's `set_logdaemon`, config.c): heartbeat
//!   sends its log to the logging daemon `ha_logd`. ha-node writes its own
//!   log (`logfile`, `debugfile`, `logfacility`, and stderr) and uses no
//!   logging daemon; `use_logd off` needs no note.
//! - `conn_logd_time TIME` (`set_logdconntime`): how often heartbeat
//!   reconnects to `ha_logd`, a positive time; meaningless without it.
//! - `coredumps on|off` (`set_coredump`, on by default): heartbeat raises
//!   its core size limit and dumps under /var/lib/heartbeat/cores. ha-node's
//!   core dumps follow the system's settings (`ulimit -c`,
//!   `kernel.core_pattern`); `coredumps off` needs no note.
//! - `uuidfrom file|nodename` (`set_uuidfrom`, `file` by default): where
//!   heartbeat takes a node's identity from. ha-node always knows its peers
//!   by node name, which is what `nodename` asks for; `file` (heartbeat's
//!   default) is noted, since a peer's UUID never identifies it here.

use ha_conf::{ConfigWarning, Line};

use super::values;

/// A directive accepted with a note.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Noted {
    /// `use_logd`
    UseLogd,
    /// `conn_logd_time`
    ConnLogdTime,
    /// `coredumps`
    Coredumps,
    /// `uuidfrom`
    Uuidfrom,
}

/// Checks the value as heartbeat does and returns the note to show, if any.
pub(super) fn read(
    noted: Noted,
    line: Line<'_>,
    name: &str,
    values: &[&str],
) -> Result<Option<ConfigWarning>, String> {
    let note = match noted {
        Noted::UseLogd => values::on_off(name, values)?.then(|| {
            format!(
                "{name}: ha-node uses no logging daemon; it writes its own log \
                 (logfile, debugfile, logfacility, and stderr)"
            )
        }),
        Noted::ConnLogdTime => {
            values::positive_time(name, values)?;
            Some(format!(
                "{name}: ignored, ha-node uses no logging daemon to reconnect to"
            ))
        }
        Noted::Coredumps => values::on_off(name, values)?.then(|| {
            format!(
                "{name}: ha-node's core dumps follow the system's settings \
                 (ulimit -c, kernel.core_pattern), not /var/lib/heartbeat/cores"
            )
        }),
        Noted::Uuidfrom => match values::one(name, values, "file or nodename")? {
            "nodename" => None,
            "file" => Some(format!(
                "{name} file: ha-node knows every node by its name, as with 'uuidfrom nodename'"
            )),
            other => {
                return Err(format!(
                    "{name}: expected file or nodename, found '{other}'"
                ))
            }
        },
    };
    Ok(note.map(|message| line.warning(message)))
}
