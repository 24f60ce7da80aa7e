//! Two tasks per medium: one receives, authenticates, decodes and hands to
//! the loop; the other hands it the refusals the medium reports.

use std::net::SocketAddr;
use std::sync::Arc;

use ha_transport::medium::{Medium, MAX_DATAGRAM_LEN};
use tokio::sync::mpsc;

use crate::auth::AuthKeys;
use crate::message::Message;
use crate::wire::{self, WireError};

use super::history::RejectCause;

/// What a medium task hands to the loop.
pub(super) enum Inbound {
    /// An authentic, well-formed message.
    Message {
        /// The medium it came on (index into the driver's media).
        medium: usize,
        /// Where it came from.
        source: SocketAddr,
        /// The message.
        message: Message,
    },
    /// The medium reports a datagram it sent refused.
    Refused {
        /// The medium (index into the driver's media).
        medium: usize,
        /// Where the datagram went.
        to: SocketAddr,
    },
    /// A datagram that failed authentication or decoding.
    Invalid {
        /// Where it came from.
        source: SocketAddr,
        /// What was wrong with it.
        error: String,
        /// Authentication or form.
        cause: RejectCause,
    },
}

/// Receives from one medium until the loop goes away.
pub(super) async fn receive(
    index: usize,
    medium: Arc<dyn Medium>,
    keys: Arc<AuthKeys>,
    to_loop: mpsc::Sender<Inbound>,
) {
    let mut buf = vec![0u8; MAX_DATAGRAM_LEN];
    loop {
        let (len, source) = match medium.recv(&mut buf).await {
            Ok(received) => received,
            Err(error) => {
                log::debug!("{}: receive failed: {error}", medium.describe());
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                continue;
            }
        };
        let inbound = decode(index, buf.get(..len).unwrap_or_default(), source, &keys);
        if to_loop.send(inbound).await.is_err() {
            return;
        }
    }
}

/// Hands the loop every refusal `medium` reports, until the loop goes away.
pub(super) async fn refusals(
    index: usize,
    medium: Arc<dyn Medium>,
    to_loop: mpsc::Sender<Inbound>,
) {
    loop {
        let to = match medium.refused().await {
            Ok(to) => to,
            Err(error) => {
                log::debug!("{}: reading refusals failed: {error}", medium.describe());
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                continue;
            }
        };
        let refused = Inbound::Refused { medium: index, to };
        if to_loop.send(refused).await.is_err() {
            return;
        }
    }
}

/// Authenticates and decodes one datagram from `source`, received on
/// the medium numbered `medium`.
pub(super) fn decode(
    medium: usize,
    datagram: &[u8],
    source: SocketAddr,
    keys: &AuthKeys,
) -> Inbound {
    let decoded = wire::decode(datagram, keys).map_err(|e| {
        let cause = if is_authentication(&e) {
            RejectCause::Auth
        } else {
            RejectCause::Malformed
        };
        (e.to_string(), cause)
    });
    match decoded
        .and_then(|w| Message::from_wire(&w).map_err(|e| (e.to_string(), RejectCause::Malformed)))
    {
        Ok(message) => Inbound::Message {
            medium,
            source,
            message,
        },
        Err((error, cause)) => Inbound::Invalid {
            source,
            error,
            cause,
        },
    }
}

/// Whether a datagram was refused for its authentication rather than its form.
fn is_authentication(error: &WireError) -> bool {
    match error {
        WireError::InCompressed(inner) => is_authentication(inner),
        WireError::BadAuthString { .. }
        | WireError::UnknownKey { .. }
        | WireError::BadToken { .. }
        | WireError::DuplicateAuth
        | WireError::MissingAuth
        | WireError::MissingTrailer
        | WireError::NoActiveKey { .. } => true,
        _ => false,
    }
}

/// Every datagram already queued on `media`, decoded, without waiting.
pub(super) fn queued(media: &[Arc<dyn Medium>], keys: &AuthKeys, buf: &mut [u8]) -> Vec<Inbound> {
    let mut ready = Vec::new();
    for (index, medium) in media.iter().enumerate() {
        loop {
            match medium.try_recv(buf) {
                Ok(Some((len, source))) => {
                    ready.push(decode(
                        index,
                        buf.get(..len).unwrap_or_default(),
                        source,
                        keys,
                    ));
                }
                Ok(None) => break,
                Err(error) => {
                    log::debug!("{}: receive failed: {error}", medium.describe());
                    break;
                }
            }
        }
    }
    ready
}
