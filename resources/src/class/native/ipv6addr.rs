//! `IPv6addr::ADDRESS[/PREFIX[/NIC]]` served natively: an IPv6 service
//! address added with rtnetlink and announced with unsolicited neighbour
//! advertisements (ha-net), as resource-agents' IPv6addr does:
//!
//! - placement: the interface holding an IPv6 address in the same prefix
//!   — the given prefix length, else each address's own, which then becomes
//!   the new address's — limited to NIC when given; when none matches, NIC
//!   with the given prefix; a link-local address needs NIC;
//! - start: an address already configured anywhere is success; else add
//!   it, wait for duplicate address detection to finish (up to 5 s, as the
//!   OCF agent's five tries a second apart; a duplicate fails the start and
//!   the address is removed — the OCF agent reports success and leaves the
//!   kernel's `dadfailed` address behind), then advertise it: 5 unsolicited neighbour
//!   advertisements 1 s apart, the first at once, the rest in the
//!   background (the OCF agent sends all five before it returns);
//! - stop: remove it from every interface; monitor: running when it is
//!   configured.
//!
//! The native IPaddr agent is IPv4's; this is its IPv6 counterpart over the
//! same ha-net calls (the one way to add an address and to announce it).

use std::net::{IpAddr, Ipv6Addr};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use ha_net::address::{Ipv6Entry, LinkInfo, Netlink, NewAddress};
use ha_net::ndp::{NaSender, IPV6ADDR_SCHEDULE};

use super::address_text;
use super::agent_impl::NativeAgent;
use super::announcer::Announcer;
use super::meta_data::{Description, Parameter, Timeouts};
use super::params::{self, valid_interface_name};
use crate::agent::{AgentErrorKind, Health};

/// The parameters served natively in the `ocf:heartbeat:IPv6addr` form.
pub const NATIVE_PARAMS: &[&str] = &["ipv6addr", "cidr_netmask", "nic"];

/// How long start waits for duplicate address detection.
const DAD_WAIT: Duration = Duration::from_secs(5);
/// How often it looks.
const DAD_POLL: Duration = Duration::from_millis(50);

/// A parsed IPv6addr resource.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Ipv6AddrSpec {
    /// The service address.
    pub address: Ipv6Addr,
    /// Prefix length (1-128); `None`: that of the matching address.
    pub prefix: Option<u8>,
    /// Interface; `None`: the one holding an address of the same prefix.
    pub interface: Option<String>,
}

impl Ipv6AddrSpec {
    /// Reads heartbeat's `IPv6addr::ADDRESS[/PREFIX[/NIC]]` argument.
    pub fn from_args(args: &[String]) -> Result<Ipv6AddrSpec, String> {
        let usage = "expected IPv6addr::ADDRESS[/PREFIX[/NIC]]";
        let [arg] = args else {
            let hint = if args.len() > 1 {
                " (haresources splits words on '::', so write the address without it, \
                 e.g. 2001:db8:0:0:0:0:0:10)"
            } else {
                ""
            };
            return Err(format!(
                "IPv6addr takes one argument, not {}; {usage}{hint}",
                args.len()
            ));
        };
        let mut fields = arg.split('/');
        let address = fields.next().unwrap_or_default();
        let prefix = fields.next();
        let interface = fields.next();
        if let Some(extra) = fields.next() {
            return Err(format!(
                "IPv6addr argument '{arg}' has an unexpected field '{extra}'; {usage}"
            ));
        }
        Ipv6AddrSpec::new(address, prefix, interface)
    }

    /// Reads the `ocf:heartbeat:IPv6addr::name=value` form: `None` when a
    /// parameter is not one of [`NATIVE_PARAMS`].
    pub fn from_params(args: &[String]) -> Option<Result<Ipv6AddrSpec, String>> {
        let params = match params::read("IPv6addr", args, NATIVE_PARAMS)? {
            Ok(params) => params,
            Err(message) => return Some(Err(message)),
        };
        let Some(ipv6addr) = params.get("ipv6addr") else {
            return Some(Err(
                "ocf:heartbeat:IPv6addr needs ipv6addr=ADDRESS".to_string()
            ));
        };
        // The agent's legacy form ADDRESS/PREFIX; cidr_netmask wins.
        let (address, legacy_prefix) = match ipv6addr.split_once('/') {
            Some((address, prefix)) => (address, Some(prefix)),
            None => (ipv6addr, None),
        };
        let prefix = params.get("cidr_netmask").or(legacy_prefix);
        Some(Ipv6AddrSpec::new(address, prefix, params.get("nic")))
    }

