//! The connect check (ldirectord's `check_connect`): a TCP connection to
//! the check port is opened and closed at once. UDP services are pinged
//! instead; the dispatcher in `mod.rs` sends them to `ping`.

use super::io::connect_tcp;
use super::outcome::CheckResult;
use super::spec::CheckSpec;

/// Opens and closes one TCP connection.
pub(crate) async fn check(spec: &CheckSpec) -> CheckResult {
    drop(connect_tcp(spec.target, spec.connect_timeout).await?);
    Ok(format!("connected to {}", spec.target))
}
