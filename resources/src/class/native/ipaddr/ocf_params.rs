//! `ocf:heartbeat:IPaddr2::name=value...` (and `IPaddr`) served natively:
//! resource-agents' parameter names read into the same spec as
//! heartbeat's positional form, plus the gratuitous-ARP schedule, which
//! only this form can set (`arp_count`, default 5; `arp_interval` in
//! milliseconds, default 200 — IPaddr2's parameters and defaults).
//!
//! Only resources whose every parameter is one of [`NATIVE_PARAMS`] are
//! served here; one with any other parameter (`lvs_support`, `arp_bg`, …)
//! runs resource-agents' own agent instead.

use std::time::Duration;

use ha_net::arp::ArpSchedule;

use super::arg::{IpAddrSpec, IpAddrStyle};

/// The parameters the native class understands.
pub const NATIVE_PARAMS: &[&str] = &[
    "ip",
    "cidr_netmask",
    "nic",
    "iflabel",
    "broadcast",
    "arp_count",
    "arp_interval",
];

/// The most gratuitous ARP rounds accepted.
const MAX_ARP_COUNT: u32 = 1000;
/// The longest pause between rounds accepted, in milliseconds.
const MAX_ARP_INTERVAL_MS: u64 = 60_000;

/// The style an `ocf:heartbeat:TYPE` name stands for, if TYPE is IPaddr or IPaddr2.
pub fn style_of(name: &str) -> Option<IpAddrStyle> {
    IpAddrStyle::from_name(name.strip_prefix("ocf:heartbeat:")?)
}

/// The spec of `name=value` arguments, or `None` when one of them is not
/// `name=value` or not a parameter served natively (the OCF agent runs).
pub fn from_params(style: IpAddrStyle, args: &[String]) -> Option<Result<IpAddrSpec, String>> {
    let mut params = Vec::new();
    for arg in args {
        let (name, value) = arg.split_once('=')?;
        if !NATIVE_PARAMS.contains(&name) {
            return None;
        }
        params.push((name, value));
    }
    Some(read(style, &params))
}

fn read(style: IpAddrStyle, params: &[(&str, &str)]) -> Result<IpAddrSpec, String> {
    let get = |wanted: &str| -> Result<Option<&str>, String> {
        let mut found = params.iter().filter(|(name, _)| *name == wanted);
        let first = found.next().map(|(_, value)| *value);
        if found.next().is_some() {
            return Err(format!(
                "ocf:heartbeat:{style}: parameter '{wanted}' is given twice"
            ));
        }
        Ok(first)
    };
    let ip = get("ip")?.ok_or_else(|| {
        format!("ocf:heartbeat:{style} needs ip=ADDRESS (its one required parameter)")
    })?;
    // The positional form's fields, in its order; the label goes with the interface.
    let mut positional = ip.to_string();
    let prefix = get("cidr_netmask")?;
    let nic = get("nic")?;
    let broadcast = get("broadcast")?;
    if let Some(prefix) = prefix {
        positional.push('/');
        positional.push_str(prefix);
    } else if nic.is_some() || broadcast.is_some() {
        return Err(format!(
            "ocf:heartbeat:{style}: nic and broadcast need cidr_netmask here (the native \
             class takes the prefix from the subnet only when nothing else is given)"
        ));
    }
    if let Some(nic) = nic {
        positional.push('/');
        positional.push_str(nic);
        if let Some(label) = get("iflabel")? {
            positional.push(':');
            positional.push_str(label);
        }
    } else if get("iflabel")?.is_some() {
        return Err(format!("ocf:heartbeat:{style}: iflabel needs nic"));
    }
    if let Some(broadcast) = broadcast {
        positional.push('/');
        positional.push_str(broadcast);
    }
    let mut spec = IpAddrSpec::parse(style, &positional)?;
    let mut arp = ArpSchedule::default();
    if let Some(count) = get("arp_count")? {
        arp.count = count
            .parse()
            .ok()
            .filter(|n| (1..=MAX_ARP_COUNT).contains(n))
            .ok_or_else(|| {
                format!("ocf:heartbeat:{style}: arp_count '{count}' is not 1 to {MAX_ARP_COUNT}")
            })?;
    }
    if let Some(interval) = get("arp_interval")? {
        let ms: u64 = interval
            .parse()
            .ok()
            .filter(|ms| (1..=MAX_ARP_INTERVAL_MS).contains(ms))
            .ok_or_else(|| {
                format!(
                    "ocf:heartbeat:{style}: arp_interval '{interval}' is not 1 to \
                     {MAX_ARP_INTERVAL_MS} milliseconds"
                )
            })?;
        arp.interval = Duration::from_millis(ms);
    }
    spec.arp = arp;
    Ok(spec)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::args;

    #[test]
    fn the_ocf_form_reads_like_the_positional_one_and_sets_the_arp_schedule() {
        let spec = from_params(
            IpAddrStyle::IPaddr2,
            &args(&[
                "ip=10.0.0.100",
                "cidr_netmask=24",
                "nic=eth0",
                "iflabel=web",
                "arp_count=10",
                "arp_interval=50",
            ]),
        )
        .expect("served natively")
        .expect("valid");
        let positional =
            IpAddrSpec::parse(IpAddrStyle::IPaddr2, "10.0.0.100/24/eth0:web").expect("valid");
        assert_eq!(spec.address, positional.address);
        assert_eq!(spec.prefix, positional.prefix);
        assert_eq!(spec.full_label(), positional.full_label());
        assert_eq!(
            spec.arp,
            ArpSchedule {
                count: 10,
                interval: Duration::from_millis(50)
            }
        );
        assert_eq!(positional.arp, ArpSchedule::default());
    }

    #[test]
    fn other_parameters_leave_it_to_the_agent_and_bad_values_are_named() {
        assert!(from_params(
            IpAddrStyle::IPaddr2,
            &args(&["ip=10.0.0.1", "lvs_support=true"])
        )
        .is_none());
        assert!(from_params(IpAddrStyle::IPaddr2, &args(&["10.0.0.1"])).is_none());
        let error = |list: &[&str]| {
            from_params(IpAddrStyle::IPaddr2, &args(list))
                .expect("served natively")
                .expect_err("invalid")
        };
        assert!(error(&["cidr_netmask=24"]).contains("needs ip=ADDRESS"));
        assert!(error(&["ip=10.0.0.1", "arp_count=0"]).contains("arp_count '0'"));
        assert!(error(&["ip=10.0.0.1", "arp_interval=x"]).contains("arp_interval 'x'"));
        assert!(error(&["ip=10.0.0.1", "ip=10.0.0.2"]).contains("given twice"));
        assert!(error(&["ip=10.0.0.1", "nic=eth0"]).contains("need cidr_netmask"));
    }
}
