//! Requests: write durability, FIFO order, watches before replies, multi, ACLs, bad input.

use super::*;
use crate::output::CloseReason;
use crate::proto::{
    EventType, Id, MultiOp, MultiResult, OpCode, Stat, WatcherEvent, ZkError,
    KEEPER_STATE_SYNC_CONNECTED,
};

fn get(path: &str, watch: bool) -> Request {
    Request::GetData {
        path: path.into(),
        watch,
    }
}

fn stat_of(h: &Harness, path: &str) -> Stat {
    h.node.tree().stat(path).expect("node exists")
}

#[test]
fn a_write_is_answered_only_after_persisted_and_carries_its_zxid() {
    let mut h = Harness::new();
    h.session(1);
    let out = h.send(1, 1, &create("/a", b"x", 0));
    assert!(
        matches!(out.as_slice(), [Output::Persist { txns }] if txns.len() == 1),
        "{out:?}"
    );
    assert!(
        h.node.tree().node("/a").is_none(),
        "nothing is applied before it is durable"
    );
    let out = h.persisted();
    assert_eq!(
        out,
        vec![reply(
            1,
            1,
            h.zxid(),
            Response::Create { path: "/a".into() }
        )]
    );
    assert_eq!(h.zxid(), Zxid::new(0, 2).as_i64());
}

#[test]
fn a_read_waits_behind_an_earlier_write_of_its_session() {
    let mut h = Harness::new();
    h.session(1);
    h.send(1, 1, &create("/a", b"v1", 0));
    assert_eq!(
        h.send(1, 2, &get("/a", false)),
        vec![],
        "the read must not overtake the write"
    );
    let out = h.persisted();
    let z = h.zxid();
    let data = Some(Bytes::from_static(b"v1"));
    assert_eq!(
        out,
        vec![
            reply(1, 1, z, Response::Create { path: "/a".into() }),
            reply(
                1,
                2,
                z,
                Response::GetData {
                    data,
                    stat: stat_of(&h, "/a")
                }
            ),
        ]
    );
}

#[test]
fn writes_arriving_during_an_fsync_share_the_next_batch() {
    let mut h = Harness::new();
    h.session(1);
    assert_eq!(h.send(1, 1, &create("/a", b"", 0)).len(), 1);
    assert_eq!(
        h.send(1, 2, &create("/b", b"", 0)),
        vec![],
        "held while /a is in flight"
    );
    assert_eq!(h.send(1, 3, &create("/c", b"", 0)), vec![]);
    let out = h.persisted();
    let [first, Output::Persist { txns }] = out.as_slice() else {
        panic!("{out:?}")
    };
    assert!(matches!(first, Output::Reply { .. }));
    assert_eq!(txns.len(), 2, "one fsync covers /b and /c");
    let out = h.persisted();
    assert_eq!(out.len(), 2, "{out:?}");
}

#[test]
fn a_watch_event_goes_out_before_the_reply_that_shows_the_change() {
    let mut h = Harness::new();
    h.session(1);
    h.session(2);
    h.write(1, 1, &create("/w", b"old", 0));
    let out = h.send(2, 1, &get("/w", true));
    assert!(matches!(out.as_slice(), [Output::Reply { .. }]), "{out:?}");
    let set = Request::SetData {
        path: "/w".into(),
        data: Some(Bytes::from_static(b"new")),
        version: 0,
    };
    let out = h.write(1, 2, &set);
    let z = h.zxid();
    let event = WatcherEvent {
        event_type: EventType::NodeDataChanged,
        state: KEEPER_STATE_SYNC_CONNECTED,
        path: "/w".into(),
    };
    assert_eq!(
        out,
        vec![
            Output::Notify {
                conn: ConnId(2),
                zxid: z,
                event
            },
            reply(
                1,
                2,
                z,
                Response::SetData {
                    stat: stat_of(&h, "/w")
                }
            ),
        ]
    );
    let again = h.write(
        1,
        3,
        &Request::SetData {
            path: "/w".into(),
            data: None,
            version: 1,
        },
    );
    assert_eq!(again.len(), 1, "a one-shot watch fires once: {again:?}");
}

