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

/// Why a check cannot run, as the sentence of a load error.
pub fn supported_check(check: &CheckSpec, _key: &ServiceKey) -> Result<(), String> {
    match check.check_type {
        CheckType::ExternalPerl => {
            Err("checktype 'external-perl' is not supported yet (use 'external')".into())
        }
        CheckType::Negotiate | CheckType::Combined(_)
            if !SUPPORTED_SERVICES.contains(&check.service) =>
        {
            Err(format!(
                "service '{}' is not supported yet for negotiate checks",
                check.service.name()
            ))
        }
        _ => Ok(()),
    }
}
