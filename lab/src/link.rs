//! Links of lab hosts: taking them down and up, reading their operational
//! state and MAC address, and waiting until the kernel really passes traffic
//! on them (carrier is processed asynchronously, later under load).

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::command::ip;
use crate::host::Host;
use crate::ip_json::json_array;
use crate::names::check_ifname;
use crate::LabError;

/// How often waiting for a link looks at it.
const LINK_POLL: Duration = Duration::from_millis(5);

/// How long joining a LAN waits for both ends of the new link to be up.
pub(crate) const LINK_SETTLE: Duration = Duration::from_secs(10);

/// `ip -j link show dev IFNAME` in namespace `netns`, as JSON.
fn link_json(netns: &str, ifname: &str) -> Result<Value, LabError> {
    let text = ip(&["-n", netns, "-j", "link", "show", "dev", ifname])?;
    json_array("ip -j link show dev", &text)?
        .into_iter()
        .next()
        .ok_or_else(|| LabError::Parse {
            command: "ip -j link show dev".to_string(),
            reason: format!("no entry for {ifname}"),
        })
}

fn string_field(link: &Value, field: &str, ifname: &str) -> Result<String, LabError> {
    link.get(field)
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| LabError::Parse {
            command: "ip -j link show dev".to_string(),
            reason: format!("no \"{field}\" for {ifname}"),
        })
}

/// The operational state (`UP`, `DOWN`, `LOWERLAYERDOWN`...) of `ifname` in `netns`.
pub(crate) fn operstate(netns: &str, ifname: &str) -> Result<String, LabError> {
    string_field(&link_json(netns, ifname)?, "operstate", ifname)
}

/// Whether `ifname` in `netns` is administratively up (flag `UP`).
pub(crate) fn admin_up(netns: &str, ifname: &str) -> Result<bool, LabError> {
    let link = link_json(netns, ifname)?;
    Ok(link
        .get("flags")
        .and_then(Value::as_array)
        .is_some_and(|flags| flags.iter().any(|f| f.as_str() == Some("UP"))))
}

/// Waits until `ifname` in `netns` is operationally up: carrier seen and
/// processed by the kernel, so it transmits (and a bridge port forwards).
pub(crate) fn wait_up(netns: &str, ifname: &str, timeout: Duration) -> Result<(), LabError> {
    let deadline = Instant::now() + timeout;
    loop {
        if operstate(netns, ifname)? == "UP" {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(LabError::Timeout {
                what: format!("{ifname} in {netns} to be up"),
                after: timeout,
            });
        }
        std::thread::sleep(LINK_POLL);
    }
}

impl Host {
    /// Takes interface `ifname` administratively down (`ip link set down`).
    pub fn link_down(&self, ifname: &str) -> Result<(), LabError> {
        check_ifname(ifname)?;
        self.ip(&["link", "set", "dev", ifname, "down"]).map(drop)
    }

    /// Sets interface `ifname` administratively up. Does not wait for
    /// carrier; see [`Host::wait_link_up`].
    pub fn link_up(&self, ifname: &str) -> Result<(), LabError> {
        check_ifname(ifname)?;
        self.ip(&["link", "set", "dev", ifname, "up"]).map(drop)
    }

    /// The kernel's operational state of `ifname`: `UP`, `DOWN`,
    /// `LOWERLAYERDOWN` (its LAN port is down), ...
    pub fn link_state(&self, ifname: &str) -> Result<String, LabError> {
        check_ifname(ifname)?;
        operstate(self.netns(), ifname)
    }

    /// Waits up to `timeout` for `ifname` to be operationally up.
    pub fn wait_link_up(&self, ifname: &str, timeout: Duration) -> Result<(), LabError> {
        check_ifname(ifname)?;
        wait_up(self.netns(), ifname, timeout)
    }

    /// The MAC address of `ifname` (`"aa:bb:cc:dd:ee:ff"`).
    pub fn mac(&self, ifname: &str) -> Result<String, LabError> {
        check_ifname(ifname)?;
        string_field(&link_json(self.netns(), ifname)?, "address", ifname)
    }
}
