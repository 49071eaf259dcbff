//! `/zookeeper/config` of an ensemble member: the membership, written locally.

use bytes::Bytes;

use super::{path, DataTree};
use crate::ids::Zxid;

impl DataTree {
    /// Writes an ensemble's membership into `/zookeeper/config` as Java's
    /// `ZKDatabase.initConfigInZKDatabase` does when a member starts or syncs: locally, outside
    /// any txn. The node gets `data` and mtime `time_ms`; its mzxid is the config's version (0
    /// for a static config) and its version -1 (Java's `setData` there stores the version it is
    /// given, -1). The digest leaves this node out, so members that wrote it at different times
    /// still agree.
    pub fn set_config(&mut self, data: Bytes, time_ms: i64) {
        self.update_node(path::CONFIG, |node| {
            node.set_data(Some(data));
            node.version = -1;
            node.mzxid = Zxid::ZERO;
            node.mtime = time_ms;
        });
    }
}
