//! Faults injected into a host for real with nftables rules in the host's
//! namespace: packet loss (`numgen random`) and blocked ports. (The kernel
//! has no netem, so loss is done by nftables; links going down are in
//! `link`.)
//!
//! The host's fault rules live in one table, `inet halab`, rebuilt from the
//! wanted state in a single atomic `nft -f` transaction on every change.
//! Loopback traffic is never touched.

use crate::command::{require_tool, run_with_input};
use crate::fault_state::{FaultState, Protocol};
use crate::host::Host;
use crate::shared::lock;
use crate::LabError;

fn check_percent(percent: u8) -> Result<(), LabError> {
    if percent > 100 {
        return Err(LabError::InvalidArgument {
            what: "loss percentage".to_string(),
            reason: format!("{percent} is above 100"),
        });
    }
    Ok(())
}

fn check_port(port: u16) -> Result<(), LabError> {
    if port == 0 {
        return Err(LabError::InvalidArgument {
            what: "port".to_string(),
            reason: "port 0 cannot be blocked".to_string(),
        });
    }
    Ok(())
}

impl Host {
    /// Applies a change to the wanted faults and installs the result; on
    /// failure the previous state is kept.
    fn change_faults(&self, change: impl FnOnce(&mut FaultState)) -> Result<(), LabError> {
        require_tool("nft")?;
        let mut current = lock(&self.inner.faults);
        let mut wanted = current.clone();
        change(&mut wanted);
        let mut nft = self.tool("nft");
        nft.args(["-f", "-"]);
        run_with_input(&mut nft, Some(&wanted.script()))?;
        *current = wanted;
        Ok(())
    }

    /// Drops `percent` % of the packets arriving at this host, chosen at
    /// random (100 drops all, 0 removes the rule). Loopback is spared.
    pub fn drop_incoming(&self, percent: u8) -> Result<(), LabError> {
        check_percent(percent)?;
        self.change_faults(|f| f.incoming_loss = percent)
    }

    /// Drops `percent` % of the packets this host sends (as
    /// [`Host::drop_incoming`], the other way).
    pub fn drop_outgoing(&self, percent: u8) -> Result<(), LabError> {
        check_percent(percent)?;
        self.change_faults(|f| f.outgoing_loss = percent)
    }

    /// Cuts the host off the network without touching its links: all
    /// packets in and out are dropped (loopback excepted).
    pub fn isolate(&self) -> Result<(), LabError> {
        self.change_faults(|f| {
            f.incoming_loss = 100;
            f.outgoing_loss = 100;
        })
    }

    /// Drops UDP packets to destination port `port`, arriving or leaving.
    pub fn block_udp_port(&self, port: u16) -> Result<(), LabError> {
        check_port(port)?;
        self.change_faults(|f| {
            f.blocked.insert((Protocol::Udp, port));
        })
    }

    /// Undoes [`Host::block_udp_port`].
    pub fn unblock_udp_port(&self, port: u16) -> Result<(), LabError> {
        self.change_faults(|f| {
            f.blocked.remove(&(Protocol::Udp, port));
        })
    }

    /// Drops TCP segments to destination port `port`, arriving or leaving.
    pub fn block_tcp_port(&self, port: u16) -> Result<(), LabError> {
        check_port(port)?;
        self.change_faults(|f| {
            f.blocked.insert((Protocol::Tcp, port));
        })
    }

    /// Undoes [`Host::block_tcp_port`].
    pub fn unblock_tcp_port(&self, port: u16) -> Result<(), LabError> {
        self.change_faults(|f| {
            f.blocked.remove(&(Protocol::Tcp, port));
        })
    }

    /// Drops ICMP (ICMPv6 for an IPv6 address) between this host and
    /// `address`, both ways: the host can no longer ping it, while
    /// everything else still flows.
    pub fn block_icmp(&self, address: std::net::IpAddr) -> Result<(), LabError> {
        self.change_faults(|f| {
            f.icmp_blocked.insert(address);
        })
    }

    /// Undoes [`Host::block_icmp`].
    pub fn unblock_icmp(&self, address: std::net::IpAddr) -> Result<(), LabError> {
        self.change_faults(|f| {
            f.icmp_blocked.remove(&address);
        })
    }

    /// Removes every loss and blocking rule of this host (links are left as they are).
    pub fn clear_faults(&self) -> Result<(), LabError> {
        self.change_faults(|f| *f = FaultState::default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_arguments_are_refused() {
        assert!(check_percent(101).is_err());
        assert!(check_percent(100).is_ok());
        assert!(check_port(0).is_err());
    }
}
