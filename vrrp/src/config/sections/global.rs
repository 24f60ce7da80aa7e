//! `global_defs`.

use std::time::Duration;

use ha_conf::ConfigError;

use super::keywords::GLOBAL_KNOWN;
use super::{block_of, no_block, note, refuse, script_user, Seen};
use crate::config::model::{GlobalDefs, SmtpServer};
use crate::config::tree::{Block, Statement};
use crate::config::values::{flag, none, one, seconds, unsigned, whole_seconds};
use crate::packet::Version;

/// `global_defs { ... }`.
pub fn global_defs(block: &Block, global: &mut GlobalDefs, errors: &mut Vec<ConfigError>) {
    let mut seen = Seen::default();
    for s in &block.statements {
        let name = s.name();
        if name != "notification_email" && note(errors, no_block(s)).is_none() {
            continue;
        }
        if let Err(e) = seen.first(s) {
            errors.push(e);
            continue;
        }
        let result = match name {
            "router_id" => one(s).map(|w| global.router_id = Some(w.text.clone())),
            "notification_email" => block_of(s).and_then(|b| {
                none(s)?;
                let mut list = Vec::new();
                for line in &b.statements {
                    if line.block.is_some() || !line.args.is_empty() {
                        return Err(line.error("notification_email: expected one address per line"));
                    }
                    list.push(line.keyword.text.clone());
                }
                global.notification_email = list;
                Ok(())
            }),
            "notification_email_from" => {
                one(s).map(|w| global.notification_email_from = Some(w.text.clone()))
            }
            "smtp_server" => smtp_server(s).map(|v| global.smtp_server = Some(v)),
            "smtp_connect_timeout" => one(s)
                .and_then(|w| whole_seconds(w, name, 1, u32::MAX / 1_000_000))
                .map(|v| global.smtp_connect_timeout = v),
            "script_user" => match s.args.first() {
                None => Err(s.error("script_user: expected a user name")),
                Some(_) => script_user(s, 0).map(|v| global.script_user = v),
            },
            "enable_script_security" => none(s).map(|()| global.enable_script_security = true),
            "vrrp_version" => one(s)
                .and_then(|w| version(w, name))
                .map(|v| global.vrrp_version = v),
            "vrrp_garp_master_delay" => one(s)
                .and_then(|w| whole_seconds(w, name, 0, u32::MAX / 1_000_000))
                .map(|v| global.vrrp_garp_master_delay = v),
            "vrrp_garp_master_repeat" => one(s)
                .and_then(|w| unsigned(w, name, 1, u32::MAX))
                .map(|v| global.vrrp_garp_master_repeat = v),
            "vrrp_garp_master_refresh" => one(s)
                .and_then(|w| whole_seconds(w, name, 0, u32::MAX))
                .map(|v| global.vrrp_garp_master_refresh = v),
            "vrrp_garp_master_refresh_repeat" => one(s)
                .and_then(|w| unsigned(w, name, 1, u32::MAX))
                .map(|v| global.vrrp_garp_master_refresh_repeat = v),
            "vrrp_garp_interval" => one(s)
                .and_then(|w| seconds(w, name, Duration::from_micros(1), Duration::from_secs(4294)))
                .map(|v| global.vrrp_garp_interval = v),
            "vrrp_gna_interval" => one(s)
                .and_then(|w| seconds(w, name, Duration::from_micros(1), Duration::from_secs(4294)))
                .map(|v| global.vrrp_gna_interval = v),
            "vrrp_strict" => none(s).map(|()| global.vrrp_strict = true),
            "v3_checksum_as_v2" => flag(s).map(|v| global.v3_checksum_as_v2 = v),
            _ => Err(refuse(s, GLOBAL_KNOWN, "global_defs")),
        };
        note(errors, result);
    }
}

fn smtp_server(s: &Statement) -> Result<SmtpServer, ConfigError> {
    match s.args.as_slice() {
        [host] => Ok(SmtpServer {
            host: host.text.clone(),
            port: 25,
        }),
        [host, port] => Ok(SmtpServer {
            host: host.text.clone(),
            port: unsigned(port, "smtp_server port", 1, 65535)? as u16,
        }),
        [] => Err(s.error("smtp_server: expected a host and optionally a port")),
        [_, _, extra, ..] => Err(extra.error(format!(
            "smtp_server: expected a host and optionally a port, found also '{}'",
            extra.text
        ))),
    }
}

pub(crate) fn version(
    word: &crate::config::lexer::Word,
    what: &str,
) -> Result<Version, ConfigError> {
    match unsigned(word, what, 2, 3)? {
        2 => Ok(Version::V2),
        _ => Ok(Version::V3),
    }
}
