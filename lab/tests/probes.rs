//! The "who am I" responder, the one-shot probe, the watcher, and code run
//! inside a host with `run_in`.

// A test crate: a failed step panics with its reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::{IpAddr, Ipv4Addr, SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

use ha_lab::{Host, Lab, LabError};

/// Long enough for anything expected to succeed, even on a loaded machine.
const WAIT: Duration = Duration::from_secs(5);
const VIP: [u8; 4] = [10, 77, 0, 100];

fn two_servers_and_a_client(lab: &Lab) -> Result<(Host, Host, Host), LabError> {
    let a = lab.host("a")?;
    let b = lab.host("b")?;
    let client = lab.host("client")?;
    lab.connect(&a, "eth0", "10.77.0.1/24")?;
    lab.connect(&b, "eth0", "10.77.0.2/24")?;
    lab.connect(&client, "eth0", "10.77.0.10/24")?;
    Ok((a, b, client))
}

#[test]
fn whoami_answers_every_connection_and_counts_them() -> Result<(), LabError> {
    let lab = Lab::new("whoami")?;
    let (a, _b, client) = two_servers_and_a_client(&lab)?;
    let responder = a.serve_whoami((Ipv4Addr::UNSPECIFIED, 8080), "node-a")?;
    assert_eq!(responder.local_addr().port(), 8080);
    for _ in 0..3 {
        let reply = client.probe_tcp(([10, 77, 0, 1], 8080), WAIT)?;
        assert_eq!(reply.as_deref(), Some("node-a"));
    }
    assert_eq!(responder.served(), 3);
    // Nothing listens on 8081.
    assert_eq!(client.probe_tcp(([10, 77, 0, 1], 8081), WAIT)?, None);
    Ok(())
}

#[test]
fn a_port_zero_responder_reports_its_real_port() -> Result<(), LabError> {
    let lab = Lab::new("port_zero")?;
    let (a, _b, client) = two_servers_and_a_client(&lab)?;
    let responder = a.serve_whoami(([10, 77, 0, 1], 0), "A")?;
    let port = responder.local_addr().port();
    assert_ne!(port, 0);
    assert_eq!(
        client.probe_tcp(([10, 77, 0, 1], port), WAIT)?.as_deref(),
        Some("A")
    );
    Ok(())
}

#[test]
fn wildcard_responder_answers_on_an_address_added_later() -> Result<(), LabError> {
    let lab = Lab::new("vip_later")?;
    let (a, _b, client) = two_servers_and_a_client(&lab)?;
    let _responder = a.serve_whoami((Ipv4Addr::UNSPECIFIED, 8080), "A")?;
    assert_eq!(
        client.probe_tcp((VIP, 8080), Duration::from_millis(300))?,
        None
    );
    a.add_address("eth0", "10.77.0.100/24")?;
    assert_eq!(client.probe_tcp((VIP, 8080), WAIT)?.as_deref(), Some("A"));
    Ok(())
}

#[test]
fn a_dropped_responder_stops_answering() -> Result<(), LabError> {
    let lab = Lab::new("responder_drop")?;
    let (a, _b, client) = two_servers_and_a_client(&lab)?;
    let responder = a.serve_whoami((Ipv4Addr::UNSPECIFIED, 8080), "A")?;
    assert_eq!(
        client.probe_tcp(([10, 77, 0, 1], 8080), WAIT)?.as_deref(),
        Some("A")
    );
    responder.stop();
    assert_eq!(client.probe_tcp(([10, 77, 0, 1], 8080), WAIT)?, None);
    // The port is free again.
    let _again = a.serve_whoami((Ipv4Addr::UNSPECIFIED, 8080), "A2")?;
    assert_eq!(
        client.probe_tcp(([10, 77, 0, 1], 8080), WAIT)?.as_deref(),
        Some("A2")
    );
    Ok(())
}

