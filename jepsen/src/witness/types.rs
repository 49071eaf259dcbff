//! The witness checker's input: the committed log, client operations and watch events.
//!
//! Everything here is plain, serde-friendly data so that the simulator and the real-process
//! harness can both build it, and a failing input can be saved and replayed.

use serde::{Deserialize, Serialize};

/// A zxid as the server sent it (epoch in the high 32 bits, counter in the low 32).
pub type Zxid = u64;

/// A session id.
pub type SessionId = i64;

/// Error code: the node does not exist (`zookeeper-protocol.md` §6).
pub const NONODE: i32 = -101;
/// Error code: the expected version did not match.
pub const BADVERSION: i32 = -103;
/// Error code: the node already exists.
pub const NODEEXISTS: i32 = -110;
/// Error code: the node has children.
pub const NOTEMPTY: i32 = -111;

/// One committed transaction, in the shape of zoorepl-core's `Txn` with what the checks need.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct CommittedTxn {
    /// Its zxid.
    pub zxid: Zxid,
    /// The session that issued it (0 for internal txns such as reaping).
    pub session: SessionId,
    /// The xid of the request it came from (0 for internal txns such as expiry).
    pub cxid: i32,
    /// What it does to the tree; a multi is several effects under one zxid, in order.
    pub ops: Vec<TxnEffect>,
}

/// What one txn (or one op of a multi) does to the tree.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub enum TxnEffect {
    /// A session was created.
    CreateSession,
    /// A session ended; these ephemerals die with it.
    CloseSession {
        /// The session's ephemerals.
        ephemerals: Vec<String>,
    },
    /// A node was created.
    Create {
        /// The full path, sequential suffix included.
        path: String,
        /// The data; `None` is null data.
        data: Option<Vec<u8>>,
        /// The owning session for an ephemeral; `None` for persistent, container and TTL
        /// nodes (their stat shows ephemeralOwner 0 too).
        ephemeral_owner: Option<SessionId>,
        /// Whether the create was sequential (the path then ends in the 10-digit suffix);
        /// `None` when the log does not say (zoorepl-core's `CreateTxn` does not): the replay
        /// then skips the suffix check and the request's mode decides.
        sequential: Option<bool>,
        /// The parent's stored create counter after this create, when the log records it.
        parent_cversion: Option<i32>,
    },
    /// A node was deleted.
    Delete {
        /// The deleted node.
        path: String,
    },
    /// A node's data was set.
    SetData {
        /// The node.
        path: String,
        /// The new data.
        data: Option<Vec<u8>>,
        /// The resulting data version.
        version: i32,
    },
    /// A node's ACL was set.
    SetAcl {
        /// The node.
        path: String,
    },
    /// A version check inside a multi; changes nothing.
    Check {
        /// The node checked.
        path: String,
    },
}

impl TxnEffect {
    /// The path the effect is on, if it is a node operation.
    pub fn path(&self) -> Option<&str> {
        match self {
            Self::CreateSession | Self::CloseSession { .. } => None,
            Self::Create { path, .. }
            | Self::Delete { path }
            | Self::SetData { path, .. }
            | Self::SetAcl { path }
            | Self::Check { path } => Some(path),
        }
    }
}

/// How a node is created (`zookeeper-protocol.md` §7.1).
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum CreateMode {
    /// A persistent node (also used for containers and TTL nodes).
    Persistent,
    /// An ephemeral node owned by the session.
    Ephemeral,
    /// A persistent node with a sequential suffix.
    PersistentSequential,
    /// An ephemeral node with a sequential suffix.
    EphemeralSequential,
}

impl CreateMode {
    /// Whether the server appends a sequence number.
    pub const fn is_sequential(self) -> bool {
        matches!(self, Self::PersistentSequential | Self::EphemeralSequential)
    }

    /// Whether the node dies with its session.
    pub const fn is_ephemeral(self) -> bool {
        matches!(self, Self::Ephemeral | Self::EphemeralSequential)
    }
}

