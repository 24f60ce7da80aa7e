//! A host's ping: one ICMP or ICMPv6 echo over ha-net's [`Pinger`] from
//! inside a lab host, so reachability checks need no ping binary of either
//! flavour.

use std::net::IpAddr;
use std::time::Duration;

use ha_net::icmp::{OpenError, Pinger};

use crate::host::Host;
use crate::LabError;

/// Sends one echo request to `target` from the calling thread's namespace
/// and waits up to `timeout` for its reply.
fn ping_once(target: IpAddr, timeout: Duration) -> std::io::Result<bool> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        match Pinger::open(target) {
            Ok(pinger) => Ok(pinger.ping(timeout).await),
            // No route to the target: no answer.
            Err(OpenError::Connect { .. }) => Ok(false),
            Err(OpenError::Socket(e)) => Err(e),
        }
    })
}

impl Host {
    /// Pings `target` once from this host; `Ok(true)` if the echo reply came
    /// within `timeout`.
    pub fn ping(&self, target: IpAddr, timeout: Duration) -> Result<bool, LabError> {
        self.run_in(|| ping_once(target, timeout))?
            .map_err(|e| LabError::io(format!("pinging {target} from {}", self.netns()), e))
    }
}
