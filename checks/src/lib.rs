//! Health checks of real servers and the director's reconciler.
//!
//! Nothing is implemented here yet: checks arrive with their own work item,
//! and until then no other crate uses this one.

pub mod config;
pub mod reconcile;
pub mod check;
pub mod scheduler;
