//! `vrrp_script` and `vrrp_sync_group`.

use std::time::Duration;

use ha_conf::ConfigError;

use super::keywords::{SCRIPT_KNOWN, SYNC_GROUP_KNOWN};
use super::{block_of, command, no_block, note, notify_keyword, refuse, script_user, Seen};
use crate::config::model::{Notify, SyncGroup, VrrpScript};
use crate::config::tree::{Block, Statement};
use crate::config::values::{flag, none, one, signed, unsigned, whole_seconds};

/// `vrrp_script NAME { ... }`.
pub fn vrrp_script(s: &Statement, errors: &mut Vec<ConfigError>) -> Option<VrrpScript> {
    let name = note(errors, one(s))?.text.clone();
    let block = note(errors, block_of(s))?;
    let mut script = VrrpScript {
        name,
        script: String::new(),
        interval: Duration::from_secs(1),
        timeout: None,
        weight: 0,
        weight_reverse: false,
        rise: 1,
        fall: 1,
        user: None,
    };
    let mut seen = Seen::default();
    let mut has_script = false;
    let before = errors.len();
    for k in &block.statements {
        if note(errors, no_block(k).and(seen.first(k))).is_none() {
            continue;
        }
        let what = k.name();
        let result = match what {
            "script" => command(k).and_then(|c| {
                if c.user.is_some() {
                    return Err(k.error(
                        "script: expected one command (quoted when it has arguments); \
                         use 'user' for the user",
                    ));
                }
                has_script = true;
                script.script = c.command;
                Ok(())
            }),
            "interval" => one(k)
                .and_then(|w| whole_seconds(w, what, 1, u32::MAX / 1_000_000))
                .map(|v| script.interval = v),
            "timeout" => one(k)
                .and_then(|w| whole_seconds(w, what, 1, u32::MAX / 1_000_000))
                .map(|v| script.timeout = Some(v)),
            "weight" => match k.args.as_slice() {
                [w] => signed(w, what, -253, 253).map(|v| script.weight = v),
                [w, r] if r.text == "reverse" => signed(w, what, -253, 253).map(|v| {
                    script.weight = v;
                    script.weight_reverse = true;
                }),
                _ => {
                    Err(k.error("weight: expected a number from -253 to 253, optionally 'reverse'"))
                }
            },
            "rise" => one(k)
                .and_then(|w| unsigned(w, what, 1, i32::MAX as u32))
                .map(|v| script.rise = v),
            "fall" => one(k)
                .and_then(|w| unsigned(w, what, 1, i32::MAX as u32))
                .map(|v| script.fall = v),
            "user" => match k.args.first() {
                None => Err(k.error("user: expected a user name")),
                Some(_) => script_user(k, 0).map(|v| script.user = v),
            },
            _ => Err(refuse(k, SCRIPT_KNOWN, "vrrp_script")),
        };
        note(errors, result);
    }
    if !has_script {
        errors.push(s.error(format!(
            "vrrp_script {}: expected a 'script' line",
            script.name
        )));
    }
    (errors.len() == before).then_some(script)
}

/// `vrrp_sync_group NAME { ... }`.
pub fn vrrp_sync_group(s: &Statement, errors: &mut Vec<ConfigError>) -> Option<SyncGroup> {
    let name = note(errors, one(s))?.text.clone();
    let block = note(errors, block_of(s))?;
    let mut group = SyncGroup {
        name,
        group: Vec::new(),
        notify: Notify::default(),
        smtp_alert: None,
    };
    let mut seen = Seen::default();
    let mut has_group = false;
    for k in &block.statements {
        if notify_keyword(k, &mut group.notify, &mut seen, errors) {
            continue;
        }
        let result = match k.name() {
            "group" => seen.first(k).and_then(|()| {
                none(k)?;
                has_group = true;
                group.group = names(block_of(k)?, "group")?;
                Ok(())
            }),
            "smtp_alert" => seen
                .first(k)
                .and(no_block(k))
                .and_then(|()| flag(k))
                .map(|v| group.smtp_alert = Some(v)),
            _ => Err(refuse(k, SYNC_GROUP_KNOWN, "vrrp_sync_group")),
        };
        note(errors, result);
    }
    if !has_group {
        errors.push(s.error(format!(
            "vrrp_sync_group {}: expected a 'group {{ ... }}' of instances",
            group.name
        )));
        return None;
    }
    Some(group)
}

/// One name per word of a block (instance names, peers).
fn names(block: &Block, what: &str) -> Result<Vec<String>, ConfigError> {
    let mut out = Vec::new();
    for line in &block.statements {
        if line.block.is_some() {
            return Err(line.error(format!("{what}: expected names, not a block")));
        }
        out.push(line.keyword.text.clone());
        out.extend(line.args.iter().map(|w| w.text.clone()));
    }
    Ok(out)
}
