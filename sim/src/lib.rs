//! zoorepl-sim: deterministic simulation of zoorepl.
//!
//! This crate will own (1) the core simulator, a single-threaded event loop that steps many core
//! `Node`s on a virtual clock with a simulated network and disk, all drawn from one seed, and
//! (2) madsim tests that run the real `io` shells. See `../shared/DESIGN.md` §6. Nothing is
//! implemented yet: the ZAB and simulator issue fills it.

pub mod script;
