//! ha.cf and authkeys, read as heartbeat 3.0.6 reads them, with file:line errors.
//!
//! - [`hacf`]: [`parse_ha_cf`] (or [`load_ha_cf`] from a file) turns ha.cf
//!   into an [`HaConfig`] (timers, media, nodes, auto_failback, logging);
//!   [`check_ha_cf`] also warns about media on interfaces this host lacks;
//!   [`HaConfig::render`] writes one back; [`HaConfig::check_local_node`]
//!   checks that this node is listed.
//! - [`capacity`]: whether a serial line carries the heartbeats at its baud.
//! - [`authkeys`]: [`load_authkeys`] reads authkeys, refusing a file that
//!   group or others may read or write; [`parse_authkeys`] reads its text
//!   only; [`render_authkeys`] writes one back.
//!
//! The line syntax is heartbeat's: `#` starts a comment anywhere on an ha.cf
//! line (at the start of an authkeys line), a directive and its values are
//! separated by whitespace (ha.cf also accepts commas between values), names
//! are case-sensitive, and there is no `directive=value` form.
//!
//! Every problem is reported, not just the first, each as
//! `FILE:LINE: what is wrong and what was expected`. A directive heartbeat
//! accepts but we do not implement yet is refused by name
//! (`directive 'X' is not supported yet`), never ignored.

pub mod authkeys;
pub mod capacity;
pub mod hacf;
mod lexer;
mod time;

pub use authkeys::{load_authkeys, parse_authkeys, render_authkeys};
pub use hacf::{check_ha_cf, load_ha_cf, parse_ha_cf, AutoFailback, HaConfig};
