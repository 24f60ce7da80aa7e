//! ldirectord.cf, read as ldirectord 4.12 reads it, with `FILE:LINE` errors.
//!
//! [`parse`] (or [`load`] from a file) turns the text into a
//! [`DirectorConfig`]: its [`GlobalSettings`] and [`VirtualService`]s, in
//! ha-ipvs types so that the reconciler builds the IPVS table from them
//! directly ([`VirtualService::ipvs_service`],
//! [`VirtualService::destination`]). [`DirectorConfig::settings`] resolves
//! what a virtual service inherits from the globals. [`supported_check`]
//! and [`supported_receive`] ask the check engine, at load time, whether
//! it can run what the file asks for.
//!
//! Every keyword of ldirectord 4.12 is recognised. A keyword it knows that
//! we do not implement yet is refused by name (`keyword 'X' is not
//! supported yet`), never ignored; an unknown one is `unknown keyword 'X'`;
//! a bad value says what was expected. Every problem of a file is
//! reported, in file order.
//!
//! Differences from ldirectord, all accepting more: `#` comments may follow
//! any value, `//` notes after white space are comments too, blank lines
//! do not close a virtual block, any indentation counts, quotes are
//! optional around every value, and `protocol=sctp` is allowed. Host names
//! are refused (ldirectord resolves them at load); write addresses.

mod address;
mod block;
mod diff;
mod keywords;
mod lexer;
pub mod model;
mod names;
mod parser;
mod render;
mod resolve;
mod support;
mod values;

#[cfg(test)]
mod tests;

pub use diff::{diff, ConfigDiff, VirtualServiceChange};
pub use model::*;
pub use names::{forwarding_from_name, forwarding_name, port_from_name, SYSLOG_FACILITIES};
pub use parser::{describe_key, load, parse};
pub use support::{supported_check, supported_receive, CheckPart, Unsupported};
