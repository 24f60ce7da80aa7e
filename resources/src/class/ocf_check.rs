//! check-config for an OCF resource: the agent's own word on it.
//!
//! The agent's `meta-data` says which parameters are required
//! (`<parameter name=… required="1">`): one the resource does not set is an
//! error. When all are set, `validate-all` runs with the resource's
//! parameters and the OCF environment an action gets (`OCF_ROOT`,
//! `OCF_RESOURCE_INSTANCE`, `OCF_RESKEY_*`; resource-agents' agents need
//! no more outside a cluster), under [`VALIDATE_LIMIT`] and with
//! `OCF_CHECK_LEVEL` unset. Its failure is reported with the agent's
//! message (its `ocf-exit-reason:` line and its last `ERROR:` line, else
//! its last output line): an
//! error when the agent says the configuration is wrong (`OCF_ERR_ARGS`,
//! `OCF_ERR_CONFIGURED`, `OCF_ERR_UNIMPLEMENTED`), which no node can
//! run; a warning otherwise (not installed, no permission, a generic
//! error, a time-out), since that may be this host's doing and not the
//! node's that will run it.

use std::time::Duration;

use ha_process::{Exit, Line, Output};

use super::ocf::{OcfAgent, OcfExit, OcfResource};
use super::ocf_meta::MetaData;
use crate::agent::Agent;
use crate::group::ActionTimeouts;

/// The most validate-all may take at check-config.
pub const VALIDATE_LIMIT: Duration = Duration::from_secs(10);

/// What the agent said of a resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finding {
    /// No node can run the resource as written.
    Error(String),
    /// It may not run here; another node may differ.
    Warning(String),
}

/// Checks the OCF resource written `resource` against its agent: the
/// findings, none when the agent is content, and the meta-data read.
pub fn check(resource: &str, spec: &OcfResource) -> (Vec<Finding>, MetaData) {
    let agent = OcfAgent::new(resource, spec, ActionTimeouts::default());
    let meta = MetaData::parse(&agent.meta_data());
    let missing: Vec<Finding> = meta
        .required()
        .filter(|name| !spec.params.iter().any(|(set, _)| set == name))
        .map(|name| {
            Finding::Error(format!(
                "resource '{resource}': required parameter '{name}' is not set \
                 ({} marks it required=\"1\"; write {resource}::{name}=VALUE)",
                spec.path().display()
            ))
        })
        .collect();
    if !missing.is_empty() {
        return (missing, meta);
    }
    let limit = meta
        .timeout("validate-all")
        .map_or(VALIDATE_LIMIT, |t| t.min(VALIDATE_LIMIT));
    let mut command = agent.command("validate-all", limit);
    command
        .env_remove("OCF_CHECK_LEVEL")
        .stdout(Output::Capture)
        .log_level(log::Level::Debug);
    let finding = match command.run_blocking() {
        Err(error) => Some(Finding::Warning(format!(
            "resource '{resource}': validate-all could not run: {error}"
        ))),
        Ok(outcome) if outcome.timed_out => Some(Finding::Warning(format!(
            "resource '{resource}': validate-all timed out after {limit:?}"
        ))),
        Ok(outcome) => match outcome.exit {
            Exit::Code(0) => None,
            Exit::Code(code) => {
                let exit = OcfExit::from_code(code);
                let message = format!(
                    "resource '{resource}': validate-all failed: {}{}",
                    exit.meaning(),
                    reason(&outcome.tail)
                );
                Some(match exit {
                    OcfExit::InvalidArguments | OcfExit::NotConfigured | OcfExit::Unimplemented => {
                        Finding::Error(message)
                    }
                    _ => Finding::Warning(message),
                })
            }
            Exit::Signal(_) => Some(Finding::Warning(format!(
                "resource '{resource}': validate-all {}{}",
                outcome.exit,
                reason(&outcome.tail)
            ))),
        },
    };
    (finding.into_iter().collect(), meta)
}

/// `: MESSAGE` from the agent's output: its `ocf-exit-reason:` line and
/// its last `ERROR:` log line (resource-agents write both; the second
/// often says more), else its last line; nothing when it wrote nothing.
fn reason(tail: &[Line]) -> String {
    let last_with = |marker: &str| {
        tail.iter().rev().find_map(|line| {
            let text = line.text.trim();
            text.find(marker)
                .map(|at| text[at + marker.len()..].trim())
                .filter(|rest| !rest.is_empty())
        })
    };
    let text = match (last_with("ocf-exit-reason:"), last_with("ERROR:")) {
        (Some(why), Some(error)) if why != error => format!("{why} ({error})"),
        (Some(why), _) => why.to_string(),
        (None, Some(error)) => error.to_string(),
        (None, None) => tail
            .last()
            .map(|line| line.text.trim().to_string())
            .unwrap_or_default(),
    };
    if text.is_empty() {
        text
    } else {
        format!(": {text}")
    }
}
