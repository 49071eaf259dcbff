//! Replays the committed log over a simple model tree, checking that each txn is one a
//! correct server could have committed, and keeps per-path histories so the checks can ask
//! what the tree held at any zxid.

use std::collections::{BTreeMap, BTreeSet};

use super::types::{CommittedTxn, SessionId, StatView, TxnEffect, WatchEventType, Zxid};
use super::violation::Violation;

/// The nodes of a fresh tree (`zookeeper-protocol.md` §3): empty data, zero stats.
const BUILTIN_PATHS: [&str; 4] = ["/", "/zookeeper", "/zookeeper/quota", "/zookeeper/config"];

/// A node's state as reads see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct NodeSnap {
    pub(crate) data: Option<Vec<u8>>,
    pub(crate) version: i32,
    pub(crate) czxid: Zxid,
    pub(crate) mzxid: Zxid,
    pub(crate) owner: SessionId,
}

#[derive(Clone, Debug)]
struct LiveNode {
    snap: NodeSnap,
    children: BTreeSet<String>,
    /// The stored create counter: the next sequential suffix (`zookeeper-protocol.md` §7.2).
    created: i32,
}

/// The committed log replayed over a model tree: per-path histories that say what the tree
/// held after any zxid, and what the replay found wrong with the log itself.
#[derive(Debug, Default)]
pub struct Replay {
    /// The log in zxid order (duplicates dropped).
    pub(crate) txns: Vec<CommittedTxn>,
    /// zxid → index into `txns`.
    pub(crate) by_zxid: BTreeMap<Zxid, usize>,
    /// Per txn and effect: the state of the effect's path just before the effect.
    pub(crate) pre: Vec<Vec<Option<NodeSnap>>>,
    /// Per txn: the (event type, path) pairs it can fire (`zookeeper-protocol.md` §8.3).
    pub(crate) fires: Vec<Vec<(WatchEventType, String)>>,
    /// Per path: its state after each zxid that changed it (`None` = absent).
    nodes: BTreeMap<String, Vec<(Zxid, Option<NodeSnap>)>>,
    /// Per parent: child additions (`true`) and removals, in zxid order.
    children: BTreeMap<String, Vec<(Zxid, String, bool)>>,
    /// The largest zxid in the log (0 when empty).
    pub(crate) max_zxid: Zxid,
    /// What the replay found wrong with the log.
    violations: Vec<Violation>,
}

/// The parent of an absolute path (`/` for a top-level node).
pub(crate) fn parent_of(path: &str) -> Option<&str> {
    if path == "/" {
        return None;
    }
    match path.rfind('/') {
        Some(0) => Some("/"),
        Some(i) => Some(&path[..i]),
        None => None,
    }
}

fn name_of(path: &str) -> &str {
    path.rfind('/').map_or(path, |i| &path[i + 1..])
}

impl Replay {
    /// Replays `log` (sorted here if it is not; disorder is reported).
    pub fn new(log: &[CommittedTxn]) -> Self {
        let mut replay = Self::default();
        let mut live: BTreeMap<String, LiveNode> = BTreeMap::new();
        for path in BUILTIN_PATHS {
            let snap = NodeSnap {
                data: Some(Vec::new()),
                version: 0,
                czxid: 0,
                mzxid: 0,
                owner: 0,
            };
            replay.record(path, 0, Some(snap.clone()));
            let node = LiveNode {
                snap,
                children: BTreeSet::new(),
                created: 0,
            };
            live.insert(path.to_owned(), node);
        }
        for path in BUILTIN_PATHS {
            if let Some(parent) = parent_of(path) {
                if let Some(p) = live.get_mut(parent) {
                    p.children.insert(name_of(path).to_owned());
                }
                replay.record_child(parent, 0, name_of(path), true);
            }
        }
        replay.txns = replay.sorted_log(log);
        let txns = std::mem::take(&mut replay.txns);
        for (index, txn) in txns.iter().enumerate() {
            replay.by_zxid.insert(txn.zxid, index);
            replay.max_zxid = replay.max_zxid.max(txn.zxid);
            let mut state = Apply {
                replay: &mut replay,
                live: &mut live,
                txn,
                pre: Vec::new(),
                fires: Vec::new(),
            };
            for (effect_index, effect) in txn.ops.iter().enumerate() {
                state.effect(effect_index, effect);
            }
            let (pre, fires) = (state.pre, state.fires);
            replay.pre.push(pre);
            replay.fires.push(fires);
        }
        replay.txns = txns;
        replay
    }

