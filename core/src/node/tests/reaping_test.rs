//! Containers and TTL nodes are reaped by the node's timer (zookeeper-protocol.md §7.3).

use super::*;
use crate::proto::OpCode;
use crate::txn::TxnOp;

/// Reaper every 10 s, so sessions (30 s) outlive the checks.
fn harness(extended_types: bool) -> Harness {
    let mut config = NodeConfig {
        container_check_interval_ms: 10_000,
        ..NodeConfig::default()
    };
    config.prep.extended_types = extended_types;
    Harness::with_config(config)
}

fn create_with(op: OpCode, path: &str, flags: i32, ttl: Option<i64>) -> Request {
    let req = CreateRequest {
        path: path.into(),
        data: None,
        acl: vec![Acl::open_unsafe()],
        flags,
    };
    Request::Create { op, req, ttl }
}

#[test]
fn an_emptied_container_is_deleted_at_the_next_check() {
    let mut h = harness(false);
    h.session(1);
    let out = h.write(1, 1, &create_with(OpCode::CreateContainer, "/box", 4, None));
    let [Output::Reply {
        body: Response::Create2 { path, stat },
        ..
    }] = out.as_slice()
    else {
        panic!("container create answers Create2: {out:?}")
    };
    assert_eq!((path.as_str(), stat.ephemeral_owner), ("/box", 0));
    h.advance(10_000);
    assert!(
        h.node.tree().node("/box").is_some(),
        "a never-used container stays"
    );
    h.write(1, 2, &create("/box/item", b"", 0));
    h.write(
        1,
        3,
        &Request::Delete {
            path: "/box/item".into(),
            version: -1,
        },
    );
    let out = h.advance(10_000);
    let [Output::Persist { txns }] = out.as_slice() else {
        panic!("expected a reap: {out:?}")
    };
    assert_eq!(
        txns[0].op,
        TxnOp::Delete {
            path: "/box".into()
        }
    );
    h.persisted();
    assert!(h.node.tree().node("/box").is_none());
}

#[test]
fn ttl_nodes_need_extended_types_and_expire_after_their_ttl() {
    let mut h = harness(false);
    h.session(1);
    let out = h.send(1, 1, &create_with(OpCode::CreateTtl, "/t", 5, Some(1000)));
    assert_eq!(
        out,
        vec![error(1, 1, h.zxid(), crate::proto::ZkError::Unimplemented)]
    );
    let mut h = harness(true);
    h.session(1);
    h.write(1, 1, &create_with(OpCode::CreateTtl, "/t", 5, Some(1000)));
    let out = h.advance(10_000);
    let [Output::Persist { txns }] = out.as_slice() else {
        panic!("expected a reap: {out:?}")
    };
    assert_eq!(txns[0].op, TxnOp::Delete { path: "/t".into() });
}

#[test]
fn a_container_that_gains_a_child_meanwhile_is_not_reaped() {
    let mut h = harness(false);
    h.session(1);
    h.write(1, 1, &create_with(OpCode::CreateContainer, "/box", 4, None));
    h.write(1, 2, &create("/box/a", b"", 0));
    h.write(
        1,
        3,
        &Request::Delete {
            path: "/box/a".into(),
            version: -1,
        },
    );
    // A new child is outstanding (not yet durable) when the reaper runs.
    h.send(1, 4, &create("/box/b", b"", 0));
    h.now_ms += 10_000;
    let out = h.step(Input::Tick);
    assert_eq!(out, vec![], "the reaper sees the outstanding child");
    h.persisted();
    assert!(h.node.tree().node("/box/b").is_some());
}
