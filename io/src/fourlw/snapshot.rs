//! The plain data the server shell collects for one four-letter word or metrics scrape.

use std::net::SocketAddr;

use zoorepl_core::ids::{ServerId, SessionId, Zxid};

/// The server's role as `srvr` prints it after `Mode: `.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ServerMode {
    /// A server running alone.
    #[default]
    Standalone,
    /// The ensemble's leader.
    Leader,
    /// A voting follower.
    Follower,
    /// A non-voting observer.
    Observer,
    /// A server cut off from its quorum, serving read-only clients.
    ReadOnly,
}

impl ServerMode {
    /// Java's `ServerStats.getServerState()` word.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Standalone => "standalone",
            Self::Leader => "leader",
            Self::Follower => "follower",
            Self::Observer => "observer",
            Self::ReadOnly => "read-only",
        }
    }
}

/// Request latency since the last `srst`, ms (Java's `AvgMinMaxCounter`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Latency {
    /// Smallest latency seen (0 when none).
    pub min_ms: u64,
    /// Largest latency seen.
    pub max_ms: u64,
    /// Sum of all latencies.
    pub total_ms: u64,
    /// Number of requests measured.
    pub count: u64,
}

impl Latency {
    /// The average as Java computes it: the double `total / count` rounded half-up to 4 decimals.
    #[must_use]
    pub fn avg_ms(&self) -> f64 {
        super::javafmt::java_average(self.total_ms, self.count)
    }
}

/// The session part of a connection's `cons` line (absent until the handshake completes).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SessionDetails {
    /// The session on this connection.
    pub session_id: SessionId,
    /// Short name of the last operation (`GETD`, `SETD`, `PING`, `NA`, ...).
    pub last_op: String,
    /// When the connection was established, ms since the Unix epoch.
    pub established_ms: i64,
    /// Negotiated session timeout, ms.
    pub timeout_ms: i32,
    /// Last cxid (xid) seen; negative values are not printed (as in Java).
    pub last_cxid: i64,
    /// Last zxid sent to the client.
    pub last_zxid: Zxid,
    /// When the last response was sent, on the shell's monotonic ms clock (Java's `lresp`).
    pub last_response_ms: i64,
    /// Latency of the last request, ms.
    pub last_latency_ms: u64,
    /// Minimum request latency on this connection, ms.
    pub min_latency_ms: u64,
    /// Average request latency on this connection, ms (Java truncates to an integer).
    pub avg_latency_ms: u64,
    /// Maximum request latency on this connection, ms.
    pub max_latency_ms: u64,
}

/// One open client connection, including the four-letter-word connection itself (Java lists it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConnectionInfo {
    /// The client's address.
    pub remote: SocketAddr,
    /// Selector interest ops (1 = read, 4 = write), printed in hex.
    pub interest_ops: u32,
    /// Requests received and not yet answered.
    pub queued: u64,
    /// Packets received.
    pub received: u64,
    /// Packets sent.
    pub sent: u64,
    /// The session, once established.
    pub session: Option<SessionDetails>,
    /// When the connection expires if idle, ms since the Unix epoch (for `dump`).
    pub expires_at_ms: i64,
}

/// Data watch counts (`wchs`; Java's `WatchManager.toString`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WatchSummary {
    /// Connections (sessions) holding at least one data watch.
    pub connections: u64,
    /// Paths with at least one data watch.
    pub paths: u64,
    /// Data watches in total (one per session and path).
    pub total: u64,
}

/// A session's place in the expiry queue (for `dump`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SessionExpiry {
    /// The session.
    pub session_id: SessionId,
    /// Its expiry time, rounded to the tick as the tracker keeps it, ms since the Unix epoch.
    pub expires_at_ms: i64,
}

/// `conf` values (Java's `ZooKeeperServer.dumpConf`, standalone part).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfValues {
    /// `clientPort` (-1 when none).
    pub client_port: i32,
    /// `secureClientPort` (-1: zoorepl has no TLS port).
    pub secure_client_port: i32,
    /// Snapshot directory, absolute.
    pub data_dir: String,
    /// Transaction log directory, absolute.
    pub data_log_dir: String,
    /// `tickTime`, ms.
    pub tick_ms: u32,
    /// `maxClientCnxns`.
    pub max_client_cnxns: u32,
    /// Effective minimum session timeout, ms.
    pub min_session_timeout_ms: i32,
    /// Effective maximum session timeout, ms.
    pub max_session_timeout_ms: i32,
    /// `clientPortListenBacklog`.
    pub client_port_listen_backlog: i32,
    /// This server's id (0 standalone).
    pub server_id: ServerId,
}

