//! Addresses of lab hosts: parsing `ADDR/PREFIX`, adding and removing
//! addresses, and reading back what the kernel has (`ip -j addr`,
//! `ip -j neigh`) so tests can check what an agent did.

use std::net::IpAddr;

use serde_json::Value;

use crate::host::Host;
use crate::ip_json::json_array;
use crate::names::check_ifname;
use crate::LabError;

/// One address on an interface, as the kernel reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IfAddr {
    /// The interface carrying it.
    pub ifname: String,
    /// The address.
    pub addr: IpAddr,
    /// Its prefix length.
    pub prefix: u8,
    /// Its label (IPv4 only, e.g. `eth0:0`; plain `eth0` when none was set).
    pub label: Option<String>,
}

/// Splits `"10.77.0.1/24"` into address and prefix length.
pub(crate) fn parse_cidr(text: &str) -> Result<(IpAddr, u8), LabError> {
    let invalid = |reason: &str| LabError::InvalidAddress {
        text: text.to_string(),
        reason: reason.to_string(),
    };
    let (addr, prefix) = text
        .split_once('/')
        .ok_or_else(|| invalid("expected ADDRESS/PREFIX, e.g. 10.77.0.1/24"))?;
    let addr: IpAddr = addr
        .parse()
        .map_err(|_| invalid("expected an IPv4 or IPv6 address before '/'"))?;
    let prefix: u8 = prefix
        .parse()
        .map_err(|_| invalid("expected a prefix length after '/'"))?;
    let max = if addr.is_ipv4() { 32 } else { 128 };
    if prefix > max {
        return Err(invalid(&format!("prefix length is at most {max}")));
    }
    Ok((addr, prefix))
}

/// The addresses in `ip -j addr show` output.
fn parse_addresses(command: &str, text: &str) -> Result<Vec<IfAddr>, LabError> {
    let parse_error = |reason: &str| LabError::Parse {
        command: command.to_string(),
        reason: reason.to_string(),
    };
    let mut found = Vec::new();
    for link in json_array(command, text)? {
        let Some(ifname) = link.get("ifname").and_then(Value::as_str) else {
            continue;
        };
        let infos = link.get("addr_info").and_then(Value::as_array);
        for info in infos.into_iter().flatten() {
            // Entries without "local" are lifetime-only continuation lines.
            let Some(local) = info.get("local").and_then(Value::as_str) else {
                continue;
            };
            let addr = local
                .parse()
                .map_err(|_| parse_error("\"local\" is not an IP address"))?;
            let prefix = info
                .get("prefixlen")
                .and_then(Value::as_u64)
                .and_then(|p| u8::try_from(p).ok())
                .ok_or_else(|| parse_error("missing or bad \"prefixlen\""))?;
            found.push(IfAddr {
                ifname: ifname.to_string(),
                addr,
                prefix,
                label: info
                    .get("label")
                    .and_then(Value::as_str)
                    .map(str::to_string),
            });
        }
    }
    Ok(found)
}

impl Host {
    /// Adds `cidr` (`"10.77.0.100/24"`) to `ifname`: IPv4 with the subnet
    /// broadcast, IPv6 without duplicate address detection.
    pub fn add_address(&self, ifname: &str, cidr: &str) -> Result<(), LabError> {
        check_ifname(ifname)?;
        let (addr, _) = parse_cidr(cidr)?;
        let extra = if addr.is_ipv4() {
            ["brd", "+"].as_slice()
        } else {
            ["nodad"].as_slice()
        };
        let mut args = vec!["addr", "add", cidr];
        args.extend_from_slice(extra);
        args.extend_from_slice(&["dev", ifname]);
        self.ip(&args).map(drop)
    }

    /// Removes `cidr` from `ifname`.
    pub fn del_address(&self, ifname: &str, cidr: &str) -> Result<(), LabError> {
        check_ifname(ifname)?;
        parse_cidr(cidr)?;
        self.ip(&["addr", "del", cidr, "dev", ifname]).map(drop)
    }

    /// The addresses on `ifname` (an error if there is no such interface).
    pub fn addresses(&self, ifname: &str) -> Result<Vec<IfAddr>, LabError> {
        check_ifname(ifname)?;
        let text = self.ip(&["-j", "addr", "show", "dev", ifname])?;
        parse_addresses("ip -j addr show dev", &text)
    }

    /// The addresses on all interfaces, `lo` included.
    pub fn all_addresses(&self) -> Result<Vec<IfAddr>, LabError> {
        let text = self.ip(&["-j", "addr", "show"])?;
        parse_addresses("ip -j addr show", &text)
    }

    /// Whether any interface of this host carries `addr`.
    pub fn has_address(&self, addr: IpAddr) -> Result<bool, LabError> {
        Ok(self.all_addresses()?.iter().any(|a| a.addr == addr))
    }

    /// The MAC address this host's neighbour table holds for `addr`, if it
    /// has a usable entry (not FAILED or INCOMPLETE). Tests of gratuitous ARP
    /// read it on a client.
    pub fn neighbour(&self, addr: IpAddr) -> Result<Option<String>, LabError> {
        let text = self.ip(&["-j", "neigh", "show", &addr.to_string()])?;
        let entries = json_array("ip -j neigh show", &text)?;
        Ok(entries.iter().find_map(|entry| {
            let unusable = entry
                .get("state")
                .and_then(Value::as_array)
                .is_some_and(|states| {
                    states
                        .iter()
                        .any(|s| matches!(s.as_str(), Some("FAILED" | "INCOMPLETE")))
                });
            if unusable {
                return None;
            }
            entry
                .get("lladdr")
                .and_then(Value::as_str)
                .map(str::to_string)
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidrs_are_checked() {
        assert_eq!(
            parse_cidr("10.77.0.1/24").ok(),
            Some(("10.77.0.1".parse().unwrap(), 24))
        );
        assert_eq!(parse_cidr("fd77::1/64").ok().map(|c| c.1), Some(64));
        assert!(parse_cidr("10.77.0.1").is_err());
        assert!(parse_cidr("10.77.0.1/33").is_err());
        assert!(parse_cidr("fd77::1/129").is_err());
        assert!(parse_cidr("10.77.0/24").is_err());
    }

    #[test]
    fn ip_json_addresses_are_read() {
        let text = r#"[{"ifindex":1,"ifname":"lo","addr_info":[{"family":"inet","local":"127.0.0.1","prefixlen":8,"scope":"host","label":"lo"}]},
            {"ifindex":2,"ifname":"eth0","addr_info":[{"family":"inet","local":"10.77.0.1","prefixlen":24,"broadcast":"10.77.0.255","label":"eth0"},
            {"family":"inet","local":"10.77.0.100","prefixlen":24,"label":"eth0:0"},{"valid_life_time":4294967295},
            {"family":"inet6","local":"fd77::1","prefixlen":64}]}]"#;
        let found = parse_addresses("test", text).unwrap();
        assert_eq!(found.len(), 4);
        assert_eq!(found[2].label.as_deref(), Some("eth0:0"));
        assert_eq!(found[2].addr, "10.77.0.100".parse::<IpAddr>().unwrap());
        assert_eq!(found[3].label, None);
        assert_eq!(found[3].prefix, 64);
    }

    #[test]
    fn bad_ip_json_is_an_error() {
        assert!(parse_addresses("test", "{}").is_err());
        assert!(parse_addresses("test", "[").is_err());
        let bad = r#"[{"ifname":"eth0","addr_info":[{"local":"nope","prefixlen":24}]}]"#;
        assert!(parse_addresses("test", bad).is_err());
    }
}
