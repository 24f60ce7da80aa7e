//! `IPsrcaddr::ADDRESS` served natively: ADDRESS becomes the preferred
//! source (`src`) of the default route, as resource-agents' IPsrcaddr does
//! it (with its default `destination` 0.0.0.0/0 and the main table):
//!
//! - the address must be configured on an interface other than `lo`
//!   (else: not available on this node; on `lo` or in 127/8: invalid
//!   configuration);
//! - the interface is the one of the longest link-scope route holding the
//!   address (findif's choice), and that route is the connected network;
//! - start rewrites both the connected network's route and the default
//!   route through that interface (there must be exactly one) with
//!   `src ADDRESS`, keeping their gateway, protocol and metric;
//! - stop puts the interface's primary address back as their `src` (what
//!   the OCF agent does: the kernel's own routes carry it); a default route
//!   with no `src`, or with the primary address as `src`, is already
//!   stopped, one with another `src` is an error. (The OCF agent fails a
//!   second stop, finding the primary address where it wants its own; a
//!   stop here is idempotent, as OCF asks.)
//! - monitor: running when the default route's `src` is ADDRESS (an
//!   address not configured here reads as stopped, where the OCF agent
//!   answers "not installed").
//!
//! Routes are read and rewritten over rtnetlink by ha-net ([`Netlink`]).

use std::net::Ipv4Addr;

use async_trait::async_trait;
use ha_net::address::Netlink;
use ha_net::route::RouteEntry;

use super::agent_impl::NativeAgent;
use super::meta_data::{Description, Parameter, Timeouts};
use super::params;
use super::send_arp::parse_unicast;
use crate::agent::{AgentErrorKind, Health};

/// The parameters served natively in the `ocf:heartbeat:IPsrcaddr` form.
pub const NATIVE_PARAMS: &[&str] = &["ipaddress"];

/// A parsed IPsrcaddr resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct IpSrcAddrSpec {
    /// The preferred source address.
    pub address: Ipv4Addr,
}

impl IpSrcAddrSpec {
    /// Reads heartbeat's `IPsrcaddr::ADDRESS` argument.
    pub fn from_args(args: &[String]) -> Result<IpSrcAddrSpec, String> {
        match args {
            [address] => IpSrcAddrSpec::parse(address),
            _ => Err(format!(
                "IPsrcaddr takes one argument, IPsrcaddr::ADDRESS, not {}",
                args.len()
            )),
        }
    }

    /// Reads the `ocf:heartbeat:IPsrcaddr::ipaddress=ADDRESS` form: `None`
    /// when a parameter is not one of [`NATIVE_PARAMS`].
    pub fn from_params(args: &[String]) -> Option<Result<IpSrcAddrSpec, String>> {
        let params = match params::read("IPsrcaddr", args, NATIVE_PARAMS)? {
            Ok(params) => params,
            Err(message) => return Some(Err(message)),
        };
        Some(match params.get("ipaddress") {
            Some(address) => IpSrcAddrSpec::parse(address),
            None => Err("ocf:heartbeat:IPsrcaddr needs ipaddress=ADDRESS".to_string()),
        })
    }

    fn parse(text: &str) -> Result<IpSrcAddrSpec, String> {
        let address = parse_unicast("IPsrcaddr", text)?;
        if address.is_loopback() {
            return Err(format!(
                "IPsrcaddr: {address} is a loopback address and cannot be a preferred source address"
            ));
        }
        Ok(IpSrcAddrSpec { address })
    }

    /// e.g. `10.0.0.5 as the default route's source`.
    pub fn describe(&self) -> String {
        format!("{} as the default route's source", self.address)
    }
}

/// The routes an IPsrcaddr resource changes, and the interface they use.
struct Routes {
    interface: String,
    network: RouteEntry,
    default: Option<RouteEntry>,
    primary: Option<Ipv4Addr>,
}

/// The agent of one IPsrcaddr resource.
pub struct IpSrcAddrAgent {
    resource: String,
    spec: IpSrcAddrSpec,
}

impl IpSrcAddrAgent {
    /// An agent for `spec`, named `resource` (the word from haresources).
    pub fn new(resource: impl Into<String>, spec: IpSrcAddrSpec) -> Self {
        IpSrcAddrAgent {
            resource: resource.into(),
            spec,
        }
    }

    /// The routes to change, or why the address cannot be the source.
    async fn routes(&self, netlink: &Netlink) -> Result<Routes, AgentErrorKind> {
        let address = self.spec.address;
        let links = netlink.links().await?;
        let addresses = netlink.ipv4_addresses().await?;
        let Some(ours) = addresses.iter().find(|e| e.info.address == address) else {
            return Err(AgentErrorKind::NotAvailable(format!(
                "{address} is not configured here, hence cannot be a preferred source address"
            )));
        };
        let holder = links.iter().find(|l| l.index == ours.info.index);
        if holder.is_some_and(|l| l.name.starts_with("lo")) {
            return Err(AgentErrorKind::Configuration(format!(
                "{address} is on loopback and cannot be a preferred source address"
            )));
        }
        let routes = netlink.ipv4_routes().await?;
        let network = routes
            .iter()
            .filter(|r| r.info.link_scope && r.info.contains(address))
            .max_by_key(|r| r.info.prefix)
            .ok_or_else(|| {
                AgentErrorKind::Failed(format!("no link-scope route holds {address}"))
            })?;
        let index = network.info.interface.unwrap_or(ours.info.index);
        let interface = links
            .iter()
            .find(|l| l.index == index)
            .map_or_else(|| format!("interface {index}"), |l| l.name.clone());
        let mut defaults = routes
            .iter()
            .filter(|r| r.info.is_default() && r.info.interface == Some(index));
        let default = defaults.next().cloned();
        if defaults.next().is_some() {
            return Err(AgentErrorKind::Failed(format!(
                "more than one default route through {interface}"
            )));
        }
        let primary = addresses
            .iter()
            .find(|e| e.info.index == index && !e.is_secondary())
            .map(|e| e.info.address);
        Ok(Routes {
            interface,
            network: network.clone(),
            default,
            primary,
        })
    }
}

