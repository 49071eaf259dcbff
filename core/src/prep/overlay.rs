//! The view `prep` checks requests against: the committed tree plus every outstanding change
//! (txns prepared but not yet applied), like `outstandingChanges` in `PrepRequestProcessor.java`.

use std::collections::{BTreeMap, BTreeSet};

use crate::ids::{SessionId, Zxid};
use crate::proto::Acl;
use crate::tree::DataTree;
use crate::txn::NodeKind;

/// What prep needs to know of one node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeView {
    /// Data version.
    pub version: i32,
    /// ACL version.
    pub aversion: i32,
    /// The stored child-create counter (sequential suffixes come from it).
    pub create_counter: i32,
    /// Current number of children.
    pub num_children: i32,
    /// Kind (ephemeral owner, container, TTL).
    pub kind: NodeKind,
    /// The ACL (shared with the tree's node while unchanged).
    pub acl: std::sync::Arc<[Acl]>,
}

/// Outstanding changes by path: `None` means deleted by an outstanding txn. Each entry remembers
/// the zxid of the last txn that touched it, so it can be dropped once that txn is applied.
#[derive(Clone, Debug, Default)]
pub struct Overlay {
    entries: BTreeMap<String, (Zxid, Option<NodeView>)>,
}

impl Overlay {
    /// Number of paths with outstanding changes.
    #[must_use]
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether nothing is outstanding.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Forgets every entry whose last change is now in the tree.
    pub fn applied_through(&mut self, zxid: Zxid) {
        self.entries.retain(|_, (z, _)| *z > zxid);
    }

    /// Moves a successful prep's local changes in, stamped with the txn's zxid.
    pub fn merge(&mut self, local: BTreeMap<String, Option<NodeView>>, zxid: Zxid) {
        for (path, view) in local {
            self.entries.insert(path, (zxid, view));
        }
    }

    /// The overlay's opinion of a path: `Some(None)` deleted, `Some(Some(v))` changed, `None`
    /// untouched (ask the tree).
    #[must_use]
    pub fn get(&self, path: &str) -> Option<&Option<NodeView>> {
        self.entries.get(path).map(|(_, v)| v)
    }

    /// Ephemerals of a session as they will be once every outstanding txn applies, sorted.
    #[must_use]
    pub fn ephemerals(&self, tree: &DataTree, session: SessionId) -> Vec<String> {
        // A path the overlay touched is decided by the overlay alone: deleted, or re-created
        // (possibly by another session), its committed owner no longer counts.
        let mut out: BTreeSet<String> = tree
            .ephemerals(session)
            .filter(|p| self.get(p).is_none())
            .map(str::to_owned)
            .collect();
        for (path, (_, view)) in &self.entries {
            if view
                .as_ref()
                .is_some_and(|v| v.kind == NodeKind::Ephemeral(session))
            {
                out.insert(path.clone());
            }
        }
        out.into_iter().collect()
    }
}

/// A node as the committed tree shows it.
#[must_use]
pub fn committed_view(tree: &DataTree, path: &str) -> Option<NodeView> {
    let node = tree.node(path)?;
    let stat = node.stat();
    Some(NodeView {
        version: stat.version,
        aversion: stat.aversion,
        create_counter: node.create_counter(),
        num_children: stat.num_children,
        kind: node.kind(),
        acl: std::sync::Arc::clone(&node.acl),
    })
}
