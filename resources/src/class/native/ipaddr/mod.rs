//! The native IPaddr / IPaddr2 agent: a service address added with
//! rtnetlink and announced with gratuitous ARP.
//!
//! - start: place the address (the `placement` module: interface, prefix, broadcast,
//!   label as findif and the scripts do), add it (already there is success),
//!   send the first ARP round at once and the others from a background task,
//!   so start returns as soon as the address is usable.
//! - stop: stop announcing, delete the address (absent is success).
//! - monitor: running when the address is on its interface.
//! - validate: the arguments, without touching the system.
//!
//! The rtnetlink requests and the ARP sender are ha-net's; what is IPaddr's
//! own is where the address goes and what counts as ours (the `placement`
//! module) and how its haresources argument reads (the `arg` module).

mod arg;
pub mod ocf_params;
mod placement;

use async_trait::async_trait;
use ha_net::address::{AddressEntry, AddressError, LinkInfo, Netlink};
pub use ha_net::arp::ArpSchedule;
use ha_net::arp::ArpSender;

use super::agent_impl::NativeAgent;
use super::announcer::Announcer;
use super::meta_data::{Description, Parameter, Timeouts};
use crate::agent::{AgentErrorKind, Health};
pub use arg::{IpAddrSpec, IpAddrStyle, MAX_INTERFACE_NAME};

/// The agent of one IPaddr or IPaddr2 resource.
pub struct IpAddrAgent {
    resource: String,
    spec: IpAddrSpec,
    arp: ArpSchedule,
    announcer: Announcer,
}

impl IpAddrAgent {
    /// An agent for `spec`, named `resource` (the word from haresources).
    pub fn new(resource: impl Into<String>, spec: IpAddrSpec) -> Self {
        IpAddrAgent {
            resource: resource.into(),
            arp: spec.arp,
            spec,
            announcer: Announcer::default(),
        }
    }

    /// Uses another gratuitous-ARP schedule than send_arp's 5 × 200 ms.
    pub fn with_arp_schedule(mut self, arp: ArpSchedule) -> Self {
        self.arp = arp;
        self
    }

    /// The address this agent manages.
    pub fn spec(&self) -> &IpAddrSpec {
        &self.spec
    }

    fn check_arguments(&self) -> Result<(), AgentErrorKind> {
        let spec = &self.spec;
        let bad = |message: String| Err(AgentErrorKind::Configuration(message));
        if spec.address.octets()[0] == 0
            || spec.address.is_multicast()
            || spec.address.is_broadcast()
        {
            return bad(format!("{} is not a unicast address", spec.address));
        }
        if let Some(prefix) = spec.prefix {
            if !(1..=32).contains(&prefix) {
                return bad(format!("prefix length {prefix} is not within 1-32"));
            }
        }
        if let Some(interface) = &spec.interface {
            if interface.is_empty()
                || interface.len() > MAX_INTERFACE_NAME
                || interface.contains(['/', ':'])
            {
                return bad(format!("'{interface}' is not an interface name"));
            }
        }
        if let Some(label) = &spec.label {
            let Some(full) = spec.full_label() else {
                return bad(format!("label '{label}' needs an interface"));
            };
            if label.is_empty() || full.len() > MAX_INTERFACE_NAME {
                return bad(format!("address label '{full}' is empty or longer than {MAX_INTERFACE_NAME} characters"));
            }
        }
        if self.arp.count == 0 || self.arp.interval.is_zero() {
            return bad("gratuitous ARP needs at least one round and a non-zero interval".into());
        }
        Ok(())
    }

    /// The entries of our address, limited to the configured interface if any.
    async fn our_entries(&self, netlink: &Netlink) -> Result<Vec<AddressEntry>, AgentErrorKind> {
        let wanted_index = match &self.spec.interface {
            None => None,
            Some(name) => match netlink.links().await?.into_iter().find(|l| &l.name == name) {
                Some(link) => Some(link.index),
                None => return Ok(Vec::new()),
            },
        };
        Ok(netlink
            .ipv4_addresses()
            .await?
            .into_iter()
            .filter(|e| e.info.address == self.spec.address)
            .filter(|e| wanted_index.is_none_or(|index| e.info.index == index))
            .collect())
    }

    /// Gratuitous ARP for the address on `link`, if the link does ARP.
    fn announce_on(&self, link: &LinkInfo) {
        match link.mac.filter(|_| link.arp_capable) {
            Some(mac) => self.announcer.announce(
                &self.resource,
                &link.name,
                ArpSender::open(link.index, mac, self.spec.address),
                self.arp,
            ),
            None => log::info!(
                "{}: {} does not do ARP; no gratuitous ARP sent",
                self.resource,
                link.name
            ),
        }
    }
}

#[async_trait]
impl NativeAgent for IpAddrAgent {
    fn resource(&self) -> &str {
        &self.resource
    }

