//! Runs an ipvsadm command line against a [`Kernel`] and collects what
//! ipvsadm would print and its exit status.
//!
//! The flow is ipvsadm 1.31's `main`: read the version (or say IPVS is
//! missing), list everything when there are no arguments, else run one
//! command; `-R` runs each line of standard input in turn, stops at the
//! first line that makes ipvsadm exit, and ends with the status of the last
//! line. A failed kernel operation prints ipvsadm's sentence and gives
//! status 255; a failed listing gives status 1.

use std::fmt::Write as _;

use crate::model::{ServiceKey, Version};

use super::command::{Command, Format, ListWhat, Stop};
use super::conn::{list_connections, CONN_PROC_FILE};
use super::format::{daemon_lines, header, service_block, timeouts_line, title};
use super::kernel::{message, Kernel};
use super::parse::parse_command;
use super::resolve::Resolver;
use super::restore::command_lines;
use super::sort::sort_services;
use crate::error::IpvsError;

/// What a run printed and its exit status.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Output {
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
    /// Exit status.
    pub code: u8,
}

/// What a run may read besides the kernel.
pub struct Environment<'a> {
    /// The kernel.
    pub kernel: &'a mut dyn Kernel,
    /// Host and service names.
    pub resolver: &'a dyn Resolver,
    /// Standard input, read whole by `-R`.
    pub stdin: &'a mut dyn FnMut() -> std::io::Result<String>,
    /// The text of `/proc/net/ip_vs_conn`, read by `-L -c`.
    pub conn_table: &'a dyn Fn() -> std::io::Result<String>,
}

/// ipvsadm's `exit(status)`: the run ends here.
struct Exit(u8);

struct Runner<'a, 'b> {
    env: &'a mut Environment<'b>,
    out: Output,
    version: Version,
    conn_tab_size: u32,
}

/// Runs ipvsadm with `args` (`args[0]` is the program name used in
/// messages).
pub fn run(args: &[String], env: &mut Environment<'_>) -> Output {
    let info = match env.kernel.info() {
        Ok(info) => info,
        Err(e) => return init_failure(&e),
    };
    let mut runner = Runner {
        env,
        out: Output::default(),
        version: info.version,
        conn_tab_size: info.conn_tab_size,
    };
    if info.version.code() < 0x0001_0104 {
        let _ = write!(
            runner.out.stderr,
            "Warning: IPVS version mismatch: \n  Kernel compiled with IPVS version {}\n  ipvsadm v1.31  requires minimum IPVS version 1.1.4\n\n",
            info.version
        );
    }
    let code = if args.len() <= 1 {
        match runner.list_all(&Format::default()) {
            Ok(()) => 0,
            Err(Exit(code)) => code,
        }
    } else {
        match runner.process(args, false) {
            Ok(0) => 0,
            Ok(_) => 255,
            Err(Exit(code)) => code,
        }
    };
    runner.out.code = code;
    runner.out
}

/// What ipvsadm prints when it cannot reach IPVS at all (status 2).
pub fn init_failure(error: &IpvsError) -> Output {
    Output {
        stdout: String::new(),
        stderr: format!(
            "Can't initialize ipvs: {}\nAre you sure that IP Virtual Server is built in the kernel or as module?\n",
            message(error)
        ),
        code: 2,
    }
}

impl Runner<'_, '_> {
    /// ipvsadm's `process_options`: `Ok(0)` or `Ok(-1)`, or the exit.
    fn process(&mut self, args: &[String], reading_stdin: bool) -> Result<i32, Exit> {
        let program = args.first().map(String::as_str).unwrap_or("ipvsadm");
        let command = match parse_command(args, reading_stdin, self.env.resolver) {
            Ok(c) => c,
            Err(stop) => return self.stop(stop),
        };
        let result = match command {
            Command::Help => {
                self.out.stdout.push_str(&usage(program));
                return Err(Exit(0));
            }
            Command::Version => {
                self.out.stdout.push_str(&version_line());
                return Err(Exit(0));
            }
            Command::List(what, format) => {
                self.list(&what, &format)?;
                return Ok(0);
            }
            Command::Save(format) => {
                self.list_all(&format)?;
                return Ok(0);
            }
            Command::Restore => return self.restore(program),
            Command::Flush => self.env.kernel.flush(),
            Command::AddService(s) => self.env.kernel.add_service(&s),
            Command::EditService(s) => self.env.kernel.edit_service(&s),
            Command::DeleteService(k) => self.env.kernel.delete_service(&k),
            Command::Zero(k) => self.env.kernel.zero(k.as_ref()),
            Command::AddServer(k, d) => self.env.kernel.add_destination(&k, &d),
            Command::EditServer(k, d) => self.env.kernel.edit_destination(&k, &d),
            Command::DeleteServer(k, d) => self.env.kernel.delete_destination(&k, &d),
            Command::SetTimeouts(t) => self.env.kernel.set_timeouts(&t),
            Command::StartDaemon(d) => self.env.kernel.start_daemon(&d),
            Command::StopDaemon(s) => self.env.kernel.stop_daemon(s),
        };
        match result {
            Ok(()) => Ok(0),
            Err(e) => {
                let _ = writeln!(self.out.stderr, "{}", message(&e));
                Ok(-1)
            }
        }
    }

    fn stop(&mut self, stop: Stop) -> Result<i32, Exit> {
        self.out.stdout.push_str(&stop.stdout);
        self.out.stderr.push_str(&stop.stderr);
        if stop.exits {
            Err(Exit(stop.code))
        } else {
            Ok(-1)
        }
    }

