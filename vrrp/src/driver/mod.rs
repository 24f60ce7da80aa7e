//! The driver: every vrrp_instance of a keepalived.conf, run on tokio.
//!
//! - [`plan`]: from the parsed file and the host's interfaces to the
//!   instances, their addresses (with labels) and their shared sockets;
//!   what is not carried out yet is refused by name.
//! - [`sockets`]: the raw sockets, each read by a thread of its own.
//! - [`host`]: the side effects — addresses and announcements through
//!   ha-net, notify scripts through ha-process.
//! - [`garp`]: keepalived's `garp_master_delay`/`repeat`/`refresh`.
//! - [`notify`]: which scripts a state change runs, with which words.
//! - [`status`]: what `ha-node vrrp status` shows.
//!
//! [`Driver::run`] is one loop that only decodes, decides and sends: it
//! waits on the next timer of any instance (the protocol's, or a pending
//! announcement), a received packet, or the shutdown signal. Sending an
//! advert is one non-blocking `sendto`; adding and removing addresses and
//! announcing them run in one task per instance (in order: an address is
//! announced after it is added, removed after it was added), each notify
//! script in a task of its own with a timeout, so the loop never waits on
//! I/O it does not own. Time is tokio's monotonic
//! clock (paused in the tests).
//!
//! At start-up each instance first removes its addresses, as keepalived
//! does, so that a run killed with SIGKILL leaves no duplicate behind.
//! On shutdown each master sends priority 0 and removes its addresses,
//! each instance runs its `notify_stop` and `notify … STOP`, and the
//! driver waits for those tasks, up to [`Options::stop_timeout`].

pub mod garp;
pub mod host;
pub mod notify;
pub mod plan;
pub mod sockets;
pub mod status;

#[cfg(test)]
mod tests;

use std::future::Future;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::mpsc::{self, UnboundedReceiver, UnboundedSender};
use tokio::task::JoinHandle;

use crate::config::ScriptUser;
use crate::instance::{Instance, Output, Received, State};
use crate::network::NetworkError;
use crate::packet::{Advert, DecodeError};

use garp::{GarpPlan, GarpTimers};
use host::Host;
use notify::{NotifyState, Script};
use plan::{Plan, Vip};
use status::{Drops, InstanceStatus, SocketStatus, Status};

/// Where adverts go out: one socket.
pub trait AdvertSink: Send {
    /// Sends `advert` to `to` (the group or a unicast peer).
    fn send(&self, advert: &Advert, to: IpAddr) -> Result<(), NetworkError>;
}

/// A packet a socket received.
#[derive(Debug)]
pub struct Inbound {
    /// The socket, an index into [`Plan::sockets`].
    pub socket: usize,
    /// The advert, or why it did not decode.
    pub packet: Result<Received, DecodeError>,
}

/// How the driver runs scripts and stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// How long a notify script may run before its group is ended.
    pub notify_timeout: Duration,
    /// How long shutdown waits for addresses to be removed and stop
    /// scripts to end.
    pub stop_timeout: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            notify_timeout: Duration::from_secs(30),
            stop_timeout: Duration::from_secs(10),
        }
    }
}

/// What an instance's address task does.
#[derive(Debug)]
enum AddressJob {
    Add,
    Remove,
    Announce(u32),
}

/// One running instance.
struct Router {
    instance: Instance,
    interface: String,
    socket: usize,
    destinations: Vec<IpAddr>,
    garp_plan: GarpPlan,
    garp: GarpTimers,
    notify: crate::config::Notify,
    master: Option<IpAddr>,
    addresses: Option<UnboundedSender<AddressJob>>,
    scripts: Option<UnboundedSender<Vec<Script>>>,
    tasks: Vec<JoinHandle<()>>,
}

/// Every instance of a keepalived.conf, running.
pub struct Driver {
    routers: Vec<Router>,
    sinks: Vec<Box<dyn AdvertSink>>,
    sockets: Vec<SocketStatus>,
    inbound: UnboundedReceiver<Inbound>,
    inbound_open: bool,
    script_user: Option<ScriptUser>,
    options: Options,
    status: Arc<Mutex<Status>>,
}

