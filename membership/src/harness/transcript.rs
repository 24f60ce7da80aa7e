//! The record of a simulated cluster as text: one line per entry, in the
//! order things happened, with the time in milliseconds and the node.
//!
//! ```text
//!      0 a  * started, generation 1
//!      0 a  send status init gen=1 seq=1
//!      0 a  event node a: init -> up
//!    100 a  send status active gen=1 seq=5..14 held=web (10 sent, last at 1000)
//!   1000 b  ask #1 start web (initial)
//! ```
//!
//! Lines marked `*` are the harness's inputs (start, crash, shutdown asked,
//! a message injected); `send` is a message the node sent, `ask` an action
//! it asked for, `event` something it reported. Heartbeats that repeat the
//! node's previous one (same state, same groups, next sequence number, no
//! other line of that node in between) are folded into the line of the
//! first, which says how many were sent and when the last was. The full
//! description is in `membership/tests/conformance/README.md`; a change
//! here changes every expected file.

use std::fmt::Write as _;
use std::time::Duration;

use super::{Entry, What};
use crate::machine::{ActionKind, Event, RejectReason};
use crate::message::{Message, NodeState, Status};

/// A run of identical heartbeats of one node, shown as one line.
struct Fold {
    line: usize,
    key: (NodeState, Vec<String>, Vec<String>, u64),
    first_seq: u64,
    last_seq: u64,
    last_at: Duration,
    count: usize,
}

/// Renders a record; `names` are the node names by index.
pub(super) fn render(record: &[Entry], names: &[String]) -> String {
    let width = names.iter().map(String::len).max().unwrap_or(1);
    let mut lines: Vec<(Duration, usize, String)> = Vec::new();
    let mut folds: Vec<Option<Fold>> = names.iter().map(|_| None).collect();
    for entry in record {
        let Some(fold_slot) = folds.get_mut(entry.node) else {
            continue;
        };
        if let What::Sent(Message::Status(status)) = &entry.what {
            let key = (
                status.state,
                status.held.clone(),
                status.failed.clone(),
                status.header.generation,
            );
            if let Some(fold) = fold_slot
                .as_mut()
                .filter(|f| f.key == key && status.header.seq == f.last_seq + 1)
            {
                fold.last_seq = status.header.seq;
                fold.last_at = entry.at;
                fold.count += 1;
                lines[fold.line].2 = folded_status(status, fold);
                continue;
            }
            *fold_slot = Some(Fold {
                line: lines.len(),
                key,
                first_seq: status.header.seq,
                last_seq: status.header.seq,
                last_at: entry.at,
                count: 1,
            });
        } else {
            *fold_slot = None;
        }
        lines.push((entry.at, entry.node, describe(&entry.what)));
    }
    let mut out = String::new();
    for (at, node, text) in lines {
        let name = names.get(node).map(String::as_str).unwrap_or("?");
        let _ = writeln!(out, "{:>6} {name:<width$}  {text}", ms(at));
    }
    out
}

/// What one entry says, without its time and node.
fn describe(what: &What) -> String {
    match what {
        What::Started { generation } => format!("* started, generation {generation}"),
        What::Crashed => "* crashed".to_string(),
        What::ShutdownAsked => "* asked to shut down".to_string(),
        What::HandoverAsked(command) => format!("* asked: {command}"),
        What::Injected(message) => {
            format!(
                "* injected from {}: {}",
                message.header().from,
                message_text(message)
            )
        }
        What::Sent(message) => format!("send {}", message_text(message)),
        What::Asked { id, group, kind } => format!("ask {id} {}", action(*kind, group)),
        What::FenceAsked { id, node } => format!("ask {id} fence {node}"),
        What::Event(event) => format!("event {}", event_text(event)),
    }
}

fn message_text(message: &Message) -> String {
    let header = message.header();
    let ids = format!("gen={} seq={}", header.generation, header.seq);
    match message {
        Message::Status(status) => format!("status {} {ids}{}", status.state, groups(status)),
        Message::Shutdown(_) => format!("shutdown {ids}"),
        Message::GenerationHint { to, known, .. } => {
            format!("generation hint to {to}: known as {known} {ids}")
        }
        Message::AskResources {
            resources, info, ..
        } => format!("ask_resources {resources} info={info} {ids}"),
        Message::Takeover { resources, .. } => format!("hb_takeover {resources} {ids}"),
        Message::Starting(_) => format!("starting {ids}"),
        Message::Resources { held, stable, .. } => {
            format!("resource {held} isstable={stable:?} {ids}")
        }
        Message::Other { kind, .. } => format!("{kind} {ids}"),
    }
}

