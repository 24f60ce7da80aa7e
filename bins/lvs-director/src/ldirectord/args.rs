//! ldirectord's command line: `ldirectord [-d] [-h] [-v] [configfile]
//! {start|stop|restart|try-restart|reload|force-reload|status}`, read as
//! its Getopt::Long settings read it (bundled short options, options only
//! before the first word), plus this director's own `--pid-file`,
//! `--socket` and `--state-dir` (each `--name VALUE` or `--name=VALUE`) so
//! that every path it writes can be set per instance.

use std::path::PathBuf;

/// ldirectord's actions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verb {
    /// Start the daemon unless it runs.
    Start,
    /// Stop the daemon if it runs.
    Stop,
    /// Stop it if it runs, then start it.
    Restart,
    /// Restart it only if it runs.
    TryRestart,
    /// Make it read its file again.
    Reload,
    /// The same as reload.
    ForceReload,
    /// Tell whether it runs (LSB exit status).
    Status,
}

impl Verb {
    /// The verb of a word, if it is one.
    pub fn from_word(word: &str) -> Option<Verb> {
        Some(match word {
            "start" => Verb::Start,
            "stop" => Verb::Stop,
            "restart" => Verb::Restart,
            "try-restart" => Verb::TryRestart,
            "reload" => Verb::Reload,
            "force-reload" => Verb::ForceReload,
            "status" => Verb::Status,
            _ => return None,
        })
    }
}

/// What an ldirectord command line asks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Invocation {
    /// `-h`: print the usage.
    Help,
    /// `-v`: print the version.
    Version,
    /// An action.
    Action(ActionArgs),
}

/// The arguments of an action.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ActionArgs {
    /// `-d`: stay in the foreground and log to stderr.
    pub debug: bool,
    /// The configuration as given (`None`: ldirectord.cf).
    pub config: Option<String>,
    /// The action.
    pub verb: Option<Verb>,
    /// `--pid-file`.
    pub pid_file: Option<PathBuf>,
    /// `--socket`.
    pub socket: Option<PathBuf>,
    /// `--state-dir`.
    pub state_dir: Option<PathBuf>,
}

/// The usage line, as ldirectord's manual gives it.
pub const USAGE: &str = "Usage: ldirectord [-d|--debug] [-h|--help] [-v|--version] \
[--pid-file FILE] [--socket PATH] [--state-dir DIR] [configfile] \
{start|stop|restart|try-restart|reload|force-reload|status}";

/// The long options that take a value.
const VALUED: [&str; 3] = ["--pid-file", "--socket", "--state-dir"];

/// Reads `args` (without the program name).
pub fn parse(args: &[String]) -> Result<Invocation, String> {
    let mut parsed = ActionArgs::default();
    let (mut help, mut version) = (false, false);
    let mut index = 0;
    while let Some(arg) = args.get(index) {
        if arg == "--" {
            index += 1;
            break;
        }
        if !arg.starts_with('-') || arg == "-" {
            break;
        }
        index += 1;
        if let Some(long) = arg.strip_prefix("--") {
            let (name, inline) = match long.split_once('=') {
                Some((name, value)) => (name, Some(value.to_string())),
                None => (long, None),
            };
            match name {
                "debug" => parsed.debug = true,
                "help" => help = true,
                "version" => version = true,
                _ if VALUED.contains(&format!("--{name}").as_str()) => {
                    let value = match inline {
                        Some(value) => value,
                        None => {
                            let value = args
                                .get(index)
                                .ok_or_else(|| format!("option --{name} requires an argument"))?;
                            index += 1;
                            value.clone()
                        }
                    };
                    let slot = match name {
                        "pid-file" => &mut parsed.pid_file,
                        "socket" => &mut parsed.socket,
                        _ => &mut parsed.state_dir,
                    };
                    *slot = Some(PathBuf::from(value));
                }
                _ => return Err(format!("Unknown option: {name}")),
            }
            continue;
        }
        for letter in arg.chars().skip(1) {
            match letter {
                'd' => parsed.debug = true,
                'h' | '?' => help = true,
                'v' => version = true,
                other => return Err(format!("Unknown option: {other}")),
            }
        }
    }
    if help {
        return Ok(Invocation::Help);
    }
    if version {
        return Ok(Invocation::Version);
    }
    let words = args.get(index..).unwrap_or_default();
    let (config, verb) = match words {
        [verb] => (None, verb),
        [config, verb] => (Some(config.clone()), verb),
        [] => return Err("no action given".to_string()),
        _ => return Err("too many arguments".to_string()),
    };
    parsed.config = config;
    parsed.verb = Some(Verb::from_word(verb).ok_or_else(|| format!("unknown action '{verb}'"))?);
    Ok(Invocation::Action(parsed))
}

