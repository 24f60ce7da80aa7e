//! The control socket: `ha-node status` asks a running node what it sees.
//!
//! A client connects to the node's Unix socket, writes one request line
//! and reads one JSON document back: `status` answers a [`StatusReport`]
//! (documented in the README); `standby WHICH` and `takeover WHICH` (WHICH
//! one of `all`, `foreign`, `local`, `failback`) answer a
//! [`HandoverReport`] or `{"error": "..."}` when refused; `cleanup
//! RESOURCE` clears a resource's fail count and tells the machine its
//! group may run here again, answering a [`CleanupReport`]. The socket
//! itself is ha-daemon's.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

use ha_daemon::control::{self, error_reply, unknown_request, ControlError, Naming, Report};
use ha_membership::driver::{
    DriverHandle, GapPercentiles, HandoverCommand, History, HistoryEntry, HistoryEvent,
    LinkHistory, PeerHistory, Snapshot,
};
use ha_membership::machine::{Handover, Which};
use ha_resources::group::ResourceStatus;
use std::sync::Arc;

use crate::groups::Groups;
use serde::{Deserialize, Serialize};
use tokio::net::UnixListener;

/// How the node is spoken of in the socket's messages.
const NAMING: Naming = Naming {
    running: "another node is running on this socket",
    unreachable: "cannot reach a running node at",
};

/// `ha-node status --json`: the node's view of the cluster.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatusReport {
    /// The node answering.
    pub node: String,
    /// Every node, the answering one first.
    pub nodes: Vec<NodeReport>,
    /// Every node's name in ha.cf order.
    #[serde(default)]
    pub node_order: Vec<String>,
    /// The media.
    pub media: Vec<MediumReport>,
    /// The resource groups.
    pub groups: Vec<GroupReport>,
    /// The ping nodes, in ha.cf order (empty without any).
    #[serde(default)]
    pub ping_nodes: Vec<PingNodeReport>,
    /// The fences pending: dead nodes whose resource groups wait for a
    /// reset (empty when none).
    #[serde(default)]
    pub fences: Vec<FenceReport>,
    /// What the node has seen since it started (empty from a node that
    /// does not keep it).
    #[serde(default)]
    pub history: HistoryReport,
}

/// Counts, silences and the last events, in a [`StatusReport`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct HistoryReport {
    /// Milliseconds since the node started.
    pub uptime_ms: u64,
    /// The configured deadtime.
    pub deadtime_ms: u64,
    /// The configured warntime.
    pub warntime_ms: u64,
    /// Groups this node was asked to start, by cause: `initial`,
    /// `peer-dead`, `peer-shutdown`, `failback`, `peer-failed`, `restart`, `standby`.
    pub takeovers: BTreeMap<String, u64>,
    /// Groups this node was asked to stop, by reason: `conflict`,
    /// `failback`, `shutdown`, `standby`.
    pub releases: BTreeMap<String, u64>,
    /// Groups seen held by two nodes or more at once.
    pub conflicts: u64,
    /// Actions on groups that failed here.
    pub group_failures: u64,
    /// Times this node itself was stalled (its loop ran late).
    #[serde(default)]
    pub stalls: u64,
    /// The longest of those stalls.
    #[serde(default)]
    pub longest_stall_ms: u64,
    /// Every peer.
    pub peers: Vec<PeerReport>,
    /// The last events, oldest first.
    pub events: Vec<EventReport>,
}

/// One peer's heartbeats and the margin deadtime has over its silences.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PeerReport {
    /// The peer.
    pub node: String,
    /// Messages received from it (once each, whatever the media).
    pub received: u64,
    /// Late heartbeats reported (silent past warntime).
    pub late: u64,
    /// The longest silence on all media at once (what deadtime sees), the
    /// one going on included.
    pub longest_silence_ms: u64,
    /// Deadtime minus the longest silence: negative when the peer was
    /// silent past deadtime (declared dead).
    pub margin_ms: i64,
    /// Deadtime divided by the longest silence; null before a silence.
    pub deadtime_ratio: Option<f64>,
    /// The peer on each medium.
    pub links: Vec<LinkReport>,
}

