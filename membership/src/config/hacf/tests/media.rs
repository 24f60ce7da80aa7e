//! Media, udpport and nodes.

use super::*;

#[test]
fn udpport_applies_to_bcast_and_ucast_not_mcast() {
    let config = config(
        "udpport 1001\nbcast eth0\nucast eth1 10.0.0.1\nmcast eth2 224.0.0.9 694 2 1\nnode a\n",
    );
    let ports: Vec<u16> = config.media.iter().filter_map(MediumSpec::port).collect();
    assert_eq!(ports, [1001, 1001, 694]);
    assert_eq!(config.udpport, 1001);
}

#[test]
fn udpport_must_precede_the_media_it_applies_to() {
    assert_eq!(
        errors("ucast eth0 10.0.0.1\nudpport 1001\nnode a\n"),
        [
            "/etc/ha.d/ha.cf:2: udpport must come before the bcast and ucast lines: \
          the ucast at line 1 already uses port 694"
        ]
    );
    assert!(parse("mcast eth0 239.0.0.1 700 1 0\nudpport 1001\nnode a\n").is_ok());
    assert_eq!(
        error("udpport 0"),
        "/etc/ha.d/ha.cf:1: udpport: expected a port number from 1 to 65535, found '0'"
    );
}

#[test]
fn media_lines_are_checked_and_located() {
    assert_eq!(
        error("\n\nucast eth0 node2"),
        "/etc/ha.d/ha.cf:3: ucast: expected the peer's IPv4 address, found 'node2' \
         (host names are not supported yet)"
    );
    assert_eq!(
        error("mcast eth0 10.0.0.1 694 1 0"),
        "/etc/ha.d/ha.cf:1: mcast: expected a multicast group from 224.0.0.0 to \
         239.255.255.255, found '10.0.0.1'"
    );
    assert_eq!(
        error("bcast"),
        "/etc/ha.d/ha.cf:1: bcast: expected one or more interface names, found nothing"
    );
    assert_eq!(
        error("bcast eth9"),
        "/etc/ha.d/ha.cf:2: 'bcast eth9' is already configured at line 1"
    );
    let config = config("udp eth0\nnode a\n");
    assert_eq!(
        config.media,
        [MediumSpec::Broadcast {
            interface: "eth0".into(),
            port: 694
        }]
    );
}

#[test]
fn nodes_are_lowered_and_listed_once() {
    assert_eq!(
        config("node Alpha BETA\nbcast eth0\n").nodes,
        ["alpha", "beta"]
    );
    assert_eq!(
        error("node a\nnode b A"),
        "/etc/ha.d/ha.cf:2: node 'a' is already listed at line 1"
    );
    assert_eq!(
        error("node"),
        "/etc/ha.d/ha.cf:1: node: expected one or more node names, found nothing"
    );
}

#[test]
fn ipv6_media_and_ping6_are_read() {
    let config = config(
        "udpport 695\nucast6 eth0 fe80::2%eth0\nmcast6 eth1 ff12::1:2:3:4 694 1 0\n\
         ping6 fd00::1\nnode a b\n",
    );
    let media: Vec<String> = config.media.iter().map(ToString::to_string).collect();
    assert_eq!(
        media,
        ["ucast6 eth0 fe80::2", "mcast6 eth1 ff12::1:2:3:4 694 1 0"]
    );
    assert_eq!(config.media[0].port(), Some(695));
    assert_eq!(
        error("ucast6 eth0 fe80::2\nmcast6 eth0 ff1e::1 694 1 0\nnode a\n"),
        "/etc/ha.d/ha.cf:2: mcast6: 'ff1e::1' has global scope, which heartbeat refuses \
         for heartbeats"
    );
    assert_eq!(
        error("ping6 10.0.0.1\nbcast eth0\nnode a\n"),
        "/etc/ha.d/ha.cf:1: ping6: '10.0.0.1' is an IPv4 address; ping6 takes IPv6 \
         addresses (ping takes IPv4)"
    );
}

#[test]
fn a_file_without_media_or_nodes_is_refused() {
    assert_eq!(
        errors(""),
        [
            "/etc/ha.d/ha.cf: no heartbeat media: add a bcast, ucast, mcast or serial line",
            "/etc/ha.d/ha.cf: no node lines: list every cluster node, this one included, \
             with 'node NAME' (the name `uname -n` prints)",
        ]
    );
    // A refused medium or autojoin already explains the gap.
    assert_eq!(
        errors("rds 10.0.0.1\nautojoin any\n"),
        [
            "/etc/ha.d/ha.cf:1: directive 'rds' is not supported yet",
            "/etc/ha.d/ha.cf:2: directive 'autojoin' is not supported yet",
        ]
    );
}

