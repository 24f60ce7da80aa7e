//! The media lines of ha.cf: `bcast`, `ucast`, `mcast` and `serial`, and the
//! `baud` of the serial lines, and heartbeat's IPv6 media `ucast6` and
//! `mcast6`.
//!
//! `serial` takes one or more devices, each a full path as heartbeat's serial
//! plugin demands (whether it exists is seen when the node opens it). `baud`
//! takes one of the rates heartbeat accepts.
//!
//! `bcast` takes one or more interfaces (each becomes a medium); `ucast` and
//! `mcast` describe one medium per line, split on whitespace only, as
//! heartbeat's plugins read them. `bcast` and `ucast` use the `udpport` in
//! effect when they are read; `mcast` names its own port.
//!
//! heartbeat 3.0.6 ships `ucast6` and `mcast6` plugins
//! (lib/plugins/HBcomm/ucast6.c, mcast6.c). `ucast6 IFACE PEER` takes a
//! numeric IPv6 address (a link-local one may carry `%IFACE` or
//! `%INDEX`, which must name the line's interface) and `udpport`;
//! `mcast6 IFACE GROUP PORT HOPS LOOP` takes a group that passes the
//! plugin's check (`ff00::/8`, flags 0 or transient, a scope of link,
//! admin, site or organization, not all zeros after the scope) and a hop
//! limit of at most 4, as the plugin demands.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ha_transport::serial::baud;
use ha_transport::spec::MediumSpec;

use super::values::port;

/// Linux keeps interface names in 16 bytes, terminator included.
const MAX_INTERFACE_NAME: usize = 15;

/// An interface name as Linux accepts it.
fn interface(directive: &str, text: &str) -> Result<String, String> {
    if let Some((base, _)) = text.split_once(':') {
        return Err(format!(
            "{directive}: '{text}' is an address label, not an interface; \
             name the interface itself ('{base}')"
        ));
    }
    if text.len() > MAX_INTERFACE_NAME {
        return Err(format!(
            "{directive}: interface name '{text}' is longer than {MAX_INTERFACE_NAME} bytes"
        ));
    }
    if text == "." || text == ".." || text.contains('/') {
        return Err(format!(
            "{directive}: '{text}' is not a valid interface name"
        ));
    }
    Ok(text.to_owned())
}

/// `bcast IFACE...`: one broadcast medium per interface.
pub(super) fn bcast(
    directive: &str,
    values: &[&str],
    port: u16,
) -> Vec<Result<MediumSpec, String>> {
    if values.is_empty() {
        return vec![Err(format!(
            "{directive}: expected one or more interface names, found nothing"
        ))];
    }
    values
        .iter()
        .map(|name| {
            interface(directive, name).map(|interface| MediumSpec::Broadcast { interface, port })
        })
        .collect()
}

/// `serial DEVICE...`: one serial medium per device, at `baud`.
pub(super) fn serial(
    directive: &str,
    values: &[&str],
    baud: u32,
) -> Vec<Result<MediumSpec, String>> {
    if values.is_empty() {
        return vec![Err(format!(
            "{directive}: expected one or more serial devices (serial /dev/ttyS0), found nothing"
        ))];
    }
    values
        .iter()
        .map(|device| {
            if !device.starts_with('/') {
                return Err(format!(
                    "{directive}: '{device}' is not a full path; name the device as \
                     /dev/{device} or wherever it lives"
                ));
            }
            Ok(MediumSpec::Serial {
                device: (*device).to_owned(),
                baud,
            })
        })
        .collect()
}

/// The value of `baud RATE`: a rate heartbeat accepts.
pub(super) fn baud_rate(directive: &str, text: &str) -> Result<u32, String> {
    let accepted = || {
        baud::RATES
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    };
    match text.parse::<u32>() {
        Ok(rate) if baud::is_supported(rate) => Ok(rate),
        _ => Err(format!(
            "{directive}: {text} is not a rate heartbeat accepts; the rates are {}",
            accepted()
        )),
    }
}

