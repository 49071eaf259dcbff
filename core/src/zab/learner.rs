//! A learner (follower or observer): discovery (accept the leader's epoch durably, describe its
//! log), synchronization (DIFF, TRUNC then DIFF, or SNAP; NEWLEADER acknowledged only once
//! everything is durable and the current epoch saved), then broadcast (log proposals, ACK what is
//! durable, apply what is committed). After `Learner.java` and `Follower.java`.
//!
//! Anything from the leader that does not fit the state (a gap in proposals, a sync that does
//! not match the log) means the link lost messages or the leader is confused: the learner goes
//! back to election rather than guess.

use std::time::Duration;

use super::msg::ZabMsg;
use super::server::{DiskOp, State, Zab, ZabAction};
use super::PlantedBug;
use crate::ids::{ServerId, Zxid};
use crate::time::Instant;
use crate::txn::Txn;

/// Where a learner is with its leader (states named for what they expect, as in rustls).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Phase {
    ExpectLeaderInfo,
    /// Saving the accepted epoch before acknowledging it.
    SavingAccepted {
        epoch: u32,
    },
    ExpectSync {
        epoch: u32,
    },
    ExpectSnapshot {
        epoch: u32,
        zxid: Zxid,
    },
    ExpectNewLeader {
        epoch: u32,
    },
    /// Everything of the sync is being made durable and the current epoch saved.
    SavingCurrent {
        epoch: u32,
    },
    ExpectUpToDate {
        epoch: u32,
    },
    Synced {
        epoch: u32,
    },
}

/// Learner state.
#[derive(Clone, Debug)]
pub(super) struct Learner {
    pub(super) leader: ServerId,
    phase: Phase,
    last_heard: Instant,
    /// The highest zxid acknowledged to the leader.
    acked: Zxid,
}

impl Learner {
    pub(super) const fn new(leader: ServerId, now: Instant) -> Self {
        Self {
            leader,
            phase: Phase::ExpectLeaderInfo,
            last_heard: now,
            acked: Zxid::ZERO,
        }
    }

    const fn epoch(&self) -> Option<u32> {
        match self.phase {
            Phase::ExpectLeaderInfo => None,
            Phase::SavingAccepted { epoch }
            | Phase::ExpectSync { epoch }
            | Phase::ExpectSnapshot { epoch, .. }
            | Phase::ExpectNewLeader { epoch }
            | Phase::SavingCurrent { epoch }
            | Phase::ExpectUpToDate { epoch }
            | Phase::Synced { epoch } => Some(epoch),
        }
    }

    pub(super) fn expects_snapshot(&self, from: ServerId, epoch: u32, zxid: Zxid) -> bool {
        from == self.leader && self.phase == Phase::ExpectSnapshot { epoch, zxid }
    }

    /// Whether `msg` restarts the wait for the leader. Once synced, anything does. Before, only
    /// the messages that move the sync on do: one lost on the link is never sent again, while
    /// PINGs and the running epoch's PROPOSALs and INFORMs keep coming, so if those counted a
    /// learner that lost, say, NEWLEADER or UPTODATE would wait for it forever. The sync must
    /// move on every `initLimit` ticks (Java bounds each read of the sync by it).
    fn phase_moves_on(&self, msg: &ZabMsg) -> bool {
        matches!(self.phase, Phase::Synced { .. })
            || matches!(
                msg,
                ZabMsg::LeaderInfo { .. }
                    | ZabMsg::Diff { .. }
                    | ZabMsg::Trunc { .. }
                    | ZabMsg::Snap { .. }
                    | ZabMsg::NewLeader { .. }
                    | ZabMsg::UpToDate { .. }
            )
    }

    pub(super) fn deadline(&self, zab: &Zab) -> Instant {
        let limit = if matches!(self.phase, Phase::Synced { .. }) {
            zab.config.sync_limit
        } else {
            zab.config.init_limit
        };
        self.last_heard + Duration::from_millis(zab.tick_ms) * limit
    }
}

impl Zab {
    fn learner_mut(&mut self) -> &mut Learner {
        match &mut self.state {
            State::Learning(l) => l,
            _ => unreachable!("only called while learning"),
        }
    }

