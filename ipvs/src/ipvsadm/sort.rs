//! The order ipvsadm lists services and real servers in.
//!
//! ipvsadm sorts with glibc's `qsort` (a top-down merge sort) and
//! comparators that subtract 32-bit values and keep the result as a signed
//! `int`. The subtraction wraps, so 10.0.0.1 sorts after 200.0.0.1 (their
//! difference exceeds 2³¹), and the order is not even transitive. To list in
//! exactly ipvsadm's order, this module reproduces both the comparators and
//! the merge sort.

use std::cmp::Ordering;
use std::net::IpAddr;

use crate::model::{DestinationEntry, ServiceEntry, ServiceKey};

/// glibc's `msort`: split in halves (the first one smaller for odd
/// lengths), sort each, merge taking from the left while `cmp <= 0`.
pub fn glibc_merge_sort<T: Clone>(items: &mut [T], cmp: &dyn Fn(&T, &T) -> i32) {
    let n = items.len();
    if n <= 1 {
        return;
    }
    let n1 = n / 2;
    {
        let (left, right) = items.split_at_mut(n1);
        glibc_merge_sort(left, cmp);
        glibc_merge_sort(right, cmp);
    }
    let mut merged = Vec::with_capacity(n);
    let (mut i, mut j) = (0, n1);
    while i < n1 && j < n {
        if cmp(&items[i], &items[j]) <= 0 {
            merged.push(items[i].clone());
            i += 1;
        } else {
            merged.push(items[j].clone());
            j += 1;
        }
    }
    merged.extend_from_slice(&items[i..n1]);
    merged.extend_from_slice(&items[j..n]);
    items.clone_from_slice(&merged);
}

/// An address as libipvs holds it: four 32-bit words in host order
/// (an IPv4 address fills the first).
fn words(addr: &IpAddr) -> [u32; 4] {
    match addr {
        IpAddr::V4(v4) => [u32::from(*v4), 0, 0, 0],
        IpAddr::V6(v6) => {
            let o = v6.octets();
            let w = |i: usize| u32::from_be_bytes([o[i], o[i + 1], o[i + 2], o[i + 3]]);
            [w(0), w(4), w(8), w(12)]
        }
    }
}

/// C's `(int)(a - b)` for unsigned 32-bit values.
fn wrapped_diff(a: u32, b: u32) -> i32 {
    a.wrapping_sub(b) as i32
}

/// libipvs's address comparison: word by word while equal, IPv6 only if
/// the first address is IPv6.
fn compare_addrs(a: &IpAddr, b: &IpAddr) -> i32 {
    let (wa, wb) = (words(a), words(b));
    if a.is_ipv6() {
        for i in 0..4 {
            let r = wrapped_diff(wa[i], wb[i]);
            if r != 0 {
                return r;
            }
        }
        0
    } else {
        wrapped_diff(wa[0], wb[0])
    }
}

/// The fields libipvs compares services by.
fn service_fields(key: &ServiceKey) -> (u32, i32, i32, Option<IpAddr>, i32) {
    match key {
        ServiceKey::Address {
            protocol,
            addr,
            port,
        } => (
            0,
            i32::from(key.af().to_raw()),
            i32::from(protocol.to_raw()),
            Some(*addr),
            i32::from(*port),
        ),
        // ipvsadm creates firewall-mark services as TCP with no address.
        ServiceKey::FirewallMark { af, mark } => (*mark, i32::from(af.to_raw()), 6, None, 0),
    }
}

/// libipvs's `ipvs_cmp_services`.
pub fn compare_services(a: &ServiceEntry, b: &ServiceEntry) -> i32 {
    let (fa, afa, pa, aa, porta) = service_fields(&a.service.key);
    let (fb, afb, pb, ab, portb) = service_fields(&b.service.key);
    let r = wrapped_diff(fa, fb);
    if r != 0 {
        return r;
    }
    let r = afa - afb;
    if r != 0 {
        return r;
    }
    let r = pa - pb;
    if r != 0 {
        return r;
    }
    let unspecified = |af: i32| {
        if af == 10 {
            IpAddr::from([0u16; 8])
        } else {
            IpAddr::from([0u8; 4])
        }
    };
    let addr_a = aa.unwrap_or_else(|| unspecified(afa));
    let addr_b = ab.unwrap_or_else(|| unspecified(afb));
    let r = compare_addrs(&addr_a, &addr_b);
    if r != 0 {
        return r;
    }
    porta - portb
}

/// libipvs's `ipvs_cmp_dests`.
pub fn compare_destinations(a: &DestinationEntry, b: &DestinationEntry) -> i32 {
    let r = compare_addrs(&a.destination.addr, &b.destination.addr);
    if r != 0 {
        return r;
    }
    i32::from(a.destination.port) - i32::from(b.destination.port)
}

/// Services in ipvsadm's listing order.
pub fn sort_services(services: &mut [ServiceEntry]) {
    glibc_merge_sort(services, &compare_services);
}

/// Real servers in ipvsadm's listing order.
pub fn sort_destinations(dests: &mut [DestinationEntry]) {
    glibc_merge_sort(dests, &compare_destinations);
}

/// An [`Ordering`] from a C comparator result.
pub fn ordering(r: i32) -> Ordering {
    r.cmp(&0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_sort_is_stable_and_sorts() {
        let mut v = vec![(3, 'a'), (1, 'b'), (3, 'c'), (2, 'd'), (1, 'e')];
        glibc_merge_sort(&mut v, &|a: &(i32, char), b: &(i32, char)| a.0 - b.0);
        assert_eq!(v, vec![(1, 'b'), (1, 'e'), (2, 'd'), (3, 'a'), (3, 'c')]);
    }

    #[test]
    fn address_differences_wrap_as_in_c() {
        let low: IpAddr = IpAddr::from([10, 0, 0, 1]);
        let high: IpAddr = IpAddr::from([200, 0, 0, 1]);
        // 0x0a000001 - 0xc8000001 wraps to a positive int.
        assert!(compare_addrs(&low, &high) > 0);
        let near: IpAddr = IpAddr::from([10, 0, 0, 2]);
        assert!(compare_addrs(&low, &near) < 0);
        assert_eq!(ordering(compare_addrs(&low, &low)), Ordering::Equal);
    }
}
