//! The leader: discovery (a new epoch from a quorum), synchronization of each learner (DIFF,
//! TRUNC+DIFF or SNAP, then NEWLEADER), establishment once a quorum acknowledged NEWLEADER, and
//! broadcast (PROPOSAL, cumulative ACKs, COMMIT to followers and INFORM to observers).
//! After `Leader.java` and `LearnerHandler.java`.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use super::history::SyncPlan;
use super::msg::ZabMsg;
use super::server::{State, Zab, ZabAction};
use super::{MemberKind, PlantedBug};
use crate::ids::{ServerId, Zxid};
use crate::time::Instant;
use crate::txn::Txn;

/// Where the leader is in establishing its epoch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Phase {
    /// Collecting accepted epochs from a quorum.
    Discovering,
    /// Saving the new accepted epoch.
    SavingAccepted,
    /// Waiting for a quorum of ACKEPOCH.
    AwaitingEpochAcks,
    /// Saving the new current epoch.
    SavingCurrent,
    /// Learners are being synced; waiting for a quorum of NEWLEADER acks.
    AwaitingNewLeaderAcks,
    /// A quorum is synced: proposals flow.
    Established,
}

/// How far a learner got.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Stage {
    /// It sent its LearnerInfo.
    Info,
    /// It was sent LEADERINFO.
    EpochSent,
    /// It acknowledged the epoch and waits for its sync.
    EpochAcked,
    /// Its sync and NEWLEADER were sent.
    Syncing,
    /// It acknowledged NEWLEADER (it is sent UPTODATE once the leader is established).
    Synced,
}

/// The leader's view of one learner.
#[derive(Clone, Debug)]
pub(super) struct Link {
    kind: MemberKind,
    stage: Stage,
    /// Its log as reported in ACKEPOCH: last zxid and epoch ends.
    log: Option<(Zxid, Vec<Zxid>)>,
    /// The highest zxid it acknowledged in the current epoch.
    acked: Zxid,
    last_heard: Instant,
    /// Whether it was sent UPTODATE.
    up_to_date: bool,
}

/// What a leader knows of one learner (for `mntr` and metrics).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LearnerStatus {
    /// The learner.
    pub id: ServerId,
    /// Voter, observer or publisher.
    pub kind: MemberKind,
    /// Synced and sent UPTODATE: it serves.
    pub synced: bool,
    /// Proposals of this leader it has not acknowledged (voters only: non-voters never ack).
    pub lag: Option<u64>,
}

/// Leader state.
#[derive(Clone, Debug)]
pub(super) struct Leader {
    phase: Phase,
    epoch: u32,
    links: BTreeMap<ServerId, Link>,
    /// Learners' accepted epochs during discovery (this server included; only voters count
    /// towards the quorum).
    accepted: BTreeMap<ServerId, u32>,
    epoch_acks: BTreeSet<ServerId>,
    started: Instant,
    next_ping: Instant,
}

impl Leader {
    pub(super) fn new(zab: &Zab, now: Instant) -> Self {
        let mut accepted = BTreeMap::new();
        accepted.insert(zab.me, zab.saving.0);
        Self {
            phase: Phase::Discovering,
            epoch: 0,
            links: BTreeMap::new(),
            accepted,
            epoch_acks: BTreeSet::new(),
            started: now,
            next_ping: now,
        }
    }

    pub(super) const fn established_epoch(&self) -> Option<u32> {
        match self.phase {
            Phase::Established => Some(self.epoch),
            _ => None,
        }
    }

    pub(super) fn deadline(&self) -> Instant {
        self.next_ping
    }

    pub(super) fn check_invariants(&self, zab: &Zab) {
        if self.phase >= Phase::AwaitingEpochAcks {
            assert!(self.epoch > 0, "no epoch chosen in {:?}", self.phase);
            assert!(
                zab.accepted_epoch >= self.epoch,
                "leading epoch {} not accepted",
                self.epoch
            );
        }
        if self.phase == Phase::Established {
            assert_eq!(zab.current_epoch, self.epoch, "established but not current");
            assert!(
                zab.history.committed().epoch <= self.epoch,
                "committed beyond the epoch"
            );
        }
        for (id, link) in &self.links {
            assert!(*id != zab.me, "a link to itself");
            if link.up_to_date {
                assert_eq!(link.stage, Stage::Synced, "UPTODATE before NEWLEADER ack");
            }
        }
    }
}

