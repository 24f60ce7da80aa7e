//! Reads ha.cf line by line into an [`HaConfig`], collecting every complaint.

use std::path::PathBuf;
use std::time::Duration;

use ha_conf::{ConfigErrors, ConfigWarning, Diagnostics, Line, Source};
use ha_transport::serial::baud;
use ha_transport::spec::MediumSpec;

use super::clients::{self, ApiAuth, Respawn};
use super::compression::{self, CompressionLines};
use super::directives::{self, Directive, Known};
use super::fencing::{self, FenceDevice};
use super::notes;
use super::ping::{self, PingNode};
use super::setting::Setting;
use super::timers::TimerLines;
use super::{media, values, AutoFailback, HaConfig, DEFAULT_RTPRIO, DEFAULT_UDPPORT};
use crate::config::lexer::Statement;
use crate::config::time::describe_time;

/// heartbeat's limit on media (MAXMEDIA).
const MAX_MEDIA: usize = 64;

/// heartbeat's limit on nodes (MAXNODE).
const MAX_NODES: usize = 100;

/// What has been read of one ha.cf so far.
pub(super) struct Parser<'s> {
    source: &'s Source,
    diagnostics: Diagnostics,
    timers: TimerLines<'s>,
    udpport: Setting<'s, u16>,
    baud: Setting<'s, u32>,
    /// The first serial medium: baud may not follow it.
    first_serial: Option<Line<'s>>,
    /// The first bcast/ucast medium: udpport may not follow it.
    first_udp_medium: Option<(Line<'s>, &'s str)>,
    /// Each medium with its line and the directive that named it.
    media: Vec<(MediumSpec, Line<'s>, &'s str)>,
    media_written: bool,
    nodes: Vec<(String, Line<'s>)>,
    nodes_written: bool,
    auto_failback: Setting<'s, AutoFailback>,
    logfile: Setting<'s, PathBuf>,
    debugfile: Setting<'s, PathBuf>,
    logfacility: Setting<'s, String>,
    crm: Setting<'s, ()>,
    realtime: Setting<'s, bool>,
    rtprio: Setting<'s, u8>,
    /// Each ping node with its line.
    ping_nodes: Vec<(PingNode, Line<'s>)>,
    /// `ping_weight` lines: the ping node named, its weight.
    ping_weights: Vec<(String, u32, Line<'s>)>,
    deadping: Setting<'s, Duration>,
    /// The first `respawn` line of heartbeat's ipfail.
    ipfail: Setting<'s, ()>,
    watchdog: Setting<'s, PathBuf>,
    respawns: Vec<Respawn>,
    apiauth: Vec<ApiAuth>,
    fencing: Vec<FenceDevice>,
    compression: CompressionLines<'s>,
    /// Notes on directives accepted without effect.
    notes: Vec<ConfigWarning>,
}

impl<'s> Parser<'s> {
    /// A parser for one file.
    pub fn new(source: &'s Source) -> Self {
        Parser {
            source,
            diagnostics: Diagnostics::new(),
            timers: TimerLines::default(),
            udpport: Setting::Absent,
            baud: Setting::Absent,
            first_serial: None,
            first_udp_medium: None,
            media: Vec::new(),
            media_written: false,
            nodes: Vec::new(),
            nodes_written: false,
            auto_failback: Setting::Absent,
            logfile: Setting::Absent,
            debugfile: Setting::Absent,
            logfacility: Setting::Absent,
            crm: Setting::Absent,
            realtime: Setting::Absent,
            rtprio: Setting::Absent,
            ping_nodes: Vec::new(),
            ping_weights: Vec::new(),
            deadping: Setting::Absent,
            ipfail: Setting::Absent,
            watchdog: Setting::Absent,
            respawns: Vec::new(),
            apiauth: Vec::new(),
            fencing: Vec::new(),
            compression: CompressionLines::default(),
            notes: Vec::new(),
        }
    }

    /// Reads one line.
    pub fn line(&mut self, line: Line<'s>) {
        let Some(statement) = Statement::parse(line.text) else {
            return;
        };
        let name = statement.name;
        match directives::lookup(name) {
            None => self
                .diagnostics
                .push(line.error(directives::unknown_directive_message(name))),
            Some(Known::NotSupportedYet) => {
                self.media_written |= directives::OTHER_MEDIA.contains(&name);
                self.nodes_written |= name == "autojoin";
                self.diagnostics
                    .push(line.error(format!("directive '{name}' is not supported yet")));
            }
            Some(Known::Implemented(directive)) => self.directive(directive, line, statement),
            Some(Known::Noted(noted)) => {
                match notes::read(noted, line, name, &statement.values()) {
                    Ok(note) => self.notes.extend(note),
                    Err(message) => self.diagnostics.push(line.error(message)),
                }
            }
        }
    }

    /// Reads one line of an implemented directive.
    fn directive(&mut self, directive: Directive, line: Line<'s>, statement: Statement<'s>) {
        let name = statement.name;
        let values = statement.values();
        let result = match directive {
            Directive::Keepalive => {
                let value = values::positive_time(name, &values);
                self.timers.keepalive.record(name, line, value)
            }
            Directive::Warntime => {
                let value = values::positive_time(name, &values);
                self.timers.warntime.record(name, line, value)
            }
            Directive::Deadtime => {
                let value = values::positive_time(name, &values);
                self.timers.deadtime.record(name, line, value)
            }
            Directive::Initdead => {
                let value = values::time(name, &values);
                self.timers.initdead.record(name, line, value)
            }
            Directive::AutoFailback => {
                let value = values::auto_failback(name, &values);
                self.auto_failback.record(name, line, value)
            }
            Directive::Logfile => self.logfile.record(name, line, values::path(name, &values)),
            Directive::Debugfile => self
                .debugfile
                .record(name, line, values::path(name, &values)),
            Directive::Logfacility => {
                let value = values::facility(name, &values);
                self.logfacility.record(name, line, value)
            }
            Directive::Crm => self.crm.record(name, line, values::crm(name, &values)),
            Directive::Realtime => {
                let value = values::on_off(name, &values);
                self.realtime.record(name, line, value)
            }
            Directive::Rtprio => {
                let value = values::rtprio(name, &values);
                self.rtprio.record(name, line, value)
            }
            Directive::Deadping => {
                let value = values::time(name, &values);
                self.deadping.record(name, line, value)
            }
            Directive::Ping => {
                return match ping::ping(name, &values) {
                    Ok(nodes) => nodes.into_iter().for_each(|n| self.ping_node(line, n)),
                    Err(message) => self.diagnostics.push(line.error(message)),
                }
            }
            Directive::Ping6 => {
                return match ping::ping6(name, &values) {
                    Ok(nodes) => nodes.into_iter().for_each(|n| self.ping_node(line, n)),
                    Err(message) => self.diagnostics.push(line.error(message)),
                }
            }
            Directive::PingGroup => {
                return match ping::ping_group(name, &statement.words()) {
                    Ok(node) => self.ping_node(line, node),
                    Err(message) => self.diagnostics.push(line.error(message)),
                }
            }
            Directive::Compression => {
                let value = compression::method(name, &values);
                self.compression.method.record(name, line, value)
            }
            Directive::CompressionThreshold => {
                let value = compression::threshold(name, &values);
                self.compression.threshold.record(name, line, value)
            }
            Directive::TraditionalCompression => {
                let value = values::on_off(name, &values);
                self.compression.traditional.record(name, line, value)
            }
            Directive::Watchdog => {
                let value = values::path(name, &values);
                self.watchdog.record(name, line, value)
            }
            Directive::Respawn => {
                let value = clients::respawn(name, &statement.words(), line.location());
                // heartbeat's ipfail is not run: it turns on the built-in one.
                if value.as_ref().is_ok_and(Respawn::is_ipfail) && self.ipfail.line().is_none() {
                    let _ = self.ipfail.record("ipfail's respawn", line, Ok(()));
                }
                return self.respawn(line, value);
            }
            Directive::Apiauth => {
                let value = clients::apiauth(name, &statement.words(), line.location());
                return self.apiauth(line, name, value);
            }
            Directive::Stonith => {
                let value = fencing::stonith(name, &statement.words());
                return self.fence_device(line, value);
            }
            Directive::StonithHost => {
                let value = fencing::stonith_host(name, &statement.words());
                return self.fence_device(line, value);
            }
            Directive::PingWeight => {
                return match ping::ping_weight(name, &statement.words()) {
                    Ok((node, weight)) => self.ping_weights.push((node, weight, line)),
                    Err(message) => self.diagnostics.push(line.error(message)),
                }
            }
            Directive::StonithCommand => {
                let value = fencing::stonith_command(name, &statement.words());
                return self.fence_device(line, value);
            }
            Directive::Udpport => return self.udpport(line, name, &values),
            Directive::Node => return self.node(line, name, &values),
            Directive::Serial => return self.serial(line, name, &values),
            Directive::Baud => return self.baud(line, name, &values),
            Directive::Bcast => return self.bcast(line, name, &values),
            Directive::Ucast => return self.ucast(line, name, &statement.words()),
            Directive::Mcast => return self.mcast(line, name, &statement.words()),
            Directive::Ucast6 => return self.ucast6(line, name, &statement.words()),
            Directive::Mcast6 => return self.mcast6(line, name, &statement.words()),
        };
        if let Err(error) = result {
            self.diagnostics.push(error);
        }
    }

    /// The port bcast and ucast lines use from here on.
    fn udp_port(&self) -> u16 {
        self.udpport.value().copied().unwrap_or(DEFAULT_UDPPORT)
    }

    /// `udpport PORT`, which must precede the media it applies to.
    fn udpport(&mut self, line: Line<'s>, name: &str, values: &[&str]) {
        if let Some((first, kind)) = self.first_udp_medium {
            self.diagnostics.push(line.error(format!(
                "{name} must come before the bcast and ucast lines: the {kind} at line {} \
                 already uses port {}",
                first.number,
                self.udp_port()
            )));
        }
        let value = values::one(name, values, "a port number from 1 to 65535")
            .and_then(|text| values::port(name, text));
        let result = self.udpport.record(name, line, value);
        self.diagnostics.take(result);
    }

    /// The rate serial lines use from here on.
    fn baud_rate(&self) -> u32 {
        self.baud.value().copied().unwrap_or(baud::DEFAULT_BAUD)
    }

    /// `baud RATE`, which must precede the serial lines: heartbeat sets its
    /// serial lines up when it reads the first one, so a later `baud` leaves
    /// them at 19200 while a node of ours would follow it.
    fn baud(&mut self, line: Line<'s>, name: &str, values: &[&str]) {
        if let Some(first) = self.first_serial {
            self.diagnostics.push(line.error(format!(
                "{name} must come before the serial lines: the serial line at line {} \
                 already runs at {} (heartbeat ignores a later {name})",
                first.number,
                self.baud_rate()
            )));
        }
        let value = values::one(name, values, "a baud rate such as 19200")
            .and_then(|text| media::baud_rate(name, text));
        let result = self.baud.record(name, line, value);
        self.diagnostics.take(result);
    }

    /// `serial DEVICE...`.
    fn serial(&mut self, line: Line<'s>, name: &'s str, values: &[&str]) {
        self.media_written = true;
        if self.first_serial.is_none() {
            self.first_serial = Some(line);
        }
        for medium in media::serial(name, values, self.baud_rate()) {
            self.add_medium(line, name, medium);
        }
    }

    /// `bcast IFACE...` (or `udp IFACE...`).
    fn bcast(&mut self, line: Line<'s>, name: &'s str, values: &[&str]) {
        self.media_written = true;
        for medium in media::bcast(name, values, self.udp_port()) {
            self.add_medium(line, name, medium);
        }
    }

    /// `ucast IFACE PEER`.
    fn ucast(&mut self, line: Line<'s>, name: &'s str, words: &[&str]) {
        self.media_written = true;
        let medium = media::ucast(name, words, self.udp_port());
        self.add_medium(line, name, medium);
    }

    /// `mcast IFACE GROUP PORT TTL LOOP`.
    fn mcast(&mut self, line: Line<'s>, name: &'s str, words: &[&str]) {
        self.media_written = true;
        self.add_medium(line, name, media::mcast(name, words));
    }

    /// `ucast6 IFACE PEER`.
    fn ucast6(&mut self, line: Line<'s>, name: &'s str, words: &[&str]) {
        self.media_written = true;
        let medium = media::ucast6(name, words, self.udp_port());
        self.add_medium(line, name, medium);
    }

    /// `mcast6 IFACE GROUP PORT HOPS LOOP`.
    fn mcast6(&mut self, line: Line<'s>, name: &'s str, words: &[&str]) {
        self.media_written = true;
        self.add_medium(line, name, media::mcast6(name, words));
    }

    /// Keeps one parsed medium, refusing duplicates and too many.
    fn add_medium(&mut self, line: Line<'s>, name: &'s str, medium: Result<MediumSpec, String>) {
        let medium = match medium {
            Ok(medium) => medium,
            Err(message) => return self.diagnostics.push(line.error(message)),
        };
        if let Some((_, first, _)) = self.media.iter().find(|(m, _, _)| *m == medium) {
            let message = format!(
                "'{}' is already configured at line {}",
                medium, first.number
            );
            return self.diagnostics.push(line.error(message));
        }
        if self.media.len() >= MAX_MEDIA {
            let message = format!("too many media: heartbeat allows at most {MAX_MEDIA}");
            return self.diagnostics.push(line.error(message));
        }
        let uses_udpport = medium.interface().is_some()
            && !matches!(
                medium,
                MediumSpec::Multicast { .. } | MediumSpec::Multicast6 { .. }
            );
        if uses_udpport && self.first_udp_medium.is_none() {
            self.first_udp_medium = Some((line, name));
        }
        self.media.push((medium, line, name));
    }

    /// Keeps one ping node, refusing a name already used and too many.
    fn ping_node(&mut self, line: Line<'s>, node: PingNode) {
        if let Some((_, first)) = self.ping_nodes.iter().find(|(n, _)| n.name == node.name) {
            let message = format!(
                "ping node '{}' is already listed at line {}",
                node.name, first.number
            );
            return self.diagnostics.push(line.error(message));
        }
        if self.ping_nodes.len() + self.nodes.len() >= MAX_NODES {
            let message = format!(
                "too many nodes: heartbeat allows at most {MAX_NODES}, ping nodes included"
            );
            return self.diagnostics.push(line.error(message));
        }
        self.ping_nodes.push((node, line));
    }

    /// deadping, by default the deadtime; more than twice the keepalive
    /// (heartbeat's rule), checked when the timers themselves are good.
    fn deadping(
        &self,
        keepalive: Duration,
        deadtime: Duration,
        late: &mut Vec<ha_conf::ConfigError>,
    ) -> Duration {
        let Some(deadping) = self.deadping.value().copied() else {
            return deadtime;
        };
        if let Some(line) = self.deadping.line() {
            if deadping <= keepalive * 2 && !self.timers.keepalive.is_invalid() {
                late.push(line.error(format!(
                    "deadping ({}) must be more than twice keepalive ({})",
                    describe_time(deadping),
                    describe_time(keepalive)
                )));
            }
        }
        deadping
    }

    /// Gives each ping node its `ping_weight`: a weight for a ping node no
    /// line declares, or a second weight for one, is an error at its line;
    /// and the rule the weights turn on needs auto_failback on or off, as
    /// ipfail does.
    fn weigh_ping_nodes(&mut self, late: &mut Vec<ha_conf::ConfigError>) {
        let mut weighed: Vec<(&str, u32)> = Vec::new();
        for (node, weight, line) in &self.ping_weights {
            if let Some((_, first)) = weighed.iter().find(|(n, _)| n == node) {
                late.push(line.error(format!(
                    "ping_weight: ping node '{node}' is already weighed at line {first}"
                )));
                continue;
            }
            match self.ping_nodes.iter_mut().find(|(n, _)| n.name == *node) {
                Some((ping_node, _)) => ping_node.weight = *weight,
                None => late.push(line.error(format!(
                    "ping_weight: no ping node is named '{node}' (ping, ping6 and ping_group \
                     lines name them: an address as written, or the group's name)"
                ))),
            }
            weighed.push((node, line.number));
        }
        if let Some((_, _, line)) = self.ping_weights.first() {
            if self.ipfail.line().is_none()
                && !self.auto_failback.is_invalid()
                && self
                    .auto_failback
                    .value()
                    .is_none_or(|a| *a == AutoFailback::Legacy)
            {
                late.push(line.error(
                    "ping_weight needs auto_failback on or off, as ipfail does: with legacy \
                     (the default) groups would not come back once the counts balance",
                ));
            }
        }
    }

    /// Complaints about ipfail and the ping nodes as a whole: heartbeat's
    /// ipfail exits at start with auto_failback legacy (its default), and a
    /// ping node may not bear a cluster node's name.
    fn check_ping(&self, late: &mut Vec<ha_conf::ConfigError>, warnings: &mut Vec<ConfigWarning>) {
        if let Some(line) = self.ipfail.line() {
            if !self.auto_failback.is_invalid()
                && self
                    .auto_failback
                    .value()
                    .is_none_or(|a| *a == AutoFailback::Legacy)
            {
                late.push(line.error(
                    "ipfail needs auto_failback on or off: with legacy (the default) \
                     heartbeat's ipfail exits at start",
                ));
            }
            if self.ping_nodes.is_empty() {
                warnings.push(line.warning(
                    "ipfail without ping nodes does nothing: add a ping or ping_group line",
                ));
            }
        }
        for (node, line) in &self.ping_nodes {
            if let Some((_, at)) = self
                .nodes
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(&node.name))
            {
                late.push(line.error(format!(
                    "ping node '{}' has the name of the cluster node at line {}",
                    node.name, at.number
                )));
            }
        }
    }

    /// `node NAME...`.
    fn node(&mut self, line: Line<'s>, name: &str, values: &[&str]) {
        self.nodes_written = true;
        if values.is_empty() {
            let message = format!("{name}: expected one or more node names, found nothing");
            return self.diagnostics.push(line.error(message));
        }
        for value in values {
            let result = values::node_name(name, value).and_then(|node| self.new_node(node));
            match result {
                Ok(node) => self.nodes.push((node, line)),
                Err(message) => self.diagnostics.push(line.error(message)),
            }
        }
    }

    /// A node name not listed before, within heartbeat's limit.
    fn new_node(&self, node: String) -> Result<String, String> {
        if let Some((_, first)) = self.nodes.iter().find(|(n, _)| *n == node) {
            return Err(format!(
                "node '{node}' is already listed at line {}",
                first.number
            ));
        }
        if self.nodes.len() >= MAX_NODES {
            return Err(format!(
                "too many nodes: heartbeat allows at most {MAX_NODES}"
            ));
        }
        Ok(node)
    }

    /// Keeps one `respawn` line (heartbeat allows the same program twice).
    fn respawn(&mut self, line: Line<'s>, respawn: Result<Respawn, String>) {
        match respawn {
            Ok(respawn) => self.respawns.push(respawn),
            Err(message) => self.diagnostics.push(line.error(message)),
        }
    }

    /// Keeps one fencing line (the last that applies to a node wins).
    fn fence_device(&mut self, line: Line<'s>, method: Result<fencing::FenceMethod, String>) {
        match method {
            Ok(method) => self.fencing.push(FenceDevice {
                method,
                location: line.location(),
            }),
            Err(message) => self.diagnostics.push(line.error(message)),
        }
    }

    /// Keeps one `apiauth` line, refusing a second one for the same client
    /// as heartbeat does.
    fn apiauth(&mut self, line: Line<'s>, name: &str, auth: Result<ApiAuth, String>) {
        let auth = match auth {
            Ok(auth) => auth,
            Err(message) => return self.diagnostics.push(line.error(message)),
        };
        if let Some(first) = self.apiauth.iter().find(|a| a.client == auth.client) {
            let message = format!(
                "{name} {}: this client's permissions are already set at line {}",
                auth.client, first.location.line
            );
            return self.diagnostics.push(line.error(message));
        }
        self.apiauth.push(auth);
    }

    /// The configuration and its warnings, or every complaint in file
    /// order. `interface_exists` says whether this host has an interface of
    /// a given name; each medium on an interface it lacks is a warning.
    pub fn finish(
        mut self,
        interface_exists: &dyn Fn(&str) -> bool,
    ) -> Result<(HaConfig, Vec<ConfigWarning>), ConfigErrors> {
        let mut late = Vec::new();
        let mut warnings = Vec::new();
        let timers = self.timers.resolve(self.source, &mut late, &mut warnings);
        if !self.media_written {
            late.push(
                self.source
                    .error("no heartbeat media: add a bcast, ucast, mcast or serial line"),
            );
        }
        if !self.nodes_written {
            late.push(self.source.error(
                "no node lines: list every cluster node, this one included, \
                 with 'node NAME' (the name `uname -n` prints)",
            ));
        }
        let deadping = self.deadping(timers.keepalive, timers.deadtime, &mut late);
        self.check_ping(&mut late, &mut warnings);
        self.weigh_ping_nodes(&mut late);
        for error in late {
            self.diagnostics.push(error);
        }
        warnings.extend(self.media.iter().filter_map(|(medium, line, name)| {
            let interface = medium.interface()?;
            (!interface_exists(interface)).then(|| {
                line.warning(format!(
                    "{name}: interface '{interface}' does not exist on this host"
                ))
            })
        }));
        let compression = self.compression.resolve(&mut warnings);
        warnings.append(&mut self.notes);
        warnings.sort_by_key(|w| w.location.line);
        let config = HaConfig {
            keepalive: timers.keepalive,
            warntime: timers.warntime,
            deadtime: timers.deadtime,
            initdead: timers.initdead,
            udpport: self.udp_port(),
            baud: self.baud_rate(),
            media: self
                .media
                .into_iter()
                .map(|(medium, _, _)| medium)
                .collect(),
            nodes: self.nodes.into_iter().map(|(node, _)| node).collect(),
            auto_failback: *self.auto_failback.value().unwrap_or(&AutoFailback::Legacy),
            logfile: self.logfile.value().cloned(),
            debugfile: self.debugfile.value().cloned(),
            logfacility: self.logfacility.value().cloned(),
            realtime: self.realtime.value().copied().unwrap_or(true),
            rtprio: self.rtprio.value().copied().unwrap_or(DEFAULT_RTPRIO),
            ping_nodes: self.ping_nodes.into_iter().map(|(node, _)| node).collect(),
            deadping,
            ipfail: self.ipfail.value().is_some() || !self.ping_weights.is_empty(),
            watchdog: self.watchdog.value().cloned(),
            respawns: self.respawns,
            apiauth: self.apiauth,
            fencing: self.fencing,
            compression,
        };
        self.diagnostics.finish((config, warnings))
    }
}
