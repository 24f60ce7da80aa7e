//! The sip and simpletcp negotiate checks over UDP (the virtual service's
//! `protocol=udp`) against real UDP servers in a lab: healthy, wrong
//! answer, silent, and a closed port.

// A test crate: a failed step panics with its reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::net::SocketAddr;

use common::{assert_down, assert_up, run_all, spec, Bed, Behaviour, TIMEOUT};
use ha_checks::check::{CheckSpec, Protocol, Receive, Service};

/// Answers each datagram with what `reply` makes of it and its sender
/// (`None`: no answer).
fn serve_udp(
    socket: std::net::UdpSocket,
    behaviour: Behaviour,
    reply: fn(&str, SocketAddr, Behaviour) -> Option<String>,
) {
    let socket = tokio::net::UdpSocket::from_std(socket).unwrap();
    tokio::spawn(async move {
        let mut buffer = [0u8; 2048];
        while let Ok((n, from)) = socket.recv_from(&mut buffer).await {
            if !behaviour.before_answer().await {
                continue;
            }
            let request = String::from_utf8_lossy(&buffer[..n]).into_owned();
            if let Some(answer) = reply(&request, from, behaviour) {
                let _ = socket.send_to(answer.as_bytes(), from).await;
            }
        }
    });
}

/// A SIP server: 200 OK to an OPTIONS request whose Via names the very
/// address it came from, 404 otherwise.
fn sip(request: &str, from: SocketAddr, behaviour: Behaviour) -> Option<String> {
    let mut lines = request.lines();
    let valid = lines.next() == Some("OPTIONS sip:probe@test SIP/2.0")
        && lines.any(|l| l.starts_with(&format!("Via: SIP/2.0/UDP {from};")));
    let status = if behaviour == Behaviour::Wrong || !valid {
        "SIP/2.0 404 Not Found"
    } else {
        "SIP/2.0 200 OK"
    };
    Some(format!("{status}\r\nContent-Length: 0\r\n\r\n"))
}

/// A simpletcp server: a line matching `^PONG \d+$` to the request
/// `PING\nME`, other lines otherwise.
fn simpletcp(request: &str, _: SocketAddr, behaviour: Behaviour) -> Option<String> {
    if request != "PING\nME" || behaviour == Behaviour::Wrong {
        return Some("hello\nPANG\n".into());
    }
    Some("hello\nPONG 42\nmore\n".into())
}

/// Runs the four cases of `service` over UDP on ports `base`..`base + 3`
/// (healthy, wrong, silent, closed) with `adjust` completing each spec.
fn four_cases(
    tag: &str,
    service: Service,
    base: u16,
    reply: fn(&str, SocketAddr, Behaviour) -> Option<String>,
    adjust: impl Fn(&mut CheckSpec),
) -> Vec<ha_checks::check::CheckOutcome> {
    let bed = Bed::new(tag);
    let behaviours = [Behaviour::Healthy, Behaviour::Wrong, Behaviour::Silent];
    let sockets: Vec<_> = (base..)
        .zip(behaviours)
        .map(|(port, behaviour)| (behaviour, bed.bind_udp(port)))
        .collect();
    let specs: Vec<CheckSpec> = (base..base + 4)
        .map(|port| {
            let mut s = spec(service, bed.server_addr(port), TIMEOUT);
            s.protocol = Protocol::Udp;
            adjust(&mut s);
            s
        })
        .collect();
    bed.on_director(|| async move {
        for (behaviour, socket) in sockets {
            serve_udp(socket, behaviour, reply);
        }
        run_all(specs).await
    })
}

#[test]
fn sip_over_udp_names_its_own_address_and_needs_200_ok() {
    let outcomes = four_cases("sipudp", Service::Sip, 5061, sip, |spec| {
        spec.login = "probe@test".into();
    });
    assert_up(&outcomes[0]);
    assert!(outcomes[0].detail.contains("200 OK"), "{:?}", outcomes[0]);
    assert_down(&outcomes[1], "404 Not Found");
    assert_down(&outcomes[2], "no verdict within");
    assert_down(&outcomes[3], "refused");
}

#[test]
fn simpletcp_over_udp_matches_a_line_of_an_answering_datagram() {
    let outcomes = four_cases("stcpudp", Service::SimpleTcp, 7101, simpletcp, |spec| {
        spec.request = "/PING\\nME".into();
        spec.receive = Receive::new("^PONG \\d+$").unwrap();
    });
    assert_up(&outcomes[0]);
    assert!(outcomes[0].detail.contains("PONG 42"), "{:?}", outcomes[0]);
    // No line matched: the check waits for another datagram until its
    // timeout.
    assert_down(&outcomes[1], "no verdict within");
    assert_down(&outcomes[2], "no verdict within");
    assert_down(&outcomes[3], "refused");
}
