//! Prep: the documented check order and outstanding changes (zookeeper-protocol.md §4, §7).

use bytes::Bytes;

use super::*;
use crate::ids::{Xid, Zxid};
use crate::txn::Txn;

const S: SessionId = SessionId(7);

fn open_acl() -> Vec<Acl> {
    vec![Acl::open_unsafe()]
}

struct Fixture {
    tree: DataTree,
    overlay: Overlay,
    ids: Vec<Id>,
    config: PrepConfig,
    zxid: Zxid,
}

impl Fixture {
    fn new() -> Self {
        let config = PrepConfig::default();
        Self {
            tree: DataTree::new(),
            overlay: Overlay::default(),
            ids: Vec::new(),
            config,
            zxid: Zxid::ZERO,
        }
    }

    /// Prepares and, when `apply`, applies; otherwise leaves it outstanding in the overlay.
    fn run(&mut self, op: WriteOp<'_>, apply: bool) -> Result<TxnOp, ZkError> {
        let mut prep = Prep::new(&self.tree, &self.overlay, &self.ids, S, self.config);
        let txn_op = prep.write(op)?;
        let changes = prep.into_changes();
        self.zxid = self.zxid.next();
        self.overlay.merge(changes, self.zxid);
        if apply {
            let txn = Txn {
                zxid: self.zxid,
                time_ms: 1,
                session: S,
                cxid: Xid(1),
                op: txn_op.clone(),
            };
            self.tree.apply(&txn);
            self.overlay.applied_through(self.zxid);
        }
        Ok(txn_op)
    }

    fn create(&mut self, path: &str, flags: i32, apply: bool) -> Result<TxnOp, ZkError> {
        let acl = open_acl();
        let data = None;
        let op = WriteOp::Create {
            container: false,
            path,
            data: &data,
            acl: &acl,
            flags,
            ttl: None,
        };
        self.run(op, apply)
    }
}

fn created_path(op: &TxnOp) -> &str {
    let TxnOp::Create(c) = op else {
        panic!("not a create: {op:?}")
    };
    &c.path
}

#[test]
fn create_checks_run_in_the_documented_order() {
    let mut f = Fixture::new();
    let data = None;
    let empty: Vec<Acl> = Vec::new();
    // Bad flags come before everything, even a missing parent.
    let bad_flags = WriteOp::Create {
        container: false,
        path: "/x/y",
        data: &data,
        acl: &empty,
        flags: 9,
        ttl: None,
    };
    assert_eq!(f.run(bad_flags, true), Err(ZkError::BadArguments));
    // An empty ACL is checked before the parent.
    let no_acl = WriteOp::Create {
        container: false,
        path: "/x/y",
        data: &data,
        acl: &empty,
        flags: 0,
        ttl: None,
    };
    assert_eq!(f.run(no_acl, true), Err(ZkError::InvalidAcl));
    assert_eq!(f.create("/x/y", 0, true), Err(ZkError::NoNode));
    assert_eq!(f.create("noslash", 0, true), Err(ZkError::BadArguments));
    assert_eq!(
        f.create("/bad/", 0, true),
        Err(ZkError::NoNode),
        "the parent is checked before the full path"
    );
    f.create("/bad", 0, true).expect("parent");
    assert_eq!(
        f.create("/bad/", 0, true),
        Err(ZkError::BadArguments),
        "then the full path"
    );
    assert_eq!(
        f.create("/bad/", 2, true)
            .map(|o| created_path(&o).to_owned()),
        Ok("/bad/0000000000".into())
    );
}

