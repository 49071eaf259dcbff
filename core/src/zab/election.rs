//! Fast leader election (zookeeper-protocol.md §16.1, `FastLeaderElection.java`).
//!
//! A sans-IO sub-machine driven by [`crate::node::Node`]: `start` when the node goes LOOKING,
//! `on_notification` for each vote received, `on_tick` when [`Election::deadline`] passes;
//! effects are drained with [`Election::poll_action`] after every call. A `Decided` action
//! leaves LOOKING and settles the election with the natural state (LEADING, FOLLOWING or
//! OBSERVING), so that LOOKING peers asking later are told who leads; [`Election::settle`]
//! overrides that. When the node loses its leader, it calls `start` again.
//!
//! Differences from Java, all deliberate:
//! - Voters send their notifications to non-voters too (Java sends only to voters and lets
//!   observers poll), so observers learn LOOKING votes as they change. Non-voters never answer
//!   anyone and send only on `start` and on resends, so no message loops between them.
//! - Notifications that arrive during the finalize wait are recorded, not discarded; a change
//!   that breaks the quorum for the proposal (a better vote, a new round) cancels the wait.
//! - Only a notification that changes something (round, proposal, a recorded vote) postpones
//!   the resend; Java postpones on any message.

use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::MemberKind;
use crate::ids::{ServerId, Zxid};
use crate::time::Instant;

/// A peer's state as carried in its notifications.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum PeerState {
    /// Electing.
    Looking,
    /// Following `vote.leader`.
    Following,
    /// Leading.
    Leading,
    /// Observing `vote.leader`.
    Observing,
}

/// A vote: who should lead, and that candidate's epoch and last zxid. Votes compare by
/// (epoch, zxid, leader id), the field order here.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Vote {
    /// The candidate's current epoch (Java's peerEpoch).
    pub epoch: u32,
    /// The candidate's last logged zxid.
    pub zxid: Zxid,
    /// The candidate.
    pub leader: ServerId,
}

/// One election message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notification {
    /// The sender's state.
    pub state: PeerState,
    /// The sender's vote (for a FOLLOWING/LEADING/OBSERVING sender: the leader it has).
    pub vote: Vote,
    /// The sender's logical clock (Java's electionEpoch).
    pub round: u64,
}

/// Election timing, ms.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ElectionConfig {
    /// How long to wait for a better vote once a quorum agrees (Java's finalizeWait, 200 ms).
    pub finalize_wait_ms: u64,
    /// First resend interval when no notification arrives; doubles up to `resend_max_ms`.
    pub resend_min_ms: u64,
    /// Cap of the resend interval (Java: 60 s).
    pub resend_max_ms: u64,
}

impl Default for ElectionConfig {
    fn default() -> Self {
        Self {
            finalize_wait_ms: 200,
            resend_min_ms: 200,
            resend_max_ms: 60_000,
        }
    }
}

/// An effect of the election.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ElectionAction {
    /// Send this notification to a peer.
    Send {
        /// The peer.
        to: ServerId,
        /// The notification.
        notification: Notification,
    },
    /// The election is over: `vote.leader` leads (this server if it is `me`; never a non-voter).
    /// The election is no longer LOOKING and already answers LOOKING peers with LEADING (if
    /// `vote.leader` is this server), FOLLOWING (another voter) or OBSERVING (this server does
    /// not vote). The node moves to that role and runs discovery; `start` again if it fails.
    Decided {
        /// The winning vote.
        vote: Vote,
    },
}

/// The election state of one server.
#[derive(Clone, Debug)]
pub struct Election {
    me: ServerId,
    members: BTreeMap<ServerId, MemberKind>,
    /// How many members vote; a quorum is a strict majority of them.
    voters: usize,
    config: ElectionConfig,
    /// The logical clock (Java's logicalclock): bumped by `start`, raised to any higher round heard
    /// from a LOOKING voter, and kept after the decision (settled replies carry it).
    round: u64,
    phase: Phase,
    actions: VecDeque<ElectionAction>,
}

