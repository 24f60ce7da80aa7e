//! A [`Configuration`] as a crmsh script, for `crm configure load update
//! FILE` (or pasted into `crm configure`): `primitive`, `group`, `clone`,
//! `location`, `property` and `rsc_defaults` commands, each warning as a
//! `# WARNING:` comment at the top.

use std::fmt::Write;

use super::model::{comment, duration, Configuration, Primitive, PING_ATTRIBUTE};

/// The script; `origin` names the files it was made from.
pub fn render(config: &Configuration, origin: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Pacemaker configuration exported by ha-node from {origin}."
    );
    let _ = writeln!(out, "# Load it with: crm configure load update FILE");
    for warning in &config.warnings {
        let _ = writeln!(out, "# WARNING: {}", comment(warning));
    }
    out.push('\n');
    if config.stonith_enabled {
        out.push_str("property stonith-enabled=true\n");
    } else {
        out.push_str(
            "# No fence device carried over: Pacemaker runs without fencing, as heartbeat did.\n\
             property stonith-enabled=false\n",
        );
    }
    let _ = writeln!(out, "# {}", comment(&config.stickiness_reason));
    let _ = writeln!(
        out,
        "rsc_defaults resource-stickiness={}",
        config.stickiness
    );
    for group in &config.groups {
        let _ = writeln!(out, "\n# {}", comment(&group.source));
        for member in &group.members {
            primitive(&mut out, member);
        }
        let members: Vec<&str> = group.members.iter().map(|m| m.id.as_str()).collect();
        let _ = writeln!(
            out,
            "group {} {} \\\n    description={}",
            group.id,
            members.join(" "),
            quote(&group.source)
        );
        let _ = writeln!(
            out,
            "location {} {} {}: {}",
            group.location_id, group.id, config.preference, group.preferred_node
        );
        if let Some(rule_id) = &group.ping_rule_id {
            let _ = writeln!(
                out,
                "location {rule_id} {} rule {PING_ATTRIBUTE}: defined {PING_ATTRIBUTE}",
                group.id
            );
        }
    }
    if let Some(ping) = &config.ping {
        out.push_str("\n# ha.cf's ping nodes\n");
        primitive(&mut out, &ping.primitive);
        let _ = writeln!(out, "clone {} {}", ping.clone_id, ping.primitive.id);
        if !ping.rule {
            out.push_str(
                "# No ipfail in ha.cf: the groups do not follow the ping nodes, as in heartbeat.\n",
            );
        }
    }
    for fence in &config.fencing {
        out.push_str("\n# ha.cf's fencing\n");
        primitive(&mut out, &fence.primitive);
        if let Some((node, id)) = &fence.only_on {
            let _ = writeln!(
                out,
                "location {id} {} rule -inf: #uname ne {node}",
                fence.primitive.id
            );
        }
    }
    out
}

/// One `primitive` command, continued over lines.
fn primitive(out: &mut String, primitive: &Primitive) {
    let _ = write!(out, "primitive {} {}", primitive.id, primitive.agent);
    if !primitive.params.is_empty() {
        out.push_str(" \\\n    params");
        for (name, value) in &primitive.params {
            let _ = write!(out, " {name}={}", quote(value));
        }
    }
    if let Some(monitor) = &primitive.monitor {
        let _ = write!(
            out,
            " \\\n    op monitor interval={} timeout={}",
            duration(monitor.interval),
            duration(monitor.timeout)
        );
    }
    if !primitive.meta.is_empty() {
        out.push_str(" \\\n    meta");
        for (name, value) in &primitive.meta {
            let _ = write!(out, " {name}={}", quote(value));
        }
    }
    out.push('\n');
}

/// A value as crmsh reads it: bare when it is one plain word, else in
/// double quotes with `"` and `\` escaped.
fn quote(value: &str) -> String {
    let plain = !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-/:@,+%".contains(c));
    if plain {
        value.to_owned()
    } else {
        let escaped = value.replace('\\', "\\\\").replace('"', "\\\"");
        format!("\"{escaped}\"")
    }
}
