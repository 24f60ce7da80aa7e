//! The media lines of ha.cf: `bcast`, `ucast`, `mcast` and `serial`, and the
//! `baud` of the serial lines.
//!
//! `serial` takes one or more devices, each a full path as heartbeat's serial
//! plugin demands (whether it exists is seen when the node opens it). `baud`
//! takes one of the rates heartbeat accepts.
//!
//! `bcast` takes one or more interfaces (each becomes a medium); `ucast` and
//! `mcast` describe one medium per line, split on whitespace only, as
//! heartbeat's plugins read them. `bcast` and `ucast` use the `udpport` in
//! effect when they are read; `mcast` names its own port.

use std::net::{IpAddr, Ipv4Addr};

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
                "{directive}: '{peer}' is an IPv6 address; IPv6 peers use ucast6, \
                 which is not supported yet"
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
                "ucast: 'fe80::1' is an IPv6 address; IPv6 peers use ucast6, \
                 which is not supported yet"
                    .to_owned()
            )
        );
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
