//! `lvs-director ipvs ARGS…`: ipvsadm's command line run against the
//! kernel through the project's IPVS binding, printing what ipvsadm prints
//! and exiting with its status.

use std::io::{Read, Write};
use std::process::ExitCode;

use ha_ipvs::ipvsadm::{self, conn::CONN_PROC_FILE, Environment, Output, SystemResolver};
use ha_ipvs::Ipvs;

/// Runs one ipvsadm command line (`args[0]` is the name used in messages).
pub fn run(args: Vec<String>) -> ExitCode {
    let output = match Ipvs::connect() {
        Ok(mut kernel) => {
            let mut stdin = || {
                let mut text = String::new();
                std::io::stdin().read_to_string(&mut text).map(|_| text)
            };
            let conn_table = || std::fs::read_to_string(CONN_PROC_FILE);
            let mut env = Environment {
                kernel: &mut kernel,
                resolver: &SystemResolver,
                stdin: &mut stdin,
                conn_table: &conn_table,
            };
            ipvsadm::run(&args, &mut env)
        }
        Err(e) => ipvsadm::init_failure(&e),
    };
    emit(&output)
}

fn emit(output: &Output) -> ExitCode {
    // A closed pipe is not worth a second error: ipvsadm would die quietly.
    let _ = std::io::stdout().lock().write_all(output.stdout.as_bytes());
    let _ = std::io::stdout().flush();
    let _ = std::io::stderr().lock().write_all(output.stderr.as_bytes());
    ExitCode::from(output.code)
}
