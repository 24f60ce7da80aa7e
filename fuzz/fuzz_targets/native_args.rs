#![no_main]
//! Fuzz target: the argument parsers of the native resources (IPaddr,
//! IPaddr2, IPv6addr, IPsrcaddr, SendArp, Delay), in heartbeat's
//! positional form and as `ocf:heartbeat:TYPE::name=value`. The first
//! byte of the input picks the name (one of `NativeSpec::NAMES`) and the
//! form, the rest are the `::` arguments; any input is read or refused
//! with a message, never a panic, and what is read describes itself.

use ha_resources::NativeSpec;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    // The low bit picks the form, the rest the name.
    let base = NativeSpec::NAMES[usize::from(pick >> 1) % NativeSpec::NAMES.len()];
    let name = if pick & 1 == 1 {
        format!("ocf:heartbeat:{base}")
    } else {
        base.to_string()
    };
    let args: Vec<String> = if text.is_empty() {
        Vec::new()
    } else {
        text.split("::").map(str::to_string).collect()
    };
    match NativeSpec::lookup(&name, &args) {
        Some(Ok(spec)) => {
            assert!(spec.describe().starts_with("native "));
        }
        Some(Err(message)) => assert!(!message.is_empty()),
        None => assert!(name.starts_with("ocf:")),
    }
});