/// A client request. Versions are the expected version, -1 for any.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub enum Request {
    /// create / create2.
    Create {
        /// The requested path (before any sequential suffix).
        path: String,
        /// The data.
        data: Option<Vec<u8>>,
        /// The mode.
        mode: CreateMode,
    },
    /// delete.
    Delete {
        /// The node.
        path: String,
        /// Expected data version, -1 for any.
        version: i32,
    },
    /// setData.
    SetData {
        /// The node.
        path: String,
        /// The new data.
        data: Option<Vec<u8>>,
        /// Expected data version, -1 for any.
        version: i32,
    },
    /// setACL (the ACL itself is not checked).
    SetAcl {
        /// The node.
        path: String,
    },
    /// check, only inside a multi.
    Check {
        /// The node.
        path: String,
        /// Expected data version, -1 for any.
        version: i32,
    },
    /// multi: all-or-nothing.
    Multi(Vec<Self>),
    /// getData.
    GetData {
        /// The node.
        path: String,
        /// Whether a data watch was asked for.
        watch: bool,
    },
    /// exists.
    Exists {
        /// The node.
        path: String,
        /// Whether a data (exist) watch was asked for.
        watch: bool,
    },
    /// getChildren / getChildren2.
    GetChildren {
        /// The node.
        path: String,
        /// Whether a child watch was asked for.
        watch: bool,
    },
    /// sync.
    Sync {
        /// The path (only echoed).
        path: String,
    },
}

impl Request {
    /// Whether the request changes the tree when it succeeds.
    pub const fn is_write(&self) -> bool {
        matches!(
            self,
            Self::Create { .. }
                | Self::Delete { .. }
                | Self::SetData { .. }
                | Self::SetAcl { .. }
                | Self::Check { .. }
                | Self::Multi(_)
        )
    }
}

/// The part of a Stat the checks compare.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct StatView {
    /// zxid of the create.
    pub czxid: Zxid,
    /// zxid of the last change of data (the create's at first).
    pub mzxid: Zxid,
    /// Data version.
    pub version: i32,
    /// Owning session of an ephemeral, 0 otherwise.
    pub ephemeral_owner: SessionId,
}

/// A successful reply's body.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub enum Reply {
    /// create: the created path, and the stat when create2 was used.
    Created {
        /// The created path (sequential suffix included).
        path: String,
        /// The stat (create2 only).
        stat: Option<StatView>,
    },
    /// delete, check, sync, or a reply without a body.
    Done,
    /// setData / setACL: the stat after the change.
    Stat(StatView),
    /// getData.
    Data {
        /// The data.
        data: Option<Vec<u8>>,
        /// The stat.
        stat: StatView,
    },
    /// exists: the stat, or `None` when the node does not exist.
    Exists(Option<StatView>),
    /// getChildren: the child names (any order).
    Children(Vec<String>),
    /// multi: one result per op.
    Multi(Vec<Self>),
}

/// How an operation ended.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub enum OpOutcome {
    /// It completed successfully with this reply.
    Ok(Reply),
    /// It completed with this error code and definitely did not take effect.
    Err(i32),
    /// Unknown (timeout, connection loss, no completion): it may have taken effect or not.
    Unknown,
}

/// One client operation.
///
/// Times are on one clock shared by every operation and watch event of the history (ns or
/// a logical step counter); only their order matters. Use distinct values: equal times are
/// read as concurrent.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct ClientOp {
    /// The session that issued it.
    pub session: SessionId,
    /// The request.
    pub request: Request,
    /// When the request was sent.
    pub invoke: u64,
    /// When the reply arrived; `None` when it never did.
    pub complete: Option<u64>,
    /// How it ended.
    pub outcome: OpOutcome,
    /// The zxid in the reply header, when a reply arrived.
    pub zxid: Option<Zxid>,
}

/// A watch event type (`zookeeper-protocol.md` §8.1; the server sends only these four).
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum WatchEventType {
    /// NodeCreated (1).
    NodeCreated,
    /// NodeDeleted (2).
    NodeDeleted,
    /// NodeDataChanged (3).
    NodeDataChanged,
    /// NodeChildrenChanged (4).
    NodeChildrenChanged,
}

/// One watch notification as a session received it.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct WatchEventRecord {
    /// The receiving session.
    pub session: SessionId,
    /// Its type.
    pub event_type: WatchEventType,
    /// The path in the event.
    pub path: String,
    /// The zxid in the notification header; `None` when it carried -1 (3.8.x servers,
    /// catch-up events raised by setWatches).
    pub zxid: Option<Zxid>,
    /// When it arrived, on the operations' clock; its place among the session's replies.
    pub at: u64,
    /// Which of the session's connections delivered it (any number that changes when the
    /// session reconnects; 0 when the recorder does not know). Events are ordered only within
    /// one connection: a client's last zxid counts replies, not notifications (Java's client
    /// returns from a notification before it updates `lastZxid`), so a session that moves may
    /// land on a server that has yet to apply a change it was already notified of, and be
    /// notified of an earlier one there.
    #[serde(default)]
    pub conn: u64,
}
