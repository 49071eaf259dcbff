//! Records shared by many requests and replies: `Stat`, `Id`, `ACL`.

use serde::{Deserialize, Serialize};

/// A znode's status as clients see it (68 bytes on the wire, zookeeper-protocol.md §3).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Stat {
    /// zxid of the create.
    pub czxid: i64,
    /// zxid of the last setData (= czxid at create).
    pub mzxid: i64,
    /// Create time, ms since the Unix epoch, from the txn.
    pub ctime: i64,
    /// Last setData time, ms since the Unix epoch, from the txn.
    pub mtime: i64,
    /// Data version.
    pub version: i32,
    /// Child version as clients see it: 2 × children ever created − current children.
    pub cversion: i32,
    /// ACL version.
    pub aversion: i32,
    /// Owning session of a normal ephemeral; 0 otherwise.
    pub ephemeral_owner: i64,
    /// Data length (0 for null data).
    pub data_length: i32,
    /// Current number of children.
    pub num_children: i32,
    /// zxid of the last child create/delete (= czxid at create).
    pub pzxid: i64,
}

/// An identity: a scheme and an id within it (`world:anyone`, `digest:user:hash`, `ip:1.2.3.4`).
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Id {
    /// The auth scheme.
    pub scheme: String,
    /// The id within the scheme.
    pub id: String,
}

impl Id {
    /// Builds an id.
    #[must_use]
    pub fn new(scheme: &str, id: &str) -> Self {
        Self {
            scheme: scheme.to_owned(),
            id: id.to_owned(),
        }
    }
}

/// One ACL entry: permission bits granted to an id.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Acl {
    /// Bits of [`perms`].
    pub perms: i32,
    /// Who they are granted to.
    pub id: Id,
}

impl Acl {
    /// `world:anyone` with every permission, the usual open ACL.
    #[must_use]
    pub fn open_unsafe() -> Self {
        Self {
            perms: perms::ALL,
            id: Id::new("world", "anyone"),
        }
    }

    /// `world:anyone` with read only (the ACL of `/zookeeper/config`).
    #[must_use]
    pub fn read_unsafe() -> Self {
        Self {
            perms: perms::READ,
            id: Id::new("world", "anyone"),
        }
    }
}

/// Permission bits (`ZooDefs.Perms`).
pub mod perms {
    /// Read data and list children.
    pub const READ: i32 = 1;
    /// Set data.
    pub const WRITE: i32 = 2;
    /// Create children.
    pub const CREATE: i32 = 4;
    /// Delete children.
    pub const DELETE: i32 = 8;
    /// Set the ACL.
    pub const ADMIN: i32 = 16;
    /// Everything.
    pub const ALL: i32 = READ | WRITE | CREATE | DELETE | ADMIN;
}

/// The watch event types a server sends (zookeeper-protocol.md §8.1). The client-only types
/// (None, *WatchRemoved) are never sent and have no variant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[repr(i32)]
pub enum EventType {
    /// A watched node was created.
    NodeCreated = 1,
    /// A watched node was deleted.
    NodeDeleted = 2,
    /// A watched node's data changed.
    NodeDataChanged = 3,
    /// A watched node's children changed.
    NodeChildrenChanged = 4,
}

/// The only keeper state a server sends in a notification: SyncConnected.
pub const KEEPER_STATE_SYNC_CONNECTED: i32 = 3;
