//! Builders shared by the ZAB exact-output tests (STYLE.md §8): a `Zab` is driven into a known
//! state through its real inputs (notifications, messages, disk completions), then a test feeds
//! one input and compares the whole `Vec<ZabAction>` it produces.

use std::collections::BTreeMap;

use super::election::{Notification, PeerState, Vote};
use super::msg::ZabMsg;
use super::server::{Zab, ZabAction};
use super::{EnsembleConfig, History, MemberKind, Role};
use crate::ids::{ServerId, SessionId, Xid, Zxid};
use crate::time::Instant;
use crate::txn::{Txn, TxnOp};

/// One tick: the leader pings every 50 ms, `initLimit` (10) is 1 s and `syncLimit` (5) 500 ms.
pub(super) const TICK_MS: u64 = 100;
/// `initLimit` ticks, in ms.
pub(super) const INIT_MS: u64 = 10 * TICK_MS;
/// `syncLimit` ticks, in ms.
pub(super) const SYNC_MS: u64 = 5 * TICK_MS;

pub(super) const fn sid(id: u64) -> ServerId {
    ServerId(id)
}

pub(super) const fn at(ms: u64) -> Instant {
    Instant::from_millis(ms)
}

pub(super) const fn z(epoch: u32, counter: u32) -> Zxid {
    Zxid::new(epoch, counter)
}

/// A txn at `(epoch, counter)`; its content is irrelevant to ZAB.
pub(super) fn txn(epoch: u32, counter: u32) -> Txn {
    Txn {
        zxid: z(epoch, counter),
        time_ms: 0,
        session: SessionId(1),
        cxid: Xid(0),
        op: TxnOp::Check { path: "/".into() },
    }
}

/// Every action queued so far, in order.
pub(super) fn drain(zab: &mut Zab) -> Vec<ZabAction> {
    std::iter::from_fn(|| zab.poll_action()).collect()
}

/// Voters `1..=voters` and the observers in `observers`.
pub(super) fn config(voters: u64, observers: &[u64]) -> EnsembleConfig {
    let mut members: BTreeMap<ServerId, MemberKind> = (1..=voters)
        .map(|id| (sid(id), MemberKind::Participant))
        .collect();
    for id in observers {
        members.insert(sid(*id), MemberKind::Observer);
    }
    EnsembleConfig::new(members)
}

/// A durable history: applied state at `base`, then the txns `log` (listed as `(epoch, counter)`).
pub(super) fn history(base: Zxid, log: &[(u32, u32)]) -> History {
    History::new(base, log.iter().map(|&(e, c)| txn(e, c)), 500)
}

pub(super) fn send(to: u64, msg: ZabMsg) -> ZabAction {
    ZabAction::Send { to: sid(to), msg }
}

pub(super) const fn role(role: Role, serving: bool) -> ZabAction {
    ZabAction::RoleChanged { role, serving }
}

pub(super) const fn save(accepted_epoch: u32, current_epoch: u32) -> ZabAction {
    ZabAction::SaveEpoch {
        accepted_epoch,
        current_epoch,
    }
}

pub(super) fn proposal(epoch: u32, txn: Txn) -> ZabMsg {
    ZabMsg::Proposal { epoch, txn }
}

pub(super) const fn info(kind: MemberKind, accepted_epoch: u32) -> ZabMsg {
    ZabMsg::LearnerInfo {
        kind,
        accepted_epoch,
    }
}

pub(super) fn ack_epoch(epoch: u32, current_epoch: u32, ends: &[Zxid]) -> ZabMsg {
    ZabMsg::AckEpoch {
        epoch,
        current_epoch,
        last_zxid: *ends.last().expect("ends start with the base"),
        epoch_ends: ends.to_vec(),
    }
}

/// Server 1 (with these durable epochs and history) won the election at time 0 and starts
/// discovery; what it did so far is drained.
pub(super) fn elected_leader(cfg: EnsembleConfig, epochs: (u32, u32), h: History) -> Zab {
    let own = Vote {
        epoch: epochs.1,
        zxid: h.last_logged(),
        leader: sid(1),
    };
    let followers = cfg.quorum_size() as u64 - 1;
    let mut zab = Zab::new(sid(1), cfg, TICK_MS, epochs, h, at(0));
    // Servers 2.. already follow this very vote in round 1: with our own vote, a quorum.
    let n = Notification {
        state: PeerState::Following,
        vote: own,
        round: 1,
    };
    for id in 2..=followers + 1 {
        zab.on_notification(at(0), sid(id), n);
    }
    let _ = drain(&mut zab);
    assert_eq!(zab.role(), Role::Leading);
    zab
}