/// The current monotonic time (tokio's, so that a paused clock holds).
fn now() -> Instant {
    tokio::time::Instant::now().into_std()
}

impl Driver {
    /// The instances of `plan`, started now; adverts go out through
    /// `sinks` (one per [`Plan::sockets`]), packets come in on `inbound`,
    /// side effects go to `host`. Needs a tokio runtime.
    pub fn new(
        plan: Plan,
        sinks: Vec<Box<dyn AdvertSink>>,
        inbound: UnboundedReceiver<Inbound>,
        host: Arc<dyn Host>,
        options: Options,
    ) -> Driver {
        let start = now();
        let routers = plan
            .routers
            .into_iter()
            .map(|r| {
                let vips: Arc<[Vip]> = r.vips.into();
                let (address_tx, address_rx) = mpsc::unbounded_channel();
                let (script_tx, script_rx) = mpsc::unbounded_channel();
                let intervals = (plan.garp_interval, plan.gna_interval);
                let tasks = vec![
                    tokio::spawn(address_task(host.clone(), vips, intervals, address_rx)),
                    tokio::spawn(script_task(host.clone(), options.notify_timeout, script_rx)),
                ];
                Router {
                    instance: Instance::new(r.config, start),
                    interface: r.interface,
                    socket: r.socket,
                    destinations: r.destinations,
                    garp_plan: r.garp,
                    garp: GarpTimers::default(),
                    notify: r.notify,
                    master: None,
                    addresses: Some(address_tx),
                    scripts: Some(script_tx),
                    tasks,
                }
            })
            .collect();
        let sockets = plan
            .sockets
            .iter()
            .map(|k| SocketStatus {
                interface: k.interface.clone(),
                source: k.source,
                undecodable: 0,
                other_vrid: 0,
            })
            .collect();
        let mut driver = Driver {
            routers,
            sinks,
            sockets,
            inbound,
            inbound_open: true,
            script_user: plan.script_user,
            options,
            status: Arc::new(Mutex::new(Status::default())),
        };
        for index in 0..driver.routers.len() {
            // As keepalived at start-up ("removing VIPs"): what a killed
            // run left behind goes before anything else.
            driver.routers[index].job(AddressJob::Remove);
            driver.drain(index, start);
        }
        driver.publish();
        driver
    }

    /// The status, kept current by the loop (for the control socket).
    pub fn status_handle(&self) -> Arc<Mutex<Status>> {
        self.status.clone()
    }

    /// Runs until `shutdown` completes, then stops every instance and
    /// returns the last status.
    pub async fn run(mut self, shutdown: impl Future<Output = ()>) -> Status {
        tokio::pin!(shutdown);
        loop {
            let next = self.next_deadline();
            let sleep = async {
                match next {
                    Some(at) => tokio::time::sleep_until(tokio::time::Instant::from_std(at)).await,
                    None => std::future::pending().await,
                }
            };
            let open = self.inbound_open;
            tokio::select! {
                biased;
                () = &mut shutdown => break,
                packet = self.inbound.recv(), if open => match packet {
                    Some(packet) => self.receive(packet),
                    None => self.inbound_open = false,
                },
                () = sleep => self.timers(),
            }
            self.publish();
        }
        self.stop().await
    }

    fn next_deadline(&self) -> Option<Instant> {
        self.routers
            .iter()
            .flat_map(|r| [r.instance.poll_timeout(), r.garp.next()])
            .flatten()
            .min()
    }

    fn timers(&mut self) {
        let now = now();
        for index in 0..self.routers.len() {
            let router = &mut self.routers[index];
            if router.instance.poll_timeout().is_some_and(|at| at <= now) {
                router.instance.handle_timeout(now);
            }
            let burst = router.garp.due(&router.garp_plan, now);
            if burst > 0 {
                router.job(AddressJob::Announce(burst));
            }
            self.drain(index, now);
        }
    }

