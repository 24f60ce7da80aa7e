//! Ping nodes: `ping ADDR...` and `ping_group NAME ADDR...`.
//!
//! heartbeat's `ping` medium makes each address a pseudo-member of the
//! cluster, named by the address as written, that is up while it answers
//! ICMP echo; `ping_group NAME ADDR...` makes one pseudo-member named NAME
//! that is up while any of its addresses answers. heartbeat splits `ping`'s
//! values like any option (whitespace or commas: `ping a,b` is two ping
//! nodes) and `ping_group`'s on whitespace only (its plugin parses the
//! whole line). heartbeat resolves host names with `gethostbyname`; we take
//! addresses only, so that a node never waits on DNS, and say so. heartbeat's
//! `ping` is IPv4 only (it has `ping6` for IPv6, lib/plugins/HBcomm/ping6.c,
//! which takes IPv6 addresses only); our `ping` takes both, our `ping6`
//! IPv6 only, as heartbeat's.

use std::net::IpAddr;

/// A ping node: a pseudo-member that is up while it answers ICMP echo.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PingNode {
    /// Its name: the address of a `ping` line (in its canonical form), or
    /// the NAME of a `ping_group` line.
    pub name: String,
    /// The addresses pinged; the node is up while any of them answers.
    pub addresses: Vec<IpAddr>,
    /// Whether it comes from a `ping_group` line.
    pub group: bool,
    /// Its weight in ipfail's comparison (`ping_weight`, ours; 1 unless
    /// set): a node's count is the sum of the weights of its ping nodes up.
    pub weight: u32,
}

/// The largest `ping_weight`.
pub const MAX_WEIGHT: u32 = 1000;

/// `ping_weight NAME WEIGHT`: the name and the weight, 1 to [`MAX_WEIGHT`].
pub(super) fn ping_weight(name: &str, words: &[&str]) -> Result<(String, u32), String> {
    let [node, weight] = words else {
        return Err(format!(
            "{name}: expected a ping node's name and a weight (e.g. `{name} 10.0.0.1 5`), \
             found {} words",
            words.len()
        ));
    };
    let weight = weight
        .parse::<u32>()
        .ok()
        .filter(|w| (1..=MAX_WEIGHT).contains(w))
        .ok_or_else(|| {
            format!("{name} {node}: expected a weight from 1 to {MAX_WEIGHT}, found '{weight}'")
        })?;
    Ok(((*node).to_owned(), weight))
}

/// One address of a ping line.
pub(super) fn address(name: &str, text: &str) -> Result<IpAddr, String> {
    text.parse::<IpAddr>().map_err(|_| {
        format!(
            "{name}: expected an IPv4 or IPv6 address, found '{text}' (host names are not \
             resolved: write the address)"
        )
    })
}

/// `ping ADDR...`: one ping node per address.
pub(super) fn ping(name: &str, values: &[&str]) -> Result<Vec<PingNode>, String> {
    if values.is_empty() {
        return Err(format!(
            "{name}: expected one or more addresses to ping, found nothing"
        ));
    }
    values
        .iter()
        .map(|text| {
            let address = address(name, text)?;
            Ok(PingNode {
                name: address.to_string(),
                addresses: vec![address],
                group: false,
                weight: 1,
            })
        })
        .collect()
}

/// `ping6 ADDR...`: one ping node per IPv6 address.
pub(super) fn ping6(name: &str, values: &[&str]) -> Result<Vec<PingNode>, String> {
    let nodes = ping(name, values)?;
    match nodes
        .iter()
        .find(|n| n.addresses.iter().any(IpAddr::is_ipv4))
    {
        Some(node) => Err(format!(
            "{name}: '{}' is an IPv4 address; ping6 takes IPv6 addresses (ping takes IPv4)",
            node.name
        )),
        None => Ok(nodes),
    }
}

/// `ping_group NAME ADDR...`: one ping node for every address at once.
pub(super) fn ping_group(name: &str, words: &[&str]) -> Result<PingNode, String> {
    let Some((group, hosts)) = words.split_first() else {
        return Err(format!(
            "{name}: expected a group name and one or more addresses, found nothing"
        ));
    };
    if hosts.is_empty() {
        return Err(format!(
            "{name} {group}: expected one or more addresses after the group name, found nothing"
        ));
    }
    let mut addresses = Vec::new();
    for text in hosts {
        let address = address(name, text)?;
        if addresses.contains(&address) {
            return Err(format!("{name} {group}: address {address} is listed twice"));
        }
        addresses.push(address);
    }
    Ok(PingNode {
        name: (*group).to_owned(),
        addresses,
        group: true,
        weight: 1,
    })
}

impl PingNode {
    /// The `ping_weight` line that weighs it, unless its weight is 1.
    pub fn render_weight(&self) -> Option<String> {
        (self.weight != 1).then(|| format!("ping_weight {} {}", self.name, self.weight))
    }

    /// The ha.cf line that declares it.
    pub fn render(&self) -> String {
        let addresses: Vec<String> = self.addresses.iter().map(ToString::to_string).collect();
        if self.group {
            format!("ping_group {} {}", self.name, addresses.join(" "))
        } else {
            format!("ping {}", addresses.join(" "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ping6_takes_ipv6_addresses_only() {
        let nodes = ping6("ping6", &["fd00::1", "fe80::0001"]).expect("addresses");
        let names: Vec<&str> = nodes.iter().map(|n| n.name.as_str()).collect();
        assert_eq!(names, ["fd00::1", "fe80::1"]);
        assert_eq!(
            ping6("ping6", &["fd00::1", "10.0.0.1"]),
            Err(
                "ping6: '10.0.0.1' is an IPv4 address; ping6 takes IPv6 addresses (ping takes \
                 IPv4)"
                    .to_owned()
            )
        );
    }

    #[test]
    fn ping_makes_one_node_per_address() {
        let nodes = ping("ping", &["10.0.0.1", "fe80::0001"]).expect("addresses");
        let names: Vec<&str> = nodes.iter().map(|n| n.name.as_str()).collect();
        assert_eq!(names, ["10.0.0.1", "fe80::1"]);
        assert!(nodes.iter().all(|n| !n.group && n.addresses.len() == 1));
        assert_eq!(
            ping("ping", &[]),
            Err("ping: expected one or more addresses to ping, found nothing".to_owned())
        );
        assert_eq!(
            ping("ping", &["router"]),
            Err(
                "ping: expected an IPv4 or IPv6 address, found 'router' (host names are not \
                 resolved: write the address)"
                    .to_owned()
            )
        );
    }

    #[test]
    fn a_group_needs_a_name_and_distinct_addresses() {
        let group = ping_group("ping_group", &["g1", "10.0.0.1", "10.0.0.2"]).expect("group");
        assert_eq!(group.name, "g1");
        assert_eq!(group.addresses.len(), 2);
        assert_eq!(group.render(), "ping_group g1 10.0.0.1 10.0.0.2");
        assert_eq!(
            ping_group("ping_group", &["g1"]),
            Err(
                "ping_group g1: expected one or more addresses after the group name, found nothing"
                    .to_owned()
            )
        );
        assert!(ping_group("ping_group", &[]).is_err());
        assert_eq!(
            ping_group("ping_group", &["g1", "10.0.0.1", "10.0.0.1"]),
            Err("ping_group g1: address 10.0.0.1 is listed twice".to_owned())
        );
    }
}
