//! keepalived's command line, for `ha-node` invoked through a link named
//! `keepalived`: init scripts and unit files that start keepalived 2.2.7
//! start the VRRP daemon unchanged.
//!
//! Carried out: `-f/--use-file FILE`, `-t/--config-test[=LOG]` (errors at
//! FILE:LINE on stderr, exit 5 as keepalived; with LOG they go there),
//! `-n/--dont-fork`, `-p/--pid FILE`, `-r/--vrrp_pid FILE` (one process
//! here: both name it), `-v/--version`, `-h/--help`. Accepted because they
//! describe what this daemon always does: `-P/--vrrp` (VRRP only),
//! `-l/--log-console` and `-G/--no-syslog` (the log goes to stderr),
//! `-D/--log-detail`, `-B/--no_bfd`, and `-c`/`-b` (pid files of the
//! checker and BFD processes, which do not exist here). Every other
//! option is refused by name, and so is starting without `-n`: this
//! daemon does not put itself in the background (run it from a service
//! manager, as Debian's keepalived.service does with `--dont-fork`).
//!
//! keepalived has no option for a control socket: `ha-node vrrp status`
//! finds this one at [`DEFAULT_SOCKET`], or where the environment
//! variable `HA_NODE_VRRP_SOCKET` says.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::vrrp::{self, RunOptions, DEFAULT_CONFIG, DEFAULT_SOCKET};

/// The environment variable naming the control socket.
pub const SOCKET_VARIABLE: &str = "HA_NODE_VRRP_SOCKET";

/// keepalived -t's exit status for a bad file.
const CONFIG_TEST_FAILED: u8 = 5;

/// What the command line asks.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Invocation {
    /// `-f`.
    pub config: Option<PathBuf>,
    /// `-t`, with its optional log file.
    pub config_test: Option<Option<PathBuf>>,
    /// `-n`.
    pub dont_fork: bool,
    /// `-p` and `-r`.
    pub pid_files: Vec<PathBuf>,
    /// `-v`.
    pub version: bool,
    /// `-h`.
    pub help: bool,
}

/// The options taking a value: short letter, long name.
const WITH_VALUE: &[(char, &str)] = &[
    ('f', "use-file"),
    ('p', "pid"),
    ('r', "vrrp_pid"),
    ('c', "checkers_pid"),
    ('b', "bfd_pid"),
    ('S', "log-facility"),
    ('u', "umask"),
    ('A', "snmp-agent-socket"),
    ('s', "namespace"),
    ('M', "core-dump-pattern"),
    ('i', "config-id"),
];

/// The flags: short letter (if any), long name.
const FLAGS: &[(Option<char>, &str)] = &[
    (Some('P'), "vrrp"),
    (Some('C'), "check"),
    (Some('B'), "no_bfd"),
    (None, "all"),
    (Some('l'), "log-console"),
    (Some('D'), "log-detail"),
    (Some('G'), "no-syslog"),
    (Some('X'), "release-vips"),
    (Some('V'), "dont-release-vrrp"),
    (Some('I'), "dont-release-ipvs"),
    (Some('R'), "dont-respawn"),
    (Some('n'), "dont-fork"),
    (Some('d'), "dump-conf"),
    (Some('T'), "genhash"),
    (Some('a'), "address-monitoring"),
    (Some('x'), "snmp"),
    (Some('m'), "core-dump"),
    (Some('e'), "all-config"),
    (Some('v'), "version"),
    (Some('h'), "help"),
];

/// Reads keepalived's arguments (after the program name).
pub fn parse(args: &[String]) -> Result<Invocation, String> {
    let mut out = Invocation::default();
    let mut i = 0;
    while i < args.len() {
        let arg = &args[i];
        i += 1;
        if let Some(long) = arg.strip_prefix("--") {
            let (name, attached) = match long.split_once('=') {
                Some((n, v)) => (n, Some(v.to_string())),
                None => (long, None),
            };
            if name == "config-test" {
                out.config_test = Some(attached.map(PathBuf::from));
                continue;
            }
            if let Some((short, _)) = WITH_VALUE.iter().find(|(_, l)| *l == name) {
                let value = match attached {
                    Some(v) => v,
                    None => {
                        let v = args
                            .get(i)
                            .ok_or_else(|| format!("option '--{name}' requires an argument"))?;
                        i += 1;
                        v.clone()
                    }
                };
                apply_value(&mut out, *short, &format!("--{name}"), value)?;
            } else if let Some((short, _)) = FLAGS.iter().find(|(_, l)| *l == name) {
                apply_flag(&mut out, *short, name)?;
            } else {
                return Err(format!("unrecognized option '--{name}'"));
            }
            continue;
        }
        let Some(letters) = arg.strip_prefix('-').filter(|l| !l.is_empty()) else {
            return Err(format!("unexpected argument '{arg}'"));
        };
        let chars: Vec<char> = letters.chars().collect();
        let mut k = 0;
        while k < chars.len() {
            let c = chars[k];
            k += 1;
            if c == 't' {
                let rest: String = chars[k..].iter().collect();
                out.config_test = Some((!rest.is_empty()).then(|| PathBuf::from(rest)));
                break;
            }
            if WITH_VALUE.iter().any(|(s, _)| *s == c) {
                let rest: String = chars[k..].iter().collect();
                let value = if rest.is_empty() {
                    let v = args
                        .get(i)
                        .ok_or_else(|| format!("option requires an argument -- '{c}'"))?;
                    i += 1;
                    v.clone()
                } else {
                    rest
                };
                apply_value(&mut out, c, &format!("-{c}"), value)?;
                break;
            }
            match FLAGS.iter().find(|(s, _)| *s == Some(c)) {
                Some((short, name)) => apply_flag(&mut out, *short, name)?,
                None => return Err(format!("invalid option -- '{c}'")),
            }
        }
    }
    Ok(out)
}

