//! `lvs-director`: the LVS director, ldirectord's successor.
//!
//! So far one command exists: `lvs-director ipvs ARGS…`, which is ipvsadm
//! 1.31's command line over this project's IPVS binding (installed or linked
//! under the name `ipvsadm`, the binary behaves as ipvsadm itself). The
//! director proper (health checks, ldirectord.cf) is not built yet: every
//! other command says so and exits with status 2.

mod ipvs_command;

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args_os()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let program = args
        .first()
        .cloned()
        .unwrap_or_else(|| "lvs-director".into());
    let invoked_as = std::path::Path::new(&program)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if invoked_as == "ipvsadm" {
        return ipvs_command::run(args);
    }
    match args.get(1).map(String::as_str) {
        Some("ipvs") => {
            let ipvs_args: Vec<String> = std::iter::once(format!("{program} ipvs"))
                .chain(args.iter().skip(2).cloned())
                .collect();
            ipvs_command::run(ipvs_args)
        }
        Some(other) => {
            eprintln!("lvs-director: {other}: not implemented yet (only `ipvs` is available)");
            ExitCode::from(2)
        }
        None => {
            eprintln!("usage: {program} ipvs [ipvsadm arguments…]");
            eprintln!("(the director itself is not implemented yet; only `ipvs` is available)");
            ExitCode::from(2)
        }
    }
}
