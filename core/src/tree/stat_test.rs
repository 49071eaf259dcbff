//! Stat rules (zookeeper-protocol.md §3), built-in nodes (§7.5), sequential counters (§7.2),
//! containers and TTL (§7.3), and the panics for txns that do not fit.

use bytes::Bytes;

use super::*;
use crate::ids::Xid;
use crate::proto::perms;
use crate::txn::{Change, CreateTxn, OpResult, TxnOp};

const S1: SessionId = SessionId(0x11);

/// Builds txns with increasing zxids and times.
struct Txns {
    counter: u32,
}

impl Txns {
    fn new() -> Self {
        Self { counter: 0 }
    }

    fn txn(&mut self, op: TxnOp) -> Txn {
        self.counter += 1;
        Txn {
            zxid: Zxid::new(1, self.counter),
            time_ms: 1000 * i64::from(self.counter),
            session: S1,
            cxid: Xid(i32::try_from(self.counter).expect("small")),
            op,
        }
    }
}

fn create_op(tree: &DataTree, path: &str, data: &str, kind: NodeKind) -> TxnOp {
    let parent = tree.node(path::parent(path)).expect("parent");
    TxnOp::Create(CreateTxn {
        path: path.to_owned(),
        data: Some(Bytes::copy_from_slice(data.as_bytes())),
        acl: vec![Acl::open_unsafe()],
        kind,
        parent_cversion: parent.create_counter() + 1,
    })
}

fn create(tree: &mut DataTree, t: &mut Txns, path: &str, kind: NodeKind) -> Applied {
    let op = create_op(tree, path, "d", kind);
    let txn = t.txn(op);
    let applied = tree.apply(&txn);
    tree.check_invariants();
    applied
}

fn delete(tree: &mut DataTree, t: &mut Txns, path: &str) -> Applied {
    let txn = t.txn(TxnOp::Delete {
        path: path.to_owned(),
    });
    let applied = tree.apply(&txn);
    tree.check_invariants();
    applied
}

#[test]
fn fresh_tree_matches_java_section_7_5() {
    let tree = DataTree::new();
    let root = tree.stat("/").expect("root");
    assert_eq!(
        root.cversion, -1,
        "/ shows -1: /zookeeper was never created"
    );
    assert_eq!(root.num_children, 1);
    assert_eq!(
        (root.czxid, root.mzxid, root.pzxid, root.ctime),
        (0, 0, 0, 0)
    );
    let zk = tree.stat("/zookeeper").expect("zookeeper");
    assert_eq!(zk.cversion, -2);
    assert_eq!(zk.num_children, 2);
    assert_eq!(tree.stat("/zookeeper/quota"), Some(Stat::default()));
    // Java creates /zookeeper/config with aversion -1 (golden capture `kazoo_builtin`).
    let config = Stat {
        aversion: -1,
        ..Stat::default()
    };
    assert_eq!(tree.stat("/zookeeper/config"), Some(config));
    for p in ["/", "/zookeeper", "/zookeeper/quota", "/zookeeper/config"] {
        let n = tree.node(p).expect("built-in");
        assert_eq!(n.data(), Some(&Bytes::new()), "{p}: empty, not null");
        assert_eq!(n.kind(), NodeKind::Persistent);
        let want = if p == "/zookeeper/config" {
            Acl::read_unsafe()
        } else {
            Acl::open_unsafe()
        };
        assert_eq!(n.acl(), &[want], "{p}");
    }
    assert_eq!(
        tree.children("/zookeeper"),
        Some(vec!["config".into(), "quota".into()])
    );
    assert_eq!(tree.znode_count(), 4);
    assert_eq!(tree.node_count(), 5, "Java counts the root twice");
    // "" + "/" + "/zookeeper" + "/zookeeper/quota" + "/zookeeper/config" = 0+1+10+16+17.
    assert_eq!(tree.approximate_data_size(), 44);
    assert_eq!(tree.descendant_count("/"), Some(3));
    assert_eq!(tree.descendant_count("/zookeeper"), Some(2));
    assert_eq!(tree.descendant_count("/nope"), None);
    assert_eq!(tree.last_applied(), Zxid::ZERO);
    assert_eq!(tree, DataTree::new());
}

