//! What the node asks the shell to do. Every effect is an output; the shell executes them in
//! the order they were polled, keeping order per connection and on the disk queue.

use crate::ids::{ConnId, ServerId, Zxid};
use crate::node::PeerMsg;
use crate::proto::{ConnectResponse, ReplyHeader, Response, WatcherEvent};
use crate::txn::Txn;

/// Why the node closes a connection (for logs and metrics; nothing is sent to the client).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CloseReason {
    /// The connection's bytes did not parse as the protocol.
    Malformed,
    /// An unknown opcode (or `check` outside multi): answered UNIMPLEMENTED, then closed.
    Unimplemented,
    /// The client's last seen zxid is ahead of this server: it must try another server.
    ZxidAhead,
    /// The session it asked to resume is unknown, expired, or the password was wrong.
    InvalidSession,
    /// The session moved to another connection.
    SessionMoved,
    /// The client closed its session.
    SessionClosed,
    /// The session expired.
    SessionExpired,
    /// An auth (or sasl) packet failed.
    AuthFailed,
    /// The node refused a new session (table full).
    Overloaded,
    /// The server is not serving clients (electing, or syncing with a leader).
    NotServing,
}

/// One effect.
#[derive(Clone, Debug, PartialEq)]
pub enum Output {
    /// Send the handshake reply (a bare ConnectResponse frame, no reply header). For an
    /// invalid session it is followed by `CloseConn`.
    Handshake {
        /// To whom.
        conn: ConnId,
        /// The reply.
        response: ConnectResponse,
    },
    /// Send a reply frame: the header, and the body when `header.err == 0`.
    Reply {
        /// To whom.
        conn: ConnId,
        /// xid, zxid, err.
        header: ReplyHeader,
        /// The body.
        body: Response,
    },
    /// Send a watch notification (xid -1).
    Notify {
        /// To whom.
        conn: ConnId,
        /// The zxid in the notification's header.
        zxid: i64,
        /// The event.
        event: WatcherEvent,
    },
    /// Append these txns to the log and fsync; then step `Input::Persisted{upto: last zxid}`.
    /// Nothing in them may be acknowledged before that. Batches never overlap.
    Persist {
        /// Txns in zxid order.
        txns: Vec<Txn>,
    },
    /// Write a snapshot of the state at exactly `zxid` (encoded with `node::encode_snapshot`) in the
    /// background. Recovery may use it once it is completely written and synced; txns up to
    /// `zxid` stay in the log until then.
    TakeSnapshot {
        /// The zxid the snapshot is exact at.
        zxid: Zxid,
        /// The tree at exactly `zxid`: a structurally shared copy, cheap to make; encode it with
        /// `node::encode_snapshot` on another thread.
        tree: Box<crate::tree::DataTree>,
        /// The live sessions at `zxid`, with their timeouts.
        sessions: Vec<(crate::ids::SessionId, i32)>,
    },
    /// Send a message to another server over its FIFO link (dropped if the link is down).
    Send {
        /// The peer.
        to: ServerId,
        /// The message.
        msg: PeerMsg,
    },
    /// Write both epochs atomically (write, fsync, rename, fsync dir) after every earlier disk
    /// output; then step `Input::EpochSaved`. The node acts on the epochs only after that.
    SaveEpoch {
        /// The accepted epoch.
        accepted_epoch: u32,
        /// The current epoch.
        current_epoch: u32,
    },
    /// Durably remove every log record after `after` (after every earlier disk output); then
    /// step `Input::Truncated`. Never covers a committed txn.
    Truncate {
        /// The last zxid to keep.
        after: Zxid,
    },
    /// Durably write this state as a snapshot at `zxid` and drop every log record (after every
    /// earlier disk output); then step `Input::SnapshotInstalled`. Recovery must then start from
    /// it (a learner's SNAP sync).
    InstallSnapshot {
        /// The zxid it is exact at.
        zxid: Zxid,
        /// The tree.
        tree: Box<crate::tree::DataTree>,
        /// The live sessions with their timeouts.
        sessions: Vec<(crate::ids::SessionId, i32)>,
    },
    /// Close the connection after writing everything emitted for it before. The node has
    /// already forgotten it; the shell must not step `ConnClosed` for it.
    CloseConn {
        /// Which.
        conn: ConnId,
        /// Why.
        why: CloseReason,
    },
}
