//! Model test of the data tree (STYLE.md §8, after sled's `tests/tree/mod.rs`): random op
//! sequences become valid txns (built against a plain `BTreeMap` model, as prep would: ops the
//! model says would fail are skipped) and are applied to both the `DataTree` and the model. After
//! every step the two must agree on every node's data, ACL, stat, kind and children, on the
//! ephemeral index and on each op's result; `Restart` goes through snapshot and restore, and the
//! whole txn log replayed on a fresh tree must give an equal tree (digest included).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};

use bytes::Bytes;
use quickcheck::{Arbitrary, Gen, QuickCheck};
use zoorepl_core::ids::{SessionId, Xid, Zxid};
use zoorepl_core::proto::{perms, Acl, Id, Stat};
use zoorepl_core::tree::{path, DataTree};
use zoorepl_core::txn::{Change, CreateTxn, NodeKind, OpResult, Txn, TxnOp};

const NAMES: [&str; 4] = ["a", "b", "c", "d"];

/// How often the generated histories hit each interesting case, summed over the whole run, so
/// the test can prove it exercised them (a generator that never reaches a case cannot fail on it).
static SEQUENTIAL_CREATES: AtomicUsize = AtomicUsize::new(0);
static EPHEMERAL_CREATES: AtomicUsize = AtomicUsize::new(0);
static CONTAINER_OR_TTL_CREATES: AtomicUsize = AtomicUsize::new(0);
static DELETES: AtomicUsize = AtomicUsize::new(0);
static MULTIS_OF_TWO_OR_MORE: AtomicUsize = AtomicUsize::new(0);
static SESSION_CLOSES_WITH_EPHEMERALS: AtomicUsize = AtomicUsize::new(0);
static RESTARTS_OF_BIG_TREES: AtomicUsize = AtomicUsize::new(0);
static DEEP_NODES: AtomicUsize = AtomicUsize::new(0);

fn hit(counter: &AtomicUsize) {
    counter.fetch_add(1, Ordering::Relaxed);
}

#[derive(Clone, Debug)]
enum Op {
    Create {
        parent: u8,
        name: u8,
        kind: u8,
        sequential: bool,
        data: Option<u8>,
    },
    Delete(u8),
    SetData(u8, Option<u8>),
    SetAcl(u8, u8),
    Check(u8),
    Multi(Vec<Self>),
    CreateSession(u8),
    CloseSession(u8),
    Restart,
}

fn small_op(g: &mut Gen) -> Op {
    let pick = u8::arbitrary(g) % 10;
    match pick {
        0..=3 => Op::Create {
            parent: u8::arbitrary(g),
            name: u8::arbitrary(g),
            kind: u8::arbitrary(g),
            sequential: bool::arbitrary(g),
            data: Option::arbitrary(g),
        },
        4 | 5 => Op::Delete(u8::arbitrary(g)),
        6 | 7 => Op::SetData(u8::arbitrary(g), Option::arbitrary(g)),
        8 => Op::SetAcl(u8::arbitrary(g), u8::arbitrary(g)),
        _ => Op::Check(u8::arbitrary(g)),
    }
}

impl Arbitrary for Op {
    fn arbitrary(g: &mut Gen) -> Self {
        match u8::arbitrary(g) % 20 {
            0..=1 => Self::Multi((0..=u8::arbitrary(g) % 5).map(|_| small_op(g)).collect()),
            2 => Self::CreateSession(u8::arbitrary(g)),
            3 => Self::CloseSession(u8::arbitrary(g)),
            4 => Self::Restart,
            _ => small_op(g),
        }
    }

    fn shrink(&self) -> Box<dyn Iterator<Item = Self>> {
        match self {
            Self::Multi(ops) => {
                let mut out: Vec<Self> = ops.clone();
                out.extend(ops.shrink().map(Self::Multi));
                Box::new(out.into_iter())
            }
            _ => Box::new(std::iter::empty()),
        }
    }
}

