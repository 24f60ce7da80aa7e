//! Resolving the "IPVS" generic-netlink family to its number, through
//! neli's router and the kernel's generic-netlink controller.

use neli::consts::socket::NlFamily;
use neli::err::RouterError;
use neli::router::synchronous::NlRouter;
use neli::utils::Groups;

use crate::error::IpvsError;

/// The generic-netlink family name of IPVS (`IPVS_GENL_NAME`).
pub(crate) const IPVS_GENL_NAME: &str = "IPVS";

/// `ENOENT`: the controller's answer for an unknown family.
const ENOENT: i32 = 2;

/// The family number of IPVS; [`IpvsError::NotAvailable`] when the kernel
/// has none (no `ip_vs` module loaded).
pub(crate) fn resolve_ipvs_family() -> Result<u16, IpvsError> {
    let (router, _multicast) = NlRouter::connect(NlFamily::Generic, None, Groups::empty())
        .map_err(|e| IpvsError::Resolve(e.to_string()))?;
    match router.resolve_genl_family(IPVS_GENL_NAME) {
        Ok(id) => Ok(id),
        Err(RouterError::Nlmsgerr(err)) if err.error().unsigned_abs() == ENOENT as u32 => {
            Err(IpvsError::NotAvailable)
        }
        // The reply came but named no family number.
        Err(RouterError::Msg(_)) => Err(IpvsError::NotAvailable),
        Err(other) => Err(IpvsError::Resolve(other.to_string())),
    }
}