/// `ucast IFACE PEER-IP`: unicast to one IPv4 peer.
pub(super) fn ucast(directive: &str, words: &[&str], port: u16) -> Result<MediumSpec, String> {
    let [name, peer] = words else {
        return Err(format!(
            "{directive}: expected an interface and the peer's IPv4 address \
             (ucast eth0 10.0.0.2), found {}",
            found(words)
        ));
    };
    let interface = interface(directive, name)?;
    let peer = match peer.parse::<IpAddr>() {
        Ok(IpAddr::V4(peer)) => peer,
        Ok(IpAddr::V6(_)) => {
            return Err(format!(
                "{directive}: '{peer}' is an IPv6 address; IPv6 peers go on ucast6 lines \
                 (ucast6 {name} {peer})"
            ))
        }
        Err(_) => {
            return Err(format!(
                "{directive}: expected the peer's IPv4 address, found '{peer}' \
                 (host names are not supported yet)"
            ))
        }
    };
    Ok(MediumSpec::Unicast {
        interface,
        peer: IpAddr::V4(peer),
        port,
    })
}

/// `ucast6 IFACE PEER-IPV6`: unicast to one IPv6 peer.
pub(super) fn ucast6(directive: &str, words: &[&str], port: u16) -> Result<MediumSpec, String> {
    let [name, peer] = words else {
        return Err(format!(
            "{directive}: expected an interface and the peer's IPv6 address \
             (ucast6 eth0 fe80::2), found {}",
            found(words)
        ));
    };
    let interface = interface(directive, name)?;
    let (address, scope) = match peer.split_once('%') {
        Some((address, scope)) => (address, Some(scope)),
        None => (*peer, None),
    };
    let peer = match address.parse::<IpAddr>() {
        Ok(IpAddr::V6(peer)) => peer,
        Ok(IpAddr::V4(_)) => {
            return Err(format!(
                "{directive}: '{peer}' is an IPv4 address; IPv4 peers go on ucast lines \
                 (ucast {interface} {peer})"
            ))
        }
        Err(_) => {
            return Err(format!(
                "{directive}: expected the peer's IPv6 address, found '{peer}' \
                 (host names are not resolved: write the address)"
            ))
        }
    };
    if let Some(scope) = scope {
        if !peer.is_unicast_link_local() {
            return Err(format!(
                "{directive}: only a link-local address (fe80::/10) takes a scope, \
                 found '{address}%{scope}'"
            ));
        }
        if scope != interface && scope.parse::<u32>().is_err() {
            return Err(format!(
                "{directive}: the scope of '{address}%{scope}' is not the line's \
                 interface {interface}"
            ));
        }
    }
    Ok(MediumSpec::Unicast {
        interface,
        peer: IpAddr::V6(peer),
        port,
    })
}

/// `mcast6 IFACE GROUP PORT HOPS LOOP`: IPv6 multicast.
pub(super) fn mcast6(directive: &str, words: &[&str]) -> Result<MediumSpec, String> {
    let [name, group, port_text, hops, loopback] = words else {
        return Err(format!(
            "{directive}: expected IFACE GROUP PORT HOPS LOOP \
             (mcast6 eth0 ff12::1:2:3:4 694 1 0), found {}",
            found(words)
        ));
    };
    Ok(MediumSpec::Multicast6 {
        interface: interface(directive, name)?,
        group: multicast6_group(directive, group)?,
        port: port(directive, port_text)?,
        hops: multicast6_hops(directive, hops)?,
        loopback: multicast_loop(directive, loopback)?,
    })
}