    fn learner_ref(&self) -> &Learner {
        match &self.state {
            State::Learning(l) => l,
            _ => unreachable!("only called while learning"),
        }
    }

    fn set_phase(&mut self, phase: Phase) {
        self.learner_mut().phase = phase;
    }

    /// Gives up on this leader.
    fn learner_abandon(&mut self) {
        let now = self.now;
        self.look(now);
    }

    pub(super) fn learner_on_msg(&mut self, from: ServerId, msg: ZabMsg) {
        let now = self.now;
        let learner = self.learner_mut();
        if from != learner.leader {
            return;
        }
        if learner.phase_moves_on(&msg) {
            learner.last_heard = now;
        }
        if let ZabMsg::LeaderInfo { epoch } = msg {
            self.learner_on_leader_info(epoch);
            return;
        }
        let learner = self.learner_ref();
        if msg.epoch() != learner.epoch() {
            return;
        }
        let phase = learner.phase;
        match (phase, msg) {
            (Phase::ExpectSync { epoch }, ZabMsg::Diff { from, .. }) => {
                if from == self.history.last_logged() {
                    self.set_phase(Phase::ExpectNewLeader { epoch });
                } else {
                    self.learner_abandon();
                }
            }
            (Phase::ExpectSync { epoch }, ZabMsg::Trunc { after, .. }) => {
                if self.truncate(after) {
                    self.set_phase(Phase::ExpectNewLeader { epoch });
                } else {
                    self.learner_abandon();
                }
            }
            (Phase::ExpectSync { epoch }, ZabMsg::Snap { zxid, .. }) => {
                self.set_phase(Phase::ExpectSnapshot { epoch, zxid });
            }
            (Phase::ExpectNewLeader { epoch }, ZabMsg::NewLeader { .. }) => {
                self.learner_on_new_leader(epoch);
            }
            (Phase::ExpectUpToDate { epoch }, ZabMsg::UpToDate { committed, .. }) => {
                self.learner_on_up_to_date(epoch, committed);
            }
            (_, msg) => self.learner_on_broadcast(phase, msg),
        }
    }

    /// Messages valid in several phases: proposals, commits, informs, pings.
    fn learner_on_broadcast(&mut self, phase: Phase, msg: ZabMsg) {
        let receiving = matches!(
            phase,
            Phase::ExpectNewLeader { .. }
                | Phase::SavingCurrent { .. }
                | Phase::ExpectUpToDate { .. }
                | Phase::Synced { .. }
        );
        match msg {
            ZabMsg::Proposal { txn, .. } if receiving => self.learner_on_proposal(txn),
            ZabMsg::Inform { txn, .. } if receiving && !self.kind.votes() => {
                let zxid = txn.zxid;
                if zxid > self.history.last_logged() {
                    self.learner_on_proposal(txn);
                }
                self.learner_commit(zxid);
            }
            ZabMsg::Commit { upto, .. } if matches!(phase, Phase::Synced { .. }) => {
                self.learner_commit(upto);
            }
            ZabMsg::Ping { epoch, committed } => {
                if matches!(phase, Phase::Synced { .. }) {
                    self.learner_commit(committed);
                }
                let leader = self.learner_ref().leader;
                self.send(leader, ZabMsg::PingReply { epoch });
            }
            _ => {}
        }
    }

    fn learner_on_leader_info(&mut self, epoch: u32) {
        if self.learner_ref().phase != Phase::ExpectLeaderInfo {
            return;
        }
        if epoch < self.accepted_epoch {
            self.learner_abandon();
            return;
        }
        if epoch == self.accepted_epoch {
            self.set_phase(Phase::ExpectSync { epoch });
            self.learner_ack_epoch(epoch);
            return;
        }
        self.set_phase(Phase::SavingAccepted { epoch });
        let current = self.current_epoch;
        self.save_epochs(epoch, current);
        if self.planted(PlantedBug::EpochPersistedLate) {
            self.set_phase(Phase::ExpectSync { epoch });
            self.learner_ack_epoch(epoch);
        }
    }

