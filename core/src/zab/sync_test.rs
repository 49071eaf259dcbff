//! Synchronization (zookeeper-protocol.md §16.2 steps 4–6): the leader's choice of empty DIFF,
//! DIFF, TRUNC+DIFF or SNAP for each learner, NEWLEADER acknowledged only once the sync is
//! durable and the epoch current, establishment with a quorum, UPTODATE with the commit point.

use super::super::test_support::*;
use super::super::{History, MemberKind, Role, ZabMsg};
use super::{Zab, ZabAction};
use crate::ids::Zxid;

const P: MemberKind = MemberKind::Participant;
const O: MemberKind = MemberKind::Observer;

/// Leader 1 of voters 1–3 and observer 4 with history `h` and epochs (3, 3): server 2 (same log)
/// acknowledged epoch 4, which is now current; server 2 was sent an empty DIFF and NEWLEADER.
/// Server 3 and observer 4 reported and were sent LEADERINFO.
fn awaiting_acks(h: History) -> Zab {
    let ends = h.epoch_ends();
    let mut zab = elected_leader(config(3, &[4]), (3, 3), h);
    zab.on_msg(at(1), sid(2), info(P, 3));
    zab.on_epoch_saved(at(2), 4, 3);
    zab.on_msg(at(3), sid(2), ack_epoch(4, 3, &ends));
    zab.on_epoch_saved(at(4), 4, 4);
    zab.on_msg(at(5), sid(3), info(P, 3));
    zab.on_msg(at(5), sid(4), info(O, 3));
    let _ = drain(&mut zab);
    zab
}

/// The leader's log: (1,1), (1,2), (3,1), (3,2); it never saw epoch 2.
fn leader_log() -> History {
    history(Zxid::ZERO, &[(1, 1), (1, 2), (3, 1), (3, 2)])
}

fn proposals(to: u64, zxids: &[(u32, u32)]) -> Vec<ZabAction> {
    zxids
        .iter()
        .map(|&(e, c)| send(to, proposal(4, txn(e, c))))
        .collect()
}

// §16.2 step 4: a learner whose last zxid is the leader's gets an empty DIFF.
#[test]
fn leader_sends_an_empty_diff_to_a_learner_with_the_same_log() {
    let mut zab = awaiting_acks(leader_log());
    let ends = [Zxid::ZERO, z(1, 2), z(3, 2)];
    zab.on_msg(at(6), sid(3), ack_epoch(4, 3, &ends));
    let diff = ZabMsg::Diff {
        epoch: 4,
        from: z(3, 2),
    };
    let expected = vec![send(3, diff), send(3, ZabMsg::NewLeader { epoch: 4 })];
    assert_eq!(drain(&mut zab), expected);
}

// §16.2 step 4: a learner whose log is a prefix gets a DIFF with the missing proposals.
#[test]
fn leader_sends_a_diff_with_the_missing_proposals_to_a_prefix_learner() {
    let mut zab = awaiting_acks(leader_log());
    zab.on_msg(at(6), sid(3), ack_epoch(4, 1, &[Zxid::ZERO, z(1, 2)]));
    let diff = ZabMsg::Diff {
        epoch: 4,
        from: z(1, 2),
    };
    let mut expected = vec![send(3, diff)];
    expected.extend(proposals(3, &[(3, 1), (3, 2)]));
    expected.push(send(3, ZabMsg::NewLeader { epoch: 4 }));
    assert_eq!(drain(&mut zab), expected);
}

// §16.2 step 4, ZOOKEEPER-1154: a tail of epoch 2, which the leader never saw, is cut first.
#[test]
fn leader_truncates_a_tail_of_an_epoch_it_never_saw() {
    let mut zab = awaiting_acks(leader_log());
    let ends = [Zxid::ZERO, z(1, 2), z(2, 3)];
    zab.on_msg(at(6), sid(3), ack_epoch(4, 2, &ends));
    let trunc = ZabMsg::Trunc {
        epoch: 4,
        after: z(1, 2),
    };
    let mut expected = vec![send(3, trunc)];
    expected.extend(proposals(3, &[(3, 1), (3, 2)]));
    expected.push(send(3, ZabMsg::NewLeader { epoch: 4 }));
    assert_eq!(drain(&mut zab), expected);
}

