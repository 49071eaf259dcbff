//! zoorepl-jepsen: histories, models and linearizability checkers, the nemesis and the
//! real-process harness, and reports. See `../shared/DESIGN.md` §7.