/// The model's view of one node: the stored fields, by the rules of §3.
#[derive(Clone, Debug)]
struct MNode {
    data: Option<Bytes>,
    acl: Vec<Acl>,
    kind: NodeKind,
    czxid: Zxid,
    mzxid: Zxid,
    pzxid: Zxid,
    ctime: i64,
    mtime: i64,
    version: i32,
    counter: i32,
    aversion: i32,
}

impl MNode {
    fn builtin(acl: Acl) -> Self {
        Self {
            data: Some(Bytes::new()),
            acl: vec![acl],
            kind: NodeKind::Persistent,
            czxid: Zxid::ZERO,
            mzxid: Zxid::ZERO,
            pzxid: Zxid::ZERO,
            ctime: 0,
            mtime: 0,
            version: 0,
            counter: 0,
            aversion: 0,
        }
    }
}

/// The model: every node by path, plus the clock and session of the next txn.
struct Model {
    nodes: BTreeMap<String, MNode>,
    session: SessionId,
    zxid: Zxid,
    time_ms: i64,
}

fn kind_of(sel: u8) -> NodeKind {
    match sel % 6 {
        0 | 1 => NodeKind::Persistent,
        // The owner is always the txn's session; the driver fills it in.
        2 => NodeKind::Ephemeral(SessionId(0)),
        3 => NodeKind::Container,
        4 => NodeKind::Ttl {
            ttl_ms: 1 + i64::from(sel),
        },
        _ => NodeKind::Ephemeral(SessionId(0)),
    }
}

fn acl_of(sel: u8) -> Vec<Acl> {
    match sel % 3 {
        0 => vec![Acl::open_unsafe()],
        1 => vec![Acl::read_unsafe()],
        _ => vec![
            Acl {
                perms: perms::READ | perms::WRITE,
                id: Id::new("ip", "10.0.0.0/8"),
            },
            Acl::open_unsafe(),
        ],
    }
}

fn data_of(sel: Option<u8>) -> Option<Bytes> {
    sel.map(|n| Bytes::from(vec![n; usize::from(n % 7)]))
}

impl Model {
    fn new() -> Self {
        let mut nodes = BTreeMap::new();
        for p in ["/", "/zookeeper", "/zookeeper/quota"] {
            nodes.insert(p.to_owned(), MNode::builtin(Acl::open_unsafe()));
        }
        // Java creates /zookeeper/config with aversion -1 (golden capture `kazoo_builtin`).
        let config = MNode {
            aversion: -1,
            ..MNode::builtin(Acl::read_unsafe())
        };
        nodes.insert("/zookeeper/config".into(), config);
        Self {
            nodes,
            session: SessionId(1),
            zxid: Zxid::new(1, 0),
            time_ms: 0,
        }
    }

    fn pick(&self, sel: u8) -> String {
        let keys: Vec<&String> = self.nodes.keys().collect();
        keys[usize::from(sel) % keys.len()].clone()
    }

    fn children(&self, p: &str) -> Vec<String> {
        self.nodes
            .keys()
            .filter(|k| k.as_str() != "/" && path::parent(k) == p)
            .map(|k| path::basename(k).to_owned())
            .collect()
    }

    fn stat(&self, p: &str) -> Stat {
        let n = &self.nodes[p];
        let kids = i32::try_from(self.children(p).len()).expect("small");
        Stat {
            czxid: n.czxid.as_i64(),
            mzxid: n.mzxid.as_i64(),
            ctime: n.ctime,
            mtime: n.mtime,
            version: n.version,
            cversion: 2 * n.counter - kids,
            aversion: n.aversion,
            ephemeral_owner: match n.kind {
                NodeKind::Ephemeral(s) => s.0,
                _ => 0,
            },
            data_length: n
                .data
                .as_ref()
                .map_or(0, |d| i32::try_from(d.len()).expect("small")),
            num_children: kids,
            pzxid: n.pzxid.as_i64(),
        }
    }