/// Whether `lvs-director ARGS` is ldirectord's invocation rather than one
/// of the subcommands: `[options] [CONFIG] VERB` where a lone VERB is not
/// `status` or `reload` (those are `lvs-director status|reload`, which
/// answer with LSB's codes too) and CONFIG is not a subcommand's name.
pub fn is_ldirectord_invocation(args: &[String], subcommands: &[&str]) -> bool {
    let mut words = Vec::new();
    let mut index = 0;
    while let Some(arg) = args.get(index) {
        index += 1;
        if VALUED.contains(&arg.as_str()) {
            index += 1;
        } else if !arg.starts_with('-') {
            words.push(arg.as_str());
        }
    }
    match words.as_slice() {
        [verb] => Verb::from_word(verb).is_some() && !matches!(*verb, "status" | "reload"),
        [config, verb] => Verb::from_word(verb).is_some() && !subcommands.contains(config),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(line: &str) -> Vec<String> {
        line.split_whitespace().map(String::from).collect()
    }

    fn action(line: &str) -> ActionArgs {
        match parse(&args(line)) {
            Ok(Invocation::Action(a)) => a,
            other => panic!("{line}: {other:?}"),
        }
    }

    #[test]
    fn a_verb_alone_or_after_a_configuration() {
        let a = action("start");
        assert_eq!((a.config, a.verb), (None, Some(Verb::Start)));
        let a = action("-d ldirectord.cf restart");
        assert!(a.debug);
        assert_eq!(a.config.as_deref(), Some("ldirectord.cf"));
        assert_eq!(a.verb, Some(Verb::Restart));
        let a = action("--pid-file /tmp/p --socket=/tmp/s --state-dir /tmp/d /x.cf status");
        assert_eq!(a.pid_file, Some(PathBuf::from("/tmp/p")));
        assert_eq!(a.socket, Some(PathBuf::from("/tmp/s")));
        assert_eq!(a.state_dir, Some(PathBuf::from("/tmp/d")));
        assert_eq!(a.verb, Some(Verb::Status));
    }

    #[test]
    fn help_version_and_mistakes() {
        assert_eq!(parse(&args("-h start")), Ok(Invocation::Help));
        assert_eq!(parse(&args("-dv")), Ok(Invocation::Version));
        assert_eq!(
            parse(&args("launch")),
            Err("unknown action 'launch'".into())
        );
        assert_eq!(parse(&args("")), Err("no action given".into()));
        assert_eq!(parse(&args("a b c")), Err("too many arguments".into()));
        assert_eq!(parse(&args("-x start")), Err("Unknown option: x".into()));
        assert_eq!(
            parse(&args("--pid-file")),
            Err("option --pid-file requires an argument".into())
        );
        // Options come first, as Getopt::Long's require_order has it.
        assert_eq!(parse(&args("start -d")), Err("unknown action '-d'".into()));
    }

    #[test]
    fn subcommands_are_not_mistaken_for_ldirectord() {
        let subs = ["run", "status", "reload"];
        assert!(is_ldirectord_invocation(&args("start"), &subs));
        assert!(is_ldirectord_invocation(&args("-d my.cf stop"), &subs));
        assert!(is_ldirectord_invocation(&args("my.cf status"), &subs));
        assert!(is_ldirectord_invocation(
            &args("--socket /s my.cf reload"),
            &subs
        ));
        assert!(!is_ldirectord_invocation(&args("status"), &subs));
        assert!(!is_ldirectord_invocation(
            &args("reload --socket /s"),
            &subs
        ));
        assert!(!is_ldirectord_invocation(&args("run start"), &subs));
        assert!(!is_ldirectord_invocation(&args("run -f x.cf"), &subs));
    }
}
