//! zoorepl-io: the tokio shells around the sans-IO core (DESIGN.md §5).
//!
//! - [`storage`]: the write-ahead log and snapshots behind the `Storage` trait.
//! - [`config`]: `zoo.cfg` parsing and validation.
//! - [`fourlw`]: four-letter words and the Prometheus metrics text.
//! - [`server`]: the client listener and the task that owns the core `Node`.
//! - [`peer`]: the TCP transport between the servers of an ensemble.

pub mod config;
pub mod fourlw;
mod net;
pub mod peer;
pub mod server;
pub mod storage;
#[cfg(test)]
mod test_support;