// §16.2 step 4: a longer tail of an epoch the leader holds is cut to the leader's end of it.
#[test]
fn leader_truncates_a_longer_tail_of_the_same_epoch() {
    let mut zab = awaiting_acks(leader_log());
    zab.on_msg(at(6), sid(3), ack_epoch(4, 1, &[Zxid::ZERO, z(1, 4)]));
    let trunc = ZabMsg::Trunc {
        epoch: 4,
        after: z(1, 2),
    };
    let mut expected = vec![send(3, trunc)];
    expected.extend(proposals(3, &[(3, 1), (3, 2)]));
    expected.push(send(3, ZabMsg::NewLeader { epoch: 4 }));
    assert_eq!(drain(&mut zab), expected);
}

// An observer ahead of the leader in the leader's own last epoch is cut back with nothing after.
#[test]
fn leader_truncates_an_observer_ahead_in_its_last_epoch() {
    let mut zab = awaiting_acks(leader_log());
    let ends = [Zxid::ZERO, z(1, 2), z(3, 5)];
    zab.on_msg(at(6), sid(4), ack_epoch(4, 3, &ends));
    let trunc = ZabMsg::Trunc {
        epoch: 4,
        after: z(3, 2),
    };
    let expected = vec![send(4, trunc), send(4, ZabMsg::NewLeader { epoch: 4 })];
    assert_eq!(drain(&mut zab), expected);
}

// Seed 191797 (liveness): once a quorum acknowledged the epoch and it is current, a voter that
// is ahead can no longer hold a committed txn the leader lacks (every commit quorum meets the
// epoch quorum, all of whose members are at most the leader's state), so it is cut back and led,
// as Java's `waitForEpochAck` does once `electionFinished`. Abdicating here left the leader with
// a current epoch above its log, which made the next leader find it ahead in turn, forever.
#[test]
fn leader_truncates_a_voter_ahead_once_a_quorum_acked_the_epoch() {
    let h = leader_log();
    let ends = h.epoch_ends();
    let mut zab = elected_leader(config(3, &[4]), (3, 3), h);
    zab.on_msg(at(1), sid(2), info(P, 3));
    zab.on_msg(at(1), sid(3), info(P, 3));
    zab.on_epoch_saved(at(2), 4, 3);
    zab.on_msg(at(3), sid(2), ack_epoch(4, 3, &ends));
    let _ = drain(&mut zab);
    // The quorum {1, 2} acked; epoch 4 is being made current when server 3's ack arrives.
    zab.on_msg(
        at(3),
        sid(3),
        ack_epoch(4, 3, &[Zxid::ZERO, z(1, 2), z(3, 5)]),
    );
    assert_eq!(drain(&mut zab), vec![]);
    assert_eq!(zab.role(), Role::Leading);
    zab.on_epoch_saved(at(4), 4, 4);
    let diff = ZabMsg::Diff {
        epoch: 4,
        from: z(3, 2),
    };
    let trunc = ZabMsg::Trunc {
        epoch: 4,
        after: z(3, 2),
    };
    let expected = vec![
        send(2, diff),
        send(2, ZabMsg::NewLeader { epoch: 4 }),
        send(3, trunc),
        send(3, ZabMsg::NewLeader { epoch: 4 }),
    ];
    assert_eq!(drain(&mut zab), expected);
}