    fn new(
        address: &str,
        prefix: Option<&str>,
        interface: Option<&str>,
    ) -> Result<Ipv6AddrSpec, String> {
        let parsed: Ipv6Addr = address.parse().map_err(|_| {
            format!("IPv6addr: '{address}' is not an IPv6 address; expected e.g. 2001:db8::10")
        })?;
        if parsed.is_unspecified() || parsed.is_loopback() || parsed.is_multicast() {
            return Err(format!(
                "IPv6addr: {parsed} cannot be a service address; expected a unicast IPv6 address"
            ));
        }
        let prefix = prefix
            .map(|text| match text.parse::<u8>() {
                Ok(length @ 1..=128) if text.len() <= 3 => Ok(length),
                _ => Err(format!("IPv6addr: prefix length '{text}' is not 1-128")),
            })
            .transpose()?;
        if let Some(name) = interface {
            if !valid_interface_name(name) {
                return Err(format!(
                    "IPv6addr: '{name}' is not an interface name; expected at most 15 \
                     characters without '/' or ':', such as eth0"
                ));
            }
        }
        if is_link_local(parsed) && interface.is_none() {
            return Err(format!(
                "IPv6addr: the link-local address {parsed} needs its interface: \
                 IPv6addr::{parsed}/PREFIX/NIC"
            ));
        }
        Ok(Ipv6AddrSpec {
            address: parsed,
            prefix,
            interface: interface.map(str::to_string),
        })
    }

    /// The positional argument, `ADDRESS[/PREFIX[/NIC]]` (the interface is
    /// written only with a prefix, as the syntax needs).
    pub fn to_arg(&self) -> String {
        address_text::positional(self.address, self.prefix, self.interface.as_deref())
    }

    /// e.g. `2001:db8::10/64 on eth0` or `2001:db8::10 (interface and
    /// prefix from the address of the same prefix)`.
    pub fn describe(&self) -> String {
        address_text::placement(
            self.address,
            self.prefix,
            self.interface.as_deref(),
            "the address of the same prefix",
        )
    }
}

fn is_link_local(address: Ipv6Addr) -> bool {
    address.segments()[0] & 0xffc0 == 0xfe80
}

/// Whether the first `prefix` bits of `a` and `b` agree.
fn same_prefix(a: Ipv6Addr, b: Ipv6Addr, prefix: u8) -> bool {
    let mask = u128::MAX
        .checked_shl(128 - u32::from(prefix.min(128)))
        .unwrap_or(0);
    u128::from(a) & mask == u128::from(b) & mask
}

/// Where the address goes: interface index and name, and prefix length.
fn place(
    spec: &Ipv6AddrSpec,
    links: &[LinkInfo],
    addresses: &[Ipv6Entry],
) -> Result<(u32, String, u8), AgentErrorKind> {
    let wanted = match &spec.interface {
        Some(name) => Some(links.iter().find(|l| &l.name == name).ok_or_else(|| {
            AgentErrorKind::NotAvailable(format!("interface {name} does not exist"))
        })?),
        None => None,
    };
    let matching = addresses
        .iter()
        .filter(|e| wanted.is_none_or(|link| link.index == e.index))
        .filter(|e| e.address != spec.address)
        .find_map(|e| {
            let prefix = spec.prefix.unwrap_or(e.prefix);
            (prefix > 0 && same_prefix(e.address, spec.address, prefix))
                .then_some((e.index, prefix))
        });
    let (index, prefix) = match (matching, wanted, spec.prefix) {
        (Some(found), _, _) => found,
        (None, Some(link), Some(prefix)) => (link.index, prefix),
        (None, _, _) => {
            return Err(AgentErrorKind::NotAvailable(format!(
                "no interface{} has an IPv6 address in the prefix of {}; give the prefix \
                 and interface, e.g. IPv6addr::{}/64/eth0",
                spec.interface
                    .as_deref()
                    .map(|n| format!(" ({n})"))
                    .unwrap_or_default(),
                spec.address,
                spec.address
            )))
        }
    };
    let name = links
        .iter()
        .find(|l| l.index == index)
        .map_or_else(|| format!("interface {index}"), |l| l.name.clone());
    Ok((index, name, prefix))
}

/// The agent of one IPv6addr resource.
pub struct Ipv6AddrAgent {
    resource: String,
    spec: Ipv6AddrSpec,
    announcer: Announcer,
}

