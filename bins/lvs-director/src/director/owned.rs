//! The services this director owns, kept in its state directory across
//! restarts: those of the configuration in force plus retired ones not yet
//! removed from the kernel. A service in the file at start-up that the new
//! configuration no longer has is removed then, as a reload would; a
//! service the director never owned is never touched.
//!
//! One service per line: `tcp ADDR PORT`, `udp ADDR PORT`, `sctp ADDR
//! PORT`, `fwm inet MARK` or `fwm inet6 MARK`.

use std::collections::BTreeSet;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use ha_ipvs::{AddressFamily, Protocol, ServiceKey};

/// The state file of the configuration named `name` in `dir`.
pub fn path(dir: &Path, name: &str) -> PathBuf {
    dir.join(format!("services.{name}"))
}

/// One line for `key`.
fn line(key: &ServiceKey) -> String {
    match key {
        ServiceKey::Address {
            protocol,
            addr,
            port,
        } => format!("{} {addr} {port}", protocol.name().to_ascii_lowercase()),
        ServiceKey::FirewallMark { af, mark } => match af {
            AddressFamily::Inet => format!("fwm inet {mark}"),
            AddressFamily::Inet6 => format!("fwm inet6 {mark}"),
        },
    }
}

/// The key of one line, if it is well formed.
fn parse_line(text: &str) -> Option<ServiceKey> {
    let words: Vec<&str> = text.split_whitespace().collect();
    match words.as_slice() {
        ["fwm", family, mark] => Some(ServiceKey::FirewallMark {
            af: match *family {
                "inet" => AddressFamily::Inet,
                "inet6" => AddressFamily::Inet6,
                _ => return None,
            },
            mark: mark.parse().ok()?,
        }),
        [protocol, addr, port] => Some(ServiceKey::Address {
            protocol: match *protocol {
                "tcp" => Protocol::Tcp,
                "udp" => Protocol::Udp,
                "sctp" => Protocol::Sctp,
                _ => return None,
            },
            addr: addr.parse().ok()?,
            port: port.parse().ok()?,
        }),
        _ => None,
    }
}

/// The services recorded at `path` (none when there is no file); lines
/// that cannot be read are skipped with a warning.
pub fn read(path: &Path) -> BTreeSet<ServiceKey> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == ErrorKind::NotFound => return BTreeSet::new(),
        Err(e) => {
            log::warn!("cannot read {}: {e}", path.display());
            return BTreeSet::new();
        }
    };
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .filter_map(|l| {
            let key = parse_line(l);
            if key.is_none() {
                log::warn!("{}: ignoring unreadable line '{l}'", path.display());
            }
            key
        })
        .collect()
}

/// Records `owned` at `path` (written aside, then renamed into place).
pub fn write(path: &Path, owned: &BTreeSet<ServiceKey>) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let text: String = owned.iter().map(|k| line(k) + "\n").collect();
    let partial = path.with_extension("new");
    std::fs::write(&partial, text)?;
    std::fs::rename(&partial, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_of_key_reads_back_and_junk_is_skipped() {
        let keys = [
            ServiceKey::Address {
                protocol: Protocol::Tcp,
                addr: "192.0.2.1".parse().unwrap(),
                port: 80,
            },
            ServiceKey::Address {
                protocol: Protocol::Udp,
                addr: "2001:db8::1".parse().unwrap(),
                port: 53,
            },
            ServiceKey::FirewallMark {
                af: AddressFamily::Inet6,
                mark: 7,
            },
        ];
        for key in &keys {
            assert_eq!(parse_line(&line(key)), Some(*key), "{}", line(key));
        }
        assert_eq!(parse_line("tcp 192.0.2.1"), None);
        assert_eq!(parse_line("icmp 192.0.2.1 80"), None);
        assert_eq!(parse_line("fwm inet x"), None);
        let dir = std::env::temp_dir().join(format!("lvs-director-owned-{}", std::process::id()));
        let file = path(&dir, "ldirectord.cf");
        assert!(read(&file).is_empty());
        let owned: BTreeSet<ServiceKey> = keys.into_iter().collect();
        write(&file, &owned).unwrap();
        assert_eq!(read(&file), owned);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
