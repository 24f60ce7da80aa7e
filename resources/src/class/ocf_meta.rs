//! What an OCF agent's meta-data says that ha-node uses: its parameters
//! (and which are required) and its actions' timeouts and intervals.
//!
//! A small reader, not an XML parser: comments and CDATA sections are
//! dropped, then each `<parameter …>` and `<action …>` start tag is read
//! for its attributes (`name="…"` or `name='…'`, blanks around `=`). What
//! it cannot read is skipped, never an error: meta-data only advises.

use std::time::Duration;

use crate::monitoring::parse_duration;

/// A parameter the meta-data declares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parameter {
    /// Its name (`OCF_RESKEY_<name>`).
    pub name: String,
    /// `required="1"`.
    pub required: bool,
}

/// An action the meta-data declares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionAdvice {
    /// Its name, e.g. `start`.
    pub name: String,
    /// Its `timeout`, if readable.
    pub timeout: Option<Duration>,
    /// Its `interval`, if readable.
    pub interval: Option<Duration>,
}

/// The parts of an agent's meta-data ha-node reads.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MetaData {
    /// The parameters, in the order declared.
    pub parameters: Vec<Parameter>,
    /// The actions, in the order declared.
    pub actions: Vec<ActionAdvice>,
}

impl MetaData {
    /// Reads `xml`.
    pub fn parse(xml: &str) -> MetaData {
        let text = strip(xml);
        let parameters = start_tags(&text, "parameter")
            .filter_map(|tag| {
                Some(Parameter {
                    name: attribute(tag, "name")?.to_string(),
                    required: attribute(tag, "required").is_some_and(|v| v.trim() == "1"),
                })
            })
            .collect();
        let actions = start_tags(&text, "action")
            .filter_map(|tag| {
                let duration = |name: &str| {
                    attribute(tag, name).and_then(|value| parse_duration(value.trim()).ok())
                };
                Some(ActionAdvice {
                    name: attribute(tag, "name")?.to_string(),
                    timeout: duration("timeout"),
                    interval: duration("interval"),
                })
            })
            .collect();
        MetaData {
            parameters,
            actions,
        }
    }

    /// The names of the required parameters, in the order declared.
    pub fn required(&self) -> impl Iterator<Item = &str> {
        self.parameters
            .iter()
            .filter(|p| p.required)
            .map(|p| p.name.as_str())
    }

    /// The timeout of the first declaration of `action` with one.
    pub fn timeout(&self, action: &str) -> Option<Duration> {
        self.actions
            .iter()
            .filter(|a| a.name == action)
            .find_map(|a| a.timeout)
    }

    /// The first non-zero interval of a `monitor` action.
    pub fn monitor_interval(&self) -> Option<Duration> {
        self.actions
            .iter()
            .filter(|a| a.name == "monitor")
            .filter_map(|a| a.interval)
            .find(|interval| !interval.is_zero())
    }
}

/// `xml` without its comments and CDATA sections (an unterminated one
/// runs to the end).
fn strip(xml: &str) -> String {
    let mut out = String::with_capacity(xml.len());
    let mut rest = xml;
    loop {
        let next = [("<!--", "-->"), ("<![CDATA[", "]]>")]
            .iter()
            .filter_map(|&(open, close)| rest.find(open).map(|at| (at, open, close)))
            .min_by_key(|&(at, ..)| at);
        let Some((at, open, close)) = next else {
            out.push_str(rest);
            return out;
        };
        out.push_str(&rest[..at]);
        let after = &rest[at + open.len()..];
        match after.find(close) {
            Some(end) => rest = &after[end + close.len()..],
            None => return out,
        }
    }
}

/// The attribute text of each `<NAME …>` start tag (`NAME` followed by a
/// blank, `/` or `>`).
fn start_tags<'a>(text: &'a str, name: &'a str) -> impl Iterator<Item = &'a str> {
    text.match_indices('<').filter_map(move |(at, _)| {
        let rest = text[at + 1..].strip_prefix(name)?;
        let first = rest.chars().next()?;
        if !(first.is_whitespace() || first == '/' || first == '>') {
            return None;
        }
        rest.find('>').map(|end| &rest[..end])
    })
}

/// The value of `name="…"` (or `'…'`) in a tag's attribute text.
pub(crate) fn attribute<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let mut rest = tag;
    while let Some(at) = rest.find(name) {
        let before = rest[..at].chars().last();
        let after = rest[at + name.len()..].trim_start();
        rest = &rest[at + name.len()..];
        if before.is_some_and(|c| !c.is_whitespace()) {
            continue;
        }
        let Some(value) = after.strip_prefix('=') else {
            continue;
        };
        let value = value.trim_start();
        let quote = value.chars().next()?;
        if quote != '"' && quote != '\'' {
            continue;
        }
        let value = &value[1..];
        return value.find(quote).map(|end| &value[..end]);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const XML: &str = r#"<?xml version="1.0"?>
<!DOCTYPE resource-agent SYSTEM "ra-api-1.dtd">
<resource-agent name="IPaddr2">
<!-- <parameter name="commented" required="1"> -->
<longdesc lang="en"><![CDATA[ <parameter name="in-cdata" required="1"> ]]></longdesc>
<parameters>
<parameter name="ip" unique="1" required="1">
<content type="string" default=""/>
</parameter>
<parameter name='nic' required = '0'/>
<parameters-extra name="not-a-parameter" required="1"/>
<parameter name="cidr_netmask"><content type="string"/></parameter>
</parameters>
<actions>
<action name="start"   timeout="20s" />
<action name="stop"    timeout="90" />
<action name="monitor" depth="0" timeout="20s" interval="0" role="Slave"/>
<action name="monitor" depth="0"  timeout="20s" interval="10s" />
<action name="meta-data"  timeout="5s" />
</actions>
</resource-agent>
"#;

    #[test]
    fn reads_parameters_and_action_timeouts() {
        let meta = MetaData::parse(XML);
        let names: Vec<&str> = meta.parameters.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["ip", "nic", "cidr_netmask"]);
        assert_eq!(meta.required().collect::<Vec<_>>(), ["ip"]);
        assert_eq!(meta.timeout("start"), Some(Duration::from_secs(20)));
        assert_eq!(meta.timeout("stop"), Some(Duration::from_secs(90)));
        assert_eq!(meta.timeout("validate-all"), None);
        assert_eq!(meta.monitor_interval(), Some(Duration::from_secs(10)));
    }

    #[test]
    fn garbage_and_truncated_meta_data_read_as_little_as_they_say() {
        for text in [
            "",
            "not xml at all \u{0}\u{1}",
            "<parameter",
            "<parameter name=\"x",
            "<!-- never closed <parameter name=\"x\" required=\"1\">",
            "<action name=\"start\" timeout=\"soon\">",
        ] {
            let meta = MetaData::parse(text);
            assert_eq!(meta.required().count(), 0, "{text:?}");
            assert_eq!(meta.timeout("start"), None, "{text:?}");
        }
    }
}
