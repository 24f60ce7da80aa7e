//! The resources served natively, inside the daemon, with no script: today
//! `IPaddr` and `IPaddr2` (the [`ipaddr`] agent over ha-net), in
//! heartbeat's positional form and as `ocf:heartbeat:IPaddr2::name=value…`
//! when every parameter is one the native agent knows. A native name wins
//! over any script of the same name, as the resolver's first step.

pub mod ipaddr;

use std::sync::Arc;

use crate::agent::Agent;
pub use ipaddr::{ArpSchedule, IpAddrAgent, IpAddrSpec, IpAddrStyle, MAX_INTERFACE_NAME};

/// A resource a native agent serves, with its arguments read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NativeSpec {
    /// `IPaddr::…`, `IPaddr2::…` or a bare IP address.
    IpAddr(IpAddrSpec),
}

impl NativeSpec {
    /// The native resource `name` with `args`: `None` when no native agent
    /// serves that name, `Some(Err(message))` when one does but the
    /// arguments are wrong (the message says what was expected).
    pub fn lookup(name: &str, args: &[String]) -> Option<Result<NativeSpec, String>> {
        if let Some(style) = ipaddr::ocf_params::style_of(name) {
            return ipaddr::ocf_params::from_params(style, args)
                .map(|spec| spec.map(NativeSpec::IpAddr));
        }
        let style = IpAddrStyle::from_name(name)?;
        Some(IpAddrSpec::from_args(style, args).map(NativeSpec::IpAddr))
    }

    /// The resource type name, e.g. `IPaddr2`.
    pub fn name(&self) -> &'static str {
        match self {
            NativeSpec::IpAddr(spec) => spec.style.name(),
        }
    }

    /// One line on how it runs, e.g. `native IPaddr2: 10.0.0.2/24 on eth0`.
    pub fn describe(&self) -> String {
        match self {
            NativeSpec::IpAddr(spec) => format!("native {}: {}", self.name(), spec.describe()),
        }
    }

    /// The agent of the resource written `text` in haresources.
    pub fn agent(&self, text: &str) -> Arc<dyn Agent> {
        match self {
            NativeSpec::IpAddr(spec) => Arc::new(IpAddrAgent::new(text, spec.clone())),
        }
    }
}
