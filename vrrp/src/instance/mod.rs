//! One virtual router's state machine: sans-IO, under an explicit clock.
//!
//! [`Instance`] follows RFC 5798 §6.4 (and RFC 3768 §6.4 for v2) as
//! keepalived 2.2.7 implements them:
//!
//! 1. Start-up (`Instance::new`): the owner (priority 255) configured
//!    `state MASTER` becomes master at once; another `state MASTER`
//!    router listens for one advert interval and the smallest skew first
//!    (vrrp_scheduler.c:212-249); a `state BACKUP` router listens for the
//!    master-down interval ([`timers`]).
//! 2. Backup (vrrp.c:1905-1995): an advert of priority 0 cuts the wait to
//!    the skew time; one of priority at least ours, or any when
//!    preemption is off, restarts the master-down timer (v3 also takes
//!    the master's interval); a lower one is ignored, so the timer runs
//!    out and this router preempts it — after `preempt_delay` from the
//!    first lower advert heard, when one is set. The timer running out
//!    makes this router master.
//! 3. Master (vrrp.c:2074-2200): it advertises every interval; an advert
//!    of priority 0 is answered at once; a higher priority, or an equal
//!    one from a higher primary address, makes it backup; a lower one is
//!    answered with an advert at once, which is what ends a split brain
//!    within one interval. Of two owners (both 255) the one that hears
//!    the other drops to 254, as keepalived does.
//! 4. Shutdown: a master sends priority 0 and releases its addresses.
//!
//! Adverts are checked first ([`check`]); drops are counted by cause in
//! [`Stats`].
//!
//! # Order of calls
//!
//! 1. [`Instance::new`] with the start time.
//! 2. Then, each with the current monotonic time, in any order:
//!    [`Instance::handle_advert`] for every advert of our VRID received;
//!    [`Instance::handle_timeout`] when [`Instance::poll_timeout`]'s
//!    instant has come (early calls are harmless);
//!    [`Instance::set_priority`] when tracking changes the priority;
//!    [`Instance::shutdown`] to stop.
//! 3. After each call, drain [`Instance::poll_output`] and carry out what
//!    it says, in order; then ask [`Instance::poll_timeout`] again.

mod check;
pub mod timers;
mod types;

#[cfg(test)]
mod tests;

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use crate::config::StartState;
use crate::packet::{Addresses, Advert, Auth, Version, PRIORITY_OWNER, PRIORITY_STOP};
pub use types::{Config, Dropped, Output, Reason, Received, State, Stats};

/// The running state and its one timer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Initialize,
    /// Listening; master declared down at `master_down_at`.
    Backup {
        master_down_at: Instant,
    },
    /// Advertising; next advert at `advert_at`.
    Master {
        advert_at: Instant,
    },
}

/// One virtual router.
#[derive(Debug)]
pub struct Instance {
    config: Config,
    priority: u8,
    phase: Phase,
    /// The interval the current master advertises (v3 learns it).
    master_interval: Duration,
    /// When a lower-priority master may be preempted (`preempt_delay`).
    preempt_at: Option<Instant>,
    stats: Stats,
    outputs: VecDeque<Output>,
}

impl Instance {
    /// A virtual router starting at `now`.
    pub fn new(config: Config, now: Instant) -> Instance {
        let mut instance = Instance {
            priority: config.priority,
            master_interval: config.advert_interval,
            config,
            phase: Phase::Initialize,
            preempt_at: None,
            stats: Stats::default(),
            outputs: VecDeque::new(),
        };
        instance.start(now);
        instance
    }

    fn start(&mut self, now: Instant) {
        let c = &self.config;
        if c.start == StartState::Master && c.priority == PRIORITY_OWNER {
            self.become_master(now, Reason::Owner);
            return;
        }
        let wait = if c.start == StartState::Master {
            timers::start_as_master_wait(c.version, c.advert_interval)
        } else {
            self.master_down_interval()
        };
        self.enter_backup(now + wait, Reason::Startup);
    }

    /// The settings.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The current state.
    pub fn state(&self) -> State {
        match self.phase {
            Phase::Initialize => State::Initialize,
            Phase::Backup { .. } => State::Backup,
            Phase::Master { .. } => State::Master,
        }
    }

