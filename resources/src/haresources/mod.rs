//! heartbeat's haresources file: which resource groups exist, in which
//! order their resources start, and which node prefers each group.
//!
//! Each logical line (see the `logical` module for comments and `\` continuations) is
//! `NODE RESOURCE RESOURCE...`. As in ResourceManager, the node name is
//! lowercased, and a group is named by its resources; the first resource of
//! every line must be unique, because heartbeat looks groups up by it.
//!
//! This module knows the file's syntax only: each resource word is split
//! into a name and its `::` arguments (the `word` module), and nothing here
//! decides what a name means — the `resolve` module does, and
//! [`Haresources::check_nodes`] refuses the preferred nodes ha.cf lacks.

mod logical;
#[cfg(test)]
mod tests;
mod word;

use std::collections::HashMap;

use ha_conf::{ConfigError, ConfigErrors, Diagnostics, Location, Source};

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

/// One resource of a group: its word, split into a name and arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceSpec {
    /// The line the resource's word is on.
    pub location: Location,
    /// The word exactly as written, e.g. `IPaddr::10.0.0.5/24/eth0`.
    pub text: String,
    /// The resource name: the part before the first `::` (`IPaddr` for a
    /// bare IP address), e.g. `httpd`, `Filesystem`, `ocf:heartbeat:Dummy`.
    pub name: String,
    /// The `::`-separated arguments, e.g. `["/dev/sda1", "/data1", "ext2"]`
    /// (for a bare IP address, the word itself).
    pub args: Vec<String>,
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
        match word::split_word(word) {
            Ok((name, args)) => resources.push(ResourceSpec {
                location,
                text: word.to_string(),
                name,
                args,
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

/// Groups must differ in their first resource (heartbeat's lookup key).
fn check_unique(groups: &[GroupSpec], diagnostics: &mut Diagnostics) {
    let mut first_words: HashMap<&str, &GroupSpec> = HashMap::new();
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
    }
}

impl Haresources {
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