    fn sorted_log(&mut self, log: &[CommittedTxn]) -> Vec<CommittedTxn> {
        let mut previous: Option<Zxid> = None;
        for (index, txn) in log.iter().enumerate() {
            if let Some(previous) = previous.filter(|p| *p >= txn.zxid) {
                self.violations.push(Violation::LogNotIncreasing {
                    index,
                    zxid: txn.zxid,
                    previous,
                });
            }
            previous = Some(txn.zxid);
        }
        let mut sorted = log.to_vec();
        sorted.sort_by_key(|t| t.zxid);
        sorted.dedup_by_key(|t| t.zxid);
        sorted
    }

    fn record(&mut self, path: &str, zxid: Zxid, state: Option<NodeSnap>) {
        let history = self.nodes.entry(path.to_owned()).or_default();
        // Only the state after a whole txn is observable: a multi's intermediate states
        // are replaced.
        match history.last_mut() {
            Some(last) if last.0 == zxid => last.1 = state,
            _ => history.push((zxid, state)),
        }
    }

    fn record_child(&mut self, parent: &str, zxid: Zxid, name: &str, added: bool) {
        let history = self.children.entry(parent.to_owned()).or_default();
        history.push((zxid, name.to_owned(), added));
    }

    /// What the replay found wrong with the log ([`Violation::LogInvalid`],
    /// [`Violation::LogNotIncreasing`]).
    pub fn violations(&self) -> &[Violation] {
        &self.violations
    }

    /// The state of `path` after every txn up to `zxid`.
    pub(crate) fn node_at(&self, path: &str, zxid: Zxid) -> Option<&NodeSnap> {
        let history = self.nodes.get(path)?;
        let after = history.partition_point(|(z, _)| *z <= zxid);
        history[..after].last().and_then(|(_, s)| s.as_ref())
    }

    /// The states `path` had at the zxids in `[lo, hi]`: its state at `lo`, then each
    /// change up to `hi`, with the zxid each state starts at.
    pub(crate) fn node_states(
        &self,
        path: &str,
        lo: Zxid,
        hi: Zxid,
    ) -> Vec<(Zxid, Option<&NodeSnap>)> {
        let mut states = vec![(lo, self.node_at(path, lo))];
        if let Some(history) = self.nodes.get(path) {
            let from = history.partition_point(|(z, _)| *z <= lo);
            let changes = history[from..].iter().take_while(|(z, _)| *z <= hi);
            states.extend(changes.map(|(z, s)| (*z, s.as_ref())));
        }
        states
    }

    /// The child additions and removals of `parent`, in zxid order.
    pub(crate) fn child_changes(&self, parent: &str) -> &[(Zxid, String, bool)] {
        self.children.get(parent).map_or(&[], Vec::as_slice)
    }

    /// The txn at `zxid`, with its index.
    pub(crate) fn txn(&self, zxid: Zxid) -> Option<(usize, &CommittedTxn)> {
        let index = *self.by_zxid.get(&zxid)?;
        Some((index, &self.txns[index]))
    }
}

/// Applies one txn's effects to the live model.
struct Apply<'a> {
    replay: &'a mut Replay,
    live: &'a mut BTreeMap<String, LiveNode>,
    txn: &'a CommittedTxn,
    pre: Vec<Option<NodeSnap>>,
    fires: Vec<(WatchEventType, String)>,
}

