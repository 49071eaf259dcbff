//! The connect handshake (zookeeper-protocol.md §2).

use super::*;
use crate::output::CloseReason;
use crate::proto::ConnectResponse;
use crate::txn::{Txn, TxnOp};

#[test]
fn new_session_is_answered_only_after_its_txn_is_durable() {
    let mut h = Harness::new();
    assert_eq!(h.open(1), vec![]);
    let out = h.connect(1, &new_session(30_000));
    let [Output::Persist { txns }] = out.as_slice() else {
        panic!("expected Persist: {out:?}")
    };
    let [Txn {
        zxid,
        op: TxnOp::CreateSession { timeout_ms: 30_000 },
        session,
        ..
    }] = txns.as_slice()
    else {
        panic!("expected one createSession txn: {txns:?}")
    };
    assert_eq!(*zxid, Zxid::new(0, 1));
    let session = *session;
    let passwd = h.node.sessions().password(session).to_vec();
    let response = ConnectResponse {
        protocol_version: 0,
        timeout_ms: 30_000,
        session_id: session.0,
        passwd,
        read_only: Some(false),
    };
    assert_eq!(
        h.persisted(),
        vec![Output::Handshake {
            conn: ConnId(1),
            response
        }]
    );
}

#[test]
fn timeout_is_clamped_and_the_readonly_byte_mirrors_the_request() {
    let mut h = Harness::new();
    h.open(1);
    let old_client = ConnectRequest {
        read_only: None,
        ..new_session(1)
    };
    h.connect(1, &old_client);
    let out = h.persisted();
    let [Output::Handshake { response, .. }] = out.as_slice() else {
        panic!("{out:?}")
    };
    assert_eq!(response.timeout_ms, 4000, "clamped up to 2 × tick");
    assert_eq!(
        response.read_only, None,
        "a request without the byte gets a response without it"
    );
    h.open(2);
    h.connect(2, &new_session(1_000_000));
    let out = h.persisted();
    let [Output::Handshake { response, .. }] = out.as_slice() else {
        panic!("{out:?}")
    };
    assert_eq!(response.timeout_ms, 40_000, "clamped down to 20 × tick");
}

#[test]
fn a_client_ahead_of_the_server_is_closed_without_reply() {
    let mut h = Harness::new();
    h.open(1);
    let req = ConnectRequest {
        last_zxid_seen: 5,
        ..new_session(30_000)
    };
    let out = h.connect(1, &req);
    assert_eq!(
        out,
        vec![Output::CloseConn {
            conn: ConnId(1),
            why: CloseReason::ZxidAhead
        }]
    );
}

#[test]
fn a_wrong_password_gets_the_invalid_session_reply_then_close() {
    let mut h = Harness::new();
    let session = h.session(1);
    h.open(2);
    let req = ConnectRequest {
        session_id: session.0,
        passwd: vec![7; 16],
        ..new_session(30_000)
    };
    let invalid = ConnectResponse {
        protocol_version: 0,
        timeout_ms: 0,
        session_id: 0,
        passwd: vec![0; 16],
        read_only: Some(false),
    };
    assert_eq!(
        h.connect(2, &req),
        vec![
            Output::Handshake {
                conn: ConnId(2),
                response: invalid
            },
            Output::CloseConn {
                conn: ConnId(2),
                why: CloseReason::InvalidSession
            },
        ]
    );
}

#[test]
fn resuming_on_another_connection_moves_the_session() {
    let mut h = Harness::new();
    let session = h.session(1);
    h.open(2);
    let passwd = h.node.sessions().password(session).to_vec();
    let req = ConnectRequest {
        session_id: session.0,
        passwd: passwd.clone(),
        ..new_session(30_000)
    };
    let response = ConnectResponse {
        protocol_version: 0,
        timeout_ms: 30_000,
        session_id: session.0,
        passwd,
        read_only: Some(false),
    };
    assert_eq!(
        h.connect(2, &req),
        vec![
            Output::CloseConn {
                conn: ConnId(1),
                why: CloseReason::SessionMoved
            },
            Output::Handshake {
                conn: ConnId(2),
                response
            },
        ]
    );
    assert_eq!(h.node.connection_count(), 1);
}

#[test]
fn requests_pipelined_before_the_handshake_reply_are_served_after_it() {
    let mut h = Harness::new();
    h.open(1);
    h.connect(1, &new_session(30_000));
    assert_eq!(
        h.send(
            1,
            1,
            &Request::Exists {
                path: "/".into(),
                watch: false
            }
        ),
        vec![]
    );
    let out = h.persisted();
    assert_eq!(out.len(), 2, "{out:?}");
    assert!(matches!(out[0], Output::Handshake { .. }));
    let Output::Reply {
        header,
        body: Response::Exists { .. },
        ..
    } = &out[1]
    else {
        panic!("{out:?}")
    };
    assert_eq!((header.xid, header.err), (Xid(1), 0));
}

#[test]
fn garbage_before_the_handshake_closes_only_that_connection() {
    let mut h = Harness::new();
    h.session(1);
    h.open(2);
    let out = h.frame(2, vec![1, 2, 3]);
    assert_eq!(
        out,
        vec![Output::CloseConn {
            conn: ConnId(2),
            why: CloseReason::Malformed
        }]
    );
    let out = h.send(
        1,
        1,
        &Request::Exists {
            path: "/".into(),
            watch: false,
        },
    );
    assert!(matches!(out.as_slice(), [Output::Reply { .. }]), "{out:?}");
}
