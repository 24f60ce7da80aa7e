//! heartbeat's own `resource.d` names, served by resource-agents' OCF
//! agents with heartbeat's positional arguments.
//!
//! heartbeat 3.0.6 ships a wrapper in `/etc/ha.d/resource.d` for each of
//! these names; each one turns its `::` arguments into `OCF_RESKEY_*`
//! parameters and runs `OCF_ROOT/resource.d/heartbeat/TYPE` (its
//! `hto-mapfuncs`). [`lookup`] does the same mapping here, so
//! `Filesystem::192.168.18.203:/http::/var/www/html::nfs` runs the
//! Filesystem agent with `device`, `directory` and `fstype` without any of
//! heartbeat's shell files. The mapping of each name follows its wrapper,
//! argument count included; the differences are that a wrong count is a
//! FILE:LINE error at check time (heartbeat printed a usage line when it
//! ran), and that `status` is the agent's `monitor` read by its exit code
//! (heartbeat's wrappers map it the same way, and their callers then read
//! the printed text).
//!
//! `IPaddr` and `IPaddr2` are not here: they run natively. `Delay`,
//! `IPsrcaddr`, `IPv6addr` and `SendArp` run natively too (the resolver's
//! first step); their wrappers' mapping stays here for a positional form
//! the native class would decline (today it declines none: a form it
//! cannot read is an error at its line). Their `ocf:heartbeat:` form with
//! a parameter the native class does not know runs the OCF agent directly.

