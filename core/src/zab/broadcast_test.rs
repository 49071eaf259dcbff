//! Broadcast (zookeeper-protocol.md §16.3): PROPOSAL to synced followers, group commit of the
//! leader's own log, cumulative ACKs, COMMIT once a quorum holds a zxid durably, INFORM to
//! observers; a learner logs proposals without gaps and ACKs only what is durable.

use super::super::test_support::*;
use super::super::{Role, ZabMsg};
use super::{Zab, ZabAction};

fn ack(upto: (u32, u32)) -> ZabMsg {
    ZabMsg::Ack {
        epoch: upto.0,
        upto: z(upto.0, upto.1),
    }
}

fn commit(upto: (u32, u32)) -> ZabMsg {
    ZabMsg::Commit {
        epoch: 1,
        upto: z(upto.0, upto.1),
    }
}

fn inform(counter: u32) -> ZabMsg {
    ZabMsg::Inform {
        epoch: 1,
        txn: txn(1, counter),
    }
}

/// The established leader of voters 1–3 and observer 4 with (1,1) and (1,2) proposed and
/// durable on its own disk.
fn leader_with_two_durable() -> Zab {
    let mut zab = established_leader(3, &[4]);
    zab.propose(txn(1, 1));
    zab.propose(txn(1, 2));
    zab.end_step();
    zab.on_persisted(at(1), z(1, 2));
    let _ = drain(&mut zab);
    zab
}

// §16.3: PROPOSAL goes to each synced follower, never to observers; the leader's own write
// leaves at the end of the step.
#[test]
fn leader_sends_proposal_to_followers_and_persists_at_end_of_step() {
    let mut zab = established_leader(3, &[4]);
    assert_eq!(zab.next_zxid(), z(1, 1));
    zab.propose(txn(1, 1));
    let expected = vec![
        send(2, proposal(1, txn(1, 1))),
        send(3, proposal(1, txn(1, 1))),
    ];
    assert_eq!(drain(&mut zab), expected);
    zab.end_step();
    assert_eq!(drain(&mut zab), vec![ZabAction::Persist(vec![txn(1, 1)])]);
    assert_eq!(zab.next_zxid(), z(1, 2));
}

// STYLE.md §2 group commit: while a batch is on its way to disk, later proposals wait and leave
// together as the next batch.
#[test]
fn leader_batches_proposals_while_a_write_is_in_flight() {
    let mut zab = established_leader(3, &[]);
    zab.propose(txn(1, 1));
    zab.end_step();
    let _ = drain(&mut zab);
    zab.propose(txn(1, 2));
    zab.end_step();
    zab.propose(txn(1, 3));
    zab.end_step();
    let sent: Vec<ZabAction> = [2, 3]
        .into_iter()
        .flat_map(|c| {
            [
                send(2, proposal(1, txn(1, c))),
                send(3, proposal(1, txn(1, c))),
            ]
        })
        .collect();
    assert_eq!(drain(&mut zab), sent, "no second write in flight");
    zab.on_persisted(at(1), z(1, 1));
    zab.end_step();
    let batch = ZabAction::Persist(vec![txn(1, 2), txn(1, 3)]);
    assert_eq!(drain(&mut zab), vec![batch]);
}

// §16.3: a follower's cumulative ACK and the leader's own durable log make a quorum: COMMIT to
// followers, INFORM with the txns to observers, then apply.
#[test]
fn leader_commits_what_a_quorum_holds_durably() {
    let mut zab = leader_with_two_durable();
    zab.on_msg(at(2), sid(2), ack((1, 2)));
    let expected = vec![
        send(2, commit((1, 2))),
        send(3, commit((1, 2))),
        send(4, inform(1)),
        send(4, inform(2)),
        ZabAction::Deliver(txn(1, 1)),
        ZabAction::Deliver(txn(1, 2)),
    ];
    assert_eq!(drain(&mut zab), expected);
    assert_eq!(zab.history().committed(), z(1, 2));
}

