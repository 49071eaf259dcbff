//! The client listener and the node task. Being written.