/// An IPv6 multicast group heartbeat's mcast6 accepts (its
/// `is_valid_mcast6_addr`).
fn multicast6_group(directive: &str, text: &str) -> Result<Ipv6Addr, String> {
    let Ok(group) = text.parse::<Ipv6Addr>() else {
        return Err(format!(
            "{directive}: expected an IPv6 multicast group (ff12::1:2:3:4), found '{text}'"
        ));
    };
    let octets = group.octets();
    let refuse = |why: &str| Err(format!("{directive}: '{text}' {why}"));
    if octets[0] != 0xff {
        return refuse("is not a multicast group (ff00::/8)");
    }
    if octets[1] & 0xe0 != 0 {
        return refuse("has reserved flags set (only the transient flag, ff1x::, is allowed)");
    }
    match octets[1] & 0x0f {
        0x2 | 0x4 | 0x5 | 0x8 => {}
        0x1 => return refuse("has interface-local scope, useless for heartbeats"),
        0xe => return refuse("has global scope, which heartbeat refuses for heartbeats"),
        _ => {
            return refuse(
                "has a reserved or unassigned scope (the scopes allowed: link 2, admin 4, \
                 site 5, organization 8)",
            )
        }
    }
    if octets[2..].iter().all(|b| *b == 0) {
        return refuse("is reserved (all zeros after the scope)");
    }
    Ok(group)
}

/// The hop limit of mcast6: 1 to 4 (heartbeat refuses more than 4; 0 would
/// never leave this host).
fn multicast6_hops(directive: &str, text: &str) -> Result<u8, String> {
    let hops = text
        .bytes()
        .all(|b| b.is_ascii_digit())
        .then(|| text.parse::<u8>().ok())
        .flatten();
    match hops {
        Some(0) => Err(format!(
            "{directive}: a hop limit of 0 never leaves this host; 1 is right for the local network"
        )),
        Some(hops @ 1..=4) => Ok(hops),
        _ => Err(format!(
            "{directive}: expected a hop limit from 1 to 4 (heartbeat's limit), found '{text}'"
        )),
    }
}

/// `mcast IFACE GROUP PORT TTL LOOP`: IPv4 multicast.
pub(super) fn mcast(directive: &str, words: &[&str]) -> Result<MediumSpec, String> {
    let [name, group, port_text, ttl, loopback] = words else {
        return Err(format!(
            "{directive}: expected IFACE GROUP PORT TTL LOOP \
             (mcast eth0 239.0.0.1 694 1 0), found {}",
            found(words)
        ));
    };
    Ok(MediumSpec::Multicast {
        interface: interface(directive, name)?,
        group: multicast_group(directive, group)?,
        port: port(directive, port_text)?,
        ttl: multicast_ttl(directive, ttl)?,
        loopback: multicast_loop(directive, loopback)?,
    })
}

/// An IPv4 multicast group, 224.0.0.0/4.
fn multicast_group(directive: &str, text: &str) -> Result<Ipv4Addr, String> {
    match text.parse::<Ipv4Addr>() {
        Ok(group) if group.is_multicast() => Ok(group),
        _ => Err(format!(
            "{directive}: expected a multicast group from 224.0.0.0 to 239.255.255.255, \
             found '{text}'"
        )),
    }
}

/// The multicast TTL: 1 to 255 (0 would never leave this host).
fn multicast_ttl(directive: &str, text: &str) -> Result<u8, String> {
    let ttl = text
        .bytes()
        .all(|b| b.is_ascii_digit())
        .then(|| text.parse::<u8>().ok())
        .flatten();
    match ttl {
        Some(0) => Err(format!(
            "{directive}: a TTL of 0 never leaves this host; use 1 for the local network"
        )),
        Some(ttl) => Ok(ttl),
        None => Err(format!(
            "{directive}: expected a TTL from 1 to 255, found '{text}'"
        )),
    }
}

/// The multicast loop flag: 0 or 1.
fn multicast_loop(directive: &str, text: &str) -> Result<bool, String> {
    match text {
        "0" => Ok(false),
        "1" => Ok(true),
        _ => Err(format!("{directive}: expected loop 0 or 1, found '{text}'")),
    }
}