#[test]
fn the_local_node_must_be_listed() {
    let config = config("bcast eth0\nnode alpha beta\n");
    let path = Path::new("/etc/ha.d/ha.cf");
    assert_eq!(config.check_local_node("beta", path), Ok(()));
    assert_eq!(config.check_local_node("Alpha", path), Ok(()));
    let error = config
        .check_local_node("gamma", path)
        .expect_err("not listed");
    assert_eq!(
        error.to_string(),
        "/etc/ha.d/ha.cf: this node 'gamma' is not listed in a node line \
         (listed: alpha, beta); nodes are named as `uname -n` prints them"
    );
}

#[test]
fn media_on_interfaces_the_host_lacks_are_warnings_at_their_lines() {
    let text = "bcast eth0 nosuchif0\nucast nosuchif1 10.0.0.2\n\
                mcast nosuchif2 239.0.0.1 694 1 0\nudp eth1\nnode a\n";
    let source = Source::new("/etc/ha.d/ha.cf", text);
    let host = |name: &str| ["lo", "eth0", "eth1"].contains(&name);
    let (parsed, warnings) = check_ha_cf(&source, &host).expect("a valid file");
    assert_eq!(parsed, config(text));
    let warnings: Vec<String> = warnings.iter().map(ToString::to_string).collect();
    assert_eq!(
        warnings,
        [
            "/etc/ha.d/ha.cf:1: warning: bcast: interface 'nosuchif0' does not exist on this host",
            "/etc/ha.d/ha.cf:2: warning: ucast: interface 'nosuchif1' does not exist on this host",
            "/etc/ha.d/ha.cf:3: warning: mcast: interface 'nosuchif2' does not exist on this host",
        ]
    );
    let (_, none) =
        check_ha_cf(&Source::new("ha.cf", "udp eth1\nnode a\n"), &host).expect("a valid file");
    assert_eq!(none, []);
    // A file with errors reports them, not warnings.
    let errors =
        check_ha_cf(&Source::new("ha.cf", "bcast nosuchif0\n"), &host).expect_err("no node line");
    assert_eq!(errors.errors().len(), 1);
}

#[test]
fn serial_lines_take_the_baud_before_them() {
    let config = parse(
        "baud 38400\nserial /dev/ttyS0 /dev/ttyS1\nserial /dev/ttyUSB0\nbcast eth0\nnode a\n",
    )
    .unwrap();
    assert_eq!(config.baud, 38400);
    let serial = |device: &str| MediumSpec::Serial {
        device: device.into(),
        baud: 38400,
    };
    assert_eq!(
        config.media[..3],
        [
            serial("/dev/ttyS0"),
            serial("/dev/ttyS1"),
            serial("/dev/ttyUSB0")
        ]
    );
    let default = parse("serial /dev/ttyS0\nnode a\n").unwrap();
    assert_eq!(default.baud, 19200);
    assert_eq!(
        default.media,
        [MediumSpec::Serial {
            device: "/dev/ttyS0".into(),
            baud: 19200
        }]
    );
}

#[test]
fn serial_and_baud_mistakes_name_their_line() {
    assert_eq!(
        errors("serial /dev/ttyS0\nbaud 9600\nnode a\n"),
        [
            "/etc/ha.d/ha.cf:2: baud must come before the serial lines: the serial line at \
          line 1 already runs at 19200 (heartbeat ignores a later baud)"
        ]
    );
    assert_eq!(
        error("baud 4800"),
        "/etc/ha.d/ha.cf:1: baud: 4800 is not a rate heartbeat accepts; the rates are \
         9600, 19200, 38400, 57600, 115200, 230400, 460800"
    );
    assert_eq!(
        error("baud fast"),
        "/etc/ha.d/ha.cf:1: baud: fast is not a rate heartbeat accepts; the rates are \
         9600, 19200, 38400, 57600, 115200, 230400, 460800"
    );
    assert_eq!(
        errors("baud 9600\nbaud 19200\nserial /dev/ttyS0\nnode a\n"),
        ["/etc/ha.d/ha.cf:2: baud is already set at line 1"]
    );
    assert_eq!(
        error("serial ttyS0"),
        "/etc/ha.d/ha.cf:1: serial: 'ttyS0' is not a full path; name the device as \
         /dev/ttyS0 or wherever it lives"
    );
    assert_eq!(
        error("serial"),
        "/etc/ha.d/ha.cf:1: serial: expected one or more serial devices (serial /dev/ttyS0), \
         found nothing"
    );
    assert_eq!(
        errors("serial /dev/ttyS0\nserial /dev/ttyS0\nnode a\n"),
        ["/etc/ha.d/ha.cf:2: 'serial /dev/ttyS0' is already configured at line 1"]
    );
}
