//! What the shell tells the node. A node's whole life is a list of `(now, Input)`.

use bytes::Bytes;

use crate::ids::{ConnId, ServerId, Zxid};
use crate::node::PeerMsg;

/// One event for [`crate::node::Node::step`].
#[derive(Clone, Debug, PartialEq)]
pub enum Input {
    /// A client connected. `peer_ip` is its address as text (`127.0.0.1`, `::1`), which becomes
    /// the connection's `ip` auth id.
    ConnOpened {
        /// The new connection.
        conn: ConnId,
        /// The peer's IP address, if known.
        peer_ip: Option<String>,
    },
    /// One complete client frame: the payload after the 4-byte length. The shell enforces the
    /// frame-size limit and closes the connection on a bad length itself.
    Client {
        /// Where it came from.
        conn: ConnId,
        /// The frame payload.
        frame: Bytes,
    },
    /// The client's socket closed (or the shell closed it). The session lives on until it
    /// expires or is resumed elsewhere.
    ConnClosed {
        /// The connection that is gone.
        conn: ConnId,
    },
    /// Every txn up to and including `upto` that the node asked to persist is now durable
    /// (written and fsynced). Only now may those txns be applied and acknowledged.
    Persisted {
        /// The highest durable zxid.
        upto: Zxid,
    },
    /// Time passed; the node checks its timers. Early or repeated ticks are harmless.
    Tick,
    /// A message from another server of the ensemble.
    Peer {
        /// The sender.
        from: ServerId,
        /// The message.
        msg: PeerMsg,
    },
    /// The connection to a peer broke (or a send to it failed): messages sent on it after some
    /// point were lost. Like Java's learner handler dying with its socket, the leader forgets
    /// that learner and a learner gives up on that leader; both resynchronize from scratch.
    PeerDisconnected {
        /// The peer.
        peer: ServerId,
    },
    /// The epochs asked for by `Output::SaveEpoch` are durable.
    EpochSaved {
        /// The accepted epoch now on disk.
        accepted_epoch: u32,
        /// The current epoch now on disk.
        current_epoch: u32,
    },
    /// The truncation asked for by `Output::Truncate` is durable.
    Truncated {
        /// The last zxid kept.
        after: Zxid,
    },
    /// The snapshot of `Output::InstallSnapshot` is durable and the log holds nothing after it.
    SnapshotInstalled {
        /// Its zxid.
        zxid: Zxid,
    },
}
