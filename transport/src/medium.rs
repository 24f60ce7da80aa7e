//! The async interface every medium implements.
