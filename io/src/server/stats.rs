//! Server statistics the shell keeps for four-letter words and metrics: packet and byte counts,
//! request latency (from a request's arrival to its reply, split into reads and updates as
//! Java's `readlatency` / `updatelatency`), fsync and snapshot times, and the startup figures.

use std::time::{Duration, Instant};

use zoorepl_core::proto::OpCode;

use crate::fourlw::Summary;

/// How long startup took, for `mntr`'s `dbinittime` and `startup_*` summaries (each recorded
/// once, as Java does at load).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StartupFigures {
    /// Whole recovery, ms (`dbinittime`).
    pub db_init_ms: u64,
    /// Reading and rebuilding the newest snapshot, ms (`startup_snap_load_time`).
    pub snap_load_ms: u64,
    /// Applying the logged txns after it, ms (`startup_txns_load_time`).
    pub txns_load_ms: u64,
    /// How many txns that was (`startup_txns_loaded`).
    pub txns_loaded: u64,
}

/// Counters of one server.
#[derive(Clone, Debug)]
pub struct ServerStats {
    /// When the server started serving.
    pub started: Instant,
    /// Frames received from clients (requests, pings, handshakes).
    pub packets_received: u64,
    /// Frames sent to clients (replies, notifications, handshakes).
    pub packets_sent: u64,
    /// Request latency, ms (what `srvr`, `mntr` and the metrics print as min/avg/max).
    pub latency: Summary,
    /// Latency of requests that change state (writes, session create/close), ms.
    pub update_latency: Summary,
    /// Latency of the rest (reads, pings), ms.
    pub read_latency: Summary,
    /// Bytes received from clients, frame headers included (`bytes_received_count`).
    pub bytes_received: u64,
    /// Session handshakes received (`connection_request_count`).
    pub connection_requests: u64,
    /// Connections refused by `maxClientCnxns` (`connection_rejected`).
    pub connections_rejected: u64,
    /// Size of the last, smallest and largest reply to a request, bytes; -1 before the first.
    pub response_size: (i64, i64, i64),
    /// Time of each log append + fsync, ms (`fsynctime`).
    pub fsync_time: Summary,
    /// Txns per fsync (`sync_processor_batch_size`).
    pub sync_batch_size: Summary,
    /// Time to write each snapshot, ms (`snapshottime`).
    pub snapshot_time: Summary,
    /// Snapshots written (`snap_count`).
    pub snap_count: u64,
    /// Startup, recorded once.
    pub startup: StartupFigures,
}

impl ServerStats {
    /// Fresh counters, with the startup figures.
    #[must_use]
    pub fn new(startup: StartupFigures) -> Self {
        Self {
            started: Instant::now(),
            packets_received: 0,
            packets_sent: 0,
            latency: Summary::default(),
            update_latency: Summary::with_percentiles(),
            read_latency: Summary::with_percentiles(),
            bytes_received: 0,
            connection_requests: 0,
            connections_rejected: 0,
            response_size: (-1, -1, -1),
            fsync_time: Summary::default(),
            sync_batch_size: Summary::default(),
            snapshot_time: Summary::default(),
            snap_count: 0,
            startup,
        }
    }

    pub(super) fn record_latency(&mut self, ms: u64, update: bool) {
        self.latency.record(ms);
        if update {
            self.update_latency.record(ms);
        } else {
            self.read_latency.record(ms);
        }
    }

    pub(super) fn record_response_size(&mut self, bytes: usize) {
        let size = i64::try_from(bytes).unwrap_or(i64::MAX);
        let (last, min, max) = &mut self.response_size;
        *last = size;
        if *min < 0 || size < *min {
            *min = size;
        }
        *max = (*max).max(size);
    }

    /// The summaries `mntr` prints, in Java 3.8.0's order.
    #[must_use]
    pub fn summaries(&self) -> Vec<(&'static str, Summary)> {
        let once = |v: u64| {
            let mut s = Summary::default();
            s.record(v);
            s
        };
        let st = self.startup;
        vec![
            ("startup_txns_load_time", once(st.txns_load_ms)),
            ("fsynctime", self.fsync_time.clone()),
            ("snapshottime", self.snapshot_time.clone()),
            ("startup_txns_loaded", once(st.txns_loaded)),
            ("dbinittime", once(st.db_init_ms)),
            ("sync_processor_batch_size", self.sync_batch_size.clone()),
            ("startup_snap_load_time", once(st.snap_load_ms)),
            ("updatelatency", self.update_latency.clone()),
            ("readlatency", self.read_latency.clone()),
        ]
    }

    /// The plain counters `mntr` prints after the basic keys, in Java 3.8.0's order.
    #[must_use]
    pub fn counters(&self) -> Vec<(&'static str, u64)> {
        vec![
            ("connection_rejected", self.connections_rejected),
            ("bytes_received_count", self.bytes_received),
            ("connection_request_count", self.connection_requests),
            ("snap_count", self.snap_count),
        ]
    }

    /// Resets the counters (`srst`); the startup figures stay.
    pub fn reset(&mut self) {
        *self = Self {
            started: self.started,
            ..Self::new(self.startup)
        };
    }
}

