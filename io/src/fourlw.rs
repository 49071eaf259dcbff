//! Four-letter words and metrics (zookeeper-protocol.md §13). Being written.
