//! ZAB: fast leader election, discovery, synchronization and broadcast (DESIGN.md §3.3,
//! zookeeper-protocol.md §16).
//!
//! This module knows nothing of znodes: it orders opaque [`Txn`](crate::txn::Txn)s. [`crate::node::Node`] composes
//! it with the data tree. Peer links are assumed FIFO but may break (lose every message after a
//! point) or be slow; every receiver checks that what it gets fits the protocol state it is in and
//! otherwise drops it (or, for a learner, goes back to election).
//!
//! - [`election`]: fast leader election (votes ordered by epoch, zxid, server id).
//! - [`msg`]: the messages of discovery, synchronization and broadcast.
//! - [`history`]: the in-memory window of the log and the choice of DIFF, TRUNC+DIFF or SNAP.

pub mod election;
pub mod history;
mod leader;
mod learner;
pub mod msg;
mod planted;
mod server;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::ids::{ServerId, Zxid};

pub use election::{Election, ElectionAction, ElectionConfig, Notification, PeerState, Vote};
pub use history::{History, SyncPlan};
pub use leader::LearnerStatus;
pub use msg::ZabMsg;
pub use planted::PlantedBug;
pub use server::{Zab, ZabAction};

/// What a member of the ensemble is (`server.N=host:port:port[:participant|observer|publisher]`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum MemberKind {
    /// A voter: takes part in elections and quorums.
    Participant,
    /// A non-voter that serves clients and learns committed txns (INFORM).
    Observer,
    /// A non-voter that serves the replication stream; for ZAB it is an observer.
    Publisher,
}

impl MemberKind {
    /// Whether the member votes and counts in quorums.
    #[must_use]
    pub const fn votes(self) -> bool {
        matches!(self, Self::Participant)
    }
}

/// A node's role in the protocol at one moment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Role {
    /// Electing a leader.
    Looking,
    /// A voter following `leader`.
    Following,
    /// The leader.
    Leading,
    /// A non-voter learning from `leader`.
    Observing,
    /// A standalone server (no ensemble).
    Standalone,
}

/// The static membership and the timing of an ensemble.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnsembleConfig {
    /// Every member and what it is, this server included.
    pub members: BTreeMap<ServerId, MemberKind>,
    /// Ticks a learner may take to connect to and sync with the leader (`initLimit`).
    pub init_limit: u32,
    /// Ticks a learner may go without hearing from the leader, and the leader without hearing
    /// from a quorum, once synced (`syncLimit`).
    pub sync_limit: u32,
    /// Election timing.
    pub election: ElectionConfig,
    /// Committed txns the leader keeps in memory to sync learners by DIFF; a learner further
    /// behind gets a SNAP.
    pub committed_log_max: usize,
    /// A deliberately planted bug, for checking that the simulator finds it (only with the
    /// `planted-bugs` feature; ignored otherwise).
    pub planted: Option<PlantedBug>,
}

impl EnsembleConfig {
    /// A configuration with Java's defaults (initLimit 10, syncLimit 5) for these members.
    #[must_use]
    pub fn new(members: BTreeMap<ServerId, MemberKind>) -> Self {
        Self {
            members,
            init_limit: 10,
            sync_limit: 5,
            election: ElectionConfig::default(),
            committed_log_max: 500,
            planted: None,
        }
    }

    /// Whether `bug` is planted (always false without the `planted-bugs` feature).
    #[must_use]
    pub fn planted(&self, bug: PlantedBug) -> bool {
        cfg!(feature = "planted-bugs") && self.planted == Some(bug)
    }
}

impl EnsembleConfig {
    /// The voters.
    pub fn voters(&self) -> impl Iterator<Item = ServerId> + '_ {
        self.members
            .iter()
            .filter(|(_, k)| k.votes())
            .map(|(id, _)| *id)
    }

    /// How many voters make a quorum.
    #[must_use]
    pub fn quorum_size(&self) -> usize {
        self.voters().count() / 2 + 1
    }

    /// Whether `ids` holds a strict majority of the voters (non-voters in `ids` are ignored).
    #[must_use]
    pub fn is_quorum<'a>(&self, ids: impl IntoIterator<Item = &'a ServerId>) -> bool {
        let voters = self.voters().count();
        let have = ids
            .into_iter()
            .filter(|id| self.members.get(id).is_some_and(|k| k.votes()))
            .count();
        have * 2 > voters
    }
}

/// What the checkers see of a node (STYLE.md §1 `observe`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Observation {
    /// The server.
    pub id: ServerId,
    /// Its role now.
    pub role: Role,
    /// The leader it follows or is, once known.
    pub leader: Option<ServerId>,
    /// The epoch it leads with, once a quorum acknowledged NEWLEADER (at most one per epoch).
    pub established_epoch: Option<u32>,
    /// The newest epoch it accepted (durable).
    pub accepted_epoch: u32,
    /// The epoch of the leader it last synced with (durable).
    pub current_epoch: u32,
    /// The last txn in its log (durable or not yet).
    pub last_logged: Zxid,
    /// The last txn it knows to be committed.
    pub committed: Zxid,
    /// The last txn applied to its tree.
    pub last_applied: Zxid,
    /// The tree's digest at `last_applied`.
    pub digest: u64,
    /// Whether it serves clients now.
    pub serving: bool,
}

#[cfg(test)]
mod test_support;
