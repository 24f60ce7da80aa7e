//! The ping check (ldirectord's `check_ping`, also its connect check of UDP
//! services): up to `checkcount` ICMP or ICMPv6 echo requests over
//! ha-net's [`Pinger`], each given `checktimeout` to be answered; up at the
//! first reply.

use ha_net::icmp::{OpenError, Pinger};

use super::outcome::{CheckError, CheckResult};
use super::spec::CheckSpec;

/// Runs the check.
pub(crate) async fn check(spec: &CheckSpec) -> CheckResult {
    let target = spec.target.ip();
    let pinger = Pinger::open(target)
        .map_err(OpenError::into_io)
        .map_err(CheckError::io("opening an ICMP socket"))?;
    let attempts = spec.check_count.max(1);
    for attempt in 1..=attempts {
        if pinger.ping(spec.check_timeout).await {
            return Ok(format!(
                "echo reply from {target} (attempt {attempt}/{attempts}, {} socket)",
                pinger.kind()
            ));
        }
    }
    Err(CheckError::Answer(format!(
        "no echo reply from {target} in {attempts} attempt(s) of {:?}",
        spec.check_timeout
    )))
}
