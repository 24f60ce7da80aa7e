//! The argument of an IPaddr / IPaddr2 resource: `ADDR[/MASK[/IFACE[/BROADCAST]]]`.
//!
//! [`IpAddrStyle::from_name`] says whether a resource name is one of the two,
//! and [`IpAddrSpec::from_args`] reads the `::` arguments of such a
//! resource (exactly one).
//!
//! heartbeat's resource.d wrappers split the single argument on `/`: the
//! address, then the netmask (a prefix length, or a dotted netmask, which
//! findif converts), then the interface, then the broadcast address. When the
//! third field starts with a digit it is the broadcast address and there is
//! no interface (`10.0.0.5/24/10.0.0.255`). The interface may carry a label
//! as `IFACE:LABEL` (IPaddr2's `nic:iflabel` form). Where the wrappers would
//! silently drop a field (extra fields, empty fields) we refuse instead.

use std::fmt;
use std::net::Ipv4Addr;

use ha_net::arp::ArpSchedule;

use crate::class::native::address_text;

/// Longest interface name the kernel accepts (IFNAMSIZ - 1); also the
/// longest address label.
pub const MAX_INTERFACE_NAME: usize = 15;

/// Which of heartbeat's two IP address resource scripts a resource names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IpAddrStyle {
    /// `IPaddr`: the address gets an `IFACE:N` alias label (first free N).
    IPaddr,
    /// `IPaddr2`: no label unless one is given as `IFACE:LABEL`.
    IPaddr2,
}

impl IpAddrStyle {
    /// The style a resource name asks for, if it is `IPaddr` or `IPaddr2`
    /// (exactly: heartbeat's script names are case-sensitive).
    pub fn from_name(name: &str) -> Option<IpAddrStyle> {
        match name {
            "IPaddr" => Some(IpAddrStyle::IPaddr),
            "IPaddr2" => Some(IpAddrStyle::IPaddr2),
            _ => None,
        }
    }

    /// The resource type name as written in haresources.
    pub fn name(self) -> &'static str {
        match self {
            IpAddrStyle::IPaddr => "IPaddr",
            IpAddrStyle::IPaddr2 => "IPaddr2",
        }
    }
}

impl fmt::Display for IpAddrStyle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A parsed IPaddr / IPaddr2 argument.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IpAddrSpec {
    /// IPaddr or IPaddr2.
    pub style: IpAddrStyle,
    /// The service address.
    pub address: Ipv4Addr,
    /// Prefix length (1-32); `None` means that of the subnet the address
    /// falls in on the chosen interface.
    pub prefix: Option<u8>,
    /// Base interface; `None` means the interface whose subnet holds the address.
    pub interface: Option<String>,
    /// Label suffix from `IFACE:LABEL`; the address label becomes `IFACE:LABEL`.
    pub label: Option<String>,
    /// Broadcast address; `None` means computed from the prefix.
    pub broadcast: Option<Ipv4Addr>,
    /// The gratuitous ARP rounds sent when the address is added (send_arp's
    /// 5 × 200 ms unless the `ocf:heartbeat:` form sets them).
    pub arp: ArpSchedule,
}