#[test]
fn sequential_names_come_from_the_parent_counter() {
    let mut h = Harness::new();
    h.session(1);
    h.write(1, 1, &create("/q", b"", 0));
    h.write(1, 2, &create("/q/x", b"", 0));
    let out = h.write(1, 3, &create("/q/job-", b"", 2));
    let z = h.zxid();
    assert_eq!(
        out,
        vec![reply(
            1,
            3,
            z,
            Response::Create {
                path: "/q/job-0000000001".into()
            }
        )]
    );
    h.write(
        1,
        4,
        &Request::Delete {
            path: "/q/job-0000000001".into(),
            version: -1,
        },
    );
    let out = h.write(1, 5, &create("/q/job-", b"", 3));
    let z = h.zxid();
    assert_eq!(
        out,
        vec![reply(
            1,
            5,
            z,
            Response::Create {
                path: "/q/job-0000000002".into()
            }
        )]
    );
}

#[test]
fn failed_writes_are_answered_in_turn_without_a_txn() {
    let mut h = Harness::new();
    h.session(1);
    h.send(1, 1, &create("/a", b"", 0));
    assert_eq!(
        h.send(1, 2, &create("/a", b"", 0)),
        vec![],
        "NODEEXISTS is decided now, sent in turn"
    );
    assert_eq!(h.send(1, 3, &create("/missing/child", b"", 0)), vec![]);
    let out = h.persisted();
    let z = h.zxid();
    assert_eq!(
        out,
        vec![
            reply(1, 1, z, Response::Create { path: "/a".into() }),
            error(1, 2, z, ZkError::NodeExists),
            error(1, 3, z, ZkError::NoNode),
        ]
    );
}

#[test]
fn multi_with_a_failing_op_reports_every_op_and_changes_nothing() {
    let mut h = Harness::new();
    h.session(1);
    let create_req = |p: &str| CreateRequest {
        path: p.into(),
        data: None,
        acl: vec![Acl::open_unsafe()],
        flags: 0,
    };
    let ops = vec![
        MultiOp::Create {
            op: OpCode::Create,
            req: create_req("/m"),
            ttl: None,
        },
        MultiOp::Check {
            path: "/m".into(),
            version: 5,
        },
        MultiOp::Create {
            op: OpCode::Create,
            req: create_req("/m/c"),
            ttl: None,
        },
    ];
    let out = h.send(1, 1, &Request::Multi(ops));
    let results = vec![
        MultiResult::Error { err: 0 },
        MultiResult::Error {
            err: ZkError::BadVersion.code(),
        },
        MultiResult::Error {
            err: ZkError::RuntimeInconsistency.code(),
        },
    ];
    assert_eq!(out, vec![reply(1, 1, h.zxid(), Response::Multi(results))]);
    assert!(h.node.tree().node("/m").is_none());
}

#[test]
fn multi_ops_see_earlier_ops_and_share_one_zxid() {
    let mut h = Harness::new();
    h.session(1);
    let req = |p: &str| CreateRequest {
        path: p.into(),
        data: None,
        acl: vec![Acl::open_unsafe()],
        flags: 0,
    };
    let ops = vec![
        MultiOp::Create {
            op: OpCode::Create,
            req: req("/m"),
            ttl: None,
        },
        MultiOp::Create {
            op: OpCode::Create2,
            req: req("/m/c"),
            ttl: None,
        },
        MultiOp::SetData {
            path: "/m".into(),
            data: None,
            version: 0,
        },
        MultiOp::Check {
            path: "/m".into(),
            version: 1,
        },
    ];
    let out = h.write(1, 1, &Request::Multi(ops));
    let z = h.zxid();
    let [Output::Reply {
        header,
        body: Response::Multi(results),
        ..
    }] = out.as_slice()
    else {
        panic!("{out:?}")
    };
    assert_eq!(header.zxid, z);
    assert_eq!(results.len(), 4);
    assert_eq!(results[0], MultiResult::Create { path: "/m".into() });
    let MultiResult::Create2 { stat, .. } = &results[1] else {
        panic!("{results:?}")
    };
    assert_eq!(
        (stat.czxid, stat.mzxid),
        (z, z),
        "every op carries the multi's zxid"
    );
    assert!(matches!(&results[2], MultiResult::SetData { stat } if stat.version == 1));
    assert_eq!(results[3], MultiResult::Check);
}