impl Ipv6AddrAgent {
    /// An agent for `spec`, named `resource` (the word from haresources).
    pub fn new(resource: impl Into<String>, spec: Ipv6AddrSpec) -> Self {
        Ipv6AddrAgent {
            resource: resource.into(),
            spec,
            announcer: Announcer::default(),
        }
    }

    async fn ours(&self, netlink: &Netlink) -> Result<Vec<Ipv6Entry>, AgentErrorKind> {
        Ok(netlink
            .ipv6_addresses()
            .await?
            .into_iter()
            .filter(|e| e.address == self.spec.address)
            .collect())
    }

    /// Waits until duplicate address detection is over.
    async fn await_dad(&self, netlink: &Netlink, interface: &str) -> Result<(), AgentErrorKind> {
        let began = Instant::now();
        loop {
            let ours = self.ours(netlink).await?;
            if ours.iter().any(|e| e.dad_failed) {
                for entry in ours {
                    netlink.delete_ipv6(entry).await?;
                }
                return Err(AgentErrorKind::Failed(format!(
                    "{} is in use on the link of {interface} (duplicate address detection failed)",
                    self.spec.address
                )));
            }
            if ours.is_empty() {
                return Err(AgentErrorKind::Failed(format!(
                    "{} vanished from {interface} while it was being added",
                    self.spec.address
                )));
            }
            if ours.iter().all(|e| !e.tentative) {
                return Ok(());
            }
            if began.elapsed() >= DAD_WAIT {
                return Err(AgentErrorKind::Failed(format!(
                    "{} is still tentative on {interface} after {} s",
                    self.spec.address,
                    DAD_WAIT.as_secs()
                )));
            }
            tokio::time::sleep(DAD_POLL).await;
        }
    }
}

#[async_trait]
impl NativeAgent for Ipv6AddrAgent {
    fn resource(&self) -> &str {
        &self.resource
    }

    async fn start_inner(&self) -> Result<(), AgentErrorKind> {
        let netlink = Netlink::connect()?;
        if self.ours(&netlink).await?.iter().any(|e| !e.dad_failed) {
            log::info!(
                "{}: {} is already configured",
                self.resource,
                self.spec.address
            );
            return Ok(());
        }
        let links = netlink.links().await?;
        let (index, interface, prefix) =
            place(&self.spec, &links, &netlink.ipv6_addresses().await?)?;
        netlink
            .add(&NewAddress {
                index,
                interface: &interface,
                address: IpAddr::V6(self.spec.address),
                prefix,
                broadcast: None,
                label: None,
            })
            .await?;
        log::info!(
            "{}: added {}/{prefix} to {interface}",
            self.resource,
            self.spec.address
        );
        self.await_dad(&netlink, &interface).await?;
        match links
            .iter()
            .find(|l| l.index == index)
            .and_then(|l| l.mac.filter(|_| l.arp_capable))
        {
            Some(mac) => self.announcer.announce(
                &self.resource,
                &interface,
                NaSender::open(index, mac, self.spec.address),
                IPV6ADDR_SCHEDULE,
            ),
            None => log::info!(
                "{}: {interface} has no link-layer address; no neighbour advertisement sent",
                self.resource
            ),
        }
        Ok(())
    }

    async fn stop_inner(&self) -> Result<(), AgentErrorKind> {
        self.announcer.stop();
        let netlink = Netlink::connect()?;
        for entry in self.ours(&netlink).await? {
            netlink.delete_ipv6(entry).await?;
        }
        Ok(())
    }

    async fn monitor_inner(&self) -> Result<Health, AgentErrorKind> {
        let netlink = Netlink::connect()?;
        Ok(
            if self.ours(&netlink).await?.iter().any(|e| !e.dad_failed) {
                Health::Running
            } else {
                Health::Stopped
            },
        )
    }

