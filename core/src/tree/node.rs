//! One znode: data, ACL, the stored stat (`StatPersisted`) and its children's names.

use std::sync::Arc;

use bytes::Bytes;

use crate::ids::Zxid;
use crate::proto::{Acl, Stat};
use crate::txn::NodeKind;

/// The stored `ephemeralOwner` of a container (`EphemeralType.CONTAINER`).
pub const CONTAINER_OWNER: i64 = i64::MIN;
/// The top byte that marks a TTL node's stored `ephemeralOwner` (`EphemeralType.TTL`).
pub const TTL_OWNER_MARK: i64 = 0xFF00_0000_0000_0000_u64 as i64;
/// The largest TTL, ms (§7.3).
pub const TTL_MS_MAX: i64 = (1 << 40) - 1;

/// A znode as the tree stores it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Znode {
    pub(crate) data: Option<Bytes>,
    /// [`super::digest::data_hash`] of `data`, kept in step by [`Self::set_data`].
    pub(crate) data_hash: u64,
    /// Shared with every node that has the same ACL (the tree's ACL cache).
    pub(crate) acl: Arc<[Acl]>,
    pub(crate) czxid: Zxid,
    pub(crate) mzxid: Zxid,
    pub(crate) pzxid: Zxid,
    pub(crate) ctime: i64,
    pub(crate) mtime: i64,
    pub(crate) version: i32,
    /// The stored cversion: creates of children, ever (never lowered by a delete).
    pub(crate) cversion: i32,
    pub(crate) aversion: i32,
    pub(crate) kind: NodeKind,
    pub(crate) children: imbl::OrdSet<String>,
}

impl Znode {
    /// A built-in node as Java makes it: empty data, every stat field zero.
    pub(crate) fn builtin(acl: Arc<[Acl]>) -> Self {
        let data = Some(Bytes::new());
        Self {
            data_hash: super::digest::data_hash(data.as_ref()),
            data,
            acl,
            czxid: Zxid::ZERO,
            mzxid: Zxid::ZERO,
            pzxid: Zxid::ZERO,
            ctime: 0,
            mtime: 0,
            version: 0,
            cversion: 0,
            aversion: 0,
            kind: NodeKind::Persistent,
            children: imbl::OrdSet::new(),
        }
    }

    /// Replaces the data and its cached hash.
    pub(crate) fn set_data(&mut self, data: Option<Bytes>) {
        self.data_hash = super::digest::data_hash(data.as_ref());
        self.data = data;
    }

    /// The data; `None` is null data (distinct from empty).
    #[must_use]
    pub fn data(&self) -> Option<&Bytes> {
        self.data.as_ref()
    }

    /// The ACL.
    #[must_use]
    pub fn acl(&self) -> &[Acl] {
        &self.acl
    }

    /// The node's kind.
    #[must_use]
    pub fn kind(&self) -> NodeKind {
        self.kind
    }

    /// The owning session of a normal ephemeral.
    #[must_use]
    pub fn ephemeral_owner(&self) -> Option<crate::ids::SessionId> {
        match self.kind {
            NodeKind::Ephemeral(session) => Some(session),
            _ => None,
        }
    }

    /// The children's names, sorted.
    pub fn children(&self) -> impl Iterator<Item = &str> + '_ {
        self.children.iter().map(String::as_str)
    }

    /// Whether a child of that name exists.
    #[must_use]
    pub fn has_child(&self, name: &str) -> bool {
        self.children.contains(name)
    }

    /// The current number of children.
    #[must_use]
    pub fn child_count(&self) -> usize {
        self.children.len()
    }

    /// The stored cversion: how many children were ever created under this node. The next
    /// sequential suffix, and the container reaping rule, use it (§7.2, §7.3).
    #[must_use]
    pub fn create_counter(&self) -> i32 {
        self.cversion
    }

    /// zxid of the create.
    #[must_use]
    pub fn czxid(&self) -> Zxid {
        self.czxid
    }

    /// zxid of the last setData.
    #[must_use]
    pub fn mzxid(&self) -> Zxid {
        self.mzxid
    }

    /// zxid of the last child create or delete.
    #[must_use]
    pub fn pzxid(&self) -> Zxid {
        self.pzxid
    }

    /// Create time, ms.
    #[must_use]
    pub fn ctime(&self) -> i64 {
        self.ctime
    }

    /// Last setData time, ms (create time until then).
    #[must_use]
    pub fn mtime(&self) -> i64 {
        self.mtime
    }

    /// Data version.
    #[must_use]
    pub fn version(&self) -> i32 {
        self.version
    }

    /// ACL version.
    #[must_use]
    pub fn aversion(&self) -> i32 {
        self.aversion
    }

    /// The data length as the Stat shows it (0 for null).
    #[must_use]
    pub fn data_len(&self) -> usize {
        self.data.as_ref().map_or(0, Bytes::len)
    }

    /// The `ephemeralOwner` Java stores: the session for an ephemeral, the container and TTL
    /// markers, 0 for a persistent node. Clients never see the markers ([`Self::stat`]).
    #[must_use]
    pub fn stored_ephemeral_owner(&self) -> i64 {
        match self.kind {
            NodeKind::Persistent => 0,
            NodeKind::Ephemeral(session) => session.0,
            NodeKind::Container => CONTAINER_OWNER,
            NodeKind::Ttl { ttl_ms } => TTL_OWNER_MARK | ttl_ms,
        }
    }

    /// The Stat clients see (§3): cversion = 2 × stored − numChildren, ephemeralOwner 0 unless a
    /// normal ephemeral, dataLength 0 for null data.
    #[must_use]
    pub fn stat(&self) -> Stat {
        let num_children =
            i32::try_from(self.children.len()).expect("child count fits the wire's int");
        let data_length = i32::try_from(self.data_len()).expect("data length fits the wire's int");
        Stat {
            czxid: self.czxid.as_i64(),
            mzxid: self.mzxid.as_i64(),
            ctime: self.ctime,
            mtime: self.mtime,
            version: self.version,
            // Java computes this in int arithmetic, overflow included.
            cversion: self.cversion.wrapping_mul(2).wrapping_sub(num_children),
            aversion: self.aversion,
            ephemeral_owner: self.ephemeral_owner().map_or(0, |s| s.0),
            data_length,
            num_children,
            pzxid: self.pzxid.as_i64(),
        }
    }
}
