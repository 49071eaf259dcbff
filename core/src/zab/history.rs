//! The in-memory window of a server's log, and how a leader syncs a learner from it.
//!
//! A server's history is the tree it applied (everything up to `base`, compressed into state) and
//! the txns after it that it logged. The window keeps recent applied txns so the leader can sync
//! learners by DIFF; older ones live only in the tree, and a learner that needs them gets a SNAP.
//! Within the window: `base ≤ delivered ≤ committed ≤ last_logged` and `delivered ≤ persisted`.

use std::collections::VecDeque;

use crate::ids::Zxid;
use crate::txn::Txn;

/// How the leader brings one learner's log in line with its history.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SyncPlan {
    /// The learner's log is a prefix of the history: send the txns after `from`.
    Diff {
        /// The learner's last zxid.
        from: Zxid,
    },
    /// The learner has txns the history lacks: cut them after `after`, then send the txns after it.
    TruncDiff {
        /// The longest common prefix.
        after: Zxid,
    },
    /// The common prefix is older than the window: send the state at `delivered`, then the txns
    /// after it.
    Snap,
}

/// What the history says about one epoch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum EpochEnd {
    /// The last txn of the epoch in the history has this counter.
    Known(u32),
    /// The history has no txn of this epoch.
    Absent,
    /// The epoch ended before the window: the history cannot tell.
    Unknown,
}

/// A server's log window.
#[derive(Clone, Debug)]
pub struct History {
    base: Zxid,
    txns: VecDeque<Txn>,
    committed: Zxid,
    persisted: Zxid,
    delivered: Zxid,
    window_max: usize,
}

impl History {
    /// A history whose applied state is at `base`, with the durable log after it.
    ///
    /// # Panics
    /// When the log does not follow `base` in zxid order (the shell verified it).
    #[must_use]
    pub fn new(base: Zxid, log: impl IntoIterator<Item = Txn>, window_max: usize) -> Self {
        let mut h = Self {
            base,
            txns: VecDeque::new(),
            committed: base,
            persisted: base,
            delivered: base,
            window_max,
        };
        for txn in log.into_iter().filter(|t| t.zxid > base) {
            assert!(
                txn.zxid > h.last_logged(),
                "log out of order at {}",
                txn.zxid
            );
            h.txns.push_back(txn);
        }
        h.persisted = h.last_logged();
        h
    }

    /// The last txn logged (durable or not).
    #[must_use]
    pub fn last_logged(&self) -> Zxid {
        self.txns.back().map_or(self.base, |t| t.zxid)
    }

    /// The highest txn known to be committed.
    #[must_use]
    pub const fn committed(&self) -> Zxid {
        self.committed
    }

    /// The highest durable txn.
    #[must_use]
    pub const fn persisted(&self) -> Zxid {
        self.persisted
    }

    /// The highest txn handed to the node to apply.
    #[must_use]
    pub const fn delivered(&self) -> Zxid {
        self.delivered
    }

    /// How many txns of the window come after `after`.
    #[must_use]
    pub fn count_after(&self, after: Zxid) -> usize {
        self.txns
            .iter()
            .rev()
            .take_while(|t| t.zxid > after)
            .count()
    }

    /// Appends a txn after the last one.
    ///
    /// # Panics
    /// When it does not come after the last txn (callers check peer input first).
    pub fn append(&mut self, txn: Txn) {
        assert!(
            txn.zxid > self.last_logged(),
            "append {} after {}",
            txn.zxid,
            self.last_logged()
        );
        self.txns.push_back(txn);
    }

    /// The logged txns after `after`, in order (`after` must be inside the window).
    #[must_use]
    pub fn txns_after(&self, after: Zxid) -> Vec<Txn> {
        assert!(
            after >= self.base,
            "{after} is below the window {}",
            self.base
        );
        let start = self.txns.partition_point(|t| t.zxid <= after);
        self.txns.range(start..).cloned().collect()
    }

    /// The logged txns in `(after, upto]`.
    #[must_use]
    pub fn txns_between(&self, after: Zxid, upto: Zxid) -> Vec<Txn> {
        let start = self.txns.partition_point(|t| t.zxid <= after);
        let end = self.txns.partition_point(|t| t.zxid <= upto);
        self.txns.range(start..end.max(start)).cloned().collect()
    }

    /// Whether `zxid` is the base or a logged txn.
    #[must_use]
    pub fn contains(&self, zxid: Zxid) -> bool {
        zxid == self.base || self.txns.binary_search_by(|t| t.zxid.cmp(&zxid)).is_ok()
    }

