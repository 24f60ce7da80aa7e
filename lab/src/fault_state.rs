//! The faults wanted on one host, as data, and the nftables script that
//! puts them in place (see `fault` for how they are applied).

use std::collections::BTreeSet;
use std::fmt::Write;

/// The nftables table holding a host's fault rules.
pub(crate) const TABLE: &str = "halab";

/// A transport protocol whose ports can be blocked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Protocol {
    Udp,
    Tcp,
}

impl Protocol {
    fn keyword(self) -> &'static str {
        match self {
            Protocol::Udp => "udp",
            Protocol::Tcp => "tcp",
        }
    }
}

/// The faults wanted on one host.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct FaultState {
    pub(crate) incoming_loss: u8,
    pub(crate) outgoing_loss: u8,
    pub(crate) blocked: BTreeSet<(Protocol, u16)>,
    /// Addresses whose ICMP and ICMPv6 to and from this host are dropped.
    pub(crate) icmp_blocked: BTreeSet<std::net::IpAddr>,
}

impl FaultState {
    pub(crate) fn is_clear(&self) -> bool {
        *self == FaultState::default()
    }

    /// The `nft -f` script that replaces the host's table with this state.
    pub(crate) fn script(&self) -> String {
        // Declaring the table first makes the delete succeed when it is absent.
        let mut script = format!("table inet {TABLE}\ndelete table inet {TABLE}\n");
        if self.is_clear() {
            return script;
        }
        let _ = writeln!(script, "table inet {TABLE} {{");
        for (chain, hook, lo_match, loss) in [
            ("input", "input", "iifname", self.incoming_loss),
            ("output", "output", "oifname", self.outgoing_loss),
        ] {
            let _ = writeln!(script, "  chain {chain} {{");
            let _ = writeln!(
                script,
                "    type filter hook {hook} priority -10; policy accept;"
            );
            let _ = writeln!(script, "    {lo_match} \"lo\" accept");
            for (protocol, port) in &self.blocked {
                let _ = writeln!(script, "    {} dport {port} drop", protocol.keyword());
            }
            let peer = if chain == "input" { "saddr" } else { "daddr" };
            for address in &self.icmp_blocked {
                let (family, icmp) = if address.is_ipv6() {
                    ("ip6", "icmpv6")
                } else {
                    ("ip", "icmp")
                };
                let _ = writeln!(
                    script,
                    "    {family} {peer} {address} meta l4proto {icmp} drop"
                );
            }
            match loss {
                0 => {}
                100.. => {
                    let _ = writeln!(script, "    drop");
                }
                percent => {
                    let _ = writeln!(script, "    numgen random mod 100 < {percent} drop");
                }
            }
            let _ = writeln!(script, "  }}");
        }
        let _ = writeln!(script, "}}");
        script
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn icmp_to_and_from_an_address_is_dropped() {
        let mut state = FaultState::default();
        state.icmp_blocked.insert("10.77.0.254".parse().unwrap());
        let script = state.script();
        assert!(script.contains("ip saddr 10.77.0.254 meta l4proto icmp drop"));
        assert!(script.contains("ip daddr 10.77.0.254 meta l4proto icmp drop"));
    }

    #[test]
    fn clear_state_only_deletes_the_table() {
        let script = FaultState::default().script();
        assert_eq!(script, "table inet halab\ndelete table inet halab\n");
    }

    #[test]
    fn loss_uses_numgen_and_full_loss_drops_all() {
        let state = FaultState {
            incoming_loss: 30,
            outgoing_loss: 100,
            blocked: BTreeSet::from([(Protocol::Udp, 694)]),
            icmp_blocked: BTreeSet::new(),
        };
        let script = state.script();
        assert!(script.contains("numgen random mod 100 < 30 drop"));
        assert!(script.contains("\n    drop\n"));
        assert!(!script.contains("< 100"));
        assert_eq!(script.matches("udp dport 694 drop").count(), 2);
        assert!(script.contains("iifname \"lo\" accept"));
        assert!(script.contains("oifname \"lo\" accept"));
    }
}
