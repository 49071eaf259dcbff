//! One server's ZAB state: its durable epochs, its log window, its disk queue, the election, and
//! its role (looking, leading, learning). The node feeds it peer messages, disk completions and
//! ticks, proposes txns when it leads, and drains [`ZabAction`]s.

use std::collections::{BTreeMap, VecDeque};

use super::election::{Election, ElectionAction, Notification, PeerState, Vote};
use super::history::History;
use super::leader::Leader;
use super::learner::Learner;
use super::msg::ZabMsg;
use super::{EnsembleConfig, MemberKind, PlantedBug, Role};
use crate::ids::{ServerId, Zxid};
use crate::time::Instant;
use crate::txn::Txn;

/// An effect of the ZAB layer, translated by the node into outputs (or applied by it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ZabAction {
    /// Send a ZAB message.
    Send {
        /// The peer.
        to: ServerId,
        /// The message.
        msg: ZabMsg,
    },
    /// Send an election notification.
    Notify {
        /// The peer.
        to: ServerId,
        /// The notification.
        notification: Notification,
    },
    /// Append and fsync these txns (answered by `on_persisted`).
    Persist(Vec<Txn>),
    /// Save both epochs atomically (answered by `on_epoch_saved`).
    SaveEpoch {
        /// Accepted epoch.
        accepted_epoch: u32,
        /// Current epoch.
        current_epoch: u32,
    },
    /// Cut the log after `after` (answered by `on_truncated`).
    Truncate {
        /// The last zxid kept.
        after: Zxid,
    },
    /// Send the node's state, which is exactly at `zxid`, to a learner (after `ZabMsg::Snap`).
    SendSnapshot {
        /// The learner.
        to: ServerId,
        /// The leader's epoch.
        epoch: u32,
        /// The state's zxid (the node's last applied).
        zxid: Zxid,
    },
    /// Durably install the state the node just took from a SNAP (answered by
    /// `on_snapshot_installed`).
    InstallSnapshot {
        /// Its zxid.
        zxid: Zxid,
    },
    /// Apply this committed txn (in zxid order).
    Deliver(Txn),
    /// The role changed. When `serving` turns false the node drops its clients.
    RoleChanged {
        /// The new role.
        role: Role,
        /// Whether the node may serve clients now.
        serving: bool,
    },
}

/// A disk operation in flight; completions come back in this order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum DiskOp {
    /// A batch ending at `last`; when a later truncation cut into it, only `cap` counts.
    Persist {
        last: Zxid,
        cap: Zxid,
    },
    SaveEpoch {
        accepted: u32,
        current: u32,
    },
    Truncate(Zxid),
    Install(Zxid),
}

/// What the server is doing.
#[derive(Clone, Debug)]
pub(super) enum State {
    Looking,
    Leading(Box<Leader>),
    Learning(Box<Learner>),
}

/// One server's ZAB state.
#[derive(Clone, Debug)]
pub struct Zab {
    pub(super) me: ServerId,
    pub(super) kind: MemberKind,
    pub(super) config: EnsembleConfig,
    pub(super) tick_ms: u64,
    /// Durable epochs.
    pub(super) accepted_epoch: u32,
    pub(super) current_epoch: u32,
    /// The epochs of the newest `SaveEpoch` emitted (durable once it completes): every save
    /// asks for at least these, so saves complete in non-decreasing order.
    pub(super) saving: (u32, u32),
    pub(super) history: History,
    /// Logged in memory, not yet sent to disk.
    pub(super) unflushed: Vec<Txn>,
    pub(super) disk: VecDeque<DiskOp>,
    pub(super) election: Election,
    pub(super) state: State,
    pub(super) serving: bool,
    /// LearnerInfo that arrived while electing (a learner may decide before its leader does);
    /// the leader takes them up when it starts leading.
    pub(super) early_learners: BTreeMap<ServerId, ZabMsg>,
    pub(super) actions: VecDeque<ZabAction>,
    pub(super) now: Instant,
}

impl Zab {
    /// A server recovering with this applied state (`base`), durable log and epochs. It starts
    /// LOOKING.
    ///
    /// # Panics
    /// When `me` is not a member (a validated config guarantees it).
    #[must_use]
    pub fn new(
        me: ServerId,
        config: EnsembleConfig,
        tick_ms: u64,
        epochs: (u32, u32),
        history: History,
        now: Instant,
    ) -> Self {
        let kind = *config.members.get(&me).expect("this server is a member");
        let election = Election::new(me, config.members.clone(), config.election);
        let mut zab = Self {
            me,
            kind,
            config,
            tick_ms,
            accepted_epoch: epochs.0,
            current_epoch: epochs.1,
            saving: epochs,
            history,
            unflushed: Vec::new(),
            disk: VecDeque::new(),
            election,
            state: State::Looking,
            serving: false,
            early_learners: BTreeMap::new(),
            actions: VecDeque::new(),
            now,
        };
        zab.look(now);
        zab
    }

