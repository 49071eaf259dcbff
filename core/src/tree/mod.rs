//! The data tree: znodes, stats, ACL checks, sequential counters, containers, TTL, the digest and
//! snapshots (DESIGN.md §3; `DataTree.java`).
