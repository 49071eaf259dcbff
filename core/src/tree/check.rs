//! The tree's invariants, checked in full by a walk from the root: shared by
//! [`DataTree::check_invariants`] (a broken invariant is a bug) and snapshot restore (a broken
//! invariant is bad input).

use std::sync::Arc;

use super::{digest, node_size, path, DataTree};
use crate::ids::SessionId;
use crate::txn::NodeKind;

impl DataTree {
    /// Checks the tree's invariants: O(1) ones always, the full walk
    /// ([`Self::check_invariants_full`]) in debug builds.
    ///
    /// # Panics
    /// When an invariant is broken, which is a bug.
    pub fn check_invariants(&self) {
        for p in [path::ROOT, path::ZOOKEEPER, path::QUOTA, path::CONFIG] {
            assert!(self.contains(p), "built-in node {p} missing");
        }
        if cfg!(debug_assertions) {
            self.check_invariants_full();
        }
    }

    /// The full walk in any build: links, child counts, indexes, counters, digest and size
    /// recomputed. O(n).
    ///
    /// # Panics
    /// When an invariant is broken, which is a bug.
    pub fn check_invariants_full(&self) {
        if let Err(why) = self.verify() {
            panic!("data tree invariant broken: {why}");
        }
    }

    /// The full check: `Err` names the first broken invariant. O(n).
    pub(super) fn verify(&self) -> Result<(), String> {
        for p in [path::ROOT, path::ZOOKEEPER, path::QUOTA, path::CONFIG] {
            if !self.contains(p) {
                return Err(format!("built-in node {p} missing"));
            }
        }
        let mut seen = Seen::default();
        for (p, node) in self.iter_preorder() {
            self.verify_node(&p, node, &mut seen)?;
        }
        if seen.nodes != self.nodes.len() {
            return Err(format!(
                "{} nodes reachable from the root, {} stored",
                seen.nodes,
                self.nodes.len()
            ));
        }
        self.verify_indexes(&seen)?;
        if seen.acl_users != self.acls {
            return Err("ACL cache counts differ from the nodes' ACLs".to_owned());
        }
        if seen.digest != self.digest {
            return Err(format!(
                "digest {:#x} but recomputed {:#x}",
                self.digest, seen.digest
            ));
        }
        if seen.size != self.approximate_data_size {
            return Err(format!(
                "approximate size {} but recomputed {}",
                self.approximate_data_size, seen.size
            ));
        }
        Ok(())
    }

    /// The per-node part of [`Self::verify`].
    fn verify_node(&self, p: &str, node: &super::Znode, seen: &mut Seen) -> Result<(), String> {
        if seen.nodes > self.nodes.len() {
            return Err("more nodes reachable than stored (a cycle?)".to_owned());
        }
        seen.nodes += 1;
        seen.digest = seen.digest.wrapping_add(digest::node_hash(p, node));
        seen.size += node_size(p, node.data.as_ref());
        if p == path::ROOT {
            seen.size += node_size("", node.data.as_ref());
        }
        for name in &node.children {
            if name.is_empty() || name.contains('/') {
                return Err(format!("{p} lists a bad child name {name:?}"));
            }
        }
        if node.data_hash != digest::data_hash(node.data.as_ref()) {
            return Err(format!("{p}: stale data hash"));
        }
        match self.acls.get_key_value(&*node.acl) {
            Some((shared, _)) if Arc::ptr_eq(shared, &node.acl) => {}
            _ => return Err(format!("{p}: ACL not shared through the cache")),
        }
        *seen.acl_users.entry(Arc::clone(&node.acl)).or_default() += 1;
        if node.ephemeral_owner().is_some() && !node.children.is_empty() {
            return Err(format!("ephemeral {p} has children"));
        }
        let counted =
            node.children.len() - path::builtin_children(p).len().min(node.children.len());
        let counter = node.cversion;
        // After 2^31 creates the counter wraps negative (as Java's int does); skip it then.
        if counter >= 0 && usize::try_from(counter).expect("non-negative") < counted {
            return Err(format!(
                "{p}: create counter {counter} below its {counted} created children"
            ));
        }
        if path::is_builtin(p) && node.kind != NodeKind::Persistent {
            return Err(format!("built-in node {p} is not persistent"));
        }
        if node.pzxid < node.czxid || node.mzxid < node.czxid {
            return Err(format!("{p}: pzxid or mzxid below czxid"));
        }
        match node.kind {
            NodeKind::Persistent => {}
            NodeKind::Ephemeral(s) => {
                seen.ephemerals += 1;
                if !self.ephemerals.get(&s).is_some_and(|set| set.contains(p)) {
                    return Err(format!("ephemeral {p} missing from the index of {s}"));
                }
            }
            NodeKind::Container => {
                seen.containers.insert(p.to_owned());
            }
            NodeKind::Ttl { ttl_ms } => {
                if !(1..=super::TTL_MS_MAX).contains(&ttl_ms) {
                    return Err(format!("TTL node {p} has ttl {ttl_ms}"));
                }
                seen.ttls.insert(p.to_owned());
            }
        }
        Ok(())
    }

    /// The index part of [`Self::verify`]: each index holds exactly the nodes of its kind.
    fn verify_indexes(&self, seen: &Seen) -> Result<(), String> {
        let indexed: usize = self.ephemerals.values().map(imbl::OrdSet::len).sum();
        if indexed != seen.ephemerals {
            return Err(format!(
                "{indexed} ephemerals indexed, {} in the tree",
                seen.ephemerals
            ));
        }
        if let Some((s, _)) = self.ephemerals.iter().find(|(_, set)| set.is_empty()) {
            return Err(format!("empty ephemeral set kept for {s}"));
        }
        let owners: Vec<SessionId> = self.ephemerals.keys().copied().collect();
        for s in owners {
            for p in self.ephemerals(s) {
                if self.node(p).and_then(super::Znode::ephemeral_owner) != Some(s) {
                    return Err(format!("index of {s} lists {p}, not its ephemeral"));
                }
            }
        }
        if seen.containers != self.containers {
            return Err("container index differs from the tree".to_owned());
        }
        if seen.ttls != self.ttls {
            return Err("TTL index differs from the tree".to_owned());
        }
        Ok(())
    }
}

/// What the walk saw.
#[derive(Default)]
struct Seen {
    nodes: usize,
    ephemerals: usize,
    digest: u64,
    size: i64,
    containers: imbl::OrdSet<String>,
    ttls: imbl::OrdSet<String>,
    acl_users: imbl::OrdMap<Arc<[crate::proto::Acl]>, u64>,
}