    /// Cuts every txn after `after`. Returns false (and changes nothing) when that would remove
    /// an applied txn or `after` is not in the history.
    pub fn truncate(&mut self, after: Zxid) -> bool {
        if after < self.delivered || !self.contains(after) {
            return false;
        }
        while self.txns.back().is_some_and(|t| t.zxid > after) {
            self.txns.pop_back();
        }
        self.persisted = self.persisted.min(after);
        self.committed = self.committed.min(after);
        true
    }

    /// Everything up to `upto` is durable.
    pub fn mark_persisted(&mut self, upto: Zxid) {
        assert!(
            upto <= self.last_logged(),
            "persisted {upto} beyond the log's end {}",
            self.last_logged()
        );
        self.persisted = self.persisted.max(upto);
    }

    /// Everything up to `upto` (clamped to the log's end) is committed.
    pub fn commit_to(&mut self, upto: Zxid) {
        self.committed = self.committed.max(upto.min(self.last_logged()));
    }

    /// The committed and durable txns not yet delivered, in order; marks them delivered and
    /// trims the window.
    pub fn take_deliverable(&mut self) -> Vec<Txn> {
        let upto = self.committed.min(self.persisted);
        if upto <= self.delivered {
            return Vec::new();
        }
        let out = self.txns_between(self.delivered, upto);
        self.delivered = upto;
        while self.txns.len() > self.window_max
            && self.txns.front().is_some_and(|t| t.zxid <= self.delivered)
        {
            self.base = self.txns.pop_front().expect("non-empty").zxid;
        }
        out
    }

    /// Replaces everything with a state received at `zxid` (a SNAP).
    pub fn reset_to(&mut self, zxid: Zxid) {
        self.txns.clear();
        self.base = zxid;
        self.committed = zxid;
        self.persisted = zxid;
        self.delivered = zxid;
    }

    /// For each epoch from the applied state on, the last zxid of that epoch, ascending.
    #[must_use]
    pub fn epoch_ends(&self) -> Vec<Zxid> {
        let mut ends: Vec<Zxid> = vec![self.base];
        for t in &self.txns {
            let last = ends.last_mut().expect("starts with the base");
            if t.zxid.epoch == last.epoch {
                *last = t.zxid;
            } else {
                ends.push(t.zxid);
            }
        }
        ends
    }

    fn epoch_end(&self, epoch: u32) -> EpochEnd {
        let in_window = self.txns.iter().rev().find(|t| t.zxid.epoch == epoch);
        if let Some(t) = in_window {
            return EpochEnd::Known(t.zxid.counter);
        }
        if self.base.epoch == epoch {
            return EpochEnd::Known(self.base.counter);
        }
        if self.base.epoch < epoch {
            return EpochEnd::Absent;
        }
        EpochEnd::Unknown
    }

    /// Chooses how to sync a learner whose log ends at `last` with these epoch ends.
    ///
    /// Each epoch has one leader, so two histories that both hold txns of an epoch agree on them
    /// up to the shorter one: the longest common prefix ends in the newest epoch both hold.
    #[must_use]
    pub fn plan_sync(&self, last: Zxid, ends: &[Zxid]) -> SyncPlan {
        let mut common = None;
        for end in ends.iter().rev() {
            match self.epoch_end(end.epoch) {
                EpochEnd::Known(k) => {
                    common = Some(Zxid::new(end.epoch, end.counter.min(k)));
                    break;
                }
                EpochEnd::Absent => {}
                EpochEnd::Unknown => break,
            }
        }
        match common {
            Some(c) if c >= self.base && c == last => SyncPlan::Diff { from: c },
            Some(c) if c >= self.base => SyncPlan::TruncDiff { after: c },
            _ => SyncPlan::Snap,
        }
    }

