//! `ipvsadm-save` and `ipvsadm-restore`: the two commands ipvsadm's
//! package installs beside it, which a binary can also answer to when it is
//! linked under their names (Debian's init script and users' scripts call
//! them).
//!
//! ipvsadm 1.31 ships both as shell scripts that run `ipvsadm`; these
//! functions say which ipvsadm command lines the scripts run, each of
//! which is then one [`run`](super::run) with a kernel connection of its
//! own, as each is a process of its own under the script:
//!
//! - `ipvsadm-save [-n]` ([`save_command`]): `ipvsadm -S`, with `-n` when
//!   any argument is `-n`; any other argument starting with `-` prints a
//!   two-line help on standard error and exits 1 before IPVS is touched
//!   (other words are ignored).
//! - `ipvsadm-restore` ([`RESTORE_COMMANDS`], [`restore_rules`]): standard
//!   input without its lines starting with `#`; then `ipvsadm -C`, whose
//!   status is ignored; then `ipvsadm -R` reading that input with its
//!   trailing newlines replaced by one (the script passes it through
//!   `$(…)` and `echo`). The status is the restore's; arguments are
//!   ignored.

use super::exec::Output;

/// The name the scripts call, and the one in the messages of the
/// commands they run.
const IPVSADM: &str = "ipvsadm";

/// The ipvsadm command line `ipvsadm-save ARGS…` runs (`args[0]` is the
/// name it was called by), or, for an option other than `-n`, the help
/// it prints instead.
pub fn save_command(args: &[String]) -> Result<Vec<String>, Output> {
    let mut numeric = false;
    for arg in args.iter().skip(1) {
        if arg == "-n" {
            numeric = true;
        } else if arg.starts_with('-') {
            return Err(save_help(
                args.first().map(String::as_str).unwrap_or("ipvsadm-save"),
            ));
        }
    }
    let mut command = vec![IPVSADM.to_string(), "-S".to_string()];
    if numeric {
        command.push("-n".to_string());
    }
    Ok(command)
}

/// The script's `help`: its own name (as `basename $0`) and what it does.
fn save_help(program: &str) -> Output {
    let name = program.rsplit('/').next().unwrap_or(program);
    Output {
        stdout: String::new(),
        stderr: format!(
            "{name}: Script to save the IPVS table to stdout.\n   With the -n option, prints out the table in numeric format.\n"
        ),
        code: 1,
    }
}

/// The command lines `ipvsadm-restore` runs, in order: the table is
/// flushed, then [`restore_rules`] are read by the second.
pub const RESTORE_COMMANDS: [&[&str]; 2] = [&[IPVSADM, "-C"], &[IPVSADM, "-R"]];

/// What `ipvsadm-restore` hands `ipvsadm -R` for the standard input
/// `input`: its lines not starting with `#`, ending in exactly one
/// newline.
pub fn restore_rules(input: &str) -> String {
    let mut rules: String = input
        .split_inclusive('\n')
        .filter(|line| !line.starts_with('#'))
        .collect();
    rules.truncate(rules.trim_end_matches('\n').len());
    rules.push('\n');
    rules
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn restore_keeps_every_other_line_in_order(
            lines in proptest::collection::vec("[#a-z -]{0,12}", 0..12),
            trailing in 0usize..4,
        ) {
            let input = lines.join("\n") + &"\n".repeat(trailing);
            let rules = restore_rules(&input);
            prop_assert!(rules.ends_with('\n') && !rules.ends_with("\n\n") || rules == "\n");
            let kept: Vec<&str> = lines.iter().map(String::as_str).filter(|l| !l.starts_with('#')).collect();
            let expected = kept.join("\n");
            prop_assert_eq!(rules.trim_end_matches('\n'), expected.trim_end_matches('\n'));
        }
    }

    fn argv(words: &[&str]) -> Vec<String> {
        words.iter().map(|w| w.to_string()).collect()
    }

    #[test]
    fn save_runs_ipvsadm_dash_s_numeric_on_request() {
        assert_eq!(
            save_command(&argv(&["ipvsadm-save"])),
            Ok(argv(&["ipvsadm", "-S"]))
        );
        assert_eq!(
            save_command(&argv(&["/sbin/ipvsadm-save", "word", "-n", "-n"])),
            Ok(argv(&["ipvsadm", "-S", "-n"]))
        );
    }

    #[test]
    fn save_helps_on_any_other_option() {
        for args in [
            &["/usr/sbin/ipvsadm-save", "-n", "-x"][..],
            &["ipvsadm-save", "--help"],
            &["ipvsadm-save", "-"],
        ] {
            let help = save_command(&argv(args)).expect_err("help");
            assert_eq!(help.code, 1);
            assert_eq!(help.stdout, "");
            assert_eq!(
                help.stderr,
                "ipvsadm-save: Script to save the IPVS table to stdout.\n   With the -n option, prints out the table in numeric format.\n"
            );
        }
    }

    #[test]
    fn restore_drops_comments_and_ends_in_one_newline() {
        assert_eq!(
            restore_rules(
                "# ipvsadm.rules\n-A -t 192.0.2.1:80\n #x\n-a -t 192.0.2.1:80 -r 10.0.0.1\n\n\n"
            ),
            "-A -t 192.0.2.1:80\n #x\n-a -t 192.0.2.1:80 -r 10.0.0.1\n"
        );
        assert_eq!(restore_rules("-C"), "-C\n");
        assert_eq!(restore_rules(""), "\n");
        assert_eq!(restore_rules("#only\n"), "\n");
        assert_eq!(RESTORE_COMMANDS[0], ["ipvsadm", "-C"]);
        assert_eq!(RESTORE_COMMANDS[1], ["ipvsadm", "-R"]);
    }
}