// §16.2 step 4: a learner behind the window gets SNAP, the state at the leader's applied zxid,
// then the proposals after it.
#[test]
fn leader_sends_a_snapshot_to_a_learner_behind_the_window() {
    let h = History::new(z(1, 5), [txn(3, 1), txn(3, 2)], 500);
    let mut zab = awaiting_acks(h);
    zab.on_msg(at(6), sid(3), ack_epoch(4, 0, &[Zxid::ZERO]));
    let snap = ZabMsg::Snap {
        epoch: 4,
        zxid: z(1, 5),
    };
    let image = ZabAction::SendSnapshot {
        to: sid(3),
        epoch: 4,
        zxid: z(1, 5),
    };
    let mut expected = vec![send(3, snap), image];
    expected.extend(proposals(3, &[(3, 1), (3, 2)]));
    expected.push(send(3, ZabMsg::NewLeader { epoch: 4 }));
    assert_eq!(drain(&mut zab), expected);
}

// §16.2 step 4: nothing is synced before the new epoch is current; then every learner that
// acknowledged the epoch is synced at once.
#[test]
fn leader_syncs_every_acked_learner_once_the_current_epoch_is_saved() {
    let h = leader_log();
    let ends = h.epoch_ends();
    let mut zab = elected_leader(config(3, &[4]), (3, 3), h);
    zab.on_msg(at(1), sid(2), info(P, 3));
    zab.on_msg(at(1), sid(4), info(O, 3));
    zab.on_epoch_saved(at(2), 4, 3);
    let _ = drain(&mut zab);
    zab.on_msg(at(3), sid(4), ack_epoch(4, 1, &[Zxid::ZERO, z(1, 2)]));
    zab.on_msg(at(3), sid(2), ack_epoch(4, 3, &ends));
    assert_eq!(drain(&mut zab), vec![save(4, 4)]);
    zab.on_epoch_saved(at(4), 4, 4);
    let from = |f| ZabMsg::Diff { epoch: 4, from: f };
    let mut expected = vec![
        send(2, from(z(3, 2))),
        send(2, ZabMsg::NewLeader { epoch: 4 }),
    ];
    expected.push(send(4, from(z(1, 2))));
    expected.extend(proposals(4, &[(3, 1), (3, 2)]));
    expected.push(send(4, ZabMsg::NewLeader { epoch: 4 }));
    assert_eq!(drain(&mut zab), expected);
}

// §16.2 step 6: an observer's NEWLEADER ack is not a quorum; a voter's is (with the leader),
// and UPTODATE then carries the commit point: the leader's whole log.
#[test]
fn leader_establishes_only_with_a_quorum_of_new_leader_acks() {
    let mut zab = awaiting_acks(leader_log());
    zab.on_msg(at(6), sid(4), ack_epoch(4, 3, &leader_log().epoch_ends()));
    let _ = drain(&mut zab);
    zab.on_msg(at(7), sid(4), ZabMsg::AckNewLeader { epoch: 4 });
    assert_eq!(drain(&mut zab), vec![]);
    assert_eq!(zab.established_epoch(), None);
    zab.on_msg(at(8), sid(2), ZabMsg::AckNewLeader { epoch: 4 });
    let up_to_date = ZabMsg::UpToDate {
        epoch: 4,
        committed: z(3, 2),
    };
    let mut expected = vec![send(2, up_to_date.clone()), send(4, up_to_date)];
    expected.push(role(Role::Leading, true));
    let log = [txn(1, 1), txn(1, 2), txn(3, 1), txn(3, 2)];
    expected.extend(log.into_iter().map(ZabAction::Deliver));
    assert_eq!(drain(&mut zab), expected);
    assert_eq!(zab.established_epoch(), Some(4));
}

// A NEWLEADER ack of another epoch, or from a learner not being synced, counts for nothing.
#[test]
fn leader_ignores_new_leader_acks_out_of_turn() {
    let mut zab = awaiting_acks(leader_log());
    zab.on_msg(at(6), sid(2), ZabMsg::AckNewLeader { epoch: 3 });
    zab.on_msg(at(6), sid(3), ZabMsg::AckNewLeader { epoch: 4 });
    assert_eq!(drain(&mut zab), vec![]);
    assert_eq!(zab.established_epoch(), None);
}

