//! The lab itself: owns every namespace, process and background thread it
//! created and removes them all when dropped, also while a test unwinds.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use crate::command::require_tool;
use crate::host::Host;
use crate::lan::Lan;
use crate::names::{check_node_name, new_lab_prefix};
use crate::netns;
use crate::shared::{lock, Shared};
use crate::LabError;

/// Name of the LAN [`Lab::connect`] uses.
const DEFAULT_LAN: &str = "lan";

/// A throw-away network topology: hosts are network namespaces, LANs are
/// bridges in namespaces of their own, joined by veth pairs. Nothing is
/// created in the root namespace.
///
/// Namespace names are `hl-PID-SEQ-TAG-NAME`, unique per lab, so labs in
/// parallel tests and test binaries never collide. Dropping the lab (also
/// during a panic) kills its processes and deletes its namespaces; creating
/// a lab first removes leftovers of lab processes that no longer exist.
pub struct Lab {
    prefix: String,
    shared: Arc<Shared>,
    /// Host and LAN names in use (they share the namespace name space).
    taken: Mutex<BTreeSet<String>>,
    default_lan: Mutex<Option<Lan>>,
}

impl Lab {
    /// A new, empty lab. `tag` (e.g. the test name) goes into its namespace
    /// names for humans reading `ip netns list`.
    ///
    /// Fails with [`LabError::NotPermitted`] without root privileges, and
    /// [`LabError::ToolMissing`] without `ip`.
    pub fn new(tag: &str) -> Result<Lab, LabError> {
        netns::check_privileges()?;
        require_tool("ip")?;
        netns::remove_stale_once();
        Ok(Lab {
            prefix: new_lab_prefix(tag),
            shared: Arc::new(Shared::default()),
            taken: Mutex::new(BTreeSet::new()),
            default_lan: Mutex::new(None),
        })
    }

    /// The prefix of all namespace names of this lab (`hl-PID-SEQ-TAG`).
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// Reserves `name` for a host or LAN and returns its namespace name.
    fn claim(&self, name: &str) -> Result<String, LabError> {
        check_node_name(name)?;
        if !lock(&self.taken).insert(name.to_string()) {
            return Err(LabError::InvalidName {
                name: name.to_string(),
                reason: "this lab already has a host or LAN of that name".to_string(),
            });
        }
        Ok(format!("{}-{name}", self.prefix))
    }

    /// Creates host `name`: a network namespace with `lo` up and nothing
    /// else, where IPv6 addresses (link-local ones too) skip duplicate
    /// address detection and are usable at once.
    /// Names are 1 to 32 characters of letters, digits, `_`, `.` and `-`,
    /// unique among the lab's hosts and LANs.
    pub fn host(&self, name: &str) -> Result<Host, LabError> {
        let netns = self.claim(name)?;
        self.shared.create_netns(&netns)?;
        let host = Host::new(name.to_string(), netns, Arc::clone(&self.shared));
        host.prepare()?;
        Ok(host)
    }

    /// Creates LAN `name`: a bridge (no STP, no forwarding delay, no
    /// multicast snooping) in a namespace of its own. Join hosts to it with
    /// [`Lan::connect`]. Several LANs make several independent media.
    pub fn lan(&self, name: &str) -> Result<Lan, LabError> {
        let netns = self.claim(name)?;
        self.shared.create_netns(&netns)?;
        Lan::create(name.to_string(), netns)
    }

    /// Joins `host` to the lab's default LAN (created on first use) through a
    /// veth pair whose host end is `ifname`, up, with address `cidr`
    /// (e.g. `"10.77.0.1/24"`; `""` for none). See [`Lan::connect`].
    pub fn connect(&self, host: &Host, ifname: &str, cidr: &str) -> Result<(), LabError> {
        self.default_lan()?.connect(host, ifname, cidr)
    }

    /// The LAN [`Lab::connect`] uses (named `lan`), created on first use.
    pub fn default_lan(&self) -> Result<Lan, LabError> {
        let mut default_lan = lock(&self.default_lan);
        if let Some(lan) = default_lan.as_ref() {
            return Ok(lan.clone());
        }
        let lan = self.lan(DEFAULT_LAN)?;
        *default_lan = Some(lan.clone());
        Ok(lan)
    }

    /// The namespaces this lab has created so far and not yet removed.
    pub fn namespaces(&self) -> Vec<String> {
        lock(&self.shared.namespaces).clone()
    }

    /// Tears the lab down now and reports the first failure (dropping does
    /// the same but can only log).
    pub fn close(self) -> Result<(), LabError> {
        self.shared.tear_down()
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        if let Err(e) = self.shared.tear_down() {
            log::warn!("lab {} not fully removed: {e}", self.prefix);
        }
    }
}

impl std::fmt::Debug for Lab {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lab")
            .field("prefix", &self.prefix)
            .field("namespaces", &self.namespaces())
            .finish()
    }
}
