//! Reading a whole ldirectord.cf: the line loop, global settings, blocks.
//!
//! A line that is not indented is a global setting or a `virtual=` /
//! `virtual6=` line opening a block; indented lines belong to the open
//! block. Blank lines do not close a block (ldirectord closes it there, and
//! then refuses the indented lines that follow; here they stay in it). A
//! setting written twice takes the last value, as in ldirectord.

use super::block::{addr_port, apply_overridable, parse_fallback, Draft};
use super::keywords::{self, Scope, Status};
use super::lexer::{lex, LexError};
use super::model::{DirectorConfig, GlobalSettings, ServiceKey};
use super::values;
use ha_conf::{ConfigErrors, Diagnostics, Line, Source};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Reads and parses an ldirectord.cf file; every problem is reported, each
/// as `FILE:LINE: message`, in file order.
pub fn load(path: impl AsRef<Path>) -> Result<DirectorConfig, ConfigErrors> {
    let source = Source::read(path)?;
    parse(&source)
}

/// Parses the text of an ldirectord.cf file; every problem is reported,
/// each as `FILE:LINE: message`, in file order.
pub fn parse(source: &Source) -> Result<DirectorConfig, ConfigErrors> {
    let mut reader = Reader::default();
    for line in source.lines() {
        reader.line(&line);
    }
    reader.close_block();
    reader.diagnostics.finish(reader.config)
}

/// How a virtual service is named in messages: `tcp 192.0.2.1:80`,
/// `fwmark 5`, `fwmark 5 (IPv6)`.
pub fn describe_key(key: &ServiceKey) -> String {
    match key {
        ServiceKey::Address {
            protocol,
            addr,
            port,
        } => format!(
            "{} {}",
            protocol.name().to_ascii_lowercase(),
            addr_port(addr, *port)
        ),
        ServiceKey::FirewallMark { af, mark } => match af {
            ha_ipvs::AddressFamily::Inet => format!("fwmark {mark}"),
            ha_ipvs::AddressFamily::Inet6 => format!("fwmark {mark} (IPv6)"),
        },
    }
}

#[derive(Default)]
struct Reader {
    config: DirectorConfig,
    diagnostics: Diagnostics,
    block: Option<Draft>,
    /// Line of each virtual service read so far.
    keys: HashMap<ServiceKey, u32>,
}

impl Reader {
    fn line(&mut self, line: &Line) {
        let statement = match lex(line.text) {
            Ok(None) => return,
            Ok(Some(statement)) => statement,
            Err(LexError::NoKeyword(text)) => {
                self.diagnostics
                    .push(line.error(format!("expected KEYWORD=VALUE, found '{text}'")));
                return;
            }
        };
        if !statement.indented {
            self.close_block();
        }
        let keyword = statement.keyword;
        if let Err(message) = self.statement(line, keyword, statement.indented, statement.value) {
            self.diagnostics.push(line.error(message));
        }
    }

    fn statement(
        &mut self,
        line: &Line,
        keyword: &str,
        indented: bool,
        value: Option<&str>,
    ) -> Result<(), String> {
        if keyword == "virtual" || keyword == "virtual6" {
            self.close_block();
            let value = value.ok_or_else(|| format!("expected '=' after '{keyword}'"))?;
            let (draft, error) = Draft::open(line, value, keyword == "virtual6");
            self.block = Some(draft);
            if indented {
                return Err(format!(
                    "'{keyword}' starts a virtual service and must not be indented"
                ));
            }
            return error.map_or(Ok(()), Err);
        }
        let Some(known) = keywords::find(keyword) else {
            return Err(format!("unknown keyword '{keyword}'"));
        };
        if indented && self.block.is_none() {
            return Err(format!(
                "'{keyword}' is indented but no virtual= line comes before it"
            ));
        }
        match (known.scope, indented) {
            (Scope::Global, true) => {
                return Err(format!(
                    "'{keyword}' is a global setting and cannot be used inside a virtual service"
                ))
            }
            (Scope::Virtual, false) => {
                return Err(format!(
                    "'{keyword}' must be inside a virtual service (indented under a virtual= line)"
                ))
            }
            _ => {}
        }
        match known.status {
            Status::Implemented => {}
            Status::NotYet => return Err(format!("keyword '{keyword}' is not supported yet")),
            Status::Replaced(by) => {
                return Err(format!(
                    "keyword '{keyword}' is no longer supported by ldirectord: use {by}"
                ))
            }
        }
        let value = value.ok_or_else(|| format!("expected '=' after '{keyword}'"))?;
        match self.block.as_mut() {
            Some(draft) if indented => draft.apply(line, keyword, value),
            _ => apply_global(&mut self.config.global, line, keyword, value),
        }
    }

    fn close_block(&mut self) {
        let Some(draft) = self.block.take() else {
            return;
        };
        let Some(service) = draft.finish(&mut self.diagnostics) else {
            return;
        };
        let Some(at) = service.origin.location().cloned() else {
            return;
        };
        if let Some(first) = self.keys.insert(service.key, at.line) {
            self.diagnostics.push(ha_conf::ConfigError {
                location: at,
                message: format!(
                    "virtual service {} is already defined on line {first}",
                    describe_key(&service.key)
                ),
            });
            return;
        }
        self.config.virtual_services.push(service);
    }
}

/// Applies one global setting.
fn apply_global(
    global: &mut GlobalSettings,
    line: &Line,
    keyword: &str,
    value: &str,
) -> Result<(), String> {
    if apply_overridable(&mut global.defaults, keyword, value)? {
        return Ok(());
    }
    match keyword {
        "fallback" => global.fallback = Some(parse_fallback(line, value, false)?),
        "fallback6" => global.fallback6 = Some(parse_fallback(line, value, true)?),
        "autoreload" => global.autoreload = values::yes_no(value)?,
        "readdquiescent" => global.readd_quiescent = values::yes_no(value)?,
        "callback" => global.callback = Some(values::string(value, false)?),
        "logfile" => global.logfile = values::logfile(value)?,
        "maintenancedir" => {
            global.maintenance_dir = Some(PathBuf::from(values::string(value, false)?))
        }
        _ => {
            return Err(format!(
                "keyword '{keyword}' cannot be used outside a virtual service"
            ))
        }
    }
    Ok(())
}