    async fn start_inner(&self) -> Result<(), AgentErrorKind> {
        self.check_arguments()?;
        let netlink = Netlink::connect()?;
        let links = netlink.links().await?;
        let entries = netlink.ipv4_addresses().await?;
        let present: Vec<&AddressEntry> = entries
            .iter()
            .filter(|e| e.info.address == self.spec.address)
            .collect();
        let already = || {
            log::info!(
                "{}: {} is already configured",
                self.resource,
                self.spec.address
            )
        };
        if self.spec.interface.is_none() && !present.is_empty() {
            already();
            return Ok(());
        }
        let addrs: Vec<_> = entries.iter().map(|e| e.info.clone()).collect();
        let placement = placement::place(&self.spec, &links, &addrs)?;
        if present.iter().any(|e| e.info.index == placement.index) {
            already();
            return Ok(());
        }
        if let Some(elsewhere) = present.first() {
            let name = links
                .iter()
                .find(|l| l.index == elsewhere.info.index)
                .map_or("another interface", |l| l.name.as_str());
            return Err(AgentErrorKind::Failed(format!(
                "{} is already configured on {name}, not on {}",
                self.spec.address, placement.interface
            )));
        }
        netlink
            .add(&placement.new_address(self.spec.address))
            .await?;
        log::info!(
            "{}: added {}/{} to {}{}",
            self.resource,
            self.spec.address,
            placement.prefix,
            placement.interface,
            placement
                .label
                .as_deref()
                .map(|l| format!(" as {l}"))
                .unwrap_or_default()
        );
        if let Some(link) = links.iter().find(|l| l.index == placement.index) {
            self.announce_on(link);
        }
        Ok(())
    }

    async fn stop_inner(&self) -> Result<(), AgentErrorKind> {
        self.announcer.stop();
        let netlink = Netlink::connect()?;
        for entry in self.our_entries(&netlink).await? {
            netlink.delete(entry).await?;
        }
        Ok(())
    }

    async fn monitor_inner(&self) -> Result<Health, AgentErrorKind> {
        let netlink = Netlink::connect()?;
        if !self.our_entries(&netlink).await?.is_empty() {
            return Ok(Health::Running);
        }
        if self.spec.interface.is_some() {
            let anywhere = netlink.ipv4_addresses().await?;
            if let Some(entry) = anywhere
                .iter()
                .find(|e| e.info.address == self.spec.address)
            {
                let name = netlink
                    .links()
                    .await?
                    .into_iter()
                    .find(|l| l.index == entry.info.index)
                    .map_or_else(|| format!("interface {}", entry.info.index), |l| l.name);
                return Ok(Health::Failed(format!(
                    "{} is on {name} instead of {}",
                    self.spec.address,
                    self.spec.interface.as_deref().unwrap_or_default()
                )));
            }
        }
        Ok(Health::Stopped)
    }

    /// Announces the address again on the interface that holds it: the
    /// rounds of a start, restarted (a peer may have announced it too).
    async fn announce_inner(&self) -> Result<(), AgentErrorKind> {
        let netlink = Netlink::connect()?;
        let Some(entry) = self.our_entries(&netlink).await?.into_iter().next() else {
            return Err(AgentErrorKind::Failed(format!(
                "{} is not configured here: nothing to announce",
                self.spec.address
            )));
        };
        let links = netlink.links().await?;
        if let Some(link) = links.iter().find(|l| l.index == entry.info.index) {
            self.announce_on(link);
        }
        Ok(())
    }

    fn validate_inner(&self) -> Result<(), AgentErrorKind> {
        self.check_arguments()
    }

    fn description(&self) -> Description {
        Description {
            name: self.spec.style.name(),
            longdesc: "Manages an IPv4 service address natively (rtnetlink), announcing it with gratuitous ARP.",
            shortdesc: "IPv4 service address",
            parameters: vec![
                Parameter::required("ip", true, "IPv4 address"),
                Parameter::optional(
                    "cidr_netmask",
                    "Prefix length or dotted netmask; default: that of the subnet holding the address",
                ),
                Parameter::optional(
                    "nic",
                    "Interface, optionally IFACE:LABEL; default: the one whose subnet holds the address",
                ),
                Parameter::optional(
                    "broadcast",
                    "Broadcast address; default: computed from the prefix",
                ),
                Parameter::with_default("arp_count", "Gratuitous ARP rounds", "integer", self.arp.count),
                Parameter::with_default(
                    "arp_interval",
                    "Milliseconds between rounds",
                    "integer",
                    self.arp.interval.as_millis(),
                ),
            ],
            timeouts: Timeouts {
                action: 20,
                monitor_interval: 10,
                validate: 20,
            },
        }
    }
}

impl From<AddressError> for AgentErrorKind {
    fn from(error: AddressError) -> Self {
        match error {
            AddressError::Open(source) => AgentErrorKind::Io {
                context: "opening a route netlink socket".into(),
                source,
            },
            AddressError::Netlink { operation, message } => {
                AgentErrorKind::Netlink { operation, message }
            }
            AddressError::NoInterface(name) => {
                AgentErrorKind::NotAvailable(format!("interface {name} does not exist"))
            }
        }
    }
}
