//! Which checks this director can run: the one place to edit when a check
//! type or a negotiate service is implemented.
//!
//! The parser asks [`supported_check`] about every virtual service; a
//! refusal becomes a `FILE:LINE` error at load time, so that a file naming
//! a check we cannot run is never accepted and then silently not checked.

use super::model::{CheckService, CheckSpec, CheckType, ServiceKey};

/// Negotiate services implemented by the check engine.
pub const SUPPORTED_SERVICES: &[CheckService] = &[
    CheckService::Dns,
    CheckService::Ftp,
    CheckService::Http,
    CheckService::Https,
    CheckService::Imap,
    CheckService::Ldap,
    CheckService::Mysql,
    CheckService::None,
    CheckService::Pgsql,
    CheckService::Pop,
    CheckService::Simpletcp,
    CheckService::Smtp,
    CheckService::Submission,
];

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
    match check.check_type {
        CheckType::ExternalPerl => Err(Unsupported {
            part: CheckPart::CheckType,
            message: "checktype 'external-perl' is not supported yet (use 'external')".into(),
        }),
        CheckType::Negotiate | CheckType::Combined(_)
            if !SUPPORTED_SERVICES.contains(&check.service) =>
        {
            Err(Unsupported {
                part: CheckPart::Service,
                message: format!(
                    "service '{}' is not supported yet for negotiate checks",
                    check.service.name()
                ),
            })
        }
        _ => Ok(()),
    }
}
