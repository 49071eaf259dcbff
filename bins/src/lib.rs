//! zoorepl binaries: `zoorepld` (the server, [`daemon`]) and `zoorepl` (the CLI: the zkCli-like
//! shell and one-shot commands in [`cli`], the load generator in [`mod@bench`], and `check`
//! from `zoorepl-jepsen`, `sim` from `zoorepl-sim`, local ensembles of `zoorepld` processes in
//! [`ensemble`]). See `../shared/DESIGN.md` §2.

pub mod bench;
pub mod cli;
pub mod daemon;
pub mod ensemble;
pub mod sim;
mod sim_hunt;
