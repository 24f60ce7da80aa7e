//! From the file's values to what runs: inherited settings, and the IPVS
//! service and destinations a virtual service asks the kernel for.

use super::model::{
    DirectorConfig, EffectiveSettings, Fallback, Netmask, Overridable, RealServer, ServiceKey,
    VirtualService, DEFAULT_CHECK_INTERVAL, DEFAULT_CHECK_TIMEOUT, DEFAULT_NEGOTIATE_TIMEOUT,
};
use ha_ipvs::{AddressFamily, Destination, DestinationKey, Forwarding, Persistence, Service};
use std::net::IpAddr;

impl DirectorConfig {
    /// The settings a virtual service runs with: its own overrides, else the
    /// global ones, else ldirectord's defaults. checktimeout and
    /// negotiatetimeout default to each other as ldirectord's `ld_setup`
    /// does (the virtual's pair first, then the global pair), then to 5 s
    /// and 30 s.
    pub fn settings(&self, virtual_service: &VirtualService) -> EffectiveSettings {
        let own = &virtual_service.overrides;
        let global = &self.global.defaults;
        let check_timeout = own
            .check_timeout
            .or(own.negotiate_timeout)
            .or(global.check_timeout)
            .or(global.negotiate_timeout)
            .unwrap_or(DEFAULT_CHECK_TIMEOUT);
        let negotiate_timeout = own
            .negotiate_timeout
            .or(own.check_timeout)
            .or(global.negotiate_timeout)
            .or(global.check_timeout)
            .unwrap_or(DEFAULT_NEGOTIATE_TIMEOUT);
        let pick = |f: fn(&Overridable) -> Option<u32>, default: u32| {
            f(own).or(f(global)).unwrap_or(default)
        };
        let connect_timeout = own.connect_timeout.or(global.connect_timeout).unwrap_or(
            if virtual_service.check.check_type == super::CheckType::Negotiate {
                negotiate_timeout
            } else {
                check_timeout
            },
        );
        EffectiveSettings {
            check_timeout,
            negotiate_timeout,
            connect_timeout,
            check_interval: own
                .check_interval
                .or(global.check_interval)
                .unwrap_or(DEFAULT_CHECK_INTERVAL),
            check_count: pick(|o| o.check_count, 1),
            failure_count: pick(|o| o.failure_count, 1),
            quiescent: own.quiescent.or(global.quiescent).unwrap_or(false),
            cleanstop: own.cleanstop.or(global.cleanstop).unwrap_or(true),
            fallback_command: own
                .fallback_command
                .clone()
                .or_else(|| global.fallback_command.clone()),
            fallback: self.fallback_for(virtual_service),
        }
    }

    /// The fallback server of a virtual service: its own, else the global
    /// one of its family (`fallback` or `fallback6`), with the virtual
    /// port when none was written (0 for a firewall mark).
    pub fn fallback_for(&self, virtual_service: &VirtualService) -> Option<Fallback> {
        let global = match virtual_service.key.af() {
            AddressFamily::Inet => &self.global.fallback,
            AddressFamily::Inet6 => &self.global.fallback6,
        };
        let mut fallback = virtual_service
            .fallback
            .clone()
            .or_else(|| global.clone())?;
        fallback.port = Some(fallback.port.unwrap_or(virtual_service.port()));
        Some(fallback)
    }

    /// The virtual service with this key, if configured.
    pub fn virtual_service(&self, key: &ServiceKey) -> Option<&VirtualService> {
        self.virtual_services.iter().find(|v| v.key == *key)
    }
}

impl VirtualService {
    /// The virtual port; 0 for a firewall-mark service.
    pub fn port(&self) -> u16 {
        match self.key {
            ServiceKey::Address { port, .. } => port,
            ServiceKey::FirewallMark { .. } => 0,
        }
    }

    /// The IPVS virtual service ldirectord asks for (`ipvsadm -A`):
    /// scheduler, flags, persistence with its netmask (the family's
    /// single-address default when none is given), one-packet scheduling.
    pub fn ipvs_service(&self) -> Service {
        let mut service = Service::new(self.key, self.scheduler.clone());
        service.scheduler_flags = self.scheduler_flags;
        service.one_packet = self.one_packet;
        service.persistence = self.persistent.map(|timeout| Persistence {
            timeout,
            netmask: self
                .netmask
                .unwrap_or_else(|| Netmask::default_for(self.key.af())),
            engine: None,
        });
        service
    }

    /// The IPVS port of a server of this service at `addr:port`: for an
    /// address-and-port service every method but masq keeps the virtual
    /// port (as ipvsadm and the kernel do), and a masq server written
    /// without a port uses the virtual port; firewall-mark services keep
    /// the port as written.
    pub fn destination_port(&self, port: u16, forwarding: Forwarding) -> u16 {
        match self.key {
            ServiceKey::FirewallMark { .. } => port,
            ServiceKey::Address { port: vport, .. } => {
                if forwarding != Forwarding::Masquerade || port == 0 {
                    vport
                } else {
                    port
                }
            }
        }
    }

    /// The IPVS destination of one of this service's real servers, at the
    /// given weight (the configured one while healthy, 0 when quiesced).
    pub fn destination(&self, real: &RealServer, weight: u32) -> Destination {
        Destination {
            addr: real.addr,
            port: self.destination_port(real.port, real.forwarding),
            forwarding: real.forwarding,
            weight,
            upper_threshold: real.upper_threshold,
            lower_threshold: real.lower_threshold,
        }
    }

    /// The IPVS key of one of this service's real servers.
    pub fn destination_key(&self, real: &RealServer) -> DestinationKey {
        DestinationKey {
            addr: real.addr,
            port: self.destination_port(real.port, real.forwarding),
        }
    }

    /// The IPVS destination of a fallback server (weight 1, as ldirectord).
    pub fn fallback_destination(&self, fallback: &Fallback) -> Destination {
        let port = fallback.port.unwrap_or(self.port());
        Destination {
            addr: fallback.addr,
            port: self.destination_port(port, fallback.forwarding),
            forwarding: fallback.forwarding,
            weight: 1,
            upper_threshold: 0,
            lower_threshold: 0,
        }
    }

    /// The address of an address-and-port service; `None` for a mark.
    pub fn addr(&self) -> Option<IpAddr> {
        match self.key {
            ServiceKey::Address { addr, .. } => Some(addr),
            ServiceKey::FirewallMark { .. } => None,
        }
    }
}