    /// Turns an op into a valid txn op and applies it to the model, with the expected result
    /// and changes; `None` when the write would fail (prep would build no txn).
    fn step(&mut self, op: &Op, changes: &mut Vec<Change>) -> Option<(TxnOp, OpResult)> {
        match op {
            Op::Create {
                parent,
                name,
                kind,
                sequential,
                data,
            } => self.create(*parent, *name, *kind, *sequential, *data, changes),
            Op::Delete(sel) => {
                let p = self.pick(*sel);
                if path::is_reserved_undeletable(&p) || !self.children(&p).is_empty() {
                    return None;
                }
                self.delete(&p);
                hit(&DELETES);
                changes.push(Change::Deleted(p.clone()));
                Some((TxnOp::Delete { path: p }, OpResult::Deleted))
            }
            Op::SetData(sel, data) => Some(self.set_data(*sel, *data, changes)),
            Op::SetAcl(sel, acl) => Some(self.set_acl(*sel, *acl)),
            Op::Check(sel) => Some((
                TxnOp::Check {
                    path: self.pick(*sel),
                },
                OpResult::Checked,
            )),
            Op::Multi(ops) => {
                let mut subs = Vec::new();
                let mut results = Vec::new();
                for sub in ops {
                    if let Some((op, result)) = self.step(sub, changes) {
                        subs.push(op);
                        results.push(result);
                    }
                }
                if subs.len() >= 2 {
                    hit(&MULTIS_OF_TWO_OR_MORE);
                }
                Some((TxnOp::Multi(subs), OpResult::Multi(results)))
            }
            Op::CreateSession(_) => Some((
                TxnOp::CreateSession { timeout_ms: 30_000 },
                OpResult::SessionCreated,
            )),
            Op::CloseSession(_) | Op::Restart => unreachable!("handled by the driver"),
        }
    }

    fn set_data(
        &mut self,
        sel: u8,
        data: Option<u8>,
        changes: &mut Vec<Change>,
    ) -> (TxnOp, OpResult) {
        let p = self.pick(sel);
        let (zxid, time_ms) = (self.zxid, self.time_ms);
        let n = self.nodes.get_mut(&p).expect("picked");
        n.data = data_of(data);
        n.version += 1;
        n.mzxid = zxid;
        n.mtime = time_ms;
        let version = n.version;
        changes.push(Change::DataChanged(p.clone()));
        let stat = self.stat(&p);
        let data = data_of(data);
        (
            TxnOp::SetData {
                path: p,
                data,
                version,
            },
            OpResult::DataSet { stat },
        )
    }

    fn set_acl(&mut self, sel: u8, acl: u8) -> (TxnOp, OpResult) {
        let p = self.pick(sel);
        let n = self.nodes.get_mut(&p).expect("picked");
        n.acl = acl_of(acl);
        n.aversion += 1;
        let aversion = n.aversion;
        let stat = self.stat(&p);
        let acl = acl_of(acl);
        (
            TxnOp::SetAcl {
                path: p,
                acl,
                aversion,
            },
            OpResult::AclSet { stat },
        )
    }

