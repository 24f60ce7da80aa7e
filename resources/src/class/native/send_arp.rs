//! `SendArp::ADDRESS/INTERFACE` served natively: gratuitous ARP for an
//! address on an interface, without adding the address (to announce an
//! address managed elsewhere on another interface too).
//!
//! As resource-agents' SendArp runs send_arp (`-i 200 -r 5`): five rounds
//! 200 ms apart, the first at once, the rest in the background unless
//! `background=false` (then start waits for them); ha-net's [`ArpSender`]
//! and [`ArpSchedule`] are the ones the native IPaddr uses. Stop ends the
//! announcing. Monitor says running from start to stop: the OCF agent keeps
//! that in a state file under `HA_RSCTMP`, this agent in itself, so after
//! a daemon restart it reads as stopped until started again.
//!
//! Differences: an interface that does not exist or does no ARP is an
//! error at start here (the OCF agent's background send_arp fails with
//! only a log line); heartbeat's `arp_config` overrides are not read.

use std::net::Ipv4Addr;
use std::sync::atomic::{AtomicBool, Ordering};

use async_trait::async_trait;
use ha_net::address::Netlink;
use ha_net::arp::{ArpSchedule, ArpSender};

use super::agent_impl::{running_or_stopped, NativeAgent};
use super::announcer::Announcer;
use super::meta_data::{Description, Parameter, Timeouts};
use super::params::{self, valid_interface_name};
use crate::agent::{AgentErrorKind, Health};

/// The parameters served natively in the `ocf:heartbeat:SendArp` form.
pub const NATIVE_PARAMS: &[&str] = &["ip", "nic", "background"];

/// A parsed SendArp resource.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SendArpSpec {
    /// The announced address.
    pub address: Ipv4Addr,
    /// The interface it is announced on.
    pub interface: String,
    /// Whether start returns after the first round (the rest follow in
    /// the background) rather than after the last.
    pub background: bool,
}

impl SendArpSpec {
    /// Reads heartbeat's `SendArp::ADDRESS/INTERFACE` argument.
    pub fn from_args(args: &[String]) -> Result<SendArpSpec, String> {
        let usage = "expected SendArp::ADDRESS/INTERFACE";
        let [arg] = args else {
            return Err(format!(
                "SendArp takes one argument, not {}; {usage}",
                args.len()
            ));
        };
        let Some((address, interface)) = arg.split_once('/') else {
            return Err(format!(
                "SendArp argument '{arg}' has no interface; {usage}"
            ));
        };
        SendArpSpec::new(address, interface, true)
    }

    /// Reads the `ocf:heartbeat:SendArp::name=value` form: `None` when a
    /// parameter is not one of [`NATIVE_PARAMS`].
    pub fn from_params(args: &[String]) -> Option<Result<SendArpSpec, String>> {
        let params = match params::read("SendArp", args, NATIVE_PARAMS)? {
            Ok(params) => params,
            Err(message) => return Some(Err(message)),
        };
        let (Some(ip), Some(nic)) = (params.get("ip"), params.get("nic")) else {
            return Some(Err(
                "ocf:heartbeat:SendArp needs ip=ADDRESS and nic=INTERFACE".to_string(),
            ));
        };
        let background = params.get("background").is_none_or(params::is_true);
        Some(SendArpSpec::new(ip, nic, background))
    }

    fn new(address: &str, interface: &str, background: bool) -> Result<SendArpSpec, String> {
        let address = parse_unicast("SendArp", address)?;
        if !valid_interface_name(interface) {
            return Err(format!(
                "SendArp: '{interface}' is not an interface name; expected at most 15 \
                 characters without '/' or ':', such as eth0"
            ));
        }
        Ok(SendArpSpec {
            address,
            interface: interface.to_string(),
            background,
        })
    }

    /// The positional argument, `ADDRESS/INTERFACE`.
    pub fn to_arg(&self) -> String {
        format!("{}/{}", self.address, self.interface)
    }

    /// e.g. `gratuitous ARP for 10.0.0.5 on eth1, 5 × 200 ms`.
    pub fn describe(&self) -> String {
        let schedule = ArpSchedule::default();
        format!(
            "gratuitous ARP for {} on {}, {} × {} ms{}",
            self.address,
            self.interface,
            schedule.count,
            schedule.interval.as_millis(),
            if self.background {
                ""
            } else {
                ", start waits for all"
            }
        )
    }
}

/// A unicast IPv4 address, or a message naming `agent`.
pub(crate) fn parse_unicast(agent: &str, text: &str) -> Result<Ipv4Addr, String> {
    let address: Ipv4Addr = text.parse().map_err(|_| {
        format!(
            "{agent}: '{text}' is not an IPv4 address; expected a dotted quad such as 192.168.1.10"
        )
    })?;
    if address.octets()[0] == 0 || address.is_multicast() || address.is_broadcast() {
        return Err(format!("{agent}: {address} is not a unicast IPv4 address"));
    }
    Ok(address)
}

