//! The data tree: znodes, stats, ACL checks, sequential counters, containers, TTL, the digest and
//! snapshots (DESIGN.md §3; `DataTree.java`).
//!
//! The tree only applies [`Txn`]s that `prep` built for writes that succeed; a txn that does not
//! fit the tree is a bug and panics naming the zxid, op and path. Reads (`node`, `stat`,
//! `children`) are plain lookups.

pub mod acl;
mod apply;
mod builder;
mod check;
mod config_node;
mod digest;
mod node;
pub mod path;
mod quota;
mod record;
mod snapshot;
mod stream;

use imbl::{OrdMap, OrdSet};
use std::sync::Arc;

use bytes::Bytes;

pub use builder::TreeBuilder;
pub use node::{Znode, CONTAINER_OWNER, TTL_MS_MAX, TTL_OWNER_MARK};
pub use snapshot::{SnapshotError, SNAPSHOT_FORMAT_VERSION};

use crate::ids::{SessionId, Zxid};
use crate::lookup::LookupMap;
use crate::proto::{Acl, Stat};
use crate::txn::{Applied, NodeKind, Txn};

/// The replicated znode tree.
#[derive(Clone, Debug)]
pub struct DataTree {
    /// Every node by full path (lookups only; order comes from the children sets). Boxed so the
    /// hash table's slack (up to half its buckets) costs a pointer per bucket, not a node.
    nodes: LookupMap<String, Arc<Znode>>,
    /// Normal ephemerals by owning session; a session with none has no entry.
    ephemerals: OrdMap<SessionId, OrdSet<String>>,
    /// Every container node.
    containers: OrdSet<String>,
    /// Every TTL node.
    ttls: OrdSet<String>,
    /// The zxid of the last applied txn.
    last_applied: Zxid,
    /// Wrapping sum of every node's hash ([`digest`]).
    digest: u64,
    /// Java's `approximateDataSize`, kept up to date.
    approximate_data_size: i64,
    /// Every distinct ACL in use, with how many nodes use it (`ReferenceCountedACLCache`):
    /// nodes share one allocation per distinct ACL.
    acls: OrdMap<Arc<[Acl]>, u64>,
}

impl Default for DataTree {
    fn default() -> Self {
        Self::new()
    }
}

impl DataTree {
    /// A fresh tree as a new standalone Java server shows it: `/`, `/zookeeper`,
    /// `/zookeeper/quota` and `/zookeeper/config`, all with empty data and zero stats (so `/`
    /// shows cversion -1 and `/zookeeper` -2); `/zookeeper/config` is world:anyone:r with
    /// aversion -1 (Java creates it that way: golden capture `kazoo_builtin`), the rest
    /// world:anyone:cdrwa.
    #[must_use]
    pub fn new() -> Self {
        let mut tree = Self {
            nodes: LookupMap::new(),
            ephemerals: OrdMap::new(),
            containers: OrdSet::new(),
            ttls: OrdSet::new(),
            last_applied: Zxid::ZERO,
            digest: 0,
            approximate_data_size: 0,
            acls: OrdMap::new(),
        };
        let open = tree.intern_acl(&[Acl::open_unsafe()]);
        tree.insert_node(path::ROOT.to_owned(), Znode::builtin(open));
        for (p, acl) in [
            (path::ZOOKEEPER, Acl::open_unsafe()),
            (path::QUOTA, Acl::open_unsafe()),
            (path::CONFIG, Acl::read_unsafe()),
        ] {
            let acl = tree.intern_acl(&[acl]);
            let mut node = Znode::builtin(acl);
            if p == path::CONFIG {
                node.aversion = -1;
            }
            tree.insert_node(p.to_owned(), node);
            tree.link_child(p);
        }
        tree.check_invariants();
        tree
    }

    /// The zxid of the last applied txn (zero for a fresh tree).
    #[must_use]
    pub fn last_applied(&self) -> Zxid {
        self.last_applied
    }

    /// The node at `path`.
    #[must_use]
    pub fn node(&self, path: &str) -> Option<&Znode> {
        self.nodes.get(path).map(|n| &**n)
    }

    /// Whether a node exists at `path`.
    #[must_use]
    pub fn contains(&self, path: &str) -> bool {
        self.nodes.contains_key(path)
    }

