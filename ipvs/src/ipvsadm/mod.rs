//! ipvsadm's command line and text formats (listings, save and restore)
//! over this crate's model.
//!
//! `lvs-director ipvs ARGS…` behaves as ipvsadm 1.31 (as Debian builds it):
//! [`parse_command`] reads a command line with ipvsadm's option rules and
//! messages, [`mod@format`] prints listings and the save format byte for byte,
//! [`restore`] splits `-R` input the way ipvsadm reads it, and [`run`]
//! executes a command line against a [`Kernel`]; [`wrappers`] does what
//! the `ipvsadm-save` and `ipvsadm-restore` scripts do.

pub mod command;
pub mod conn;
pub mod exec;
pub mod format;
pub mod kernel;
pub mod parse;
pub mod popt;
pub mod resolve;
pub mod restore;
pub mod sort;
pub mod values;
pub mod wrappers;

pub use command::{Command, Format, ListWhat, Stop};
pub use exec::{init_failure, run, Environment, Output};
pub use kernel::{message, Kernel};
pub use parse::parse_command;
pub use resolve::{NumericResolver, Resolver, SystemResolver};