impl IpAddrSpec {
    /// Reads the `::` arguments of an IPaddr / IPaddr2 resource: exactly
    /// one, `ADDRESS[/PREFIX[/INTERFACE[/BROADCAST]]]`.
    ///
    /// The error is a message without location, saying what was expected.
    pub fn from_args(style: IpAddrStyle, args: &[String]) -> Result<IpAddrSpec, String> {
        match args {
            [arg] => IpAddrSpec::parse(style, arg),
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

    /// Parses the argument after `IPaddr::` / `IPaddr2::` (or a bare address).
    ///
    /// The error is a message without location, saying what was expected.
    pub fn parse(style: IpAddrStyle, arg: &str) -> Result<IpAddrSpec, String> {
        let fields: Vec<&str> = arg.split('/').collect();
        if let Some(position) = fields.iter().position(|field| field.is_empty()) {
            return Err(format!(
                "{style} argument '{arg}' has an empty field {}; expected \
                 ADDRESS[/PREFIX[/INTERFACE[/BROADCAST]]]",
                position + 1
            ));
        }
        let mut fields = fields.into_iter();
        let address = parse_address(style, fields.next().unwrap_or_default())?;
        let prefix = fields
            .next()
            .map(|mask| parse_mask(style, mask))
            .transpose()?;
        let mut spec = IpAddrSpec {
            style,
            address,
            prefix,
            interface: None,
            label: None,
            broadcast: None,
            arp: ArpSchedule::default(),
        };
        if let Some(third) = fields.next() {
            if third.starts_with(|c: char| c.is_ascii_digit()) {
                spec.broadcast = Some(parse_broadcast(style, third)?);
            } else {
                let (interface, label) = parse_interface(style, third)?;
                spec.interface = Some(interface);
                spec.label = label;
                if let Some(fourth) = fields.next() {
                    spec.broadcast = Some(parse_broadcast(style, fourth)?);
                }
            }
        }
        if let Some(extra) = fields.next() {
            return Err(format!(
                "{style} argument '{arg}' has an unexpected field '{extra}'; expected \
                 ADDRESS[/PREFIX[/INTERFACE[/BROADCAST]]]"
            ));
        }
        Ok(spec)
    }

    /// The argument in canonical form (prefix as a number), e.g.
    /// `10.0.0.5/24/eth0:web/10.0.0.255`.
    ///
    /// The syntax cannot skip the prefix, so the interface and broadcast are
    /// written only when the prefix is known (as the parser guarantees).
    pub fn to_arg(&self) -> String {
        let mut arg =
            address_text::positional(self.address, self.prefix, self.interface_text().as_deref());
        if let (Some(_), Some(broadcast)) = (self.prefix, self.broadcast) {
            arg.push_str(&format!("/{broadcast}"));
        }
        arg
    }

    /// A one-line account of where the address goes, e.g.
    /// `10.0.0.2/24 on eth0` or `10.0.0.5 (interface and prefix from the
    /// subnet that holds it)`.
    pub fn describe(&self) -> String {
        let mut text = address_text::placement(
            self.address,
            self.prefix,
            self.interface_text().as_deref(),
            "the subnet that holds it",
        );
        if let Some(broadcast) = self.broadcast {
            text.push_str(&format!(", broadcast {broadcast}"));
        }
        if self.arp != ArpSchedule::default() {
            text.push_str(&format!(
                ", gratuitous ARP {} × {} ms",
                self.arp.count,
                self.arp.interval.as_millis()
            ));
        }
        text
    }

    /// The interface as written: `IFACE:LABEL` with a label, else `IFACE`.
    fn interface_text(&self) -> Option<String> {
        self.full_label().or_else(|| self.interface.clone())
    }

    /// The full address label, `IFACE:LABEL`, when both are known.
    pub fn full_label(&self) -> Option<String> {
        match (&self.interface, &self.label) {
            (Some(interface), Some(label)) => Some(format!("{interface}:{label}")),
            _ => None,
        }
    }
}

fn parse_address(style: IpAddrStyle, text: &str) -> Result<Ipv4Addr, String> {
    let address: Ipv4Addr = text.parse().map_err(|_| {
        format!(
            "{style}: '{text}' is not an IPv4 address; expected a dotted quad such as 192.168.1.10"
        )
    })?;
    if address.octets()[0] == 0 || address.is_multicast() || address.is_broadcast() {
        return Err(format!(
            "{style}: {address} cannot be a service address; expected a unicast IPv4 address"
        ));
    }
    Ok(address)
}

fn parse_mask(style: IpAddrStyle, text: &str) -> Result<u8, String> {
    let expected = "expected a prefix length 1-32 or a dotted netmask such as 255.255.255.0";
    if text.bytes().all(|b| b.is_ascii_digit()) {
        return match text.parse::<u8>() {
            Ok(prefix @ 1..=32) if text.len() <= 3 => Ok(prefix),
            _ => Err(format!(
                "{style}: prefix length '{text}' is out of range; {expected}"
            )),
        };
    }
    let mask: Ipv4Addr = text
        .parse()
        .map_err(|_| format!("{style}: '{text}' is not a netmask; {expected}"))?;
    let bits = u32::from(mask);
    let prefix = bits.leading_ones();
    if bits.checked_shl(prefix).unwrap_or(0) != 0 || prefix == 0 {
        return Err(format!(
            "{style}: netmask {mask} is not a contiguous mask of 1-32 bits; {expected}"
        ));
    }
    u8::try_from(prefix).map_err(|_| format!("{style}: netmask {mask}: {expected}"))
}

fn parse_broadcast(style: IpAddrStyle, text: &str) -> Result<Ipv4Addr, String> {
    if text == "+" || text == "-" {
        return Err(format!(
            "{style}: the broadcast symbol '{text}' is not supported; give the broadcast \
             address, or leave it out to have it computed from the prefix"
        ));
    }
    text.parse().map_err(|_| {
        format!("{style}: broadcast '{text}' is not an IPv4 address; expected e.g. 192.168.1.255")
    })
}

fn parse_interface(style: IpAddrStyle, text: &str) -> Result<(String, Option<String>), String> {
    let (interface, label) = match text.split_once(':') {
        Some((interface, label)) => (interface, Some(label)),
        None => (text, None),
    };
    let valid_name = |name: &str| {
        !name.is_empty()
            && name != "."
            && name != ".."
            && name
                .chars()
                .all(|c| c.is_ascii_graphic() && c != '/' && c != ':')
    };
    if !valid_name(interface) || interface.len() > MAX_INTERFACE_NAME {
        return Err(format!(
            "{style}: '{interface}' is not an interface name; expected at most \
             {MAX_INTERFACE_NAME} characters without '/' or ':', such as eth0"
        ));
    }
    if let Some(label) = label {
        if !valid_name(label) {
            return Err(format!(
                "{style}: interface label '{label}' is not valid; expected IFACE:LABEL such as eth0:web"
            ));
        }
        if interface.len() + 1 + label.len() > MAX_INTERFACE_NAME {
            return Err(format!(
                "{style}: address label '{text}' is longer than {MAX_INTERFACE_NAME} characters"
            ));
        }
    }
    Ok((interface.to_string(), label.map(str::to_string)))
}
