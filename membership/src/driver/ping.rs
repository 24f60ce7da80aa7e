//! Pings the ping nodes, each address in a task of its own, and reports
//! every answer to the driver's loop, which never waits on ICMP.
//!
//! Each address gets an echo request every keepalive, as heartbeat's ping
//! medium sends one with each heartbeat, through ha-net's [`Pinger`]; an
//! answer within the interval is reported with the ping node's name (a
//! `ping_group` shares one name among its addresses). A socket that cannot
//! be opened (no route yet) or whose echo went unanswered is opened anew at
//! the next round, so a route that changes is followed.

use std::net::IpAddr;
use std::time::Duration;

use ha_net::icmp::Pinger;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::MissedTickBehavior;

/// A ping node and the addresses that answer for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PingTarget {
    /// Its name, as the machine knows it.
    pub name: String,
    /// Its addresses: one for `ping`, several for `ping_group`.
    pub addresses: Vec<IpAddr>,
}

/// Starts one pinging task per address; answers go to `answers`.
pub(super) fn spawn(
    targets: &[PingTarget],
    interval: Duration,
    answers: &mpsc::Sender<String>,
) -> Vec<JoinHandle<()>> {
    targets
        .iter()
        .flat_map(|target| {
            target.addresses.iter().map(|address| {
                tokio::spawn(ping_loop(
                    target.name.clone(),
                    *address,
                    interval,
                    answers.clone(),
                ))
            })
        })
        .collect()
}

/// Pings `address` every `interval` and reports each answer as `name`.
async fn ping_loop(
    name: String,
    address: IpAddr,
    interval: Duration,
    answers: mpsc::Sender<String>,
) {
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut pinger: Option<Pinger> = None;
    let mut open_failed = false;
    loop {
        ticker.tick().await;
        let current = match pinger.take() {
            Some(current) => current,
            None => match Pinger::open(address) {
                Ok(opened) => {
                    open_failed = false;
                    opened
                }
                Err(error) => {
                    if !open_failed {
                        log::warn!("ping node {name}: {error}; trying again every interval");
                        open_failed = true;
                    }
                    continue;
                }
            },
        };
        if current.ping(interval).await {
            if answers.send(name.clone()).await.is_err() {
                return;
            }
            pinger = Some(current);
        }
    }
}
