//! The resource classes, side by side, and the one table that turns a
//! [`Resolved`] resource into its agent ([`Resolved::agent`]).
//!
//! - [`native`]: served inside the daemon (IPaddr, IPaddr2, IPv6addr,
//!   IPsrcaddr, SendArp, Delay).
//! - [`heartbeat`]: heartbeat's `resource.d` scripts.
//! - [`lsb`]: init scripts.
//! - [`ocf`]: OCF resource agents; [`ocf_meta`] reads their meta-data and
//!   [`ocf_check`] checks a resource against it for check-config.
//! - [`ipvs_sync`]: `LVSSyncDaemonSwap` served by ipvsadm.
//! - lvs-director serving `ldirectord`: an LSB script by its exit codes
//!   ([`Resolved::Director`]).
//!
//! The script classes run their programs through ha-process (the private
//! `script` module), one action at a time, each under its limit from
//! [`ActionTimeouts`]. Adding a class is a module here, a variant of
//! [`Resolved`] and a line of its table; the `resolve` module decides
//! which class a haresources name gets.

pub mod heartbeat;
pub mod ipvs_sync;
pub mod lsb;
pub mod native;
pub mod ocf;
pub mod ocf_check;
pub mod ocf_meta;
mod script;

use std::sync::Arc;

use crate::agent::Agent;
use crate::group::ActionTimeouts;
use heartbeat::{HeartbeatAgent, HeartbeatScript};
use ipvs_sync::{IpvsSyncAgent, IpvsSyncSpec};
use lsb::{InitScript, LsbAgent};
use native::NativeSpec;
use ocf::{OcfAgent, OcfResource};
pub use script::{Probe, ScriptSpec};

/// How a resource will run: its class and what the class needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolved {
    /// A native agent.
    Native(NativeSpec),
    /// A heartbeat `resource.d` script.
    Heartbeat(HeartbeatScript),
    /// An LSB init script.
    Lsb(InitScript),
    /// An OCF resource agent.
    Ocf(OcfResource),
    /// lvs-director called with ldirectord's command line (`PROGRAM CONFIG
    /// start|stop|status`), for `ldirectord` when no script serves it; its
    /// exit codes are LSB's.
    Director(ScriptSpec),
    /// `LVSSyncDaemonSwap::STATE` served by ipvsadm, when no script serves
    /// it.
    IpvsSync(IpvsSyncSpec),
}

impl Resolved {
    /// One line on how it runs, e.g. `LSB init script /etc/init.d/httpd`.
    pub fn describe(&self) -> String {
        match self {
            Resolved::Native(spec) => spec.describe(),
            Resolved::Heartbeat(script) => script.describe_as(heartbeat::CLASS),
            Resolved::Lsb(script) => script.describe_as(lsb::CLASS),
            Resolved::Ocf(resource) => resource.describe(),
            Resolved::Director(program) => {
                program.describe_as("ldirectord's command line, served by")
            }
            Resolved::IpvsSync(spec) => spec.describe(),
        }
    }

    /// The agent of the resource written `resource` in haresources, its
    /// script actions limited by `timeouts`: the table of classes.
    pub fn agent(&self, resource: &str, timeouts: ActionTimeouts) -> Arc<dyn Agent> {
        match self {
            Resolved::Native(spec) => spec.agent(resource),
            Resolved::Heartbeat(script) => {
                Arc::new(HeartbeatAgent::new(resource, script, timeouts))
            }
            Resolved::Lsb(script) | Resolved::Director(script) => {
                Arc::new(LsbAgent::new(resource, script, timeouts))
            }
            Resolved::Ocf(spec) => Arc::new(OcfAgent::new(resource, spec, timeouts)),
            Resolved::IpvsSync(spec) => Arc::new(IpvsSyncAgent::new(resource, spec, timeouts)),
        }
    }
}
