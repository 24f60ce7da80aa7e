//! What the driver asks of the host, and the host's real answers: the
//! addresses through ha-net's one implementation (rtnetlink, with their
//! labels; gratuitous ARP and unsolicited NA over AF_PACKET), the notify
//! scripts through ha-process (their own process group, a timeout, their
//! output logged). Every call runs in a task of its own, never in the
//! driver's loop.

use std::net::IpAddr;
use std::time::Duration;

use ha_net::address::{LinkInfo, Netlink, NewAddress};
use ha_net::arp::{ArpSchedule, ArpSender};
use ha_net::ndp::NaSender;

use super::notify::Script;
use super::plan::{InterfaceInfo, Vip};

/// The side effects of a driver.
#[async_trait::async_trait]
pub trait Host: Send + Sync + 'static {
    /// Adds `vip` (one already there is success).
    async fn add_address(&self, vip: &Vip) -> Result<(), String>;
    /// Removes `vip` (one already gone is success).
    async fn remove_address(&self, vip: &Vip) -> Result<(), String>;
    /// Announces `vip` `count` times, `interval` apart.
    async fn announce(&self, vip: &Vip, count: u32, interval: Duration) -> Result<(), String>;
    /// Runs a notify script, ended after `timeout`.
    async fn run_script(&self, script: &Script, timeout: Duration) -> Result<(), String>;
}

/// The real host: the network namespace of the thread that made it.
pub struct SystemHost {
    netlink: Netlink,
}

impl SystemHost {
    /// Opens the route-netlink connection (on the current tokio runtime).
    pub fn new() -> Result<SystemHost, String> {
        Ok(SystemHost {
            netlink: Netlink::connect().map_err(|e| e.to_string())?,
        })
    }

    async fn link(&self, name: &str) -> Result<LinkInfo, String> {
        self.netlink
            .links()
            .await
            .map_err(|e| e.to_string())?
            .into_iter()
            .find(|l| l.name == name)
            .ok_or_else(|| format!("no interface named {name}"))
    }

    /// What the driver needs of interface `name` (`None`: no such one).
    pub async fn interface(&self, name: &str) -> Result<Option<InterfaceInfo>, String> {
        let Ok(link) = self.link(name).await else {
            return Ok(None);
        };
        let primary_v4 = self
            .netlink
            .ipv4_addresses()
            .await
            .map_err(|e| e.to_string())?
            .into_iter()
            .find(|e| e.info.index == link.index && !e.is_secondary())
            .map(|e| e.info.address);
        let link_local = self
            .netlink
            .ipv6_addresses()
            .await
            .map_err(|e| e.to_string())?
            .into_iter()
            .find(|e| e.index == link.index && e.address.is_unicast_link_local() && !e.dad_failed)
            .map(|e| e.address);
        Ok(Some(InterfaceInfo {
            primary_v4,
            link_local,
        }))
    }
}

#[async_trait::async_trait]
impl Host for SystemHost {
    async fn add_address(&self, vip: &Vip) -> Result<(), String> {
        let link = self.link(&vip.interface).await?;
        self.netlink
            .add(&NewAddress {
                index: link.index,
                interface: &vip.interface,
                address: vip.address,
                prefix: vip.prefix,
                broadcast: vip.broadcast,
                label: vip.label.as_deref(),
            })
            .await
            .map_err(|e| e.to_string())
    }

    async fn remove_address(&self, vip: &Vip) -> Result<(), String> {
        let link = self.link(&vip.interface).await?;
        match vip.address {
            IpAddr::V4(address) => {
                for entry in self
                    .netlink
                    .ipv4_addresses()
                    .await
                    .map_err(|e| e.to_string())?
                {
                    if entry.info.index == link.index && entry.info.address == address {
                        self.netlink
                            .delete(entry)
                            .await
                            .map_err(|e| e.to_string())?;
                    }
                }
            }
            IpAddr::V6(address) => {
                for entry in self
                    .netlink
                    .ipv6_addresses()
                    .await
                    .map_err(|e| e.to_string())?
                {
                    if entry.index == link.index && entry.address == address {
                        self.netlink
                            .delete_ipv6(entry)
                            .await
                            .map_err(|e| e.to_string())?;
                    }
                }
            }
        }
        Ok(())
    }

    async fn announce(&self, vip: &Vip, count: u32, interval: Duration) -> Result<(), String> {
        if count == 0 {
            return Ok(());
        }
        let link = self.link(&vip.interface).await?;
        let Some(mac) = link.mac.filter(|_| link.arp_capable) else {
            return Ok(());
        };
        let schedule = ArpSchedule { count, interval };
        let failed =
            |e: std::io::Error| format!("announcing {} on {}: {e}", vip.address, vip.interface);
        match vip.address {
            IpAddr::V4(address) => {
                let sender = ArpSender::open(link.index, mac, address).map_err(failed)?;
                sender.announce().map_err(failed)?;
                sender.announce_rest(schedule, vip.interface.clone()).await;
            }
            IpAddr::V6(address) => {
                let sender = NaSender::open(link.index, mac, address).map_err(failed)?;
                sender.announce().map_err(failed)?;
                sender.announce_rest(schedule, vip.interface.clone()).await;
            }
        }
        Ok(())
    }

    async fn run_script(&self, script: &Script, timeout: Duration) -> Result<(), String> {
        let Some((program, args)) = script.argv.split_first() else {
            return Ok(());
        };
        let mut command = ha_process::Command::new(program);
        command
            .args(args)
            .timeout(timeout)
            .tag(format!("notify {}", script.argv.join(" ")));
        if let Some(user) = &script.user {
            command.user(ha_process::User::Name(user.user.clone()));
        }
        let outcome = command.run().await.map_err(|e| e.to_string())?;
        if outcome.success() {
            Ok(())
        } else {
            Err(format!("{}: {outcome}", script.argv.join(" ")))
        }
    }
}
