//! Option scanning the way ipvsadm's option library (popt 1.19) does it.
//!
//! ipvsadm's syntax is not a getopt or clap syntax: a short option may carry
//! its argument glued (`-srr`, `-s=rr`), short options combine (`-Ln`), an
//! optional argument (`-p [timeout]`) takes the next word unless it starts
//! with `-`, a required argument takes the next word whatever it is, long
//! options take `--name value` or `--name=value`, words that are not options
//! are set aside as leftovers, and `--` ends the options. [`Scanner`] yields
//! one option at a time, as `poptGetNextOpt` does, so that the caller can
//! apply ipvsadm's rules in the same order and stop at the same place.

/// What an option does with an argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArgKind {
    /// The option takes no argument.
    None,
    /// The option needs an argument.
    Required,
    /// The option may take an argument (`-p [timeout]`).
    Optional,
}

/// Every option ipvsadm 1.31 knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Opt {
    /// `-A`, `--add-service`.
    AddService,
    /// `-E`, `--edit-service`.
    EditService,
    /// `-D`, `--delete-service`.
    DeleteService,
    /// `-C`, `--clear`.
    Clear,
    /// `-L`, `--list`.
    ListUpper,
    /// `-l`, `--list`.
    ListLower,
    /// `-Z`, `--zero`.
    Zero,
    /// `-a`, `--add-server`.
    AddServer,
    /// `-e`, `--edit-server`.
    EditServer,
    /// `-d`, `--delete-server`.
    DeleteServer,
    /// `--set`.
    Set,
    /// `-h`, `--help`.
    Help,
    /// `-v`, `--version`.
    Version,
    /// `-R`, `--restore`.
    Restore,
    /// `-S`, `--save`.
    Save,
    /// `--start-daemon STATE`.
    StartDaemon,
    /// `--stop-daemon STATE`.
    StopDaemon,
    /// `-t`, `--tcp-service`.
    TcpService,
    /// `-u`, `--udp-service`.
    UdpService,
    /// `--sctp-service`.
    SctpService,
    /// `-f`, `--fwmark-service`.
    FwmarkService,
    /// `-s`, `--scheduler`.
    Scheduler,
    /// `-p`, `--persistent`.
    Persistent,
    /// `-M`, `--netmask`.
    Netmask,
    /// `-r`, `--real-server`.
    RealServer,
    /// `-m`, `--masquerading`.
    Masquerading,
    /// `-i`, `--ipip`.
    Ipip,
    /// `-g`, `--gatewaying`.
    Gatewaying,
    /// `-w`, `--weight`.
    Weight,
    /// `-x`, `--u-threshold`.
    UThreshold,
    /// `-y`, `--l-threshold`.
    LThreshold,
    /// `-n`, `--numeric`.
    Numeric,
    /// `-c`, `--connection`.
    Connection,
    /// `--mcast-interface`.
    McastInterface,
    /// `--syncid`.
    SyncId,
    /// `--timeout`.
    Timeout,
    /// `--daemon`.
    Daemon,
    /// `--stats`.
    Stats,
    /// `--rate`.
    Rate,
    /// `--thresholds`.
    Thresholds,
    /// `--persistent-conn`.
    PersistentConn,
    /// `--nosort`.
    NoSort,
    /// `--sort`.
    Sort,
    /// `-X`, `--exact`.
    Exact,
    /// `-6`, `--ipv6`.
    Ipv6,
    /// `-o`, `--ops`.
    Ops,
    /// `--pe`.
    Pe,
    /// `-b`, `--sched-flags`.
    SchedFlags,
    /// `--mcast-group`.
    McastGroup,
    /// `--mcast-port`.
    McastPort,
    /// `--mcast-ttl`.
    McastTtl,
    /// `--sync-maxlen`.
    SyncMaxlen,
    /// `--tun-info`.
    TunInfo,
    /// `--tun-type`.
    TunType,
    /// `--tun-port`.
    TunPort,
    /// `--tun-nocsum`.
    TunNoCsum,
    /// `--tun-csum`.
    TunCsum,
    /// `--tun-remcsum`.
    TunRemCsum,
}

/// One row of ipvsadm's option table: long name, short letter, argument.
struct Row {
    long: &'static str,
    short: Option<char>,
    arg: ArgKind,
    opt: Opt,
}

const fn row(long: &'static str, short: Option<char>, arg: ArgKind, opt: Opt) -> Row {
    Row {
        long,
        short,
        arg,
        opt,
    }
}

