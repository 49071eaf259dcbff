//! The standalone server as one sans-IO state machine.
//!
//! `step(now, input)` is the only mutator; `poll_output` drains effects in order and
//! `poll_deadline` says when to tick next (STYLE.md §1). A write is prepared at once (so every
//! later request sees it), persisted in batches (one `Persist` in flight; writes arriving during
//! its fsync form the next batch), and applied, announced to watchers and answered only after
//! `Input::Persisted` covers it. Replies leave each connection in request order.

mod apply;
mod config;
mod conn;
mod handshake;
mod peer;
mod reads;
mod requests;
mod snapshot;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, VecDeque};

pub use config::{ConfigError, NodeConfig, ValidConfig};
pub use peer::{Forwarded, PeerMsg, Refusal, SnapshotImage};
pub use snapshot::{decode_snapshot, encode_snapshot, SnapshotError, SNAPSHOT_FORMAT};

use crate::ids::{ConnId, SessionId, Zxid};
use crate::input::Input;
use crate::output::Output;
use crate::prep::Overlay;
use crate::prng::Prng;
use crate::session::SessionTable;
use crate::time::Instant;
use crate::tree::DataTree;
use crate::txn::Txn;
use crate::watch::WatchManager;
use crate::zab::{Observation, Role};
use conn::Conn;

/// What the shell loaded from disk: the newest snapshot and the log after it.
#[derive(Clone, Debug, Default)]
pub struct Recovered {
    /// The tree as of the snapshot (a fresh tree when there is none).
    pub tree: DataTree,
    /// Sessions alive at the snapshot, with their timeouts.
    pub sessions: Vec<(SessionId, i32)>,
    /// Durable txns in zxid order; those at or below the snapshot's zxid are skipped.
    pub log: Vec<Txn>,
    /// The accepted epoch on disk (ensemble only; 0 when never saved).
    pub accepted_epoch: u32,
    /// The current epoch on disk (ensemble only; 0 when never saved).
    pub current_epoch: u32,
}

/// Who waits for a txn to apply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Waiter {
    /// A request on this connection (its queue holds the matching `Write` entry).
    Request(ConnId),
    /// A handshake creating a session.
    Connect(ConnId),
    /// Session expiry: close the session's connection without a reply.
    Expiry,
    /// Container/TTL reaping: nobody to answer.
    Reap,
}

/// A standalone zoorepl server.
#[derive(Debug)]
pub struct Node {
    config: ValidConfig,
    tree: DataTree,
    sessions: SessionTable,
    watches: WatchManager,
    overlay: Overlay,
    conns: BTreeMap<ConnId, Conn>,
    waiting: BTreeMap<Zxid, Waiter>,
    /// The last zxid handed to a txn.
    last_assigned: Zxid,
    /// Prepared txns not yet sent to disk.
    unflushed: Vec<Txn>,
    /// The batch being persisted, if any.
    in_flight: Vec<Txn>,
    outbox: VecDeque<Output>,
    now: Instant,
    next_reap: Instant,
    prng: Prng,
    /// Txns applied since the last snapshot, and the count that triggers the next one.
    since_snapshot: u64,
    snapshot_after: u64,
}

impl Node {
    /// Builds the node from what the shell recovered, replaying the log.
    ///
    /// # Panics
    /// When the log does not follow the snapshot in zxid order (the shell verified checksums
    /// and order; anything else is a bug).
    #[must_use]
    pub fn recover(config: ValidConfig, recovered: Recovered, now: Instant, seed: u64) -> Self {
        let cfg = config.config();
        let mut sessions = SessionTable::new(
            cfg.server_id,
            cfg.tick_ms,
            now.as_millis(),
            cfg.session_secret,
        );
        for (id, timeout_ms) in &recovered.sessions {
            sessions.add(*id, *timeout_ms, now);
        }
        let next_reap = now + std::time::Duration::from_millis(cfg.container_check_interval_ms);
        let mut prng = Prng::new(seed);
        let snapshot_after = prng.between(cfg.snap_count / 2 + 1, cfg.snap_count);
        let mut node = Self {
            last_assigned: recovered.tree.last_applied(),
            tree: recovered.tree,
            config,
            sessions,
            watches: WatchManager::new(),
            overlay: Overlay::default(),
            conns: BTreeMap::new(),
            waiting: BTreeMap::new(),
            unflushed: Vec::new(),
            in_flight: Vec::new(),
            outbox: VecDeque::new(),
            now,
            next_reap,
            prng,
            since_snapshot: 0,
            snapshot_after,
        };
        let snapshot_zxid = node.last_assigned;
        for txn in recovered.log.into_iter().filter(|t| t.zxid > snapshot_zxid) {
            assert!(
                txn.zxid > node.last_assigned,
                "log out of order at {}",
                txn.zxid
            );
            node.last_assigned = txn.zxid;
            node.apply_committed(&txn);
        }
        node.outbox
            .retain(|o| !matches!(o, Output::TakeSnapshot { .. }));
        assert!(
            node.outbox.is_empty(),
            "recovery emits nothing but snapshots"
        );
        node.check_invariants();
        node
    }

