//! The OCF meta-data of the native agents, written once: each agent
//! describes itself in a [`Description`] (name, descriptions, parameters,
//! action timeouts) and [`Description::render`] turns it into the XML that
//! check-config and the action timeouts read.

use std::fmt::Write;

/// What a native agent says about itself in its meta-data.
pub(crate) struct Description {
    /// The resource type, e.g. `IPaddr2`.
    pub name: &'static str,
    /// The long description.
    pub longdesc: &'static str,
    /// The short description.
    pub shortdesc: &'static str,
    /// The parameters of the `ocf:heartbeat:` form, in order.
    pub parameters: Vec<Parameter>,
    /// The advertised action timeouts.
    pub timeouts: Timeouts,
}

/// One parameter of a native agent.
pub(crate) struct Parameter {
    name: &'static str,
    shortdesc: &'static str,
    /// `Some(unique)` for a required parameter, with OCF's `unique` flag.
    required: Option<bool>,
    content_type: &'static str,
    default: Option<String>,
}

impl Parameter {
    /// A required string parameter; `unique` when no two resources may
    /// share its value.
    pub fn required(name: &'static str, unique: bool, shortdesc: &'static str) -> Self {
        Parameter {
            name,
            shortdesc,
            required: Some(unique),
            content_type: "string",
            default: None,
        }
    }

    /// An optional string parameter with no default in the meta-data.
    pub fn optional(name: &'static str, shortdesc: &'static str) -> Self {
        Parameter {
            name,
            shortdesc,
            required: None,
            content_type: "string",
            default: None,
        }
    }

    /// An optional parameter of `content_type` (`integer`, `boolean`)
    /// whose default is `default`.
    pub fn with_default(
        name: &'static str,
        shortdesc: &'static str,
        content_type: &'static str,
        default: impl ToString,
    ) -> Self {
        Parameter {
            name,
            shortdesc,
            required: None,
            content_type,
            default: Some(default.to_string()),
        }
    }
}

/// The action timeouts a native agent advertises, in seconds; meta-data
/// itself always advertises 5 s.
pub(crate) struct Timeouts {
    /// start, stop and monitor.
    pub action: u32,
    /// The monitor interval.
    pub monitor_interval: u32,
    /// validate-all.
    pub validate: u32,
}

impl Description {
    /// The meta-data XML.
    pub fn render(&self) -> String {
        let mut xml = format!(
            r#"<?xml version="1.0"?>
<!DOCTYPE resource-agent SYSTEM "ra-api-1.dtd">
<resource-agent name="{}" version="heartbeat-rs">
<version>1.0</version>
<longdesc lang="en">{}</longdesc>
<shortdesc lang="en">{}</shortdesc>
<parameters>
"#,
            self.name, self.longdesc, self.shortdesc
        );
        for parameter in &self.parameters {
            let flags = match parameter.required {
                Some(unique) => format!(r#" unique="{}" required="1""#, u8::from(unique)),
                None => String::new(),
            };
            let default = parameter
                .default
                .as_deref()
                .map(|value| format!(r#" default="{value}""#))
                .unwrap_or_default();
            let _ = writeln!(
                xml,
                r#"<parameter name="{}"{flags}><shortdesc lang="en">{}</shortdesc><content type="{}"{default}/></parameter>"#,
                parameter.name, parameter.shortdesc, parameter.content_type
            );
        }
        let Timeouts {
            action,
            monitor_interval,
            validate,
        } = self.timeouts;
        let _ = write!(
            xml,
            r#"</parameters>
<actions>
<action name="start" timeout="{action}s"/>
<action name="stop" timeout="{action}s"/>
<action name="monitor" timeout="{action}s" interval="{monitor_interval}s"/>
<action name="validate-all" timeout="{validate}s"/>
<action name="meta-data" timeout="5s"/>
</actions>
</resource-agent>
"#
        );
        xml
    }
}