use ArgKind::{None as NoArg, Optional, Required};

/// ipvsadm's option table, in its order (the first match wins, as in popt).
const TABLE: &[Row] = &[
    row("add-service", Some('A'), NoArg, Opt::AddService),
    row("edit-service", Some('E'), NoArg, Opt::EditService),
    row("delete-service", Some('D'), NoArg, Opt::DeleteService),
    row("clear", Some('C'), NoArg, Opt::Clear),
    row("list", Some('L'), NoArg, Opt::ListUpper),
    row("list", Some('l'), NoArg, Opt::ListLower),
    row("zero", Some('Z'), NoArg, Opt::Zero),
    row("add-server", Some('a'), NoArg, Opt::AddServer),
    row("edit-server", Some('e'), NoArg, Opt::EditServer),
    row("delete-server", Some('d'), NoArg, Opt::DeleteServer),
    row("set", None, NoArg, Opt::Set),
    row("help", Some('h'), NoArg, Opt::Help),
    row("version", Some('v'), NoArg, Opt::Version),
    row("restore", Some('R'), NoArg, Opt::Restore),
    row("save", Some('S'), NoArg, Opt::Save),
    row("start-daemon", None, Required, Opt::StartDaemon),
    row("stop-daemon", None, Required, Opt::StopDaemon),
    row("tcp-service", Some('t'), Required, Opt::TcpService),
    row("udp-service", Some('u'), Required, Opt::UdpService),
    row("sctp-service", None, Required, Opt::SctpService),
    row("fwmark-service", Some('f'), Required, Opt::FwmarkService),
    row("scheduler", Some('s'), Required, Opt::Scheduler),
    row("persistent", Some('p'), Optional, Opt::Persistent),
    row("netmask", Some('M'), Required, Opt::Netmask),
    row("real-server", Some('r'), Required, Opt::RealServer),
    row("masquerading", Some('m'), NoArg, Opt::Masquerading),
    row("ipip", Some('i'), NoArg, Opt::Ipip),
    row("gatewaying", Some('g'), NoArg, Opt::Gatewaying),
    row("weight", Some('w'), Required, Opt::Weight),
    row("u-threshold", Some('x'), Required, Opt::UThreshold),
    row("l-threshold", Some('y'), Required, Opt::LThreshold),
    row("numeric", Some('n'), NoArg, Opt::Numeric),
    row("connection", Some('c'), NoArg, Opt::Connection),
    row("mcast-interface", None, Required, Opt::McastInterface),
    row("syncid", None, Required, Opt::SyncId),
    row("timeout", None, NoArg, Opt::Timeout),
    row("daemon", None, NoArg, Opt::Daemon),
    row("stats", None, NoArg, Opt::Stats),
    row("rate", None, NoArg, Opt::Rate),
    row("thresholds", None, NoArg, Opt::Thresholds),
    row("persistent-conn", None, NoArg, Opt::PersistentConn),
    row("nosort", None, NoArg, Opt::NoSort),
    row("sort", None, NoArg, Opt::Sort),
    row("exact", Some('X'), NoArg, Opt::Exact),
    row("ipv6", Some('6'), NoArg, Opt::Ipv6),
    row("ops", Some('o'), NoArg, Opt::Ops),
    row("pe", None, Required, Opt::Pe),
    row("sched-flags", Some('b'), Required, Opt::SchedFlags),
    row("mcast-group", None, Required, Opt::McastGroup),
    row("mcast-port", None, Required, Opt::McastPort),
    row("mcast-ttl", None, Required, Opt::McastTtl),
    row("sync-maxlen", None, Required, Opt::SyncMaxlen),
    row("tun-info", None, NoArg, Opt::TunInfo),
    row("tun-type", None, Required, Opt::TunType),
    row("tun-port", None, Required, Opt::TunPort),
    row("tun-nocsum", None, NoArg, Opt::TunNoCsum),
    row("tun-csum", None, NoArg, Opt::TunCsum),
    row("tun-remcsum", None, NoArg, Opt::TunRemCsum),
];

/// Why scanning stopped with an error, with popt's wording.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScanErrorKind {
    /// An option that needs an argument came last (`missing argument`).
    MissingArgument,
    /// No such option (`unknown option`).
    UnknownOption,
    /// `--name=value` or `-x=value` for an option without argument
    /// (`option does not take an argument`).
    UnwantedArgument,
}