/// One peer on one medium.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinkReport {
    /// The medium, as ha.cf names it.
    pub medium: String,
    /// Messages received from the peer on it.
    pub received: u64,
    /// Gaps longer than warntime.
    pub late: u64,
    /// The longest gap, or the silence going on if longer.
    pub longest_silence_ms: u64,
    /// Milliseconds since the peer's last message on this medium; null
    /// before the first, or after its goodbye.
    #[serde(default)]
    pub silent_ms: Option<u64>,
    /// Inter-arrival percentiles over the last gaps; null before two messages.
    pub gaps: Option<GapsReport>,
}

/// Inter-arrival percentiles, in milliseconds (microsecond precision).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GapsReport {
    /// How many gaps (the last 10,000 at most).
    pub count: usize,
    /// Median.
    pub p50_ms: f64,
    /// 90th percentile.
    pub p90_ms: f64,
    /// 99th percentile.
    pub p99_ms: f64,
    /// 99.9th percentile.
    pub p99_9_ms: f64,
    /// Longest.
    pub max_ms: f64,
}

/// One event of the ring.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventReport {
    /// Milliseconds since the node started (monotonic).
    pub at_ms: u64,
    /// Wall-clock time, milliseconds since the Unix epoch (display only).
    pub unix_ms: u64,
    /// `node`, `takeover`, `release`, `conflict` or `group-failed`.
    pub kind: String,
    /// The node, for a `node` event.
    pub node: Option<String>,
    /// The group, for the others.
    pub group: Option<String>,
    /// A takeover's cause or a release's reason.
    pub cause: Option<String>,
    /// The event in words.
    pub text: String,
}

/// One node in a [`StatusReport`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeReport {
    /// Node name.
    pub name: String,
    /// `init`, `up`, `active` or `dead`.
    pub state: String,
    /// Whether this is the answering node.
    pub local: bool,
    /// Milliseconds since it was last heard; null for the answering node or
    /// a node never heard.
    pub last_heard_ms_ago: Option<u64>,
    /// Its generation (bumped at each start).
    pub generation: u64,
    /// How many ping nodes it sees up (as it says; the answering node as it
    /// counts); null when unknown (no ping nodes, not all judged yet, or
    /// not said).
    #[serde(default)]
    pub ping_nodes_up: Option<u32>,
}

/// One ping node in a [`StatusReport`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PingNodeReport {
    /// Its address, or its ping_group's name.
    pub name: String,
    /// `init` (not judged yet), `up` or `dead`.
    pub state: String,
    /// Milliseconds since it last answered; null if it never did.
    pub last_answer_ms_ago: Option<u64>,
}

/// One medium in a [`StatusReport`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MediumReport {
    /// As ha.cf names it, e.g. `bcast eth0:694`.
    pub name: String,
    /// `up`, or `down: REASON`.
    pub link: String,
}

/// One pending fence in a [`StatusReport`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FenceReport {
    /// The dead node to reset.
    pub node: String,
    /// Attempts made so far.
    pub attempts: u32,
    /// Whether an attempt is running now.
    pub running: bool,
    /// When the next attempt starts, after a failure; null while one runs.
    pub retry_in_ms: Option<u64>,
    /// Since the node was declared dead.
    pub pending_ms: u64,
}

/// One resource group in a [`StatusReport`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupReport {
    /// The group (its haresources resources).
    pub id: String,
    /// Its preferred node.
    pub preferred: String,
    /// The node holding it, as the answering node sees it; null if none.
    pub owner: Option<String>,
    /// On the answering node: `stopped`, `starting`, `running`, `stopping`,
    /// `failed` or `stop-failed`.
    pub local_state: String,
    /// Its resources on the answering node, in start order.
    #[serde(default)]
    pub resources: Vec<ResourceReport>,
}

