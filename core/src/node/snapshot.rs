//! Snapshots of a node's state at an exact zxid: the tree and the live sessions.
//!
//! The node emits `Output::TakeSnapshot` right after applying the txn that crosses its snapshot
//! threshold (a random count in [snapCount/2 + 1, snapCount], as ZooKeeper does, so servers of
//! an ensemble do not all snapshot at once). The shell writes the bytes; recovery loads the
//! newest valid snapshot and replays the log after its zxid.

use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::Recovered;
use crate::ids::{SessionId, Zxid};
use crate::tree::DataTree;

/// The snapshot format version this code writes and reads.
pub const SNAPSHOT_FORMAT: u32 = 1;

#[derive(Serialize, Deserialize)]
struct SnapshotRecord {
    format: u32,
    zxid: Zxid,
    sessions: Vec<(SessionId, i32)>,
    tree: Vec<u8>,
}

/// A snapshot that cannot be loaded.
#[derive(Debug, Error)]
pub enum SnapshotError {
    /// The bytes are not a snapshot record.
    #[error("snapshot record does not decode: {0}")]
    Decode(String),
    /// Written by a newer format.
    #[error("snapshot format {0} is not supported (this build reads {SNAPSHOT_FORMAT})")]
    Format(u32),
    /// The tree inside does not restore.
    #[error("snapshot tree: {0}")]
    Tree(String),
    /// The tree's zxid is not the record's.
    #[error("snapshot says zxid {record} but its tree is at {tree}")]
    Zxid {
        /// The record's zxid.
        record: Zxid,
        /// The tree's.
        tree: Zxid,
    },
}

/// Serializes a tree and its sessions.
#[must_use]
pub fn encode_snapshot(tree: &DataTree, sessions: Vec<(SessionId, i32)>) -> Vec<u8> {
    let record = SnapshotRecord {
        format: SNAPSHOT_FORMAT,
        zxid: tree.last_applied(),
        sessions,
        tree: tree.snapshot(),
    };
    postcard::to_allocvec(&record).expect("in-memory serialization cannot fail")
}

/// Loads a snapshot into what `Node::recover` takes (with an empty log).
///
/// # Errors
/// When the bytes are not a valid snapshot of this format.
pub fn decode_snapshot(bytes: &[u8]) -> Result<Recovered, SnapshotError> {
    let record: SnapshotRecord =
        postcard::from_bytes(bytes).map_err(|e| SnapshotError::Decode(e.to_string()))?;
    if record.format != SNAPSHOT_FORMAT {
        return Err(SnapshotError::Format(record.format));
    }
    let tree = DataTree::restore(&record.tree).map_err(|e| SnapshotError::Tree(e.to_string()))?;
    if tree.last_applied() != record.zxid {
        return Err(SnapshotError::Zxid {
            record: record.zxid,
            tree: tree.last_applied(),
        });
    }
    Ok(Recovered {
        tree,
        sessions: record.sessions,
        log: Vec::new(),
        accepted_epoch: 0,
        current_epoch: 0,
    })
}
