//! Runs the state machine on tokio with real media and resources.
