//! The scripted world's links and disks, and how a node's outputs reach them.

use std::collections::VecDeque;

use zoorepl_core::ids::{SessionId, Zxid};
use zoorepl_core::input::Input;
use zoorepl_core::node::{PeerMsg, Recovered};
use zoorepl_core::output::Output;
use zoorepl_core::tree::DataTree;
use zoorepl_core::txn::Txn;

use super::{Cluster, LATENCY_MS};

/// What a server has durably: what a restart recovers from.
#[derive(Clone, Debug, Default)]
pub struct Durable {
    /// The log after the snapshot, in zxid order.
    pub log: Vec<Txn>,
    /// (accepted epoch, current epoch).
    pub epochs: (u32, u32),
    /// The snapshot installed by a SNAP sync, with its sessions.
    pub snapshot: Option<(DataTree, Vec<(SessionId, i32)>)>,
}

impl Durable {
    /// The zxid of the installed snapshot (zero without one).
    #[must_use]
    pub fn snapshot_zxid(&self) -> Zxid {
        self.snapshot
            .as_ref()
            .map_or(Zxid::ZERO, |(tree, _)| tree.last_applied())
    }

    /// The last zxid in the durable log (or the snapshot's).
    #[must_use]
    pub fn last_logged(&self) -> Zxid {
        self.log
            .last()
            .map_or_else(|| self.snapshot_zxid(), |t| t.zxid)
    }

    /// Whether the durable log holds `zxid`.
    #[must_use]
    pub fn has(&self, zxid: Zxid) -> bool {
        self.log.iter().any(|t| t.zxid == zxid)
    }

    pub(super) fn recovered(&self) -> Recovered {
        let (tree, sessions) = self.snapshot.clone().unwrap_or_default();
        Recovered {
            tree,
            sessions,
            log: self.log.clone(),
            accepted_epoch: self.epochs.0,
            current_epoch: self.epochs.1,
        }
    }
}

/// A disk operation issued by a node and not yet durable.
#[derive(Clone, Debug)]
pub enum DiskOp {
    /// Append these txns.
    Persist(Vec<Txn>),
    /// Write both epochs.
    SaveEpoch(u32, u32),
    /// Cut the log after this zxid.
    Truncate(Zxid),
    /// Replace everything with this snapshot.
    Install(Box<DataTree>, Vec<(SessionId, i32)>),
}

/// A server's disk: what is durable, and the operations in flight, oldest first.
#[derive(Debug, Default)]
pub(super) struct Disk {
    pub(super) durable: Durable,
    pub(super) pending: VecDeque<(u64, DiskOp)>,
    /// While held, nothing pending completes on its own.
    pub(super) held: bool,
}

/// A FIFO link from one server to another.
#[derive(Debug, Default)]
pub(super) struct Link {
    /// Messages in flight with the time they arrive.
    pub(super) queue: VecDeque<(u64, PeerMsg)>,
    /// While held, nothing is delivered (messages keep queueing).
    pub(super) held: bool,
    /// While cut, messages sent are lost.
    pub(super) cut: bool,
    /// Every message ever sent on it (whether delivered or not).
    pub(super) sent: Vec<PeerMsg>,
}

impl Cluster {
    /// Executes every output server `id` has.
    pub(super) fn drain(&mut self, id: u64) {
        loop {
            let Some(node) = self.servers.get_mut(&id).and_then(|s| s.node.as_mut()) else {
                return;
            };
            let Some(out) = node.poll_output() else {
                return;
            };
            if self.trace && !matches!(out, Output::Reply { .. } | Output::Handshake { .. }) {
                eprintln!("{} {id} -> {out:?}", self.now);
            }
            self.execute(id, out);
        }
    }

    fn execute(&mut self, id: u64, out: Output) {
        let at = self.now + LATENCY_MS;
        let op = match out {
            Output::Send { to, msg } => {
                let link = self.links.get_mut(&(id, to.0)).expect("a link to a member");
                link.sent.push(msg.clone());
                if !link.cut {
                    link.queue.push_back((at, msg));
                }
                return;
            }
            Output::Persist { txns } => DiskOp::Persist(txns),
            Output::SaveEpoch {
                accepted_epoch,
                current_epoch,
            } => DiskOp::SaveEpoch(accepted_epoch, current_epoch),
            Output::Truncate { after } => DiskOp::Truncate(after),
            Output::InstallSnapshot { tree, sessions, .. } => DiskOp::Install(tree, sessions),
            Output::TakeSnapshot { .. } | Output::Notify { .. } => return,
            client_output => {
                self.client_output(client_output);
                return;
            }
        };
        let disk = &mut self.servers.get_mut(&id).expect("server").disk;
        disk.pending.push_back((at, op));
    }

    /// Makes the oldest pending operation of server `id` durable and tells the node.
    pub(super) fn complete_disk_op(&mut self, id: u64) {
        let s = self.servers.get_mut(&id).expect("server");
        let Some((_, op)) = s.disk.pending.pop_front() else {
            return;
        };
        let durable = &mut s.disk.durable;
        let input = match op {
            DiskOp::Persist(txns) => {
                let upto = txns.last().expect("a non-empty batch").zxid;
                for txn in &txns {
                    let first = self.logged.entry(txn.zxid).or_insert_with(|| txn.clone());
                    assert_eq!(first, txn, "server {id} logs a second txn at {}", txn.zxid);
                }
                durable.log.extend(txns);
                Input::Persisted { upto }
            }
            DiskOp::SaveEpoch(accepted_epoch, current_epoch) => {
                durable.epochs = (accepted_epoch, current_epoch);
                Input::EpochSaved {
                    accepted_epoch,
                    current_epoch,
                }
            }
            DiskOp::Truncate(after) => {
                durable.log.retain(|t| t.zxid <= after);
                Input::Truncated { after }
            }
            DiskOp::Install(tree, sessions) => {
                let zxid = tree.last_applied();
                durable.snapshot = Some((*tree, sessions));
                durable.log.clear();
                Input::SnapshotInstalled { zxid }
            }
        };
        self.input(id, input);
    }
}
