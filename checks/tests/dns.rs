//! The dns check against real DNS servers (hand-written, answering A and
//! PTR questions) in a lab, over UDP and TCP: healthy, closed port,
//! silent, wrong answer, slow inside and outside the timeout, PTR lookups
//! and truncated answers retried over TCP.

// A test crate: a failed step panics with its reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use common::{assert_down, assert_up, run_all, spec, Bed, Behaviour, INSIDE, OUTSIDE, TIMEOUT};
use ha_checks::check::{CheckSpec, Protocol, Receive, Service};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The answer to `query`: an A record `address` for A questions, the
/// name `ptr` for PTR questions; `truncated` sets TC and leaves the answer out.
fn answer(query: &[u8], address: [u8; 4], ptr: &str, truncated: bool) -> Option<Vec<u8>> {
    let mut at = 12;
    while *query.get(at)? != 0 {
        at += 1 + usize::from(*query.get(at)?);
    }
    let qtype = u16::from_be_bytes([*query.get(at + 1)?, *query.get(at + 2)?]);
    let question = query.get(12..at + 5)?;
    let mut reply = query.get(..2)?.to_vec();
    reply.extend_from_slice(&[
        if truncated { 0x83 } else { 0x81 },
        0x80,
        0,
        1,
        0,
        u8::from(!truncated),
        0,
        0,
        0,
        0,
    ]);
    reply.extend_from_slice(question);
    if truncated {
        return Some(reply);
    }
    reply.extend_from_slice(&[0xc0, 12, 0, qtype as u8, 0, 1, 0, 0, 0, 30]);
    if qtype == 1 {
        reply.extend_from_slice(&[0, 4]);
        reply.extend_from_slice(&address);
    } else {
        let mut name = Vec::new();
        for label in ptr.split('.') {
            name.push(label.len() as u8);
            name.extend_from_slice(label.as_bytes());
        }
        name.push(0);
        reply.extend_from_slice(&(name.len() as u16).to_be_bytes());
        reply.extend(name);
    }
    Some(reply)
}

fn reply_for(query: &[u8], behaviour: Behaviour, truncate: bool) -> Option<Vec<u8>> {
    let address = if behaviour == Behaviour::Wrong {
        [10, 9, 9, 9]
    } else {
        [10, 61, 0, 80]
    };
    answer(query, address, "www.example.test", truncate)
}

fn serve_udp(socket: std::net::UdpSocket, behaviour: Behaviour, truncate: bool) {
    let socket = tokio::net::UdpSocket::from_std(socket).unwrap();
    tokio::spawn(async move {
        let mut buffer = [0u8; 512];
        while let Ok((n, from)) = socket.recv_from(&mut buffer).await {
            if !behaviour.before_answer().await {
                continue;
            }
            if let Some(reply) = reply_for(&buffer[..n], behaviour, truncate) {
                let _ = socket.send_to(&reply, from).await;
            }
        }
    });
}

fn serve_tcp(listener: std::net::TcpListener, behaviour: Behaviour) {
    common::serve_tcp(listener, behaviour, |mut stream, behaviour| async move {
        let Ok(len) = stream.read_u16().await else {
            return;
        };
        let mut query = vec![0u8; usize::from(len)];
        if stream.read_exact(&mut query).await.is_err() || !behaviour.before_answer().await {
            return;
        }
        if let Some(reply) = reply_for(&query, behaviour, false) {
            let mut framed = (reply.len() as u16).to_be_bytes().to_vec();
            framed.extend(reply);
            let _ = stream.write_all(&framed).await;
        }
    });
}

fn dns_spec(bed: &Bed, port: u16, protocol: Protocol, request: &str, receive: &str) -> CheckSpec {
    let mut s = spec(Service::Dns, bed.server_addr(port), TIMEOUT);
    s.protocol = protocol;
    s.request = format!("/{request}");
    s.receive = Receive::new(receive).unwrap();
    s
}

#[test]
fn dns_over_udp_six_cases() {
    let bed = Bed::new("dnsudp");
    let cases = [
        (Behaviour::Healthy, 5301),
        (Behaviour::Silent, 5302),
        (Behaviour::Wrong, 5303),
        (Behaviour::Slow(INSIDE), 5304),
        (Behaviour::Slow(OUTSIDE), 5305),
    ];
    let sockets: Vec<_> = cases
        .iter()
        .map(|(b, port)| (*b, bed.bind_udp(*port)))
        .collect();
    let mut specs: Vec<CheckSpec> = cases
        .iter()
        .map(|(_, port)| {
            dns_spec(
                &bed,
                *port,
                Protocol::Udp,
                "www.example.test",
                "^10\\.61\\.0\\.80$",
            )
        })
        .collect();
    specs.push(dns_spec(
        &bed,
        5306,
        Protocol::Udp,
        "www.example.test",
        "10.61.0.80",
    ));
    let outcomes = bed.on_director(|| async move {
        for (behaviour, socket) in sockets {
            serve_udp(socket, behaviour, false);
        }
        run_all(specs).await
    });
    assert_up(&outcomes[0]);
    assert!(
        outcomes[0]
            .detail
            .contains("www.example.test -> 10.61.0.80"),
        "{:?}",
        outcomes[0]
    );
    assert_down(&outcomes[1], "no verdict within");
    assert_down(&outcomes[2], "no answer matches");
    assert_up(&outcomes[3]);
    assert_down(&outcomes[4], "no verdict within");
    assert_down(&outcomes[5], "refused");
}

#[test]
fn dns_over_tcp_ptr_and_truncation() {
    let bed = Bed::new("dnstcp");
    let tcp_ok = bed.listen_tcp(5310);
    let tcp_silent = bed.listen_tcp(5311);
    let truncating = bed.bind_udp(5312);
    let tcp_behind = bed.listen_tcp(5312);
    let specs = vec![
        dns_spec(&bed, 5310, Protocol::Tcp, "www.example.test", "10.61.0.80"),
        dns_spec(
            &bed,
            5310,
            Protocol::Tcp,
            "10.61.0.80",
            "^www\\.example\\.test$",
        ),
        dns_spec(&bed, 5311, Protocol::Tcp, "www.example.test", "10.61.0.80"),
        dns_spec(&bed, 5312, Protocol::Udp, "www.example.test", "10.61.0.80"),
        // No receive pattern: nothing matches, as in ldirectord.
        dns_spec(&bed, 5310, Protocol::Tcp, "www.example.test", ""),
        dns_spec(&bed, 5313, Protocol::Tcp, "www.example.test", "10.61.0.80"),
    ];
    let outcomes = bed.on_director(|| async move {
        serve_tcp(tcp_ok, Behaviour::Healthy);
        serve_tcp(tcp_silent, Behaviour::Silent);
        serve_udp(truncating, Behaviour::Healthy, true);
        serve_tcp(tcp_behind, Behaviour::Healthy);
        run_all(specs).await
    });
    assert_up(&outcomes[0]);
    assert_up(&outcomes[1]);
    assert!(
        outcomes[1].detail.contains("80.0.61.10.in-addr.arpa"),
        "{:?}",
        outcomes[1]
    );
    assert_down(&outcomes[2], "no verdict within");
    assert_up(&outcomes[3]);
    assert_down(&outcomes[4], "no answer matches");
    assert_down(&outcomes[5], "refused");
    assert!(outcomes[5].latency < Duration::from_millis(500));
}
