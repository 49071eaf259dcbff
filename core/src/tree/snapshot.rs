//! Tree snapshots: postcard bytes of a versioned record (magic, format version, last applied
//! zxid, digest, every node in pre-order with data, ACL, stored stat and kind).
//!
//! The node records and their checks are shared with the streamed SNAP chunks
//! ([`super::record`], [`TreeBuilder`]).
//!
//! Restore trusts nothing: any byte string gives either a tree that passes every invariant or a
//! [`SnapshotError`], never a panic.

use serde::{Deserialize, Serialize};

use super::builder::TreeBuilder;
use super::{record, DataTree};
use crate::ids::Zxid;

/// The first bytes of every tree snapshot.
const MAGIC: [u8; 8] = *b"zrTREE\r\n";
/// The snapshot format this code writes and reads.
pub const SNAPSHOT_FORMAT_VERSION: u32 = 1;

/// Why snapshot bytes could not be restored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SnapshotError {
    /// The bytes do not start with the snapshot magic.
    #[error("not a tree snapshot (bad magic)")]
    BadMagic,
    /// A format this code does not read.
    #[error("unsupported snapshot format version {0}")]
    UnsupportedVersion(u32),
    /// The bytes do not decode.
    #[error("snapshot does not decode: {0}")]
    Decode(String),
    /// Bytes left over after the snapshot record.
    #[error("{0} trailing bytes after the snapshot")]
    TrailingBytes(usize),
    /// The record decodes but does not describe a valid tree.
    #[error("invalid snapshot: {0}")]
    Invalid(String),
    /// The rebuilt tree's digest differs from the recorded one.
    #[error("snapshot digest {recorded:#x} but the nodes hash to {computed:#x}")]
    DigestMismatch {
        /// The digest the snapshot carries.
        recorded: u64,
        /// The digest of the restored nodes.
        computed: u64,
    },
    /// A streamed chunk out of place (missing, repeated or reordered).
    #[error("snapshot chunk {got} where chunk {expected} was due")]
    ChunkOrder {
        /// The index the builder waited for.
        expected: u64,
        /// The index the chunk carries.
        got: u64,
    },
}

#[derive(Serialize, Deserialize)]
struct Header {
    magic: [u8; 8],
    format_version: u32,
}

impl DataTree {
    /// The tree as snapshot bytes ([`Self::restore`] reads them back).
    ///
    /// Format 1 is postcard of `{ header, last_applied, digest, nodes: Vec<node record> }`
    /// with the nodes in pre-order; they are written one by one as the walk reaches them.
    #[must_use]
    pub fn snapshot(&self) -> Vec<u8> {
        let header = Header {
            magic: MAGIC,
            format_version: SNAPSHOT_FORMAT_VERSION,
        };
        let count = u64::try_from(self.znode_count()).expect("node count fits u64");
        let mut out = postcard::to_allocvec(&header).expect("header serializes");
        out = postcard::to_extend(&(self.last_applied, self.digest, count), out)
            .expect("integers serialize");
        for (p, node) in self.iter_preorder() {
            out = record::encode_node(out, &p, node);
        }
        out
    }

    /// Rebuilds a tree from [`Self::snapshot`] bytes: children sets, indexes and digest are
    /// recomputed and every invariant is checked. The records are decoded and inserted one at
    /// a time ([`TreeBuilder`]).
    ///
    /// # Errors
    /// A [`SnapshotError`] for bytes that are not a valid snapshot of a valid tree.
    pub fn restore(bytes: &[u8]) -> Result<Self, SnapshotError> {
        let (header, rest) =
            postcard::take_from_bytes::<Header>(bytes).map_err(|_| SnapshotError::BadMagic)?;
        if header.magic != MAGIC {
            return Err(SnapshotError::BadMagic);
        }
        if header.format_version != SNAPSHOT_FORMAT_VERSION {
            return Err(SnapshotError::UnsupportedVersion(header.format_version));
        }
        let ((last_applied, digest, count), rest) =
            postcard::take_from_bytes::<(Zxid, u64, u64)>(rest).map_err(record::decode_error)?;
        let mut builder = TreeBuilder::new(last_applied);
        let rest = record::decode_nodes(rest, count, |n| builder.insert(n))?;
        if !rest.is_empty() {
            return Err(SnapshotError::TrailingBytes(rest.len()));
        }
        builder.finish(digest)
    }
}

#[cfg(test)]
#[path = "snapshot_test.rs"]
mod tests;
