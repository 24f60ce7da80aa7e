//! The driver's real sockets: one raw VRRP socket per interface, family
//! and source address ([`crate::network`]), each read by a thread of its
//! own that hands every packet to the driver's channel (the driver's loop
//! never waits on a socket). Sending is one `sendto` on a raw socket,
//! which does not block.

use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use tokio::sync::mpsc::UnboundedSender;

use super::plan::SocketKey;
use super::{AdvertSink, Inbound};
use crate::network::{Ipv4Socket, Ipv6Socket, NetworkError};
use crate::packet::Advert;

/// How long a reader waits before it looks whether it should stop.
const POLL: Duration = Duration::from_millis(200);

/// A socket of either family.
enum Either {
    V4(Ipv4Socket),
    V6(Ipv6Socket),
}

/// One open socket, shared by its reader thread and the driver.
pub struct RawSink(Arc<Either>);

impl AdvertSink for RawSink {
    fn send(&self, advert: &Advert, to: IpAddr) -> Result<(), NetworkError> {
        match (&*self.0, to) {
            (Either::V4(s), IpAddr::V4(to)) => s.send(advert, to),
            (Either::V6(s), IpAddr::V6(to)) => s.send(advert, to),
            (_, to) => Err(NetworkError::Send {
                to,
                source: std::io::Error::from(std::io::ErrorKind::InvalidInput),
            }),
        }
    }
}

/// The reader threads; they stop when this is dropped.
pub struct Readers {
    stop: Arc<AtomicBool>,
    threads: Vec<thread::JoinHandle<()>>,
}

impl Drop for Readers {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

/// Opens a socket per key, in the calling thread's network namespace,
/// and starts its reader feeding `inbound`.
pub fn open(
    keys: &[SocketKey],
    v3_checksum_as_v2: bool,
    inbound: UnboundedSender<Inbound>,
) -> Result<(Vec<Box<dyn AdvertSink>>, Readers), NetworkError> {
    let stop = Arc::new(AtomicBool::new(false));
    let mut readers = Readers {
        stop: stop.clone(),
        threads: Vec::new(),
    };
    let mut sinks: Vec<Box<dyn AdvertSink>> = Vec::new();
    for (index, key) in keys.iter().enumerate() {
        let socket = Arc::new(match key.source {
            IpAddr::V4(source) => {
                Either::V4(Ipv4Socket::open(&key.interface, source, v3_checksum_as_v2)?)
            }
            IpAddr::V6(source) => Either::V6(Ipv6Socket::open(&key.interface, source)?),
        });
        sinks.push(Box::new(RawSink(socket.clone())));
        let (stop, inbound, interface) = (stop.clone(), inbound.clone(), key.interface.clone());
        let spawned = thread::Builder::new()
            .name(format!("vrrp-{interface}"))
            .spawn(move || {
                while !stop.load(Ordering::SeqCst) {
                    let got = match &*socket {
                        Either::V4(s) => s.recv(POLL),
                        Either::V6(s) => s.recv(POLL),
                    };
                    match got {
                        Ok(Some(packet)) => {
                            if inbound
                                .send(Inbound {
                                    socket: index,
                                    packet,
                                })
                                .is_err()
                            {
                                return;
                            }
                        }
                        Ok(None) => {}
                        Err(error) => {
                            log::warn!("VRRP socket on {interface}: {error}");
                            thread::sleep(POLL);
                        }
                    }
                }
            })
            .map_err(|source| NetworkError::Open {
                interface: key.interface.clone(),
                source,
            })?;
        readers.threads.push(spawned);
    }
    Ok((sinks, readers))
}
