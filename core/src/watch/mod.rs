//! Watches: one-shot data/exist and child watches, persistent and persistent-recursive watches,
//! kept per connection (zookeeper-protocol.md §8; `WatchManager.java`, `DataTree.java`).
//!
//! The manager turns each tree [`Change`] into notifications. A connection receives at most one
//! notification per (event type, path) per change, whatever number of watches it holds. Every
//! table is ordered, so which connections are told, and in what order, is deterministic.

use std::collections::{BTreeMap, BTreeSet};

use crate::ids::ConnId;
use crate::proto::EventType;
use crate::tree::path;
use crate::txn::Change;

/// Upper bound on watches held by one connection; further registrations are ignored and the
/// node reports it (a client cannot make the server grow without bound).
pub const WATCHES_PER_CONN_MAX: usize = 1 << 20;

/// The table a watch lives in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum WatchKind {
    /// One-shot data watch (getData, and exists whether or not the node exists).
    Data,
    /// One-shot child watch (getChildren, getChildren2).
    Child,
    /// Persistent watch on one node (addWatch mode 0): data and child events, never removed by firing.
    Persistent,
    /// Persistent recursive watch (addWatch mode 1): data events of the node and every descendant.
    PersistentRecursive,
}

/// The `type` of checkWatches / removeWatches (`WatcherType`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WatcherType {
    /// 1: the one-shot child watch.
    Children,
    /// 2: the one-shot data/exist watch.
    Data,
    /// 3: every mode in both tables.
    Any,
    /// 4: the persistent watch.
    Persistent,
    /// 5: the persistent recursive watch.
    PersistentRecursive,
}

impl WatcherType {
    /// Reads the wire value; `None` for anything else.
    #[must_use]
    pub const fn from_code(code: i32) -> Option<Self> {
        match code {
            1 => Some(Self::Children),
            2 => Some(Self::Data),
            3 => Some(Self::Any),
            4 => Some(Self::Persistent),
            5 => Some(Self::PersistentRecursive),
            _ => None,
        }
    }

    fn kinds(self) -> &'static [WatchKind] {
        match self {
            Self::Children => &[WatchKind::Child],
            Self::Data => &[WatchKind::Data],
            Self::Persistent => &[WatchKind::Persistent],
            Self::PersistentRecursive => &[WatchKind::PersistentRecursive],
            Self::Any => &[
                WatchKind::Data,
                WatchKind::Child,
                WatchKind::Persistent,
                WatchKind::PersistentRecursive,
            ],
        }
    }
}

/// A notification to deliver: this connection learns of this event on this path.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Fired {
    /// Who to tell.
    pub conn: ConnId,
    /// What happened.
    pub event: EventType,
    /// Where.
    pub path: String,
}

type Table = BTreeMap<String, BTreeSet<ConnId>>;

/// All watches of one server.
#[derive(Clone, Debug, Default)]
pub struct WatchManager {
    tables: [Table; 4],
    by_conn: BTreeMap<ConnId, BTreeSet<(WatchKind, String)>>,
}

const fn slot(kind: WatchKind) -> usize {
    match kind {
        WatchKind::Data => 0,
        WatchKind::Child => 1,
        WatchKind::Persistent => 2,
        WatchKind::PersistentRecursive => 3,
    }
}

impl WatchManager {
    /// No watches.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a watch. Returns false (and adds nothing) when the connection is at its bound.
    pub fn add(&mut self, conn: ConnId, path: &str, kind: WatchKind) -> bool {
        let held = self.by_conn.entry(conn).or_default();
        if held.len() >= WATCHES_PER_CONN_MAX && !held.contains(&(kind, path.to_owned())) {
            return false;
        }
        held.insert((kind, path.to_owned()));
        self.tables[slot(kind)]
            .entry(path.to_owned())
            .or_default()
            .insert(conn);
        true
    }

