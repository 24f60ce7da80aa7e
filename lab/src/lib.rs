//! Throw-away test beds: hosts as network namespaces joined by a bridge.
