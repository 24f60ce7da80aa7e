//! keepalived.conf.
