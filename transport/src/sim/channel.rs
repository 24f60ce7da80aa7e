//! An in-process "LAN" for tests of async code: endpoints that implement
//! [`Medium`] over tokio channels, each datagram going to every other
//! connected endpoint at once, in order, without loss.

use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use async_trait::async_trait;
use tokio::sync::mpsc;

use crate::medium::{DownReason, LinkState, Medium, MAX_DATAGRAM_LEN};

/// A shared segment that [`ChannelEndpoint`]s attach to.
#[derive(Debug, Clone, Default)]
pub struct ChannelNetwork {
    hub: Arc<Mutex<Vec<Port>>>,
}

/// One endpoint's place on the segment.
#[derive(Debug)]
struct Port {
    inbox: mpsc::UnboundedSender<(Vec<u8>, SocketAddr)>,
    connected: bool,
}

impl ChannelNetwork {
    /// An empty segment.
    pub fn new() -> Self {
        ChannelNetwork::default()
    }

    /// Attaches a new endpoint called `name` (its "interface") that sends
    /// with source address `address`.
    pub fn endpoint(&self, name: &str, address: SocketAddr) -> ChannelEndpoint {
        let (sender, receiver) = mpsc::unbounded_channel();
        let mut ports = lock(&self.hub);
        ports.push(Port {
            inbox: sender,
            connected: true,
        });
        ChannelEndpoint {
            name: name.to_owned(),
            port: ports.len() - 1,
            address,
            hub: Arc::clone(&self.hub),
            inbox: tokio::sync::Mutex::new(receiver),
        }
    }
}

/// A [`Medium`] on a [`ChannelNetwork`].
#[derive(Debug)]
pub struct ChannelEndpoint {
    name: String,
    port: usize,
    address: SocketAddr,
    hub: Arc<Mutex<Vec<Port>>>,
    inbox: tokio::sync::Mutex<mpsc::UnboundedReceiver<(Vec<u8>, SocketAddr)>>,
}

impl ChannelEndpoint {
    /// The source address of what this endpoint sends.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Plugs the endpoint's cable in or pulls it out. While pulled out its
    /// sends go nowhere, nothing reaches it, and its link is down (no
    /// carrier).
    pub fn set_connected(&self, connected: bool) {
        if let Some(port) = lock(&self.hub).get_mut(self.port) {
            port.connected = connected;
        }
    }

    fn is_connected(&self) -> bool {
        lock(&self.hub)
            .get(self.port)
            .is_some_and(|port| port.connected)
    }
}

#[async_trait]
impl Medium for ChannelEndpoint {
    fn describe(&self) -> String {
        format!("channel {}", self.name)
    }

    async fn send(&self, datagram: &[u8]) -> io::Result<()> {
        if datagram.len() > MAX_DATAGRAM_LEN {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("datagram of {} bytes is too long", datagram.len()),
            ));
        }
        let ports = lock(&self.hub);
        if !ports.get(self.port).is_some_and(|port| port.connected) {
            return Ok(());
        }
        for (index, port) in ports.iter().enumerate() {
            if index != self.port && port.connected {
                // A receiver that was dropped simply hears nothing.
                let _ = port.inbox.send((datagram.to_vec(), self.address));
            }
        }
        Ok(())
    }

    async fn recv(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        let mut inbox = self.inbox.lock().await;
        let Some((datagram, from)) = inbox.recv().await else {
            return Err(io::Error::new(
                io::ErrorKind::BrokenPipe,
                "the channel network is gone",
            ));
        };
        let length = datagram.len().min(buf.len());
        buf[..length].copy_from_slice(&datagram[..length]);
        Ok((length, from))
    }

    fn try_recv(&self, buf: &mut [u8]) -> io::Result<Option<(usize, SocketAddr)>> {
        // A receiver waiting in `recv` holds the inbox and takes what comes.
        let Ok(mut inbox) = self.inbox.try_lock() else {
            return Ok(None);
        };
        let Ok((datagram, from)) = inbox.try_recv() else {
            return Ok(None);
        };
        let length = datagram.len().min(buf.len());
        buf[..length].copy_from_slice(&datagram[..length]);
        Ok(Some((length, from)))
    }

    fn link(&self) -> LinkState {
        if self.is_connected() {
            LinkState::Up
        } else {
            LinkState::Down(DownReason::NoCarrier {
                interface: self.name.clone(),
            })
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn address(last: u8) -> SocketAddr {
        SocketAddr::from(([10, 0, 0, last], 694))
    }

    #[tokio::test]
    async fn every_other_connected_endpoint_hears_a_datagram() {
        let net = ChannelNetwork::new();
        let a = net.endpoint("a", address(1));
        let b = net.endpoint("b", address(2));
        let c = net.endpoint("c", address(3));
        a.send(b"hello").await.unwrap();
        let mut buf = [0u8; 16];
        for receiver in [&b, &c] {
            let (length, from) = receiver.recv(&mut buf).await.unwrap();
            assert_eq!(&buf[..length], b"hello");
            assert_eq!(from, a.address());
        }
        c.send(b"x").await.unwrap();
        let (_, from) = a.recv(&mut buf).await.unwrap();
        assert_eq!(from, address(3), "a heard its own datagram instead of c's");
    }

    #[tokio::test]
    async fn a_pulled_cable_carries_nothing_and_shows_no_carrier() {
        let net = ChannelNetwork::new();
        let a = net.endpoint("a", address(1));
        let b = net.endpoint("b", address(2));
        b.set_connected(false);
        assert_eq!(b.link().to_string(), "down: interface b has no carrier");
        a.send(b"lost").await.unwrap();
        b.send(b"also lost").await.unwrap();
        b.set_connected(true);
        assert!(b.link().is_up());
        a.send(b"found").await.unwrap();
        let mut buf = [0u8; 16];
        let (length, _) = b.recv(&mut buf).await.unwrap();
        assert_eq!(&buf[..length], b"found");
        let nothing = tokio::time::timeout(std::time::Duration::from_millis(20), a.recv(&mut buf));
        assert!(
            nothing.await.is_err(),
            "a heard a datagram sent while b was unplugged"
        );
    }

    #[tokio::test]
    async fn a_short_buffer_truncates() {
        let net = ChannelNetwork::new();
        let a = net.endpoint("a", address(1));
        let b = net.endpoint("b", address(2));
        a.send(b"0123456789").await.unwrap();
        let mut buf = [0u8; 4];
        let (length, _) = b.recv(&mut buf).await.unwrap();
        assert_eq!(&buf[..length], b"0123");
    }
}
