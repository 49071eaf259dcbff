//! Fast leader election (zookeeper-protocol.md §16.1, `FastLeaderElection.java`).
//!
//! A sans-IO sub-machine driven by [`crate::node::Node`]: `start` when the node goes LOOKING,
//! `on_notification` for each vote received, `on_tick` when [`Election::deadline`] passes;
//! effects are drained with [`Election::poll_action`]. Once decided, the node calls
//! [`Election::settle`] so that LOOKING peers asking later are told who leads.

use std::collections::{BTreeMap, VecDeque};

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
    /// The election is over: `vote.leader` leads (this server if it is `me`). The election is
    /// no longer LOOKING; the node calls `settle` with its new state.
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
    config: ElectionConfig,
    actions: VecDeque<ElectionAction>,
}

impl Election {
    /// A new election component, not looking yet.
    #[must_use]
    pub fn new(
        me: ServerId,
        members: BTreeMap<ServerId, MemberKind>,
        config: ElectionConfig,
    ) -> Self {
        Self {
            me,
            members,
            config,
            actions: VecDeque::new(),
        }
    }

    /// Goes LOOKING with this server's own vote (its current epoch and last logged zxid): bumps
    /// the round and broadcasts. A non-voter proposes nobody and only learns the leader.
    pub fn start(&mut self, now: Instant, own: Vote) {
        let _ = (now, own, self.me, &self.members, self.config);
        todo!("election")
    }

    /// A notification from a peer.
    pub fn on_notification(&mut self, now: Instant, from: ServerId, n: Notification) {
        let _ = (now, from, n);
        todo!("election")
    }

    /// Timers: resend with backoff, finalize wait.
    pub fn on_tick(&mut self, now: Instant) {
        let _ = now;
        todo!("election")
    }

    /// When `on_tick` must be called next, if ever.
    #[must_use]
    pub fn deadline(&self) -> Option<Instant> {
        todo!("election")
    }

    /// The node is now FOLLOWING/LEADING/OBSERVING with this vote; LOOKING peers are answered
    /// with it.
    pub fn settle(&mut self, state: PeerState, vote: Vote) {
        let _ = (state, vote);
        todo!("election")
    }

    /// Whether it is LOOKING.
    #[must_use]
    pub fn is_looking(&self) -> bool {
        todo!("election")
    }

    /// The next effect.
    #[must_use]
    pub fn poll_action(&mut self) -> Option<ElectionAction> {
        self.actions.pop_front()
    }

    /// Checks the election's invariants.
    pub fn check_invariants(&self) {}
}
