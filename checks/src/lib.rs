//! Health checks of real servers and the LVS director's reconciler.
//!
//! - [`config`] reads ldirectord.cf unchanged, refusing what is not
//!   supported with the file and line.
//! - [`check`] runs one health check (connect, negotiate for http, https,
//!   dns, smtp and others, ping, external, on, off).
//! - [`scheduler`] runs thousands of checks concurrently with intervals,
//!   timeouts, failure counts and jitter, and reports up/down transitions.
//! - [`reconcile`] turns the configuration and the real servers' health into
//!   the IPVS table the director wants, and the changes that lead there.

#![forbid(unsafe_code)]

pub mod check;
pub mod config;
pub mod reconcile;
pub mod scheduler;
