//! zoorepl binaries: `zoorepld` (the server) and `zoorepl` (the CLI). The server and the CLI
//! arrive with the standalone-server issue; see `../shared/DESIGN.md` §2.
//!
//! Library modules used by the `zoorepl` binary: [`cli`] (zkCli-like shell and one-shot
//! commands) and [`mod@bench`] (a load generator over the ZooKeeper protocol).

pub mod bench;
pub mod cli;
