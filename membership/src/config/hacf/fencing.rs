//! Fencing (STONITH) devices: `stonith`, `stonith_host` and our
//! `stonith_command`.
//!
//! - `stonith TYPE CONFIGFILE`: heartbeat's device of a cluster-glue TYPE
//!   (`external/ssh`, `apcmaster`, ...) configured by a file.
//! - `stonith_host HOSTFROM|* TYPE PARAMS...`: a device of TYPE whose
//!   parameters are the rest of the line, used by the node HOSTFROM only
//!   (any node for `*`; compared without ASCII case, as heartbeat lowers it).
//! - `stonith_command PROGRAM [ARGS...]` (ours): a program, a full path,
//!   called as `PROGRAM ARGS... NODE`; exit 0 means NODE is fenced.
//!
//! heartbeat keeps one device: each line that applies to the node replaces
//! the one before, so the last one wins ([`HaConfig::fence_device_for`]).
//! Whether the `stonith` program and the TYPE exist is the host's business
//! (ha-node checks it at check-config and start), so parsing stays free of
//! I/O.
//!
//! [`HaConfig::fence_device_for`]: super::HaConfig::fence_device_for

use std::fmt;
use std::path::PathBuf;

use ha_conf::Location;

/// How a device resets a node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FenceMethod {
    /// `stonith TYPE CONFIGFILE`.
    File {
        /// The cluster-glue device type.
        device_type: String,
        /// Its configuration file.
        file: PathBuf,
    },
    /// `stonith_host HOSTFROM TYPE PARAMS...`.
    Params {
        /// The node that uses it; `None`: any (`*`).
        host: Option<String>,
        /// The cluster-glue device type.
        device_type: String,
        /// Its parameters, the rest of the line as written.
        params: String,
    },
    /// `stonith_command PROGRAM [ARGS...]`.
    Command {
        /// The program, a full path.
        program: PathBuf,
        /// Its arguments; the node's name follows them.
        args: Vec<String>,
    },
}

/// One fencing line of ha.cf.
///
/// Equal when they say the same thing, wherever written.
#[derive(Debug, Clone, Eq)]
pub struct FenceDevice {
    /// What it runs.
    pub method: FenceMethod,
    /// Where the line was written.
    pub location: Location,
}

impl PartialEq for FenceDevice {
    fn eq(&self, other: &Self) -> bool {
        self.method == other.method
    }
}

impl FenceDevice {
    /// Whether the line applies to node `node` (only `stonith_host` names
    /// a node).
    pub fn applies_to(&self, node: &str) -> bool {
        match &self.method {
            FenceMethod::Params {
                host: Some(host), ..
            } => host.eq_ignore_ascii_case(node),
            _ => true,
        }
    }

    /// The cluster-glue device type, for `stonith` and `stonith_host`.
    pub fn device_type(&self) -> Option<&str> {
        match &self.method {
            FenceMethod::File { device_type, .. } | FenceMethod::Params { device_type, .. } => {
                Some(device_type)
            }
            FenceMethod::Command { .. } => None,
        }
    }
}

impl fmt::Display for FenceDevice {
    /// The ha.cf line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.method {
            FenceMethod::File { device_type, file } => {
                write!(f, "stonith {device_type} {}", file.display())
            }
            FenceMethod::Params {
                host,
                device_type,
                params,
            } => {
                let host = host.as_deref().unwrap_or("*");
                write!(f, "stonith_host {host} {device_type} {params}")
            }
            FenceMethod::Command { program, args } => {
                write!(f, "stonith_command {}", program.display())?;
                for arg in args {
                    write!(f, " {arg}")?;
                }
                Ok(())
            }
        }
    }
}