    /// The next effect.
    pub fn poll_action(&mut self) -> Option<ZabAction> {
        self.actions.pop_front()
    }

    /// The role now.
    #[must_use]
    pub fn role(&self) -> Role {
        match (&self.state, self.kind) {
            (State::Looking, _) => Role::Looking,
            (State::Leading(_), _) => Role::Leading,
            (State::Learning(_), MemberKind::Participant) => Role::Following,
            (State::Learning(_), _) => Role::Observing,
        }
    }

    /// The leader it follows or is.
    #[must_use]
    pub fn leader(&self) -> Option<ServerId> {
        match &self.state {
            State::Looking => None,
            State::Leading(_) => Some(self.me),
            State::Learning(l) => Some(l.leader),
        }
    }

    /// The epoch this server leads with, once established.
    #[must_use]
    pub fn established_epoch(&self) -> Option<u32> {
        match &self.state {
            State::Leading(l) => l.established_epoch(),
            _ => None,
        }
    }

    /// The epoch of the leader it is synced with (serving learners and established leaders).
    #[must_use]
    pub fn serving_epoch(&self) -> Option<u32> {
        self.serving.then_some(self.current_epoch)
    }

    /// Whether clients may be served.
    #[must_use]
    pub const fn serving(&self) -> bool {
        self.serving
    }

    /// Durable accepted epoch.
    #[must_use]
    pub const fn accepted_epoch(&self) -> u32 {
        self.accepted_epoch
    }

    /// Durable current epoch.
    #[must_use]
    pub const fn current_epoch(&self) -> u32 {
        self.current_epoch
    }

    /// The log window.
    #[must_use]
    pub const fn history(&self) -> &History {
        &self.history
    }

    /// Whether `bug` is planted.
    pub(super) fn planted(&self, bug: PlantedBug) -> bool {
        self.config.planted(bug)
    }

    /// Whether `bug` is planted (for the node's own planted bugs).
    #[must_use]
    pub fn config_planted(&self, bug: PlantedBug) -> bool {
        self.config.planted(bug)
    }

    /// Goes LOOKING: flushes what is logged, drops the role, starts an election.
    pub(super) fn look(&mut self, now: Instant) {
        self.flush(true);
        self.state = State::Looking;
        if self.planted(PlantedBug::ApplyUncommittedOnElection) {
            self.history.commit_to(self.history.last_logged());
            self.deliver();
        }
        self.set_serving(false);
        let own = Vote {
            epoch: self.current_epoch,
            zxid: self.history.last_logged(),
            leader: self.me,
        };
        self.election.start(now, own);
        self.drain_election();
    }

    pub(super) fn set_serving(&mut self, serving: bool) {
        let changed = self.serving != serving;
        self.serving = serving;
        if serving {
            self.update_election_vote();
        }
        if changed || !serving {
            let role = self.role();
            self.actions
                .push_back(ZabAction::RoleChanged { role, serving });
        }
    }

    /// Once synced in an epoch, peers are told that epoch with our leader (Java's
    /// `updateElectionVote`, ZOOKEEPER-1732): a server joining later compares established votes
    /// by leader and epoch, and would never see a quorum if some reported the epoch they were
    /// elected in and others the one they serve in.
    fn update_election_vote(&mut self) {
        let Some(n) = self.election.notification() else {
            return;
        };
        if n.state == PeerState::Looking {
            return;
        }
        let vote = Vote {
            epoch: self.current_epoch,
            ..n.vote
        };
        self.election.settle(n.state, vote);
    }

    /// An election notification from a peer.
    pub fn on_notification(&mut self, now: Instant, from: ServerId, n: Notification) {
        self.now = now;
        if !self.config.members.contains_key(&from) || from == self.me {
            return;
        }
        self.election.on_notification(now, from, n);
        self.drain_election();
    }

    fn drain_election(&mut self) {
        while let Some(action) = self.election.poll_action() {
            match action {
                ElectionAction::Send { to, notification } => {
                    self.actions
                        .push_back(ZabAction::Notify { to, notification });
                }
                ElectionAction::Decided { vote } => self.on_decided(vote),
            }
        }
    }