    /// The priority in effect (the configured one, changed by tracking).
    pub fn priority(&self) -> u8 {
        self.priority
    }

    /// The counters.
    pub fn stats(&self) -> Stats {
        self.stats
    }

    /// The interval the current master advertises, as this router uses
    /// it for the master-down interval.
    pub fn master_interval(&self) -> Duration {
        self.master_interval
    }

    /// When [`Instance::handle_timeout`] is next due (`None` when not
    /// running).
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        match self.phase {
            Phase::Initialize => None,
            Phase::Backup { master_down_at } => Some(master_down_at),
            Phase::Master { advert_at } => Some(advert_at),
        }
    }

    /// The next thing to do, in order.
    #[must_use]
    pub fn poll_output(&mut self) -> Option<Output> {
        self.outputs.pop_front()
    }

    /// A timer came due.
    pub fn handle_timeout(&mut self, now: Instant) {
        match self.phase {
            Phase::Backup { master_down_at } if now >= master_down_at => {
                self.become_master(now, Reason::MasterDown);
            }
            Phase::Master { advert_at } if now >= advert_at => {
                self.send_advert(self.priority);
                self.phase = Phase::Master {
                    advert_at: now + self.config.advert_interval,
                };
            }
            _ => {}
        }
    }

    /// An advert of this router's VRID arrived at `now`; `Err` says why
    /// it was dropped.
    pub fn handle_advert(&mut self, now: Instant, received: &Received) -> Result<(), Dropped> {
        if self.phase == Phase::Initialize {
            return Ok(());
        }
        check::check(&self.config, received, &mut self.stats)?;
        let advert = &received.advert;
        if advert.priority == PRIORITY_STOP {
            self.stats.priority_zero_received += 1;
        }
        match self.phase {
            Phase::Initialize => {}
            Phase::Backup { .. } => self.backup_receives(now, advert),
            Phase::Master { .. } => self.master_receives(now, received),
        }
        Ok(())
    }

    fn backup_receives(&mut self, now: Instant, advert: &Advert) {
        if advert.priority == PRIORITY_STOP {
            let skew = timers::skew_time(self.config.version, self.priority, self.master_interval);
            self.phase = Phase::Backup {
                master_down_at: now + skew,
            };
            return;
        }
        let lower = advert.priority < self.priority;
        let delaying =
            self.config.preempt_delay > Duration::ZERO && self.preempt_at.is_none_or(|at| at > now);
        if !self.config.preempt || !lower || delaying {
            if self.config.version == Version::V3 {
                self.master_interval = advert.interval();
            }
            if !self.config.preempt_delay.is_zero() {
                if !lower {
                    self.preempt_at = None;
                } else if self.preempt_at.is_none() {
                    self.preempt_at = Some(now + self.config.preempt_delay);
                }
            }
            self.phase = Phase::Backup {
                master_down_at: now + self.master_down_interval(),
            };
        }
        // Otherwise a lower master is ignored: the timer runs out and this
        // router preempts it.
    }

    fn master_receives(&mut self, now: Instant, received: &Received) {
        let advert = &received.advert;
        if advert.priority == PRIORITY_STOP {
            self.send_advert(self.priority);
            self.phase = Phase::Master {
                advert_at: now + self.config.advert_interval,
            };
            return;
        }
        if advert.priority == PRIORITY_OWNER
            && self.priority == PRIORITY_OWNER
            && received.source != self.config.primary_address
        {
            // Two owners: a configuration error. keepalived lowers its own
            // priority to 254 so that one of them yields (vrrp.c:2117-2126).
            self.priority = PRIORITY_OWNER - 1;
        }
        let higher = advert.priority > self.priority
            || (advert.priority == self.priority && received.source > self.config.primary_address);
        if higher {
            if self.config.version == Version::V3 {
                self.master_interval = advert.interval();
            }
            self.release_addresses();
            self.stats.released_master += 1;
            let down = now + self.master_down_interval();
            self.enter_backup(down, Reason::Preempted);
        } else if received.source != self.config.primary_address {
            // keepalived answers a lower master at once ("forcing new
            // election", vrrp.c:2133-2152), so it yields within one
            // interval instead of waiting for our next advert.
            self.send_advert(self.priority);
        }
    }

    /// Tracking changed the priority (1 to 254; the owner keeps 255).
    pub fn set_priority(&mut self, now: Instant, priority: u8) {
        let priority = priority.max(1);
        if priority == self.priority {
            return;
        }
        self.priority = priority;
        if let Phase::Master { .. } = self.phase {
            // Tell the backups now, so a better one preempts at once.
            self.send_advert(priority);
            self.phase = Phase::Master {
                advert_at: now + self.config.advert_interval,
            };
        }
    }

    /// The operator stops the instance: a master sends priority 0 and
    /// releases its addresses.
    pub fn shutdown(&mut self, _now: Instant) {
        let from = self.state();
        if from == State::Master {
            self.send_advert(PRIORITY_STOP);
            self.release_addresses();
            self.stats.released_master += 1;
        }
        if from != State::Initialize {
            self.phase = Phase::Initialize;
            self.outputs.push_back(Output::StateChanged {
                from,
                to: State::Initialize,
                reason: Reason::Shutdown,
            });
        }
    }

    fn master_down_interval(&self) -> Duration {
        timers::master_down_interval(self.config.version, self.priority, self.master_interval)
    }

    fn enter_backup(&mut self, master_down_at: Instant, reason: Reason) {
        let from = self.state();
        self.phase = Phase::Backup { master_down_at };
        self.preempt_at = None;
        if from != State::Backup {
            self.outputs.push_back(Output::StateChanged {
                from,
                to: State::Backup,
                reason,
            });
        }
    }

    fn become_master(&mut self, now: Instant, reason: Reason) {
        let from = self.state();
        // As keepalived: the advert first, so that the old master lets go
        // before the addresses are announced here.
        self.send_advert(self.priority);
        let mut addresses = self.config.addresses.clone();
        addresses.extend(self.config.excluded.iter().copied());
        self.outputs.push_back(Output::AddAddresses {
            addresses,
            accept: self.config.accept,
        });
        self.phase = Phase::Master {
            advert_at: now + self.config.advert_interval,
        };
        self.master_interval = self.config.advert_interval;
        self.stats.became_master += 1;
        self.outputs.push_back(Output::StateChanged {
            from,
            to: State::Master,
            reason,
        });
    }

    fn release_addresses(&mut self) {
        let mut addresses = self.config.addresses.clone();
        addresses.extend(self.config.excluded.iter().copied());
        self.outputs.push_back(Output::RemoveAddresses(addresses));
    }

    /// The advert this router sends with `priority`.
    pub fn advert(&self, priority: u8) -> Advert {
        let c = &self.config;
        let (interval, auth) = match c.version {
            Version::V2 => (
                u16::try_from(c.advert_interval.as_secs()).unwrap_or(u16::MAX),
                c.auth,
            ),
            Version::V3 => (
                u16::try_from(c.advert_interval.as_millis() / 10).unwrap_or(u16::MAX),
                Auth::None,
            ),
        };
        let addresses = match c.family {
            crate::packet::Family::Ipv4 => Addresses::V4(
                c.addresses
                    .iter()
                    .filter_map(|a| match a {
                        std::net::IpAddr::V4(v4) => Some(*v4),
                        std::net::IpAddr::V6(_) => None,
                    })
                    .collect(),
            ),
            crate::packet::Family::Ipv6 => Addresses::V6(
                c.addresses
                    .iter()
                    .filter_map(|a| match a {
                        std::net::IpAddr::V6(v6) => Some(*v6),
                        std::net::IpAddr::V4(_) => None,
                    })
                    .collect(),
            ),
        };
        Advert {
            version: c.version,
            vrid: c.vrid,
            priority,
            interval,
            auth,
            addresses,
        }
    }

    fn send_advert(&mut self, priority: u8) {
        self.stats.adverts_sent += 1;
        self.outputs
            .push_back(Output::SendAdvert(self.advert(priority)));
    }
}