/// Server `me` learned at time 0 that server 1 leads (server 1 LEADING and server 3 FOLLOWING
/// it) and sent its LearnerInfo; what it did so far is drained.
pub(super) fn elected_learner(me: u64, cfg: EnsembleConfig, epochs: (u32, u32), h: History) -> Zab {
    let mut zab = Zab::new(sid(me), cfg, TICK_MS, epochs, h, at(0));
    let vote = Vote {
        epoch: 9,
        zxid: z(9, 9),
        leader: sid(1),
    };
    let leading = Notification {
        state: PeerState::Leading,
        vote,
        round: 1,
    };
    let following = Notification {
        state: PeerState::Following,
        ..leading
    };
    zab.on_notification(at(0), sid(1), leading);
    zab.on_notification(at(0), sid(3), following);
    let _ = drain(&mut zab);
    assert_eq!(zab.leader(), Some(sid(1)));
    zab
}

/// The LOOKING notification `me` broadcasts to `to` when it goes back to election in `round`
/// with its epoch and last zxid: the role change first.
pub(super) fn back_to_looking(me: u64, to: &[u64], own: (u32, Zxid), round: u64) -> Vec<ZabAction> {
    let notification = Notification {
        state: PeerState::Looking,
        vote: Vote {
            epoch: own.0,
            zxid: own.1,
            leader: sid(me),
        },
        round,
    };
    let notify = to.iter().map(|id| ZabAction::Notify {
        to: sid(*id),
        notification,
    });
    [role(Role::Looking, false)]
        .into_iter()
        .chain(notify)
        .collect()
}

/// Completes the one epoch save queued by the last input, at `now`.
pub(super) fn complete_save(zab: &mut Zab, now: Instant, actions: &[ZabAction]) {
    let saves: Vec<(u32, u32)> = actions
        .iter()
        .filter_map(|a| match a {
            ZabAction::SaveEpoch {
                accepted_epoch,
                current_epoch,
            } => Some((*accepted_epoch, *current_epoch)),
            _ => None,
        })
        .collect();
    assert_eq!(saves.len(), 1, "one save in {actions:?}");
    zab.on_epoch_saved(now, saves[0].0, saves[0].1);
}

/// Leader 1 of `voters` voters (and `observers`) with an empty history and epochs (0, 0): every
/// other member joined with the same empty log and acknowledged NEWLEADER, so epoch 1 is
/// established at time 0; what it did so far is drained.
pub(super) fn established_leader(voters: u64, observers: &[u64]) -> Zab {
    let cfg = config(voters, observers);
    let mut zab = elected_leader(cfg, (0, 0), history(Zxid::ZERO, &[]));
    let learners: Vec<(u64, MemberKind)> = (2..=voters)
        .map(|id| (id, MemberKind::Participant))
        .chain(observers.iter().map(|id| (*id, MemberKind::Observer)))
        .collect();
    for (id, kind) in &learners {
        zab.on_msg(at(0), sid(*id), info(*kind, 0));
    }
    let actions = drain(&mut zab);
    complete_save(&mut zab, at(0), &actions);
    for (id, _) in &learners {
        zab.on_msg(at(0), sid(*id), ack_epoch(1, 0, &[Zxid::ZERO]));
    }
    let actions = drain(&mut zab);
    complete_save(&mut zab, at(0), &actions);
    for (id, _) in &learners {
        zab.on_msg(at(0), sid(*id), ZabMsg::AckNewLeader { epoch: 1 });
    }
    let _ = drain(&mut zab);
    assert_eq!(zab.established_epoch(), Some(1));
    zab
}

/// Learner `me` (a voter unless it is 4) of leader 1 in epoch 1, fully synced at time 0 from an
/// empty log and serving; what it did so far is drained.
pub(super) fn synced_learner(me: u64) -> Zab {
    let mut zab = elected_learner(me, config(3, &[4]), (0, 0), history(Zxid::ZERO, &[]));
    zab.on_msg(at(0), sid(1), ZabMsg::LeaderInfo { epoch: 1 });
    let actions = drain(&mut zab);
    complete_save(&mut zab, at(0), &actions);
    let diff = ZabMsg::Diff {
        epoch: 1,
        from: Zxid::ZERO,
    };
    zab.on_msg(at(0), sid(1), diff);
    zab.on_msg(at(0), sid(1), ZabMsg::NewLeader { epoch: 1 });
    let actions = drain(&mut zab);
    complete_save(&mut zab, at(0), &actions);
    let up_to_date = ZabMsg::UpToDate {
        epoch: 1,
        committed: Zxid::ZERO,
    };
    zab.on_msg(at(0), sid(1), up_to_date);
    let _ = drain(&mut zab);
    assert!(zab.serving());
    zab
}
