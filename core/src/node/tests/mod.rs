//! Node tests: build a node, feed inputs, compare the whole output list (STYLE.md §8).

mod handshake_test;
mod reads_test;
mod reaping_test;
mod requests_test;
mod sessions_test;

use bytes::Bytes;

use super::{Node, NodeConfig, Recovered};
use crate::ids::{ConnId, SessionId, Xid, Zxid};
use crate::input::Input;
use crate::output::Output;
use crate::proto::{
    encode_request, Acl, ConnectRequest, CreateRequest, ReplyHeader, Request, Response,
};
use crate::time::Instant;

/// Drives one node and answers its `Persist` outputs on request.
pub(super) struct Harness {
    pub(super) node: Node,
    pub(super) now_ms: u64,
    pending_persist: Vec<Vec<crate::txn::Txn>>,
    /// Every txn reported durable, in order: the harness's "disk".
    pub(super) log: Vec<crate::txn::Txn>,
}

pub(super) const T0: u64 = 1_700_000_000_000;

impl Harness {
    pub(super) fn new() -> Self {
        Self::with_config(NodeConfig::default())
    }

    pub(super) fn with_config(config: NodeConfig) -> Self {
        let config = config.validate().expect("test config is valid");
        let node = Node::recover(config, Recovered::default(), Instant::from_millis(T0), 1);
        Self {
            node,
            now_ms: T0,
            pending_persist: Vec::new(),
            log: Vec::new(),
        }
    }

    pub(super) fn step(&mut self, input: Input) -> Vec<Output> {
        self.node.step(Instant::from_millis(self.now_ms), input);
        let mut out = Vec::new();
        while let Some(o) = self.node.poll_output() {
            if let Output::Persist { txns } = &o {
                assert!(!txns.is_empty(), "an empty Persist batch");
                self.pending_persist.push(txns.clone());
            }
            out.push(o);
        }
        out
    }

    pub(super) fn advance(&mut self, ms: u64) -> Vec<Output> {
        self.now_ms += ms;
        self.step(Input::Tick)
    }

    /// Reports the oldest outstanding `Persist` batch as durable.
    pub(super) fn persisted(&mut self) -> Vec<Output> {
        assert!(!self.pending_persist.is_empty(), "no Persist to answer");
        let batch = self.pending_persist.remove(0);
        let upto = batch.last().expect("non-empty batch").zxid;
        self.log.extend(batch);
        self.step(Input::Persisted { upto })
    }

    pub(super) fn open(&mut self, conn: u64) -> Vec<Output> {
        let peer_ip = Some("127.0.0.1".to_owned());
        self.step(Input::ConnOpened {
            conn: ConnId(conn),
            peer_ip,
        })
    }

    pub(super) fn frame(&mut self, conn: u64, frame: Vec<u8>) -> Vec<Output> {
        self.step(Input::Client {
            conn: ConnId(conn),
            frame: Bytes::from(frame),
        })
    }

    pub(super) fn connect(&mut self, conn: u64, req: &ConnectRequest) -> Vec<Output> {
        let mut buf = Vec::new();
        req.encode(&mut buf);
        self.frame(conn, buf)
    }

    pub(super) fn send(&mut self, conn: u64, xid: i32, req: &Request) -> Vec<Output> {
        let mut buf = Vec::new();
        encode_request(Xid(xid), req, &mut buf);
        self.frame(conn, buf)
    }

    /// Opens a connection with a new session, persisting its createSession; returns the id.
    pub(super) fn session(&mut self, conn: u64) -> SessionId {
        self.open(conn);
        self.connect(conn, &new_session(30_000));
        let out = self.persisted();
        match out.as_slice() {
            [Output::Handshake { response, .. }]
            | [Output::Handshake { response, .. }, Output::TakeSnapshot { .. }] => {
                SessionId(response.session_id)
            }
            other => panic!("expected a handshake (and maybe a snapshot), got {other:?}"),
        }
    }

    /// Sends a write and persists it, returning the outputs after `Persisted`.
    pub(super) fn write(&mut self, conn: u64, xid: i32, req: &Request) -> Vec<Output> {
        let out = self.send(conn, xid, req);
        assert!(
            matches!(out.as_slice(), [Output::Persist { .. }]),
            "expected one Persist: {out:?}"
        );
        self.persisted()
    }

    pub(super) fn zxid(&self) -> i64 {
        self.node.last_applied().as_i64()
    }
}

pub(super) fn new_session(timeout_ms: i32) -> ConnectRequest {
    ConnectRequest {
        protocol_version: 0,
        last_zxid_seen: 0,
        timeout_ms,
        session_id: 0,
        passwd: vec![0; 16],
        read_only: Some(false),
    }
}

pub(super) fn create(path: &str, data: &[u8], flags: i32) -> Request {
    let req = CreateRequest {
        path: path.to_owned(),
        data: Some(Bytes::copy_from_slice(data)),
        acl: vec![Acl::open_unsafe()],
        flags,
    };
    Request::Create {
        op: crate::proto::OpCode::Create,
        req,
        ttl: None,
    }
}

/// An addauth packet for the digest scheme with `user:password`.
pub(super) fn digest_auth(credential: &'static [u8]) -> Request {
    Request::Auth {
        auth_type: 0,
        scheme: "digest".into(),
        auth: Some(Bytes::from_static(credential)),
    }
}

pub(super) fn reply(conn: u64, xid: i32, zxid: i64, body: Response) -> Output {
    Output::Reply {
        conn: ConnId(conn),
        header: ReplyHeader {
            xid: Xid(xid),
            zxid,
            err: 0,
        },
        body,
    }
}

pub(super) fn error(conn: u64, xid: i32, zxid: i64, err: crate::proto::ZkError) -> Output {
    let header = ReplyHeader {
        xid: Xid(xid),
        zxid,
        err: err.code(),
    };
    Output::Reply {
        conn: ConnId(conn),
        header,
        body: Response::Empty,
    }
}