    fn on_decided(&mut self, vote: Vote) {
        let now = self.now;
        if vote.leader == self.me {
            self.state = State::Leading(Box::new(Leader::new(self, now)));
            self.set_serving(false);
            for (from, msg) in std::mem::take(&mut self.early_learners) {
                // A learner that accepted a later epoch makes this leader abdicate (back to
                // election): the rest of the early messages are then for nobody.
                if !matches!(self.state, State::Leading(_)) {
                    return;
                }
                self.leader_on_msg(from, msg);
            }
            if matches!(self.state, State::Leading(_)) {
                self.leader_after_start();
            }
        } else {
            self.early_learners.clear();
            self.state = State::Learning(Box::new(Learner::new(vote.leader, now)));
            self.set_serving(false);
            let msg = ZabMsg::LearnerInfo {
                kind: self.kind,
                accepted_epoch: self.accepted_epoch,
            };
            self.send(vote.leader, msg);
        }
    }

    /// A ZAB message from a peer.
    pub fn on_msg(&mut self, now: Instant, from: ServerId, msg: ZabMsg) {
        self.now = now;
        if !self.config.members.contains_key(&from) || from == self.me {
            return;
        }
        match &self.state {
            State::Looking => {
                if matches!(msg, ZabMsg::LearnerInfo { .. }) {
                    self.early_learners.insert(from, msg);
                }
            }
            State::Leading(_) => self.leader_on_msg(from, msg),
            State::Learning(_) => self.learner_on_msg(from, msg),
        }
    }

    /// The link to `peer` broke: a learner gives up on that leader, a leader forgets that
    /// learner (it comes back through election and a fresh sync).
    pub fn on_disconnected(&mut self, now: Instant, peer: ServerId) {
        self.now = now;
        match &mut self.state {
            State::Looking => {
                self.early_learners.remove(&peer);
            }
            State::Leading(_) => self.leader_forget(peer),
            State::Learning(l) => {
                if l.leader == peer {
                    self.look(now);
                }
            }
        }
    }

    /// Whether a SNAP image from `from` at `zxid` is expected now. When it is, the node takes the
    /// image as its state and calls [`Zab::on_snapshot`].
    #[must_use]
    pub fn expects_snapshot(&self, from: ServerId, epoch: u32, zxid: Zxid) -> bool {
        match &self.state {
            State::Learning(l) => l.expects_snapshot(from, epoch, zxid),
            _ => false,
        }
    }

    /// The node took the SNAP image at `zxid` as its state.
    pub fn on_snapshot(&mut self, now: Instant, zxid: Zxid) {
        self.now = now;
        self.learner_on_snapshot(zxid);
    }

    /// Time passed.
    pub fn on_tick(&mut self, now: Instant) {
        self.now = now;
        match &self.state {
            State::Looking => {
                self.election.on_tick(now);
                self.drain_election();
            }
            State::Leading(_) => self.leader_on_tick(),
            State::Learning(_) => self.learner_on_tick(),
        }
    }

    /// When `on_tick` is due next.
    #[must_use]
    pub fn deadline(&self) -> Option<Instant> {
        match &self.state {
            State::Looking => self.election.deadline(),
            State::Leading(l) => Some(l.deadline()),
            State::Learning(l) => Some(l.deadline(self)),
        }
    }

    /// Proposes a txn (the node prepared it as leader).
    ///
    /// # Panics
    /// When this server is not an established leader or the zxid does not follow the log.
    pub fn propose(&mut self, txn: Txn) {
        self.leader_propose(txn);
    }

    /// The next zxid a proposal must carry.
    #[must_use]
    pub fn next_zxid(&self) -> Zxid {
        let last = self.history.last_logged();
        match self.established_epoch() {
            Some(epoch) if last.epoch < epoch => Zxid::new(epoch, 1),
            _ => last.next(),
        }
    }

    /// Ends a step: sends what was logged to disk when no batch is in flight (group commit).
    pub fn end_step(&mut self) {
        self.flush(false);
    }

    /// Sends unflushed txns to disk: always when `force`, else only when no batch is in flight.
    pub(super) fn flush(&mut self, force: bool) {
        if self.unflushed.is_empty() {
            return;
        }
        let busy = self
            .disk
            .iter()
            .any(|op| matches!(op, DiskOp::Persist { .. }));
        if busy && !force {
            return;
        }
        let txns = std::mem::take(&mut self.unflushed);
        let last = txns.last().expect("non-empty").zxid;
        self.disk.push_back(DiskOp::Persist { last, cap: last });
        self.actions.push_back(ZabAction::Persist(txns));
    }

    /// Logs a txn in memory (it reaches the disk with the next flush).
    pub(super) fn log(&mut self, txn: Txn) {
        self.history.append(txn.clone());
        self.unflushed.push(txn);
    }