/// Where the election is.
#[derive(Clone, Debug)]
enum Phase {
    /// Built, `start` not called yet: every notification is dropped.
    Idle,
    /// Electing.
    Looking(Looking),
    /// Decided (or told by the node): LOOKING voters are answered with this.
    Settled {
        /// FOLLOWING, LEADING or OBSERVING.
        state: PeerState,
        /// The leader this server has.
        vote: Vote,
    },
}

/// The state of one LOOKING period (one `start`).
#[derive(Clone, Debug)]
struct Looking {
    /// The vote given to `start`. A voter falls back on it when a higher round begins; for a
    /// non-voter it names the non-voter itself, so it can never win and is never counted.
    initial: Vote,
    /// The vote this server currently proposes.
    proposal: Vote,
    /// Votes of voters in the current round (LOOKING ones, and FOLLOWING/LEADING ones carrying
    /// this round), this server's own included when it votes (Java's recvset). Cleared on every
    /// new round.
    received: BTreeMap<ServerId, Notification>,
    /// FOLLOWING/LEADING notifications from voters, any round (Java's outofelection).
    out_of_election: BTreeMap<ServerId, Notification>,
    /// When to resend our notification if nothing useful arrives before.
    resend_at: Instant,
    /// The current resend interval, doubling from `resend_min_ms` to `resend_max_ms`.
    resend_interval_ms: u64,
    /// Armed while a quorum agrees with `proposal`: decide when it passes.
    finalize: Option<Finalize>,
}

/// The finalize wait for one proposal in one round.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Finalize {
    at: Instant,
    vote: Vote,
    round: u64,
}

/// Whether `a` supports `target` (Java's `Vote.equals`): while either is LOOKING, the whole vote
/// and the round must match; between established servers (FOLLOWING/LEADING) the leader and its
/// epoch are enough, because their zxids and rounds legitimately differ.
fn agrees(a: &Notification, target: &Notification) -> bool {
    if a.state == PeerState::Looking || target.state == PeerState::Looking {
        a.vote == target.vote && a.round == target.round
    } else {
        a.vote.leader == target.vote.leader && a.vote.epoch == target.vote.epoch
    }
}

impl Election {
    /// A new election component, not looking yet. `members` must hold `me` and at least one
    /// voter, and the resend intervals must satisfy `0 < resend_min_ms <= resend_max_ms`.
    #[must_use]
    pub fn new(
        me: ServerId,
        members: BTreeMap<ServerId, MemberKind>,
        config: ElectionConfig,
    ) -> Self {
        assert!(members.contains_key(&me), "{me:?} is not a member");
        let voters = members.values().filter(|k| k.votes()).count();
        assert!(voters > 0, "an ensemble needs at least one voter");
        assert!(config.resend_min_ms > 0, "resend_min_ms must be positive");
        assert!(
            config.resend_min_ms <= config.resend_max_ms,
            "resend_min_ms {} > resend_max_ms {}",
            config.resend_min_ms,
            config.resend_max_ms
        );
        Self {
            me,
            members,
            voters,
            config,
            round: 0,
            phase: Phase::Idle,
            actions: VecDeque::new(),
        }
    }

    /// Goes LOOKING with this server's own vote (`own.leader` is this server; for a voter, its
    /// current epoch and last logged zxid): bumps the round, forgets received votes, and sends
    /// its notification to every other member. A non-voter's own vote names a non-voter, so it
    /// is never counted or adopted: a non-voter only learns the leader from voters.
    pub fn start(&mut self, now: Instant, own: Vote) {
        assert_eq!(own.leader, self.me, "own vote must name this server");
        self.round = self.round.saturating_add(1);
        self.phase = Phase::Looking(Looking {
            initial: own,
            proposal: own,
            received: BTreeMap::new(),
            out_of_election: BTreeMap::new(),
            resend_at: now + Duration::from_millis(self.config.resend_min_ms),
            resend_interval_ms: self.config.resend_min_ms,
            finalize: None,
        });
        self.record_own_vote();
        self.broadcast();
        // A single voter is a quorum on its own.
        self.refresh_finalize(now);
        assert!(self.is_looking());
        self.check_invariants();
    }

