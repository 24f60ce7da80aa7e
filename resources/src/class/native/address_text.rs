//! How the argument and the description of an address resource read, for
//! IPaddr and IPv6addr alike: `ADDRESS[/PREFIX[/INTERFACE]]`, and the
//! address with where it goes.

use std::fmt::Display;

/// `ADDRESS[/PREFIX[/INTERFACE]]`: the interface is written only with a
/// prefix, as the positional syntax cannot skip the prefix.
pub(crate) fn positional(
    address: impl Display,
    prefix: Option<u8>,
    interface: Option<&str>,
) -> String {
    let mut arg = address.to_string();
    if let Some(prefix) = prefix {
        arg.push_str(&format!("/{prefix}"));
        if let Some(interface) = interface {
            arg.push('/');
            arg.push_str(interface);
        }
    }
    arg
}

/// `ADDRESS[/PREFIX]` and where it goes: ` on INTERFACE`, else where the
/// interface (and the prefix, when not given) come from, e.g.
/// `10.0.0.5 (interface and prefix from the subnet that holds it)` for
/// `found_from` "the subnet that holds it".
pub(crate) fn placement(
    address: impl Display,
    prefix: Option<u8>,
    interface: Option<&str>,
    found_from: &str,
) -> String {
    let mut text = address.to_string();
    if let Some(prefix) = prefix {
        text.push_str(&format!("/{prefix}"));
    }
    match (interface, prefix) {
        (Some(interface), _) => text.push_str(&format!(" on {interface}")),
        (None, Some(_)) => text.push_str(&format!(" (interface from {found_from})")),
        (None, None) => text.push_str(&format!(" (interface and prefix from {found_from})")),
    }
    text
}
