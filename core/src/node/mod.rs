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
mod ensemble;
mod handshake;
mod owners;
mod peer;
mod reads;
mod requests;
mod revalidate;
mod snapshot;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet, VecDeque};

pub use config::{ConfigError, NodeConfig, ValidConfig};
pub use peer::{Forwarded, PeerMsg, Refusal, SnapshotImage};
pub use snapshot::{decode_snapshot, encode_snapshot, SnapshotError, SNAPSHOT_FORMAT};

use crate::ids::{ConnId, ServerId, SessionId, Xid, Zxid};
use crate::input::Input;
use crate::output::{CloseReason, Output};
use crate::prep::Overlay;
use crate::prng::Prng;
use crate::session::SessionTable;
use crate::time::Instant;
use crate::tree::DataTree;
use crate::txn::Txn;
use crate::watch::WatchManager;
use crate::zab::{History, Observation, Role, Zab};
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

/// A session table holding these sessions (from a snapshot), each expiring a timeout from `now`.
fn session_table(cfg: &NodeConfig, now: Instant, list: &[(SessionId, i32)]) -> SessionTable {
    let mut sessions = SessionTable::new(
        cfg.server_id,
        cfg.tick_ms,
        now.as_millis(),
        cfg.session_secret,
    );
    for (id, timeout_ms) in list {
        sessions.add(*id, *timeout_ms, now);
    }
    sessions
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
    /// A request a learner forwarded: the learner answers it.
    Remote,
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
    /// The ensemble protocol; `None` standalone.
    zab: Option<Zab>,
    /// Sessions a learner asked the leader to create, and for which connection.
    creating: BTreeMap<SessionId, ConnId>,
    /// Sessions a learner asked the leader to revalidate, and for which connection.
    revalidating: BTreeMap<SessionId, ConnId>,
    /// Connections the leader let resume, waiting to have applied the zxid it answered at.
    resuming: BTreeSet<(Zxid, ConnId)>,
    /// Connections holding a reply until a zxid applies.
    parked: BTreeSet<(Zxid, ConnId)>,
    /// Sessions active on this learner since the last touch sent to the leader.
    touched: BTreeSet<SessionId>,
    next_touch: Instant,
    /// The leader's highest forwarded xid per session and learner: a repeated forward (a
    /// duplicated message) is not prepared twice. A resume on that learner starts it afresh.
    forwarded_xids: BTreeMap<(SessionId, ServerId), Xid>,
    /// The leader's record of the server each session's client is connected to (owners.rs).
    owners: BTreeMap<SessionId, ServerId>,
    /// Sessions whose createSession the leader prepared for a learner and has not applied.
    pending_sessions: BTreeSet<SessionId>,
    /// Whether ZAB last reported this server serving clients (ensemble only).
    serving: bool,
    /// The leader's forwarded requests waiting until it has applied their learner's view.
    deferred: VecDeque<ensemble::Deferred>,
    /// The tree as of its last full walk (`full_checks`): last applied zxid, digest, node
    /// count and size. An unchanged tree is not walked again.
    walked: Option<(Zxid, u64, usize, i64)>,
}

