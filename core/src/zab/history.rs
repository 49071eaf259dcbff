//! The in-memory window of a server's log, and how a leader syncs a learner from it.
