//! `lvs-director ipvs ARGS…`: ipvsadm's command line run against the
//! kernel through the project's IPVS binding, printing what ipvsadm prints
//! and exiting with its status; and, for a binary linked under those
//! names, what Debian's `ipvsadm-save` and `ipvsadm-restore` do.

use std::io::{Read, Write};
use std::process::ExitCode;

use ha_ipvs::ipvsadm::{self, conn::CONN_PROC_FILE, wrappers, Environment, Output, SystemResolver};
use ha_ipvs::Ipvs;

/// Which ipvsadm program the binary stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Program {
    /// `ipvsadm` itself (and `lvs-director ipvs`).
    Ipvsadm,
    /// `ipvsadm-save [-n]`.
    Save,
    /// `ipvsadm-restore`.
    Restore,
}

impl Program {
    /// The program a binary invoked as `name` (its argv[0]'s file name)
    /// stands for, if any.
    pub fn named(name: &str) -> Option<Program> {
        match name {
            "ipvsadm" => Some(Program::Ipvsadm),
            "ipvsadm-save" => Some(Program::Save),
            "ipvsadm-restore" => Some(Program::Restore),
            _ => None,
        }
    }
}

/// Runs `program` with `args` (`args[0]` is the name used in messages).
pub fn run(program: Program, args: Vec<String>) -> ExitCode {
    let output = match program {
        Program::Ipvsadm => ipvsadm_with(&args, None),
        Program::Save => match wrappers::save_command(&args) {
            Ok(command) => ipvsadm_with(&command, None),
            Err(help) => help,
        },
        Program::Restore => {
            let mut input = String::new();
            let _ = std::io::stdin().read_to_string(&mut input);
            let rules = wrappers::restore_rules(&input);
            let mut output = Output::default();
            for (command, stdin) in wrappers::RESTORE_COMMANDS.iter().zip([None, Some(rules)]) {
                let command: Vec<String> = command.iter().map(|w| w.to_string()).collect();
                let step = ipvsadm_with(&command, stdin);
                output.stdout.push_str(&step.stdout);
                output.stderr.push_str(&step.stderr);
                output.code = step.code;
            }
            output
        }
    };
    emit(&output)
}

/// One ipvsadm run on a kernel connection of its own, reading `stdin`
/// when given and the process's standard input otherwise.
fn ipvsadm_with(args: &[String], stdin: Option<String>) -> Output {
    let mut kernel = match Ipvs::connect() {
        Ok(kernel) => kernel,
        Err(e) => return ipvsadm::init_failure(&e),
    };
    let mut read_stdin = || match &stdin {
        Some(text) => Ok(text.clone()),
        None => {
            let mut text = String::new();
            std::io::stdin().read_to_string(&mut text).map(|_| text)
        }
    };
    let conn_table = || std::fs::read_to_string(CONN_PROC_FILE);
    let mut env = Environment {
        kernel: &mut kernel,
        resolver: &SystemResolver,
        stdin: &mut read_stdin,
        conn_table: &conn_table,
    };
    ipvsadm::run(args, &mut env)
}

fn emit(output: &Output) -> ExitCode {
    // A closed pipe is not worth a second error: ipvsadm would die quietly.
    let _ = std::io::stdout().lock().write_all(output.stdout.as_bytes());
    let _ = std::io::stdout().flush();
    let _ = std::io::stderr().lock().write_all(output.stderr.as_bytes());
    ExitCode::from(output.code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_three_names_and_no_other() {
        assert_eq!(Program::named("ipvsadm"), Some(Program::Ipvsadm));
        assert_eq!(Program::named("ipvsadm-save"), Some(Program::Save));
        assert_eq!(Program::named("ipvsadm-restore"), Some(Program::Restore));
        assert_eq!(Program::named("lvs-director"), None);
        assert_eq!(Program::named("ipvsadm-saved"), None);
    }
}
