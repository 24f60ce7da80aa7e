//! The checks a received advert passes before it may change anything,
//! in keepalived 2.2.7's order (`vrrp_check_packet`, vrrp.c:778-1157):
//! TTL (multicast only), version, v2 authentication type and password,
//! v2 interval, then the address list. Length, type and checksum were
//! checked by the decoder ([`crate::packet::decode`]).

use std::collections::BTreeSet;

use super::types::{Config, Dropped, Received, Stats};
use crate::packet::{Auth, Version, VRRP_TTL};

/// Whether `received` may be processed; each drop is counted in `stats`.
pub fn check(config: &Config, received: &Received, stats: &mut Stats) -> Result<(), Dropped> {
    let result = verdict(config, received);
    match result {
        Err(Dropped::Ttl(_)) => stats.ttl_errors += 1,
        Err(Dropped::Version | Dropped::Family) => stats.version_errors += 1,
        Err(Dropped::AuthType) => stats.auth_type_mismatches += 1,
        Err(Dropped::AuthFailure) => stats.auth_failures += 1,
        Err(Dropped::AddressList) => stats.address_list_errors += 1,
        Err(Dropped::Interval) => stats.interval_errors += 1,
        Err(Dropped::OtherVrid) => {}
        Ok(()) => stats.adverts_received += 1,
    }
    result
}

fn verdict(config: &Config, received: &Received) -> Result<(), Dropped> {
    let advert = &received.advert;
    if advert.vrid != config.vrid {
        return Err(Dropped::OtherVrid);
    }
    if !config.unicast && received.ttl != VRRP_TTL {
        return Err(Dropped::Ttl(received.ttl));
    }
    if advert.version != config.version {
        return Err(Dropped::Version);
    }
    if advert.addresses.family() != config.family {
        return Err(Dropped::Family);
    }
    if config.version == Version::V2 {
        if advert.auth.kind() != config.auth.kind() {
            return Err(Dropped::AuthType);
        }
        if let (Auth::Pass(theirs), Auth::Pass(ours)) = (&advert.auth, &config.auth) {
            if theirs != ours {
                return Err(Dropped::AuthFailure);
            }
        }
        if advert.interval() != config.advert_interval {
            return Err(Dropped::Interval);
        }
    }
    let theirs = advert.addresses.to_ip_addrs();
    let ours: BTreeSet<_> = config.addresses.iter().collect();
    if theirs.len() != config.addresses.len() || theirs.iter().collect::<BTreeSet<_>>() != ours {
        return Err(Dropped::AddressList);
    }
    Ok(())
}
