//! Tests of ldirectord.cf reading, writing, inheritance and diffs.

use super::*;
use ha_conf::Source;
use std::net::IpAddr;
use std::time::Duration;

mod address;
mod diffs;
mod roundtrip;
mod rules;
mod seeds;
mod settings;

/// The path every test file is read from.
const PATH: &str = "/etc/ha.d/ldirectord.cf";

/// The configuration of a text that must parse.
fn config(text: &str) -> DirectorConfig {
    match parse(&Source::new(PATH, text)) {
        Ok(config) => config,
        Err(errors) => panic!("unexpected errors:\n{errors}"),
    }
}

/// The messages of a text that must not parse.
fn errors(text: &str) -> Vec<String> {
    match parse(&Source::new(PATH, text)) {
        Ok(config) => panic!("parsed, expected errors: {config:?}"),
        Err(errors) => errors.errors().iter().map(ToString::to_string).collect(),
    }
}

/// The one error of a text, which must have exactly one.
fn error(text: &str) -> String {
    let mut all = errors(text);
    assert_eq!(all.len(), 1, "expected one error, got {all:?}");
    all.remove(0)
}

fn ip(text: &str) -> IpAddr {
    text.parse().expect("test address")
}

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

/// A real server as a `real=ADDR:PORT gate WEIGHT` line makes it.
fn real(addr: &str, port: u16, weight: u32) -> RealServer {
    RealServer {
        weight,
        ..RealServer::new(ip(addr), port)
    }
}

/// A TCP virtual service with ldirectord's defaults and no real servers.
fn tcp_service(addr: &str, port: u16) -> VirtualService {
    VirtualService::new(ServiceKey::Address {
        protocol: Protocol::Tcp,
        addr: ip(addr),
        port,
    })
}

/// A fallback `ADDR:PORT gate`.
fn fallback(addr: &str, port: Option<u16>) -> Fallback {
    Fallback {
        origin: Origin::default(),
        addr: ip(addr),
        port,
        forwarding: Forwarding::DirectRoute,
    }
}
