//! The director's reconciler: turns the configuration and the health of
//! every real server into the IPVS table the director wants, and hands the
//! difference from the kernel's table to ha-ipvs as a list of
//! [`ha_ipvs::Change`]s.
//!
//! It is pure: no sockets, no clock. The daemon reads the kernel's table
//! ([`Table::read`]), calls [`reconcile`] whenever a real server changes
//! state or the configuration is reloaded, and applies the plan with
//! [`ha_ipvs::Ipvs::apply`]; [`stop_changes`] is what stopping does.
//!
//! - [`spec`]: what the reconciler needs of the configuration, and
//!   [`from_config`]: that, from the ldirectord.cf model.
//! - [`health`]: up, down or unknown, per real server.
//! - [`table`]: a model of the kernel's table, changed as the kernel changes it.
//! - [`desired`]: ldirectord's rules for one virtual service.
//! - [`plan`]: the difference, in order; start-up, reload and stop.
//! - [`names`]: how services and real servers are written in messages.

pub mod desired;
pub mod from_config;
pub mod health;
pub mod names;
pub mod plan;
pub mod spec;
pub mod table;

#[cfg(test)]
mod tests;

pub use desired::{desired_virtual, DesiredVirtual};
pub use from_config::director_spec;
pub use health::{Health, HealthView, NothingKnown, RealKey};
pub use names::{RealName, ServiceName};
pub use plan::{desired_table, reconcile, stop_changes, Plan, VirtualOutcome};
pub use spec::{kernel_destination, DirectorSpec, SpecError, VirtualSpec};
pub use table::{destination_satisfies, Table, TableError, TableService};
