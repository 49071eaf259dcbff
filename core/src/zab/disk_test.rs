//! The disk queue (STYLE.md §2): completions come back in order, and a write still in flight when
//! a TRUNC or a SNAP cuts the log counts only for what the cut keeps (zookeeper-protocol.md
//! §16.2 step 4).

use super::super::election::{Notification, PeerState, Vote};
use super::super::test_support::*;
use super::super::ZabMsg;
use super::{Zab, ZabAction};

/// Learner 2 (accepted epoch 2, log (1,1)) synced by leader 1 with a DIFF of (1,2) and (1,3),
/// still being written when it gave up on leader 1; it now follows server 3, which proposed
/// epoch 2 (already accepted, so acknowledged at once).
fn following_3_with_a_write_in_flight() -> Zab {
    let mut zab = elected_learner(2, config(3, &[]), (2, 1), history(z(0, 0), &[(1, 1)]));
    zab.on_msg(at(0), sid(1), ZabMsg::LeaderInfo { epoch: 2 });
    let diff = ZabMsg::Diff {
        epoch: 2,
        from: z(1, 1),
    };
    zab.on_msg(at(0), sid(1), diff);
    zab.on_msg(at(0), sid(1), proposal(2, txn(1, 2)));
    zab.on_msg(at(0), sid(1), proposal(2, txn(1, 3)));
    zab.end_step();
    zab.on_tick(at(INIT_MS));
    let actions = drain(&mut zab);
    assert!(actions.contains(&ZabAction::Persist(vec![txn(1, 2), txn(1, 3)])));
    let vote = Vote {
        epoch: 2,
        zxid: z(2, 0),
        leader: sid(3),
    };
    let leading = Notification {
        state: PeerState::Leading,
        vote,
        round: 2,
    };
    let following = Notification {
        state: PeerState::Following,
        ..leading
    };
    zab.on_notification(at(INIT_MS), sid(3), leading);
    zab.on_notification(at(INIT_MS), sid(1), following);
    zab.on_msg(at(INIT_MS), sid(3), ZabMsg::LeaderInfo { epoch: 2 });
    let _ = drain(&mut zab);
    assert_eq!(zab.leader(), Some(sid(3)));
    zab
}

// A TRUNC that cuts into the write in flight: its completion makes only the kept part durable,
// and the next batch waits for it.
#[test]
fn persisted_batch_counts_only_up_to_a_later_truncation() {
    let mut zab = following_3_with_a_write_in_flight();
    let trunc = ZabMsg::Trunc {
        epoch: 2,
        after: z(1, 2),
    };
    zab.on_msg(at(1001), sid(3), trunc);
    zab.on_msg(at(1001), sid(3), proposal(2, txn(2, 1)));
    zab.end_step();
    assert_eq!(
        drain(&mut zab),
        vec![ZabAction::Truncate { after: z(1, 2) }]
    );
    zab.on_persisted(at(1002), z(1, 3));
    assert_eq!(drain(&mut zab), vec![]);
    assert_eq!(zab.history().persisted(), z(1, 2), "(1,3) was cut");
    zab.on_truncated(at(1003), z(1, 2));
    zab.end_step();
    assert_eq!(drain(&mut zab), vec![ZabAction::Persist(vec![txn(2, 1)])]);
    zab.on_persisted(at(1004), z(2, 1));
    assert_eq!(zab.history().persisted(), z(2, 1));
}

// A SNAP replaces the whole log: the write in flight makes nothing durable any more.
#[test]
fn persisted_batch_counts_for_nothing_after_a_snapshot() {
    let mut zab = following_3_with_a_write_in_flight();
    let snap = ZabMsg::Snap {
        epoch: 2,
        zxid: z(1, 2),
    };
    zab.on_msg(at(1001), sid(3), snap);
    zab.on_snapshot(at(1001), z(1, 2));
    zab.on_msg(at(1001), sid(3), proposal(2, txn(2, 1)));
    zab.end_step();
    assert_eq!(
        drain(&mut zab),
        vec![ZabAction::InstallSnapshot { zxid: z(1, 2) }]
    );
    zab.on_persisted(at(1002), z(1, 3));
    assert_eq!(drain(&mut zab), vec![]);
    assert_eq!(zab.history().persisted(), z(1, 2));
    zab.on_snapshot_installed(at(1003), z(1, 2));
    zab.end_step();
    assert_eq!(drain(&mut zab), vec![ZabAction::Persist(vec![txn(2, 1)])]);
}

// Completions are matched against the queue: one out of order is a shell bug.
#[test]
#[should_panic(expected = "does not match")]
fn completion_out_of_order_panics() {
    let mut zab = following_3_with_a_write_in_flight();
    let diff = ZabMsg::Diff {
        epoch: 2,
        from: z(1, 3),
    };
    zab.on_msg(at(1001), sid(3), diff);
    zab.on_msg(at(1001), sid(3), ZabMsg::NewLeader { epoch: 2 });
    zab.on_epoch_saved(at(1002), 2, 2);
}