/// The words found, quoted, or `nothing`.
fn found(words: &[&str]) -> String {
    if words.is_empty() {
        "nothing".to_owned()
    } else {
        format!("'{}'", words.join(" "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bcast_makes_one_medium_per_interface() {
        let media = bcast("bcast", &["eth0", "eth1"], 695);
        assert_eq!(
            media,
            vec![
                Ok(MediumSpec::Broadcast {
                    interface: "eth0".into(),
                    port: 695
                }),
                Ok(MediumSpec::Broadcast {
                    interface: "eth1".into(),
                    port: 695
                }),
            ]
        );
        assert_eq!(
            bcast("bcast", &[], 694),
            vec![Err(
                "bcast: expected one or more interface names, found nothing".to_owned()
            )]
        );
    }

    #[test]
    fn interface_names_are_checked() {
        assert_eq!(
            bcast("bcast", &["eth0:0"], 694),
            vec![Err(
                "bcast: 'eth0:0' is an address label, not an interface; \
                      name the interface itself ('eth0')"
                    .to_owned()
            )]
        );
        assert_eq!(
            bcast("bcast", &["a-very-long-name0"], 694),
            vec![Err(
                "bcast: interface name 'a-very-long-name0' is longer than 15 bytes".to_owned()
            )]
        );
        assert!(bcast("bcast", &[".."], 694)[0].is_err());
        assert!(bcast("bcast", &["a/b"], 694)[0].is_err());
    }

    #[test]
    fn ucast_needs_an_interface_and_an_ipv4_peer() {
        assert_eq!(
            ucast("ucast", &["eth0", "192.168.8.126"], 694),
            Ok(MediumSpec::Unicast {
                interface: "eth0".into(),
                peer: "192.168.8.126".parse().expect("address"),
                port: 694
            })
        );
        assert_eq!(
            ucast("ucast", &["eth0"], 694),
            Err("ucast: expected an interface and the peer's IPv4 address \
                 (ucast eth0 10.0.0.2), found 'eth0'"
                .to_owned())
        );
        assert_eq!(
            ucast("ucast", &["eth0", "node2"], 694),
            Err("ucast: expected the peer's IPv4 address, found 'node2' \
                 (host names are not supported yet)"
                .to_owned())
        );
        assert_eq!(
            ucast("ucast", &["eth0", "fe80::1"], 694),
            Err(
                "ucast: 'fe80::1' is an IPv6 address; IPv6 peers go on ucast6 lines \
                 (ucast6 eth0 fe80::1)"
                    .to_owned()
            )
        );
    }

    #[test]
    fn ucast6_takes_an_ipv6_peer_and_its_scope() {
        let peer = |text: &str| ucast6("ucast6", &["eth0", text], 694);
        assert_eq!(
            peer("fd00::2"),
            Ok(MediumSpec::Unicast {
                interface: "eth0".into(),
                peer: "fd00::2".parse().expect("address"),
                port: 694
            })
        );
        assert_eq!(peer("fe80::2%eth0"), peer("fe80::2"));
        assert!(peer("fe80::2%3").is_ok());
        assert_eq!(
            peer("fe80::2%eth1"),
            Err("ucast6: the scope of 'fe80::2%eth1' is not the line's interface eth0".into())
        );
        assert_eq!(
            peer("fd00::2%eth0"),
            Err(
                "ucast6: only a link-local address (fe80::/10) takes a scope, \
                 found 'fd00::2%eth0'"
                    .into()
            )
        );
        assert_eq!(
            peer("10.0.0.2"),
            Err(
                "ucast6: '10.0.0.2' is an IPv4 address; IPv4 peers go on ucast lines \
                 (ucast eth0 10.0.0.2)"
                    .into()
            )
        );
        assert!(peer("node2").is_err());
        assert!(ucast6("ucast6", &["eth0"], 694).is_err());
    }

    #[test]
    fn mcast6_follows_heartbeats_checks() {
        assert_eq!(
            mcast6("mcast6", &["eth0", "ff12::1:2:3:4", "694", "1", "0"]),
            Ok(MediumSpec::Multicast6 {
                interface: "eth0".into(),
                group: "ff12::1:2:3:4".parse().expect("group"),
                port: 694,
                hops: 1,
                loopback: false
            })
        );
        let group = |text: &str| mcast6("mcast6", &["eth0", text, "694", "1", "0"]);
        for good in [
            "ff02::1:2",
            "ff14::9",
            "ff15::9",
            "ff18::9",
            "ff12::1:2:3:4",
        ] {
            assert!(group(good).is_ok(), "{good}");
        }
        for bad in [
            "fd00::1",
            "ff11::9",
            "ff13::9",
            "ff1e::9",
            "ff32::9",
            "ff12::",
            "ff02::0",
            "x",
            "225.0.0.1",
        ] {
            assert!(group(bad).is_err(), "{bad}");
        }
        assert_eq!(
            group("ff1e::1").expect_err("global"),
            "mcast6: 'ff1e::1' has global scope, which heartbeat refuses for heartbeats"
        );
        let hops = |text: &str| mcast6("mcast6", &["eth0", "ff12::1", "694", text, "0"]);
        assert!(hops("4").is_ok());
        assert_eq!(
            hops("5").expect_err("too many"),
            "mcast6: expected a hop limit from 1 to 4 (heartbeat's limit), found '5'"
        );
        assert!(hops("0").is_err());
        assert!(mcast6("mcast6", &["eth0", "ff12::1", "694", "1"]).is_err());
        assert!(mcast6("mcast6", &["eth0", "ff12::1", "0", "1", "0"]).is_err());
        assert!(mcast6("mcast6", &["eth0", "ff12::1", "694", "1", "2"]).is_err());
    }

    #[test]
    fn mcast_has_five_fields() {
        assert_eq!(
            mcast("mcast", &["eth0", "225.0.0.1", "694", "1", "0"]),
            Ok(MediumSpec::Multicast {
                interface: "eth0".into(),
                group: Ipv4Addr::new(225, 0, 0, 1),
                port: 694,
                ttl: 1,
                loopback: false
            })
        );
        assert_eq!(
            mcast("mcast", &["eth0", "225.0.0.1", "694", "1"]),
            Err(
                "mcast: expected IFACE GROUP PORT TTL LOOP (mcast eth0 239.0.0.1 694 1 0), \
                 found 'eth0 225.0.0.1 694 1'"
                    .to_owned()
            )
        );
    }

    #[test]
    fn mcast_fields_are_checked() {
        let with = |group: &str, port: &str, ttl: &str, lp: &str| {
            mcast("mcast", &["eth0", group, port, ttl, lp]).expect_err("refused")
        };
        assert_eq!(
            with("10.0.0.1", "694", "1", "0"),
            "mcast: expected a multicast group from 224.0.0.0 to 239.255.255.255, found '10.0.0.1'"
        );
        assert_eq!(
            with("239.0.0.1", "0", "1", "0"),
            "mcast: expected a port number from 1 to 65535, found '0'"
        );
        assert_eq!(
            with("239.0.0.1", "694", "256", "0"),
            "mcast: expected a TTL from 1 to 255, found '256'"
        );
        assert_eq!(
            with("239.0.0.1", "694", "0", "0"),
            "mcast: a TTL of 0 never leaves this host; use 1 for the local network"
        );
        assert_eq!(
            with("239.0.0.1", "694", "1", "2"),
            "mcast: expected loop 0 or 1, found '2'"
        );
        assert!(mcast("mcast", &["eth0", "239.0.0.1", "694", "255", "1"]).is_ok());
    }
}
