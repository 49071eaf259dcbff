//! Server statistics the shell keeps for four-letter words and metrics: packet and byte counts,
//! request latency (from a request's arrival to its reply, split into reads and updates as
//! Java's `readlatency` / `updatelatency`), fsync and snapshot times, and the startup figures.

use std::time::Instant;

use crate::fourlw::{Latency, Summary};

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
    /// Request latency, ms (what `srvr`, `mntr` and the metrics print).
    pub latency: Latency,
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
    /// Size of the last, smallest and largest frame sent, bytes; -1 before the first.
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
            latency: Latency::default(),
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
        let l = &mut self.latency;
        if l.count == 0 || ms < l.min_ms {
            l.min_ms = ms;
        }
        l.max_ms = l.max_ms.max(ms);
        l.total_ms += ms;
        l.count += 1;
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

/// Whether a request frame (after the handshake) changes state: Java counts those in
/// `updatelatency` (they carry a txn header), the rest in `readlatency`. The opcode is the
/// second big-endian int of the request header.
pub(super) fn is_update(frame: &[u8]) -> bool {
    let Some(op) = frame.get(4..8) else {
        return false;
    };
    let op = i32::from_be_bytes([op[0], op[1], op[2], op[3]]);
    // create, delete, setData, setACL, check, multi, create2, reconfig, createContainer,
    // deleteContainer, createTTL, closeSession.
    matches!(op, 1 | 2 | 5 | 7 | 13 | 14 | 15 | 16 | 19 | 20 | 21 | -11)
}