#[test]
fn create_sets_stat_and_parent_counters_section_3() {
    let mut tree = DataTree::new();
    let mut t = Txns::new();
    let applied = create(&mut tree, &mut t, "/a", NodeKind::Persistent);
    let z = Zxid::new(1, 1).as_i64();
    let OpResult::Created { path, stat } = applied.result else {
        panic!("not a create result: {applied:?}");
    };
    assert_eq!(path, "/a");
    assert_eq!(
        stat,
        Stat {
            czxid: z,
            mzxid: z,
            ctime: 1000,
            mtime: 1000,
            version: 0,
            cversion: 0,
            aversion: 0,
            ephemeral_owner: 0,
            data_length: 1,
            num_children: 0,
            pzxid: z,
        }
    );
    assert_eq!(applied.changes, vec![Change::Created("/a".into())]);
    let root = tree.stat("/").expect("root");
    assert_eq!(root.cversion, 0, "stored 1, two children: 2*1-2");
    assert_eq!(root.pzxid, z);
    assert_eq!(tree.node("/").expect("root").create_counter(), 1);
    assert_eq!(tree.last_applied(), Zxid::new(1, 1));
}

#[test]
fn delete_raises_visible_cversion_but_not_the_counter_section_3() {
    let mut tree = DataTree::new();
    let mut t = Txns::new();
    create(&mut tree, &mut t, "/a", NodeKind::Persistent);
    create(&mut tree, &mut t, "/a/b", NodeKind::Persistent);
    let before = tree.stat("/a").expect("a");
    assert_eq!(before.cversion, 1);
    let applied = delete(&mut tree, &mut t, "/a/b");
    assert_eq!(applied.result, OpResult::Deleted);
    assert_eq!(applied.changes, vec![Change::Deleted("/a/b".into())]);
    let after = tree.stat("/a").expect("a");
    assert_eq!(after.cversion, 2, "visible cversion moves +1 on a delete");
    assert_eq!(after.num_children, 0);
    assert_eq!(after.pzxid, Zxid::new(1, 3).as_i64());
    assert_eq!(
        tree.node("/a").expect("a").create_counter(),
        1,
        "never lowered"
    );
    assert!(tree.node("/a/b").is_none());
    assert_eq!(after.mzxid, before.mzxid, "child changes leave mzxid alone");
}

#[test]
fn set_data_and_set_acl_rules_section_3() {
    let mut tree = DataTree::new();
    let mut t = Txns::new();
    create(&mut tree, &mut t, "/a", NodeKind::Persistent);
    let txn = t.txn(TxnOp::SetData {
        path: "/a".into(),
        data: None,
        version: 1,
    });
    let applied = tree.apply(&txn);
    let OpResult::DataSet { stat } = applied.result else {
        panic!("{applied:?}");
    };
    assert_eq!(stat.version, 1);
    assert_eq!(stat.mzxid, Zxid::new(1, 2).as_i64());
    assert_eq!(stat.mtime, 2000);
    assert_eq!(stat.ctime, 1000);
    assert_eq!(stat.data_length, 0, "null data has length 0");
    assert_eq!(tree.node("/a").expect("a").data(), None);
    assert_eq!(applied.changes, vec![Change::DataChanged("/a".into())]);

    let acl = vec![Acl {
        perms: perms::READ,
        id: crate::proto::Id::new("ip", "10.0.0.1"),
    }];
    let txn = t.txn(TxnOp::SetAcl {
        path: "/a".into(),
        acl: acl.clone(),
        aversion: 1,
    });
    let applied = tree.apply(&txn);
    let OpResult::AclSet { stat: acl_stat } = applied.result else {
        panic!("{applied:?}");
    };
    assert_eq!(acl_stat.aversion, 1);
    assert_eq!(acl_stat.mzxid, stat.mzxid, "setACL leaves mzxid alone");
    assert_eq!(acl_stat.mtime, stat.mtime);
    assert!(applied.changes.is_empty());
    assert_eq!(tree.node("/a").expect("a").acl(), &acl[..]);
    tree.check_invariants();
}

#[test]
fn multi_reports_each_stat_at_its_own_moment_section_5() {
    let mut tree = DataTree::new();
    let mut t = Txns::new();
    let create = create_op(&tree, "/m", "x", NodeKind::Persistent);
    let txn = t.txn(TxnOp::Multi(vec![
        create,
        TxnOp::SetData {
            path: "/m".into(),
            data: Some(Bytes::from_static(b"longer")),
            version: 1,
        },
        TxnOp::Check { path: "/m".into() },
    ]));
    let applied = tree.apply(&txn);
    let OpResult::Multi(results) = applied.result else {
        panic!("{applied:?}");
    };
    let OpResult::Created { stat: first, .. } = &results[0] else {
        panic!("{results:?}");
    };
    let OpResult::DataSet { stat: second } = &results[1] else {
        panic!("{results:?}");
    };
    assert_eq!(results[2], OpResult::Checked);
    assert_eq!((first.version, first.data_length), (0, 1));
    assert_eq!((second.version, second.data_length), (1, 6));
    assert_eq!(first.mzxid, second.mzxid, "one zxid for the whole multi");
    assert_eq!(
        applied.changes,
        vec![
            Change::Created("/m".into()),
            Change::DataChanged("/m".into())
        ]
    );
    tree.check_invariants();
}

