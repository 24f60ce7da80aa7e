//! heartbeat's haresources file: which resource groups exist, in which
//! order their resources start, and which node prefers each group.
//!
//! Each logical line (see the `logical` module for comments and `\` continuations) is
//! `NODE RESOURCE RESOURCE...`. As in ResourceManager, the node name is
//! lowercased, and a group is named by its resources; the first resource of
//! every line must be unique, because heartbeat looks groups up by it.
//!
//! Parsing accepts every resource type so that a whole file can be checked;
//! [`Haresources::check_supported`] then refuses the types without an agent
//! yet, and [`Haresources::check_nodes`] the preferred nodes ha.cf lacks.

mod ipaddr_arg;
mod logical;
#[cfg(test)]
mod tests;
mod token;

use std::collections::HashMap;
use std::net::Ipv4Addr;

use ha_conf::{ConfigError, ConfigErrors, Diagnostics, Location, Source};

pub use ipaddr_arg::{IpAddrSpec, IpAddrStyle, MAX_INTERFACE_NAME};

/// A parsed haresources file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Haresources {
    /// The resource groups, in file order.
    pub groups: Vec<GroupSpec>,
}

/// One line of haresources: a resource group and its preferred node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupSpec {
    /// Where the group's line starts.
    pub location: Location,
    /// The node that runs the group when it can (lowercased, as heartbeat does).
    pub preferred_node: String,
    /// The resources, in start order (stopped in reverse).
    pub resources: Vec<ResourceSpec>,
}

/// One resource of a group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceSpec {
    /// The line the resource's word is on.
    pub location: Location,
    /// The word exactly as written, e.g. `IPaddr::10.0.0.5/24/eth0`.
    pub text: String,
    /// What the word asks for.
    pub kind: ResourceKind,
}

/// What a resource word asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResourceKind {
    /// `IPaddr::...`, `IPaddr2::...` or a bare IP address.
    IpAddr(IpAddrSpec),
    /// Any other resource script, by name with its `::` arguments.
    Unsupported {
        /// The script name, e.g. `httpd` or `Filesystem`.
        type_name: String,
        /// Its arguments, e.g. `["/dev/sda1", "/data1", "ext2"]`.
        args: Vec<String>,
    },
}

impl ResourceKind {
    /// The resource type name: `IPaddr`, `IPaddr2` or the script's name.
    pub fn type_name(&self) -> &str {
        match self {
            ResourceKind::IpAddr(spec) => spec.style.name(),
            ResourceKind::Unsupported { type_name, .. } => type_name,
        }
    }
}

impl GroupSpec {
    /// The group's name on the wire: its resources' words joined by single
    /// spaces, the same on every node that has the same line.
    pub fn id(&self) -> String {
        let words: Vec<&str> = self.resources.iter().map(|r| r.text.as_str()).collect();
        words.join(" ")
    }
}

/// Parses a haresources file; every problem is reported with FILE:LINE.
pub fn parse_haresources(source: &Source) -> Result<Haresources, ConfigErrors> {
    let mut errors = Vec::new();
    let lines = logical::logical_lines(source, &mut errors);
    let mut diagnostics = Diagnostics::new();
    for error in errors {
        diagnostics.push(error);
    }
    let mut groups = Vec::new();
    for line in &lines {
        if let Some(group) = parse_group(line, &mut diagnostics) {
            groups.push(group);
        }
    }
    check_unique(&groups, &mut diagnostics);
    diagnostics.finish(Haresources { groups })
}

fn parse_group(
    line: &logical::LogicalLine<'_>,
    diagnostics: &mut Diagnostics,
) -> Option<GroupSpec> {
    let mut words = line.words();
    let (node_offset, node) = words.next()?;
    if node.contains([':', '/']) {
        diagnostics.push(line.line_at(node_offset).error(format!(
            "'{node}' looks like a resource, but a line starts with the name of \
             the node that prefers the group: NODE RESOURCE..."
        )));
        return None;
    }
    let mut resources = Vec::new();
    let mut failed = false;
    for (offset, word) in words {
        let location = line.location_at(offset);
        match token::parse_resource(word) {
            Ok(kind) => resources.push(ResourceSpec {
                location,
                text: word.to_string(),
                kind,
            }),
            Err(message) => {
                failed = true;
                diagnostics.push(ConfigError { location, message });
            }
        }
    }
    if resources.is_empty() && !failed {
        diagnostics.push(line.first.error(format!(
            "node '{node}' has no resources; expected NODE RESOURCE [RESOURCE...]"
        )));
    }
    (!failed && !resources.is_empty()).then(|| GroupSpec {
        location: line.first.location(),
        preferred_node: node.to_lowercase(),
        resources,
    })
}

