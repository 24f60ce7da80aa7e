//! What a reload has to apply.

use super::*;
use ha_ipvs::DestinationKey;

const BASE: &str = "checktimeout=3\n\
                    virtual=10.0.0.1:80\n\treal=10.0.1.1:80 gate\n\treal=10.0.1.2:80 gate\n\
                    virtual=10.0.0.2:80\n\treal=10.0.1.1:80 gate\n";

fn dest(addr: &str, port: u16) -> DestinationKey {
    DestinationKey {
        addr: ip(addr),
        port,
    }
}

fn key(addr: &str) -> ServiceKey {
    tcp_service(addr, 80).key
}

#[test]
fn the_same_file_moved_around_is_no_change() {
    let moved = "\n# reordered\nvirtual=10.0.0.2:80\n\treal=10.0.1.1:80 gate\n\
                 virtual=10.0.0.1:80\n\treal=10.0.1.2:80 gate\n\treal=10.0.1.1:80 gate\n\
                 checktimeout=3\n";
    let d = diff(&config(BASE), &config(moved));
    assert!(d.is_empty(), "{d:?}");
}

#[test]
fn services_and_reals_added_removed_changed() {
    let new = "checktimeout=3\n\
               virtual=10.0.0.1:80\n\treal=10.0.1.1:80 gate 5\n\treal=10.0.1.3:80 gate\n\
               virtual=10.0.0.3:80\n\treal=10.0.1.1:80 gate\n";
    let d = diff(&config(BASE), &config(new));
    assert!(!d.globals_changed);
    assert_eq!(d.added, [key("10.0.0.3")]);
    assert_eq!(d.removed, [key("10.0.0.2")]);
    assert_eq!(
        d.changed,
        [VirtualServiceChange {
            key: key("10.0.0.1"),
            service: false,
            check: false,
            settings: false,
            reals_added: vec![dest("10.0.1.3", 80)],
            reals_removed: vec![dest("10.0.1.2", 80)],
            reals_changed: vec![dest("10.0.1.1", 80)],
        }]
    );
}

#[test]
fn inherited_settings_show_in_the_services_they_reach() {
    // A new global timeout reaches the second service only: the first
    // has its own.
    let old =
        "virtual=10.0.0.1:80\n\treal=10.0.1.1:80 gate\n\tchecktimeout=9\n\tnegotiatetimeout=9\n\
               virtual=10.0.0.2:80\n\treal=10.0.1.1:80 gate\n";
    let new = format!("checktimeout=4\n{old}");
    let d = diff(&config(old), &config(&new));
    assert_eq!(d.changed.len(), 1);
    assert_eq!(d.changed[0].key, key("10.0.0.2"));
    assert!(d.changed[0].check && !d.changed[0].service && !d.changed[0].settings);

    let quiescent = format!("quiescent=yes\n{old}");
    let d = diff(&config(old), &config(&quiescent));
    assert_eq!(d.changed.len(), 2);
    assert!(d.changed.iter().all(|c| c.settings && !c.check));
}

#[test]
fn ipvs_level_and_global_only_changes() {
    let old = "virtual=10.0.0.1:80\n\treal=10.0.1.1:80 gate\n";
    let new = "autoreload=yes\nvirtual=10.0.0.1:80\n\treal=10.0.1.1:80 gate\n\tscheduler=rr\n";
    let d = diff(&config(old), &config(new));
    assert!(d.globals_changed);
    assert!(d.changed[0].service);
    assert!(d.changed[0].reals_changed.is_empty());
    // Changing the protocol makes it another service.
    let udp = "virtual=10.0.0.1:80\n\tprotocol=udp\n\treal=10.0.1.1:80 gate\n\tchecktype=ping\n";
    let d = diff(&config(old), &config(udp));
    assert_eq!(d.added.len(), 1);
    assert_eq!(d.removed, [key("10.0.0.1")]);
}
