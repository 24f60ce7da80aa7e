//! Inheritance of global settings, and the IPVS table a service asks for.

use super::*;
use ha_ipvs::{Netmask, Persistence, Tunnel};
use std::net::Ipv4Addr;

#[test]
fn defaults_are_ldirectord_defaults() {
    let parsed = config("virtual=10.0.0.1:80\n\treal=10.0.1.1:80 gate\n");
    let settings = parsed.settings(&parsed.virtual_services[0]);
    assert_eq!(
        settings,
        EffectiveSettings {
            check_timeout: secs(5),
            negotiate_timeout: secs(30),
            connect_timeout: secs(30),
            check_interval: secs(10),
            check_count: 1,
            failure_count: 1,
            quiescent: false,
            cleanstop: true,
            fallback_command: None,
            fallback: None,
        }
    );
    assert_eq!(
        parsed.global.logfile,
        LogTarget::File(DEFAULT_LOGFILE.into())
    );
    assert!(!parsed.global.autoreload);
}

#[test]
fn timeouts_default_to_each_other_as_ldirectord() {
    let text = "negotiatetimeout=7\n\
                virtual=10.0.0.1:80\n\treal=10.0.1.1:80 gate\n\tchecktype=connect\n\
                virtual=10.0.0.2:80\n\treal=10.0.1.1:80 gate\n\tchecktimeout=2\n\
                virtual=10.0.0.3:80\n\treal=10.0.1.1:80 gate\n\tconnecttimeout=1\n";
    let parsed = config(text);
    let s: Vec<_> = parsed
        .virtual_services
        .iter()
        .map(|v| parsed.settings(v))
        .collect();
    // Global negotiatetimeout only: checktimeout takes it too.
    assert_eq!(
        (s[0].check_timeout, s[0].negotiate_timeout),
        (secs(7), secs(7))
    );
    assert_eq!(s[0].connect_timeout, secs(7));
    // The virtual's checktimeout comes before the global negotiatetimeout
    // for both.
    assert_eq!(
        (s[1].check_timeout, s[1].negotiate_timeout),
        (secs(2), secs(2))
    );
    assert_eq!(s[2].connect_timeout, secs(1));
}

#[test]
fn virtual_overrides_beat_globals() {
    let text = "checkinterval=5\nfailurecount=3\nquiescent=yes\ncleanstop=no\n\
                fallbackcommand=\"/bin/fb\"\ncheckcount=2\n\
                virtual=10.0.0.1:80\n\treal=10.0.1.1:80 gate\n\
                \tcheckinterval=2\n\tfailurecount=4\n\tquiescent=no\n\tcleanstop=yes\n\
                \tfallbackcommand=/bin/own\n\tcheckcount=9\n\
                virtual=10.0.0.2:80\n\treal=10.0.1.1:80 gate\n";
    let parsed = config(text);
    let own = parsed.settings(&parsed.virtual_services[0]);
    let inherited = parsed.settings(&parsed.virtual_services[1]);
    assert_eq!(
        (
            own.check_interval,
            own.failure_count,
            own.quiescent,
            own.cleanstop,
            own.check_count
        ),
        (secs(2), 4, false, true, 9)
    );
    assert_eq!(own.fallback_command.as_deref(), Some("/bin/own"));
    assert_eq!(
        (
            inherited.check_interval,
            inherited.failure_count,
            inherited.quiescent,
            inherited.cleanstop,
            inherited.check_count
        ),
        (secs(5), 3, true, false, 2)
    );
    assert_eq!(inherited.fallback_command.as_deref(), Some("/bin/fb"));
}

#[test]
fn global_fallback_by_family_with_the_virtual_port() {
    let text = "fallback=127.0.0.1\nfallback6=[::1]:8080 masq\n\
                virtual=10.0.0.1:443\n\treal=10.0.1.1:443 gate\n\
                virtual6=[2001:db8::1]:80\n\treal6=[2001:db8::2]:80 gate\n\
                virtual=10.0.0.2:80\n\treal=10.0.1.1:80 gate\n\tfallback=10.9.9.9:81 masq\n\
                virtual=7\n\treal=10.0.1.1 gate\n";
    let parsed = config(text);
    let fallbacks: Vec<_> = parsed
        .virtual_services
        .iter()
        .map(|v| {
            parsed
                .fallback_for(v)
                .map(|f| (f.addr, f.port, f.forwarding))
        })
        .collect();
    assert_eq!(
        fallbacks,
        [
            Some((ip("127.0.0.1"), Some(443), Forwarding::DirectRoute)),
            Some((ip("::1"), Some(8080), Forwarding::Masquerade)),
            Some((ip("10.9.9.9"), Some(81), Forwarding::Masquerade)),
            Some((ip("127.0.0.1"), Some(0), Forwarding::DirectRoute)),
        ]
    );
    let masq = &parsed.virtual_services[2];
    let own = masq.fallback.as_ref().expect("own fallback");
    assert_eq!(masq.fallback_destination(own).port, 81);
}

#[test]
fn ipvs_service_and_destinations() {
    let text = "virtual=10.0.0.1:80\n\tscheduler=sh\n\tschedflags=sh-port\n\
                \tpersistent=300\n\tnetmask=255.255.255.0\n\
                \treal=10.0.1.1:8080 gate 5 l:10 u:20\n\treal=10.0.1.2:8080 masq\n\
                \treal=10.0.1.3 masq\n\treal=10.0.1.4 ipip 0\n\
                virtual=53\n\tprotocol=fwm\n\treal=10.0.1.1:53 gate\n\
                virtual=10.0.0.1:53\n\tops=yes\n\treal=10.0.1.1 gate\n";
    let parsed = config(text);
    let web = &parsed.virtual_services[0];
    let service = web.ipvs_service();
    assert_eq!(service.scheduler, "sh");
    assert!(service.scheduler_flags.flag2 && !service.scheduler_flags.flag1);
    assert_eq!(
        service.persistence,
        Some(Persistence {
            timeout: 300,
            netmask: Netmask::V4(Ipv4Addr::new(255, 255, 255, 0)),
            engine: None,
        })
    );
    let destinations: Vec<_> = web
        .reals
        .iter()
        .map(|r| {
            let d = web.destination(r, r.weight);
            (
                d.port,
                d.forwarding,
                d.weight,
                d.lower_threshold,
                d.upper_threshold,
            )
        })
        .collect();
    assert_eq!(
        destinations,
        [
            // gate keeps the virtual port
            (80, Forwarding::DirectRoute, 5, 10, 20),
            // masq maps ports
            (8080, Forwarding::Masquerade, 1, 0, 0),
            // masq without a port uses the virtual port
            (80, Forwarding::Masquerade, 1, 0, 0),
            (80, Forwarding::Tunnel(Tunnel::IPIP), 0, 0, 0),
        ]
    );
    let mark = &parsed.virtual_services[1];
    assert_eq!(
        mark.key,
        ServiceKey::FirewallMark {
            af: AddressFamily::Inet,
            mark: 53
        }
    );
    assert_eq!(mark.check.service, Service::None);
    assert_eq!(mark.destination(&mark.reals[0], 1).port, 53);
    let dns = &parsed.virtual_services[2];
    assert!(matches!(
        dns.key,
        ServiceKey::Address {
            protocol: Protocol::Udp,
            ..
        }
    ));
    assert!(dns.ipvs_service().one_packet);
    assert_eq!(dns.check.service, Service::Dns);
    assert_eq!(dns.ipvs_service().persistence, None);
}
