//! Tree snapshots: postcard bytes of a versioned record (magic, format version, last applied
//! zxid, digest, every node in pre-order with data, ACL, stored stat and kind).
//!
//! Restore trusts nothing: any byte string gives either a tree that passes every invariant or a
//! [`SnapshotError`], never a panic.

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use super::node::Znode;
use super::{path, DataTree};
use crate::ids::Zxid;
use crate::lookup::LookupMap;
use crate::proto::Acl;
use crate::txn::NodeKind;

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
}

#[derive(Serialize, Deserialize)]
struct Header {
    magic: [u8; 8],
    format_version: u32,
}

/// Format 1 body, borrowed for writing.
#[derive(Serialize)]
struct BodyRef<'a> {
    last_applied: Zxid,
    digest: u64,
    nodes: Vec<NodeRef<'a>>,
}

#[derive(Serialize)]
struct NodeRef<'a> {
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

/// Format 1 body, owned for reading (same field order and types as [`BodyRef`]).
#[derive(Deserialize)]
struct Body {
    last_applied: Zxid,
    digest: u64,
    nodes: Vec<NodeOwned>,
}

#[derive(Deserialize)]
struct NodeOwned {
    path: String,
    data: Option<Bytes>,
    acl: Vec<Acl>,
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

impl DataTree {
    /// The tree as snapshot bytes ([`Self::restore`] reads them back).
    #[must_use]
    pub fn snapshot(&self) -> Vec<u8> {
        let owned_paths: Vec<(String, &Znode)> = self.iter_preorder().collect();
        let nodes = owned_paths
            .iter()
            .map(|(p, n)| NodeRef {
                path: p,
                data: n.data.as_ref(),
                acl: &n.acl,
                czxid: n.czxid,
                mzxid: n.mzxid,
                pzxid: n.pzxid,
                ctime: n.ctime,
                mtime: n.mtime,
                version: n.version,
                cversion: n.cversion,
                aversion: n.aversion,
                kind: n.kind,
            })
            .collect();
        let header = Header {
            magic: MAGIC,
            format_version: SNAPSHOT_FORMAT_VERSION,
        };
        let body = BodyRef {
            last_applied: self.last_applied,
            digest: self.digest,
            nodes,
        };
        let mut out = postcard::to_allocvec(&header).expect("header serializes");
        let body = postcard::to_allocvec(&body).expect("in-memory tree serializes");
        out.extend_from_slice(&body);
        out
    }

    /// Rebuilds a tree from [`Self::snapshot`] bytes: children sets, indexes and digest are
    /// recomputed and every invariant is checked.
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
        let (body, rest) = postcard::take_from_bytes::<Body>(rest)
            .map_err(|e| SnapshotError::Decode(e.to_string()))?;
        if !rest.is_empty() {
            return Err(SnapshotError::TrailingBytes(rest.len()));
        }
        let tree = Self::restore_nodes(body.last_applied, body.nodes)?;
        if tree.digest != body.digest {
            return Err(SnapshotError::DigestMismatch {
                recorded: body.digest,
                computed: tree.digest,
            });
        }
        tree.verify().map_err(SnapshotError::Invalid)?;
        Ok(tree)
    }

    /// Inserts decoded nodes, parents first, checking each fits.
    fn restore_nodes(last_applied: Zxid, nodes: Vec<NodeOwned>) -> Result<Self, SnapshotError> {
        let mut tree = Self {
            nodes: LookupMap::new(),
            ephemerals: imbl::OrdMap::new(),
            containers: imbl::OrdSet::new(),
            ttls: imbl::OrdSet::new(),
            last_applied,
            digest: 0,
            approximate_data_size: 0,
            acls: imbl::OrdMap::new(),
        };
        let invalid = |p: &str, why: &str| SnapshotError::Invalid(format!("{p:?}: {why}"));
        let mut iter = nodes.into_iter();
        let root = iter.next().ok_or_else(|| invalid("", "no nodes"))?;
        if root.path != path::ROOT {
            return Err(invalid(&root.path, "first node is not the root"));
        }
        if root.kind != NodeKind::Persistent {
            return Err(invalid(&root.path, "root is not persistent"));
        }
        let root_path = root.path.clone();
        let node = root.into_znode(&mut tree);
        tree.insert_node(root_path, node);
        for n in iter {
            if n.path == path::ROOT || path::validate(&n.path).is_err() {
                return Err(invalid(&n.path, "bad path"));
            }
            if tree.contains(&n.path) {
                return Err(invalid(&n.path, "duplicate node"));
            }
            let Some(parent) = tree.node(path::parent(&n.path)) else {
                return Err(invalid(&n.path, "parent missing or after its child"));
            };
            if parent.ephemeral_owner().is_some() {
                return Err(invalid(&n.path, "child of an ephemeral"));
            }
            if let NodeKind::Ttl { ttl_ms } = n.kind {
                if !(1..=super::TTL_MS_MAX).contains(&ttl_ms) {
                    return Err(invalid(&n.path, "TTL out of range"));
                }
            }
            let p = n.path.clone();
            let node = n.into_znode(&mut tree);
            tree.insert_node(p.clone(), node);
            tree.link_child(&p);
        }
        Ok(tree)
    }
}

impl NodeOwned {
    fn into_znode(self, tree: &mut DataTree) -> Znode {
        Znode {
            data_hash: super::digest::data_hash(self.data.as_ref()),
            data: self.data,
            acl: tree.intern_acl(&self.acl),
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
        }
    }
}

#[cfg(test)]
#[path = "snapshot_test.rs"]
mod tests;