    /// Queues a save of both epochs. A save still queued (from an earlier role) completes
    /// first and may hold higher epochs than the durable ones this caller passes: never write
    /// below it, or the epochs on disk would go back.
    pub(super) fn save_epochs(&mut self, accepted: u32, current: u32) {
        // A save still in flight may carry higher values than the durable ones: never ask the
        // disk to go back.
        let accepted = accepted.max(self.saving.0);
        let current = current.max(self.saving.1);
        self.saving = (accepted, current);
        self.flush(true);
        self.disk.push_back(DiskOp::SaveEpoch { accepted, current });
        self.actions.push_back(ZabAction::SaveEpoch {
            accepted_epoch: accepted,
            current_epoch: current,
        });
    }

    pub(super) fn truncate(&mut self, after: Zxid) -> bool {
        if !self.history.truncate(after) {
            return false;
        }
        self.unflushed.retain(|t| t.zxid <= after);
        for op in &mut self.disk {
            if let DiskOp::Persist { cap, .. } = op {
                *cap = (*cap).min(after);
            }
        }
        self.disk.push_back(DiskOp::Truncate(after));
        self.actions.push_back(ZabAction::Truncate { after });
        true
    }

    fn complete(&mut self, done: DiskOp) -> DiskOp {
        let front = self.disk.pop_front();
        let matches = match (front, done) {
            (Some(DiskOp::Persist { last, .. }), DiskOp::Persist { last: l, .. }) => last == l,
            (f, d) => f == Some(d),
        };
        assert!(matches, "disk completion {done:?} does not match {front:?}");
        front.expect("matched")
    }

    /// A `Persist` batch ending at `upto` is durable.
    pub fn on_persisted(&mut self, now: Instant, upto: Zxid) {
        self.now = now;
        let DiskOp::Persist { cap, .. } = self.complete(DiskOp::Persist {
            last: upto,
            cap: upto,
        }) else {
            unreachable!("matched a persist")
        };
        // A truncation queued after this batch cut part of it: only the kept part counts.
        self.history.mark_persisted(cap);
        self.after_persisted();
    }

    /// Epochs are durable.
    pub fn on_epoch_saved(&mut self, now: Instant, accepted: u32, current: u32) {
        self.now = now;
        self.complete(DiskOp::SaveEpoch { accepted, current });
        assert!(
            accepted >= self.accepted_epoch,
            "accepted epoch regressed: {accepted} < {}",
            self.accepted_epoch
        );
        assert!(
            current >= self.current_epoch,
            "current epoch regressed: {current} < {}",
            self.current_epoch
        );
        self.accepted_epoch = accepted;
        self.current_epoch = current;
        match &self.state {
            State::Looking => {}
            State::Leading(_) => self.leader_on_epoch_saved(),
            State::Learning(_) => self.learner_on_epoch_saved(),
        }
    }

    /// A truncation is durable.
    pub fn on_truncated(&mut self, now: Instant, after: Zxid) {
        self.now = now;
        self.complete(DiskOp::Truncate(after));
    }

    /// An installed snapshot is durable.
    pub fn on_snapshot_installed(&mut self, now: Instant, zxid: Zxid) {
        self.now = now;
        self.complete(DiskOp::Install(zxid));
    }

    fn after_persisted(&mut self) {
        match &self.state {
            State::Looking => {}
            State::Leading(_) => self.leader_on_persisted(),
            State::Learning(_) => self.learner_on_persisted(),
        }
        self.deliver();
    }

    /// Hands every committed, durable txn to the node.
    pub(super) fn deliver(&mut self) {
        for txn in self.history.take_deliverable() {
            self.actions.push_back(ZabAction::Deliver(txn));
        }
    }

    pub(super) fn send(&mut self, to: ServerId, msg: ZabMsg) {
        self.actions.push_back(ZabAction::Send { to, msg });
    }

    /// Checks every invariant.
    pub fn check_invariants(&self) {
        self.history.check_invariants();
        self.election.check_invariants();
        assert!(
            self.current_epoch <= self.accepted_epoch || self.accepted_epoch == 0,
            "current epoch {} above accepted {}",
            self.current_epoch,
            self.accepted_epoch
        );
        let mut prev = self.history.persisted();
        for t in &self.unflushed {
            assert!(t.zxid > prev, "unflushed out of order at {}", t.zxid);
            prev = t.zxid;
        }
        if self.serving {
            assert!(
                !matches!(self.state, State::Looking),
                "a looking server serves"
            );
        }
        if let State::Leading(l) = &self.state {
            l.check_invariants(self);
        }
    }
}

#[cfg(test)]
#[path = "discovery_test.rs"]
mod discovery_test;

#[cfg(test)]
#[path = "sync_test.rs"]
mod sync_test;

#[cfg(test)]
#[path = "broadcast_test.rs"]
mod broadcast_test;

#[cfg(test)]
#[path = "timer_test.rs"]
mod timer_test;

#[cfg(test)]
#[path = "disk_test.rs"]
mod disk_test;