// §16.3 (leader included): a follower's ACK alone is not a quorum until the leader's own write
// is durable, and then only what both hold commits: never past an earlier uncommitted zxid.
#[test]
fn leader_counts_its_own_log_only_once_durable() {
    let mut zab = established_leader(3, &[]);
    zab.propose(txn(1, 1));
    zab.end_step();
    zab.propose(txn(1, 2));
    let _ = drain(&mut zab);
    zab.on_msg(at(1), sid(2), ack((1, 2)));
    assert_eq!(drain(&mut zab), vec![]);
    zab.on_persisted(at(2), z(1, 1));
    let expected = vec![
        send(2, commit((1, 1))),
        send(3, commit((1, 1))),
        ZabAction::Deliver(txn(1, 1)),
    ];
    assert_eq!(drain(&mut zab), expected);
}

// §16.3 with five voters: the commit point is the highest zxid three of them hold.
#[test]
fn leader_commits_the_quorums_lowest_ack() {
    let mut zab = established_leader(5, &[]);
    for c in 1..=3 {
        zab.propose(txn(1, c));
    }
    zab.end_step();
    zab.on_persisted(at(1), z(1, 3));
    let _ = drain(&mut zab);
    zab.on_msg(at(2), sid(2), ack((1, 2)));
    assert_eq!(drain(&mut zab), vec![], "two of five");
    zab.on_msg(at(3), sid(3), ack((1, 3)));
    let expected: Vec<ZabAction> = (2..=5)
        .map(|to| send(to, commit((1, 2))))
        .chain([1, 2].map(|c| ZabAction::Deliver(txn(1, c))))
        .collect();
    assert_eq!(drain(&mut zab), expected);
}

// PlantedBug::CountForeignAcks: observers' ACKs and ACKs of another epoch never count.
#[test]
fn leader_ignores_acks_from_observers_and_other_epochs() {
    let mut zab = leader_with_two_durable();
    zab.on_msg(at(2), sid(4), ack((1, 2)));
    zab.on_msg(at(2), sid(2), ack((0, 2)));
    let stale = ZabMsg::Ack {
        epoch: 0,
        upto: z(1, 2),
    };
    zab.on_msg(at(2), sid(3), stale);
    assert_eq!(drain(&mut zab), vec![]);
    assert_eq!(zab.history().committed(), z(0, 0));
}

// An ACK beyond the leader's log commits only what the leader has.
#[test]
fn leader_clamps_an_ack_beyond_its_log() {
    let mut zab = leader_with_two_durable();
    zab.on_msg(at(2), sid(2), ack((1, 9)));
    assert_eq!(zab.history().committed(), z(1, 2));
}

// §16.3: a follower logs a proposal in memory, writes it at the end of the step, and ACKs it
// only once durable.
#[test]
fn follower_acks_a_proposal_once_durable() {
    let mut zab = synced_learner(2);
    zab.on_msg(at(1), sid(1), proposal(1, txn(1, 1)));
    assert_eq!(drain(&mut zab), vec![]);
    zab.end_step();
    assert_eq!(drain(&mut zab), vec![ZabAction::Persist(vec![txn(1, 1)])]);
    zab.on_persisted(at(2), z(1, 1));
    assert_eq!(drain(&mut zab), vec![send(1, ack((1, 1)))]);
}

// Group commit on the follower: one cumulative ACK per durable batch.
#[test]
fn follower_acks_each_batch_cumulatively() {
    let mut zab = synced_learner(2);
    zab.on_msg(at(1), sid(1), proposal(1, txn(1, 1)));
    zab.end_step();
    zab.on_msg(at(1), sid(1), proposal(1, txn(1, 2)));
    zab.on_msg(at(1), sid(1), proposal(1, txn(1, 3)));
    zab.end_step();
    assert_eq!(drain(&mut zab), vec![ZabAction::Persist(vec![txn(1, 1)])]);
    zab.on_persisted(at(2), z(1, 1));
    zab.end_step();
    let batch = ZabAction::Persist(vec![txn(1, 2), txn(1, 3)]);
    assert_eq!(drain(&mut zab), vec![send(1, ack((1, 1))), batch]);
    zab.on_persisted(at(3), z(1, 3));
    assert_eq!(drain(&mut zab), vec![send(1, ack((1, 3)))]);
}