/// The agent of one SendArp resource.
pub struct SendArpAgent {
    resource: String,
    spec: SendArpSpec,
    schedule: ArpSchedule,
    running: AtomicBool,
    announcer: Announcer,
}

impl SendArpAgent {
    /// An agent for `spec`, named `resource` (the word from haresources).
    pub fn new(resource: impl Into<String>, spec: SendArpSpec) -> Self {
        SendArpAgent {
            resource: resource.into(),
            spec,
            schedule: ArpSchedule::default(),
            running: AtomicBool::new(false),
            announcer: Announcer::default(),
        }
    }
}

#[async_trait]
impl NativeAgent for SendArpAgent {
    fn resource(&self) -> &str {
        &self.resource
    }

    async fn start_inner(&self) -> Result<(), AgentErrorKind> {
        if self.running.load(Ordering::SeqCst) {
            return Ok(());
        }
        let netlink = Netlink::connect()?;
        let name = &self.spec.interface;
        let link = netlink
            .links()
            .await?
            .into_iter()
            .find(|l| &l.name == name)
            .ok_or_else(|| {
                AgentErrorKind::NotAvailable(format!("interface {name} does not exist"))
            })?;
        let mac = link.mac.filter(|_| link.arp_capable).ok_or_else(|| {
            AgentErrorKind::NotAvailable(format!("interface {name} does not do ARP"))
        })?;
        let sender = ArpSender::open(link.index, mac, self.spec.address).map_err(|source| {
            AgentErrorKind::Io {
                context: format!("opening an ARP socket on {name}"),
                source,
            }
        })?;
        sender.announce().map_err(|source| AgentErrorKind::Io {
            context: format!("gratuitous ARP for {} on {name}", self.spec.address),
            source,
        })?;
        self.running.store(true, Ordering::SeqCst);
        let rest = sender.announce_rest(self.schedule, name.clone());
        if self.spec.background {
            self.announcer.replace(tokio::spawn(rest));
        } else {
            rest.await;
        }
        Ok(())
    }

    async fn stop_inner(&self) -> Result<(), AgentErrorKind> {
        self.announcer.stop();
        self.running.store(false, Ordering::SeqCst);
        Ok(())
    }

    async fn monitor_inner(&self) -> Result<Health, AgentErrorKind> {
        Ok(running_or_stopped(&self.running))
    }

    fn description(&self) -> Description {
        Description {
            name: "SendArp",
            longdesc:
                "Sends gratuitous ARP for an address on an interface without adding it, natively.",
            shortdesc: "Broadcasts unsolicited ARP announcements",
            parameters: vec![
                Parameter::required("ip", true, "IPv4 address"),
                Parameter::required("nic", false, "Interface"),
                Parameter::with_default(
                    "background",
                    "Start returns after the first round",
                    "boolean",
                    true,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::args;
    use proptest::prelude::*;

    #[test]
    fn both_forms_read_the_same_and_bad_ones_are_named() {
        let positional = SendArpSpec::from_args(&args(&["10.0.0.5/eth1"])).expect("valid");
        let ocf = SendArpSpec::from_params(&args(&["ip=10.0.0.5", "nic=eth1"]))
            .expect("native")
            .expect("valid");
        assert_eq!(positional, ocf);
        assert!(positional.background);
        let foreground =
            SendArpSpec::from_params(&args(&["ip=10.0.0.5", "nic=eth1", "background=no"]))
                .expect("native")
                .expect("valid");
        assert!(!foreground.background);
        assert!(SendArpSpec::from_params(&args(&["ip=10.0.0.5", "nic=eth1", "x=1"])).is_none());
        for (bad, expected) in [
            ("10.0.0.5", "has no interface"),
            ("10.0.0.500/eth0", "not an IPv4 address"),
            ("224.0.0.1/eth0", "not a unicast"),
            ("10.0.0.5/eth0/x", "not an interface name"),
            ("10.0.0.5/eth0:1", "not an interface name"),
        ] {
            let error = SendArpSpec::from_args(&args(&[bad])).expect_err(bad);
            assert!(error.contains(expected), "{bad}: {error}");
        }
    }

    proptest! {
        #[test]
        fn the_positional_argument_round_trips(
            octets in any::<[u8; 4]>().prop_filter("unicast", |o| o[0] != 0 && o[0] < 224),
            interface in "[a-z][a-z0-9.-]{0,14}",
        ) {
            let spec = SendArpSpec {
                address: Ipv4Addr::from(octets),
                interface,
                background: true,
            };
            prop_assert_eq!(SendArpSpec::from_args(&[spec.to_arg()]), Ok(spec));
        }
    }
}