/// One resource of a group, on the answering node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceReport {
    /// As haresources writes it.
    pub resource: String,
    /// How it runs, e.g. `heartbeat resource.d script /etc/ha.d/resource.d/svc`.
    pub how: String,
    /// `stopped`, `starting`, `running`, `stopping` or `failed`.
    pub state: String,
    /// Its last action: `start`, `stop`, `monitor`, `announce`; null before one.
    pub last_action: Option<String>,
    /// `ok`, or why the last action failed; null before one.
    pub last_result: Option<String>,
    /// How long the last action took; null before one.
    pub last_duration_ms: Option<u64>,
    /// Monitor failures that still count (within the failure-timeout).
    pub fail_count: u32,
    /// Its monitor interval; null when it is not monitored.
    pub monitor_interval_ms: Option<u64>,
    /// What the last probe found (`running`, `stopped`, `failed: …`), or
    /// `probe failed: …` when it failed or timed out; null before one.
    #[serde(default)]
    pub probed: Option<String>,
    /// Its agent's last output lines, oldest first.
    pub output: Vec<String>,
}

impl From<ResourceStatus> for ResourceReport {
    fn from(status: ResourceStatus) -> Self {
        let (last_action, last_result, last_duration_ms) = match status.last {
            Some(last) => (
                Some(last.action.to_string()),
                Some(match last.result {
                    Ok(()) => "ok".to_string(),
                    Err(error) => error,
                }),
                Some(ms(last.duration)),
            ),
            None => (None, None, None),
        };
        ResourceReport {
            resource: status.resource,
            how: status.how,
            state: status.state.as_str().to_string(),
            last_action,
            last_result,
            last_duration_ms,
            fail_count: status.fail_count,
            monitor_interval_ms: status.monitor_interval.map(ms),
            probed: status.probed.map(|found| match found {
                Ok(health) => health.to_string(),
                Err(error) => format!("probe failed: {error}"),
            }),
            output: status.output,
        }
    }
}

/// `ha-node resource cleanup`'s answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CleanupReport {
    /// The resource whose fail count was cleared.
    pub resource: String,
    /// Its group, which may run on the answering node again.
    pub group: String,
}

/// A cleanup's reply: done, or refused with the node's reason.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum CleanupReply {
    Done(CleanupReport),
    Refused { error: String },
}

impl From<Snapshot> for StatusReport {
    fn from(snapshot: Snapshot) -> Self {
        StatusReport {
            node: snapshot.local,
            node_order: snapshot.node_order,
            nodes: snapshot
                .nodes
                .into_iter()
                .map(|n| NodeReport {
                    name: n.name,
                    state: n.state.to_string(),
                    local: n.local,
                    last_heard_ms_ago: n
                        .silent_for
                        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
                    generation: n.generation,
                    ping_nodes_up: n.ping_nodes,
                })
                .collect(),
            media: snapshot
                .media
                .into_iter()
                .map(|m| MediumReport {
                    name: m.name,
                    link: m.link,
                })
                .collect(),
            groups: snapshot
                .groups
                .into_iter()
                .map(|g| GroupReport {
                    id: g.id,
                    preferred: g.preferred,
                    owner: g.owner,
                    local_state: g.local_state.as_str().to_string(),
                    resources: Vec::new(),
                })
                .collect(),
            ping_nodes: snapshot
                .ping_nodes
                .into_iter()
                .map(|p| PingNodeReport {
                    name: p.name,
                    state: p.state.to_string(),
                    last_answer_ms_ago: p.silent_for.map(ms),
                })
                .collect(),
            fences: snapshot
                .fences
                .into_iter()
                .map(|f| FenceReport {
                    node: f.node,
                    attempts: f.attempts,
                    running: f.running,
                    retry_in_ms: f.retry_in.map(ms),
                    pending_ms: ms(f.pending_for),
                })
                .collect(),
            history: HistoryReport::from(snapshot.history),
        }
    }
}

fn ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// Milliseconds with microseconds as decimals.
fn ms_f64(d: Duration) -> f64 {
    d.as_micros() as f64 / 1000.0
}

impl From<History> for HistoryReport {
    fn from(history: History) -> Self {
        let deadtime = history.deadtime;
        HistoryReport {
            uptime_ms: ms(history.uptime),
            deadtime_ms: ms(deadtime),
            warntime_ms: ms(history.warntime),
            takeovers: history
                .takeovers
                .iter()
                .map(|(cause, n)| (cause.as_str().to_string(), *n))
                .collect(),
            releases: history
                .releases
                .iter()
                .map(|(reason, n)| (reason.as_str().to_string(), *n))
                .collect(),
            conflicts: history.conflicts,
            group_failures: history.group_failures,
            stalls: history.stalls,
            longest_stall_ms: ms(history.longest_stall),
            peers: history
                .peers
                .into_iter()
                .map(|p| PeerReport::new(p, deadtime))
                .collect(),
            events: history.events.into_iter().map(EventReport::from).collect(),
        }
    }
}