// A learner synced after establishment is sent UPTODATE as soon as it acknowledges NEWLEADER.
#[test]
fn leader_sends_up_to_date_to_a_late_learner_at_once() {
    let mut zab = awaiting_acks(leader_log());
    zab.on_msg(at(6), sid(2), ZabMsg::AckNewLeader { epoch: 4 });
    let _ = drain(&mut zab);
    zab.on_msg(at(7), sid(3), ack_epoch(4, 3, &leader_log().epoch_ends()));
    let _ = drain(&mut zab);
    zab.on_msg(at(8), sid(3), ZabMsg::AckNewLeader { epoch: 4 });
    let up_to_date = ZabMsg::UpToDate {
        epoch: 4,
        committed: z(3, 2),
    };
    assert_eq!(drain(&mut zab), vec![send(3, up_to_date)]);
}

/// Server 2 logged (1,1) as a follower of leader 1, lost it before the write finished (the
/// write is flushed on the way out), and was elected by server 3; discovery has not begun.
fn leader_with_a_write_in_flight() -> Zab {
    let mut zab = synced_learner(2);
    zab.on_msg(at(10), sid(1), proposal(1, txn(1, 1)));
    zab.on_tick(at(10 + SYNC_MS));
    assert_eq!(drain(&mut zab)[0], ZabAction::Persist(vec![txn(1, 1)]));
    let vote = super::super::Vote {
        epoch: 1,
        zxid: z(1, 1),
        leader: sid(2),
    };
    let following = super::super::Notification {
        state: super::super::PeerState::Following,
        vote,
        round: 2,
    };
    zab.on_notification(at(600), sid(3), following);
    assert_eq!(zab.role(), Role::Leading);
    let _ = drain(&mut zab);
    zab
}

// STYLE.md §2: disk completions come back in order, so the new epoch cannot be durable (and the
// leader cannot go on) before the log written ahead of it.
#[test]
#[should_panic(expected = "does not match")]
fn leader_epoch_save_cannot_overtake_its_log_write() {
    let mut zab = leader_with_a_write_in_flight();
    zab.on_msg(at(600), sid(3), info(P, 1));
    assert_eq!(drain(&mut zab), vec![save(2, 1)]);
    zab.on_epoch_saved(at(601), 2, 1);
}

// §16.2 step 6: a quorum holds the new leader's whole log once synced, so establishment commits
// the txn it inherited uncommitted, and UPTODATE says so.
#[test]
fn leader_commits_its_inherited_log_on_establishment() {
    let mut zab = leader_with_a_write_in_flight();
    zab.on_msg(at(600), sid(3), info(P, 1));
    zab.on_persisted(at(601), z(1, 1));
    zab.on_epoch_saved(at(601), 2, 1);
    zab.on_msg(at(602), sid(3), ack_epoch(2, 1, &[Zxid::ZERO]));
    zab.on_epoch_saved(at(603), 2, 2);
    let _ = drain(&mut zab);
    zab.on_msg(at(604), sid(3), ZabMsg::AckNewLeader { epoch: 2 });
    let up_to_date = ZabMsg::UpToDate {
        epoch: 2,
        committed: z(1, 1),
    };
    let expected = vec![
        send(3, up_to_date),
        role(Role::Leading, true),
        ZabAction::Deliver(txn(1, 1)),
    ];
    assert_eq!(drain(&mut zab), expected);
}

/// Learner 2 of leader 1 with history `h`, accepted epoch 4 and current epoch 3, that
/// acknowledged LEADERINFO(4) and waits for its sync.
fn expecting_sync(h: History) -> Zab {
    let mut zab = elected_learner(2, config(3, &[4]), (4, 3), h);
    zab.on_msg(at(1), sid(1), ZabMsg::LeaderInfo { epoch: 4 });
    let _ = drain(&mut zab);
    zab
}