impl Default for ConfValues {
    fn default() -> Self {
        Self {
            client_port: -1,
            secure_client_port: -1,
            data_dir: String::new(),
            data_log_dir: String::new(),
            tick_ms: 2000,
            max_client_cnxns: 60,
            min_session_timeout_ms: 4000,
            max_session_timeout_ms: 40000,
            client_port_listen_backlog: -1,
            server_id: ServerId(0),
        }
    }
}

/// Everything any four-letter word or the metrics text prints. The shell fills the fields the
/// command reads; the rest may stay at their defaults (`Default` is a server not serving):
///
/// - every command but `ruok`, `envi`, `gtmk`, `stmk`: `serving`;
/// - `srvr`: `version`, `mode`, `latency`, `packets_*`, `num_alive_connections`,
///   `outstanding_requests`, `last_zxid`, `node_count`; `stat` adds `connections`;
/// - `cons`: `connections`; `dump`: `sessions`, `ephemerals`, `connections`;
/// - `wchs`: `data_watches`; `wchc`: `watches_by_session`; `wchp`: `watches_by_path`;
/// - `conf`: `conf`, `data_dir_size`, `log_dir_size`; `dirs`: the two sizes; `envi`: `environment`;
/// - `mntr` and [`super::render_metrics`]: the scalar fields (no lists);
/// - `gtmk`/`stmk`: `trace_mask`; `hash`: `digests`; `isro`: `mode`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ServerSnapshot {
    /// The full version line after `Zookeeper version: ` (see [`super::VERSION`]).
    pub version: String,
    /// False while the server does not serve (most commands then print Java's not-serving line).
    pub serving: bool,
    /// Role.
    pub mode: ServerMode,
    /// Request latency.
    pub latency: Latency,
    /// Packets received by the server (all connections).
    pub packets_received: u64,
    /// Packets sent.
    pub packets_sent: u64,
    /// Open client connections, counted (`Connections:`, `zk_num_alive_connections`).
    pub num_alive_connections: u64,
    /// Open client connections, listed (`stat`, `cons`, `dump`).
    pub connections: Vec<ConnectionInfo>,
    /// Requests queued in the server.
    pub outstanding_requests: u64,
    /// Last applied zxid.
    pub last_zxid: Zxid,
    /// Znodes in the tree.
    pub node_count: u64,
    /// Watches of every kind (`zk_watch_count`: data plus child watches).
    pub watch_count: u64,
    /// Data watch counts (`wchs`).
    pub data_watches: WatchSummary,
    /// Data watches by session, paths in the order to print (`wchc`).
    pub watches_by_session: Vec<(SessionId, Vec<String>)>,
    /// Data watches by path, sessions in the order to print (`wchp`).
    pub watches_by_path: Vec<(String, Vec<SessionId>)>,
    /// Ephemeral paths by owner session (`dump`).
    pub ephemerals: Vec<(SessionId, Vec<String>)>,
    /// Ephemeral znodes in total (`zk_ephemerals_count`).
    pub ephemerals_count: u64,
    /// The session expiry queue (`dump`).
    pub sessions: Vec<SessionExpiry>,
    /// Global sessions.
    pub global_sessions: u64,
    /// Local sessions.
    pub local_sessions: u64,
    /// `conf` values.
    pub conf: ConfValues,
    /// `envi` entries, in order.
    pub environment: Vec<(String, String)>,
    /// Time since the server started, ms.
    pub uptime_ms: u64,
    /// Sum of path and data lengths (Java's `approximateDataSize`).
    pub approximate_data_size: u64,
    /// Open file descriptors (0 when unknown).
    pub open_file_descriptors: u64,
    /// File descriptor limit (0 when unknown).
    pub max_file_descriptors: u64,
    /// Bytes in the snapshot directory.
    pub data_dir_size: u64,
    /// Bytes in the transaction log directory.
    pub log_dir_size: u64,
    /// Size of the last, smallest and largest response, bytes (-1 before the first, as Java).
    pub client_response_size: (i64, i64, i64),
    /// Plain counters `mntr` prints after the basic keys (`connection_rejected`, ...), in order.
    pub counters: Vec<(&'static str, u64)>,
    /// Summaries `mntr` prints as `avg_`/`min_`/`max_`/`cnt_`/`sum_` lines (`fsynctime`,
    /// `readlatency`, ...), in order.
    pub summaries: Vec<(&'static str, super::Summary)>,
    /// Failed authentications.
    pub auth_failed_count: u64,
    /// The trace mask (`gtmk`; after `stmk`, the mask just set).
    pub trace_mask: i64,
    /// Recent (zxid, tree digest) pairs, oldest first (`hash`).
    pub digests: Vec<(Zxid, i64)>,
    /// An ensemble member's protocol state (`None` standalone).
    pub quorum: Option<super::QuorumReport>,
}