impl PeerReport {
    fn new(peer: PeerHistory, deadtime: Duration) -> Self {
        let longest = ms(peer.longest_silence);
        let margin_ms = i64::try_from(ms(deadtime))
            .unwrap_or(i64::MAX)
            .saturating_sub(i64::try_from(longest).unwrap_or(i64::MAX));
        let deadtime_ratio = (!peer.longest_silence.is_zero())
            .then(|| deadtime.as_secs_f64() / peer.longest_silence.as_secs_f64());
        PeerReport {
            node: peer.node,
            received: peer.received,
            late: peer.late,
            longest_silence_ms: longest,
            margin_ms,
            deadtime_ratio,
            links: peer.links.into_iter().map(LinkReport::from).collect(),
        }
    }
}

impl From<LinkHistory> for LinkReport {
    fn from(link: LinkHistory) -> Self {
        LinkReport {
            medium: link.medium,
            received: link.received,
            late: link.late,
            longest_silence_ms: ms(link.longest_silence),
            silent_ms: link.silent_for.map(ms),
            gaps: link.gaps.map(GapsReport::from),
        }
    }
}

impl From<GapPercentiles> for GapsReport {
    fn from(g: GapPercentiles) -> Self {
        GapsReport {
            count: g.count,
            p50_ms: ms_f64(g.p50),
            p90_ms: ms_f64(g.p90),
            p99_ms: ms_f64(g.p99),
            p99_9_ms: ms_f64(g.p999),
            max_ms: ms_f64(g.max),
        }
    }
}

impl From<HistoryEvent> for EventReport {
    fn from(event: HistoryEvent) -> Self {
        let text = event.what.to_string();
        let kind = event.what.kind().to_string();
        let (node, group, cause) = match event.what {
            HistoryEntry::NodeState { node, .. } => (Some(node), None, None),
            HistoryEntry::Takeover { group, cause } => {
                (None, Some(group), Some(cause.as_str().to_string()))
            }
            HistoryEntry::Release { group, reason } => {
                (None, Some(group), Some(reason.as_str().to_string()))
            }
            HistoryEntry::Conflict { group, .. } | HistoryEntry::GroupFailed { group, .. } => {
                (None, Some(group), None)
            }
            HistoryEntry::Stalled { .. } => (None, None, None),
            HistoryEntry::Fence { node, .. } => (Some(node), None, None),
        };
        EventReport {
            at_ms: ms(event.since_start),
            unix_ms: event.unix_ms,
            kind,
            node,
            group,
            cause,
            text,
        }
    }
}

/// Counts by cause as `2 (peer-dead 1, failback 1)`, or `0`.
fn by_cause(counts: &BTreeMap<String, u64>) -> String {
    let total: u64 = counts.values().sum();
    let parts: Vec<String> = counts
        .iter()
        .filter(|(_, n)| **n > 0)
        .map(|(cause, n)| format!("{cause} {n}"))
        .collect();
    if parts.is_empty() {
        total.to_string()
    } else {
        format!("{total} ({})", parts.join(", "))
    }
}

impl HistoryReport {
    /// The margin line of one peer.
    fn margin_line(&self, peer: &PeerReport) -> String {
        let head = format!(
            "deadtime {} ms, longest silence {} ms",
            self.deadtime_ms, peer.longest_silence_ms
        );
        match peer.deadtime_ratio {
            None => format!("deadtime {} ms, no silence measured yet", self.deadtime_ms),
            Some(_) if peer.margin_ms < 0 => format!(
                "{head}: past deadtime by {} ms (declared dead)",
                peer.margin_ms.unsigned_abs()
            ),
            Some(ratio) => format!(
                "{head}: margin {} ms (deadtime is {ratio:.1} × the longest silence)",
                peer.margin_ms
            ),
        }
    }

