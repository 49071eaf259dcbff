//! zoorepl-io: the tokio shells around the sans-IO core.
//!
//! This crate will own the client listener (jute framing, connection limits), the peer
//! transport, the write-ahead log and snapshots behind a `Storage` trait (segment files of
//! checksummed postcard records, group commit), timers, `zoo.cfg` parsing, four-letter words,
//! the metrics endpoint, the Publisher's subscription server and the Replicator's driver.
//! See `../shared/DESIGN.md` §5. Nothing is implemented yet: the standalone-server issue fills it.
