//! The sans-IO cluster state machine.
