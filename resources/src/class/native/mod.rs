//! The resources served natively, inside the daemon, with no script:
//! `IPaddr` and `IPaddr2` (the [`ipaddr`] agent), `IPv6addr`
//! ([`ipv6addr`]), `IPsrcaddr` ([`ipsrcaddr`]) and `SendArp`
//! ([`send_arp`]) over ha-net, and `Delay` ([`delay`]). Each is served in
//! heartbeat's positional form and as `ocf:heartbeat:TYPE::name=value…`
//! when every parameter is one the native agent knows (any other leaves
//! the resource to resource-agents' agent). A native name wins over any
//! script of the same name, as the resolver's first step.

mod address_text;
mod agent_impl;
mod announcer;
pub mod delay;
pub mod ipaddr;
pub mod ipsrcaddr;
pub mod ipv6addr;
mod meta_data;
mod params;
pub mod send_arp;

#[cfg(test)]
mod meta_data_pinned;

use std::sync::Arc;

use crate::agent::Agent;
pub use delay::{DelayAgent, DelaySpec};
pub use ipaddr::{ArpSchedule, IpAddrAgent, IpAddrSpec, IpAddrStyle, MAX_INTERFACE_NAME};
pub use ipsrcaddr::{IpSrcAddrAgent, IpSrcAddrSpec};
pub use ipv6addr::{Ipv6AddrAgent, Ipv6AddrSpec};
pub use send_arp::{SendArpAgent, SendArpSpec};

/// A resource a native agent serves, with its arguments read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NativeSpec {
    /// `IPaddr::…`, `IPaddr2::…` or a bare IP address.
    IpAddr(IpAddrSpec),
    /// `IPv6addr::…`.
    Ipv6Addr(Ipv6AddrSpec),
    /// `IPsrcaddr::…`.
    IpSrcAddr(IpSrcAddrSpec),
    /// `SendArp::…`.
    SendArp(SendArpSpec),
    /// `Delay[::…]`.
    Delay(DelaySpec),
}

impl NativeSpec {
    /// The native resource `name` with `args`: `None` when no native agent
    /// serves that name (or, in the `ocf:heartbeat:` form, one of its
    /// parameters), `Some(Err(message))` when one does but the arguments
    /// are wrong (the message says what was expected).
    pub fn lookup(name: &str, args: &[String]) -> Option<Result<NativeSpec, String>> {
        if let Some(style) = ipaddr::ocf_params::style_of(name) {
            return ipaddr::ocf_params::from_params(style, args)
                .map(|spec| spec.map(NativeSpec::IpAddr));
        }
        if let Some(agent_type) = name.strip_prefix("ocf:heartbeat:") {
            return match agent_type {
                "IPv6addr" => Ipv6AddrSpec::from_params(args).map(|s| s.map(NativeSpec::Ipv6Addr)),
                "IPsrcaddr" => {
                    IpSrcAddrSpec::from_params(args).map(|s| s.map(NativeSpec::IpSrcAddr))
                }
                "SendArp" => SendArpSpec::from_params(args).map(|s| s.map(NativeSpec::SendArp)),
                "Delay" => DelaySpec::from_params(args).map(|s| s.map(NativeSpec::Delay)),
                _ => None,
            };
        }
        Some(match name {
            "IPv6addr" => Ipv6AddrSpec::from_args(args).map(NativeSpec::Ipv6Addr),
            "IPsrcaddr" => IpSrcAddrSpec::from_args(args).map(NativeSpec::IpSrcAddr),
            "SendArp" => SendArpSpec::from_args(args).map(NativeSpec::SendArp),
            "Delay" => DelaySpec::from_args(args).map(NativeSpec::Delay),
            _ => {
                let style = IpAddrStyle::from_name(name)?;
                IpAddrSpec::from_args(style, args).map(NativeSpec::IpAddr)
            }
        })
    }

    /// The names served natively in heartbeat's positional form.
    pub const NAMES: &'static [&'static str] = &[
        "IPaddr",
        "IPaddr2",
        "IPv6addr",
        "IPsrcaddr",
        "SendArp",
        "Delay",
    ];

    /// The resource type name, e.g. `IPaddr2`.
    pub fn name(&self) -> &'static str {
        match self {
            NativeSpec::IpAddr(spec) => spec.style.name(),
            NativeSpec::Ipv6Addr(_) => "IPv6addr",
            NativeSpec::IpSrcAddr(_) => "IPsrcaddr",
            NativeSpec::SendArp(_) => "SendArp",
            NativeSpec::Delay(_) => "Delay",
        }
    }

    /// One line on how it runs, e.g. `native IPaddr2: 10.0.0.2/24 on eth0`.
    pub fn describe(&self) -> String {
        let how = match self {
            NativeSpec::IpAddr(spec) => spec.describe(),
            NativeSpec::Ipv6Addr(spec) => spec.describe(),
            NativeSpec::IpSrcAddr(spec) => spec.describe(),
            NativeSpec::SendArp(spec) => spec.describe(),
            NativeSpec::Delay(spec) => spec.describe(),
        };
        format!("native {}: {how}", self.name())
    }

    /// The agent of the resource written `text` in haresources.
    pub fn agent(&self, text: &str) -> Arc<dyn Agent> {
        match self {
            NativeSpec::IpAddr(spec) => Arc::new(IpAddrAgent::new(text, spec.clone())),
            NativeSpec::Ipv6Addr(spec) => Arc::new(Ipv6AddrAgent::new(text, spec.clone())),
            NativeSpec::IpSrcAddr(spec) => Arc::new(IpSrcAddrAgent::new(text, *spec)),
            NativeSpec::SendArp(spec) => Arc::new(SendArpAgent::new(text, spec.clone())),
            NativeSpec::Delay(spec) => Arc::new(DelayAgent::new(text, *spec)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::args;
    use proptest::prelude::*;

    #[test]
    fn the_ocf_form_is_native_only_with_known_parameters() {
        let native = |name: &str, list: &[&str]| NativeSpec::lookup(name, &args(list));
        assert!(matches!(
            native("ocf:heartbeat:Delay", &["startdelay=1"]),
            Some(Ok(NativeSpec::Delay(_)))
        ));
        assert!(native("ocf:heartbeat:Delay", &["startdelay=1", "foo=2"]).is_none());
        assert!(native(
            "ocf:heartbeat:IPsrcaddr",
            &["ipaddress=10.0.0.1", "table=main"]
        )
        .is_none());
        assert!(native("ocf:heartbeat:Dummy", &[]).is_none());
        assert!(native("Filesystem", &["/dev/sda1", "/data"]).is_none());
        let described = native("IPsrcaddr", &["10.0.0.1"])
            .expect("native")
            .expect("valid")
            .describe();
        assert_eq!(
            described,
            "native IPsrcaddr: 10.0.0.1 as the default route's source"
        );
    }

    proptest! {
        #[test]
        fn any_arguments_are_read_or_refused_without_panic(
            pick in 0usize..NativeSpec::NAMES.len(),
            ocf in any::<bool>(),
            list in proptest::collection::vec("\\PC{0,40}", 0..4),
        ) {
            let base = NativeSpec::NAMES[pick];
            let name = if ocf { format!("ocf:heartbeat:{base}") } else { base.to_string() };
            match NativeSpec::lookup(&name, &list) {
                Some(Ok(spec)) => prop_assert!(spec.describe().starts_with("native ")),
                Some(Err(message)) => prop_assert!(!message.is_empty()),
                None => prop_assert!(ocf),
            }
        }
    }
}
