//! What the reconciler needs to know of the configuration: each virtual
//! service as the kernel should hold it, its real servers and fallback
//! server as the kernel will hold them, and the options that decide what
//! becomes of a real server that is down (`quiescent`, `readdquiescent`)
//! and of the services when the director stops (`cleanstop`).
//!
//! Real servers are stored the way the kernel keeps them: like ipvsadm
//! (which ldirectord drives), the port of a direct-routed or tunnelled real
//! server of an address-and-port service is the virtual port, whatever the
//! configuration says, since such a server receives the packets unchanged.

use ha_ipvs::{Destination, DestinationKey, Forwarding, Service, ServiceKey};

use super::names::{RealName, ServiceName};

/// A configuration the reconciler cannot work with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SpecError {
    /// Two virtual services with the same protocol, address and port (or mark).
    #[error("virtual service {} is defined twice", ServiceName(.0))]
    DuplicateService(ServiceKey),
    /// Two real servers of one virtual service the kernel would hold as one
    /// (the same address, and the same port once mapped).
    #[error(
        "real server {} appears twice in virtual service {} (a direct-routed or tunnelled real server takes the virtual port)",
        RealName(real),
        ServiceName(service)
    )]
    DuplicateReal {
        /// The virtual service.
        service: ServiceKey,
        /// The real server as the kernel would hold it.
        real: DestinationKey,
    },
}

/// The destination the kernel holds for `dest` in `service`: for an
/// address-and-port service, a real server forwarded by direct routing or
/// a tunnel takes the virtual port (ipvsadm does this before asking the
/// kernel, so tables written by ldirectord look this way).
pub fn kernel_destination(service: &ServiceKey, mut dest: Destination) -> Destination {
    if let ServiceKey::Address { port, .. } = service {
        if matches!(
            dest.forwarding,
            Forwarding::DirectRoute | Forwarding::Tunnel(_)
        ) {
            dest.port = *port;
        }
    }
    dest
}

/// One virtual service: the service itself, its real servers and fallback
/// server (as the kernel will hold them), and its own options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VirtualSpec {
    /// The service as the kernel should hold it.
    pub service: Service,
    /// `quiescent`: a real server that is down keeps its entry with weight
    /// 0 instead of being removed.
    pub quiescent: bool,
    /// `cleanstop`: stopping the director removes this service.
    pub cleanstop: bool,
    reals: Vec<Destination>,
    fallback: Option<Destination>,
}

impl VirtualSpec {
    /// A service without real servers or fallback; not quiescent, removed on
    /// stop (ldirectord's defaults).
    pub fn new(service: Service) -> Self {
        VirtualSpec {
            service,
            quiescent: false,
            cleanstop: true,
            reals: Vec::new(),
            fallback: None,
        }
    }

    /// The service's key.
    pub fn key(&self) -> ServiceKey {
        self.service.key
    }

    /// Adds a real server (its port mapped as the kernel will hold it);
    /// refuses one the kernel would confuse with another.
    pub fn add_real(&mut self, dest: Destination) -> Result<(), SpecError> {
        let dest = kernel_destination(&self.service.key, dest);
        if self.reals.iter().any(|r| r.key() == dest.key()) {
            return Err(SpecError::DuplicateReal {
                service: self.service.key,
                real: dest.key(),
            });
        }
        self.reals.push(dest);
        Ok(())
    }

    /// Sets the fallback server, added when no real server is up. Like
    /// ldirectord's, it always has weight 1 and no thresholds.
    pub fn set_fallback(&mut self, dest: Destination) {
        let dest = Destination {
            weight: 1,
            upper_threshold: 0,
            lower_threshold: 0,
            ..kernel_destination(&self.service.key, dest)
        };
        self.fallback = Some(dest);
    }

    /// The real servers, in configuration order, as the kernel will hold them.
    pub fn reals(&self) -> &[Destination] {
        &self.reals
    }

    /// The fallback server, as the kernel will hold it.
    pub fn fallback(&self) -> Option<&Destination> {
        self.fallback.as_ref()
    }
}

/// Everything the director keeps in the kernel: its virtual services and
/// the global `readdquiescent` option.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DirectorSpec {
    /// `readdquiescent`: a quiescent real server found down and missing
    /// from the kernel's table is added back with weight 0 (with `no`, an
    /// operator may remove it by hand and it stays removed).
    pub readd_quiescent: bool,
    virtuals: Vec<VirtualSpec>,
}

impl DirectorSpec {
    /// No virtual services.
    pub fn new(readd_quiescent: bool) -> Self {
        DirectorSpec {
            readd_quiescent,
            virtuals: Vec::new(),
        }
    }

    /// Adds a virtual service; refuses a second one with the same key.
    pub fn push(&mut self, virtual_spec: VirtualSpec) -> Result<(), SpecError> {
        if self.get(&virtual_spec.key()).is_some() {
            return Err(SpecError::DuplicateService(virtual_spec.key()));
        }
        self.virtuals.push(virtual_spec);
        Ok(())
    }

    /// The virtual services, in configuration order.
    pub fn virtuals(&self) -> &[VirtualSpec] {
        &self.virtuals
    }

    /// The virtual service with this key.
    pub fn get(&self, key: &ServiceKey) -> Option<&VirtualSpec> {
        self.virtuals.iter().find(|v| v.key() == *key)
    }

    /// Whether a virtual service with this key is configured.
    pub fn contains(&self, key: &ServiceKey) -> bool {
        self.get(key).is_some()
    }
}
