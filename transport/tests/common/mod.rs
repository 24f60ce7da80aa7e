//! A two-host test bed for the UDP media: hosts `a` and `b`, each with
//! `eth0` on LAN `lan0` (10.77.1.0/24) and `eth1` on LAN `lan1`
//! (10.77.2.0/24), and helpers to open media inside a host and to wait for
//! datagrams with a deadline.

// Each test binary uses a different part of the bed.
#![allow(dead_code)]

use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use ha_lab::{Host, Lab, Lan};
use ha_transport::udp::UdpMedium;
use ha_transport::{Medium, MediumSpec, TransportError, MAX_DATAGRAM_LEN};
use tokio::runtime::Runtime;

/// How long to wait for a datagram that should arrive.
pub const ARRIVES_WITHIN: Duration = Duration::from_secs(3);
/// How long to listen before concluding that nothing arrives.
pub const QUIET_FOR: Duration = Duration::from_millis(400);

/// Two hosts on two LANs, and a runtime to drive their media.
pub struct Bed {
    pub a: Host,
    pub b: Host,
    pub lan0: Lan,
    pub lan1: Lan,
    runtime: Runtime,
    // Dropped last: removes the namespaces.
    pub lab: Lab,
}

impl Bed {
    /// Builds the bed; `tag` names the lab after the test.
    pub fn new(tag: &str) -> Bed {
        let lab = Lab::new(tag).expect("lab (needs root)");
        let lan0 = lab.lan("lan0").expect("lan0");
        let lan1 = lab.lan("lan1").expect("lan1");
        let a = lab.host("a").expect("host a");
        let b = lab.host("b").expect("host b");
        for (host, last) in [(&a, 1), (&b, 2)] {
            lan0.connect(host, "eth0", &format!("10.77.1.{last}/24"))
                .expect("eth0");
            lan1.connect(host, "eth1", &format!("10.77.2.{last}/24"))
                .expect("eth1");
        }
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        Bed {
            a,
            b,
            lan0,
            lan1,
            runtime,
            lab,
        }
    }

    /// Opens `spec` inside `host`: the socket belongs to the host's
    /// namespace but is driven by the bed's runtime.
    pub fn open(&self, host: &Host, spec: &MediumSpec) -> Result<UdpMedium, TransportError> {
        let handle = self.runtime.handle().clone();
        host.run_in(move || handle.block_on(UdpMedium::open(spec)))
            .expect("enter the host's namespace")
    }

    /// Opens `spec` inside `host`, failing the test if it cannot.
    pub fn must_open(&self, host: &Host, spec: &MediumSpec) -> UdpMedium {
        self.open(host, spec)
            .unwrap_or_else(|e| panic!("opening {spec} on {}: {e}", host.name()))
    }

    /// Runs `future` on the bed's runtime.
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.runtime.block_on(future)
    }
}

/// `bcast IFACE` on `port`.
pub fn bcast(interface: &str, port: u16) -> MediumSpec {
    MediumSpec::Broadcast {
        interface: interface.into(),
        port,
    }
}

/// `ucast IFACE PEER` on `port`.
pub fn ucast(interface: &str, peer: &str, port: u16) -> MediumSpec {
    MediumSpec::Unicast {
        interface: interface.into(),
        peer: peer.parse().expect("test peer address"),
        port,
    }
}

/// `mcast IFACE GROUP PORT TTL LOOP`.
pub fn mcast(interface: &str, group: [u8; 4], port: u16, ttl: u8, loopback: bool) -> MediumSpec {
    MediumSpec::Multicast {
        interface: interface.into(),
        group: Ipv4Addr::from(group),
        port,
        ttl,
        loopback,
    }
}

/// An IPv4 address for comparisons.
pub fn ip(text: &str) -> IpAddr {
    text.parse().expect("test address")
}

/// The next datagram `medium` receives within `within`, with its source.
pub async fn recv_within(medium: &dyn Medium, within: Duration) -> Option<(Vec<u8>, SocketAddr)> {
    let mut buf = vec![0u8; MAX_DATAGRAM_LEN];
    match tokio::time::timeout(within, medium.recv(&mut buf)).await {
        Ok(Ok((length, from))) => Some((buf[..length].to_vec(), from)),
        Ok(Err(error)) => panic!("{}: receive failed: {error}", medium.describe()),
        Err(_) => None,
    }
}

/// Waits for `medium` to receive `datagram` and returns its source; fails
/// the test if something else or nothing arrives.
pub async fn expect_datagram(medium: &dyn Medium, datagram: &[u8]) -> IpAddr {
    match recv_within(medium, ARRIVES_WITHIN).await {
        Some((received, from)) => {
            assert_eq!(
                received,
                datagram,
                "{} received something else",
                medium.describe()
            );
            from.ip()
        }
        None => panic!(
            "{} received nothing within {ARRIVES_WITHIN:?}",
            medium.describe()
        ),
    }
}

/// Fails the test if any of `media` receives anything: each is listened to
/// for [`QUIET_FOR`] in turn (what arrives meanwhile waits in its socket).
pub async fn expect_silence(media: &[&dyn Medium]) {
    for medium in media {
        if let Some((datagram, from)) = recv_within(*medium, QUIET_FOR).await {
            panic!(
                "{} unexpectedly received {:?} from {from}",
                medium.describe(),
                String::from_utf8_lossy(&datagram)
            );
        }
    }
}

/// Polls `medium`'s link state until it equals `wanted` (the kernel settles
/// carrier changes asynchronously, within about a second).
pub fn wait_for_link(medium: &dyn Medium, wanted: &ha_transport::LinkState) {
    wait_for_link_matching(medium, &wanted.to_string(), |state| state == wanted);
}

/// Polls `medium`'s link state until `wanted` accepts it and returns it;
/// fails the test with the last state seen after [`ARRIVES_WITHIN`].
pub fn wait_for_link_matching(
    medium: &dyn Medium,
    description: &str,
    wanted: impl Fn(&ha_transport::LinkState) -> bool,
) -> ha_transport::LinkState {
    let deadline = std::time::Instant::now() + ARRIVES_WITHIN;
    loop {
        let state = medium.link();
        if wanted(&state) {
            return state;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{}: link is {state}, wanted {description}",
            medium.describe()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}