/// Groups must differ in their first resource (heartbeat's lookup key), and
/// no address may belong to two resources.
fn check_unique(groups: &[GroupSpec], diagnostics: &mut Diagnostics) {
    let mut first_words: HashMap<&str, &GroupSpec> = HashMap::new();
    let mut addresses: HashMap<Ipv4Addr, &Location> = HashMap::new();
    for group in groups {
        if let Some(first) = group.resources.first() {
            if let Some(earlier) = first_words.get(first.text.as_str()) {
                let message = if earlier.id() == group.id() {
                    format!(
                        "duplicate resource group: the same resources as on line {}",
                        earlier.location.line
                    )
                } else {
                    format!(
                        "'{}' already starts the group on line {}; heartbeat names a \
                         group by its first resource, so it must be unique",
                        first.text, earlier.location.line
                    )
                };
                diagnostics.push(ConfigError {
                    location: group.location.clone(),
                    message,
                });
            } else {
                first_words.insert(&first.text, group);
            }
        }
        for resource in &group.resources {
            if let ResourceKind::IpAddr(spec) = &resource.kind {
                if let Some(earlier) = addresses.get(&spec.address) {
                    diagnostics.push(ConfigError {
                        location: resource.location.clone(),
                        message: format!(
                            "address {} is already managed by the resource on line {}",
                            spec.address, earlier.line
                        ),
                    });
                } else {
                    addresses.insert(spec.address, &resource.location);
                }
            }
        }
    }
}

impl Haresources {
    /// Refuses every resource whose type has no agent yet, by name and line.
    pub fn check_supported(&self) -> Result<(), ConfigErrors> {
        let mut diagnostics = Diagnostics::new();
        for resource in self.groups.iter().flat_map(|g| &g.resources) {
            if let ResourceKind::Unsupported { type_name, .. } = &resource.kind {
                let hint = match type_name.to_ascii_lowercase().as_str() {
                    "ipaddr" => " (did you mean 'IPaddr'?)",
                    "ipaddr2" => " (did you mean 'IPaddr2'?)",
                    _ => "",
                };
                diagnostics.push(ConfigError {
                    location: resource.location.clone(),
                    message: format!("resource type '{type_name}' is not supported yet{hint}"),
                });
            }
        }
        diagnostics.finish(())
    }

    /// Refuses every group whose preferred node is not one of `nodes` (the
    /// `node` names of ha.cf); names compare case-insensitively.
    pub fn check_nodes(&self, nodes: &[String]) -> Result<(), ConfigErrors> {
        let mut diagnostics = Diagnostics::new();
        for group in &self.groups {
            if !nodes
                .iter()
                .any(|n| n.eq_ignore_ascii_case(&group.preferred_node))
            {
                diagnostics.push(ConfigError {
                    location: group.location.clone(),
                    message: format!(
                        "preferred node '{}' is not a node of the cluster (ha.cf names: {})",
                        group.preferred_node,
                        if nodes.is_empty() {
                            "none".to_string()
                        } else {
                            nodes.join(", ")
                        }
                    ),
                });
            }
        }
        diagnostics.finish(())
    }

    /// The group with the given [`GroupSpec::id`], if any.
    pub fn group(&self, id: &str) -> Option<&GroupSpec> {
        self.groups.iter().find(|g| g.id() == id)
    }

    /// The file text: one line per group, `NODE RESOURCE...`.
    pub fn render(&self) -> String {
        let mut text = String::new();
        for group in &self.groups {
            text.push_str(&group.preferred_node);
            for resource in &group.resources {
                text.push(' ');
                text.push_str(&resource.text);
            }
            text.push('\n');
        }
        text
    }
}
