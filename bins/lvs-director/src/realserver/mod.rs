//! `lvs-director realserver start|stop|status --vip ADDR…`: an LVS-DR real
//! server's own setup, as seed 002's `/etc/init.d/realserver` does it: each
//! virtual IP on `lo` as a host address (/32, or /128 for IPv6), so the
//! server accepts packets the director routes to it unchanged, and the ARP
//! settings that keep it from answering for those addresses on the LAN.
//!
//! `start` is idempotent. `stop` removes the given addresses and, once
//! `lo` carries no virtual IP any more, puts the ARP settings back as they
//! were before the first `start`. `status` exits 0 when every given address
//! is on `lo` and the ARP settings are in place, 3 otherwise (LSB).
//!
//! The addresses on `lo` are kept with ha-net's rtnetlink code; its
//! socket belongs to the network namespace of the thread that opens it,
//! so a real server inside a namespace is set up from inside it.

mod arp;

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use ha_daemon::runtime::{self, RuntimeError};
use ha_net::address::{AddressError, InterfaceAddresses};

/// The loopback interface's name.
const LOOPBACK: &str = "lo";

/// What can go wrong setting up a real server.
#[derive(Debug, thiserror::Error)]
pub enum RealServerError {
    /// A route-netlink request failed, or there is no `lo`.
    #[error(transparent)]
    Loopback(#[from] AddressError),
    /// A /proc/sys setting could not be read or written.
    #[error("{}: {source}", path.display())]
    Sysctl {
        /// The setting's file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The saved ARP settings could not be read or written.
    #[error("{}: {source}", path.display())]
    State {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The async runtime could not start.
    #[error(transparent)]
    Runtime(#[from] RuntimeError),
}

/// The three actions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Put the addresses on `lo` and set the ARP settings.
    Start,
    /// Take the addresses off `lo`; restore ARP when none is left.
    Stop,
    /// Tell whether everything is in place.
    Status,
}

/// What `status` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RealServerStatus {
    /// The given addresses that are not on `lo`.
    pub missing: Vec<IpAddr>,
    /// Whether the ARP settings are in place.
    pub arp_set: bool,
}

impl RealServerStatus {
    /// Whether the real server is fully set up.
    pub fn running(&self) -> bool {
        self.missing.is_empty() && self.arp_set
    }
}

/// Does `action` for `vips`, keeping saved ARP settings in `state_dir`.
pub fn run(
    action: Action,
    vips: &[IpAddr],
    state_dir: &Path,
) -> Result<RealServerStatus, RealServerError> {
    runtime::current_thread()?.block_on(async {
        let lo = InterfaceAddresses::open(LOOPBACK).await?;
        match action {
            Action::Start => {
                arp::apply(state_dir)?;
                for vip in vips {
                    lo.add_host(*vip).await?;
                }
            }
            Action::Stop => {
                for vip in vips {
                    lo.remove(*vip).await?;
                }
                // 127.0.0.0/8 and ::1 are lo's own, never a virtual IP.
                let others = lo.list().await?.iter().any(|a| !a.address.is_loopback());
                if !others {
                    arp::restore(state_dir)?;
                }
            }
            Action::Status => {}
        }
        let held: Vec<IpAddr> = lo.list().await?.iter().map(|a| a.address).collect();
        Ok(RealServerStatus {
            missing: vips
                .iter()
                .filter(|vip| !held.contains(vip))
                .copied()
                .collect(),
            arp_set: arp::is_set()?,
        })
    })
}