#[test]
fn ttl_needs_extended_types_and_a_valid_ttl() {
    let mut f = Fixture::new();
    let (acl, data) = (open_acl(), None);
    let ttl = |t| WriteOp::Create {
        container: false,
        path: "/t",
        data: &data,
        acl: &acl,
        flags: 5,
        ttl: t,
    };
    assert_eq!(f.run(ttl(Some(1000)), true), Err(ZkError::Unimplemented));
    f.config.extended_types = true;
    assert_eq!(f.run(ttl(Some(0)), true), Err(ZkError::BadArguments));
    assert_eq!(
        f.run(ttl(Some(TTL_MS_MAX + 1)), true),
        Err(ZkError::BadArguments)
    );
    assert_eq!(
        f.run(ttl(None), true),
        Err(ZkError::BadArguments),
        "a TTL mode on plain create"
    );
    let op = f.run(ttl(Some(1000)), true).expect("valid TTL create");
    assert!(matches!(
        op,
        TxnOp::Create(CreateTxn {
            kind: NodeKind::Ttl { ttl_ms: 1000 },
            ..
        })
    ));
    let plain_with_ttl = WriteOp::Create {
        container: false,
        path: "/p",
        data: &data,
        acl: &acl,
        flags: 0,
        ttl: Some(5),
    };
    assert_eq!(f.run(plain_with_ttl, true), Err(ZkError::BadArguments));
}

#[test]
fn outstanding_creates_are_seen_before_they_apply() {
    let mut f = Fixture::new();
    f.create("/a", 0, false).expect("first create");
    assert_eq!(
        f.create("/a", 0, false),
        Err(ZkError::NodeExists),
        "outstanding create counts"
    );
    f.create("/a/b", 1, false)
        .expect("child of an outstanding node");
    assert_eq!(
        f.create("/a/b/c", 0, false),
        Err(ZkError::NoChildrenForEphemerals)
    );
    let del = WriteOp::Delete {
        path: "/a",
        version: -1,
    };
    assert_eq!(
        f.run(del, false),
        Err(ZkError::NotEmpty),
        "outstanding child counts"
    );
}

#[test]
fn sequential_suffixes_advance_across_outstanding_creates() {
    let mut f = Fixture::new();
    f.create("/q", 0, true).expect("parent");
    let a = f.create("/q/n-", 2, false).expect("seq 0");
    let b = f.create("/q/n-", 2, false).expect("seq 1");
    assert_eq!(created_path(&a), "/q/n-0000000000");
    assert_eq!(created_path(&b), "/q/n-0000000001");
    let TxnOp::Create(c) = &b else { unreachable!() };
    assert_eq!(c.parent_cversion, 2);
}

#[test]
fn delete_checks_reserved_paths_versions_and_children() {
    let mut f = Fixture::new();
    for p in ["/", "/zookeeper", "/zookeeper/quota", "/zookeeper/config"] {
        assert_eq!(
            f.run(
                WriteOp::Delete {
                    path: p,
                    version: -1
                },
                true
            ),
            Err(ZkError::BadArguments),
            "{p}"
        );
    }
    f.create("/d", 0, true).expect("create");
    assert_eq!(
        f.run(
            WriteOp::Delete {
                path: "/d",
                version: 3
            },
            true
        ),
        Err(ZkError::BadVersion)
    );
    assert_eq!(
        f.run(
            WriteOp::Delete {
                path: "/nope",
                version: -1
            },
            true
        ),
        Err(ZkError::NoNode)
    );
    f.run(
        WriteOp::Delete {
            path: "/d",
            version: 0,
        },
        false,
    )
    .expect("delete");
    assert_eq!(
        f.run(
            WriteOp::Delete {
                path: "/d",
                version: -1
            },
            false
        ),
        Err(ZkError::NoNode),
        "outstanding delete counts"
    );
    f.create("/d", 0, false)
        .expect("re-create after an outstanding delete");
}

