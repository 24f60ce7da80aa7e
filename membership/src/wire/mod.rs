//! heartbeat 3.x's wire format: netstring messages with two authentication tokens.
