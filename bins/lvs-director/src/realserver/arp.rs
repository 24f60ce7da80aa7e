//! The ARP settings of an LVS-DR real server: it must not answer ARP for
//! the virtual IP it carries on `lo` (`arp_ignore` 1: answer only for
//! addresses of the interface asked on) nor use it as the source of its own
//! ARP requests (`arp_announce` 2), on `lo` and `all`, as seed 002's
//! `realserver` script sets them.
//!
//! Before changing them the first time, the values found are saved in the
//! state directory, so that stopping puts back what was there, not a guess.

use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use super::RealServerError;

/// The interfaces whose settings change (`all` applies the maximum of it
/// and each interface's own).
const INTERFACES: [&str; 2] = ["lo", "all"];

/// The settings and the values a real server needs.
const WANTED: [(&str, &str); 2] = [("arp_ignore", "1"), ("arp_announce", "2")];

/// The file in the state directory holding the values found before.
pub const SAVED_FILE: &str = "realserver-arp";

/// Where a setting lives under /proc/sys (of the caller's namespace).
fn sysctl_path(interface: &str, setting: &str) -> PathBuf {
    Path::new("/proc/sys/net/ipv4/conf")
        .join(interface)
        .join(setting)
}

fn read(path: &Path) -> Result<String, RealServerError> {
    std::fs::read_to_string(path)
        .map(|v| v.trim().to_string())
        .map_err(|source| RealServerError::Sysctl {
            path: path.to_path_buf(),
            source,
        })
}

fn write(path: &Path, value: &str) -> Result<(), RealServerError> {
    std::fs::write(path, format!("{value}\n")).map_err(|source| RealServerError::Sysctl {
        path: path.to_path_buf(),
        source,
    })
}

fn state_error(path: &Path, source: std::io::Error) -> RealServerError {
    RealServerError::State {
        path: path.to_path_buf(),
        source,
    }
}

/// The current value of each setting, as `(interface, setting, value)`.
pub fn current() -> Result<Vec<(String, String, String)>, RealServerError> {
    let mut values = Vec::new();
    for interface in INTERFACES {
        for (setting, _) in WANTED {
            let value = read(&sysctl_path(interface, setting))?;
            values.push((interface.to_string(), setting.to_string(), value));
        }
    }
    Ok(values)
}

/// Whether every setting has the value a real server needs.
pub fn is_set() -> Result<bool, RealServerError> {
    Ok(current()?.iter().all(|(_, setting, value)| {
        WANTED
            .iter()
            .any(|(name, wanted)| name == setting && wanted == value)
    }))
}

/// Saves the current values (unless saved already) and sets the wanted ones.
pub fn apply(state_dir: &Path) -> Result<(), RealServerError> {
    let saved = state_dir.join(SAVED_FILE);
    if !saved.exists() {
        let text: String = current()?
            .iter()
            .map(|(interface, setting, value)| format!("{interface} {setting} {value}\n"))
            .collect();
        std::fs::create_dir_all(state_dir).map_err(|e| state_error(state_dir, e))?;
        let partial = saved.with_extension("new");
        std::fs::write(&partial, text).map_err(|e| state_error(&partial, e))?;
        std::fs::rename(&partial, &saved).map_err(|e| state_error(&saved, e))?;
    }
    for interface in INTERFACES {
        for (setting, value) in WANTED {
            write(&sysctl_path(interface, setting), value)?;
        }
    }
    Ok(())
}

/// Puts back the values saved by [`apply`] and forgets them; without saved
/// values (never started, or restored already) nothing changes.
pub fn restore(state_dir: &Path) -> Result<(), RealServerError> {
    let saved = state_dir.join(SAVED_FILE);
    let text = match std::fs::read_to_string(&saved) {
        Ok(text) => text,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(state_error(&saved, e)),
    };
    for interface in INTERFACES {
        for (setting, _) in WANTED {
            if let Some(value) = saved_value(&text, interface, setting) {
                write(&sysctl_path(interface, setting), value)?;
            }
        }
    }
    std::fs::remove_file(&saved).map_err(|e| state_error(&saved, e))
}

/// The value saved for one setting: a line `INTERFACE SETTING VALUE` whose
/// value is a small number (anything else is ignored).
fn saved_value<'a>(text: &'a str, interface: &str, setting: &str) -> Option<&'a str> {
    text.lines().find_map(|line| {
        let mut words = line.split_whitespace();
        let (i, s, v) = (words.next()?, words.next()?, words.next()?);
        (i == interface && s == setting && v.parse::<u8>().is_ok()).then_some(v)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saved_values_are_found_by_interface_and_setting() {
        let text = "lo arp_ignore 0\nlo arp_announce 1\nall arp_ignore 2\nall arp_announce x\n";
        assert_eq!(saved_value(text, "lo", "arp_announce"), Some("1"));
        assert_eq!(saved_value(text, "all", "arp_ignore"), Some("2"));
        assert_eq!(
            saved_value(text, "all", "arp_announce"),
            None,
            "not a number"
        );
        assert_eq!(saved_value(text, "eth0", "arp_ignore"), None);
    }
}
