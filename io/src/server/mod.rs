//! The client-facing shell of a standalone server (DESIGN.md §5, STYLE.md §2).
//!
//! One task owns the core [`Node`] and is the only caller of `step`. Each connection has a
//! reader task (jute framing, the frame-size limit, four-letter words, the handshake timeout)
//! and a writer task (replies and notifications written in batches). The disk thread appends
//! and fsyncs each `Persist` batch and answers with `Persisted`; the snapshot thread writes
//! snapshots without stalling requests. Everything talks through bounded channels.
//!
//! Exit codes of a server process (documented in the README): 0 clean shutdown, 2 bad
//! configuration, 3 a failed write or fsync of the log (never retried), 4 a log or snapshot that
//! fails its checks at startup, 5 the client port cannot be bound.

mod conn;
mod disk;
mod metrics_http;
mod node_task;
mod park;
mod report;
mod stats;

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::mpsc;
use zoorepl_core::ids::Zxid;
use zoorepl_core::node::Node;

pub use disk::{Disk, DiskError, SnapshotSink};
pub use stats::{ServerStats, StartupFigures};

/// Exit code when the log cannot be written or synced.
pub const EXIT_STORAGE_FAILURE: i32 = 3;

/// Settings of the client listener.
#[derive(Clone, Debug)]
pub struct ServerOptions {
    /// Most connections from one IP address; 0 = unlimited (`maxClientCnxns`).
    pub max_client_cnxns_per_ip: usize,
    /// Largest accepted frame payload (`jute.maxbuffer`).
    pub max_frame_len: usize,
    /// How long a new connection may take to send its ConnectRequest.
    pub handshake_timeout: Duration,
    /// Four-letter words allowed (`4lw.commands.whitelist`).
    pub four_letter_whitelist: crate::fourlw::Whitelist,
    /// What `conf` prints.
    pub conf: crate::fourlw::ConfValues,
    /// Sees every step of the node (the madsim tests' checkers); `None` in a server.
    pub observer: Option<Observer>,
    /// How long recovery took (`mntr`'s startup figures).
    pub startup: StartupFigures,
}

/// Watches a server's node from inside its task: each output as it is carried out, and the
/// node after each step. It runs on the node task, so it must be quick.
pub trait StepObserver: Send + Sync {
    /// The node emitted `output` (called before the shell carries it out).
    fn output(&self, node: &Node, output: &zoorepl_core::output::Output);
    /// The node finished a step (its outputs were all carried out).
    fn stepped(&self, node: &Node);
}

/// A shared [`StepObserver`].
#[derive(Clone)]
pub struct Observer(pub Arc<dyn StepObserver>);

impl std::fmt::Debug for Observer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Observer")
    }
}

impl Default for ServerOptions {
    fn default() -> Self {
        Self {
            max_client_cnxns_per_ip: 60,
            max_frame_len: zoorepl_core::proto::MAX_FRAME_LEN,
            handshake_timeout: Duration::from_secs(10),
            four_letter_whitelist: crate::fourlw::Whitelist::parse("srvr").0,
            conf: crate::fourlw::ConfValues::default(),
            observer: None,
            startup: StartupFigures::default(),
        }
    }
}

/// The peer side of an ensemble member: its listeners and whom it talks to.
#[derive(Debug)]
pub struct Peers {
    /// The members and the transport's limits.
    pub transport: crate::peer::TransportConfig,
    /// Bound to this server's election port.
    pub election: TcpListener,
    /// Bound to this server's quorum port.
    pub quorum: TcpListener,
}

/// Capacity of the channel into the node task.
const EVENTS_MAX: usize = 4096;

/// Connections per client IP, shared by the accept loop and the connection tasks.
type PerIp = Arc<Mutex<BTreeMap<IpAddr, usize>>>;

/// What a server is made of: the node, its disk, its listeners.
pub struct Parts {
    /// The client listener.
    pub listener: TcpListener,
    /// The Prometheus endpoint's listener, if any.
    pub metrics: Option<TcpListener>,
    /// The recovered node.
    pub node: Node,
    /// Where the log (and an ensemble member's epochs) go.
    pub disk: Box<dyn Disk>,
    /// Where snapshots go.
    pub snapshots: Box<dyn SnapshotSink>,
    /// The client listener's settings.
    pub options: ServerOptions,
    /// The peer side, for an ensemble member (`None` standalone).
    pub peers: Option<Peers>,
}

