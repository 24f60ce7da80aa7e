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

mod arp;
mod loopback;

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use loopback::{is_loopback_own, Loopback};

/// What can go wrong setting up a real server.
#[derive(Debug, thiserror::Error)]
pub enum RealServerError {
    /// A route-netlink request failed.
    #[error("cannot {operation}: {message}")]
    Netlink {
        /// What was asked.
        operation: String,
        /// The kernel's or the library's answer.
        message: String,
    },
    /// This namespace has no loopback interface.
    #[error("no interface named lo")]
    NoLoopback,
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
    #[error("cannot start the async runtime: {0}")]
    Runtime(std::io::Error),
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
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(RealServerError::Runtime)?;
    runtime.block_on(async {
        let lo = Loopback::open().await?;
        match action {
            Action::Start => {
                arp::apply(state_dir)?;
                for vip in vips {
                    lo.add(*vip).await?;
                }
            }
            Action::Stop => {
                for vip in vips {
                    lo.remove(*vip).await?;
                }
                let others = lo
                    .addresses()
                    .await?
                    .iter()
                    .any(|a| !is_loopback_own(&a.addr));
                if !others {
                    arp::restore(state_dir)?;
                }
            }
            Action::Status => {}
        }
        let held: Vec<IpAddr> = lo.addresses().await?.iter().map(|a| a.addr).collect();
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
