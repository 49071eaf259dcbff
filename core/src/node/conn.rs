//! Per-connection state: handshake progress, auth ids, and the FIFO queue that keeps replies in
//! request order (zookeeper-protocol.md §3 "Ordering rule").

use std::collections::VecDeque;

use bytes::Bytes;

use crate::ids::{SessionId, Xid, Zxid};
use crate::output::CloseReason;
use crate::proto::{Id, Request, Response};

/// Frames a client may pipeline before its session is ready; past this the connection closes.
pub(crate) const BACKLOG_MAX: usize = 4096;
/// Requests a connection may have queued before the node stops reading it (the shell sees the
/// count through `Node::queued`); beyond this bound the connection is closed.
pub(crate) const QUEUE_MAX: usize = 100_000;

/// Where a connection is in its life.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Phase {
    /// Waiting for the ConnectRequest.
    AwaitingConnect,
    /// A createSession txn is being persisted; frames wait in the backlog.
    CreatingSession { zxid: Zxid },
    /// A learner asked the leader whether `session` may be resumed here; once the leader said
    /// yes, it waits to have applied `until` (the state the leader answered from). Frames wait
    /// in the backlog.
    Revalidating {
        session: SessionId,
        until: Option<Zxid>,
    },
    /// Serving requests of its session.
    Ready,
}

/// How a write's reply body is shaped once its txn applies.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Shape {
    /// create (op 1): path only.
    Create,
    /// create2 / createContainer / createTTL: path and stat.
    Create2,
    Delete,
    SetData,
    SetAcl,
    /// check inside a multi.
    Check,
    Multi(Vec<Self>),
    CloseSession,
    /// A sync forwarded to the leader: answered with this path.
    Sync(String),
}

/// One request waiting for its turn to be answered.
#[derive(Clone, Debug)]
pub(crate) enum Entry {
    /// A read (or any request answered from current state), computed when it reaches the head.
    Read { xid: Xid, req: Request },
    /// A write whose txn is not applied yet.
    Write { xid: Xid, zxid: Zxid, shape: Shape },
    /// A request forwarded to the leader (ensemble follower): answered when its txn applies
    /// (matched by session and xid), or by the leader's refusal or sync answer.
    Forwarded { xid: Xid, shape: Shape },
    /// A reply known but held until this server applied `until` (a refusal or a sync from the
    /// leader: the client must not see an answer that reflects state it cannot read yet).
    Until {
        xid: Xid,
        until: Zxid,
        result: Result<Response, i32>,
    },
    /// A finished reply (an applied write, or a failed one), emitted when it reaches the head.
    Done {
        xid: Xid,
        zxid: Option<i64>,
        result: Result<Response, i32>,
        close: Option<CloseReason>,
    },
}

/// One client connection.
#[derive(Clone, Debug)]
pub(crate) struct Conn {
    pub(crate) phase: Phase,
    pub(crate) session: Option<SessionId>,
    /// Auth ids: `ip:<addr>` from the socket, then each successful addauth.
    pub(crate) ids: Vec<Id>,
    /// Whether the ConnectRequest carried the readOnly byte (the response mirrors it).
    pub(crate) read_only_byte: bool,
    /// Frames received before the session was ready, in order.
    pub(crate) backlog: VecDeque<Bytes>,
    pub(crate) queue: VecDeque<Entry>,
    /// The highest zxid sent in a reply header; replies never go below it.
    pub(crate) last_zxid_sent: i64,
}

impl Conn {
    pub(crate) fn new(peer_ip: Option<String>) -> Self {
        let ids = peer_ip
            .map(|ip| {
                vec![Id {
                    scheme: "ip".into(),
                    id: ip,
                }]
            })
            .unwrap_or_default();
        Self {
            phase: Phase::AwaitingConnect,
            session: None,
            ids,
            read_only_byte: false,
            backlog: VecDeque::new(),
            queue: VecDeque::new(),
            last_zxid_sent: 0,
        }
    }

    pub(crate) fn is_super(&self) -> bool {
        self.ids.iter().any(|id| id.scheme == "super")
    }
}
