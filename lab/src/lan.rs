//! A LAN: one Linux bridge in a namespace of its own, with hosts joined to
//! it by veth pairs. The bridge-side ends live only in the LAN's namespace,
//! so their short names (`p0`, `p1`...) never meet another lab's.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use crate::addr::parse_cidr;
use crate::command::ip;
use crate::host::Host;
use crate::link::{admin_up, wait_up, LINK_SETTLE};
use crate::names::check_ifname;
use crate::shared::lock;
use crate::LabError;

/// Name of the bridge inside a LAN's namespace.
const BRIDGE: &str = "br0";

/// One plugged-in host interface: which bridge port carries it.
#[derive(Debug, Clone)]
struct Port {
    host_netns: String,
    ifname: String,
    port: String,
}

#[derive(Debug)]
struct LanInner {
    name: String,
    netns: String,
    next_port: AtomicU32,
    ports: Mutex<Vec<Port>>,
}

/// A broadcast domain: a bridge in its own namespace. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Lan {
    inner: Arc<LanInner>,
}

impl Lan {
    /// Sets up the bridge in the (already created) namespace `netns`.
    pub(crate) fn create(name: String, netns: String) -> Result<Lan, LabError> {
        ip(&[
            "-n",
            &netns,
            "link",
            "add",
            BRIDGE,
            "type",
            "bridge",
            "stp_state",
            "0",
            "forward_delay",
            "0",
            "mcast_snooping",
            "0",
        ])?;
        ip(&["-n", &netns, "link", "set", BRIDGE, "up"])?;
        Ok(Lan {
            inner: Arc::new(LanInner {
                name,
                netns,
                next_port: AtomicU32::new(0),
                ports: Mutex::new(Vec::new()),
            }),
        })
    }

    /// The LAN's name within its lab.
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// The name of the LAN's namespace (holding the bridge `br0`).
    pub fn netns(&self) -> &str {
        &self.inner.netns
    }

    /// Joins `host` to this LAN: a veth pair whose host end is named
    /// `ifname` (at most 15 characters, new in that host), is up and carries
    /// `cidr` (`"10.77.0.1/24"`, `"fd77::1/64"`; `""` for no address). IPv4
    /// addresses get the subnet broadcast, IPv6 ones skip duplicate address
    /// detection so they are usable at once. Returns once both ends of the
    /// link are operationally up, so traffic flows at once.
    pub fn connect(&self, host: &Host, ifname: &str, cidr: &str) -> Result<(), LabError> {
        check_ifname(ifname)?;
        if !cidr.is_empty() {
            parse_cidr(cidr)?;
        }
        let port = format!("p{}", self.inner.next_port.fetch_add(1, Ordering::Relaxed));
        ip(&[
            "-n",
            host.netns(),
            "link",
            "add",
            ifname,
            "type",
            "veth",
            "peer",
            "name",
            &port,
            "netns",
            self.netns(),
        ])?;
        lock(&self.inner.ports).push(Port {
            host_netns: host.netns().to_string(),
            ifname: ifname.to_string(),
            port: port.clone(),
        });
        ip(&[
            "-n",
            self.netns(),
            "link",
            "set",
            &port,
            "master",
            BRIDGE,
            "up",
        ])?;
        if !cidr.is_empty() {
            host.add_address(ifname, cidr)?;
        }
        host.link_up(ifname)?;
        wait_up(host.netns(), ifname, LINK_SETTLE)?;
        wait_up(self.netns(), &port, LINK_SETTLE)
    }

    /// The bridge port carrying `host`'s interface `ifname`.
    fn port_of(&self, host: &Host, ifname: &str) -> Result<String, LabError> {
        lock(&self.inner.ports)
            .iter()
            .find(|p| p.host_netns == host.netns() && p.ifname == ifname)
            .map(|p| p.port.clone())
            .ok_or_else(|| LabError::InvalidName {
                name: ifname.to_string(),
                reason: format!(
                    "host {} has no interface of that name on LAN {}",
                    host.name(),
                    self.name()
                ),
            })
    }

    /// Pulls the cable: takes down the switch side of `host`'s `ifname`, so
    /// the host sees its link lose carrier.
    pub fn port_down(&self, host: &Host, ifname: &str) -> Result<(), LabError> {
        let port = self.port_of(host, ifname)?;
        ip(&["-n", self.netns(), "link", "set", &port, "down"]).map(drop)
    }

    /// Plugs the cable back in (undoes [`Lan::port_down`]) and, unless the
    /// host has its end down, waits for the link to be up again.
    pub fn port_up(&self, host: &Host, ifname: &str) -> Result<(), LabError> {
        let port = self.port_of(host, ifname)?;
        ip(&["-n", self.netns(), "link", "set", &port, "up"])?;
        // With the host end down on purpose, the link cannot come up.
        if !admin_up(host.netns(), ifname)? {
            return Ok(());
        }
        wait_up(host.netns(), ifname, LINK_SETTLE)?;
        wait_up(self.netns(), &port, LINK_SETTLE)
    }
}