impl Zab {
    /// The learners a leader is in touch with (empty unless leading).
    #[must_use]
    pub fn learners(&self) -> Vec<LearnerStatus> {
        let State::Leading(leader) = &self.state else {
            return Vec::new();
        };
        leader
            .links
            .iter()
            .map(|(id, link)| LearnerStatus {
                id: *id,
                kind: link.kind,
                synced: link.up_to_date,
                lag: link
                    .kind
                    .votes()
                    .then(|| self.history.count_after(link.acked) as u64),
            })
            .collect()
    }

    /// Voters needed for a quorum.
    #[must_use]
    pub fn quorum_size(&self) -> usize {
        self.config.quorum_size()
    }

    /// Proposals logged but not yet committed (a leader's pipeline).
    #[must_use]
    pub fn pending_proposals(&self) -> usize {
        self.history.count_after(self.history.committed())
    }

    fn leader_mut(&mut self) -> &mut Leader {
        match &mut self.state {
            State::Leading(l) => l,
            _ => unreachable!("only called while leading"),
        }
    }

    fn leader_ref(&self) -> &Leader {
        match &self.state {
            State::Leading(l) => l,
            _ => unreachable!("only called while leading"),
        }
    }

    /// Right after winning: a lone voter (or one that already has its quorum) moves on.
    pub(super) fn leader_after_start(&mut self) {
        self.leader_try_choose_epoch();
    }

    pub(super) fn leader_on_msg(&mut self, from: ServerId, msg: ZabMsg) {
        let now = self.now;
        if let ZabMsg::LearnerInfo {
            kind,
            accepted_epoch,
        } = msg
        {
            self.leader_on_learner_info(from, kind, accepted_epoch);
            return;
        }
        let epoch = self.leader_ref().epoch;
        let Some(link) = self.leader_mut().links.get_mut(&from) else {
            return;
        };
        link.last_heard = now;
        if msg.epoch() != Some(epoch) && !self.planted(PlantedBug::CountForeignAcks) {
            return;
        }
        match msg {
            ZabMsg::AckEpoch {
                current_epoch,
                last_zxid,
                epoch_ends,
                ..
            } => self.leader_on_ack_epoch(from, current_epoch, last_zxid, epoch_ends),
            ZabMsg::AckNewLeader { .. } => self.leader_on_ack_new_leader(from),
            ZabMsg::Ack { upto, .. } => self.leader_on_ack(from, upto),
            _ => {}
        }
    }