    /// A notification from a peer. Input from the network: anything out of protocol (an
    /// unknown or non-member sender, ourselves, a vote for a non-voter) is dropped.
    pub fn on_notification(&mut self, now: Instant, from: ServerId, n: Notification) {
        let Some(kind) = self.members.get(&from).copied() else {
            return;
        };
        if from == self.me {
            return;
        }
        if !kind.votes() {
            self.on_non_voter_notification(from, n);
            return;
        }
        match self.phase {
            Phase::Idle => {}
            Phase::Settled { .. } => {
                // A late joiner learns the leader from these answers.
                if n.state == PeerState::Looking && self.is_voter(self.me) {
                    self.send(from);
                }
            }
            Phase::Looking(_) => {
                if !self.is_voter(n.vote.leader) {
                    return;
                }
                match n.state {
                    PeerState::Looking => self.on_looking_notification(now, from, n),
                    PeerState::Following | PeerState::Leading => {
                        self.on_established_notification(now, from, n);
                    }
                    // A voter never observes: out of protocol.
                    PeerState::Observing => {}
                }
            }
        }
        self.check_invariants();
    }

    /// Timers: the finalize wait (decide) and the resend (rebroadcast with backoff). An early or
    /// repeated call does nothing.
    pub fn on_tick(&mut self, now: Instant) {
        let Phase::Looking(looking) = &mut self.phase else {
            return;
        };
        if let Some(finalize) = looking.finalize {
            if now >= finalize.at {
                assert_eq!(
                    finalize.round, self.round,
                    "finalize armed in another round"
                );
                self.decide(finalize.vote);
                self.check_invariants();
                return;
            }
        }
        if now >= looking.resend_at {
            let doubled = looking.resend_interval_ms.saturating_mul(2);
            looking.resend_interval_ms = doubled.min(self.config.resend_max_ms);
            looking.resend_at = now + Duration::from_millis(looking.resend_interval_ms);
            self.broadcast();
        }
        self.check_invariants();
    }

    /// When `on_tick` must be called next, if ever: while LOOKING, the earlier of the resend
    /// and the finalize wait; otherwise never.
    #[must_use]
    pub fn deadline(&self) -> Option<Instant> {
        match &self.phase {
            Phase::Looking(looking) => Some(match looking.finalize {
                Some(finalize) => finalize.at.min(looking.resend_at),
                None => looking.resend_at,
            }),
            Phase::Idle | Phase::Settled { .. } => None,
        }
    }

    /// The node is now FOLLOWING/LEADING/OBSERVING with this vote; LOOKING peers are answered
    /// with it. `Decided` already settles with the natural state (LEADING if the leader is this
    /// server, else FOLLOWING for a voter and OBSERVING for a non-voter), so the node needs this
    /// only to stop an election by itself or to change what peers are told.
    ///
    /// # Panics
    /// When `state` is LOOKING or does not fit `vote` (LEADING exactly when `vote.leader` is this
    /// server, OBSERVING exactly when this server does not vote), or `vote.leader` is not a
    /// voter: all bugs of the caller.
    pub fn settle(&mut self, state: PeerState, vote: Vote) {
        assert_ne!(
            state,
            PeerState::Looking,
            "settle with LOOKING: call start instead"
        );
        assert!(
            self.is_voter(vote.leader),
            "settled on non-voter {:?}",
            vote.leader
        );
        assert_eq!(
            state,
            self.settled_state(vote.leader),
            "state does not fit leader {:?}",
            vote.leader
        );
        self.phase = Phase::Settled { state, vote };
        assert!(!self.is_looking());
        self.check_invariants();
    }