impl Apply<'_> {
    fn invalid(&mut self, effect: usize, reason: String) {
        self.replay.violations.push(Violation::LogInvalid {
            zxid: self.txn.zxid,
            effect,
            reason,
        });
    }

    fn effect(&mut self, index: usize, effect: &TxnEffect) {
        let before = effect
            .path()
            .and_then(|p| self.live.get(p))
            .map(|n| n.snap.clone());
        self.pre.push(before);
        match effect {
            TxnEffect::CreateSession => {}
            TxnEffect::CloseSession { ephemerals } => self.close_session(index, ephemerals),
            TxnEffect::Create { .. } => self.create(index, effect),
            TxnEffect::Delete { path } => self.delete(index, path),
            TxnEffect::SetData {
                path,
                data,
                version,
            } => self.set_data(index, path, data, *version),
            TxnEffect::SetAcl { path } | TxnEffect::Check { path } => {
                if !self.live.contains_key(path) {
                    self.invalid(index, format!("{path} does not exist"));
                }
            }
        }
    }

    fn close_session(&mut self, index: usize, ephemerals: &[String]) {
        let session = self.txn.session;
        for path in ephemerals {
            match self.live.get(path).map(|n| n.snap.owner) {
                Some(owner) if owner == session => self.delete(index, path),
                Some(owner) => {
                    let reason =
                        format!("ephemeral {path} is owned by {owner:#x}, not {session:#x}");
                    self.invalid(index, reason);
                }
                None => self.invalid(index, format!("ephemeral {path} does not exist")),
            }
        }
        let left: Vec<String> = self
            .live
            .iter()
            .filter(|(_, n)| n.snap.owner == session && session != 0)
            .map(|(p, _)| p.clone())
            .collect();
        if !left.is_empty() {
            let reason = format!("session {session:#x} closed but its ephemerals {left:?} remain");
            self.invalid(index, reason);
        }
    }

    fn create(&mut self, index: usize, effect: &TxnEffect) {
        let TxnEffect::Create {
            path,
            data,
            ephemeral_owner,
            sequential,
            parent_cversion,
        } = effect
        else {
            unreachable!("create is called with a Create effect")
        };
        let zxid = self.txn.zxid;
        if self.live.contains_key(path) {
            return self.invalid(index, format!("{path} already exists"));
        }
        let Some(parent) = parent_of(path) else {
            return self.invalid(index, format!("{path} has no parent"));
        };
        let Some(p) = self.live.get_mut(parent) else {
            return self.invalid(index, format!("parent of {path} does not exist"));
        };
        let (created, parent_owner) = (p.created, p.snap.owner);
        p.created = p.created.wrapping_add(1);
        p.children.insert(name_of(path).to_owned());
        if parent_owner != 0 {
            self.invalid(index, format!("parent of {path} is ephemeral"));
        }
        if *sequential == Some(true) && !path.ends_with(&format!("{created:010}")) {
            let reason = format!("sequential {path} does not end in the counter {created:010}");
            self.invalid(index, reason);
        }
        if let Some(after) = parent_cversion.filter(|c| *c != created.wrapping_add(1)) {
            let reason = format!(
                "parent cversion {after}, expected {}",
                created.wrapping_add(1)
            );
            self.invalid(index, reason);
        }
        let snap = NodeSnap {
            data: data.clone(),
            version: 0,
            czxid: zxid,
            mzxid: zxid,
            owner: ephemeral_owner.unwrap_or(0),
        };
        self.replay.record(path, zxid, Some(snap.clone()));
        self.replay.record_child(parent, zxid, name_of(path), true);
        let node = LiveNode {
            snap,
            children: BTreeSet::new(),
            created: 0,
        };
        self.live.insert(path.clone(), node);
        self.fires.push((WatchEventType::NodeCreated, path.clone()));
        self.fires
            .push((WatchEventType::NodeChildrenChanged, parent.to_owned()));
    }

    fn delete(&mut self, index: usize, path: &str) {
        let Some(node) = self.live.get(path) else {
            return self.invalid(index, format!("{path} does not exist"));
        };
        if !node.children.is_empty() {
            let reason = format!("{path} has children {:?}", node.children);
            return self.invalid(index, reason);
        }
        self.live.remove(path);
        let zxid = self.txn.zxid;
        self.replay.record(path, zxid, None);
        self.fires
            .push((WatchEventType::NodeDeleted, path.to_owned()));
        if let Some(parent) = parent_of(path) {
            if let Some(p) = self.live.get_mut(parent) {
                p.children.remove(name_of(path));
            }
            self.replay.record_child(parent, zxid, name_of(path), false);
            self.fires
                .push((WatchEventType::NodeChildrenChanged, parent.to_owned()));
        }
    }

    fn set_data(&mut self, index: usize, path: &str, data: &Option<Vec<u8>>, version: i32) {
        let zxid = self.txn.zxid;
        let Some(node) = self.live.get_mut(path) else {
            return self.invalid(index, format!("{path} does not exist"));
        };
        let expected = node.snap.version.wrapping_add(1);
        node.snap.data.clone_from(data);
        node.snap.version = version;
        node.snap.mzxid = zxid;
        let snap = node.snap.clone();
        self.replay.record(path, zxid, Some(snap));
        self.fires
            .push((WatchEventType::NodeDataChanged, path.to_owned()));
        if version != expected {
            self.invalid(
                index,
                format!("{path} version {version}, expected {expected}"),
            );
        }
    }
}

impl NodeSnap {
    /// Whether a reply's stat shows this state.
    pub(crate) fn shows(&self, stat: &StatView) -> bool {
        self.czxid == stat.czxid
            && self.mzxid == stat.mzxid
            && self.version == stat.version
            && self.owner == stat.ephemeral_owner
    }
}