#[test]
fn digest_acl_refuses_others_and_admits_the_owner() {
    let mut h = Harness::new();
    h.session(1);
    h.session(2);
    let auth = digest_auth(b"bob:pw");
    let out = h.send(1, -4, &auth);
    assert_eq!(
        out,
        vec![reply(1, -4, 0, Response::Empty)],
        "auth replies carry zxid 0"
    );
    let acl = vec![Acl {
        perms: crate::proto::perms::ALL,
        id: Id::new("auth", ""),
    }];
    let req = CreateRequest {
        path: "/secret".into(),
        data: None,
        acl,
        flags: 0,
    };
    h.write(
        1,
        1,
        &Request::Create {
            op: OpCode::Create,
            req,
            ttl: None,
        },
    );
    let out = h.send(2, 1, &get("/secret", false));
    assert_eq!(out, vec![error(2, 1, h.zxid(), ZkError::NoAuth)]);
    let out = h.send(1, 2, &get("/secret", false));
    assert!(
        matches!(out.as_slice(), [Output::Reply { header, .. }] if header.err == 0),
        "{out:?}"
    );
}

#[test]
fn a_bad_auth_scheme_fails_and_closes() {
    let mut h = Harness::new();
    h.session(1);
    let auth = Request::Auth {
        auth_type: 0,
        scheme: "kerberos".into(),
        auth: None,
    };
    let out = h.send(1, -4, &auth);
    assert_eq!(
        out,
        vec![
            error(1, -4, 0, ZkError::AuthFailed),
            Output::CloseConn {
                conn: ConnId(1),
                why: CloseReason::AuthFailed
            },
        ]
    );
}

#[test]
fn an_unknown_opcode_is_unimplemented_then_closed_and_others_carry_on() {
    let mut h = Harness::new();
    h.session(1);
    h.session(2);
    let mut frame = Vec::new();
    frame.extend_from_slice(&7i32.to_be_bytes());
    frame.extend_from_slice(&999i32.to_be_bytes());
    let out = h.frame(1, frame);
    assert_eq!(
        out,
        vec![
            error(1, 7, -1, ZkError::Unimplemented),
            Output::CloseConn {
                conn: ConnId(1),
                why: CloseReason::Unimplemented
            },
        ]
    );
    let out = h.send(
        2,
        1,
        &Request::Exists {
            path: "/zookeeper".into(),
            watch: false,
        },
    );
    assert!(matches!(out.as_slice(), [Output::Reply { header, .. }] if header.err == 0));
}

#[test]
fn exists_on_a_missing_node_sets_a_watch_that_fires_on_create() {
    let mut h = Harness::new();
    h.session(1);
    h.session(2);
    let out = h.send(
        2,
        1,
        &Request::Exists {
            path: "/later".into(),
            watch: true,
        },
    );
    assert_eq!(out, vec![error(2, 1, h.zxid(), ZkError::NoNode)]);
    let out = h.write(1, 1, &create("/later", b"", 0));
    assert!(
        matches!(&out[0], Output::Notify { conn: ConnId(2), event, .. }
        if event.event_type == EventType::NodeCreated && event.path == "/later"),
        "{out:?}"
    );
}

#[test]
fn ping_and_sync_are_answered_in_order() {
    let mut h = Harness::new();
    h.session(1);
    h.send(1, 1, &create("/p", b"", 0));
    assert_eq!(h.send(1, -2, &Request::Ping), vec![]);
    assert_eq!(h.send(1, 2, &Request::Sync { path: "/p".into() }), vec![]);
    let out = h.persisted();
    let z = h.zxid();
    assert_eq!(
        out,
        vec![
            reply(1, 1, z, Response::Create { path: "/p".into() }),
            reply(1, -2, z, Response::Empty),
            reply(1, 2, z, Response::Sync { path: "/p".into() }),
        ]
    );
}
