//! `ha-node`: a heartbeat cluster node.

fn main() {}
