//! What servers of an ensemble send each other: election votes, ZAB messages, and the node-level
//! messages that ZAB does not know about (the leader's state for a SNAP, forwarded client writes
//! and their refusals, forwarded `sync`, session touches).

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use crate::ids::{SessionId, Xid, Zxid};
use crate::proto::Id;
use crate::tree::DataTree;
use crate::zab::{Notification, ZabMsg};

/// The leader's state at one zxid, sent after `ZabMsg::Snap`.
#[derive(Clone, Debug, PartialEq)]
pub struct SnapshotImage {
    /// The tree (an O(1) structurally shared copy).
    pub tree: DataTree,
    /// Live sessions and their timeouts.
    pub sessions: Vec<(SessionId, i32)>,
}

/// Why the leader refused a forwarded write (the follower answers once it has applied `after`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Refusal {
    /// A single op failed with this error code.
    Error(i32),
    /// A multi failed: one error code per op (0 for ops that would have succeeded... as Java
    /// reports them: the failing op's code, RUNTIMEINCONSISTENCY for the others).
    Multi(Vec<i32>),
}

/// What a follower forwards to the leader.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Forwarded {
    /// A client request frame (a write, a closeSession or a sync), prepared by the leader.
    Request {
        /// The request frame as the client sent it (header included).
        frame: Bytes,
        /// The connection's auth ids (for ACL checks).
        ids: Vec<Id>,
    },
    /// A new session the follower allocated.
    CreateSession {
        /// Negotiated timeout, ms.
        timeout_ms: i32,
    },
    /// A client asks to resume the session on this learner (Java's REVALIDATE): the leader
    /// answers with [`PeerMsg::Revalidated`], and if the session lives, the learner owns it
    /// from then on.
    Resume,
}

/// One message between servers. Links are FIFO per pair of servers.
///
/// Serde covers every variant but [`PeerMsg::Snapshot`], whose image a transport streams in
/// chunks of its own (serializing it is an error). `Snapshot` must stay the last variant: serde
/// numbers variants past a skipped one differently when writing and when reading.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum PeerMsg {
    /// Leader election.
    Election(Notification),
    /// Discovery, synchronization, broadcast.
    Zab(ZabMsg),
    /// Follower → leader: order this for `session`.
    Forward {
        /// The epoch the follower follows.
        epoch: u32,
        /// The session.
        session: SessionId,
        /// The request's xid (0 for a session creation).
        cxid: Xid,
        /// The last zxid the learner had applied: the leader checks the request only once it
        /// has applied as much (its own fsync may lag the quorum's, and a session the learner
        /// saw created must not look expired).
        seen: Zxid,
        /// What.
        what: Forwarded,
    },
    /// Leader → follower: a forwarded write failed its checks.
    Refused {
        /// Leader's epoch.
        epoch: u32,
        /// The session.
        session: SessionId,
        /// The request's xid.
        cxid: Xid,
        /// The outcome.
        refusal: Refusal,
        /// Answer only once this zxid is applied (the state the check saw).
        after: Zxid,
    },
    /// Leader → follower: a forwarded `sync` is done once `zxid` is applied.
    Synced {
        /// Leader's epoch.
        epoch: u32,
        /// The session.
        session: SessionId,
        /// The request's xid.
        cxid: Xid,
        /// The leader's last proposed zxid when the sync reached it.
        zxid: Zxid,
    },
    /// Leader → learner: the answer to a `Forwarded::Resume`.
    Revalidated {
        /// Leader's epoch.
        epoch: u32,
        /// The session.
        session: SessionId,
        /// Whether the session lives (neither closed nor closing).
        valid: bool,
        /// Resume only once this zxid is applied (the state the answer saw).
        after: Zxid,
    },
    /// Learner → leader: clients of these sessions were heard from since the last touch.
    Touch {
        /// The epoch the learner follows.
        epoch: u32,
        /// Sessions to keep alive.
        sessions: Vec<SessionId>,
    },
    /// The leader's state at `zxid` for a SNAP sync (follows `ZabMsg::Snap`).
    #[serde(skip)]
    Snapshot {
        /// Leader's epoch.
        epoch: u32,
        /// The zxid the image is exact at.
        zxid: Zxid,
        /// The state.
        image: Box<SnapshotImage>,
    },
}
