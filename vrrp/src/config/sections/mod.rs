//! The blocks of keepalived.conf: `global_defs`, `vrrp_script`,
//! `vrrp_sync_group` and `vrrp_instance`, keyword by keyword.
//!
//! Each section keeps the keywords keepalived 2.2.7 installs for it
//! (vrrp_parser.c:2088-2225, global_parser.c:2278-2460). A keyword we
//! implement is read; one keepalived knows and we do not is refused as
//! `'X' is not supported yet`; any other as `unknown keyword 'X'`.
//! A single-valued keyword written twice in one block is refused
//! (keepalived keeps one of them, and says so only for some).

use std::collections::BTreeMap;

use ha_conf::ConfigError;

use super::model::{Command, Notify, ScriptUser};
use super::tree::{Block, Statement};

mod addresses;
mod global;
mod instance;
mod keywords;
mod script;

pub use global::global_defs;
pub use instance::vrrp_instance;
pub use script::{vrrp_script, vrrp_sync_group};

/// The refusal of a keyword a section does not read.
pub(crate) fn refuse(statement: &Statement, known: &[&str], section: &str) -> ConfigError {
    if known.contains(&statement.name()) {
        statement.error(format!(
            "{section}: '{}' is not supported yet",
            statement.name()
        ))
    } else {
        statement.error(format!("{section}: unknown keyword '{}'", statement.name()))
    }
}

/// Remembers the single-valued keywords of one block.
#[derive(Default)]
pub(crate) struct Seen(BTreeMap<String, u32>);

impl Seen {
    /// Refuses a keyword already written in this block.
    pub(crate) fn first(&mut self, statement: &Statement) -> Result<(), ConfigError> {
        let line = statement.keyword.location.line;
        match self.0.insert(statement.name().to_string(), line) {
            None => Ok(()),
            Some(first) => Err(statement.error(format!(
                "'{}' written twice in this block (first at line {first})",
                statement.name()
            ))),
        }
    }
}

/// The statements of a keyword's block; a missing block is an error.
pub(crate) fn block_of(statement: &Statement) -> Result<&Block, ConfigError> {
    statement.block.as_ref().ok_or_else(|| {
        statement.error(format!(
            "{}: expected a block in '{{' and '}}'",
            statement.name()
        ))
    })
}

/// Refuses a block where none belongs.
pub(crate) fn no_block(statement: &Statement) -> Result<(), ConfigError> {
    match &statement.block {
        None => Ok(()),
        Some(_) => Err(statement.error(format!("{}: takes no block", statement.name()))),
    }
}

/// Pushes the error of a result.
pub(crate) fn note<T>(errors: &mut Vec<ConfigError>, result: Result<T, ConfigError>) -> Option<T> {
    match result {
        Ok(v) => Some(v),
        Err(e) => {
            errors.push(e);
            None
        }
    }
}

/// `USER [GROUP]` from the words starting at `from`.
pub(crate) fn script_user(
    statement: &Statement,
    from: usize,
) -> Result<Option<ScriptUser>, ConfigError> {
    let words = statement.args.get(from..).unwrap_or_default();
    match words {
        [] => Ok(None),
        [user] => Ok(Some(ScriptUser {
            user: user.text.clone(),
            group: None,
        })),
        [user, group] => Ok(Some(ScriptUser {
            user: user.text.clone(),
            group: Some(group.text.clone()),
        })),
        [_, _, extra, ..] => Err(extra.error(format!(
            "{}: expected a command, then optionally a user and a group; found also '{}'",
            statement.name(),
            extra.text
        ))),
    }
}

/// A notify script: the command line (one word, quoted when it has
/// spaces), then optionally a user and a group.
pub(crate) fn command(statement: &Statement) -> Result<Command, ConfigError> {
    let Some(first) = statement.args.first() else {
        return Err(statement.error(format!(
            "{}: expected a command (quoted when it has arguments)",
            statement.name()
        )));
    };
    if first.text.trim().is_empty() {
        return Err(first.error(format!("{}: the command is empty", statement.name())));
    }
    Ok(Command {
        command: first.text.clone(),
        user: script_user(statement, 1)?,
    })
}

/// Reads a notify keyword into `notify`; `false` when it is not one.
pub(crate) fn notify_keyword(
    statement: &Statement,
    notify: &mut Notify,
    seen: &mut Seen,
    errors: &mut Vec<ConfigError>,
) -> bool {
    let slot = match statement.name() {
        "notify_master" => &mut notify.master,
        "notify_backup" => &mut notify.backup,
        "notify_fault" => &mut notify.fault,
        "notify_stop" => &mut notify.stop,
        "notify" => &mut notify.any,
        _ => return false,
    };
    if note(errors, seen.first(statement).and(no_block(statement))).is_some() {
        *slot = note(errors, command(statement));
    }
    true
}
