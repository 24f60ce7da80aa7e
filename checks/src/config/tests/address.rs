//! Real server lines, ranges and IPv6 addresses.

use super::*;

fn reals(lines: &str) -> Vec<RealServer> {
    let parsed = config(&format!("virtual=10.0.0.1:80\n{lines}"));
    parsed.virtual_services[0].reals.clone()
}

#[test]
fn real_line_with_every_part() {
    let got = reals("\treal=10.0.1.1:8080 masq 7 \"/health\", \"OK\" l:5 u:50\n");
    let mut expected = real("10.0.1.1", 8080, 7);
    expected.forwarding = Forwarding::Masquerade;
    expected.request_receive = Some(("/health".into(), "OK".into()));
    expected.lower_threshold = 5;
    expected.upper_threshold = 50;
    assert_eq!(got, [expected]);
    // ldirectord also accepts a space instead of the comma, and spaces
    // inside the strings.
    let got = reals("\treal=10.0.1.1:80 gate \"GET / HTTP\" \"200 OK\"\n");
    assert_eq!(
        got[0].request_receive,
        Some(("GET / HTTP".into(), "200 OK".into()))
    );
}

#[test]
fn ranges_expand_in_order() {
    let got = reals("\treal=10.0.1.254->10.0.2.1:80 gate 2\n");
    let addrs: Vec<_> = got.iter().map(|r| r.addr).collect();
    assert_eq!(
        addrs,
        ["10.0.1.254", "10.0.1.255", "10.0.2.0", "10.0.2.1"].map(ip)
    );
    assert!(got.iter().all(|r| r.port == 80 && r.weight == 2));
    assert!(got
        .iter()
        .all(|r| r.origin.location().map(|l| l.line) == Some(2)));
}

#[test]
fn bad_real_lines() {
    let cases = [
        ("real=10.0.1.1:80", "expected a forwarding method (gate, masq or ipip) after the address"),
        ("real=10.0.1.1:80 gate 65536", "expected a weight from 0 to 65535, found '65536'"),
        ("real=10.0.1.1:80 gate 1 \"/x\"", "expected \"REQUEST\", \"RECEIVE\" after the forwarding method and weight"),
        ("real=10.0.1.1:80 gate 1 junk", "unexpected 'junk' on the real server line: expected [WEIGHT] [\"REQUEST\", \"RECEIVE\"] [l:LOW] [u:HIGH] after the method"),
        ("real=10.0.1.1:80 gate l:x", "expected a connection threshold from 0 to 2147483647, found 'l:x'"),
        ("real=10.0.1.3->10.0.1.1:80 gate", "the range 10.0.1.3->10.0.1.1 ends before it starts"),
        ("real=10.0.0.0->10.1.0.0:80 gate", "the range 10.0.0.0->10.1.0.0 holds more than 65536 addresses"),
        ("real=web1:80 gate", "host names are not supported yet: write the IP address of 'web1'"),
        ("real=10.0.1:80 gate", "expected an IPv4 address, found '10.0.1'"),
        ("real=10.0.1.1:80:81 gate", "expected an IPv4 address, found '10.0.1.1:80:81'"),
    ];
    for (line, message) in cases {
        assert_eq!(
            error(&format!("virtual=10.0.0.1:80\n\t{line}\n")),
            format!("/etc/ha.d/ldirectord.cf:2: {message}"),
            "{line}"
        );
    }
}

#[test]
fn ipv6_services() {
    let text = "virtual6=[2001:db8::10]:443\n\treal6=[2001:db8::1]:443 gate\n\
                \treal6=[2001:db8::2] masq 3\n\tfallback6=[::1]:80 masq\n\tnetmask=64\n\
                \tpersistent=60\n\tchecktype=connect\n\
                virtual6=9\n\treal6=[2001:db8::1] gate\n";
    let parsed = config(text);
    let web = &parsed.virtual_services[0];
    assert_eq!(
        web.key,
        ServiceKey::Address {
            protocol: Protocol::Tcp,
            addr: ip("2001:db8::10"),
            port: 443
        }
    );
    assert_eq!(web.reals[1].addr, ip("2001:db8::2"));
    assert_eq!(web.reals[1].port, 0);
    assert_eq!(web.netmask, Some(Netmask::V6Prefix(64)));
    assert_eq!(web.check.service, Service::Https);
    assert_eq!(
        web.ipvs_service().persistence.map(|p| p.netmask),
        Some(Netmask::V6Prefix(64))
    );
    assert_eq!(
        parsed.virtual_services[1].key,
        ServiceKey::FirewallMark {
            af: AddressFamily::Inet6,
            mark: 9
        }
    );
    assert_eq!(
        error("virtual6=[2001:db8::10]:80\n\treal6=[2001:db8::1]->[2001:db8::3]:80 gate\n"),
        "/etc/ha.d/ldirectord.cf:2: address ranges are only supported for IPv4"
    );
}

#[test]
fn sctp_is_accepted() {
    let parsed =
        config("virtual=10.0.0.1:3868\n\tprotocol=sctp\n\treal=10.0.1.1 gate\n\tchecktype=on\n");
    assert!(matches!(
        parsed.virtual_services[0].key,
        ServiceKey::Address {
            protocol: Protocol::Sctp,
            ..
        }
    ));
}
