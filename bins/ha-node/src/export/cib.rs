//! A [`Configuration`] as a whole CIB, for `cibadmin --replace --xml-file
//! FILE` on a new cluster and `crm_verify --xml-file FILE`: Pacemaker's
//! `pacemaker-3.0` schema, every element with an id derived from its
//! owner's, each warning as an XML comment.
//!
//! `admin_epoch` is 1 so that the CIB replaces a new cluster's empty one
//! (Pacemaker keeps the CIB with the higher version).

use std::fmt::Write;

use super::model::{comment, duration, Configuration, Primitive, PING_ATTRIBUTE};

/// The Pacemaker schema the CIB is written for.
pub const SCHEMA: &str = "pacemaker-3.0";

/// The CIB; `origin` names the files it was made from.
pub fn render(config: &Configuration, origin: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "<cib validate-with=\"{SCHEMA}\" admin_epoch=\"1\" epoch=\"1\" num_updates=\"0\">"
    );
    let _ = writeln!(
        out,
        "  <!-- {} -->",
        comment(&format!("exported by ha-node from {origin}"))
    );
    for warning in &config.warnings {
        let _ = writeln!(out, "  <!-- WARNING: {} -->", comment(warning));
    }
    out.push_str("  <configuration>\n    <crm_config>\n");
    out.push_str("      <cluster_property_set id=\"cib-bootstrap-options\">\n");
    nvpair(
        &mut out,
        8,
        "cib-bootstrap-options",
        "stonith-enabled",
        if config.stonith_enabled {
            "true"
        } else {
            "false"
        },
    );
    out.push_str("      </cluster_property_set>\n    </crm_config>\n    <nodes/>\n");
    out.push_str("    <resources>\n");
    for group in &config.groups {
        let _ = writeln!(
            out,
            "      <group id=\"{}\" description=\"{}\">",
            group.id,
            attr(&group.source)
        );
        for member in &group.members {
            primitive(&mut out, 8, member);
        }
        out.push_str("      </group>\n");
    }
    if let Some(ping) = &config.ping {
        let _ = writeln!(out, "      <clone id=\"{}\">", ping.clone_id);
        primitive(&mut out, 8, &ping.primitive);
        out.push_str("      </clone>\n");
    }
    for fence in &config.fencing {
        primitive(&mut out, 6, &fence.primitive);
    }
    out.push_str("    </resources>\n    <constraints>\n");
    for group in &config.groups {
        let _ = writeln!(
            out,
            "      <rsc_location id=\"{}\" rsc=\"{}\" node=\"{}\" score=\"{}\"/>",
            group.location_id,
            group.id,
            attr(&group.preferred_node),
            config.preference
        );
        if let Some(id) = &group.ping_rule_id {
            let _ = writeln!(out, "      <rsc_location id=\"{id}\" rsc=\"{}\">", group.id);
            let _ = writeln!(
                out,
                "        <rule id=\"{id}-rule\" score-attribute=\"{PING_ATTRIBUTE}\">\n          \
                 <expression id=\"{id}-rule-expression\" attribute=\"{PING_ATTRIBUTE}\" \
                 operation=\"defined\"/>\n        </rule>\n      </rsc_location>"
            );
        }
    }
    for fence in &config.fencing {
        if let Some((node, id)) = &fence.only_on {
            let _ = writeln!(
                out,
                "      <rsc_location id=\"{id}\" rsc=\"{}\">\n        <rule id=\"{id}-rule\" \
                 score=\"-INFINITY\">\n          <expression id=\"{id}-rule-expression\" \
                 attribute=\"#uname\" operation=\"ne\" value=\"{}\"/>\n        </rule>\n      \
                 </rsc_location>",
                fence.primitive.id,
                attr(node)
            );
        }
    }
    out.push_str("    </constraints>\n    <rsc_defaults>\n");
    out.push_str("      <meta_attributes id=\"rsc-options\">\n");
    nvpair(
        &mut out,
        8,
        "rsc-options",
        "resource-stickiness",
        &config.stickiness.to_string(),
    );
    out.push_str("      </meta_attributes>\n    </rsc_defaults>\n");
    out.push_str("  </configuration>\n  <status/>\n</cib>\n");
    out
}

/// One `<primitive>` at `indent` spaces.
fn primitive(out: &mut String, indent: usize, primitive: &Primitive) {
    let pad = " ".repeat(indent);
    let id = &primitive.id;
    let agent = &primitive.agent;
    let provider = agent
        .provider
        .as_ref()
        .map(|p| format!(" provider=\"{}\"", attr(p)))
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "{pad}<primitive id=\"{id}\" class=\"{}\"{provider} type=\"{}\">",
        agent.class,
        attr(&agent.kind)
    );
    attribute_set(
        out,
        indent + 2,
        id,
        "instance_attributes",
        &primitive.params,
    );
    if let Some(monitor) = &primitive.monitor {
        let interval = duration(monitor.interval);
        let _ = writeln!(
            out,
            "{pad}  <operations>\n{pad}    <op id=\"{id}-monitor-{interval}\" name=\"monitor\" \
             interval=\"{interval}\" timeout=\"{}\"/>\n{pad}  </operations>",
            duration(monitor.timeout)
        );
    }
    attribute_set(out, indent + 2, id, "meta_attributes", &primitive.meta);
    let _ = writeln!(out, "{pad}</primitive>");
}

/// A primitive's `<instance_attributes>` or `<meta_attributes>`, when it
/// has any (the order crmsh writes them in: instance, operations, meta).
fn attribute_set(
    out: &mut String,
    indent: usize,
    owner: &str,
    element: &str,
    pairs: &[(String, String)],
) {
    if pairs.is_empty() {
        return;
    }
    let pad = " ".repeat(indent);
    let set = format!("{owner}-{element}");
    let _ = writeln!(out, "{pad}<{element} id=\"{set}\">");
    for (name, value) in pairs {
        nvpair(out, indent + 2, &set, name, value);
    }
    let _ = writeln!(out, "{pad}</{element}>");
}

/// One `<nvpair>` of the set `set`.
fn nvpair(out: &mut String, indent: usize, set: &str, name: &str, value: &str) {
    let _ = writeln!(
        out,
        "{}<nvpair id=\"{}\" name=\"{}\" value=\"{}\"/>",
        " ".repeat(indent),
        attr(&id_part(&format!("{set}-{name}"))),
        attr(name),
        attr(value)
    );
}

/// An id made of an owner's id and a name that may hold any character.
fn id_part(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.') {
                c
            } else {
                '-'
            }
        })
        .collect()
}

/// Text escaped for a double-quoted XML attribute.
pub fn attr(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\n' => out.push_str("&#10;"),
            '\t' => out.push_str("&#9;"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}
