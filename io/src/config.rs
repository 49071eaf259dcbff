//! `zoo.cfg` parsing and validation (zookeeper-protocol.md §12). Being written.
