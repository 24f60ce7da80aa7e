//! Which checks this director can run, asked of the check engine at load
//! time.
//!
//! The parser asks [`supported_check`] about every virtual service and
//! [`supported_receive`] about every receive pattern; a refusal becomes a
//! `FILE:LINE` error at load time, so that a file naming a check we cannot
//! run is never accepted and then silently not checked. The decisions live
//! with the checks ([`crate::check::is_supported`], [`crate::check::Receive`]);
//! this module only places them on the right line.

use super::model::{CheckSpec, CheckType, ServiceKey};

/// Which setting of a virtual service a refusal is about (its line is the
/// one the error names).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckPart {
    /// `checktype=`.
    CheckType,
    /// `service=`.
    Service,
}

/// A check the director cannot run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unsupported {
    /// The setting at fault.
    pub part: CheckPart,
    /// The sentence of the load error.
    pub message: String,
}

/// Whether the director can run this check on a virtual service; the
/// refusal names what is missing.
pub fn supported_check(check: &CheckSpec, _key: &ServiceKey) -> Result<(), Unsupported> {
    let part = match check.check_type {
        CheckType::Negotiate | CheckType::Combined(_) => CheckPart::Service,
        _ => CheckPart::CheckType,
    };
    crate::check::is_supported(check.check_type, check.service)
        .map_err(|message| Unsupported { part, message })
}

/// Whether a `receive` pattern is one the checks can match with.
pub fn supported_receive(pattern: &str) -> Result<(), String> {
    crate::check::Receive::new(pattern)
        .map(|_| ())
        .map_err(|error| error.to_string())
}