/// Reads `stonith TYPE CONFIGFILE` from its whitespace-split words.
pub(super) fn stonith(name: &str, words: &[&str]) -> Result<FenceMethod, String> {
    const FORM: &str = "TYPE CONFIGFILE (e.g. external/ssh /etc/ha.d/stonith.cfg)";
    match words {
        [] => Err(format!("{name}: expected {FORM}, found nothing")),
        [device_type] => Err(format!(
            "{name}: expected {FORM}, found only '{device_type}' (no configuration file)"
        )),
        [device_type, file] => Ok(FenceMethod::File {
            device_type: (*device_type).to_owned(),
            file: PathBuf::from(file),
        }),
        [_, _, extra, ..] => Err(format!(
            "{name}: expected {FORM}, found '{extra}' after the file; \
             give parameters inline with stonith_host"
        )),
    }
}

/// Reads `stonith_host HOSTFROM|* TYPE PARAMS...` from its words.
pub(super) fn stonith_host(name: &str, words: &[&str]) -> Result<FenceMethod, String> {
    const FORM: &str = "HOSTFROM|* TYPE PARAMS... (e.g. * external/ssh node-a node-b)";
    match words {
        [] => Err(format!("{name}: expected {FORM}, found nothing")),
        [host] => Err(format!(
            "{name}: expected {FORM}, found only '{host}' (no device type)"
        )),
        [host, device_type, params @ ..] => Ok(FenceMethod::Params {
            host: (*host != "*").then(|| host.to_ascii_lowercase()),
            device_type: (*device_type).to_owned(),
            params: params.join(" "),
        }),
    }
}

/// Reads `stonith_command PROGRAM [ARGS...]` from its words.
pub(super) fn stonith_command(name: &str, words: &[&str]) -> Result<FenceMethod, String> {
    const FORM: &str = "/FULL/PATH/PROGRAM [ARGS...] (called with the node's name last)";
    let Some((program, args)) = words.split_first() else {
        return Err(format!("{name}: expected {FORM}, found nothing"));
    };
    if !program.starts_with('/') {
        return Err(format!(
            "{name}: the program '{program}' is not a full path; write it from /"
        ));
    }
    Ok(FenceMethod::Command {
        program: PathBuf::from(program),
        args: args.iter().map(|a| (*a).to_owned()).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;
    use std::sync::Arc;

    fn device(method: FenceMethod) -> FenceDevice {
        FenceDevice {
            method,
            location: Location {
                path: Arc::from(Path::new("ha.cf")),
                line: 1,
            },
        }
    }

    #[test]
    fn stonith_takes_a_type_and_a_file() {
        let m = stonith("stonith", &["external/ssh", "/etc/ha.d/st.cfg"]).unwrap();
        assert_eq!(
            device(m).to_string(),
            "stonith external/ssh /etc/ha.d/st.cfg"
        );
        assert!(stonith("stonith", &["external/ssh"])
            .unwrap_err()
            .contains("no configuration file"));
        assert!(stonith("stonith", &[]).unwrap_err().contains("nothing"));
    }

    #[test]
    fn stonith_host_applies_to_its_host_or_everyone() {
        let mine = device(stonith_host("stonith_host", &["Node-A", "null", "x", "y"]).unwrap());
        assert!(mine.applies_to("node-a"));
        assert!(!mine.applies_to("node-b"));
        assert_eq!(mine.to_string(), "stonith_host node-a null x y");
        let any = device(stonith_host("stonith_host", &["*", "null", "x"]).unwrap());
        assert!(any.applies_to("node-b"));
        assert_eq!(any.device_type(), Some("null"));
        assert!(stonith_host("stonith_host", &["*"])
            .unwrap_err()
            .contains("no device type"));
    }

    #[test]
    fn stonith_command_needs_a_full_path() {
        let m = stonith_command("stonith_command", &["/usr/bin/fence", "-v"]).unwrap();
        assert_eq!(device(m).to_string(), "stonith_command /usr/bin/fence -v");
        assert!(stonith_command("stonith_command", &["fence"])
            .unwrap_err()
            .contains("full path"));
    }
}