    /// Whether it is LOOKING.
    #[must_use]
    pub fn is_looking(&self) -> bool {
        matches!(self.phase, Phase::Looking(_))
    }

    /// The logical clock (Java's electionEpoch): the round of the current or last election.
    #[must_use]
    pub fn round(&self) -> u64 {
        self.round
    }

    /// What this server would tell a peer now: its LOOKING proposal, or its settled state and
    /// leader; `None` before the first `start`.
    #[must_use]
    pub fn notification(&self) -> Option<Notification> {
        let (state, vote) = match &self.phase {
            Phase::Idle => return None,
            Phase::Looking(looking) => (PeerState::Looking, looking.proposal),
            Phase::Settled { state, vote } => (*state, *vote),
        };
        Some(Notification {
            state,
            vote,
            round: self.round,
        })
    }

    /// The next effect. The node drains these after every call.
    #[must_use]
    pub fn poll_action(&mut self) -> Option<ElectionAction> {
        self.actions.pop_front()
    }

    /// Checks the election's invariants (STYLE.md §7).
    pub fn check_invariants(&self) {
        assert!(self.members.contains_key(&self.me));
        assert!(self.voters > 0 && self.voters <= self.members.len());
        match &self.phase {
            Phase::Idle => assert_eq!(self.round, 0, "idle after a round"),
            Phase::Looking(looking) => self.check_looking(looking),
            Phase::Settled { state, vote } => {
                assert_ne!(*state, PeerState::Looking);
                assert!(
                    self.is_voter(vote.leader),
                    "decided non-voter {:?}",
                    vote.leader
                );
                assert_eq!(*state, self.settled_state(vote.leader));
            }
        }
    }

    fn check_looking(&self, looking: &Looking) {
        assert!(self.round > 0, "looking before any round");
        assert_eq!(looking.initial.leader, self.me);
        assert!(looking.resend_interval_ms >= self.config.resend_min_ms);
        assert!(looking.resend_interval_ms <= self.config.resend_max_ms);
        // Only voters' votes are kept (O(n): debug only); a proposal names a voter unless it is a
        // non-voter's own.
        debug_assert!(looking.received.keys().all(|id| self.is_voter(*id)));
        debug_assert!(looking.out_of_election.keys().all(|id| self.is_voter(*id)));
        assert!(!looking.out_of_election.contains_key(&self.me));
        debug_assert!(looking
            .received
            .values()
            .all(|n| self.is_voter(n.vote.leader)));
        debug_assert!(looking.received.values().all(|n| n.round == self.round));
        if self.is_voter(self.me) {
            assert!(self.is_voter(looking.proposal.leader));
            let own = looking
                .received
                .get(&self.me)
                .expect("a voter records its own vote");
            assert_eq!(own.vote, looking.proposal);
            assert_eq!(own.state, PeerState::Looking);
        } else {
            assert!(!looking.received.contains_key(&self.me));
            if !self.is_voter(looking.proposal.leader) {
                assert_eq!(looking.proposal, looking.initial);
            }
        }
        if let Some(finalize) = looking.finalize {
            assert_eq!(
                finalize.vote, looking.proposal,
                "finalize armed for a stale vote"
            );
            assert_eq!(
                finalize.round, self.round,
                "finalize armed in another round"
            );
            assert!(self.is_voter(finalize.vote.leader));
            debug_assert!(self.quorum_agrees_with_proposal(looking));
        }
    }

    /// A notification from an observer or publisher. Its vote never counts; a voter answers a
    /// LOOKING one with what it has, which is how non-voters learn the leader (Java replies to
    /// non-voters the same way). Non-voters never answer each other, so no message loops.
    fn on_non_voter_notification(&mut self, from: ServerId, n: Notification) {
        let answers = n.state == PeerState::Looking && self.is_voter(self.me);
        if answers && !matches!(self.phase, Phase::Idle) {
            self.send(from);
        }
    }