    fn remove_one(&mut self, conn: ConnId, path: &str, kind: WatchKind) -> bool {
        let table = &mut self.tables[slot(kind)];
        let Some(conns) = table.get_mut(path) else {
            return false;
        };
        if !conns.remove(&conn) {
            return false;
        }
        if conns.is_empty() {
            table.remove(path);
        }
        let held = self
            .by_conn
            .get_mut(&conn)
            .expect("a watch is indexed by its connection");
        let removed = held.remove(&(kind, path.to_owned()));
        assert!(removed, "watch index out of step for {conn:?} {path}");
        if held.is_empty() {
            self.by_conn.remove(&conn);
        }
        true
    }

    /// Whether the connection holds a watch of this type on the path (checkWatches). Data and
    /// Children look at Java's whole table: a persistent watch sits in both the data and the
    /// child table and a recursive one in the data table, so they count (compat suite,
    /// `test_remove_and_check_persistent_watches`, checked against Apache 3.8.0).
    #[must_use]
    pub fn contains(&self, conn: ConnId, path: &str, ty: WatcherType) -> bool {
        let Some(held) = self.by_conn.get(&conn) else {
            return false;
        };
        let table: &[WatchKind] = match ty {
            WatcherType::Data => &[
                WatchKind::Data,
                WatchKind::Persistent,
                WatchKind::PersistentRecursive,
            ],
            WatcherType::Children => &[WatchKind::Child, WatchKind::Persistent],
            other => other.kinds(),
        };
        table.iter().any(|k| held.contains(&(*k, path.to_owned())))
    }

    /// Removes the connection's watches of this type on the path (removeWatches). Returns
    /// whether anything was removed (nothing → NOWATCHER).
    pub fn remove(&mut self, conn: ConnId, path: &str, ty: WatcherType) -> bool {
        let mut any = false;
        for kind in ty.kinds() {
            any |= self.remove_one(conn, path, *kind);
        }
        any
    }

    /// Drops every watch of a connection (it closed, or its session ended).
    pub fn remove_conn(&mut self, conn: ConnId) {
        let Some(held) = self.by_conn.remove(&conn) else {
            return;
        };
        for (kind, path) in held {
            let table = &mut self.tables[slot(kind)];
            let conns = table.get_mut(&path).expect("indexed watch exists");
            conns.remove(&conn);
            if conns.is_empty() {
                table.remove(&path);
            }
        }
    }

    /// Removes every connection's one-shot `kind` watch on `path` (it fired) and adds the
    /// connections to `into`.
    fn take_one_shot(&mut self, path: &str, kind: WatchKind, into: &mut BTreeSet<ConnId>) {
        let Some(set) = self.tables[slot(kind)].remove(path) else {
            return;
        };
        let key = (kind, path.to_owned());
        for conn in set {
            let held = self
                .by_conn
                .get_mut(&conn)
                .expect("a watch is indexed by its connection");
            let removed = held.remove(&key);
            assert!(removed, "watch index out of step for {conn:?} {path}");
            if held.is_empty() {
                self.by_conn.remove(&conn);
            }
            into.insert(conn);
        }
    }

    /// Fires the watches a change triggers, removing the one-shot ones, and returns the
    /// notifications in delivery order: the node's own event first, then the parent's
    /// NodeChildrenChanged (as `DataTree.java` does).
    pub fn trigger(&mut self, change: &Change) -> Vec<Fired> {
        match change {
            Change::Created(path) => {
                let mut out = self.fire_node(path, EventType::NodeCreated, &[WatchKind::Data]);
                out.extend(self.fire_parent(path));
                out
            }
            Change::Deleted(path) => {
                let one_shot = [WatchKind::Data, WatchKind::Child];
                let mut out = self.fire_node(path, EventType::NodeDeleted, &one_shot);
                out.extend(self.fire_parent(path));
                out
            }
            Change::DataChanged(path) => {
                self.fire_node(path, EventType::NodeDataChanged, &[WatchKind::Data])
            }
        }
    }

