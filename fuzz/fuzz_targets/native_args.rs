#![no_main]
//! Fuzz target: the argument parsers of the native resources (IPaddr,
//! IPaddr2, IPv6addr, IPsrcaddr, SendArp, Delay), in heartbeat's
//! positional form and as `ocf:heartbeat:TYPE::name=value`. The first
//! line of the input picks the name, the rest are the `::` arguments; any
//! input is read or refused with a message, never a panic, and what is
//! read describes itself.
use ha_resources::NativeSpec;
use libfuzzer_sys::fuzz_target;

const NAMES: &[&str] = &[
    "IPaddr",
    "IPaddr2",
    "IPv6addr",
    "IPsrcaddr",
    "SendArp",
    "Delay",
    "ocf:heartbeat:IPaddr2",
    "ocf:heartbeat:IPv6addr",
    "ocf:heartbeat:IPsrcaddr",
    "ocf:heartbeat:SendArp",
    "ocf:heartbeat:Delay",
];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let name = NAMES[usize::from(pick) % NAMES.len()];
    let args: Vec<String> = if text.is_empty() {
        Vec::new()
    } else {
        text.split("::").map(str::to_string).collect()
    };
    match NativeSpec::lookup(name, &args) {
        Some(Ok(spec)) => {
            assert!(spec.describe().starts_with("native "));
        }
        Some(Err(message)) => assert!(!message.is_empty()),
        None => assert!(name.starts_with("ocf:")),
    }
});
