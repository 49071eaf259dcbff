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

    /// The finished tree, once its digest is the `digest` the sender recorded.
    ///
    /// Every other invariant was checked as each node came in, or is kept by construction:
    /// links, child counts against create counters, zxid order, built-in kinds, indexes, the ACL
    /// cache and the size figure. That is what keeps a restart with a million znodes from
    /// walking the tree a second time; debug builds still walk it and panic if construction let
    /// anything through (a bug in the builder).
    ///
    /// # Errors
    /// The builder's earlier error, [`SnapshotError::Invalid`] for no nodes or a missing
    /// built-in node, [`SnapshotError::DigestMismatch`] for another digest.
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
        for p in [path::ROOT, path::ZOOKEEPER, path::QUOTA, path::CONFIG] {
            if !tree.contains(p) {
                return Err(invalid(p, "built-in node missing"));
            }
        }
        if cfg!(debug_assertions) {
            if let Err(why) = tree.verify() {
                panic!("tree builder accepted a tree that fails the full check: {why}");
            }
        }
        Ok(tree)
    }

    /// Inserts one record: the root when the tree is empty, otherwise a node whose parent is
    /// already in, with a valid path that is not in yet, not under an ephemeral, its zxids in
    /// order, a TTL (if any) in range, and its parent's create counter still covering the
    /// parent's created children.
    pub(super) fn insert(&mut self, n: NodeOwned) -> Result<(), SnapshotError> {
        check_record(&n)?;
        if self.tree.znode_count() == 0 {
            return self.insert_root(n);
        }
        if n.path == path::ROOT || path::validate(&n.path).is_err() {
            return Err(invalid(&n.path, "bad path"));
        }
        // One lookup of the parent both checks it and links the child; the child's name being
        // new under its parent is what makes the path new in the tree (the two are kept in
        // step), so no separate lookup of the path is needed.
        self.tree
            .link_new_child(&n.path)
            .map_err(|why| invalid(&n.path, why))?;
        self.insert_unlinked(n);
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
        let (p, node) = n.into_path_and_znode(acl);
        self.tree.insert_node(p, node);
    }
}

/// The checks one record allows on its own.
fn check_record(n: &NodeOwned) -> Result<(), SnapshotError> {
    // A built-in node of another kind would be reaped or die with a session, and deleting a
    // built-in node is a bug the tree refuses with a panic.
    if path::is_builtin(&n.path) && n.kind != NodeKind::Persistent {
        return Err(invalid(&n.path, "built-in node is not persistent"));
    }
    if n.pzxid < n.czxid || n.mzxid < n.czxid {
        return Err(invalid(&n.path, "pzxid or mzxid below czxid"));
    }
    if let NodeKind::Ttl { ttl_ms } = n.kind {
        if !(1..=super::TTL_MS_MAX).contains(&ttl_ms) {
            return Err(invalid(&n.path, "TTL out of range"));
        }
    }
    Ok(())
}

fn invalid(p: &str, why: &str) -> SnapshotError {
    SnapshotError::Invalid(format!("{p:?}: {why}"))
}
