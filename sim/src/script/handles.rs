//! Handles on one server, its disk, and one link: `c.server(1).crash()`,
//! `c.server(2).disk().hold()`, `c.link(1, 2).hold()`.

use zoorepl_core::node::{Node, PeerMsg};
use zoorepl_core::zab::{Observation, ZabMsg};

use super::io::{DiskOp, Durable};
use super::Cluster;

/// A handle on one server.
pub struct ServerRef<'a> {
    pub(super) c: &'a mut Cluster,
    pub(super) id: u64,
}

impl<'a> ServerRef<'a> {
    /// Crashes it: its process stops, every disk write not yet durable is lost, messages in
    /// flight to and from it are lost, its clients are disconnected.
    pub fn crash(self) {
        self.c.crash(self.id);
    }

    /// Starts it again from what its disk holds durably.
    ///
    /// # Panics
    /// When it is running.
    pub fn restart(self) {
        assert!(!self.is_up(), "server {} is running", self.id);
        self.c.start(self.id);
    }

    /// Starts it again with nothing on its disk (a replaced machine).
    ///
    /// # Panics
    /// When it is running.
    pub fn restart_with_empty_disk(self) {
        assert!(!self.is_up(), "server {} is running", self.id);
        self.c
            .servers
            .get_mut(&self.id)
            .expect("server")
            .disk
            .durable = Durable::default();
        self.c.start(self.id);
    }

    /// Whether its process runs.
    #[must_use]
    pub fn is_up(&self) -> bool {
        self.c.servers[&self.id].node.is_some()
    }

    /// What it looks like now.
    ///
    /// # Panics
    /// When it is down.
    #[must_use]
    pub fn observe(&self) -> Observation {
        self.c
            .observe(self.id)
            .unwrap_or_else(|| panic!("server {} is down", self.id))
    }

    /// The node itself (to read its tree).
    ///
    /// # Panics
    /// When it is down.
    #[must_use]
    pub fn node(&'a self) -> &'a Node {
        self.c.servers[&self.id]
            .node
            .as_ref()
            .unwrap_or_else(|| panic!("server {} is down", self.id))
    }

    /// Whether its tree has a znode at `path`.
    #[must_use]
    pub fn has_znode(&self, path: &str) -> bool {
        self.node().tree().node(path).is_some()
    }

    /// What its disk holds durably.
    #[must_use]
    pub fn durable(&'a self) -> &'a Durable {
        &self.c.servers[&self.id].disk.durable
    }

    /// Its disk.
    pub fn disk(self) -> DiskRef<'a> {
        DiskRef {
            c: self.c,
            id: self.id,
        }
    }
}

/// A handle on one server's disk.
pub struct DiskRef<'a> {
    c: &'a mut Cluster,
    id: u64,
}

impl DiskRef<'_> {
    /// From now on nothing completes on its own: writes are issued but not durable.
    pub fn hold(self) {
        self.c.servers.get_mut(&self.id).expect("server").disk.held = true;
    }

    /// Lets pending and later operations complete on their own again.
    pub fn release(self) {
        self.c.servers.get_mut(&self.id).expect("server").disk.held = false;
    }

    /// Makes the oldest `n` pending operations durable now, in order, stepping the node with
    /// each completion (whether or not the disk is held).
    ///
    /// # Panics
    /// When fewer than `n` are pending.
    pub fn complete(self, n: usize) {
        for _ in 0..n {
            assert!(
                !self.c.servers[&self.id].disk.pending.is_empty(),
                "server {} has no pending disk operation",
                self.id
            );
            self.c.complete_disk_op(self.id);
        }
    }

    /// The operations issued and not yet durable, oldest first.
    #[must_use]
    pub fn pending(&self) -> Vec<DiskOp> {
        self.c.pending_disk(self.id)
    }
}

/// A handle on the link from one server to another.
pub struct LinkRef<'a> {
    pub(super) c: &'a mut Cluster,
    pub(super) from: u64,
    pub(super) to: u64,
}

impl LinkRef<'_> {
    fn link(&mut self) -> &mut super::io::Link {
        self.c.links.get_mut(&(self.from, self.to)).expect("link")
    }

    /// Delays every message (in flight or sent later) until `release`.
    pub fn hold(mut self) {
        self.link().held = true;
    }

    /// Delivers held messages in order, and later ones normally.
    pub fn release(mut self) {
        self.link().held = false;
    }

    /// Loses every message in flight (a broken connection).
    pub fn drop_all(mut self) {
        self.link().queue.clear();
    }

    /// Loses every message in flight and every message sent until `heal`.
    pub fn cut(mut self) {
        let link = self.link();
        link.cut = true;
        link.queue.clear();
    }

    /// Undoes `cut`.
    pub fn heal(mut self) {
        self.link().cut = false;
    }
}

impl Cluster {
    /// The ZAB messages in flight from `from` to `to`, oldest first.
    #[must_use]
    pub fn in_flight(&self, from: u64, to: u64) -> Vec<ZabMsg> {
        zab_only(self.links[&(from, to)].queue.iter().map(|(_, m)| m))
    }

    /// Every ZAB message ever sent from `from` to `to`, oldest first.
    #[must_use]
    pub fn sent(&self, from: u64, to: u64) -> Vec<ZabMsg> {
        zab_only(self.links[&(from, to)].sent.iter())
    }

    /// The disk operations of server `id` issued and not yet durable, oldest first.
    #[must_use]
    pub fn pending_disk(&self, id: u64) -> Vec<DiskOp> {
        let disk = &self.servers[&id].disk;
        disk.pending.iter().map(|(_, op)| op.clone()).collect()
    }

    /// What server `id` holds durably (also while it is down).
    #[must_use]
    pub fn durable(&self, id: u64) -> &Durable {
        &self.servers[&id].disk.durable
    }

    /// Whether running server `id` has a znode at `path` in its tree.
    ///
    /// # Panics
    /// When it is down.
    #[must_use]
    pub fn has_znode(&self, id: u64, path: &str) -> bool {
        let node = self.servers[&id].node.as_ref().expect("running");
        node.tree().node(path).is_some()
    }
}

fn zab_only<'m>(msgs: impl Iterator<Item = &'m PeerMsg>) -> Vec<ZabMsg> {
    msgs.filter_map(|m| match m {
        PeerMsg::Zab(z) => Some(z.clone()),
        _ => None,
    })
    .collect()
}
