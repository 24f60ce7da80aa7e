//! ldirectord.cf, read as ldirectord 4.12 reads it, with `FILE:LINE` errors.
//!
//! [`model`] holds the data: [`DirectorConfig`] with its [`GlobalSettings`]
//! and [`VirtualService`]s, in ha-ipvs types so that the reconciler builds
//! the IPVS table from them directly. [`DirectorConfig::settings`] resolves
//! what a virtual service inherits from the globals. [`supported_check`] is
//! the single list of checks the director can run.
//!
//! Every keyword of ldirectord 4.12 is recognised. A keyword it knows that
//! we do not implement yet is refused by name (`keyword 'X' is not
//! supported yet`), never ignored.

pub mod model;
mod names;
mod resolve;
mod support;

pub use model::*;
pub use names::{forwarding_from_name, forwarding_name, port_from_name, SYSLOG_FACILITIES};
pub use support::{supported_check, SUPPORTED_SERVICES};
