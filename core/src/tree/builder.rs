//! [`TreeBuilder`]: a tree rebuilt node by node, parents first, with every node checked as it
//! comes in. Both snapshot restore and a streamed SNAP image go through it.
//!
//! The input is untrusted (a file that may be damaged, bytes from a peer): whatever it holds,
//! the builder answers with a [`SnapshotError`] or, from [`TreeBuilder::finish`], a tree that
//! passes every invariant. It never panics on input.

use super::record::NodeOwned;
use super::{path, DataTree, SnapshotError};
use crate::ids::Zxid;
use crate::lookup::LookupMap;
use crate::txn::NodeKind;

/// A tree under construction from snapshot records.
///
/// Feed the records in pre-order (a parent before its children; the root first) with
/// [`Self::push_chunk`], or through snapshot restore, then call [`Self::finish`] with the digest
/// the sender recorded. After an error the builder refuses everything (it is of no further use).
#[derive(Debug)]
pub struct TreeBuilder {
    /// The nodes so far: a valid tree but for the checks only [`Self::finish`] can make.
    pub(super) tree: DataTree,
    /// The index the next chunk must carry ([`super::stream`]).
    pub(super) next_chunk: u64,
    /// Set by the first error; every later call fails with it.
    pub(super) failed: Option<SnapshotError>,
}

impl TreeBuilder {
    /// An empty builder for a tree whose last applied txn is `last_applied`.
    #[must_use]
    pub fn new(last_applied: Zxid) -> Self {
        let tree = DataTree {
            nodes: LookupMap::new(),
            ephemerals: imbl::OrdMap::new(),
            containers: imbl::OrdSet::new(),
            ttls: imbl::OrdSet::new(),
            last_applied,
            digest: 0,
            approximate_data_size: 0,
            acls: imbl::OrdMap::new(),
        };
        Self {
            tree,
            next_chunk: 0,
            failed: None,
        }
    }

    /// Nodes inserted so far (for a caller's cap on the size of what it receives).
    #[must_use]
    pub fn znode_count(&self) -> usize {
        self.tree.znode_count()
    }

    /// Chunks taken so far by [`Self::push_chunk`].
    #[must_use]
    pub const fn chunk_count(&self) -> u64 {
        self.next_chunk
    }

    /// The finished tree, once its digest is the `digest` the sender recorded and the full
    /// invariant check passes (built-in nodes, counters, indexes, sizes).
    ///
    /// # Errors
    /// The builder's earlier error, [`SnapshotError::Invalid`] for no nodes or a broken
    /// invariant, [`SnapshotError::DigestMismatch`] for another digest.
    pub fn finish(self, digest: u64) -> Result<DataTree, SnapshotError> {
        if let Some(e) = self.failed {
            return Err(e);
        }
        let tree = self.tree;
        if tree.znode_count() == 0 {
            return Err(invalid("", "no nodes"));
        }
        if tree.digest != digest {
            return Err(SnapshotError::DigestMismatch {
                recorded: digest,
                computed: tree.digest,
            });
        }
        tree.verify().map_err(SnapshotError::Invalid)?;
        Ok(tree)
    }

    /// Inserts one record: the root when the tree is empty, otherwise a node whose parent is
    /// already in, with a valid path that is not in yet, not under an ephemeral, and a TTL (if
    /// any) in range.
    pub(super) fn insert(&mut self, n: NodeOwned) -> Result<(), SnapshotError> {
        if self.tree.znode_count() == 0 {
            return self.insert_root(n);
        }
        if n.path == path::ROOT || path::validate(&n.path).is_err() {
            return Err(invalid(&n.path, "bad path"));
        }
        if self.tree.contains(&n.path) {
            return Err(invalid(&n.path, "duplicate node"));
        }
        let Some(parent) = self.tree.node(path::parent(&n.path)) else {
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
        self.insert_unlinked(n);
        self.tree.link_child(&p);
        Ok(())
    }

    fn insert_root(&mut self, root: NodeOwned) -> Result<(), SnapshotError> {
        if root.path != path::ROOT {
            return Err(invalid(&root.path, "first node is not the root"));
        }
        if root.kind != NodeKind::Persistent {
            return Err(invalid(&root.path, "root is not persistent"));
        }
        self.insert_unlinked(root);
        Ok(())
    }

    fn insert_unlinked(&mut self, n: NodeOwned) {
        let acl = self.tree.intern_acl(n.acl());
        let p = n.path.clone();
        self.tree.insert_node(p, n.into_znode(acl));
    }
}

fn invalid(p: &str, why: &str) -> SnapshotError {
    SnapshotError::Invalid(format!("{p:?}: {why}"))
}