    /// `-R`: every command line of standard input.
    fn restore(&mut self, program: &str) -> Result<i32, Exit> {
        let input = (self.env.stdin)().unwrap_or_default();
        let mut result = 0;
        for words in command_lines(&input) {
            let args: Vec<String> = std::iter::once(program.to_string()).chain(words).collect();
            result = self.process(&args, true)?;
        }
        Ok(result)
    }

    fn list(&mut self, what: &ListWhat, format: &Format) -> Result<(), Exit> {
        match what {
            ListWhat::All => self.list_all(format),
            ListWhat::Service(key) => self.list_service(key, format),
            ListWhat::Timeouts => {
                let t = self.env.kernel.timeouts().map_err(|_| Exit(1))?;
                self.out.stdout.push_str(&timeouts_line(&t));
                Ok(())
            }
            ListWhat::Daemons => {
                let daemons = self.env.kernel.daemons().map_err(|_| Exit(1))?;
                self.out.stdout.push_str(&daemon_lines(&daemons));
                Ok(())
            }
            ListWhat::Connections => {
                let Ok(text) = (self.env.conn_table)() else {
                    let _ = writeln!(self.out.stderr, "cannot open file {CONN_PROC_FILE}");
                    return Err(Exit(1));
                };
                if text.is_empty() {
                    let _ = writeln!(self.out.stderr, "unexpected input from {CONN_PROC_FILE}");
                    return Err(Exit(1));
                }
                self.out
                    .stdout
                    .push_str(&list_connections(&text, format, self.env.resolver));
                Ok(())
            }
        }
    }

    fn kernel_failure(&mut self, e: IpvsError) -> Exit {
        let _ = writeln!(self.out.stderr, "{}", message(&e));
        Exit(1)
    }

    fn list_all(&mut self, format: &Format) -> Result<(), Exit> {
        if !format.rule {
            self.out.stdout.push_str(&header(&crate::model::Info {
                version: self.version,
                conn_tab_size: self.conn_tab_size,
            }));
        }
        let mut services = match self.env.kernel.services() {
            Ok(s) => s,
            Err(e) => return Err(self.kernel_failure(e)),
        };
        if !format.nosort {
            sort_services(&mut services);
        }
        self.out.stdout.push_str(&title(format));
        for entry in &services {
            self.print_service(entry, format)?;
        }
        Ok(())
    }

    fn list_service(&mut self, key: &ServiceKey, format: &Format) -> Result<(), Exit> {
        let entry = match self.env.kernel.service(key) {
            Ok(e) => e,
            Err(e) => return Err(self.kernel_failure(e)),
        };
        self.out.stdout.push_str(&title(format));
        self.print_service(&entry, format)
    }

    fn print_service(
        &mut self,
        entry: &crate::model::ServiceEntry,
        format: &Format,
    ) -> Result<(), Exit> {
        let dests = match self.env.kernel.destinations(&entry.service.key) {
            Ok(d) => d,
            Err(e) => return Err(self.kernel_failure(e)),
        };
        self.out
            .stdout
            .push_str(&service_block(entry, &dests, format, self.env.resolver));
        Ok(())
    }
}

/// `-v`: which ipvsadm this command line follows.
pub fn version_line() -> String {
    "lvs-director ipvs: ipvsadm v1.31 command line (IPVS v1.2.1 interface)\n".to_string()
}

/// `-h`: the commands and options, in the order ipvsadm documents them.
pub fn usage(program: &str) -> String {
    let mut text = version_line();
    let _ = write!(
        text,
        "Usage:
  {p} -A|E virtual-service [-s scheduler] [-p [timeout]] [-M netmask] [--pe persistence_engine] [-b sched-flags]
  {p} -D virtual-service
  {p} -C
  {p} -R
  {p} -S [-n]
  {p} -a|e virtual-service -r server-address [options]
  {p} -d virtual-service -r server-address
  {p} -L|l [virtual-service] [options]
  {p} -Z [virtual-service]
  {p} --set tcp tcpfin udp
  {p} --start-daemon {{master|backup}} [daemon-options]
  {p} --stop-daemon {{master|backup}}
  {p} -h

Commands (long or short form):
  --add-service     -A   add a virtual service
  --edit-service    -E   change a virtual service
  --delete-service  -D   delete a virtual service
  --clear           -C   delete every virtual service
  --restore         -R   read commands from standard input
  --save            -S   print the table as commands
  --add-server      -a   add a real server
  --edit-server     -e   change a real server
  --delete-server   -d   delete a real server
  --list            -L|-l  list the table
  --zero            -Z   zero the counters of one service or of all
  --set tcp tcpfin udp   set the connection timeouts
  --start-daemon         start a connection sync daemon
  --stop-daemon          stop a connection sync daemon
  --help            -h   show this text

virtual-service:
  --tcp-service|-t  host[:port]
  --udp-service|-u  host[:port]
  --sctp-service    host[:port]
  --fwmark-service|-f fwmark   (a number above zero)

Options:
  --ipv6 -6  --scheduler -s NAME (rr|wrr|lc|wlc|lblc|lblcr|dh|sh|sed|nq|fo|ovf|mh, default wlc)
  --pe NAME (sip)  --persistent -p [timeout]  --netmask -M mask  --real-server -r host[:port]
  --gatewaying -g (default)  --ipip -i  --masquerading -m
  --tun-type ipip|gue|gre  --tun-port port  --tun-nocsum  --tun-csum  --tun-remcsum
  --weight -w  --u-threshold -x  --l-threshold -y
  --connection -c  --timeout  --daemon  --stats  --rate  --exact  --thresholds
  --persistent-conn  --tun-info  --nosort  --sort  --ops -o  --numeric -n  --sched-flags -b flags
Daemon options:
  --syncid id  --sync-maxlen length  --mcast-interface name  --mcast-group address
  --mcast-port port  --mcast-ttl ttl
",
        p = program
    );
    text
}