// A gap means the link lost a proposal: the follower cannot guess, it elects again.
#[test]
fn follower_goes_looking_on_a_proposal_gap() {
    let mut zab = synced_learner(2);
    zab.on_msg(at(1), sid(1), proposal(1, txn(1, 2)));
    let expected = back_to_looking(2, &[1, 3, 4], (1, z(0, 0)), 2);
    assert_eq!(drain(&mut zab), expected);
    assert_eq!(zab.role(), Role::Looking);
}

// A repeated proposal is already logged: nothing happens.
#[test]
fn follower_ignores_a_duplicate_proposal() {
    let mut zab = synced_learner(2);
    zab.on_msg(at(1), sid(1), proposal(1, txn(1, 1)));
    zab.on_msg(at(1), sid(1), proposal(1, txn(1, 1)));
    zab.end_step();
    assert_eq!(drain(&mut zab), vec![ZabAction::Persist(vec![txn(1, 1)])]);
}

// Every leader message carries its epoch: one of another epoch is dropped.
#[test]
fn follower_ignores_messages_of_another_epoch() {
    let mut zab = synced_learner(2);
    zab.on_msg(at(1), sid(1), proposal(0, txn(1, 1)));
    zab.on_msg(
        at(1),
        sid(1),
        ZabMsg::Ping {
            epoch: 2,
            committed: z(0, 0),
        },
    );
    zab.end_step();
    assert_eq!(drain(&mut zab), vec![]);
}

// §16.3: COMMIT applies in zxid order, only what is durable, and never past the log's end.
#[test]
fn follower_applies_commits_clamped_to_its_durable_log() {
    let mut zab = synced_learner(2);
    zab.on_msg(at(1), sid(1), proposal(1, txn(1, 1)));
    zab.on_msg(at(1), sid(1), proposal(1, txn(1, 2)));
    zab.end_step();
    let _ = drain(&mut zab);
    zab.on_msg(at(2), sid(1), commit((1, 5)));
    assert_eq!(drain(&mut zab), vec![], "nothing durable yet");
    assert_eq!(zab.history().committed(), z(1, 2));
    zab.on_persisted(at(3), z(1, 2));
    let expected = vec![
        send(1, ack((1, 2))),
        ZabAction::Deliver(txn(1, 1)),
        ZabAction::Deliver(txn(1, 2)),
    ];
    assert_eq!(drain(&mut zab), expected);
}

// A PING answers with the follower's epoch and carries the commit point (a lost COMMIT heals).
#[test]
fn follower_answers_ping_and_takes_its_commit_point() {
    let mut zab = synced_learner(2);
    zab.on_msg(at(1), sid(1), proposal(1, txn(1, 1)));
    zab.end_step();
    zab.on_persisted(at(2), z(1, 1));
    let _ = drain(&mut zab);
    zab.on_msg(
        at(3),
        sid(1),
        ZabMsg::Ping {
            epoch: 1,
            committed: z(1, 1),
        },
    );
    let expected = vec![
        ZabAction::Deliver(txn(1, 1)),
        send(1, ZabMsg::PingReply { epoch: 1 }),
    ];
    assert_eq!(drain(&mut zab), expected);
}

// §16.3: an observer logs an INFORM, never ACKs, and applies it once durable; a follower
// ignores INFORM.
#[test]
fn observer_applies_inform_once_durable_without_acking() {
    let mut zab = synced_learner(4);
    zab.on_msg(at(1), sid(1), inform(1));
    zab.end_step();
    assert_eq!(drain(&mut zab), vec![ZabAction::Persist(vec![txn(1, 1)])]);
    zab.on_persisted(at(2), z(1, 1));
    assert_eq!(drain(&mut zab), vec![ZabAction::Deliver(txn(1, 1))]);
    let mut follower = synced_learner(2);
    follower.on_msg(at(1), sid(1), inform(1));
    follower.end_step();
    assert_eq!(drain(&mut follower), vec![]);
}