/// Parameters as a wrapper sets them: name and value, in order.
type Params = Vec<(&'static str, String)>;

/// One heartbeat wrapper: its name, the OCF agent it runs, what its
/// arguments look like, and how they become parameters.
struct Wrapper {
    name: &'static str,
    agent_type: &'static str,
    usage: &'static str,
    params: fn(&[String]) -> Option<Params>,
}

/// heartbeat's wrappers, by name.
const WRAPPERS: &[Wrapper] = &[
    Wrapper {
        name: "AudibleAlarm",
        agent_type: "AudibleAlarm",
        usage: "AudibleAlarm[::NODE...]",
        params: |args| {
            Some(optional(
                "nodelist",
                (!args.is_empty()).then(|| args.join(" ")),
            ))
        },
    },
    Wrapper {
        name: "Delay",
        agent_type: "Delay",
        usage: "Delay[::STARTDELAY[::STOPDELAY]]",
        params: |args| match args {
            [] => Some(vec![("startdelay", "10".into())]),
            [start] => Some(vec![("startdelay", start.clone())]),
            [start, stop] => Some(vec![
                ("startdelay", start.clone()),
                ("stopdelay", stop.clone()),
            ]),
            _ => None,
        },
    },
    Wrapper {
        name: "Filesystem",
        agent_type: "Filesystem",
        usage: "Filesystem::DEVICE::DIRECTORY[::FSTYPE[::OPTIONS]]",
        params: |args| match args {
            [device, directory, rest @ ..] if rest.len() <= 2 => {
                let mut params = vec![("device", device.clone()), ("directory", directory.clone())];
                params.extend(optional("fstype", rest.first().cloned()));
                params.extend(optional("options", rest.get(1).cloned()));
                Some(params)
            }
            _ => None,
        },
    },
    Wrapper {
        name: "ICP",
        agent_type: "ICP",
        usage: "ICP::DRIVEID::DEVICE",
        params: |args| match args {
            [drive, device] => Some(vec![("driveid", drive.clone()), ("device", device.clone())]),
            _ => None,
        },
    },
    Wrapper {
        name: "IPsrcaddr",
        agent_type: "IPsrcaddr",
        usage: "IPsrcaddr::ADDRESS",
        params: |args| one(args, "ipaddress"),
    },
    Wrapper {
        name: "IPv6addr",
        agent_type: "IPv6addr",
        usage: "IPv6addr::ADDRESS[/PREFIX[/NIC]]",
        params: |args| match args {
            [spec] => {
                let mut parts = spec.splitn(3, '/');
                let address = parts.next().filter(|a| !a.is_empty())?;
                let mut params = vec![("ipv6addr", address.to_string())];
                params.extend(optional(
                    "cidr_netmask",
                    parts.next().filter(|p| !p.is_empty()).map(str::to_string),
                ));
                params.extend(optional(
                    "nic",
                    parts.next().filter(|n| !n.is_empty()).map(str::to_string),
                ));
                Some(params)
            }
            _ => None,
        },
    },
    Wrapper {
        name: "LVM",
        agent_type: "LVM",
        usage: "LVM::VOLUME_GROUP",
        params: |args| one(args, "volgrpname"),
    },
    Wrapper {
        name: "LinuxSCSI",
        agent_type: "LinuxSCSI",
        usage: "LinuxSCSI::HOST:CHANNEL:TARGET[:LUN]",
        params: |args| one(args, "scsi"),
    },
    Wrapper {
        name: "MailTo",
        agent_type: "MailTo",
        usage: "MailTo::EMAIL[::SUBJECT]",
        params: |args| match args {
            [email] => Some(vec![("email", email.clone())]),
            [email, subject] => Some(vec![("email", email.clone()), ("subject", subject.clone())]),
            _ => None,
        },
    },
    Wrapper {
        name: "Raid1",
        agent_type: "Raid1",
        usage: "Raid1::RAIDCONF::MD_DEVICE",
        params: |args| match args {
            [conf, device] => Some(vec![
                ("raidconf", conf.clone()),
                ("raiddev", device.clone()),
            ]),
            _ => None,
        },
    },
    Wrapper {
        name: "SendArp",
        agent_type: "SendArp",
        usage: "SendArp::ADDRESS/INTERFACE",
        params: |args| match args {
            [spec] => {
                let (address, nic) = spec.split_once('/')?;
                (!address.is_empty() && !nic.is_empty())
                    .then(|| vec![("ip", address.to_string()), ("nic", nic.to_string())])
            }
            _ => None,
        },
    },
    Wrapper {
        name: "ServeRAID",
        agent_type: "ServeRAID",
        usage: "ServeRAID::ADAPTER::MERGEGROUP",
        params: |args| match args {
            [adapter, group] => Some(vec![
                ("serveraid", adapter.clone()),
                ("mergegroup", group.clone()),
            ]),
            _ => None,
        },
    },
    Wrapper {
        name: "WAS",
        agent_type: "WAS",
        usage: "WAS[::CONFIG_FILE|::PORT]",
        params: |args| match args {
            [] => Some(Vec::new()),
            [port] if port.chars().all(|c| c.is_ascii_digit()) => {
                Some(vec![("port", port.clone())])
            }
            [config] => Some(vec![("config", config.clone())]),
            _ => None,
        },
    },
    Wrapper {
        name: "WinPopup",
        agent_type: "WinPopup",
        usage: "WinPopup[::HOSTFILE]",
        params: |args| match args {
            [] => Some(vec![("hostfile", "hosts".into())]),
            [file] => Some(vec![("hostfile", file.clone())]),
            _ => None,
        },
    },
    Wrapper {
        name: "Xinetd",
        agent_type: "Xinetd",
        usage: "Xinetd::SERVICE",
        params: |args| one(args, "service"),
    },
    Wrapper {
        name: "apache",
        agent_type: "apache",
        usage: "apache[::CONFIG_FILE]",
        params: |args| match args {
            [] => Some(Vec::new()),
            [config] => Some(vec![("configfile", config.clone())]),
            _ => None,
        },
    },
    Wrapper {
        name: "db2",
        agent_type: "db2",
        usage: "db2::INSTANCE_OWNER",
        params: |args| one(args, "instance"),
    },
    Wrapper {
        name: "ids",
        agent_type: "ids",
        usage: "ids[::INFORMIXDIR::INFORMIXSERVER::ONCONFIG]",
        params: |args| match args {
            [] => Some(Vec::new()),
            [dir, server, onconfig] => Some(vec![
                ("informixdir", dir.clone()),
                ("informixserver", server.clone()),
                ("onconfig", onconfig.clone()),
            ]),
            _ => None,
        },
    },
    Wrapper {
        name: "portblock",
        agent_type: "portblock",
        usage: "portblock::udp|tcp::PORT[,PORT...]::block|unblock",
        params: |args| match args {
            [protocol, ports, action] => Some(vec![
                ("protocol", protocol.clone()),
                ("portno", ports.clone()),
                ("action", action.clone()),
            ]),
            _ => None,
        },
    },
];

/// A parameter that is there only when it has a value.
fn optional(name: &'static str, value: Option<String>) -> Params {
    value.map(|v| vec![(name, v)]).unwrap_or_default()
}

/// Exactly one argument, as parameter `name`.
fn one(args: &[String], name: &'static str) -> Option<Params> {
    match args {
        [value] => Some(vec![(name, value.clone())]),
        _ => None,
    }
}

/// A heartbeat name mapped to its OCF agent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mapped {
    /// The agent type under the `heartbeat` provider.
    pub agent_type: &'static str,
    /// The agent's parameters, in the order the wrapper sets them.
    pub params: Vec<(String, String)>,
}

