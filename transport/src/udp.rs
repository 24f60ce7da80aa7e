//! UDP media: unicast, broadcast and multicast over IPv4.