fn folded_status(status: &Status, fold: &Fold) -> String {
    format!(
        "send status {} gen={} seq={}..{}{} ({} sent, last at {})",
        status.state,
        status.header.generation,
        fold.first_seq,
        fold.last_seq,
        groups(status),
        fold.count,
        ms(fold.last_at)
    )
}

fn groups(status: &Status) -> String {
    let mut text = String::new();
    if !status.held.is_empty() {
        let _ = write!(text, " held={}", status.held.join(","));
    }
    if !status.failed.is_empty() {
        let _ = write!(text, " failed={}", status.failed.join(","));
    }
    if !status.standby.is_empty() {
        let _ = write!(text, " standby={}", status.standby.join(","));
    }
    text
}

fn action(kind: ActionKind, group: &str) -> String {
    match kind {
        ActionKind::Start(cause) => format!("start {group} ({})", cause.as_str()),
        ActionKind::Stop(reason) => format!("stop {group} ({})", reason.as_str()),
        kind => format!("{} {group}", kind.as_str()),
    }
}

fn event_text(event: &Event) -> String {
    match event {
        Event::NodeState {
            node,
            from,
            to,
            cause: None,
        } => format!("node {node}: {from} -> {to}"),
        Event::NodeState {
            node,
            from,
            to,
            cause: Some(cause),
        } => format!("node {node}: {from} -> {to} ({cause})"),
        Event::RefusalsIgnored {
            medium, address, ..
        } => format!("refusals to {address} on medium {medium} ignored"),
        Event::GenerationAdvanced { from, to } => {
            format!("generation {from} -> {to}, as a peer knew {}", to - 1)
        }
        Event::LateHeartbeat { node, silent_for } => {
            format!("late heartbeat from {node}: silent {} ms", ms(*silent_for))
        }
        Event::HeartbeatResumed { node, silent_for } => {
            format!("heartbeat from {node} resumed after {} ms", ms(*silent_for))
        }
        Event::PeerRestarted { node, generation } => {
            format!("{node} is in generation {generation}")
        }
        Event::Rejected { node, reason } => {
            let why = match reason {
                RejectReason::Duplicate => "duplicate".to_string(),
                RejectReason::Replay(rejection) => format!("replay, {}", rejection.describe()),
                RejectReason::UnknownNode => "unknown node".to_string(),
                RejectReason::AfterShutdown => "after its shutdown".to_string(),
            };
            format!("rejected a message from {node}: {why}")
        }
        Event::GroupFailed {
            group,
            action: kind,
            detail,
        } => format!("failed {}: {detail}", action(*kind, group)),
        Event::GroupActionDone {
            group,
            action: kind,
        } => format!("done {}", action(*kind, group)),
        Event::Conflict { group, holders } => {
            format!("conflict: {group} held by {}", holders.join(", "))
        }
        Event::StandingBy {
            set,
            groups,
            asked_by,
        } => {
            let by = asked_by
                .as_ref()
                .map_or_else(String::new, |node| format!(", asked by {node}"));
            format!("standing by [{}]: {}{by}", set.as_str(), groups.join(", "))
        }
        Event::Stalled { late_by, grace } => format!(
            "stalled: called {} ms late; peers judged after {} ms",
            ms(*late_by),
            ms(*grace)
        ),
        Event::PingNode {
            name,
            from,
            to,
            count,
        } => {
            let count = count.map_or_else(|| "unknown".to_string(), |c| c.to_string());
            format!("ping node {name}: {from} -> {to} (ping nodes up: {count})")
        }
        Event::PingShortfall { node, short: true } => {
            format!("{node} sees fewer ping nodes than a peer")
        }
        Event::PingShortfall { node, short: false } => {
            format!("{node} no longer sees fewer ping nodes")
        }
        Event::FenceStarted { node, attempt } => format!("fence {node} started, attempt {attempt}"),
        Event::FenceFailed {
            node,
            attempt,
            detail,
            retry_in,
        } => format!(
            "fence {node} failed, attempt {attempt}: {detail}; retry in {} ms",
            ms(*retry_in)
        ),
        Event::FenceSucceeded { node, attempts } => {
            format!("fence {node} succeeded after {attempts} attempts")
        }
        Event::FenceCancelled { node } => format!("fence {node} cancelled: heard again"),
        Event::FencingUnavailable { node } => format!("fence {node} needed, no device"),
        Event::FenceUnneeded { node } => format!("fence {node} unneeded: held nothing"),
        Event::ShutdownComplete => "shutdown complete".to_string(),
    }
}

/// Milliseconds, with decimals only when the time is not a whole number.
fn ms(d: Duration) -> String {
    let micros = d.as_micros();
    if micros.is_multiple_of(1000) {
        format!("{}", micros / 1000)
    } else {
        format!("{}.{:03}", micros / 1000, micros % 1000)
    }
}