/// The OCF agent and parameters heartbeat's wrapper `name` would run with
/// `args`: `None` if `name` is not one of heartbeat's wrappers, `Some(Err)`
/// with the expected form when the arguments do not fit it.
pub fn lookup(name: &str, args: &[String]) -> Option<Result<Mapped, String>> {
    let wrapper = WRAPPERS.iter().find(|w| w.name == name)?;
    Some(match (wrapper.params)(args) {
        Some(params) => Ok(Mapped {
            agent_type: wrapper.agent_type,
            params: params
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
        }),
        None => Err(format!(
            "resource '{name}': expected {}, as heartbeat's {name} takes ({} argument{} given)",
            wrapper.usage,
            args.len(),
            if args.len() == 1 { "" } else { "s" }
        )),
    })
}

/// The names of heartbeat's wrappers served here, for messages.
pub fn names() -> impl Iterator<Item = &'static str> {
    WRAPPERS.iter().map(|w| w.name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::args;

    fn params(name: &str, list: &[&str]) -> Vec<(String, String)> {
        lookup(name, &args(list))
            .expect("a heartbeat name")
            .expect("arguments that fit")
            .params
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn seed_003s_filesystem_maps_as_heartbeats_wrapper_does() {
        assert_eq!(
            params(
                "Filesystem",
                &["192.168.18.203:/http", "/var/www/html", "nfs"]
            ),
            pairs(&[
                ("device", "192.168.18.203:/http"),
                ("directory", "/var/www/html"),
                ("fstype", "nfs")
            ])
        );
        assert_eq!(
            params("Filesystem", &["/dev/sdb1", "/data", "ext4", "noatime"]),
            pairs(&[
                ("device", "/dev/sdb1"),
                ("directory", "/data"),
                ("fstype", "ext4"),
                ("options", "noatime")
            ])
        );
    }

    #[test]
    fn defaults_and_split_arguments_follow_the_wrappers() {
        assert_eq!(params("Delay", &[]), pairs(&[("startdelay", "10")]));
        assert_eq!(
            params("Delay", &["3", "1"]),
            pairs(&[("startdelay", "3"), ("stopdelay", "1")])
        );
        assert_eq!(
            params("IPv6addr", &["2001:db8::10/64/eth0"]),
            pairs(&[
                ("ipv6addr", "2001:db8::10"),
                ("cidr_netmask", "64"),
                ("nic", "eth0")
            ])
        );
        assert_eq!(
            params("SendArp", &["10.0.0.5/eth1"]),
            pairs(&[("ip", "10.0.0.5"), ("nic", "eth1")])
        );
        assert_eq!(params("WAS", &["9080"]), pairs(&[("port", "9080")]));
        assert_eq!(
            params("WAS", &["/etc/was.conf"]),
            pairs(&[("config", "/etc/was.conf")])
        );
        assert_eq!(params("WinPopup", &[]), pairs(&[("hostfile", "hosts")]));
        assert_eq!(
            params("AudibleAlarm", &["n1", "n2"]),
            pairs(&[("nodelist", "n1 n2")])
        );
        assert_eq!(params("apache", &[]), Vec::new());
        assert_eq!(
            params("portblock", &["tcp", "80,443", "block"]),
            pairs(&[
                ("protocol", "tcp"),
                ("portno", "80,443"),
                ("action", "block")
            ])
        );
    }

    #[test]
    fn a_wrong_argument_count_names_the_expected_form() {
        let error = lookup("Filesystem", &args(&["/dev/sdb1"]))
            .expect("a heartbeat name")
            .expect_err("one argument is too few");
        assert!(
            error.contains("expected Filesystem::DEVICE::DIRECTORY[::FSTYPE[::OPTIONS]]"),
            "{error}"
        );
        assert!(lookup("SendArp", &args(&["10.0.0.5"]))
            .expect("a heartbeat name")
            .is_err());
        assert!(lookup("portblock", &args(&["tcp", "80"]))
            .expect("a heartbeat name")
            .is_err());
    }

    #[test]
    fn other_names_are_not_heartbeats_and_ipaddr_is_native() {
        assert!(lookup("httpd", &[]).is_none());
        assert!(lookup("IPaddr", &args(&["10.0.0.1"])).is_none());
        assert!(
            lookup("filesystem", &[]).is_none(),
            "names are case-sensitive"
        );
    }
}