#[test]
fn watcher_times_a_virtual_ip_moving_from_a_to_b() -> Result<(), LabError> {
    let lab = Lab::new("watch_failover")?;
    let (a, b, client) = two_servers_and_a_client(&lab)?;
    let _ra = a.serve_whoami((Ipv4Addr::UNSPECIFIED, 8080), "A")?;
    let _rb = b.serve_whoami((Ipv4Addr::UNSPECIFIED, 8080), "B")?;
    a.add_address("eth0", "10.77.0.100/24")?;
    let watcher = client.watch_tcp((VIP, 8080), Duration::from_millis(10))?;
    assert!(watcher.wait_for_reply("A", WAIT).is_some());

    let t0 = Instant::now();
    a.del_address("eth0", "10.77.0.100/24")?;
    b.add_address("eth0", "10.77.0.100/24")?;
    // The client's ARP entry still names a; forget it as a gratuitous ARP would.
    client.ip(&["neigh", "flush", "dev", "eth0"])?;
    let moved = watcher.wait_for_reply_after(t0, "B", WAIT);
    let moved = moved.expect("B answered on the VIP");
    assert!(moved >= t0);
    assert_eq!(watcher.first_reply_after(t0, "B"), Some(moved));
    let last_a = watcher
        .last_reply_before(t0, "A")
        .expect("A answered before");
    assert!(last_a <= moved);
    let samples = watcher.stop();
    assert!(samples.windows(2).all(|w| w[0].sent <= w[1].sent));
    assert!(samples.iter().all(|s| s.done >= s.sent));
    Ok(())
}

#[test]
fn watcher_records_silence_as_none() -> Result<(), LabError> {
    let lab = Lab::new("watch_silence")?;
    let (_a, _b, client) = two_servers_and_a_client(&lab)?;
    let watcher = client.watch_tcp(([10, 77, 0, 1], 9), Duration::from_millis(10))?;
    let silent = watcher.wait_for_sample(Instant::now(), WAIT, |reply| reply.is_none());
    assert!(silent.is_some());
    assert_eq!(
        watcher.wait_for_reply("A", Duration::from_millis(200)),
        None
    );
    Ok(())
}

#[test]
fn run_in_creates_sockets_inside_the_host() -> Result<(), LabError> {
    let lab = Lab::new("run_in")?;
    let (a, b, _client) = two_servers_and_a_client(&lab)?;
    let addr: SocketAddr = ([10, 77, 0, 1], 0).into();
    // The address exists in a only.
    assert!(a.run_in(|| UdpSocket::bind(addr).is_ok())?);
    assert!(!b.run_in(|| UdpSocket::bind(addr).is_ok())?);
    assert!(UdpSocket::bind(addr).is_err());

    // A socket made inside a keeps talking from a after the thread ends.
    let socket = a.run_in(|| UdpSocket::bind(addr))?.expect("bind in a");
    let receiver = b
        .run_in(|| UdpSocket::bind(SocketAddr::from(([10, 77, 0, 2], 7000))))?
        .expect("bind in b");
    receiver.set_read_timeout(Some(WAIT)).expect("timeout");
    socket
        .send_to(b"hello", SocketAddr::from(([10, 77, 0, 2], 7000)))
        .expect("send");
    let mut buf = [0u8; 16];
    let (n, from) = receiver.recv_from(&mut buf).expect("datagram from a");
    assert_eq!(buf.get(..n), Some(&b"hello"[..]));
    assert_eq!(from.ip(), IpAddr::from([10, 77, 0, 1]));
    Ok(())
}

#[test]
fn a_panic_inside_run_in_reaches_the_caller() -> Result<(), LabError> {
    let lab = Lab::new("run_in_panic")?;
    let a = lab.host("a")?;
    let caught = std::panic::catch_unwind(|| a.run_in(|| panic!("inside")));
    assert!(caught.is_err());
    // The host is still usable.
    assert_eq!(a.run_in(|| 7)?, 7);
    Ok(())
}