    /// A LOOKING voter's vote while we are LOOKING (`n.vote.leader` is a voter).
    fn on_looking_notification(&mut self, now: Instant, from: ServerId, n: Notification) {
        assert!(self.is_voter(from));
        assert!(self.is_voter(n.vote.leader));
        let looking = self.looking();
        let (initial, proposal) = (looking.initial, looking.proposal);
        if n.round < self.round {
            // Stale round: tell the sender where we are so it catches up (as Java does).
            if self.is_voter(self.me) {
                self.send(from);
            }
            return;
        }
        let mut useful = false;
        if n.round > self.round {
            self.round = n.round;
            self.looking_mut().received.clear();
            let best = if self.beats(n.vote, initial) {
                n.vote
            } else {
                initial
            };
            self.adopt(best);
            useful = true;
        } else if self.beats(n.vote, proposal) {
            self.adopt(n.vote);
            useful = true;
        }
        let looking = self.looking_mut();
        let previous = looking.received.insert(from, n);
        useful |= previous != Some(n);
        self.refresh_finalize(now);
        if useful {
            self.postpone_resend(now);
        }
    }

    /// A FOLLOWING/LEADING voter's vote while we are LOOKING: an ensemble may already have a
    /// leader. Adopt it once a quorum of voters supports it and the leader itself confirms it is
    /// LEADING (Java's `receivedFollowingNotification` and `checkLeader`), first among the votes
    /// of this round, then among every established vote heard since `start`.
    fn on_established_notification(&mut self, now: Instant, from: ServerId, n: Notification) {
        assert!(self.is_voter(from));
        assert!(n.state == PeerState::Following || n.state == PeerState::Leading);
        if n.round == self.round {
            self.looking_mut().received.insert(from, n);
            let looking = self.looking();
            if self.is_quorum_for(&looking.received, &n)
                && self.leader_confirmed(&looking.received, &n)
            {
                self.decide(n.vote);
                return;
            }
        }
        let previous = self.looking_mut().out_of_election.insert(from, n);
        let looking = self.looking();
        if self.is_quorum_for(&looking.out_of_election, &n)
            && self.leader_confirmed(&looking.out_of_election, &n)
        {
            self.round = n.round;
            self.decide(n.vote);
            return;
        }
        // The received votes may have changed, which can make or break a quorum for our proposal.
        self.refresh_finalize(now);
        if previous != Some(n) {
            self.postpone_resend(now);
        }
    }

    /// Java's `checkLeader`: the named leader told us it is LEADING, or it is us and the round
    /// is ours.
    fn leader_confirmed(&self, votes: &BTreeMap<ServerId, Notification>, n: &Notification) -> bool {
        if n.vote.leader == self.me {
            n.round == self.round
        } else {
            votes
                .get(&n.vote.leader)
                .is_some_and(|v| v.state == PeerState::Leading)
        }
    }

    /// Proposes `vote` in the current round and tells everyone (a non-voter keeps it to itself:
    /// voters never count a non-voter's vote, and answer its resends anyway).
    fn adopt(&mut self, vote: Vote) {
        assert!(
            self.is_voter(vote.leader),
            "adopting non-voter {:?}",
            vote.leader
        );
        self.looking_mut().proposal = vote;
        self.record_own_vote();
        if self.is_voter(self.me) {
            self.broadcast();
        }
    }

    /// A voter counts its own proposal among the received votes (Java gets it by loopback).
    fn record_own_vote(&mut self) {
        if !self.is_voter(self.me) {
            return;
        }
        let (me, round) = (self.me, self.round);
        let looking = self.looking_mut();
        let own = Notification {
            state: PeerState::Looking,
            vote: looking.proposal,
            round,
        };
        looking.received.insert(me, own);
    }