    fn description(&self) -> Description {
        Description {
            name: "IPv6addr",
            longdesc: "Manages an IPv6 service address natively (rtnetlink), announcing it with unsolicited neighbour advertisements.",
            shortdesc: "IPv6 service address",
            parameters: vec![
                Parameter::required("ipv6addr", false, "IPv6 address"),
                Parameter::optional(
                    "cidr_netmask",
                    "Prefix length; default: that of the address of the same prefix",
                ),
                Parameter::optional(
                    "nic",
                    "Interface; default: the one holding an address of the same prefix",
                ),
            ],
            timeouts: Timeouts {
                action: 15,
                monitor_interval: 15,
                validate: 5,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::args;
    use proptest::prelude::*;

    #[test]
    fn forms_and_refusals() {
        let full = Ipv6AddrSpec::from_args(&args(&["2001:db8::10/64/eth0"])).expect("valid");
        assert_eq!(full.prefix, Some(64));
        assert_eq!(full.interface.as_deref(), Some("eth0"));
        assert_eq!(
            Ipv6AddrSpec::from_params(&args(&[
                "ipv6addr=2001:db8::10",
                "cidr_netmask=64",
                "nic=eth0"
            ])),
            Some(Ok(full.clone()))
        );
        assert_eq!(
            Ipv6AddrSpec::from_params(&args(&[
                "ipv6addr=2001:db8::10/48",
                "cidr_netmask=64",
                "nic=eth0"
            ])),
            Some(Ok(full))
        );
        assert!(Ipv6AddrSpec::from_params(&args(&["ipv6addr=2001:db8::10", "x=1"])).is_none());
        assert!(Ipv6AddrSpec::from_args(&args(&["2001:db8", "10"]))
            .expect_err("split")
            .contains("without it"));
        for (bad, expected) in [
            ("10.0.0.1", "not an IPv6 address"),
            ("2001:db8::10/129", "not 1-128"),
            ("2001:db8::10/0", "not 1-128"),
            ("2001:db8::10/64/eth0/x", "unexpected field"),
            ("fe80::10/64", "needs its interface"),
            ("ff02::1", "cannot be a service address"),
        ] {
            let error = Ipv6AddrSpec::from_args(&args(&[bad])).expect_err(bad);
            assert!(error.contains(expected), "{bad}: {error}");
        }
    }

    #[test]
    fn descriptions_say_where_the_address_goes() {
        let describe = |arg: &str| {
            Ipv6AddrSpec::from_args(&args(&[arg]))
                .expect("valid")
                .describe()
        };
        assert_eq!(describe("2001:db8::10/64/eth0"), "2001:db8::10/64 on eth0");
        assert_eq!(
            describe("2001:db8::10/64"),
            "2001:db8::10/64 (interface from the address of the same prefix)"
        );
        assert_eq!(
            describe("2001:db8::10"),
            "2001:db8::10 (interface and prefix from the address of the same prefix)"
        );
    }

    fn entry_world() -> Vec<LinkInfo> {
        vec![
            LinkInfo {
                index: 1,
                name: "lo".into(),
                mac: None,
                arp_capable: false,
            },
            LinkInfo {
                index: 2,
                name: "eth0".into(),
                mac: Some([2, 0, 0, 0, 0, 2]),
                arp_capable: true,
            },
        ]
    }

    #[test]
    fn prefix_matching_follows_the_given_or_the_found_length() {
        assert!(same_prefix(
            "2001:db8:5::1".parse().unwrap_or(Ipv6Addr::UNSPECIFIED),
            "2001:db8:5::10".parse().unwrap_or(Ipv6Addr::LOCALHOST),
            64
        ));
        assert!(!same_prefix(
            "2001:db8:5::1".parse().unwrap_or(Ipv6Addr::UNSPECIFIED),
            "2001:db8:6::10".parse().unwrap_or(Ipv6Addr::UNSPECIFIED),
            48
        ));
        let links = entry_world();
        let spec = Ipv6AddrSpec::from_args(&args(&["2001:db8:6::10/48/eth0"])).expect("valid");
        assert_eq!(
            place(&spec, &links, &[]).expect("nic and prefix"),
            (2, "eth0".into(), 48)
        );
        let bare = Ipv6AddrSpec::from_args(&args(&["2001:db8:6::10"])).expect("valid");
        assert!(matches!(
            place(&bare, &links, &[]),
            Err(AgentErrorKind::NotAvailable(_))
        ));
    }

    proptest! {
        #[test]
        fn the_positional_argument_round_trips(
            bits in any::<u128>().prop_filter("global unicast", |b| (b >> 125) == 1),
            prefix in proptest::option::of(1u8..=128),
            interface in proptest::option::of("[a-z][a-z0-9]{0,14}"),
        ) {
            let spec = Ipv6AddrSpec {
                address: Ipv6Addr::from(bits),
                interface: prefix.and(interface),
                prefix,
            };
            prop_assert_eq!(Ipv6AddrSpec::from_args(&[spec.to_arg()]), Ok(spec));
        }
    }
}