    fn create(
        &mut self,
        parent: u8,
        name: u8,
        kind: u8,
        sequential: bool,
        data: Option<u8>,
        changes: &mut Vec<Change>,
    ) -> Option<(TxnOp, OpResult)> {
        let parent_path = self.pick(parent);
        let parent_node = &self.nodes[&parent_path];
        if matches!(parent_node.kind, NodeKind::Ephemeral(_)) {
            return None;
        }
        let mut p = path::join(&parent_path, NAMES[usize::from(name) % NAMES.len()]);
        if sequential {
            p.push_str(&path::sequential_suffix(parent_node.counter));
            hit(&SEQUENTIAL_CREATES);
        }
        if self.nodes.contains_key(&p) {
            return None;
        }
        let parent_cversion = parent_node.counter + 1;
        let (zxid, time_ms) = (self.zxid, self.time_ms);
        let parent_node = self.nodes.get_mut(&parent_path).expect("parent");
        parent_node.counter = parent_cversion;
        parent_node.pzxid = zxid;
        let owner = self.session;
        let node = MNode {
            data: data_of(data),
            acl: acl_of(kind),
            kind: match kind_of(kind) {
                NodeKind::Ephemeral(_) => NodeKind::Ephemeral(owner),
                other => other,
            },
            czxid: zxid,
            mzxid: zxid,
            pzxid: zxid,
            ctime: time_ms,
            mtime: time_ms,
            version: 0,
            counter: 0,
            aversion: 0,
        };
        match node.kind {
            NodeKind::Ephemeral(_) => hit(&EPHEMERAL_CREATES),
            NodeKind::Container | NodeKind::Ttl { .. } => hit(&CONTAINER_OR_TTL_CREATES),
            NodeKind::Persistent => {}
        }
        if p.matches('/').count() >= 4 {
            hit(&DEEP_NODES);
        }
        self.nodes.insert(p.clone(), node.clone());
        changes.push(Change::Created(p.clone()));
        let stat = self.stat(&p);
        let txn = TxnOp::Create(CreateTxn {
            path: p.clone(),
            data: node.data,
            acl: node.acl,
            kind: node.kind,
            parent_cversion,
        });
        Some((txn, OpResult::Created { path: p, stat }))
    }

    fn delete(&mut self, p: &str) {
        self.nodes.remove(p).expect("deleted node exists");
        let zxid = self.zxid;
        let parent = self.nodes.get_mut(path::parent(p)).expect("parent");
        parent.pzxid = parent.pzxid.max(zxid);
    }

    fn ephemerals(&self, session: SessionId) -> Vec<String> {
        self.nodes
            .iter()
            .filter(|(_, n)| n.kind == NodeKind::Ephemeral(session))
            .map(|(p, _)| p.clone())
            .collect()
    }
}

/// Asserts that the tree and the model agree on everything visible.
fn compare(tree: &DataTree, model: &Model, last_applied: Zxid) {
    tree.check_invariants();
    let mut tree_paths: Vec<String> = tree.iter_preorder().map(|(p, _)| p).collect();
    tree_paths.sort();
    let model_paths: Vec<String> = model.nodes.keys().cloned().collect();
    assert_eq!(tree_paths, model_paths);
    for (p, m) in &model.nodes {
        let n = tree.node(p).expect("same paths");
        assert_eq!(n.data(), m.data.as_ref(), "data of {p}");
        assert_eq!(n.acl(), &m.acl[..], "acl of {p}");
        assert_eq!(n.kind(), m.kind, "kind of {p}");
        assert_eq!(n.create_counter(), m.counter, "counter of {p}");
        assert_eq!(n.stat(), model.stat(p), "stat of {p}");
        assert_eq!(tree.children(p), Some(model.children(p)), "children of {p}");
    }
    for s in 1..=3 {
        let session = SessionId(s);
        let got: Vec<&str> = tree.ephemerals(session).collect();
        assert_eq!(got, model.ephemerals(session), "ephemerals of {session}");
    }
    assert_eq!(tree.znode_count(), model.nodes.len());
    assert_eq!(
        tree.descendant_count("/"),
        i32::try_from(model.nodes.len() - 1).ok()
    );
    assert_eq!(tree.last_applied(), last_applied);
}