    fn learner_ack_epoch(&mut self, epoch: u32) {
        let leader = self.learner_ref().leader;
        let msg = ZabMsg::AckEpoch {
            epoch,
            current_epoch: self.current_epoch,
            last_zxid: self.history.last_logged(),
            epoch_ends: self.history.epoch_ends(),
        };
        self.send(leader, msg);
    }

    pub(super) fn learner_on_epoch_saved(&mut self) {
        match self.learner_ref().phase {
            Phase::SavingAccepted { epoch } if self.accepted_epoch == epoch => {
                self.set_phase(Phase::ExpectSync { epoch });
                self.learner_ack_epoch(epoch);
            }
            Phase::SavingCurrent { epoch } if self.current_epoch == epoch => {
                self.learner_ack_new_leader(epoch);
            }
            _ => {}
        }
    }

    pub(super) fn learner_on_snapshot(&mut self, zxid: Zxid) {
        let Phase::ExpectSnapshot { epoch, .. } = self.learner_ref().phase else {
            unreachable!("the node checked expects_snapshot")
        };
        self.unflushed.clear();
        for op in &mut self.disk {
            if let DiskOp::Persist { cap, .. } = op {
                // The installed snapshot replaces whatever this batch writes.
                *cap = Zxid::ZERO;
            }
        }
        self.history.reset_to(zxid);
        // The image came from the leader: the sync moves on.
        self.learner_mut().last_heard = self.now;
        self.disk.push_back(DiskOp::Install(zxid));
        self.actions.push_back(ZabAction::InstallSnapshot { zxid });
        self.set_phase(Phase::ExpectNewLeader { epoch });
    }

    fn learner_on_proposal(&mut self, txn: Txn) {
        let last = self.history.last_logged();
        if txn.zxid <= last {
            // A duplicate (the network may repeat messages); the log already has it.
            return;
        }
        if !last.follows(txn.zxid) {
            self.learner_abandon();
            return;
        }
        self.log(txn);
        if self.planted(PlantedBug::AckBeforeFsync) {
            self.learner_ack(self.history.last_logged());
        }
    }

    fn learner_on_new_leader(&mut self, epoch: u32) {
        self.set_phase(Phase::SavingCurrent { epoch });
        let accepted = self.accepted_epoch.max(epoch);
        self.save_epochs(accepted, epoch);
        if self.planted(PlantedBug::AckBeforeFsync) {
            self.learner_ack_new_leader(epoch);
        }
    }

    fn learner_ack_new_leader(&mut self, epoch: u32) {
        if self.learner_ref().phase != (Phase::SavingCurrent { epoch }) {
            return;
        }
        self.set_phase(Phase::ExpectUpToDate { epoch });
        let leader = self.learner_ref().leader;
        self.send(leader, ZabMsg::AckNewLeader { epoch });
        self.learner_ack(self.history.persisted());
    }

    fn learner_on_up_to_date(&mut self, epoch: u32, committed: Zxid) {
        self.set_phase(Phase::Synced { epoch });
        self.learner_commit(committed);
        self.set_serving(true);
    }

    fn learner_commit(&mut self, upto: Zxid) {
        self.history.commit_to(upto);
        self.deliver();
    }

    /// Acknowledges durable proposals of the leader's epoch (followers only, once NEWLEADER is
    /// acknowledged).
    fn learner_ack(&mut self, upto: Zxid) {
        let learner = self.learner_ref();
        let acking = matches!(
            learner.phase,
            Phase::ExpectUpToDate { .. } | Phase::Synced { .. }
        );
        let Some(epoch) = learner.epoch() else { return };
        if !self.kind.votes() || !acking || upto <= learner.acked || upto.epoch != epoch {
            return;
        }
        let leader = learner.leader;
        self.learner_mut().acked = upto;
        self.send(leader, ZabMsg::Ack { epoch, upto });
    }

    pub(super) fn learner_on_persisted(&mut self) {
        if !self.planted(PlantedBug::AckBeforeFsync) {
            self.learner_ack(self.history.persisted());
        }
    }

    pub(super) fn learner_on_tick(&mut self) {
        let now = self.now;
        let deadline = self.learner_ref().deadline(self);
        if now >= deadline {
            self.learner_abandon();
        }
    }
}
