//! A deterministic in-memory network for tests of the state machine.
