//! `lvs-director`: the LVS director, ldirectord's successor.
//!
//! The director is not built yet. Rather than pretend, every invocation says
//! so and exits with status 2.

use std::process::ExitCode;

fn main() -> ExitCode {
    eprintln!("lvs-director: not implemented yet: no command is available in this version");
    ExitCode::from(2)
}