    /// Checks the window's invariants.
    pub fn check_invariants(&self) {
        assert!(self.delivered >= self.base, "delivered below the base");
        assert!(self.committed >= self.delivered, "delivered beyond commit");
        assert!(self.persisted >= self.delivered, "delivered beyond durable");
        assert!(self.committed <= self.last_logged(), "commit beyond log");
        assert!(self.persisted <= self.last_logged(), "durable beyond log");
        if cfg!(debug_assertions) {
            let mut prev = self.base;
            for t in &self.txns {
                assert!(t.zxid > prev, "window out of order at {}", t.zxid);
                prev = t.zxid;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{SessionId, Xid};
    use crate::txn::TxnOp;

    fn txn(epoch: u32, counter: u32) -> Txn {
        Txn {
            zxid: Zxid::new(epoch, counter),
            time_ms: 0,
            session: SessionId(1),
            cxid: Xid(0),
            op: TxnOp::Check { path: "/".into() },
        }
    }

    fn history(base: Zxid, zxids: &[(u32, u32)]) -> History {
        History::new(base, zxids.iter().map(|&(e, c)| txn(e, c)), 100)
    }

    #[test]
    fn plan_sync_diffs_a_prefix_learner() {
        let h = history(Zxid::ZERO, &[(1, 1), (1, 2), (2, 1)]);
        let ends = [Zxid::ZERO, Zxid::new(1, 2)];
        assert_eq!(
            h.plan_sync(Zxid::new(1, 2), &ends),
            SyncPlan::Diff {
                from: Zxid::new(1, 2)
            }
        );
        assert_eq!(h.txns_after(Zxid::new(1, 2)), vec![txn(2, 1)]);
    }

    #[test]
    fn plan_sync_truncates_a_longer_tail_of_the_same_epoch() {
        let h = history(Zxid::ZERO, &[(1, 1), (1, 2)]);
        let ends = [Zxid::ZERO, Zxid::new(1, 4)];
        assert_eq!(
            h.plan_sync(Zxid::new(1, 4), &ends),
            SyncPlan::TruncDiff {
                after: Zxid::new(1, 2)
            }
        );
    }

    #[test]
    fn plan_sync_truncates_an_epoch_the_leader_never_saw() {
        // ZOOKEEPER-1154: the learner's tail (2,1..3) is unknown to the leader, whose history
        // went on in epoch 3 from (1,2). A DIFF without TRUNC would leave (2,x) in place.
        let h = history(Zxid::ZERO, &[(1, 1), (1, 2), (3, 1)]);
        let ends = [Zxid::ZERO, Zxid::new(1, 2), Zxid::new(2, 3)];
        assert_eq!(
            h.plan_sync(Zxid::new(2, 3), &ends),
            SyncPlan::TruncDiff {
                after: Zxid::new(1, 2)
            }
        );
    }

    #[test]
    fn plan_sync_snaps_a_learner_behind_the_window() {
        let mut h = History::new(Zxid::ZERO, (1..=5).map(|c| txn(1, c)), 2);
        h.commit_to(Zxid::new(1, 5));
        assert_eq!(h.take_deliverable().len(), 5);
        assert_eq!(h.base, Zxid::new(1, 3), "window keeps two txns");
        let ends = [Zxid::new(1, 2)];
        assert_eq!(h.plan_sync(Zxid::new(1, 2), &ends), SyncPlan::Snap);
        let fresh = [Zxid::ZERO];
        assert_eq!(h.plan_sync(Zxid::ZERO, &fresh), SyncPlan::Snap);
    }

    #[test]
    fn deliver_waits_for_commit_and_durability() {
        let mut h = History::new(Zxid::ZERO, [], 10);
        h.append(txn(1, 1));
        h.append(txn(1, 2));
        h.commit_to(Zxid::new(1, 2));
        assert!(h.take_deliverable().is_empty(), "nothing durable yet");
        h.mark_persisted(Zxid::new(1, 1));
        assert_eq!(h.take_deliverable(), vec![txn(1, 1)]);
        h.mark_persisted(Zxid::new(1, 2));
        assert_eq!(h.take_deliverable(), vec![txn(1, 2)]);
        h.check_invariants();
    }

    #[test]
    fn truncate_refuses_to_cut_applied_txns() {
        let mut h = History::new(Zxid::ZERO, [txn(1, 1), txn(1, 2)], 10);
        h.commit_to(Zxid::new(1, 1));
        assert_eq!(h.take_deliverable().len(), 1);
        assert!(!h.truncate(Zxid::ZERO), "(1,1) is applied");
        assert!(!h.truncate(Zxid::new(1, 7)), "not in the history");
        assert!(h.truncate(Zxid::new(1, 1)));
        assert_eq!(h.last_logged(), Zxid::new(1, 1));
    }

    #[test]
    fn follows_requires_no_gap() {
        assert!(Zxid::new(1, 1).follows(Zxid::new(1, 2)));
        assert!(Zxid::new(1, 7).follows(Zxid::new(2, 1)));
        assert!(Zxid::ZERO.follows(Zxid::new(1, 1)));
        assert!(!Zxid::new(1, 1).follows(Zxid::new(1, 3)));
        assert!(!Zxid::new(1, 1).follows(Zxid::new(2, 2)));
        assert!(!Zxid::new(2, 1).follows(Zxid::new(1, 2)));
    }

    #[test]
    fn epoch_ends_list_each_epochs_last_txn() {
        let h = history(Zxid::new(1, 4), &[(1, 5), (2, 1), (2, 2), (4, 1)]);
        assert_eq!(
            h.epoch_ends(),
            vec![Zxid::new(1, 5), Zxid::new(2, 2), Zxid::new(4, 1)]
        );
    }
}
