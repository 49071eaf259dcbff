//! The ZooKeeper client wire protocol: jute records, opcodes, error codes.
//!
//! Reference: `../shared/zookeeper-protocol.md` §1–8. Decoding untrusted bytes never panics and
//! never allocates more than the frame holds.

mod error;
mod records;

pub use error::ZkError;
pub use records::{perms, Acl, EventType, Id, Stat, KEEPER_STATE_SYNC_CONNECTED};
