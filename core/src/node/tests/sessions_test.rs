//! Session close and expiry, ephemerals, setWatches after a reconnect, recovery.

use super::*;
use crate::output::CloseReason;
use crate::proto::{EventType, SetWatches, WatcherEvent, ZkError, KEEPER_STATE_SYNC_CONNECTED};
use crate::txn::TxnOp;

fn deleted(path: &str) -> WatcherEvent {
    WatcherEvent {
        event_type: EventType::NodeDeleted,
        state: KEEPER_STATE_SYNC_CONNECTED,
        path: path.into(),
    }
}

#[test]
fn close_session_deletes_ephemerals_replies_then_closes() {
    let mut h = Harness::new();
    h.session(1);
    h.session(2);
    h.write(1, 1, &create("/e", b"", 1));
    h.send(
        2,
        1,
        &Request::Exists {
            path: "/e".into(),
            watch: true,
        },
    );
    let out = h.send(1, 2, &Request::CloseSession);
    let [Output::Persist { txns }] = out.as_slice() else {
        panic!("{out:?}")
    };
    assert_eq!(
        txns[0].op,
        TxnOp::CloseSession {
            ephemerals: vec!["/e".into()]
        }
    );
    let out = h.persisted();
    let z = h.zxid();
    assert_eq!(
        out,
        vec![
            Output::Notify {
                conn: ConnId(2),
                zxid: z,
                event: deleted("/e")
            },
            reply(1, 2, z, Response::Empty),
            Output::CloseConn {
                conn: ConnId(1),
                why: CloseReason::SessionClosed
            },
        ]
    );
    assert!(h.node.tree().node("/e").is_none());
}

#[test]
fn an_idle_session_expires_within_one_tick_of_its_timeout() {
    let mut h = Harness::new();
    let s = h.session(1);
    h.write(1, 1, &create("/eph", b"", 1));
    assert_eq!(h.advance(29_000), vec![], "not yet due");
    let out = h.advance(3_000);
    let [Output::Persist { txns }] = out.as_slice() else {
        panic!("expected expiry: {out:?}")
    };
    assert_eq!(txns[0].session, s);
    assert_eq!(
        txns[0].op,
        TxnOp::CloseSession {
            ephemerals: vec!["/eph".into()]
        }
    );
    let out = h.persisted();
    assert_eq!(
        out,
        vec![Output::CloseConn {
            conn: ConnId(1),
            why: CloseReason::SessionExpired
        }]
    );
    assert!(h.node.sessions().get(s).is_none());
}

#[test]
fn pings_keep_a_session_alive() {
    let mut h = Harness::new();
    h.session(1);
    for _ in 0..10 {
        h.now_ms += 10_000;
        let out = h.send(1, -2, &Request::Ping);
        assert_eq!(out.len(), 1, "{out:?}");
    }
    assert_eq!(h.advance(0), vec![]);
}

#[test]
fn an_early_or_repeated_tick_changes_nothing() {
    let mut h = Harness::new();
    h.session(1);
    assert_eq!(h.step(Input::Tick), vec![]);
    assert_eq!(h.step(Input::Tick), vec![]);
}

#[test]
fn set_watches_fires_what_was_missed_and_rearms_the_rest() {
    let mut h = Harness::new();
    h.session(1);
    h.write(1, 1, &create("/same", b"", 0));
    h.write(1, 2, &create("/changed", b"", 0));
    let rel = h.zxid();
    h.write(
        1,
        3,
        &Request::SetData {
            path: "/changed".into(),
            data: None,
            version: -1,
        },
    );
    h.session(2);
    let sw = SetWatches {
        op: crate::proto::OpCode::SetWatches,
        relative_zxid: rel,
        data: vec!["/same".into(), "/changed".into(), "/gone".into()],
        exist: vec!["/same".into()],
        child: vec![],
        persistent: vec![],
        persistent_recursive: vec![],
    };
    let out = h.send(2, -8, &Request::SetWatches(sw));
    let ev = |t, p: &str| Output::Notify {
        conn: ConnId(2),
        zxid: -1,
        event: WatcherEvent {
            event_type: t,
            state: KEEPER_STATE_SYNC_CONNECTED,
            path: p.into(),
        },
    };
    assert_eq!(
        out,
        vec![
            ev(EventType::NodeDataChanged, "/changed"),
            ev(EventType::NodeDeleted, "/gone"),
            ev(EventType::NodeCreated, "/same"),
            reply(2, -8, h.zxid(), Response::Empty),
        ]
    );
    let out = h.write(
        1,
        4,
        &Request::SetData {
            path: "/same".into(),
            data: None,
            version: -1,
        },
    );
    assert!(
        matches!(
            &out[0],
            Output::Notify {
                conn: ConnId(2),
                ..
            }
        ),
        "re-armed: {out:?}"
    );
}

