//! The TCP transport between the servers of an ensemble (DESIGN.md §3.3, §5).
//!
//! The node task hands every `Output::Send` to [`Transport::send`] and feeds each
//! [`PeerEvent`] back to the core as `Input::Peer` or `Input::PeerDisconnected`.
//!
//! Each pair of servers has two kinds of connection:
//! - **Election** (the election ports) carries `PeerMsg::Election` only. The higher id dials
//!   the lower id and keeps redialing with backoff whenever the connection is down; the lower
//!   id never dials, and drops votes for a peer it has no connection to (the core resends
//!   votes). A newer connection from a peer replaces the older. Its ends are not reported.
//! - **Quorum** (the quorum ports) carries everything else, FIFO. `send` to a peer without a
//!   quorum link dials one and queues until it connects; an accepted connection becomes the
//!   peer's link too (a learner dials its leader and the leader answers on that connection).
//!   A newer link replaces the older. Every quorum link that ends (replaced, read or write
//!   error, end of stream, failed connect, full queue, bad input) is reported once as
//!   [`PeerEvent::Disconnected`], after its last message and before the next link's first.
//!   If two servers dial each other at once, each keeps the newer of the two links and drops
//!   the other, so both may see a disconnect; in ZAB only learners dial, and the leader
//!   answers on the learner's connection.
//!
//! Events go to the node task's bounded channel; a reader waits for room (backpressure).
//!
//! Layout: `wire` (the hello and the frames), `snap` (a SNAP image streamed as tree chunks),
//! `table` (the current link per peer), `link` (a connection's reader and writer), `dial` and
//! `listen` (connections out and in), `tasks` (what shutdown stops).
//!
//! Only tokio's net, time, sync and task APIs are used, so the simulator can substitute them.

mod dial;
mod link;
mod listen;
mod snap;
mod table;
mod tasks;
mod wire;

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::mpsc;
use zoorepl_core::ids::ServerId;
use zoorepl_core::node::PeerMsg;

pub use listen::PENDING_HELLOS_MAX;
use table::{LinkTable, Queued};
use tasks::TaskSet;
use wire::LinkKind;
pub use wire::PROTOCOL_VERSION;

/// Where another member of the ensemble listens (`server.N=host:quorumPort:electionPort`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PeerSpec {
    /// Host name or address.
    pub host: String,
    /// Port of quorum (ZAB) connections.
    pub quorum_port: u16,
    /// Port of election connections.
    pub election_port: u16,
}

/// Settings of a [`Transport`].
#[derive(Clone, Debug)]
pub struct TransportConfig {
    /// This server.
    pub my_id: ServerId,
    /// Every other member (never this server).
    pub peers: BTreeMap<ServerId, PeerSpec>,
    /// Longest pause between election dial attempts (they start at 50 ms and double).
    pub connect_backoff_max: Duration,
    /// How long a dial may take before it counts as failed.
    pub connect_timeout: Duration,
    /// How long an accepted connection may take to send its hello.
    pub handshake_timeout: Duration,
    /// Largest frame payload; a larger length prefix is bad input.
    pub max_frame_len: usize,
    /// Bytes of encoded tree per snapshot chunk frame: whole nodes, as many as fit (a chunk is
    /// longer only when it holds one node that is); capped below `max_frame_len`.
    pub snapshot_chunk_len: usize,
    /// Largest snapshot accepted from a peer: the sum of its chunks' bytes. A stream that goes
    /// past it ends the connection.
    pub max_snapshot_len: u64,
    /// Messages queued per link; an overflow breaks the link.
    pub queue_max: usize,
}

impl TransportConfig {
    /// The defaults: 1 s backoff cap, 5 s connect and hello timeouts, 16 MiB frames, 1 MiB
    /// snapshot chunks, 4 GiB snapshots, 10,000 queued messages per link.
    #[must_use]
    pub const fn new(my_id: ServerId, peers: BTreeMap<ServerId, PeerSpec>) -> Self {
        Self {
            my_id,
            peers,
            connect_backoff_max: Duration::from_secs(1),
            connect_timeout: Duration::from_secs(5),
            handshake_timeout: Duration::from_secs(5),
            max_frame_len: 16 * 1024 * 1024,
            snapshot_chunk_len: 1024 * 1024,
            max_snapshot_len: 4 * 1024 * 1024 * 1024,
            queue_max: 10_000,
        }
    }
}

/// What the transport tells the node task.
#[derive(Clone, Debug, PartialEq)]
pub enum PeerEvent {
    /// A message from `from` (feed it as `Input::Peer`).
    Message {
        /// The sender.
        from: ServerId,
        /// The message.
        msg: PeerMsg,
    },
    /// The quorum link with `peer` ended (feed it as `Input::PeerDisconnected`). Reported once
    /// per link; the next `send` to `peer` dials a new one.
    Disconnected {
        /// The peer.
        peer: ServerId,
    },
}