    /// The history part of `ha-node status`.
    fn to_text(&self) -> String {
        let mut text = format!(
            "
since start ({}):
  takeovers {}; releases {}; conflicts {}; group failures {}
  own stalls {}{}
",
            seconds(self.uptime_ms),
            by_cause(&self.takeovers),
            by_cause(&self.releases),
            self.conflicts,
            self.group_failures,
            self.stalls,
            if self.stalls > 0 {
                format!(" (longest {} ms)", self.longest_stall_ms)
            } else {
                String::new()
            }
        );
        if !self.peers.is_empty() {
            text += "
deadtime margin (silence on all media at once):
";
            for p in &self.peers {
                let _ = writeln!(text, "  {:<16} {}", p.node, self.margin_line(p));
            }
            let _ = writeln!(
                text,
                "
heartbeats (late: a gap over warntime, {} ms):",
                self.warntime_ms
            );
            for p in &self.peers {
                let _ = writeln!(
                    text,
                    "  {:<16} received {}, late {}",
                    p.node, p.received, p.late
                );
                for l in &p.links {
                    let _ = writeln!(
                        text,
                        "    {:<30} received {}, late {}, longest silence {} ms",
                        l.medium, l.received, l.late, l.longest_silence_ms
                    );
                    if let Some(g) = &l.gaps {
                        let _ = writeln!(
                            text,
                            "    {:<30} gaps ms: p50 {:.1}  p90 {:.1}  p99 {:.1}  p99.9 {:.1}  max {:.1}  ({} gaps)",
                            "", g.p50_ms, g.p90_ms, g.p99_ms, g.p99_9_ms, g.max_ms, g.count
                        );
                    }
                }
            }
        }
        if !self.events.is_empty() {
            text += "
last events:
";
            for e in &self.events {
                let _ = writeln!(
                    text,
                    "  {}  {:>10}  {}",
                    utc(e.unix_ms),
                    format!("+{}", seconds(e.at_ms)),
                    e.text
                );
            }
        }
        text
    }
}

/// Milliseconds as seconds: `12.345 s`.
fn seconds(ms: u64) -> String {
    format!("{}.{:03} s", ms / 1000, ms % 1000)
}

/// Milliseconds since the epoch as `YYYY-MM-DD HH:MM:SS.mmm UTC`.
pub(crate) fn utc(unix_ms: u64) -> String {
    let secs = unix_ms / 1000;
    let (days, rest) = (secs / 86_400, secs % 86_400);
    let (year, month, day) = ha_daemon::logging::civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}.{:03} UTC",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60,
        unix_ms % 1000
    )
}

impl Report for StatusReport {
    /// The detail of `ha-node status` (which the summary opens).
    fn to_text(&self) -> String {
        let mut text = format!("node {}\n\nnodes:\n", self.node);
        for n in &self.nodes {
            let heard = match (n.local, n.last_heard_ms_ago) {
                (true, _) => "this node".to_string(),
                (false, Some(ms)) => format!("last heard {ms} ms ago"),
                (false, None) => "never heard".to_string(),
            };
            let pings = n
                .ping_nodes_up
                .map_or_else(String::new, |c| format!(", sees {c} ping nodes up"));
            text += &format!("  {:<16} {:<7} {heard}{pings}\n", n.name, n.state);
        }
        if !self.ping_nodes.is_empty() {
            text += "\nping nodes:\n";
            for p in &self.ping_nodes {
                let answer = p.last_answer_ms_ago.map_or_else(
                    || "never answered".to_string(),
                    |ms| format!("last answer {ms} ms ago"),
                );
                text += &format!("  {:<32} {:<5} {answer}\n", p.name, p.state);
            }
        }
        text += "\nmedia:\n";
        for m in &self.media {
            text += &format!("  {:<32} {}\n", m.name, m.link);
        }
        if !self.fences.is_empty() {
            text += "\nfences pending (resource groups wait for them):\n";
            for f in &self.fences {
                let now = match (f.running, f.retry_in_ms) {
                    (true, _) => "attempt running".to_string(),
                    (false, Some(ms)) => format!("next attempt in {ms} ms"),
                    (false, None) => "waiting".to_string(),
                };
                text += &format!(
                    "  {:<16} {} attempt(s), {now}, pending {} ms\n",
                    f.node, f.attempts, f.pending_ms
                );
            }
        }
        text += "\nresource groups:\n";
        for g in &self.groups {
            let owner = g.owner.as_deref().unwrap_or("(none)");
            text += &format!(
                "  {}\n    owner {owner}, preferred {}, here {}\n",
                g.id, g.preferred, g.local_state
            );
            for r in &g.resources {
                text += &resource_text(r);
            }
        }
        text += &self.history.to_text();
        text
    }
}