impl ScanErrorKind {
    /// popt's sentence for the error.
    pub fn message(self) -> &'static str {
        match self {
            ScanErrorKind::MissingArgument => "missing argument",
            ScanErrorKind::UnknownOption => "unknown option",
            ScanErrorKind::UnwantedArgument => "option does not take an argument",
        }
    }
}

/// A scanning error and the word it happened in (popt's "bad option").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanError {
    /// What went wrong.
    pub kind: ScanErrorKind,
    /// The whole command-line word being scanned when it went wrong.
    pub word: String,
}

/// Scans a command line one option at a time.
#[derive(Debug)]
pub struct Scanner<'a> {
    args: &'a [String],
    /// Index of the next word to read.
    next: usize,
    /// Rest of a short-option cluster still to scan (byte offset into the
    /// word at `next - 1`).
    cluster: Option<usize>,
    /// After `--`, every word is a leftover.
    rest_leftover: bool,
    leftovers: Vec<String>,
}

impl<'a> Scanner<'a> {
    /// A scanner over `args`, where `args[0]` is the program name (skipped).
    pub fn new(args: &'a [String]) -> Self {
        Scanner {
            args,
            next: 1,
            cluster: None,
            rest_leftover: false,
            leftovers: Vec::new(),
        }
    }

    /// The words that were not options, in order, so far.
    pub fn leftovers(&self) -> &[String] {
        &self.leftovers
    }

    /// The word the last option (or error) came from: popt's
    /// `poptBadOption`.
    pub fn current_word(&self) -> &str {
        self.next
            .checked_sub(1)
            .and_then(|i| self.args.get(i))
            .map(String::as_str)
            .unwrap_or("")
    }

    /// The next option and its argument, `Ok(None)` at the end of the line.
    pub fn next_opt(&mut self) -> Result<Option<(Opt, Option<String>)>, ScanError> {
        loop {
            if let Some(pos) = self.cluster.take() {
                return self.short_option(pos).map(Some);
            }
            let Some(word) = self.args.get(self.next) else {
                return Ok(None);
            };
            self.next += 1;
            if self.rest_leftover || !word.starts_with('-') || word == "-" {
                self.leftovers.push(word.clone());
                continue;
            }
            if word == "--" {
                self.rest_leftover = true;
                continue;
            }
            if let Some(long) = word.strip_prefix("--") {
                return self.long_option(long).map(Some);
            }
            // A single dash: ipvsadm has no one-dash long options, so this
            // is a cluster of short options.
            self.cluster = Some(1);
        }
    }

    fn error(&self, kind: ScanErrorKind) -> ScanError {
        ScanError {
            kind,
            word: self.current_word().to_string(),
        }
    }

    fn long_option(&mut self, long: &str) -> Result<(Opt, Option<String>), ScanError> {
        let (name, glued) = match long.split_once('=') {
            Some((name, value)) => (name, Some(value.to_string())),
            None => (long, None),
        };
        let Some(row) = TABLE.iter().find(|r| r.long == name) else {
            return Err(self.error(ScanErrorKind::UnknownOption));
        };
        match (row.arg, glued) {
            (NoArg, Some(_)) => Err(self.error(ScanErrorKind::UnwantedArgument)),
            (NoArg, None) => Ok((row.opt, None)),
            (_, Some(value)) => Ok((row.opt, Some(value))),
            (kind, None) => self.following_argument(row.opt, kind),
        }
    }

    fn short_option(&mut self, pos: usize) -> Result<(Opt, Option<String>), ScanError> {
        let word = self.current_word().to_string();
        let rest = word.get(pos..).unwrap_or("");
        let mut chars = rest.chars();
        let Some(letter) = chars.next() else {
            return Err(self.error(ScanErrorKind::UnknownOption));
        };
        let Some(row) = TABLE.iter().find(|r| r.short == Some(letter)) else {
            return Err(self.error(ScanErrorKind::UnknownOption));
        };
        let after = chars.as_str();
        if row.arg == NoArg {
            if after.starts_with('=') {
                return Err(self.error(ScanErrorKind::UnwantedArgument));
            }
            if !after.is_empty() {
                self.cluster = Some(pos + letter.len_utf8());
            }
            return Ok((row.opt, None));
        }
        if !after.is_empty() {
            let value = after.strip_prefix('=').unwrap_or(after);
            return Ok((row.opt, Some(value.to_string())));
        }
        self.following_argument(row.opt, row.arg)
    }

