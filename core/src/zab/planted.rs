//! Deliberately planted bugs (DESIGN.md §6): each is a known way to break ZAB, switched on at
//! run time by `EnsembleConfig::planted` when the crate is built with `planted-bugs`. The
//! simulator must find each within a bounded number of seeds.

use serde::{Deserialize, Serialize};

/// One planted bug.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum PlantedBug {
    /// A follower ACKs proposals (and NEWLEADER) before they are durable.
    AckBeforeFsync,
    /// The leader sends a DIFF without the TRUNC a learner with an unknown tail needs
    /// (ZOOKEEPER-1154).
    DiffWithoutTrunc,
    /// A server applies logged txns it never learned were committed when it goes back to
    /// election (ZOOKEEPER-2678 family).
    ApplyUncommittedOnElection,
    /// A learner acknowledges an epoch before it is durable (ZOOKEEPER-4643 family).
    EpochPersistedLate,
    /// A new leader does not start a new epoch: zxid counters are reused.
    ZxidReuse,
    /// The leader counts ACKs from observers (in its discovery, NEWLEADER and commit quorums)
    /// and ACKs of older epochs.
    CountForeignAcks,
    /// A follower answers `sync` from its own state without asking the leader.
    LocalSync,
    /// A follower expires sessions by its own clock.
    FollowerExpiry,
}

impl PlantedBug {
    /// The bug's name on the command line (`zoorepl sim --planted NAME`).
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::AckBeforeFsync => "ack-before-fsync",
            Self::DiffWithoutTrunc => "diff-without-trunc",
            Self::ApplyUncommittedOnElection => "apply-uncommitted-on-election",
            Self::EpochPersistedLate => "epoch-persisted-late",
            Self::ZxidReuse => "zxid-reuse",
            Self::CountForeignAcks => "count-foreign-acks",
            Self::LocalSync => "local-sync",
            Self::FollowerExpiry => "follower-expiry",
        }
    }

    /// The bug named `name`, if any.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|b| b.name() == name)
    }

    /// Every planted bug.
    pub const ALL: [Self; 8] = [
        Self::AckBeforeFsync,
        Self::DiffWithoutTrunc,
        Self::ApplyUncommittedOnElection,
        Self::EpochPersistedLate,
        Self::ZxidReuse,
        Self::CountForeignAcks,
        Self::LocalSync,
        Self::FollowerExpiry,
    ];
}