// §16.2 step 5: after an empty DIFF, NEWLEADER saves the current epoch, and the ack waits for it.
#[test]
fn learner_acks_new_leader_after_an_empty_diff_once_the_epoch_is_saved() {
    let mut zab = expecting_sync(history(Zxid::ZERO, &[(3, 1)]));
    let diff = ZabMsg::Diff {
        epoch: 4,
        from: z(3, 1),
    };
    zab.on_msg(at(2), sid(1), diff);
    assert_eq!(drain(&mut zab), vec![]);
    zab.on_msg(at(3), sid(1), ZabMsg::NewLeader { epoch: 4 });
    assert_eq!(drain(&mut zab), vec![save(4, 4)]);
    zab.on_epoch_saved(at(4), 4, 4);
    let expected = vec![send(1, ZabMsg::AckNewLeader { epoch: 4 })];
    assert_eq!(drain(&mut zab), expected);
    assert_eq!(zab.current_epoch(), 4);
}

// §16.2 step 5: the sync's proposals are persisted before the epoch, and NEWLEADER is acked only
// once both are durable; the new epoch's proposals are then acked too.
#[test]
fn learner_acks_new_leader_only_after_the_sync_is_durable() {
    let mut zab = expecting_sync(history(Zxid::ZERO, &[(3, 1)]));
    let diff = ZabMsg::Diff {
        epoch: 4,
        from: z(3, 1),
    };
    zab.on_msg(at(2), sid(1), diff);
    zab.on_msg(at(2), sid(1), proposal(4, txn(3, 2)));
    zab.on_msg(at(2), sid(1), proposal(4, txn(4, 1)));
    assert_eq!(drain(&mut zab), vec![], "logged in memory only");
    zab.on_msg(at(3), sid(1), ZabMsg::NewLeader { epoch: 4 });
    let persist = ZabAction::Persist(vec![txn(3, 2), txn(4, 1)]);
    assert_eq!(drain(&mut zab), vec![persist, save(4, 4)]);
    zab.on_persisted(at(4), z(4, 1));
    assert_eq!(drain(&mut zab), vec![], "no ack before NEWLEADER's");
    zab.on_epoch_saved(at(5), 4, 4);
    let expected = vec![
        send(1, ZabMsg::AckNewLeader { epoch: 4 }),
        send(
            1,
            ZabMsg::Ack {
                epoch: 4,
                upto: z(4, 1),
            },
        ),
    ];
    assert_eq!(drain(&mut zab), expected);
}

// §16.2 step 4: TRUNC cuts the log (durably, in disk order) before the DIFF's proposals.
#[test]
fn learner_truncates_then_logs_the_diff() {
    let mut zab = expecting_sync(history(Zxid::ZERO, &[(1, 1), (1, 2), (2, 1)]));
    let trunc = ZabMsg::Trunc {
        epoch: 4,
        after: z(1, 2),
    };
    zab.on_msg(at(2), sid(1), trunc);
    assert_eq!(
        drain(&mut zab),
        vec![ZabAction::Truncate { after: z(1, 2) }]
    );
    assert_eq!(zab.history().last_logged(), z(1, 2));
    zab.on_msg(at(2), sid(1), proposal(4, txn(3, 1)));
    zab.on_msg(at(3), sid(1), ZabMsg::NewLeader { epoch: 4 });
    let persist = ZabAction::Persist(vec![txn(3, 1)]);
    assert_eq!(drain(&mut zab), vec![persist, save(4, 4)]);
}

