//! Faults made real: nftables loss and port blocking in a host's namespace,
//! and links going down.

// A test crate: a failed step panics with its reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::time::Duration;

use ha_lab::{Host, Lab, LabError};

const SHORT: Duration = Duration::from_millis(300);
/// Long enough for anything expected to succeed, even on a loaded machine.
const WAIT: Duration = Duration::from_secs(5);

fn ip(text: &str) -> IpAddr {
    text.parse().expect("test address")
}

fn pair(lab: &Lab) -> Result<(Host, Host), LabError> {
    let a = lab.host("a")?;
    let b = lab.host("b")?;
    lab.connect(&a, "eth0", "10.77.0.1/24")?;
    lab.connect(&b, "eth0", "10.77.0.2/24")?;
    Ok((a, b))
}

/// Sends `count` datagrams from `from` to `to`:`port` and counts how many arrive.
fn udp_delivered(from: &Host, to: &Host, port: u16, count: usize) -> Result<usize, LabError> {
    let target = SocketAddr::from(([10, 77, 0, 2], port));
    let receiver = to
        .run_in(|| UdpSocket::bind(target))?
        .map_err(|e| LabError::Io {
            context: "bind receiver".into(),
            source: e,
        })?;
    receiver
        .set_read_timeout(Some(Duration::from_millis(200)))
        .map_err(|e| LabError::Io {
            context: "timeout".into(),
            source: e,
        })?;
    let sender = from
        .run_in(|| UdpSocket::bind(SocketAddr::from(([10, 77, 0, 1], 0))))?
        .map_err(|e| LabError::Io {
            context: "bind sender".into(),
            source: e,
        })?;
    for i in 0..count {
        let _ = sender.send_to(&(i as u32).to_be_bytes(), target);
        if i % 50 == 49 {
            std::thread::sleep(Duration::from_millis(2));
        }
    }
    let mut buf = [0u8; 8];
    let mut received = 0;
    while receiver.recv(&mut buf).is_ok() {
        received += 1;
    }
    Ok(received)
}

#[test]
fn full_incoming_loss_blocks_traffic_until_cleared() -> Result<(), LabError> {
    let lab = Lab::new("loss_full")?;
    let (a, b) = pair(&lab)?;
    assert!(a.ping(ip("10.77.0.2"), WAIT)?);
    b.drop_incoming(100)?;
    assert!(!a.ping(ip("10.77.0.2"), SHORT)?);
    let _server = b.serve_whoami(([0, 0, 0, 0], 8080), "B")?;
    assert_eq!(a.probe_tcp(([10, 77, 0, 2], 8080), SHORT)?, None);
    // b's own loopback traffic is untouched.
    assert_eq!(
        b.probe_tcp(([127, 0, 0, 1], 8080), WAIT)?.as_deref(),
        Some("B")
    );
    b.drop_incoming(0)?;
    assert!(a.ping(ip("10.77.0.2"), WAIT)?);
    assert_eq!(
        a.probe_tcp(([10, 77, 0, 2], 8080), WAIT)?.as_deref(),
        Some("B")
    );
    Ok(())
}

#[test]
fn outgoing_loss_and_isolation_cut_the_host_off() -> Result<(), LabError> {
    let lab = Lab::new("loss_out")?;
    let (a, b) = pair(&lab)?;
    a.drop_outgoing(100)?;
    assert!(!a.ping(ip("10.77.0.2"), SHORT)?);
    a.clear_faults()?;
    assert!(a.ping(ip("10.77.0.2"), WAIT)?);
    b.isolate()?;
    assert!(!a.ping(ip("10.77.0.2"), SHORT)?);
    b.clear_faults()?;
    assert!(a.ping(ip("10.77.0.2"), WAIT)?);
    Ok(())
}

#[test]
fn partial_loss_drops_about_that_share() -> Result<(), LabError> {
    let lab = Lab::new("loss_half")?;
    let (a, b) = pair(&lab)?;
    assert_eq!(udp_delivered(&a, &b, 7001, 200)?, 200);
    b.drop_incoming(50)?;
    let delivered = udp_delivered(&a, &b, 7002, 400)?;
    // Binomial(400, 0.5): 200 ± 10 standard deviation; these bounds are 8 sd away.
    assert!(
        (120..=280).contains(&delivered),
        "{delivered} of 400 delivered"
    );
    Ok(())
}

#[test]
fn a_blocked_udp_port_drops_only_that_port() -> Result<(), LabError> {
    let lab = Lab::new("block_udp")?;
    let (a, b) = pair(&lab)?;
    b.block_udp_port(694)?;
    assert_eq!(udp_delivered(&a, &b, 694, 20)?, 0);
    assert_eq!(udp_delivered(&a, &b, 695, 20)?, 20);
    // Blocked when leaving, too.
    a.block_udp_port(696)?;
    assert_eq!(udp_delivered(&a, &b, 696, 20)?, 0);
    b.unblock_udp_port(694)?;
    assert_eq!(udp_delivered(&a, &b, 694, 20)?, 20);
    Ok(())
}

#[test]
fn a_blocked_tcp_port_refuses_connections() -> Result<(), LabError> {
    let lab = Lab::new("block_tcp")?;
    let (a, b) = pair(&lab)?;
    let _server = b.serve_whoami(([0, 0, 0, 0], 8080), "B")?;
    b.block_tcp_port(8080)?;
    assert_eq!(a.probe_tcp(([10, 77, 0, 2], 8080), SHORT)?, None);
    assert!(a.ping(ip("10.77.0.2"), WAIT)?);
    b.unblock_tcp_port(8080)?;
    assert_eq!(
        a.probe_tcp(([10, 77, 0, 2], 8080), WAIT)?.as_deref(),
        Some("B")
    );
    Ok(())
}

#[test]
fn bad_fault_arguments_are_errors() -> Result<(), LabError> {
    let lab = Lab::new("fault_args")?;
    let a = lab.host("a")?;
    assert!(matches!(
        a.drop_incoming(101),
        Err(LabError::InvalidArgument { .. })
    ));
    assert!(matches!(
        a.block_udp_port(0),
        Err(LabError::InvalidArgument { .. })
    ));
    assert!(matches!(
        a.link_down("nosuch0"),
        Err(LabError::Command { .. })
    ));
    Ok(())
}

#[test]
fn a_link_going_down_cuts_traffic_until_it_comes_back() -> Result<(), LabError> {
    let lab = Lab::new("link_down")?;
    let (a, b) = pair(&lab)?;
    assert!(a.ping(ip("10.77.0.2"), WAIT)?);
    b.link_down("eth0")?;
    assert!(!a.ping(ip("10.77.0.2"), SHORT)?);
    b.link_up("eth0")?;
    let mut back = false;
    for _ in 0..20 {
        if a.ping(ip("10.77.0.2"), Duration::from_millis(250))? {
            back = true;
            break;
        }
    }
    assert!(back, "traffic resumed after link up");
    Ok(())
}