impl Node {
    /// Builds the node from what the shell recovered, replaying the log.
    ///
    /// # Panics
    /// When the log does not follow the snapshot in zxid order (the shell verified checksums
    /// and order; anything else is a bug).
    #[must_use]
    pub fn recover(config: ValidConfig, recovered: Recovered, now: Instant, seed: u64) -> Self {
        let cfg = config.config().clone();
        let sessions = session_table(&cfg, now, &recovered.sessions);
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
            zab: None,
            creating: BTreeMap::new(),
            revalidating: BTreeMap::new(),
            resuming: BTreeSet::new(),
            parked: BTreeSet::new(),
            touched: BTreeSet::new(),
            next_touch: now,
            forwarded_xids: BTreeMap::new(),
            owners: BTreeMap::new(),
            pending_sessions: BTreeSet::new(),
            serving: false,
            deferred: VecDeque::new(),
            walked: None,
        };
        if let Some(ensemble) = cfg.ensemble.clone() {
            // The log after the snapshot may hold txns that were never committed: ZAB decides.
            let history = History::new(
                node.tree.last_applied(),
                recovered.log,
                ensemble.committed_log_max,
            );
            let epochs = (recovered.accepted_epoch, recovered.current_epoch);
            let zab = Zab::new(cfg.server_id, ensemble, cfg.tick_ms, epochs, history, now);
            node.zab = Some(zab);
            node.write_membership();
            node.drain_zab();
            node.check_invariants();
            return node;
        }
        let snapshot_zxid = node.last_assigned;
        for txn in recovered.log.into_iter().filter(|t| t.zxid > snapshot_zxid) {
            assert!(
                txn.zxid > node.last_assigned,
                "log out of order at {}",
                txn.zxid
            );
            node.last_assigned = txn.zxid;
            node.apply_committed(&txn);
            // Dropped at once, not at the end: a snapshot output holds a clone of the tree, and
            // while it lives every later txn copies the paths it touches (a restart replaying a
            // long log spent a tenth of its time in those copies).
            node.outbox
                .retain(|o| !matches!(o, Output::TakeSnapshot { .. }));
        }
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
                if self.zab.as_ref().is_some_and(|z| !z.serving()) {
                    self.close(conn, CloseReason::NotServing);
                }
            }
            Input::Client { conn, frame } => self.on_frame(conn, frame),
            Input::ConnClosed { conn } => self.forget_conn(conn),
            Input::Persisted { upto } => match self.zab.as_mut() {
                Some(zab) => zab.on_persisted(now, upto),
                None => self.on_persisted(upto),
            },
            Input::Tick => self.on_tick(),
            Input::Peer { from, msg } => self.on_peer(from, msg),
            Input::PeerDisconnected { peer } => self.zab_mut().on_disconnected(now, peer),
            Input::EpochSaved {
                accepted_epoch,
                current_epoch,
            } => self
                .zab_mut()
                .on_epoch_saved(now, accepted_epoch, current_epoch),
            Input::Truncated { after } => self.zab_mut().on_truncated(now, after),
            Input::SnapshotInstalled { zxid } => self.zab_mut().on_snapshot_installed(now, zxid),
        }
        if let Some(zab) = self.zab.as_mut() {
            zab.end_step();
            self.drain_zab();
        } else {
            self.flush_persist();
        }
        if cfg!(debug_assertions) || self.config.inner.full_checks {
            self.check_invariants();
            self.walk_tree_if_changed();
        }
    }

    /// The full tree walk of `full_checks` in release builds, skipped while the tree is the
    /// one last walked (debug builds walk it in every `check_invariants`).
    fn walk_tree_if_changed(&mut self) {
        if cfg!(debug_assertions) {
            return;
        }
        let t = &self.tree;
        let key = (
            t.last_applied(),
            t.digest(),
            t.node_count(),
            t.approximate_data_size(),
        );
        if self.walked != Some(key) {
            t.check_invariants_full();
            self.walked = Some(key);
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
        let Some(zab) = &self.zab else {
            let expiry = self.sessions.next_expiry();
            return Some(expiry.map_or(self.next_reap, |e| e.min(self.next_reap)));
        };
        let mut deadline = zab.deadline();
        let mut consider = |t: Option<Instant>| {
            deadline = match (deadline, t) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
        };
        if zab.established_epoch().is_some() {
            consider(self.sessions.next_expiry());
            consider(Some(self.next_reap));
        } else if zab.config_planted(crate::zab::PlantedBug::FollowerExpiry) && zab.serving() {
            consider(self.sessions.next_expiry());
        }
        if !self.touched.is_empty() {
            consider(Some(self.next_touch));
        }
        deadline
    }

    /// The committed tree (for 4lw commands, snapshots and tests).
    #[must_use]
    pub const fn tree(&self) -> &DataTree {
        &self.tree
    }

    /// The ensemble protocol's state (`None` standalone), for reports.
    #[must_use]
    pub const fn protocol(&self) -> Option<&Zab> {
        self.zab.as_ref()
    }

    /// What the checkers see of this node.
    #[must_use]
    pub fn observe(&self) -> Observation {
        let applied = self.tree.last_applied();
        if let Some(zab) = &self.zab {
            return Observation {
                id: self.config.config().server_id,
                role: zab.role(),
                leader: zab.leader(),
                established_epoch: zab.established_epoch(),
                accepted_epoch: zab.accepted_epoch(),
                current_epoch: zab.current_epoch(),
                last_logged: zab.history().last_logged(),
                committed: zab.history().committed(),
                last_applied: applied,
                digest: self.tree.digest(),
                serving: zab.serving(),
            };
        }
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
        if let conn::Phase::Revalidating { session, .. } = c.phase {
            if self.revalidating.get(&session) == Some(&conn) {
                self.revalidating.remove(&session);
            }
        }
    }

    /// Checks every invariant of the node and its parts (STYLE.md §7).
    pub fn check_invariants(&self) {
        self.tree.check_invariants();
        self.sessions.check_invariants();
        self.watches.check_invariants();
        self.check_conns();
        self.check_owners();
        if let Some(zab) = &self.zab {
            zab.check_invariants();
            assert_eq!(
                self.tree.last_applied(),
                zab.history().delivered(),
                "the tree is exactly what ZAB delivered"
            );
            assert!(
                self.in_flight.is_empty() && self.unflushed.is_empty(),
                "ZAB persists"
            );
            assert_eq!(
                self.serving,
                zab.serving(),
                "the node saw every role change"
            );
            if !zab.serving() {
                assert!(self.conns.is_empty(), "clients kept while not serving");
            }
            if zab.established_epoch().is_none() {
                assert!(
                    self.overlay.is_empty(),
                    "outstanding changes on a non-leader"
                );
                assert!(self.waiting.is_empty(), "waiting writes on a non-leader");
            }
            return;
        }
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
    }

    fn check_conns(&self) {
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