    /// Whether `ids` make a quorum of voters (with the planted `CountForeignAcks` bug, observers
    /// count as voters).
    fn leader_quorum<'a>(&self, ids: impl IntoIterator<Item = &'a ServerId>) -> bool {
        if !self.planted(PlantedBug::CountForeignAcks) {
            return self.config.is_quorum(ids);
        }
        let voters = self.config.voters().count();
        let have = ids
            .into_iter()
            .filter(|id| self.config.members.contains_key(id))
            .count();
        have * 2 > voters
    }

    /// A learner's link broke: it no longer counts until it syncs again.
    pub(super) fn leader_forget(&mut self, peer: ServerId) {
        let leader = self.leader_mut();
        leader.links.remove(&peer);
        leader.epoch_acks.remove(&peer);
        if leader.phase == Phase::Discovering {
            leader.accepted.remove(&peer);
        }
    }

    fn leader_on_learner_info(&mut self, from: ServerId, kind: MemberKind, accepted: u32) {
        let now = self.now;
        if self.config.members.get(&from) != Some(&kind) {
            return;
        }
        let leader = self.leader_mut();
        if leader.phase > Phase::Discovering && accepted > leader.epoch {
            // The learner promised a later epoch (to a leader that never established it) and
            // will refuse this one for good (§16.2 step 3): it would go back to election, find
            // this leader again and be refused again, forever. Only a new discovery can pick an
            // epoch it takes, so abdicate. Each such election raises the epoch: the new
            // discovery quorum meets this one, whose members all accepted this epoch.
            self.look(now);
            return;
        }
        leader.epoch_acks.remove(&from);
        leader.links.insert(
            from,
            Link {
                kind,
                stage: Stage::Info,
                log: None,
                acked: Zxid::ZERO,
                last_heard: now,
                up_to_date: false,
            },
        );
        match leader.phase {
            Phase::Discovering => {
                // Every learner's accepted epoch raises the new epoch (a learner cannot take an
                // epoch below the one it accepted); only voters make the quorum (`is_quorum`).
                leader.accepted.insert(from, accepted);
                self.leader_try_choose_epoch();
            }
            Phase::SavingAccepted => {}
            _ => self.leader_send_epoch(from),
        }
    }

    /// Once a quorum of voters reported, the new epoch is one above every accepted epoch.
    fn leader_try_choose_epoch(&mut self) {
        let leader = self.leader_ref();
        if leader.phase != Phase::Discovering || !self.leader_quorum(leader.accepted.keys()) {
            return;
        }
        let max = leader.accepted.values().copied().max().unwrap_or(0);
        let epoch = if self.planted(PlantedBug::ZxidReuse) {
            self.current_epoch.max(1)
        } else {
            max + 1
        };
        let leader = self.leader_mut();
        leader.epoch = epoch;
        leader.phase = Phase::SavingAccepted;
        let current = self.current_epoch;
        self.save_epochs(epoch.max(self.accepted_epoch), current);
    }

    fn leader_send_epoch(&mut self, to: ServerId) {
        let leader = self.leader_mut();
        let epoch = leader.epoch;
        let link = leader.links.get_mut(&to).expect("caller checked");
        link.stage = Stage::EpochSent;
        self.send(to, ZabMsg::LeaderInfo { epoch });
    }

    pub(super) fn leader_on_epoch_saved(&mut self) {
        let me = self.me;
        let (accepted, current) = (self.accepted_epoch, self.current_epoch);
        let leader = self.leader_mut();
        // A save from before this leadership may complete first: wait for our own.
        match leader.phase {
            Phase::SavingAccepted if accepted >= leader.epoch => {
                leader.phase = Phase::AwaitingEpochAcks;
                leader.epoch_acks.insert(me);
                let waiting: Vec<ServerId> = leader
                    .links
                    .iter()
                    .filter(|(_, l)| l.stage == Stage::Info)
                    .map(|(id, _)| *id)
                    .collect();
                for id in waiting {
                    self.leader_send_epoch(id);
                }
                self.leader_try_quorum_of_epoch_acks();
            }
            Phase::SavingCurrent if current == leader.epoch => {
                leader.phase = Phase::AwaitingNewLeaderAcks;
                let ready: Vec<ServerId> = leader
                    .links
                    .iter()
                    .filter(|(_, l)| l.stage == Stage::EpochAcked)
                    .map(|(id, _)| *id)
                    .collect();
                for id in ready {
                    self.leader_sync(id);
                }
                self.leader_try_establish();
            }
            _ => {}
        }
    }

    fn leader_on_ack_epoch(&mut self, from: ServerId, current: u32, last: Zxid, ends: Vec<Zxid>) {
        let ours = (self.current_epoch, self.history.last_logged());
        let leader = self.leader_mut();
        let gathering = leader.phase == Phase::AwaitingEpochAcks;
        let link = leader.links.get_mut(&from).expect("caller checked");
        if link.stage != Stage::EpochSent {
            return;
        }
        if gathering && link.kind.votes() && (current, last) > ours {
            // A voter knows more than this leader: it must not lead (Java's "follower is ahead").
            // Only while the epoch quorum forms: once a quorum at most as recent as this leader
            // acked, every commit quorum meets it, so what the voter has beyond is uncommitted
            // and is cut at sync (Java's `waitForEpochAck` returns once `electionFinished`).
            // Abdicating then would leave this leader's new current epoch above its log, and the
            // next leader would find it ahead in turn (seed 191797 never elected a leader).
            let now = self.now;
            self.look(now);
            return;
        }
        link.stage = Stage::EpochAcked;
        link.log = Some((last, ends));
        let leader = self.leader_mut();
        leader.epoch_acks.insert(from);
        match leader.phase {
            Phase::AwaitingEpochAcks => self.leader_try_quorum_of_epoch_acks(),
            Phase::AwaitingNewLeaderAcks | Phase::Established => self.leader_sync(from),
            _ => {}
        }
    }

    fn leader_try_quorum_of_epoch_acks(&mut self) {
        let leader = self.leader_ref();
        if leader.phase != Phase::AwaitingEpochAcks || !self.leader_quorum(&leader.epoch_acks) {
            return;
        }
        let epoch = leader.epoch;
        self.leader_mut().phase = Phase::SavingCurrent;
        let accepted = self.accepted_epoch.max(epoch);
        self.save_epochs(accepted, epoch);
    }

    /// Sends one learner what it lacks, then NEWLEADER.
    fn leader_sync(&mut self, to: ServerId) {
        let epoch = self.leader_ref().epoch;
        let link = self
            .leader_mut()
            .links
            .get_mut(&to)
            .expect("caller checked");
        let (last, ends) = link.log.take().expect("an acked learner reported its log");
        link.stage = Stage::Syncing;
        let plan = self.history.plan_sync(last, &ends);
        let from = match plan {
            SyncPlan::Diff { from } => {
                self.send(to, ZabMsg::Diff { epoch, from });
                from
            }
            SyncPlan::TruncDiff { after } if self.planted(PlantedBug::DiffWithoutTrunc) => {
                self.send(to, ZabMsg::Diff { epoch, from: last });
                last.max(after)
            }
            SyncPlan::TruncDiff { after } => {
                self.send(to, ZabMsg::Trunc { epoch, after });
                after
            }
            SyncPlan::Snap => {
                let zxid = self.history.delivered();
                self.send(to, ZabMsg::Snap { epoch, zxid });
                self.actions
                    .push_back(ZabAction::SendSnapshot { to, epoch, zxid });
                zxid
            }
        };
        let from = from.min(self.history.last_logged());
        for txn in self.history.txns_after(from) {
            self.send(to, ZabMsg::Proposal { epoch, txn });
        }
        self.send(to, ZabMsg::NewLeader { epoch });
    }

    fn leader_on_ack_new_leader(&mut self, from: ServerId) {
        let leader = self.leader_mut();
        let link = leader.links.get_mut(&from).expect("caller checked");
        if link.stage != Stage::Syncing {
            return;
        }
        link.stage = Stage::Synced;
        if leader.phase == Phase::Established {
            self.leader_send_up_to_date(from);
        } else {
            self.leader_try_establish();
        }
    }

    /// Once a quorum (this server included, with its whole log durable) acknowledged NEWLEADER,
    /// the leader's history is committed and the epoch is established.
    fn leader_try_establish(&mut self) {
        let me = self.me;
        let self_ready = self.history.persisted() == self.history.last_logged();
        let leader = self.leader_ref();
        if leader.phase != Phase::AwaitingNewLeaderAcks || !self_ready {
            return;
        }
        let synced = leader
            .links
            .iter()
            .filter(|(_, l)| l.stage == Stage::Synced)
            .map(|(id, _)| *id);
        let acks: BTreeSet<ServerId> = synced.chain([me]).collect();
        if !self.leader_quorum(&acks) {
            return;
        }
        let epoch = leader.epoch;
        let now = self.now;
        let leader = self.leader_mut();
        leader.phase = Phase::Established;
        leader.started = now;
        for link in leader.links.values_mut() {
            link.last_heard = now;
        }
        let last = self.history.last_logged();
        self.history.commit_to(last);
        let ready: Vec<ServerId> = acks.into_iter().filter(|id| *id != me).collect();
        for id in ready {
            self.leader_send_up_to_date(id);
        }
        assert_eq!(
            self.current_epoch, epoch,
            "established before the epoch was saved"
        );
        self.set_serving(true);
        self.deliver();
    }

    fn leader_send_up_to_date(&mut self, to: ServerId) {
        let epoch = self.leader_ref().epoch;
        let committed = self.history.committed();
        let link = self
            .leader_mut()
            .links
            .get_mut(&to)
            .expect("caller checked");
        link.up_to_date = true;
        self.send(to, ZabMsg::UpToDate { epoch, committed });
    }

    pub(super) fn leader_propose(&mut self, txn: Txn) {
        let leader = self.leader_ref();
        assert_eq!(
            leader.phase,
            Phase::Established,
            "proposal before establishment"
        );
        let epoch = leader.epoch;
        assert_eq!(
            txn.zxid.epoch, epoch,
            "proposal {} outside epoch {epoch}",
            txn.zxid
        );
        assert!(
            self.history.last_logged().follows(txn.zxid),
            "proposal {} does not follow {}",
            txn.zxid,
            self.history.last_logged()
        );
        let followers: Vec<ServerId> = leader
            .links
            .iter()
            .filter(|(_, l)| l.kind.votes() && l.stage >= Stage::Syncing)
            .map(|(id, _)| *id)
            .collect();
        for to in followers {
            let txn = txn.clone();
            self.send(to, ZabMsg::Proposal { epoch, txn });
        }
        self.log(txn);
    }

    fn leader_on_ack(&mut self, from: ServerId, upto: Zxid) {
        let foreign = self.planted(PlantedBug::CountForeignAcks);
        let link = self
            .leader_mut()
            .links
            .get_mut(&from)
            .expect("caller checked");
        if (!link.kind.votes() || link.stage != Stage::Synced) && !foreign {
            return;
        }
        link.acked = link.acked.max(upto);
        self.leader_advance_commit();
    }

    pub(super) fn leader_on_persisted(&mut self) {
        match self.leader_ref().phase {
            Phase::AwaitingNewLeaderAcks => self.leader_try_establish(),
            Phase::Established => self.leader_advance_commit(),
            _ => {}
        }
    }

    /// Commits the highest zxid of this epoch that a quorum of voters holds durably.
    fn leader_advance_commit(&mut self) {
        let foreign = self.planted(PlantedBug::CountForeignAcks);
        let quorum = self.config.quorum_size();
        let leader = self.leader_ref();
        if leader.phase != Phase::Established {
            return;
        }
        let epoch = leader.epoch;
        let mut acks: Vec<Zxid> = leader
            .links
            .values()
            .filter(|l| foreign || (l.kind.votes() && l.stage == Stage::Synced))
            .map(|l| l.acked)
            .chain([self.history.persisted()])
            .filter(|z| foreign || z.epoch == epoch)
            .collect();
        if acks.len() < quorum {
            return;
        }
        acks.sort_unstable_by(|a, b| b.cmp(a));
        let point = acks[quorum - 1].min(self.history.last_logged());
        let old = self.history.committed();
        if point <= old {
            return;
        }
        self.history.commit_to(point);
        self.leader_announce_commit(epoch, old, point);
        self.deliver();
    }

    fn leader_announce_commit(&mut self, epoch: u32, old: Zxid, point: Zxid) {
        let mut followers = Vec::new();
        let mut observers = Vec::new();
        for (id, l) in &self.leader_ref().links {
            if l.kind.votes() && l.up_to_date {
                followers.push(*id);
            } else if !l.kind.votes() && l.stage >= Stage::Syncing {
                observers.push(*id);
            }
        }
        for to in followers {
            self.send(to, ZabMsg::Commit { epoch, upto: point });
        }
        if observers.is_empty() {
            return;
        }
        let txns = self.history.txns_between(old, point);
        for to in observers {
            for txn in &txns {
                let txn = txn.clone();
                self.send(to, ZabMsg::Inform { epoch, txn });
            }
        }
    }

    pub(super) fn leader_on_tick(&mut self) {
        let now = self.now;
        let tick = Duration::from_millis(self.tick_ms);
        let leader = self.leader_ref();
        if now < leader.next_ping {
            return;
        }
        let limit = if leader.phase == Phase::Established {
            self.config.sync_limit
        } else {
            self.config.init_limit
        };
        let window = tick * limit;
        if leader.phase != Phase::Established && now.saturating_since(leader.started) >= window {
            self.look(now);
            return;
        }
        if leader.phase == Phase::Established {
            let alive = leader
                .links
                .iter()
                .filter(|(_, l)| {
                    l.stage == Stage::Synced && now.saturating_since(l.last_heard) < window
                })
                .map(|(id, _)| *id)
                .chain([self.me]);
            let alive: BTreeSet<ServerId> = alive.collect();
            if !self.leader_quorum(&alive) {
                self.look(now);
                return;
            }
        }
        let epoch = leader.epoch;
        let committed = self.history.committed();
        let learners: Vec<ServerId> = leader
            .links
            .iter()
            .filter(|(_, l)| l.stage >= Stage::Syncing)
            .map(|(id, _)| *id)
            .collect();
        for to in learners {
            self.send(to, ZabMsg::Ping { epoch, committed });
        }
        self.leader_mut().next_ping = now + tick / 2;
    }
}