/// Runs one op sequence; returns the txn log.
fn run(ops: &[Op]) -> (DataTree, Vec<Txn>) {
    let mut tree = DataTree::new();
    let mut model = Model::new();
    let mut log = Vec::new();
    for op in ops {
        if let Op::Restart = op {
            if tree.znode_count() > 10 {
                hit(&RESTARTS_OF_BIG_TREES);
            }
            let bytes = tree.snapshot();
            let restored = DataTree::restore(&bytes).expect("own snapshot restores");
            assert_eq!(restored, tree);
            assert_eq!(restored.digest(), tree.digest());
            assert_eq!(
                restored.snapshot(),
                bytes,
                "snapshot bytes are deterministic"
            );
            tree = restored;
            compare(
                &tree,
                &model,
                log.last().map_or(Zxid::ZERO, |t: &Txn| t.zxid),
            );
            continue;
        }
        model.zxid = model.zxid.next();
        model.time_ms += 10;
        // Spread the writes over three sessions (a cheap deterministic pick).
        let session = match op {
            Op::CreateSession(s) | Op::CloseSession(s) => SessionId(1 + i64::from(*s % 3)),
            _ => SessionId(1 + i64::try_from(log.len() % 3).expect("small")),
        };
        model.session = session;
        let mut changes = Vec::new();
        let built = if let Op::CloseSession(_) = op {
            let ephemerals = model.ephemerals(session);
            if !ephemerals.is_empty() {
                hit(&SESSION_CLOSES_WITH_EPHEMERALS);
            }
            for p in &ephemerals {
                model.delete(p);
                changes.push(Change::Deleted(p.clone()));
            }
            Some((TxnOp::CloseSession { ephemerals }, OpResult::SessionClosed))
        } else {
            model.step(op, &mut changes)
        };
        let Some((txn_op, expected)) = built else {
            // prep would answer with an error and build no txn: the zxid is not used.
            model.zxid = Zxid::new(model.zxid.epoch, model.zxid.counter - 1);
            continue;
        };
        let txn = Txn {
            zxid: model.zxid,
            time_ms: model.time_ms,
            session,
            cxid: Xid(1),
            op: txn_op,
        };
        let applied = tree.apply(&txn);
        assert_eq!(applied.result, expected, "result of {txn:?}");
        assert_eq!(applied.changes, changes, "changes of {txn:?}");
        log.push(txn);
        compare(&tree, &model, model.zxid);
    }
    (tree, log)
}

fn prop_tree_matches_model(ops: Vec<Op>) -> bool {
    let (tree, log) = run(&ops);
    let mut replayed = DataTree::new();
    for txn in &log {
        replayed.apply(txn);
    }
    assert_eq!(replayed, tree, "replaying the log gives the same tree");
    assert_eq!(replayed.digest(), tree.digest());
    true
}

#[test]
fn tree_matches_model_quickcheck() {
    QuickCheck::new()
        .tests(300)
        .rng(Gen::new(120))
        .quickcheck(prop_tree_matches_model as fn(Vec<Op>) -> bool);
    let seen = [
        ("sequential creates", &SEQUENTIAL_CREATES),
        ("ephemeral creates", &EPHEMERAL_CREATES),
        ("container or TTL creates", &CONTAINER_OR_TTL_CREATES),
        ("deletes", &DELETES),
        ("multis of two or more ops", &MULTIS_OF_TWO_OR_MORE),
        (
            "session closes with ephemerals",
            &SESSION_CLOSES_WITH_EPHEMERALS,
        ),
        ("restarts of trees over 10 nodes", &RESTARTS_OF_BIG_TREES),
        ("nodes four levels deep", &DEEP_NODES),
    ];
    for (what, counter) in seen {
        let n = counter.load(Ordering::Relaxed);
        eprintln!("{what}: {n}");
        assert!(n >= 20, "the generator reached {what} only {n} times");
    }
}

#[test]
fn digest_depends_on_history() {
    // Two different single creates give different digests; the same one gives the same.
    let ops = |data| {
        vec![Op::Create {
            parent: 0,
            name: 0,
            kind: 0,
            sequential: false,
            data: Some(data),
        }]
    };
    let (a, _) = run(&ops(1));
    let (b, _) = run(&ops(2));
    let (c, _) = run(&ops(1));
    assert_ne!(a.digest(), b.digest());
    assert_eq!(a.digest(), c.digest());
    assert_ne!(a, b);
}