#[async_trait]
impl NativeAgent for IpSrcAddrAgent {
    fn resource(&self) -> &str {
        &self.resource
    }

    async fn start_inner(&self) -> Result<(), AgentErrorKind> {
        let address = self.spec.address;
        let netlink = Netlink::connect()?;
        let routes = self.routes(&netlink).await?;
        let Some(default) = &routes.default else {
            return Err(AgentErrorKind::Failed(format!(
                "no default route through {}",
                routes.interface
            )));
        };
        if default.info.preferred_source == Some(address) {
            log::info!(
                "{}: the default route's source is already {address}",
                self.resource
            );
            return Ok(());
        }
        netlink
            .set_preferred_source(&routes.network, address)
            .await?;
        netlink.set_preferred_source(default, address).await?;
        log::info!(
            "{}: {address} is the preferred source of the default route through {}",
            self.resource,
            routes.interface
        );
        Ok(())
    }

    async fn stop_inner(&self) -> Result<(), AgentErrorKind> {
        let address = self.spec.address;
        let netlink = Netlink::connect()?;
        // As the OCF agent: what cannot be started is stopped.
        let Ok(routes) = self.routes(&netlink).await else {
            return Ok(());
        };
        let Some(default) = &routes.default else {
            return Ok(());
        };
        match default.info.preferred_source {
            // What a stop leaves (the kernel's own choice) is stopped.
            None => return Ok(()),
            Some(source) if Some(source) == routes.primary => return Ok(()),
            Some(source) if source != address => {
                return Err(AgentErrorKind::Failed(format!(
                    "the default route's preferred source is {source}, not {address}"
                )))
            }
            Some(_) => {}
        }
        let Some(primary) = routes.primary else {
            return Err(AgentErrorKind::Failed(format!(
                "{} has no primary address to give back to its routes",
                routes.interface
            )));
        };
        netlink
            .set_preferred_source(&routes.network, primary)
            .await?;
        netlink.set_preferred_source(default, primary).await?;
        Ok(())
    }

    async fn monitor_inner(&self) -> Result<Health, AgentErrorKind> {
        let netlink = Netlink::connect()?;
        let routes = match self.routes(&netlink).await {
            Ok(routes) => routes,
            Err(AgentErrorKind::NotAvailable(_)) => return Ok(Health::Stopped),
            Err(other) => return Err(other),
        };
        Ok(match routes.default {
            None => Health::Failed(format!("no default route through {}", routes.interface)),
            Some(default) if default.info.preferred_source == Some(self.spec.address) => {
                Health::Running
            }
            Some(_) => Health::Stopped,
        })
    }

    fn description(&self) -> Description {
        Description {
            name: "IPsrcaddr",
            longdesc:
                "Makes an address the preferred source of the default route, natively (rtnetlink).",
            shortdesc: "Manages the preferred source address for outgoing IP packets",
            parameters: vec![Parameter::required("ipaddress", false, "IPv4 address")],
            timeouts: Timeouts {
                action: 20,
                monitor_interval: 10,
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
        let spec = IpSrcAddrSpec::from_args(&args(&["10.0.0.5"])).expect("valid");
        assert_eq!(
            IpSrcAddrSpec::from_params(&args(&["ipaddress=10.0.0.5"])),
            Some(Ok(spec))
        );
        assert!(IpSrcAddrSpec::from_params(&args(&["ipaddress=10.0.0.5", "table=main"])).is_none());
        assert!(IpSrcAddrSpec::from_args(&args(&["127.0.0.2"]))
            .expect_err("loopback")
            .contains("loopback"));
        assert!(IpSrcAddrSpec::from_args(&args(&["10.0.0.5", "x"]))
            .expect_err("two")
            .contains("takes one argument"));
        assert!(IpSrcAddrSpec::from_args(&args(&["eth0"])).is_err());
    }

    proptest! {
        #[test]
        fn an_address_round_trips(octets in any::<[u8; 4]>()) {
            let address = Ipv4Addr::from(octets);
            match IpSrcAddrSpec::from_args(&[address.to_string()]) {
                Ok(spec) => prop_assert_eq!(spec.address, address),
                Err(_) => prop_assert!(
                    octets[0] == 0 || octets[0] == 127 || address.is_multicast() || address.is_broadcast()
                ),
            }
        }
    }
}