    /// The argument of an option given as the next word.
    fn following_argument(
        &mut self,
        opt: Opt,
        kind: ArgKind,
    ) -> Result<(Opt, Option<String>), ScanError> {
        match self.args.get(self.next) {
            None if kind == Optional => Ok((opt, None)),
            None => Err(self.error(ScanErrorKind::MissingArgument)),
            Some(word) if kind == Optional && word.starts_with('-') => Ok((opt, None)),
            Some(word) => {
                let value = word.clone();
                self.next += 1;
                Ok((opt, Some(value)))
            }
        }
    }

    /// Takes the leftover words (popt's `poptGetArg`), first one first.
    pub fn take_leftover(&mut self) -> Option<String> {
        if self.leftovers.is_empty() {
            None
        } else {
            Some(self.leftovers.remove(0))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(line: &str) -> Vec<String> {
        std::iter::once("ipvsadm")
            .chain(line.split(' ').filter(|w| !w.is_empty()))
            .map(String::from)
            .collect()
    }

    type Scanned = (Vec<(Opt, Option<String>)>, Option<ScanError>, Vec<String>);

    fn scan_all(line: &str) -> Scanned {
        let args = words(line);
        let mut scanner = Scanner::new(&args);
        let mut opts = Vec::new();
        loop {
            match scanner.next_opt() {
                Ok(Some(o)) => opts.push(o),
                Ok(None) => return (opts, None, scanner.leftovers().to_vec()),
                Err(e) => return (opts, Some(e), scanner.leftovers().to_vec()),
            }
        }
    }

    #[test]
    fn clusters_and_glued_arguments() {
        let (opts, err, _) = scan_all("-Ln -srr -s=wlc -p5");
        assert_eq!(err, None);
        assert_eq!(
            opts,
            vec![
                (Opt::ListUpper, None),
                (Opt::Numeric, None),
                (Opt::Scheduler, Some("rr".into())),
                (Opt::Scheduler, Some("wlc".into())),
                (Opt::Persistent, Some("5".into())),
            ]
        );
    }

    #[test]
    fn optional_argument_skips_dash_words() {
        let (opts, _, _) = scan_all("-A -p -n -p 600 -p");
        assert_eq!(
            opts,
            vec![
                (Opt::AddService, None),
                (Opt::Persistent, None),
                (Opt::Numeric, None),
                (Opt::Persistent, Some("600".into())),
                (Opt::Persistent, None),
            ]
        );
    }

    #[test]
    fn required_argument_takes_dash_words() {
        let (opts, _, _) = scan_all("-A -s -p");
        assert_eq!(opts[1], (Opt::Scheduler, Some("-p".into())));
    }

    #[test]
    fn long_forms() {
        let (opts, err, _) = scan_all("--list --tcp-service=1.2.3.4:80 --scheduler rr");
        assert_eq!(err, None);
        assert_eq!(opts[1], (Opt::TcpService, Some("1.2.3.4:80".into())));
        assert_eq!(opts[2], (Opt::Scheduler, Some("rr".into())));
    }

    #[test]
    fn errors_name_the_word() {
        let (_, err, _) = scan_all("-L -nz");
        assert_eq!(
            err,
            Some(ScanError {
                kind: ScanErrorKind::UnknownOption,
                word: "-nz".into()
            })
        );
        let (_, err, _) = scan_all("-L --stats=1");
        assert_eq!(err.map(|e| e.kind), Some(ScanErrorKind::UnwantedArgument));
        let (_, err, _) = scan_all("-L -n=x");
        assert_eq!(err.map(|e| e.kind), Some(ScanErrorKind::UnwantedArgument));
        let (_, err, _) = scan_all("-A -t");
        assert_eq!(
            err,
            Some(ScanError {
                kind: ScanErrorKind::MissingArgument,
                word: "-t".into()
            })
        );
        let (_, err, _) = scan_all("-L --n");
        assert_eq!(err.map(|e| e.kind), Some(ScanErrorKind::UnknownOption));
    }

    #[test]
    fn leftovers_and_double_dash() {
        let (opts, err, left) = scan_all("-L foo -n -- -x -");
        assert_eq!(err, None);
        assert_eq!(opts.len(), 2);
        assert_eq!(left, vec!["foo", "-x", "-"]);
    }
}