#[test]
fn set_data_and_set_acl_carry_resulting_versions() {
    let mut f = Fixture::new();
    f.create("/v", 0, true).expect("create");
    let data = Some(Bytes::from_static(b"x"));
    let op = f
        .run(
            WriteOp::SetData {
                path: "/v",
                data: &data,
                version: 0,
            },
            false,
        )
        .expect("set");
    assert!(matches!(op, TxnOp::SetData { version: 1, .. }));
    assert_eq!(
        f.run(
            WriteOp::SetData {
                path: "/v",
                data: &data,
                version: 0
            },
            false
        ),
        Err(ZkError::BadVersion)
    );
    let acl = vec![Acl::read_unsafe()];
    let op = f
        .run(
            WriteOp::SetAcl {
                path: "/v",
                acl: &acl,
                version: 0,
            },
            false,
        )
        .expect("setAcl");
    assert!(matches!(op, TxnOp::SetAcl { aversion: 1, .. }));
    let data2 = None;
    assert_eq!(
        f.run(
            WriteOp::SetData {
                path: "/v",
                data: &data2,
                version: -1
            },
            false
        ),
        Err(ZkError::NoAuth),
        "the outstanding read-only ACL already applies"
    );
}

#[test]
fn multi_failure_codes_and_rollback() {
    let mut f = Fixture::new();
    let (acl, data) = (open_acl(), None);
    let ops = [
        WriteOp::Create {
            container: false,
            path: "/m",
            data: &data,
            acl: &acl,
            flags: 0,
            ttl: None,
        },
        WriteOp::Create {
            container: false,
            path: "/m/c",
            data: &data,
            acl: &acl,
            flags: 0,
            ttl: None,
        },
        WriteOp::Check {
            path: "/m",
            version: 1,
        },
        WriteOp::Delete {
            path: "/m/c",
            version: -1,
        },
    ];
    let mut prep = Prep::new(&f.tree, &f.overlay, &f.ids, S, f.config);
    let codes = prep.multi(&ops).expect_err("check fails");
    assert_eq!(
        codes,
        vec![
            0,
            0,
            ZkError::BadVersion.code(),
            ZkError::RuntimeInconsistency.code()
        ]
    );
    assert!(
        prep.into_changes().is_empty(),
        "a failed multi leaves nothing outstanding"
    );
    f.create("/m", 0, false).expect("/m is still free");
}

#[test]
fn close_session_lists_committed_and_outstanding_ephemerals() {
    let mut f = Fixture::new();
    f.create("/e1", 1, true).expect("committed ephemeral");
    f.create("/e3", 1, true).expect("committed ephemeral");
    f.create("/e2", 1, false).expect("outstanding ephemeral");
    f.run(
        WriteOp::Delete {
            path: "/e3",
            version: -1,
        },
        false,
    )
    .expect("outstanding delete");
    let mut prep = Prep::new(&f.tree, &f.overlay, &f.ids, S, f.config);
    assert_eq!(
        prep.close_session(),
        TxnOp::CloseSession {
            ephemerals: vec!["/e1".into(), "/e2".into()]
        }
    );
}

#[test]
fn close_session_skips_an_ephemeral_deleted_and_recreated_by_another_session() {
    // postmortem: found by the simulator (`zoorepl sim --seed 1428`). Session S owned the
    // committed ephemeral /e; another session deleted it and created its own /e, both still
    // outstanding; S's closeSession listed /e from the committed tree, and applying it panicked
    // ("not an ephemeral of session"). A path the overlay touched is decided by the overlay.
    let mut f = Fixture::new();
    f.create("/e", 1, true).expect("committed ephemeral of S");
    let mut view = overlay::committed_view(&f.tree, "/e").expect("exists");
    view.kind = crate::txn::NodeKind::Ephemeral(SessionId(8));
    let recreated = std::collections::BTreeMap::from([("/e".to_owned(), Some(view))]);
    f.overlay.merge(recreated, f.zxid.next());
    let mut prep = Prep::new(&f.tree, &f.overlay, &f.ids, S, f.config);
    assert_eq!(
        prep.close_session(),
        TxnOp::CloseSession { ephemerals: vec![] }
    );
}