// A TRUNC that would cut applied txns, or names a zxid the log lacks, is out of protocol.
#[test]
fn learner_goes_looking_on_a_trunc_below_its_applied_state() {
    let mut zab = expecting_sync(History::new(z(1, 2), [txn(1, 3)], 500));
    let trunc = ZabMsg::Trunc {
        epoch: 4,
        after: z(1, 1),
    };
    zab.on_msg(at(2), sid(1), trunc);
    let expected = back_to_looking(2, &[1, 3, 4], (3, z(1, 3)), 2);
    assert_eq!(drain(&mut zab), expected);
}

// A DIFF that does not start at the learner's last zxid would leave a hole: elect again.
#[test]
fn learner_goes_looking_on_a_diff_from_elsewhere() {
    let mut zab = expecting_sync(history(Zxid::ZERO, &[(3, 1)]));
    let diff = ZabMsg::Diff {
        epoch: 4,
        from: z(3, 2),
    };
    zab.on_msg(at(2), sid(1), diff);
    let expected = back_to_looking(2, &[1, 3, 4], (3, z(3, 1)), 2);
    assert_eq!(drain(&mut zab), expected);
}

// §16.2 step 4: after SNAP the learner waits for exactly that image, installs it durably, then
// logs the proposals after it.
#[test]
fn learner_installs_the_snapshot_it_expects() {
    let mut zab = expecting_sync(history(Zxid::ZERO, &[(1, 1)]));
    let snap = ZabMsg::Snap {
        epoch: 4,
        zxid: z(3, 7),
    };
    zab.on_msg(at(2), sid(1), snap);
    assert_eq!(drain(&mut zab), vec![]);
    assert!(zab.expects_snapshot(sid(1), 4, z(3, 7)));
    assert!(
        !zab.expects_snapshot(sid(3), 4, z(3, 7)),
        "not from the leader"
    );
    assert!(!zab.expects_snapshot(sid(1), 4, z(3, 6)), "another state");
    assert!(!zab.expects_snapshot(sid(1), 3, z(3, 7)), "another epoch");
    zab.on_snapshot(at(3), z(3, 7));
    assert_eq!(
        drain(&mut zab),
        vec![ZabAction::InstallSnapshot { zxid: z(3, 7) }]
    );
    assert!(!zab.expects_snapshot(sid(1), 4, z(3, 7)), "only once");
    assert_eq!(zab.history().delivered(), z(3, 7));
    zab.on_msg(at(4), sid(1), proposal(4, txn(3, 8)));
    zab.on_msg(at(4), sid(1), ZabMsg::NewLeader { epoch: 4 });
    let persist = ZabAction::Persist(vec![txn(3, 8)]);
    assert_eq!(drain(&mut zab), vec![persist, save(4, 4)]);
}

// §16.2 step 6: UPTODATE commits up to the leader's point (clamped to the log, and applied only
// once durable), then the learner serves.
#[test]
fn learner_serves_on_up_to_date_with_the_commit_point() {
    let mut zab = expecting_sync(history(Zxid::ZERO, &[(3, 1)]));
    let diff = ZabMsg::Diff {
        epoch: 4,
        from: z(3, 1),
    };
    zab.on_msg(at(2), sid(1), diff);
    zab.on_msg(at(2), sid(1), proposal(4, txn(4, 1)));
    zab.on_msg(at(3), sid(1), ZabMsg::NewLeader { epoch: 4 });
    zab.on_persisted(at(4), z(4, 1));
    zab.on_epoch_saved(at(5), 4, 4);
    zab.on_msg(at(6), sid(1), proposal(4, txn(4, 2)));
    let _ = drain(&mut zab);
    let up_to_date = ZabMsg::UpToDate {
        epoch: 4,
        committed: z(4, 9),
    };
    zab.on_msg(at(7), sid(1), up_to_date);
    let expected = vec![
        ZabAction::Deliver(txn(3, 1)),
        ZabAction::Deliver(txn(4, 1)),
        role(Role::Following, true),
    ];
    assert_eq!(drain(&mut zab), expected);
    assert_eq!(zab.history().committed(), z(4, 2), "clamped to the log");
}
