//! The messages of discovery, synchronization and broadcast (zookeeper-protocol.md §16.2–16.3).
//!
//! They follow Java's QuorumPacket types but are our own postcard records: we never mix with Java
//! servers in one ensemble (DESIGN.md §3.3), so they carry what our protocol needs (the learner's
//! epoch ends, the epoch on every leader message, cumulative ACKs and COMMITs).

use serde::{Deserialize, Serialize};

use super::MemberKind;
use crate::ids::Zxid;
use crate::txn::Txn;

/// One discovery, synchronization or broadcast message. Every message a leader sends carries its
/// epoch, so a learner can drop whatever comes from an older leader.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ZabMsg {
    /// Learner → leader, first message (FOLLOWERINFO / OBSERVERINFO).
    LearnerInfo {
        /// What the learner is.
        kind: MemberKind,
        /// Its accepted epoch.
        accepted_epoch: u32,
    },
    /// Leader → learner: the epoch the leader proposes (LEADERINFO).
    LeaderInfo {
        /// The new epoch.
        epoch: u32,
    },
    /// Learner → leader (ACKEPOCH): the learner accepted `epoch` and describes its log.
    AckEpoch {
        /// The epoch acknowledged.
        epoch: u32,
        /// The learner's current epoch (that of the last leader it synced with).
        current_epoch: u32,
        /// The last zxid in its log.
        last_zxid: Zxid,
        /// For each epoch present in its history from its applied state on, the last zxid of that
        /// epoch, ascending. The first entry is its applied zxid's epoch. The leader finds the
        /// longest common prefix from these (each epoch has one leader, so two histories agree
        /// within an epoch up to the shorter one).
        epoch_ends: Vec<Zxid>,
    },
    /// Leader → learner: the learner's log is a prefix of the leader's; proposals follow.
    Diff {
        /// Leader's epoch.
        epoch: u32,
        /// The learner's last zxid, after which the proposals start.
        from: Zxid,
    },
    /// Leader → learner: cut the log after `after`; proposals follow (TRUNC then DIFF).
    Trunc {
        /// Leader's epoch.
        epoch: u32,
        /// The last zxid to keep.
        after: Zxid,
    },
    /// Leader → learner: the leader's state at `zxid` follows (as a node-level snapshot message);
    /// proposals after it follow that.
    Snap {
        /// Leader's epoch.
        epoch: u32,
        /// The zxid the snapshot is exact at.
        zxid: Zxid,
    },
    /// Leader → follower: log this txn (PROPOSAL). Also used inside a sync.
    Proposal {
        /// Leader's epoch.
        epoch: u32,
        /// The txn.
        txn: Txn,
    },
    /// Leader → learner: the sync is sent; acknowledge once everything is logged (NEWLEADER).
    NewLeader {
        /// Leader's epoch, which becomes the learner's current epoch.
        epoch: u32,
    },
    /// Learner → leader: everything of the sync is durable and the current epoch is saved.
    AckNewLeader {
        /// The epoch acknowledged.
        epoch: u32,
    },
    /// Leader → learner: start serving; everything up to `committed` is committed (UPTODATE).
    UpToDate {
        /// Leader's epoch.
        epoch: u32,
        /// The leader's commit point.
        committed: Zxid,
    },
    /// Follower → leader: every proposal up to `upto` of `epoch` is durable here (cumulative).
    Ack {
        /// The epoch of the proposals acknowledged.
        epoch: u32,
        /// The highest durable zxid.
        upto: Zxid,
    },
    /// Leader → follower: everything up to `upto` is committed (cumulative COMMIT).
    Commit {
        /// Leader's epoch.
        epoch: u32,
        /// The commit point.
        upto: Zxid,
    },
    /// Leader → observer: a committed txn (INFORM).
    Inform {
        /// Leader's epoch.
        epoch: u32,
        /// The txn.
        txn: Txn,
    },
    /// Leader → learner: keep-alive every half tick.
    Ping {
        /// Leader's epoch.
        epoch: u32,
        /// The leader's commit point (lets a learner notice a lost COMMIT).
        committed: Zxid,
    },
    /// Learner → leader: answer to `Ping`.
    PingReply {
        /// The epoch the learner follows.
        epoch: u32,
    },
}

impl ZabMsg {
    /// The leader epoch the message belongs to (`None` for `LearnerInfo`).
    #[must_use]
    pub const fn epoch(&self) -> Option<u32> {
        match self {
            Self::LearnerInfo { .. } => None,
            Self::LeaderInfo { epoch }
            | Self::AckEpoch { epoch, .. }
            | Self::Diff { epoch, .. }
            | Self::Trunc { epoch, .. }
            | Self::Snap { epoch, .. }
            | Self::Proposal { epoch, .. }
            | Self::NewLeader { epoch }
            | Self::AckNewLeader { epoch }
            | Self::UpToDate { epoch, .. }
            | Self::Ack { epoch, .. }
            | Self::Commit { epoch, .. }
            | Self::Inform { epoch, .. }
            | Self::Ping { epoch, .. }
            | Self::PingReply { epoch } => Some(*epoch),
        }
    }
}