    fn receive(&mut self, inbound: Inbound) {
        let now = now();
        let Some(socket) = self.sockets.get_mut(inbound.socket) else {
            return;
        };
        let received = match inbound.packet {
            Ok(received) => received,
            Err(error) => {
                socket.undecodable += 1;
                log::warn!("VRRP on {}: dropped a packet: {error}", socket.interface);
                return;
            }
        };
        let Some(index) = self.routers.iter().position(|r| {
            r.socket == inbound.socket && r.instance.config().vrid == received.advert.vrid
        }) else {
            socket.other_vrid += 1;
            return;
        };
        let router = &mut self.routers[index];
        let accepted = match router.instance.handle_advert(now, &received) {
            Ok(()) => true,
            Err(cause) => {
                log::warn!(
                    "({}) dropped an advert from {}: {cause:?}",
                    router.instance.config().name,
                    received.source
                );
                false
            }
        };
        self.drain(index, now);
        // After the state change it may have caused: a backup's master is
        // the sender of the last advert it accepted.
        let router = &mut self.routers[index];
        if accepted
            && router.instance.state() == State::Backup
            && received.advert.priority != crate::packet::PRIORITY_STOP
        {
            router.master = Some(received.source);
        }
    }

    /// Carries out what instance `index` asked, in order.
    fn drain(&mut self, index: usize, now: Instant) {
        let router = &mut self.routers[index];
        while let Some(output) = router.instance.poll_output() {
            match output {
                Output::SendAdvert(advert) => {
                    if let Some(sink) = self.sinks.get(router.socket) {
                        for to in &router.destinations {
                            if let Err(error) = sink.send(&advert, *to) {
                                log::warn!("({}) {error}", router.instance.config().name);
                            }
                        }
                    }
                }
                Output::AddAddresses { .. } => {
                    router.job(AddressJob::Add);
                    let burst = router.garp.became_master(&router.garp_plan, now);
                    router.job(AddressJob::Announce(burst));
                }
                Output::RemoveAddresses(_) => {
                    router.garp.left_master();
                    router.job(AddressJob::Remove);
                }
                Output::StateChanged { to, reason, .. } => {
                    let name = router.instance.config().name.clone();
                    let (word, notify) = match to {
                        State::Master => {
                            router.master = Some(router.instance.config().primary_address);
                            ("MASTER", NotifyState::Master)
                        }
                        State::Backup => {
                            router.master = None;
                            ("BACKUP", NotifyState::Backup)
                        }
                        State::Initialize => {
                            router.master = None;
                            ("STOP", NotifyState::Stop)
                        }
                    };
                    log::info!("({name}) Entering {word} STATE ({reason:?})");
                    let scripts = notify::scripts(
                        &router.notify,
                        &name,
                        notify,
                        router.instance.priority(),
                        self.script_user.as_ref(),
                    );
                    if !scripts.is_empty() {
                        if let Some(tx) = &router.scripts {
                            let _ = tx.send(scripts);
                        }
                    }
                }
            }
        }
    }

    fn publish(&self) {
        let instances = self
            .routers
            .iter()
            .map(|r| {
                let stats = r.instance.stats();
                let config = r.instance.config();
                InstanceStatus {
                    name: config.name.clone(),
                    interface: r.interface.clone(),
                    vrid: config.vrid,
                    state: status::state_word(r.instance.state()).to_string(),
                    priority: r.instance.priority(),
                    configured_priority: config.priority,
                    master: r.master,
                    adverts_sent: stats.adverts_sent,
                    adverts_received: stats.adverts_received,
                    priority_zero_received: stats.priority_zero_received,
                    became_master: stats.became_master,
                    released_master: stats.released_master,
                    drops: Drops::of(&stats),
                }
            })
            .collect();
        let status = Status {
            instances,
            sockets: self.sockets.clone(),
        };
        if let Ok(mut shared) = self.status.lock() {
            *shared = status;
        }
    }