#[test]
fn sequential_counter_counts_every_child_create_section_7_2() {
    let mut tree = DataTree::new();
    let mut t = Txns::new();
    create(&mut tree, &mut t, "/q", NodeKind::Persistent);
    for i in 0..3 {
        let counter = tree.node("/q").expect("q").create_counter();
        assert_eq!(counter, i);
        let name = format!("/q/n-{}", path::sequential_suffix(counter));
        create(&mut tree, &mut t, &name, NodeKind::Ephemeral(S1));
    }
    delete(&mut tree, &mut t, "/q/n-0000000002");
    create(&mut tree, &mut t, "/q/plain", NodeKind::Persistent);
    assert_eq!(tree.node("/q").expect("q").create_counter(), 4);
    assert_eq!(
        tree.children("/q"),
        Some(vec![
            "n-0000000000".into(),
            "n-0000000001".into(),
            "plain".into()
        ])
    );
    assert_eq!(tree.stat("/q").expect("q").cversion, 2 * 4 - 3);
}

#[test]
fn close_session_deletes_its_ephemerals_section_10() {
    let mut tree = DataTree::new();
    let mut t = Txns::new();
    create(&mut tree, &mut t, "/e", NodeKind::Persistent);
    create(&mut tree, &mut t, "/e/b", NodeKind::Ephemeral(S1));
    create(&mut tree, &mut t, "/e/a", NodeKind::Ephemeral(S1));
    let op = create_op(&tree, "/e/c", "d", NodeKind::Ephemeral(SessionId(7)));
    let mut other = t.txn(op);
    other.session = SessionId(7);
    tree.apply(&other);
    assert_eq!(tree.ephemerals(S1).collect::<Vec<_>>(), ["/e/a", "/e/b"]);
    assert_eq!(tree.stat("/e/a").expect("a").ephemeral_owner, S1.0);
    assert_eq!(
        tree.all_ephemerals().collect::<Vec<_>>(),
        [(SessionId(7), "/e/c"), (S1, "/e/a"), (S1, "/e/b")]
    );
    let txn = t.txn(TxnOp::CloseSession {
        ephemerals: vec!["/e/a".into(), "/e/b".into()],
    });
    let applied = tree.apply(&txn);
    assert_eq!(applied.result, OpResult::SessionClosed);
    assert_eq!(
        applied.changes,
        vec![
            Change::Deleted("/e/a".into()),
            Change::Deleted("/e/b".into())
        ]
    );
    assert_eq!(tree.ephemerals(S1).count(), 0);
    assert_eq!(tree.ephemeral_count(), 1);
    assert_eq!(tree.children("/e"), Some(vec!["c".into()]));
    tree.check_invariants();
}

#[test]
fn containers_and_ttl_hide_their_markers_and_reap_section_7_3() {
    let mut tree = DataTree::new();
    let mut t = Txns::new();
    create(&mut tree, &mut t, "/c", NodeKind::Container); // mtime 1000
    create(&mut tree, &mut t, "/ttl", NodeKind::Ttl { ttl_ms: 500 }); // mtime 2000
    create(&mut tree, &mut t, "/never", NodeKind::Container); // mtime 3000
    assert_eq!(tree.stat("/c").expect("c").ephemeral_owner, 0);
    assert_eq!(tree.stat("/ttl").expect("ttl").ephemeral_owner, 0);
    assert_eq!(
        tree.node("/c").expect("c").stored_ephemeral_owner(),
        CONTAINER_OWNER
    );
    assert_eq!(
        tree.node("/ttl").expect("ttl").stored_ephemeral_owner(),
        TTL_OWNER_MARK | 500
    );
    assert!(tree.reap_candidates(2500, None).is_empty());
    assert_eq!(tree.reap_candidates(2501, None), ["/ttl"]);
    create(&mut tree, &mut t, "/c/x", NodeKind::Persistent);
    create(&mut tree, &mut t, "/ttl/x", NodeKind::Persistent);
    assert!(
        tree.reap_candidates(1_000_000, None).is_empty(),
        "children protect both"
    );
    delete(&mut tree, &mut t, "/c/x");
    delete(&mut tree, &mut t, "/ttl/x");
    assert_eq!(tree.reap_candidates(2501, None), ["/c", "/ttl"]);
    assert_eq!(
        tree.reap_candidates(2501, Some(0)),
        ["/c", "/ttl"],
        "0 is off"
    );
    assert_eq!(
        tree.reap_candidates(5001, Some(2000)),
        ["/c", "/never", "/ttl"]
    );
    assert_eq!(tree.reap_candidates(5000, Some(2000)), ["/c", "/ttl"]);
}