    /// Arms the finalize wait when a quorum agrees with the proposal (keeping a wait already
    /// armed for this very proposal), and disarms it otherwise.
    fn refresh_finalize(&mut self, now: Instant) {
        let looking = self.looking();
        let agreed = self.quorum_agrees_with_proposal(looking);
        let target = (looking.proposal, self.round);
        let keep = looking
            .finalize
            .is_some_and(|f| (f.vote, f.round) == target);
        let at = now + Duration::from_millis(self.config.finalize_wait_ms);
        let looking = self.looking_mut();
        looking.finalize = match (agreed, keep) {
            (false, _) => None,
            (true, true) => looking.finalize,
            (true, false) => Some(Finalize {
                at,
                vote: target.0,
                round: target.1,
            }),
        };
    }

    fn quorum_agrees_with_proposal(&self, looking: &Looking) -> bool {
        let target = Notification {
            state: PeerState::Looking,
            vote: looking.proposal,
            round: self.round,
        };
        self.is_voter(target.vote.leader) && self.is_quorum_for(&looking.received, &target)
    }

    /// Whether the voters in `votes` that support `target` are a strict majority of the voters.
    fn is_quorum_for(
        &self,
        votes: &BTreeMap<ServerId, Notification>,
        target: &Notification,
    ) -> bool {
        let support = votes
            .iter()
            .filter(|(id, n)| self.is_voter(**id) && agrees(n, target))
            .count();
        support * 2 > self.voters
    }

    fn postpone_resend(&mut self, now: Instant) {
        let looking = self.looking_mut();
        looking.resend_at = now + Duration::from_millis(looking.resend_interval_ms);
    }

    /// The election is over: leave LOOKING with the natural state for `vote`.
    fn decide(&mut self, vote: Vote) {
        assert!(self.is_looking());
        assert!(
            self.is_voter(vote.leader),
            "deciding non-voter {:?}",
            vote.leader
        );
        let state = self.settled_state(vote.leader);
        self.phase = Phase::Settled { state, vote };
        self.actions.push_back(ElectionAction::Decided { vote });
        assert!(!self.is_looking());
    }

    fn settled_state(&self, leader: ServerId) -> PeerState {
        if !self.is_voter(self.me) {
            PeerState::Observing
        } else if leader == self.me {
            PeerState::Leading
        } else {
            PeerState::Following
        }
    }

    /// Sends our notification to every other member, voters and non-voters alike (non-voters
    /// need to hear the result), in id order.
    fn broadcast(&mut self) {
        let others: Vec<ServerId> = self
            .members
            .keys()
            .copied()
            .filter(|id| *id != self.me)
            .collect();
        for to in others {
            self.send(to);
        }
    }

    fn send(&mut self, to: ServerId) {
        assert_ne!(to, self.me, "sending to self");
        let notification = self.notification().expect("sending before start");
        self.actions
            .push_back(ElectionAction::Send { to, notification });
    }

    /// Java's `totalOrderPredicate`: `new` beats `current` if it names a voter and either
    /// `current` does not or `new` is higher by (epoch, zxid, leader id).
    fn beats(&self, new: Vote, current: Vote) -> bool {
        if !self.is_voter(new.leader) {
            return false;
        }
        !self.is_voter(current.leader) || new > current
    }

    fn is_voter(&self, id: ServerId) -> bool {
        self.members.get(&id).is_some_and(|k| k.votes())
    }

    fn looking(&self) -> &Looking {
        match &self.phase {
            Phase::Looking(looking) => looking,
            Phase::Idle | Phase::Settled { .. } => unreachable!("not looking"),
        }
    }

    fn looking_mut(&mut self) -> &mut Looking {
        match &mut self.phase {
            Phase::Looking(looking) => looking,
            Phase::Idle | Phase::Settled { .. } => unreachable!("not looking"),
        }
    }
}

#[cfg(test)]
#[path = "election_test.rs"]
mod tests;