    /// Every instance shuts down; waits for the address and script tasks.
    async fn stop(mut self) -> Status {
        let now = now();
        for index in 0..self.routers.len() {
            self.routers[index].instance.shutdown(now);
            self.drain(index, now);
        }
        self.publish();
        let mut tasks = Vec::new();
        for router in &mut self.routers {
            router.addresses = None;
            router.scripts = None;
            tasks.append(&mut router.tasks);
        }
        let all = futures_join(tasks);
        if tokio::time::timeout(self.options.stop_timeout, all)
            .await
            .is_err()
        {
            log::warn!(
                "VRRP: address removal or stop scripts still running after {:?}",
                self.options.stop_timeout
            );
        }
        let status = self.status.lock().map(|s| s.clone()).unwrap_or_default();
        status
    }
}

impl Router {
    fn job(&self, job: AddressJob) {
        if let Some(tx) = &self.addresses {
            let _ = tx.send(job);
        }
    }
}

/// Waits for every task.
async fn futures_join(tasks: Vec<JoinHandle<()>>) {
    for task in tasks {
        let _ = task.await;
    }
}

/// One instance's addresses, in order of the jobs; announcements run in
/// tasks of their own so that a removal never waits for one.
async fn address_task(
    host: Arc<dyn Host>,
    vips: Arc<[Vip]>,
    (garp_interval, gna_interval): (Duration, Duration),
    mut jobs: UnboundedReceiver<AddressJob>,
) {
    let mut announcing: Vec<JoinHandle<()>> = Vec::new();
    while let Some(job) = jobs.recv().await {
        match job {
            AddressJob::Add => {
                for vip in vips.iter() {
                    match host.add_address(vip).await {
                        Ok(()) => log::info!(
                            "added {}/{} to {}{}",
                            vip.address,
                            vip.prefix,
                            vip.interface,
                            vip.label
                                .as_ref()
                                .map(|l| format!(" label {l}"))
                                .unwrap_or_default()
                        ),
                        Err(error) => log::error!("{error}"),
                    }
                }
            }
            AddressJob::Remove => {
                for task in announcing.drain(..) {
                    task.abort();
                }
                for vip in vips.iter() {
                    match host.remove_address(vip).await {
                        Ok(()) => log::info!("removed {} from {}", vip.address, vip.interface),
                        Err(error) => log::error!("{error}"),
                    }
                }
            }
            AddressJob::Announce(count) => {
                announcing.retain(|t| !t.is_finished());
                for vip in vips.iter() {
                    let (host, vip) = (host.clone(), vip.clone());
                    let interval = match vip.address {
                        IpAddr::V4(_) => garp_interval,
                        IpAddr::V6(_) => gna_interval,
                    };
                    announcing.push(tokio::spawn(async move {
                        if let Err(error) = host.announce(&vip, count, interval).await {
                            log::warn!("{error}");
                        }
                    }));
                }
            }
        }
    }
}

/// One instance's notify scripts: each in a task of its own, as
/// keepalived forks each without waiting for the last, so that a hung
/// script (ended at its timeout) holds up no other. When the driver
/// stops, the scripts of the last change (the stop) are waited for;
/// older ones still running are ended (their process group killed).
async fn script_task(
    host: Arc<dyn Host>,
    timeout: Duration,
    mut batches: UnboundedReceiver<Vec<Script>>,
) {
    let mut older: Vec<JoinHandle<()>> = Vec::new();
    let mut last: Vec<JoinHandle<()>> = Vec::new();
    while let Some(scripts) = batches.recv().await {
        older.append(&mut last);
        older.retain(|t| !t.is_finished());
        for script in scripts {
            let host = host.clone();
            last.push(tokio::spawn(async move {
                if let Err(error) = host.run_script(&script, timeout).await {
                    log::warn!("notify script failed: {error}");
                }
            }));
        }
    }
    for task in older {
        task.abort();
    }
    futures_join(last).await;
}