/// Serves clients (and, for an ensemble member, its peers) until `shutdown` completes.
///
/// # Errors
/// When accepting fails for a reason other than a transient per-connection error.
pub async fn serve(
    parts: Parts,
    shutdown: impl std::future::Future<Output = ()> + Send,
) -> std::io::Result<()> {
    let Parts {
        listener,
        metrics,
        node,
        disk,
        snapshots,
        options,
        peers,
    } = parts;
    let (events_tx, events_rx) = mpsc::channel(EVENTS_MAX);
    let disk_tx = disk::spawn_disk_thread(disk, events_tx.clone());
    let snapshot_tx = disk::spawn_snapshot_thread(snapshots, events_tx.clone());
    let stats = ServerStats::new(options.startup);
    let transport = peers.map(|p| {
        crate::peer::Transport::start(p.transport, p.election, p.quorum, events_tx.clone())
    });
    let mut task = node_task::NodeTask::new(node, disk_tx, snapshot_tx, stats, options.clone());
    task.peers = transport;
    let node_handle = tokio::spawn(task.run(events_rx));
    let metrics_handle = metrics.map(|m| tokio::spawn(metrics_http::serve(m, events_tx.clone())));
    let per_ip: PerIp = Arc::default();
    let mut next_conn = 1u64;
    tokio::pin!(shutdown);
    loop {
        // Biased (branches in order), here and in every select of the shells: tokio's random
        // pick draws from a thread-local generator, which would make a madsim seed depend on
        // the seeds run before it in the same thread.
        tokio::select! {
            biased;
            () = &mut shutdown => break,
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(ok) => ok,
                    Err(e) if is_transient(&e) => {
                        tracing::warn!("accept failed: {e}");
                        continue;
                    }
                    Err(e) => return Err(e),
                };
                if !admit(&per_ip, peer, options.max_client_cnxns_per_ip) {
                    tracing::warn!("too many connections from {}; refused", peer.ip());
                    let _ = events_tx.try_send(Event::Rejected);
                    continue;
                }
                let conn = zoorepl_core::ids::ConnId(next_conn);
                next_conn += 1;
                conn::spawn(stream, peer, conn, events_tx.clone(), options.clone(), per_ip.clone());
            }
        }
    }
    drop(events_tx);
    node_handle.abort();
    if let Some(h) = metrics_handle {
        h.abort();
    }
    Ok(())
}

fn is_transient(e: &std::io::Error) -> bool {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionReset, Interrupted, WouldBlock};
    matches!(
        e.kind(),
        ConnectionAborted | ConnectionReset | Interrupted | WouldBlock
    ) || e.raw_os_error() == Some(24)
}

fn admit(per_ip: &PerIp, peer: SocketAddr, max: usize) -> bool {
    let mut map = per_ip.lock().expect("per-ip map is never poisoned");
    let count = map.entry(peer.ip()).or_insert(0);
    if max != 0 && *count >= max {
        return false;
    }
    *count += 1;
    true
}

/// What the connection tasks and the disk thread tell the node task.
#[derive(Debug)]
enum Event {
    Opened {
        conn: zoorepl_core::ids::ConnId,
        peer: SocketAddr,
        writer: conn::WriterTx,
    },
    Frame {
        conn: zoorepl_core::ids::ConnId,
        frame: bytes::Bytes,
    },
    Closed {
        conn: zoorepl_core::ids::ConnId,
    },
    Persisted {
        upto: Zxid,
        /// Txns in the batch.
        txns: u64,
        /// The append and fsync, ms.
        took_ms: u64,
    },
    /// The snapshot thread wrote a snapshot.
    SnapshotWritten {
        took_ms: u64,
    },
    /// A connection was refused by `maxClientCnxns`.
    Rejected,
    EpochSaved {
        accepted: u32,
        current: u32,
    },
    Truncated {
        after: Zxid,
    },
    SnapshotInstalled {
        zxid: Zxid,
    },
    FourLetter {
        cmd: crate::fourlw::FourLetter,
        /// The address that sent it: Java counts and lists that connection too.
        peer: std::net::SocketAddr,
        reply: tokio::sync::oneshot::Sender<String>,
    },
    Metrics {
        reply: tokio::sync::oneshot::Sender<String>,
    },
    Peer(crate::peer::PeerEvent),
}

impl From<crate::peer::PeerEvent> for Event {
    fn from(e: crate::peer::PeerEvent) -> Self {
        Self::Peer(e)
    }
}