type EventFuture = Pin<Box<dyn Future<Output = bool> + Send>>;

/// The node task's event channel, whatever its item type.
#[derive(Clone)]
struct Events(Arc<dyn Fn(PeerEvent) -> EventFuture + Send + Sync>);

impl Events {
    fn new<E: From<PeerEvent> + Send + 'static>(tx: mpsc::Sender<E>) -> Self {
        Self(Arc::new(move |event| {
            let tx = tx.clone();
            Box::pin(async move { tx.send(E::from(event)).await.is_ok() })
        }))
    }

    /// Sends an event, waiting for room; false once the receiver is gone.
    async fn send(&self, event: PeerEvent) -> bool {
        (self.0)(event).await
    }
}

/// The link tables of both kinds.
#[derive(Default)]
struct Links {
    election: LinkTable,
    quorum: LinkTable,
}

impl Links {
    const fn table(&self, kind: LinkKind) -> &LinkTable {
        match kind {
            LinkKind::Election => &self.election,
            LinkKind::Quorum => &self.quorum,
        }
    }
}

/// What every task of a transport shares.
struct Shared {
    cfg: TransportConfig,
    links: Links,
    events: Events,
    tasks: Arc<TaskSet>,
}

/// The peer transport of one server: its accept loops, dialers and links.
pub struct Transport {
    shared: Arc<Shared>,
}

impl Transport {
    /// Spawns the accept loops and the election dialers on the current tokio runtime.
    ///
    /// # Panics
    /// When called outside a tokio runtime.
    pub fn start<E: From<PeerEvent> + Send + 'static>(
        cfg: TransportConfig,
        election: TcpListener,
        quorum: TcpListener,
        events: mpsc::Sender<E>,
    ) -> Self {
        let shared = Arc::new(Shared {
            cfg,
            links: Links::default(),
            events: Events::new(events),
            tasks: Arc::new(TaskSet::default()),
        });
        let tasks = &shared.tasks;
        tasks.spawn(listen::accept_loop(
            Arc::clone(&shared),
            election,
            LinkKind::Election,
        ));
        tasks.spawn(listen::accept_loop(
            Arc::clone(&shared),
            quorum,
            LinkKind::Quorum,
        ));
        let lower = shared.cfg.peers.range(..shared.cfg.my_id);
        for &peer in lower.map(|(id, _)| id) {
            tasks.spawn(dial::election(Arc::clone(&shared), peer));
        }
        tracing::info!(
            me = shared.cfg.my_id.0,
            peers = shared.cfg.peers.len(),
            "peer transport started"
        );
        Self { shared }
    }

    /// Queues `msg` for `to`. Never blocks and never fails: a vote with no election connection
    /// is held (only the newest) for the next one, a quorum message with no link starts a dial, and a full queue breaks the
    /// link (a quorum link's end is reported as [`PeerEvent::Disconnected`]).
    ///
    /// # Panics
    /// When called outside the tokio runtime (it may spawn a dial task); the node task that
    /// calls it runs inside.
    pub fn send(&mut self, to: ServerId, msg: PeerMsg) {
        if to == self.shared.cfg.my_id || !self.shared.cfg.peers.contains_key(&to) {
            tracing::warn!(to = to.0, "message for a server that is not a peer dropped");
            return;
        }
        let shared = &self.shared;
        let (kind, dial_queue_max) = match msg {
            // The lower id never dials an election connection; the higher id's dialer does.
            PeerMsg::Election(_) => (LinkKind::Election, None),
            _ => (LinkKind::Quorum, Some(shared.cfg.queue_max)),
        };
        match shared.links.table(kind).send(to, msg, dial_queue_max) {
            Queued::Yes => {}
            Queued::Held => tracing::trace!(to = to.0, "vote held until the election link is up"),
            Queued::Dial(reg, queue) => {
                let dial = dial::quorum(Arc::clone(shared), to, reg, queue);
                shared.tasks.spawn(dial);
            }
            Queued::Broke => {
                tracing::info!(to = to.0, kind = ?kind, "peer queue full: dropping the link");
            }
        }
    }

    /// Stops every task and closes every connection (also done on drop).
    pub fn shutdown(self) {
        drop(self);
    }

    fn stop(&self) {
        self.shared.tasks.shutdown();
        self.shared.links.election.clear();
        self.shared.links.quorum.clear();
        tracing::info!(me = self.shared.cfg.my_id.0, "peer transport stopped");
    }
}

impl Drop for Transport {
    fn drop(&mut self) {
        self.stop();
    }
}
