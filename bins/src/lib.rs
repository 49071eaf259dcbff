//! zoorepl binaries: `zoorepld` (the server) and `zoorepl` (the CLI). The server and the CLI
//! arrive with the standalone-server issue; see `../shared/DESIGN.md` §2.
pub mod daemon;
