//! Transactions: what a write becomes after `prep` has checked it, and what the tree applies.
//!
//! Txns are idempotent and carry their resulting state (the sequential name chosen, the new
//! versions, the parent's new create counter), so replaying a log over a fuzzy snapshot yields
//! the same tree on every replica (DESIGN.md §3.1). A txn is only ever built for a write that
//! succeeds; a failing write is answered without one.

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use crate::ids::{SessionId, Xid, Zxid};
use crate::proto::{Acl, Stat};

/// One committed (or proposed) transaction.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Txn {
    /// Its position in the history.
    pub zxid: Zxid,
    /// The leader's wall-clock time when it was prepared, ms since the Unix epoch (ctime/mtime).
    pub time_ms: i64,
    /// The session that issued it.
    pub session: SessionId,
    /// The xid of the request it came from (0 for internal txns such as expiry).
    pub cxid: Xid,
    /// What it does.
    pub op: TxnOp,
}

/// The stored kind of a znode. Sequential creates have their suffix already in the path.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum NodeKind {
    /// A plain persistent node.
    Persistent,
    /// An ephemeral owned by a session.
    Ephemeral(SessionId),
    /// A container: reaped once it has had children and has none left.
    Container,
    /// A persistent node reaped `ttl_ms` after its last change once it has no children.
    Ttl {
        /// Time to live in ms, 0 < ttl_ms ≤ 2^40 − 1.
        ttl_ms: i64,
    },
}

/// The create part of a txn.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateTxn {
    /// The full path, sequential suffix included.
    pub path: String,
    /// The data; `None` is null data (distinct from empty).
    pub data: Option<Bytes>,
    /// The ACL after fixup (auth ids expanded, duplicates removed).
    pub acl: Vec<Acl>,
    /// The node's kind.
    pub kind: NodeKind,
    /// The parent's stored create counter after this create (its old value + 1).
    pub parent_cversion: i32,
}

/// What a txn does.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum TxnOp {
    /// A session was created with this negotiated timeout.
    CreateSession {
        /// Negotiated session timeout, ms.
        timeout_ms: i32,
    },
    /// A session ended (closed by the client or expired); these ephemerals die with it.
    CloseSession {
        /// The session's ephemerals, sorted, decided at prep time.
        ephemerals: Vec<String>,
    },
    /// A node was created.
    Create(CreateTxn),
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
        data: Option<Bytes>,
        /// The resulting data version.
        version: i32,
    },
    /// A node's ACL was set.
    SetAcl {
        /// The node.
        path: String,
        /// The new ACL after fixup.
        acl: Vec<Acl>,
        /// The resulting ACL version.
        aversion: i32,
    },
    /// A version check inside a multi; changes nothing.
    Check {
        /// The node checked.
        path: String,
    },
    /// An atomic group of Create/Delete/SetData/SetAcl/Check ops sharing one zxid.
    Multi(Vec<Self>),
}

/// What applying one op produced, for building the reply.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OpResult {
    /// A session was created.
    SessionCreated,
    /// A session was closed.
    SessionClosed,
    /// A node was created: its path and its stat right after this op.
    Created {
        /// Full path.
        path: String,
        /// Its stat right after the create.
        stat: Stat,
    },
    /// A node was deleted.
    Deleted,
    /// Data was set: the node's stat right after.
    DataSet {
        /// The stat right after.
        stat: Stat,
    },
    /// The ACL was set: the node's stat right after.
    AclSet {
        /// The stat right after.
        stat: Stat,
    },
    /// A check passed.
    Checked,
    /// A multi: one result per sub-op, in order.
    Multi(Vec<Self>),
}

/// A change to the tree that watches may observe, in the order it happened.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Change {
    /// A node was created (its parent's children changed too).
    Created(String),
    /// A node was deleted (its parent's children changed too).
    Deleted(String),
    /// A node's data changed.
    DataChanged(String),
}

/// The outcome of applying a txn to the tree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Applied {
    /// The op's result (for a multi, [`OpResult::Multi`]).
    pub result: OpResult,
    /// The changes, in order, for the watch manager.
    pub changes: Vec<Change>,
}
