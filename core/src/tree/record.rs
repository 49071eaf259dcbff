//! One znode as a snapshot encodes it: path, data, ACL, stored stat and kind (no children: a
//! reader rebuilds the children sets from the paths).
//!
//! The on-disk snapshot ([`super::snapshot`]) and the streamed chunks of a SNAP sync
//! ([`super::stream`]) both write these records one after another, as postcard writes the
//! elements of a sequence, and read them back one at a time, so that neither end ever holds the
//! decoded records of the whole tree at once.

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use super::node::Znode;
use super::SnapshotError;
use crate::ids::Zxid;
use crate::proto::Acl;
use crate::txn::NodeKind;

/// A node record, borrowed from the tree for writing.
#[derive(Serialize)]
pub(super) struct NodeRef<'a> {
    path: &'a str,
    data: Option<&'a Bytes>,
    acl: &'a [Acl],
    czxid: Zxid,
    mzxid: Zxid,
    pzxid: Zxid,
    ctime: i64,
    mtime: i64,
    version: i32,
    cversion: i32,
    aversion: i32,
    kind: NodeKind,
}

impl<'a> NodeRef<'a> {
    /// The record of `node`, stored at `path`.
    pub(super) fn new(path: &'a str, node: &'a Znode) -> Self {
        Self {
            path,
            data: node.data.as_ref(),
            acl: &node.acl,
            czxid: node.czxid,
            mzxid: node.mzxid,
            pzxid: node.pzxid,
            ctime: node.ctime,
            mtime: node.mtime,
            version: node.version,
            cversion: node.cversion,
            aversion: node.aversion,
            kind: node.kind,
        }
    }
}

/// A node record, owned for reading (same field order and types as [`NodeRef`]).
#[derive(Deserialize)]
pub(super) struct NodeOwned {
    pub(super) path: String,
    data: Option<Bytes>,
    acl: Vec<Acl>,
    pub(super) czxid: Zxid,
    pub(super) mzxid: Zxid,
    pub(super) pzxid: Zxid,
    ctime: i64,
    mtime: i64,
    version: i32,
    cversion: i32,
    aversion: i32,
    pub(super) kind: NodeKind,
}

impl NodeOwned {
    /// The path and the znode this record describes, with no children yet and `acl` already
    /// shared through the caller's ACL cache.
    pub(super) fn into_path_and_znode(self, acl: std::sync::Arc<[Acl]>) -> (String, Znode) {
        let node = Znode {
            data_hash: super::digest::data_hash(self.data.as_ref()),
            data: self.data,
            acl,
            czxid: self.czxid,
            mzxid: self.mzxid,
            pzxid: self.pzxid,
            ctime: self.ctime,
            mtime: self.mtime,
            version: self.version,
            cversion: self.cversion,
            aversion: self.aversion,
            kind: self.kind,
            children: imbl::OrdSet::new(),
        };
        (self.path, node)
    }

    /// The ACL as decoded (the caller interns it before [`Self::into_path_and_znode`]).
    pub(super) fn acl(&self) -> &[Acl] {
        &self.acl
    }
}

/// Appends the record of `node` at `path` to `out`.
pub(super) fn encode_node(out: Vec<u8>, path: &str, node: &Znode) -> Vec<u8> {
    postcard::to_extend(&NodeRef::new(path, node), out).expect("in-memory node serializes")
}

/// Decodes `count` records from the front of `bytes`, handing each to `each` as soon as it is
/// decoded; returns the bytes after the last one.
///
/// `count` comes from the input, so nothing is reserved for it: every record consumes at least
/// one byte, and a count larger than the records present ends in a decode error.
///
/// # Errors
/// [`SnapshotError::Decode`] when a record does not decode, or the first error of `each`.
pub(super) fn decode_nodes(
    mut bytes: &[u8],
    count: u64,
    mut each: impl FnMut(NodeOwned) -> Result<(), SnapshotError>,
) -> Result<&[u8], SnapshotError> {
    for _ in 0..count {
        let (node, rest) = postcard::take_from_bytes::<NodeOwned>(bytes).map_err(decode_error)?;
        each(node)?;
        bytes = rest;
    }
    Ok(bytes)
}

/// A postcard error as a [`SnapshotError::Decode`].
pub(super) fn decode_error(e: postcard::Error) -> SnapshotError {
    SnapshotError::Decode(e.to_string())
}