    /// The node's own event: the given one-shot tables, persistent watches on the node, and
    /// recursive watches on the node or any ancestor.
    fn fire_node(&mut self, path: &str, event: EventType, one_shot: &[WatchKind]) -> Vec<Fired> {
        let mut conns = BTreeSet::new();
        for kind in one_shot {
            self.take_one_shot(path, *kind, &mut conns);
        }
        if let Some(set) = self.tables[slot(WatchKind::Persistent)].get(path) {
            conns.extend(set.iter().copied());
        }
        let recursive = &self.tables[slot(WatchKind::PersistentRecursive)];
        if !recursive.is_empty() {
            for ancestor in self_and_ancestors(path) {
                if let Some(set) = recursive.get(ancestor) {
                    conns.extend(set.iter().copied());
                }
            }
        }
        conns
            .into_iter()
            .map(|conn| Fired {
                conn,
                event,
                path: path.to_owned(),
            })
            .collect()
    }

    /// NodeChildrenChanged on the parent: one-shot child watches and persistent watches on the
    /// parent. Recursive watches never receive NodeChildrenChanged.
    fn fire_parent(&mut self, path: &str) -> Vec<Fired> {
        let Some(parent) = parent_of(path) else {
            return Vec::new();
        };
        let mut conns = BTreeSet::new();
        self.take_one_shot(parent, WatchKind::Child, &mut conns);
        if let Some(set) = self.tables[slot(WatchKind::Persistent)].get(parent) {
            conns.extend(set.iter().copied());
        }
        let event = EventType::NodeChildrenChanged;
        conns
            .into_iter()
            .map(|conn| Fired {
                conn,
                event,
                path: parent.to_owned(),
            })
            .collect()
    }

    /// Every (kind, path) a connection watches, in order (`wchc`).
    pub fn watches_of(&self, conn: ConnId) -> impl Iterator<Item = &(WatchKind, String)> {
        self.by_conn.get(&conn).into_iter().flatten()
    }

    /// Every watched path with its connections, per table (`wchp`), in path order.
    pub fn paths(&self) -> impl Iterator<Item = (&str, &ConnId)> {
        self.tables.iter().flat_map(|t| {
            t.iter()
                .flat_map(|(p, cs)| cs.iter().map(|c| (p.as_str(), c)))
        })
    }

    /// (connections watching, distinct paths watched, total watches), as `wchs` prints them.
    #[must_use]
    pub fn summary(&self) -> (usize, usize, usize) {
        let total = self.by_conn.values().map(BTreeSet::len).sum();
        let paths: BTreeSet<&String> = self.tables.iter().flat_map(BTreeMap::keys).collect();
        (self.by_conn.len(), paths.len(), total)
    }

    /// Checks that the tables and the per-connection index agree (O(n)).
    pub fn check_invariants(&self) {
        let mut count = 0;
        for (i, table) in self.tables.iter().enumerate() {
            for (path, conns) in table {
                assert!(
                    !conns.is_empty(),
                    "empty watcher set kept for {path} in table {i}"
                );
                count += conns.len();
            }
        }
        let indexed: usize = self.by_conn.values().map(BTreeSet::len).sum();
        assert_eq!(count, indexed, "watch tables and connection index disagree");
        for (conn, held) in &self.by_conn {
            assert!(!held.is_empty(), "empty index kept for {conn:?}");
            for (kind, path) in held {
                let present = self.tables[slot(*kind)]
                    .get(path)
                    .is_some_and(|c| c.contains(conn));
                assert!(
                    present,
                    "{conn:?} indexes {kind:?} {path} that the table lacks"
                );
            }
        }
    }
}

/// The parent of an absolute path; `None` for the root.
fn parent_of(p: &str) -> Option<&str> {
    (p != path::ROOT).then(|| path::parent(p))
}

/// The path itself, then each ancestor up to and including the root.
fn self_and_ancestors(path: &str) -> impl Iterator<Item = &str> {
    std::iter::successors(Some(path), |p| parent_of(p))
}

#[cfg(test)]
mod tests;