#[test]
fn descendant_count_counts_the_whole_subtree() {
    let mut tree = DataTree::new();
    let mut t = Txns::new();
    for p in ["/a", "/a/b", "/a/b/c", "/a/d", "/a-b", "/ab"] {
        create(&mut tree, &mut t, p, NodeKind::Persistent);
    }
    assert_eq!(tree.descendant_count("/a"), Some(3));
    assert_eq!(tree.descendant_count("/a/b"), Some(1));
    assert_eq!(tree.descendant_count("/a/b/c"), Some(0));
    assert_eq!(tree.descendant_count("/"), Some(9));
    let order: Vec<String> = tree.iter_preorder().map(|(p, _)| p).collect();
    assert_eq!(
        order,
        [
            "/",
            "/a",
            "/a/b",
            "/a/b/c",
            "/a/d",
            "/a-b",
            "/ab",
            "/zookeeper",
            "/zookeeper/config",
            "/zookeeper/quota"
        ]
    );
}

#[test]
fn approximate_size_and_digest_follow_changes() {
    let mut tree = DataTree::new();
    let mut t = Txns::new();
    let fresh_digest = tree.digest();
    create(&mut tree, &mut t, "/ab", NodeKind::Persistent);
    assert_eq!(tree.approximate_data_size(), 44 + 3 + 1);
    assert_ne!(tree.digest(), fresh_digest);
    let txn = t.txn(TxnOp::SetData {
        path: "/".into(),
        data: Some(Bytes::from_static(b"xyz")),
        version: 1,
    });
    tree.apply(&txn);
    assert_eq!(
        tree.approximate_data_size(),
        48 + 6,
        "root data counts twice, as in Java"
    );
    tree.check_invariants();
}

#[test]
#[should_panic(expected = "node exists")]
fn create_of_existing_node_panics() {
    let mut tree = DataTree::new();
    let mut t = Txns::new();
    let op = create_op(&tree, "/zookeeper", "", NodeKind::Persistent);
    tree.apply(&t.txn(op));
}

#[test]
#[should_panic(expected = "parent_cversion")]
fn create_with_wrong_parent_cversion_panics() {
    let mut tree = DataTree::new();
    let mut t = Txns::new();
    let mut op = create_op(&tree, "/a", "", NodeKind::Persistent);
    if let TxnOp::Create(c) = &mut op {
        c.parent_cversion += 1;
    }
    tree.apply(&t.txn(op));
}

#[test]
#[should_panic(expected = "children")]
fn delete_of_node_with_children_panics() {
    let mut tree = DataTree::new();
    let mut t = Txns::new();
    create(&mut tree, &mut t, "/a", NodeKind::Persistent);
    create(&mut tree, &mut t, "/a/b", NodeKind::Persistent);
    delete(&mut tree, &mut t, "/a");
}

#[test]
#[should_panic(expected = "parent is ephemeral")]
fn create_under_ephemeral_panics() {
    let mut tree = DataTree::new();
    let mut t = Txns::new();
    create(&mut tree, &mut t, "/e", NodeKind::Ephemeral(S1));
    create(&mut tree, &mut t, "/e/x", NodeKind::Persistent);
}

#[test]
#[should_panic(expected = "is not the txn's session")]
fn ephemeral_owned_by_another_session_panics() {
    let mut tree = DataTree::new();
    let mut t = Txns::new();
    create(&mut tree, &mut t, "/e", NodeKind::Ephemeral(SessionId(99)));
}

#[test]
#[should_panic(expected = "not above last applied")]
fn zxid_must_increase() {
    let mut tree = DataTree::new();
    let mut t = Txns::new();
    create(&mut tree, &mut t, "/a", NodeKind::Persistent);
    t.counter = 0;
    create(&mut tree, &mut t, "/b", NodeKind::Persistent);
}

#[test]
#[should_panic(expected = "not listed")]
fn close_session_must_list_every_ephemeral() {
    let mut tree = DataTree::new();
    let mut t = Txns::new();
    create(&mut tree, &mut t, "/a", NodeKind::Ephemeral(S1));
    create(&mut tree, &mut t, "/b", NodeKind::Ephemeral(S1));
    tree.apply(&t.txn(TxnOp::CloseSession {
        ephemerals: vec!["/a".into()],
    }));
}