#[test]
fn requests_on_an_expiring_session_get_session_expired() {
    let mut h = Harness::new();
    h.session(1);
    let out = h.advance(32_000);
    assert!(
        matches!(out.as_slice(), [Output::Persist { .. }]),
        "expiry is under way: {out:?}"
    );
    let out = h.send(
        1,
        5,
        &Request::Exists {
            path: "/".into(),
            watch: false,
        },
    );
    assert_eq!(out, vec![error(1, 5, h.zxid(), ZkError::SessionExpired)]);
    let out = h.persisted();
    assert_eq!(
        out,
        vec![Output::CloseConn {
            conn: ConnId(1),
            why: CloseReason::SessionExpired
        }]
    );
}

#[test]
fn close_session_ends_the_connection_and_nothing_after_it_is_answered() {
    let mut h = Harness::new();
    h.session(1);
    h.send(1, 1, &Request::CloseSession);
    assert_eq!(
        h.send(
            1,
            2,
            &Request::Exists {
                path: "/".into(),
                watch: false
            }
        ),
        vec![]
    );
    let out = h.persisted();
    assert_eq!(
        out,
        vec![
            reply(1, 1, h.zxid(), Response::Empty),
            Output::CloseConn {
                conn: ConnId(1),
                why: CloseReason::SessionClosed
            },
        ]
    );
}

#[test]
fn recovery_replays_the_log_into_tree_and_sessions() {
    let mut h = Harness::new();
    let s = h.session(1);
    h.write(1, 1, &create("/kept", b"data", 0));
    h.write(1, 2, &create("/eph", b"", 1));
    let config = NodeConfig::default().validate().expect("valid");
    let recovered = Recovered {
        log: h.log.clone(),
        ..Recovered::default()
    };
    let node = Node::recover(config, recovered, Instant::from_millis(h.now_ms), 1);
    assert_eq!(node.last_applied(), h.node.last_applied());
    assert_eq!(node.tree().digest(), h.node.tree().digest());
    assert!(node.tree().eq_content(h.node.tree()));
    assert_eq!(node.sessions().get(s).map(|x| x.timeout_ms), Some(30_000));
    assert_eq!(node.tree().ephemerals(s).collect::<Vec<_>>(), vec!["/eph"]);
}

#[test]
fn snapshots_are_exact_and_recovery_from_snapshot_plus_log_matches() {
    let mut h = Harness::with_config(NodeConfig {
        snap_count: 4,
        ..NodeConfig::default()
    });
    h.session(1);
    let mut snapshot = None;
    for i in 0..12 {
        let out = h.write(1, i + 1, &create(&format!("/n{i}"), b"x", 0));
        for o in out {
            if let Output::TakeSnapshot {
                zxid,
                tree,
                sessions,
            } = o
            {
                assert_eq!(
                    zxid,
                    h.node.last_applied(),
                    "a snapshot is exact at the txn just applied"
                );
                snapshot = Some((zxid, super::super::encode_snapshot(&tree, sessions)));
            }
        }
    }
    let (zxid, bytes) = snapshot.expect("snapCount 4 takes snapshots within 12 txns");
    let mut recovered = super::super::decode_snapshot(&bytes).expect("snapshot decodes");
    assert_eq!(recovered.tree.last_applied(), zxid);
    assert_eq!(recovered.sessions.len(), 1);
    recovered.log = h.log.clone();
    let config = NodeConfig::default().validate().expect("valid");
    let node = Node::recover(config, recovered, Instant::from_millis(h.now_ms), 1);
    assert!(node.tree().eq_content(h.node.tree()));
    assert!(super::super::decode_snapshot(&bytes[..bytes.len() / 2]).is_err());
}

/// A snapshot exact at a closeSession txn lists the session no more: a server recovering from
/// it must not bring the closed session back (it did once, and an ensemble then served the
/// dead session and gave it an ephemeral that the other servers saw owned by nobody).
#[test]
fn snapshot_at_a_close_session_leaves_the_session_out() {
    let mut h = Harness::with_config(NodeConfig {
        snap_count: 2,
        ..NodeConfig::default()
    });
    // snapCount 2 snapshots every second txn: the two sessions, then a create and the close.
    let keep = h.session(1);
    let gone = h.session(2);
    h.write(1, 1, &create("/x", b"", 0));
    h.send(2, 1, &Request::CloseSession);
    let out = h.persisted();
    let sessions = out
        .iter()
        .find_map(|o| match o {
            Output::TakeSnapshot { zxid, sessions, .. } => {
                assert_eq!(*zxid, h.node.last_applied());
                Some(sessions.clone())
            }
            _ => None,
        })
        .expect("the close is the fourth txn");
    let ids: Vec<SessionId> = sessions.iter().map(|(id, _)| *id).collect();
    assert_eq!(
        ids,
        vec![keep],
        "closed {gone:?} must not be in the snapshot"
    );
}