fn apply_value(
    out: &mut Invocation,
    short: char,
    shown: &str,
    value: String,
) -> Result<(), String> {
    match short {
        'f' => out.config = Some(PathBuf::from(value)),
        'p' | 'r' => out.pid_files.push(PathBuf::from(value)),
        // The checker and BFD processes do not exist here.
        'c' | 'b' => {}
        _ => {
            return Err(format!(
                "keepalived option {shown} is not implemented by ha-node"
            ))
        }
    }
    Ok(())
}

fn apply_flag(out: &mut Invocation, short: Option<char>, name: &str) -> Result<(), String> {
    match short {
        Some('n') => out.dont_fork = true,
        Some('v') => out.version = true,
        Some('h') => out.help = true,
        Some('P' | 'l' | 'D' | 'G' | 'B') => {}
        _ => {
            let shown = short.map_or_else(|| format!("--{name}"), |c| format!("-{c} (--{name})"));
            return Err(format!(
                "keepalived option {shown} is not implemented by ha-node"
            ));
        }
    }
    Ok(())
}

const HELP: &str = "Usage: keepalived [OPTION...]   (ha-node's VRRP daemon)
  -f, --use-file=FILE          Use the specified configuration file
                                default '/etc/keepalived/keepalived.conf'
  -P, --vrrp                   Only run with VRRP subsystem (always)
  -l, --log-console            Log messages to local console (always)
  -D, --log-detail             Detailed log messages
  -G, --no-syslog              Don't log via syslog (never does)
  -n, --dont-fork              Don't fork the daemon process (required)
  -p, --pid=FILE               Use specified pidfile for parent process
  -r, --vrrp_pid=FILE          Use specified pidfile for VRRP child process
  -t, --config-test[=LOG_FILE] Check the configuration for obvious errors
  -v, --version                Display the version number
  -h, --help                   Display this help message
";

/// `keepalived ARGS...`.
pub fn main(args: &[String]) -> ExitCode {
    let invocation = match parse(args) {
        Ok(i) => i,
        Err(e) => {
            eprintln!("keepalived: {e}");
            eprint!("{HELP}");
            return ExitCode::from(1);
        }
    };
    if invocation.help {
        print!("{HELP}");
        return ExitCode::SUCCESS;
    }
    if invocation.version {
        println!(
            "ha-node {} (keepalived 2.2.7's VRRP)",
            env!("CARGO_PKG_VERSION")
        );
        return ExitCode::SUCCESS;
    }
    let config = invocation
        .config
        .unwrap_or_else(|| PathBuf::from(DEFAULT_CONFIG));
    if let Some(log) = invocation.config_test {
        if let Some(log) = log {
            eprintln!(
                "keepalived: -t{}: writing the test to a file is not implemented; it goes to stderr",
                log.display()
            );
        }
        return vrrp::check_config(&config, CONFIG_TEST_FAILED);
    }
    if !invocation.dont_fork {
        eprintln!(
            "keepalived: putting itself in the background is not implemented by ha-node; \
             pass -n (--dont-fork) and let the service manager supervise it"
        );
        return ExitCode::from(1);
    }
    let pid_files = if invocation.pid_files.is_empty() {
        vec![PathBuf::from("/run/keepalived.pid")]
    } else {
        invocation.pid_files
    };
    vrrp::run(RunOptions {
        config,
        pid_files,
        socket: std::env::var_os(SOCKET_VARIABLE)
            .map_or_else(|| PathBuf::from(DEFAULT_SOCKET), PathBuf::from),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(line: &str) -> Vec<String> {
        line.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn debian_unit_and_lab_command_lines() {
        let got = parse(&args("--dont-fork -D -l -P -f /x.conf -p /run/k.pid")).unwrap();
        assert!(got.dont_fork);
        assert_eq!(got.config, Some(PathBuf::from("/x.conf")));
        assert_eq!(got.pid_files, [PathBuf::from("/run/k.pid")]);
        let got = parse(&args(
            "-nDlP -f/y.conf --vrrp_pid=/run/v.pid --use-file /z.conf",
        ))
        .unwrap();
        assert!(got.dont_fork);
        assert_eq!(got.config, Some(PathBuf::from("/z.conf")));
        assert_eq!(got.pid_files, [PathBuf::from("/run/v.pid")]);
    }

    #[test]
    fn config_test_with_and_without_its_log() {
        assert_eq!(parse(&args("-t")).unwrap().config_test, Some(None));
        assert_eq!(
            parse(&args("-t/tmp/log -f a")).unwrap().config_test,
            Some(Some(PathBuf::from("/tmp/log")))
        );
        assert_eq!(
            parse(&args("--config-test")).unwrap().config_test,
            Some(None)
        );
    }

    #[test]
    fn what_is_not_done_is_named() {
        assert_eq!(
            parse(&args("-C")).unwrap_err(),
            "keepalived option -C (--check) is not implemented by ha-node"
        );
        assert_eq!(
            parse(&args("--snmp")).unwrap_err(),
            "keepalived option -x (--snmp) is not implemented by ha-node"
        );
        assert_eq!(
            parse(&args("-s ns1")).unwrap_err(),
            "keepalived option -s is not implemented by ha-node"
        );
        assert_eq!(parse(&args("-q")).unwrap_err(), "invalid option -- 'q'");
        assert_eq!(
            parse(&args("-f")).unwrap_err(),
            "option requires an argument -- 'f'"
        );
    }
}
