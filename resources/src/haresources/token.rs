//! One resource word of a haresources line: `TYPE`, `TYPE::ARG[::ARG...]`,
//! or a bare IP address.
//!
//! ResourceManager's rules: a word that looks like an IP address (its shell
//! pattern `[0-9]*.[0-9]*.[0-9]*.[0-9]*`) means `IPaddr::WORD`; otherwise the
//! part before the first `::` names a script (in /etc/ha.d/resource.d or
//! /etc/init.d) and the parts after it, split on `::`, are its arguments.
//! The IPaddr wrappers take exactly one argument.

use super::ipaddr_arg::{IpAddrSpec, IpAddrStyle};
use super::ResourceKind;

/// Whether heartbeat's `isip` pattern `[0-9]*.[0-9]*.[0-9]*.[0-9]*` matches.
pub(super) fn looks_like_ip(word: &str) -> bool {
    if !word.starts_with(|c: char| c.is_ascii_digit()) {
        return false;
    }
    // Three times: some '.' later on that is followed by a digit.
    let mut rest = &word[1..];
    for _ in 0..3 {
        let Some(next) = rest
            .char_indices()
            .find(|&(i, c)| c == '.' && rest[i + 1..].starts_with(|d: char| d.is_ascii_digit()))
        else {
            return false;
        };
        rest = &rest[next.0 + 2..];
    }
    true
}

/// Whether `name` can name a resource script.
fn valid_script_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with(['.', '-'])
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '+' | '@'))
}

/// Classifies one resource word; the error says what was expected.
pub(super) fn parse_resource(word: &str) -> Result<ResourceKind, String> {
    if looks_like_ip(word) {
        if word.contains("::") {
            return Err(format!(
                "'{word}' starts like an IP address, which heartbeat reads as \
                 IPaddr::{word}, but IPaddr takes a single argument"
            ));
        }
        return IpAddrSpec::parse(IpAddrStyle::IPaddr, word).map(ResourceKind::IpAddr);
    }
    let mut parts = word.split("::");
    let type_name = parts.next().unwrap_or_default();
    if !valid_script_name(type_name) {
        return Err(format!(
            "'{type_name}' is not a resource script name; expected NAME, \
             NAME::ARG[::ARG...] or an IP address"
        ));
    }
    let args: Vec<String> = parts.map(str::to_string).collect();
    if args.iter().any(String::is_empty) {
        return Err(format!(
            "'{word}' has an empty argument; arguments are separated by a single '::'"
        ));
    }
    let style = match type_name {
        "IPaddr" => IpAddrStyle::IPaddr,
        "IPaddr2" => IpAddrStyle::IPaddr2,
        _ => {
            return Ok(ResourceKind::Unsupported {
                type_name: type_name.to_string(),
                args,
            })
        }
    };
    match args.as_slice() {
        [arg] => IpAddrSpec::parse(style, arg).map(ResourceKind::IpAddr),
        [] => Err(format!(
            "{style} needs an address: {style}::ADDRESS[/PREFIX[/INTERFACE[/BROADCAST]]]"
        )),
        _ => Err(format!(
            "{style} takes one argument, ADDRESS[/PREFIX[/INTERFACE[/BROADCAST]]], \
             not {} separated by '::'",
            args.len()
        )),
    }
}