    /// The client-visible Stat of the node at `path`.
    #[must_use]
    pub fn stat(&self, path: &str) -> Option<Stat> {
        self.node(path).map(Znode::stat)
    }

    /// The children's names of the node at `path`, sorted.
    #[must_use]
    pub fn children(&self, path: &str) -> Option<Vec<String>> {
        self.node(path)
            .map(|n| n.children.iter().cloned().collect())
    }

    /// The paths of `session`'s ephemerals, sorted.
    pub fn ephemerals(&self, session: SessionId) -> impl Iterator<Item = &str> + '_ {
        self.ephemerals
            .get(&session)
            .into_iter()
            .flat_map(|set| set.iter().map(String::as_str))
    }

    /// Every ephemeral as (owner, path), sorted by session then path (the `dump` 4lw).
    pub fn all_ephemerals(&self) -> impl Iterator<Item = (SessionId, &str)> + '_ {
        self.ephemerals
            .iter()
            .flat_map(|(s, set)| set.iter().map(move |p| (*s, p.as_str())))
    }

    /// The sessions that own at least one ephemeral, sorted.
    pub fn sessions_with_ephemerals(&self) -> impl Iterator<Item = SessionId> + '_ {
        self.ephemerals.keys().copied()
    }

    /// How many normal ephemerals exist (`zk_ephemerals_count`).
    #[must_use]
    pub fn ephemeral_count(&self) -> usize {
        self.ephemerals.values().map(OrdSet::len).sum()
    }

    /// `getAllChildrenNumber`: every descendant of `path` (for `/`, every node but the root,
    /// `/zookeeper/**` included). `None` when the node does not exist.
    #[must_use]
    pub fn descendant_count(&self, path: &str) -> Option<i32> {
        let start = self.node(path)?;
        let count = if path == path::ROOT {
            self.nodes.len() - 1
        } else {
            let mut count = 0usize;
            let mut stack: Vec<String> =
                start.children.iter().map(|c| path::join(path, c)).collect();
            while let Some(p) = stack.pop() {
                count += 1;
                let n = self
                    .nodes
                    .get(&p)
                    .expect("child listed by its parent exists");
                stack.extend(n.children.iter().map(|c| path::join(&p, c)));
            }
            count
        };
        Some(i32::try_from(count).unwrap_or(i32::MAX))
    }

    /// The number of znodes, the root included (4 on a fresh tree).
    #[must_use]
    pub fn znode_count(&self) -> usize {
        self.nodes.len()
    }

    /// The node count Java reports (`srvr` "Node count", `zk_znode_count`): Java keeps the root
    /// under two keys (`""` and `"/"`), so this is [`Self::znode_count`] + 1 (5 on a fresh tree).
    #[must_use]
    pub fn node_count(&self) -> usize {
        self.nodes.len() + 1
    }

    /// Java's `approximateDataSize` (`zk_approximate_data_size`): over every key of its node map
    /// (the root twice, as `""` and `"/"`), the path length in UTF-16 units plus the data length.
    #[must_use]
    pub fn approximate_data_size(&self) -> i64 {
        self.approximate_data_size
    }

    /// How many distinct ACLs are in use (`aclCacheSize`).
    #[must_use]
    pub fn acl_cache_size(&self) -> usize {
        self.acls.len()
    }

    /// The tree digest: equal histories give equal digests ([`digest`]).
    #[must_use]
    pub fn digest(&self) -> u64 {
        self.digest
    }

    /// Applies a txn `prep` built and returns the per-op results and the changes, in order.
    ///
    /// # Panics
    /// When `txn.zxid` is not above [`Self::last_applied`], or the txn does not fit the tree (a
    /// bug in prep): the message names the zxid, the op and the path.
    pub fn apply(&mut self, txn: &Txn) -> Applied {
        assert!(
            txn.zxid > self.last_applied,
            "txn zxid {} not above last applied {}",
            txn.zxid,
            self.last_applied
        );
        let mut changes = Vec::new();
        let result = self.apply_op(txn, &txn.op, false, &mut changes);
        self.last_applied = txn.zxid;
        Applied { result, changes }
    }

    /// Containers and TTL nodes the reaper should delete now, sorted (§7.3).
    ///
    /// A container with no children goes once it has had one (stored create counter > 0), or,
    /// when `max_never_used_ms` is set and positive, once `now − mtime` exceeds it. A TTL node
    /// with no children goes once `now − mtime` exceeds its TTL.
    #[must_use]
    pub fn reap_candidates(&self, now_ms: i64, max_never_used_ms: Option<i64>) -> Vec<String> {
        let never_used_ms = max_never_used_ms.filter(|ms| *ms > 0);
        let mut out = Vec::new();
        for p in &self.containers {
            let n = self.nodes.get(p).expect("indexed container exists");
            if !n.children.is_empty() {
                continue;
            }
            let elapsed_ms = now_ms.saturating_sub(n.mtime);
            let used = n.cversion > 0;
            if used || never_used_ms.is_some_and(|max| elapsed_ms > max) {
                out.push(p.clone());
            }
        }
        for p in &self.ttls {
            let n = self.nodes.get(p).expect("indexed TTL node exists");
            let NodeKind::Ttl { ttl_ms } = n.kind else {
                unreachable!("TTL index holds a non-TTL node {p}");
            };
            if n.children.is_empty() && now_ms.saturating_sub(n.mtime) > ttl_ms {
                out.push(p.clone());
            }
        }
        out.sort_unstable();
        out
    }

    /// Every node in pre-order (a parent before its children, siblings sorted), with its path.
    ///
    /// The walk keeps one entry per level it is in (a path and where it is among that node's
    /// children), so its memory grows with the tree's depth, not with a node's fan-out.
    pub fn iter_preorder(&self) -> impl Iterator<Item = (String, &Znode)> + '_ {
        let root = self.node(path::ROOT).expect("the root exists");
        let mut next = Some((path::ROOT.to_owned(), root));
        let mut stack = Vec::new();
        std::iter::from_fn(move || {
            if let Some((p, n)) = next.take() {
                stack.push((p.clone(), n.children.iter()));
                return Some((p, n));
            }
            loop {
                let (parent, children) = stack.last_mut()?;
                let Some(name) = children.next() else {
                    stack.pop();
                    continue;
                };
                let p = path::join(parent, name);
                let n = self.node(&p).expect("node reached from its parent exists");
                stack.push((p.clone(), n.children.iter()));
                return Some((p, n));
            }
        })
    }

    /// Whether two trees hold the same content: last applied zxid, nodes (data, ACL, stat, kind,
    /// children) and digest. Also available as `==`.
    #[must_use]
    pub fn eq_content(&self, other: &Self) -> bool {
        self.last_applied == other.last_applied
            && self.digest == other.digest
            && self.nodes.len() == other.nodes.len()
            && self.approximate_data_size == other.approximate_data_size
            && self.iter_preorder().all(|(p, n)| other.node(&p) == Some(n))
    }

    // ----- internal mutation helpers, each keeping the digest and the indexes up to date -----

    /// The shared copy of `acl`, counting one more user. Pair with [`Self::release_acl`].
    fn intern_acl(&mut self, acl: &[Acl]) -> Arc<[Acl]> {
        if let Some((shared, users)) = self.acls.get_key_value(acl) {
            let shared = Arc::clone(shared);
            let users = users + 1;
            self.acls.insert(Arc::clone(&shared), users);
            return shared;
        }
        let shared: Arc<[Acl]> = Arc::from(acl);
        self.acls.insert(Arc::clone(&shared), 1);
        shared
    }

    /// Counts one user less of a shared ACL, dropping it when none is left.
    fn release_acl(&mut self, acl: &Arc<[Acl]>) {
        let users = self.acls.get_mut(&**acl).expect("released ACL is cached");
        assert!(*users > 0, "ACL user count underflow");
        *users -= 1;
        if *users == 0 {
            self.acls.remove(&**acl);
        }
    }

    /// Inserts a node (no parent link); indexes it and adds its hash.
    fn insert_node(&mut self, path: String, node: Znode) {
        self.digest = self.digest.wrapping_add(digest::node_hash(&path, &node));
        self.approximate_data_size += node_size(&path, node.data.as_ref());
        if path == path::ROOT {
            // Java's alias key "/" for the root counts again.
            self.approximate_data_size += node_size("", node.data.as_ref());
        }
        match node.kind {
            NodeKind::Persistent => {}
            NodeKind::Ephemeral(s) => {
                self.ephemerals.entry(s).or_default().insert(path.clone());
            }
            NodeKind::Container => {
                self.containers.insert(path.clone());
            }
            NodeKind::Ttl { .. } => {
                self.ttls.insert(path.clone());
            }
        }
        let old = self.nodes.insert(path, Arc::new(node));
        assert!(old.is_none(), "node inserted twice");
    }

    /// Removes a node (no parent unlink); unindexes it and subtracts its hash.
    fn remove_node(&mut self, path: &str) -> Arc<Znode> {
        let node = self.nodes.remove(path).expect("removed node exists");
        self.release_acl(&node.acl);
        self.digest = self.digest.wrapping_sub(digest::node_hash(path, &node));
        self.approximate_data_size -= node_size(path, node.data.as_ref());
        match node.kind {
            NodeKind::Persistent => {}
            NodeKind::Ephemeral(s) => {
                let set = self.ephemerals.get_mut(&s).expect("owner indexed");
                assert!(
                    set.remove(path).is_some(),
                    "ephemeral {path} missing from its index"
                );
                if set.is_empty() {
                    self.ephemerals.remove(&s);
                }
            }
            NodeKind::Container => {
                assert!(
                    self.containers.remove(path).is_some(),
                    "container unindexed"
                );
            }
            NodeKind::Ttl { .. } => {
                assert!(self.ttls.remove(path).is_some(), "TTL node unindexed");
            }
        }
        node
    }

    /// Adds `path`'s name to its parent's children (the parent's stat is the caller's business).
    fn link_child(&mut self, path: &str) {
        let parent = self
            .nodes
            .get_mut(path::parent(path))
            .expect("parent exists");
        let parent = Arc::make_mut(parent);
        let old = parent.children.insert(path::basename(path).to_owned());
        assert!(old.is_none(), "child {path} linked twice");
    }

    /// Links a child that is not in the tree yet to its parent, for [`TreeBuilder`]: `Err`
    /// (what is wrong) when the parent is missing or ephemeral, the child is already linked, or
    /// the parent's create counter falls below its created children (built-ins aside).
    fn link_new_child(&mut self, path: &str) -> Result<(), &'static str> {
        let parent_path = path::parent(path);
        let Some(parent) = self.nodes.get_mut(parent_path) else {
            return Err("parent missing or after its child");
        };
        if parent.ephemeral_owner().is_some() {
            return Err("child of an ephemeral");
        }
        let parent = Arc::make_mut(parent);
        let name = path::basename(path);
        if parent.children.insert(name.to_owned()).is_some() {
            return Err("duplicate node");
        }
        let builtins = path::builtin_children(parent_path);
        if builtins.contains(&name) {
            return Ok(()); // Not counted by the create counter.
        }
        let linked = builtins.iter().filter(|b| parent.children.contains(**b));
        let counted = parent.children.len() - linked.count();
        // After 2^31 creates the counter wraps negative (as Java's int does); skip it then.
        if let Ok(counter) = usize::try_from(parent.cversion) {
            if counter < counted {
                return Err("parent's create counter below its created children");
            }
        }
        Ok(())
    }

    /// Changes a node in place, keeping the digest and the size figure right.
    fn update_node<R>(&mut self, path: &str, f: impl FnOnce(&mut Znode) -> R) -> R {
        let node = Arc::make_mut(self.nodes.get_mut(path).expect("updated node exists"));
        let old_hash = digest::node_hash(path, node);
        let old_size = node_size(path, node.data.as_ref());
        let old_kind = node.kind;
        let result = f(node);
        assert_eq!(node.kind, old_kind, "a node's kind never changes");
        let new_hash = digest::node_hash(path, node);
        let mut size_delta = node_size(path, node.data.as_ref()) - old_size;
        if path == path::ROOT {
            size_delta *= 2;
        }
        self.digest = self.digest.wrapping_sub(old_hash).wrapping_add(new_hash);
        self.approximate_data_size += size_delta;
        result
    }
}

impl PartialEq for DataTree {
    fn eq(&self, other: &Self) -> bool {
        self.eq_content(other)
    }
}

impl Eq for DataTree {}

/// Java's `getNodeSize`: path length in UTF-16 units plus data length.
fn node_size(path: &str, data: Option<&Bytes>) -> i64 {
    let path_units = path.encode_utf16().count();
    i64::try_from(path_units + data.map_or(0, Bytes::len)).expect("node size fits i64")
}

#[cfg(test)]
mod stat_test;