    /// Feeds one input. The caller drains `poll_output` before the next step.
    pub fn step(&mut self, now: Instant, input: Input) {
        debug_assert!(
            self.outbox.is_empty(),
            "the shell must drain outputs before stepping"
        );
        assert!(now >= self.now, "time went back: {now:?} < {:?}", self.now);
        self.now = now;
        match input {
            Input::ConnOpened { conn, peer_ip } => {
                let old = self.conns.insert(conn, Conn::new(peer_ip));
                assert!(old.is_none(), "connection {conn:?} opened twice");
            }
            Input::Client { conn, frame } => self.on_frame(conn, frame),
            Input::ConnClosed { conn } => self.forget_conn(conn),
            Input::Persisted { upto } => self.on_persisted(upto),
            Input::Tick => self.on_tick(),
            Input::Peer { .. }
            | Input::EpochSaved { .. }
            | Input::Truncated { .. }
            | Input::SnapshotInstalled { .. } => {
                unreachable!("ensemble input {input:?} given to a standalone node")
            }
        }
        self.flush_persist();
        if cfg!(any(debug_assertions, feature = "invariants")) {
            self.check_invariants();
        }
    }

    /// The next effect, in order.
    #[must_use]
    pub fn poll_output(&mut self) -> Option<Output> {
        self.outbox.pop_front()
    }

    /// When to step `Input::Tick` next: the earliest session-expiry bucket or reaper run.
    #[must_use]
    pub fn poll_deadline(&self) -> Option<Instant> {
        let expiry = self.sessions.next_expiry();
        Some(expiry.map_or(self.next_reap, |e| e.min(self.next_reap)))
    }

    /// The committed tree (for 4lw commands, snapshots and tests).
    #[must_use]
    pub const fn tree(&self) -> &DataTree {
        &self.tree
    }

    /// What the checkers see of this node.
    #[must_use]
    pub fn observe(&self) -> Observation {
        let applied = self.tree.last_applied();
        Observation {
            id: self.config.config().server_id,
            role: Role::Standalone,
            leader: None,
            established_epoch: None,
            accepted_epoch: 0,
            current_epoch: 0,
            last_logged: self.last_assigned,
            committed: applied,
            last_applied: applied,
            digest: self.tree.digest(),
            serving: true,
        }
    }

    /// The session table.
    #[must_use]
    pub const fn sessions(&self) -> &SessionTable {
        &self.sessions
    }

    /// The watch manager.
    #[must_use]
    pub const fn watches(&self) -> &WatchManager {
        &self.watches
    }

    /// The last zxid applied to the tree.
    #[must_use]
    pub fn last_applied(&self) -> Zxid {
        self.tree.last_applied()
    }

    /// Number of open connections.
    #[must_use]
    pub fn connection_count(&self) -> usize {
        self.conns.len()
    }

    /// The session a connection serves, if its handshake is done.
    #[must_use]
    pub fn session_of(&self, conn: ConnId) -> Option<SessionId> {
        self.conns.get(&conn).and_then(|c| c.session)
    }

    /// Requests queued on a connection, waiting for their turn (flow control for the shell).
    #[must_use]
    pub fn queued(&self, conn: ConnId) -> usize {
        self.conns
            .get(&conn)
            .map_or(0, |c| c.queue.len() + c.backlog.len())
    }

    fn forget_conn(&mut self, conn: ConnId) {
        let Some(c) = self.conns.remove(&conn) else {
            return;
        };
        self.watches.remove_conn(conn);
        if let Some(session) = c.session {
            self.sessions.unbind(session, conn);
        }
    }

    /// Checks every invariant of the node and its parts (STYLE.md §7).
    pub fn check_invariants(&self) {
        self.tree.check_invariants();
        self.sessions.check_invariants();
        self.watches.check_invariants();
        let applied = self.tree.last_applied();
        assert!(
            self.last_assigned >= applied,
            "assigned {} < applied {applied}",
            self.last_assigned
        );
        let pending = self.in_flight.iter().chain(&self.unflushed);
        let mut prev = applied;
        for txn in pending {
            assert!(txn.zxid > prev, "pending txns out of order at {}", txn.zxid);
            prev = txn.zxid;
        }
        assert_eq!(
            prev, self.last_assigned,
            "every assigned zxid is pending or applied"
        );
        if let Some((first, _)) = self.waiting.first_key_value() {
            assert!(*first > applied, "waiter for applied zxid {first}");
        }
        if self.in_flight.is_empty() {
            assert!(
                self.unflushed.is_empty(),
                "txns wait while the disk is idle"
            );
        }
        if self.in_flight.is_empty() && self.unflushed.is_empty() {
            assert!(
                self.overlay.is_empty(),
                "outstanding changes with no pending txn"
            );
        }
        for (id, c) in &self.conns {
            if let Some(s) = c.session {
                let session = self
                    .sessions
                    .get(s)
                    .expect("a connection's session is alive");
                assert_eq!(session.conn, Some(*id), "session {s} is bound elsewhere");
            }
        }
    }
}