/// A resource's lines under its group in `ha-node status`.
fn resource_text(r: &ResourceReport) -> String {
    let monitor = r.monitor_interval_ms.map_or_else(
        || "not monitored".to_string(),
        |ms| format!("monitor every {ms} ms, fail count {}", r.fail_count),
    );
    let mut text = format!(
        "    {} {}: {monitor}\n      {}\n",
        r.resource, r.state, r.how
    );
    if let (Some(action), Some(result), Some(ms)) =
        (&r.last_action, &r.last_result, r.last_duration_ms)
    {
        text += &format!("      last {action}: {result} ({ms} ms)\n");
    }
    if let Some(found) = &r.probed {
        text += &format!("      probe found: {found}\n");
    }
    for line in &r.output {
        text += &format!("      | {line}\n");
    }
    text
}

/// Binds the control socket (replacing a stale one) with mode 0600.
pub fn listen(path: &Path) -> Result<UnixListener, ControlError> {
    control::listen(path, &NAMING)
}

/// Answers requests until the driver stops.
pub async fn serve(listener: UnixListener, driver: DriverHandle, groups: Arc<Groups>) {
    control::serve(listener, move |request| {
        answer(request, driver.clone(), groups.clone())
    })
    .await;
}

/// What a standby or takeover moves, as the node answers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HandoverReport {
    /// The set as the answering node sees it: `all`, `local` or `foreign`.
    pub set: String,
    /// The groups that change hands now.
    pub moving: Vec<String>,
    /// The active peers giving or taking them.
    pub peers: Vec<String>,
}

impl From<Handover> for HandoverReport {
    fn from(handover: Handover) -> Self {
        HandoverReport {
            set: handover.set.as_str().to_string(),
            moving: handover.moving,
            peers: handover.peers,
        }
    }
}

/// A hand-over's reply: done, or refused with the node's reason.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum HandoverReply {
    Done(HandoverReport),
    Refused { error: String },
}

/// The hand-over a request line asks for.
fn handover_request(request: &str) -> Option<Result<(HandoverCommand, Which), String>> {
    let mut words = request.split_whitespace();
    let command = match words.next()? {
        "standby" => HandoverCommand::Standby,
        "takeover" => HandoverCommand::Takeover,
        _ => return None,
    };
    let word = words.next().unwrap_or("all");
    Some(
        Which::parse(word)
            .map(|which| (command, which))
            .ok_or_else(|| format!("wrong resources({word}): all, foreign, local or failback")),
    )
}

async fn answer(request: String, driver: DriverHandle, groups: Arc<Groups>) -> String {
    if let Some(resource) = request.strip_prefix("cleanup ") {
        let resource = resource.trim();
        let group = match groups.cleanup(resource).await {
            Ok(group) => group,
            Err(error) => return error_reply(&error),
        };
        return match driver.cleanup(&group).await {
            Some(_) => serde_json::to_string(&CleanupReport {
                resource: resource.to_string(),
                group,
            })
            .unwrap_or_else(|e| error_reply(&e.to_string())),
            None => error_reply("the node is stopping"),
        };
    }
    if let Some(handover) = handover_request(&request) {
        let (command, which) = match handover {
            Ok(asked) => asked,
            Err(error) => return error_reply(&error),
        };
        return match driver.handover(command, which).await {
            Some(Ok(handover)) => serde_json::to_string(&HandoverReport::from(handover))
                .unwrap_or_else(|e| error_reply(&e.to_string())),
            Some(Err(refused)) => error_reply(&refused.to_string()),
            None => error_reply("the node is stopping"),
        };
    }
    match request.as_str() {
        "status" => match driver.status().await {
            Some(snapshot) => {
                let mut report = StatusReport::from(snapshot);
                for (id, resources) in groups.status() {
                    if let Some(group) = report.groups.iter_mut().find(|g| g.id == id) {
                        group.resources = resources.into_iter().map(Into::into).collect();
                    }
                }
                serde_json::to_string(&report).unwrap_or_else(|e| error_reply(&e.to_string()))
            }
            None => error_reply("the node is stopping"),
        },
        other => unknown_request(other),
    }
}

