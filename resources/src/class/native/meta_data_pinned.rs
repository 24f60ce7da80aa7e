//! Pins the meta-data text each native agent emits, byte for byte:
//! check-config and the action timeouts read it, so a change to it is a
//! change of behaviour and shows here as a changed file under
//! `resources/tests/data/native-meta-data/`.

use super::NativeSpec;
use crate::testing;

/// Each case: the file under `tests/data/native-meta-data/`, the resource
/// name and its arguments.
const CASES: &[(&str, &str, &[&str])] = &[
    ("IPaddr.xml", "IPaddr", &["10.0.0.5/24/eth0"]),
    ("IPaddr2.xml", "IPaddr2", &["10.0.0.5"]),
    (
        "IPaddr2-arp.xml",
        "ocf:heartbeat:IPaddr2",
        &["ip=10.0.0.5", "arp_count=10", "arp_interval=50"],
    ),
    ("IPv6addr.xml", "IPv6addr", &["2001:db8::10/64/eth0"]),
    ("IPsrcaddr.xml", "IPsrcaddr", &["10.0.0.5"]),
    ("SendArp.xml", "SendArp", &["10.0.0.5/eth1"]),
    ("Delay.xml", "Delay", &[]),
    ("Delay-positional.xml", "Delay", &["2.5", "1"]),
    ("Delay-ocf.xml", "ocf:heartbeat:Delay", &["mondelay=0"]),
];

fn meta_data_of(name: &str, args: &[&str]) -> String {
    let spec = NativeSpec::lookup(name, &testing::args(args))
        .unwrap_or_else(|| panic!("{name} is served natively"))
        .unwrap_or_else(|message| panic!("{name}: {message}"));
    spec.agent(name).meta_data()
}

#[test]
fn each_native_agent_emits_its_pinned_meta_data() {
    let folder =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/native-meta-data");
    for (file, name, args) in CASES {
        let path = folder.join(file);
        let pinned = std::fs::read_to_string(&path)
            .unwrap_or_else(|error| panic!("{}: {error}", path.display()));
        assert_eq!(
            meta_data_of(name, args),
            pinned,
            "{name} {args:?} against {file}"
        );
    }
}
