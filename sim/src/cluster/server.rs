//! One simulated server: its `Node` (absent while down), disk, disk queue, clock, incarnation
//! and open client connections.

use std::collections::{BTreeMap, VecDeque};

use zoorepl_core::ids::{ConnId, ServerId, Zxid};
use zoorepl_core::node::{Node, ValidConfig};

use super::Event;
use crate::clock::Clock;
use crate::disk::{Disk, Record};

/// A disk operation waiting in a server's queue (executed in emission order).
#[derive(Debug)]
pub(crate) enum DiskOp {
    /// Append and fsync, then `Persisted{upto}`.
    Persist { records: Vec<Record>, upto: Zxid },
    /// Write both epochs atomically, then `EpochSaved`.
    SaveEpoch { accepted: u32, current: u32 },
    /// Drop the log after `after`, then `Truncated`.
    Truncate { after: Zxid },
    /// Replace log and snapshots, then `SnapshotInstalled`.
    Install { zxid: Zxid, bytes: Vec<u8> },
}

/// Why a server is not running.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Down {
    /// Crashed; restarts with the event of this incarnation.
    Crashed,
    /// Its disk cannot be recovered: it stays down for the rest of the run.
    DiskFailed(String),
}

/// One server of the simulated cluster.
pub(crate) struct Server {
    pub(crate) id: ServerId,
    pub(crate) config: ValidConfig,
    /// Whether it votes (standalone counts as a voter).
    pub(crate) voter: bool,
    pub(crate) node: Option<Node>,
    /// Per session: when (on this server's clock) it last answered the session's client, and
    /// the negotiated timeout (for the expiry check).
    pub(crate) answered: std::collections::BTreeMap<i64, (u64, i32)>,
    pub(crate) down: Option<Down>,
    /// Bumped at every crash; events of an older incarnation are dropped.
    pub(crate) incarnation: u32,
    pub(crate) disk: Disk,
    pub(crate) disk_queue: VecDeque<DiskOp>,
    /// The operation the disk is executing.
    pub(crate) disk_busy: Option<DiskOp>,
    pub(crate) snapshot_busy: bool,
    pub(crate) clock: Clock,
    /// Generation of the one live `Tick` event, and its time.
    pub(crate) timer_gen: u64,
    pub(crate) timer_at: Option<u64>,
    /// Ticks stepped at the same virtual time in a row (a timer livelock guard).
    pub(crate) same_time_ticks: u32,
    pub(crate) last_tick_ms: u64,
    /// Paused until this time: events for it wait in `deferred`.
    pub(crate) paused: bool,
    pub(crate) deferred: Vec<Event>,
    /// Open client connections → client index.
    pub(crate) conns: BTreeMap<ConnId, usize>,
}

impl Server {
    pub(crate) fn new(id: ServerId, config: ValidConfig, voter: bool, clock: Clock) -> Self {
        Self {
            id,
            config,
            voter,
            node: None,
            answered: std::collections::BTreeMap::new(),
            down: None,
            incarnation: 0,
            disk: Disk::default(),
            disk_queue: VecDeque::new(),
            disk_busy: None,
            snapshot_busy: false,
            clock,
            timer_gen: 0,
            timer_at: None,
            same_time_ticks: 0,
            last_tick_ms: 0,
            paused: false,
            deferred: Vec::new(),
            conns: BTreeMap::new(),
        }
    }

    /// Whether it runs and takes events now.
    pub(crate) fn up(&self) -> bool {
        self.node.is_some()
    }
}