/// Asks the node at `path` for its status.
pub async fn request_status(path: &Path) -> Result<StatusReport, ControlError> {
    let reply = control::request(path, "status", &NAMING).await?;
    control::parse_reply(path, &reply)
}

/// Asks the node at `path` to clear the fail count of `resource`: its
/// group, or why the node refused.
pub async fn request_cleanup(
    path: &Path,
    resource: &str,
) -> Result<Result<CleanupReport, String>, ControlError> {
    let reply = control::request(path, &format!("cleanup {resource}"), &NAMING).await?;
    Ok(match control::parse_reply(path, &reply)? {
        CleanupReply::Done(report) => Ok(report),
        CleanupReply::Refused { error } => Err(error),
    })
}

/// Asks the node at `path` for a standby or takeover: what moves, or why
/// the node refused.
pub async fn request_handover(
    path: &Path,
    command: HandoverCommand,
    which: Which,
) -> Result<Result<HandoverReport, String>, ControlError> {
    let request = format!("{} {}", command.as_str(), which.as_str());
    let reply = control::request(path, &request, &NAMING).await?;
    Ok(match control::parse_reply(path, &reply)? {
        HandoverReply::Done(report) => Ok(report),
        HandoverReply::Refused { error } => Err(error),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pending_fences_are_listed_in_status_text_and_json() {
        let report = StatusReport {
            node: "node-b".into(),
            nodes: Vec::new(),
            node_order: Vec::new(),
            media: Vec::new(),
            groups: Vec::new(),
            ping_nodes: Vec::new(),
            fences: vec![
                FenceReport {
                    node: "node-a".into(),
                    attempts: 2,
                    running: false,
                    retry_in_ms: Some(3120),
                    pending_ms: 6890,
                },
                FenceReport {
                    node: "node-c".into(),
                    attempts: 1,
                    running: true,
                    retry_in_ms: None,
                    pending_ms: 40,
                },
            ],
            history: HistoryReport::default(),
        };
        let text = report.to_text();
        assert!(
            text.contains(
                "fences pending (resource groups wait for them):\n  \
                 node-a           2 attempt(s), next attempt in 3120 ms, pending 6890 ms\n  \
                 node-c           1 attempt(s), attempt running, pending 40 ms\n"
            ),
            "{text}"
        );
        let json = serde_json::to_string(&report).unwrap_or_default();
        assert!(json.contains(r#""retry_in_ms":3120"#), "{json}");
    }

    #[test]
    fn wall_clock_times_are_shown_in_utc() {
        assert_eq!(utc(0), "1970-01-01 00:00:00.000 UTC");
        assert_eq!(utc(951_827_696_789), "2000-02-29 12:34:56.789 UTC");
        assert_eq!(utc(1_735_689_599_999), "2024-12-31 23:59:59.999 UTC");
    }

    #[test]
    fn the_margin_line_says_how_far_deadtime_is() {
        let history = HistoryReport {
            deadtime_ms: 500,
            ..HistoryReport::default()
        };
        let mut peer = PeerReport {
            node: "node-b".into(),
            received: 10,
            late: 0,
            longest_silence_ms: 137,
            margin_ms: 363,
            deadtime_ratio: Some(500.0 / 137.0),
            links: Vec::new(),
        };
        assert_eq!(
            history.margin_line(&peer),
            "deadtime 500 ms, longest silence 137 ms: margin 363 ms \
             (deadtime is 3.6 × the longest silence)"
        );
        peer.longest_silence_ms = 900;
        peer.margin_ms = -400;
        assert_eq!(
            history.margin_line(&peer),
            "deadtime 500 ms, longest silence 900 ms: past deadtime by 400 ms (declared dead)"
        );
    }
}
