//! The lines of `virtual_ipaddress` (`ADDR[/LEN] [brd B] [dev IF]
//! [scope S] [label L]`) and of `track_interface` / `track_script`
//! (`NAME [weight N [reverse]]`).

use std::net::IpAddr;

use ha_conf::ConfigError;

use super::no_block;
use crate::config::lexer::Word;
use crate::config::model::{Tracked, VirtualAddress};
use crate::config::tree::{Block, Statement};
use crate::config::values::signed;
use crate::packet::Family;

/// The lines of a `virtual_ipaddress` block.
pub(crate) fn virtual_addresses(
    block: &Block,
    what: &str,
) -> Result<Vec<VirtualAddress>, ConfigError> {
    let mut out = Vec::new();
    for line in &block.statements {
        no_block(line)?;
        out.push(virtual_address(line, what)?);
    }
    Ok(out)
}

fn virtual_address(line: &Statement, what: &str) -> Result<VirtualAddress, ConfigError> {
    let text = &line.keyword.text;
    let (addr, len) = match text.split_once('/') {
        Some((a, l)) => (a, Some(l)),
        None => (text.as_str(), None),
    };
    let address: IpAddr = addr
        .parse()
        .map_err(|_| line.error(format!("{what}: expected ADDRESS[/LENGTH], found '{text}'")))?;
    let max = match address {
        IpAddr::V4(_) => 32,
        IpAddr::V6(_) => 128,
    };
    let prefix_len = match len {
        None => None,
        Some(l) => Some(
            l.parse::<u8>()
                .ok()
                .filter(|l| *l <= max && !l.to_string().is_empty())
                .ok_or_else(|| {
                    line.error(format!("{what}: prefix length '{l}' is not 0 to {max}"))
                })?,
        ),
    };
    let mut vip = VirtualAddress {
        address,
        prefix_len,
        brd: None,
        dev: None,
        scope: None,
        label: None,
    };
    let mut words = line.args.iter();
    while let Some(option) = words.next() {
        match option.text.as_str() {
            "dev" => vip.dev = Some(next_value(&mut words, option, what)?.text.clone()),
            "label" => vip.label = Some(next_value(&mut words, option, what)?.text.clone()),
            "scope" => {
                let w = next_value(&mut words, option, what)?;
                let known = ["global", "site", "link", "host", "nowhere"];
                if !known.contains(&w.text.as_str()) && w.text.parse::<u8>().is_err() {
                    return Err(w.error(format!(
                        "{what}: scope '{}' is not global, site, link, host, nowhere or 0 to 255",
                        w.text
                    )));
                }
                vip.scope = Some(w.text.clone());
            }
            "brd" | "broadcast" => {
                let w = next_value(&mut words, option, what)?;
                let brd = crate::config::values::address(w, "brd")?;
                if Family::of(&brd) != Family::of(&address) || brd.is_ipv6() {
                    return Err(
                        w.error("brd: expected an IPv4 broadcast address for an IPv4 address")
                    );
                }
                vip.brd = Some(brd);
            }
            "peer" | "home" | "-nodad" | "nodad" | "noprefixroute" | "autojoin" | "track_group"
            | "no_track" | "preferred_lft" | "valid_lft" | "use_vmac" => {
                return Err(option.error(format!("{what}: '{}' is not supported yet", option.text)))
            }
            other => {
                return Err(option.error(format!(
                    "{what}: unknown option '{other}' (dev, label, scope, brd are read)"
                )))
            }
        }
    }
    Ok(vip)
}

/// The value after a virtual address option.
fn next_value<'a>(
    words: &mut std::slice::Iter<'a, Word>,
    option: &Word,
    what: &str,
) -> Result<&'a Word, ConfigError> {
    words
        .next()
        .ok_or_else(|| option.error(format!("{what}: '{}' expects a value", option.text)))
}

/// The lines of a `track_interface` or `track_script` block.
pub(crate) fn tracked(block: &Block, what: &str) -> Result<Vec<Tracked>, ConfigError> {
    let mut out = Vec::new();
    for line in &block.statements {
        no_block(line)?;
        let mut t = Tracked {
            name: line.keyword.text.clone(),
            weight: None,
            reverse: false,
        };
        match line.args.as_slice() {
            [] => {}
            [w, n] if w.text == "weight" => t.weight = Some(signed(n, "weight", -253, 253)?),
            [w, n, r] if w.text == "weight" && r.text == "reverse" => {
                t.weight = Some(signed(n, "weight", -253, 253)?);
                t.reverse = true;
            }
            [first, ..] => {
                return Err(first.error(format!(
                    "{what}: expected NAME [weight N [reverse]], found '{}'",
                    first.text
                )))
            }
        }
        out.push(t);
    }
    Ok(out)
}