/// A duration in whole milliseconds, saturating.
pub(super) fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// A request awaiting its reply: when it arrived, its opcode (`None`: not one ZooKeeper
/// defines) and xid.
#[derive(Clone, Copy, Debug)]
pub(super) struct Arrival {
    pub(super) at: Instant,
    pub(super) op: Option<OpCode>,
    pub(super) xid: i32,
}

impl Arrival {
    /// The session handshake (Java counts it as a `createSession`).
    pub(super) fn handshake(at: Instant) -> Self {
        Self {
            at,
            op: Some(OpCode::CreateSession),
            xid: 0,
        }
    }

    /// A request frame (after the handshake): xid and opcode are the first two big-endian ints
    /// of its header (0 when the frame is too short to hold them).
    pub(super) fn of_request(frame: &[u8], at: Instant) -> Self {
        let int = |i: usize| {
            frame
                .get(i..i + 4)
                .map_or(0, |b| i32::from_be_bytes([b[0], b[1], b[2], b[3]]))
        };
        Self {
            at,
            xid: int(0),
            op: OpCode::from_code(int(4)),
        }
    }

    /// Whether the request changes state: Java counts those in `updatelatency` (they carry a
    /// txn header), the rest in `readlatency`.
    pub(super) fn is_update(self) -> bool {
        use OpCode as Op;
        matches!(
            self.op,
            Some(
                Op::Create
                    | Op::Create2
                    | Op::CreateContainer
                    | Op::CreateTtl
                    | Op::Delete
                    | Op::DeleteContainer
                    | Op::SetData
                    | Op::SetAcl
                    | Op::Check
                    | Op::Multi
                    | Op::Reconfig
                    | Op::CreateSession
                    | Op::CloseSession
            )
        )
    }
}

/// One connection's figures for `cons` (Java's `ServerCnxn` stats); `crst` resets them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct ConnStats {
    /// Java's short name of the last answered operation (`lop`).
    pub(super) last_op: &'static str,
    /// The xid of the last answered request with a non-negative xid (`lcxid`; -1 before).
    pub(super) last_cxid: i64,
    /// The zxid of the last reply (`lzxid`; -1 before).
    pub(super) last_zxid: i64,
    /// When the last reply went out, ms on the server's monotonic clock (`lresp`).
    pub(super) last_response_ms: i64,
    /// Latency of the last request, ms (`llat`).
    pub(super) last_latency_ms: u64,
    /// Every request's latency, ms (`minlat`, `avglat`, `maxlat`).
    pub(super) latency: Summary,
}

impl Default for ConnStats {
    fn default() -> Self {
        Self {
            last_op: "NA",
            last_cxid: -1,
            last_zxid: -1,
            last_response_ms: 0,
            last_latency_ms: 0,
            latency: Summary::default(),
        }
    }
}

impl ConnStats {
    /// The reply to `request` went out `latency_ms` after it arrived, carrying `zxid`.
    pub(super) fn answered(&mut self, request: Arrival, zxid: i64, latency_ms: u64, now_ms: i64) {
        if let Some(name) = request.op.and_then(op_name) {
            self.last_op = name;
        }
        if request.xid >= 0 {
            self.last_cxid = i64::from(request.xid);
        }
        self.last_zxid = zxid;
        self.last_response_ms = now_ms;
        self.last_latency_ms = latency_ms;
        self.latency.record(latency_ms);
    }

    /// Java prints the integer average.
    pub(super) fn avg_latency_ms(&self) -> u64 {
        self.latency
            .sum
            .checked_div(self.latency.count)
            .unwrap_or(0)
    }
}

/// The `lop` names of Java 3.8.0's `FinalRequestProcessor` (`None`: it leaves `lop` as it was).
fn op_name(op: OpCode) -> Option<&'static str> {
    use OpCode as Op;
    Some(match op {
        Op::CloseSession => "CLOS",
        Op::CreateSession => "SESS",
        Op::Create | Op::Create2 | Op::CreateContainer | Op::CreateTtl => "CREA",
        Op::Delete | Op::DeleteContainer => "DELE",
        Op::Exists => "EXIS",
        Op::GetData => "GETD",
        Op::SetData => "SETD",
        Op::GetAcl => "GETA",
        Op::SetAcl => "SETA",
        Op::GetChildren | Op::GetChildren2 => "GETC",
        Op::Sync => "SYNC",
        Op::Ping => "PING",
        Op::Check => "CHEC",
        Op::Multi => "MULT",
        Op::Reconfig => "RECO",
        Op::CheckWatches => "CHKW",
        Op::RemoveWatches => "REMW",
        Op::MultiRead => "MLTR",
        Op::SetWatches => "SETW",
        Op::GetEphemerals => "GETE",
        Op::GetAllChildrenNumber => "GETACN",
        Op::SetWatches2 => "STW2",
        Op::AddWatch => "ADDW",
        Op::WhoAmI => "HOMI",
        Op::Notification | Op::Auth | Op::Sasl | Op::Error => return None,
    })
}
