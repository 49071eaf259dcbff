//! Discovery (zookeeper-protocol.md §16.2 steps 1–3): the leader picks an epoch above every
//! accepted epoch of a quorum and saves it before announcing it; a learner saves a higher epoch
//! before acknowledging it; a leader that finds a voter ahead of it abdicates.

use super::super::test_support::*;
use super::super::{MemberKind, Role, ZabMsg};
use super::ZabAction;
use crate::ids::Zxid;

const P: MemberKind = MemberKind::Participant;
const O: MemberKind = MemberKind::Observer;

/// Leader 1 of voters 1–3 and observer 4, accepted epoch 3 and current epoch 3, log (3,1)–(3,2).
fn leader() -> super::Zab {
    let h = history(Zxid::ZERO, &[(3, 1), (3, 2)]);
    elected_leader(config(3, &[4]), (3, 3), h)
}

// §16.2 step 2: newEpoch = max(acceptedEpoch of the connecting quorum) + 1, saved first.
#[test]
fn leader_saves_epoch_above_every_accepted_once_a_quorum_reports() {
    let mut zab = leader();
    zab.on_msg(at(1), sid(2), info(P, 5));
    assert_eq!(drain(&mut zab), vec![save(6, 3)]);
    assert_eq!(zab.accepted_epoch(), 3, "not durable yet");
}

// §16.2 step 2: observers are not part of the discovery quorum.
#[test]
fn leader_waits_for_a_voter_quorum_when_an_observer_reports() {
    let mut zab = leader();
    zab.on_msg(at(1), sid(4), info(O, 7));
    assert_eq!(drain(&mut zab), vec![]);
}

// §16.2 step 2 (Java's `getEpochToPropose` raises the epoch for every connecting learner and
// counts only voters for the quorum): an observer that accepted epoch 7 could never take a
// LEADERINFO below it, so the new epoch goes above its accepted epoch too.
#[test]
fn leader_proposes_an_epoch_above_an_observers_accepted_epoch() {
    let mut zab = leader();
    zab.on_msg(at(1), sid(4), info(O, 7));
    zab.on_msg(at(1), sid(2), info(P, 5));
    assert_eq!(drain(&mut zab), vec![save(8, 3)]);
}

// A LearnerInfo whose kind does not match the configuration is out of protocol.
#[test]
fn leader_ignores_learner_info_with_the_wrong_kind() {
    let mut zab = leader();
    zab.on_msg(at(1), sid(4), info(P, 7));
    assert_eq!(drain(&mut zab), vec![]);
    zab.on_msg(at(1), sid(2), info(O, 7));
    assert_eq!(drain(&mut zab), vec![]);
}

// §16.2 step 2: LEADERINFO goes out only once the new accepted epoch is durable; learners that
// reported meanwhile wait for it too.
#[test]
fn leader_sends_leader_info_to_every_learner_once_the_epoch_is_saved() {
    let mut zab = leader();
    zab.on_msg(at(1), sid(2), info(P, 5));
    assert_eq!(drain(&mut zab), vec![save(6, 3)]);
    zab.on_msg(at(2), sid(3), info(P, 1));
    zab.on_msg(at(2), sid(4), info(O, 0));
    assert_eq!(drain(&mut zab), vec![], "waiting for the save");
    zab.on_epoch_saved(at(3), 6, 3);
    let leader_info = ZabMsg::LeaderInfo { epoch: 6 };
    let expected = vec![
        send(2, leader_info.clone()),
        send(3, leader_info.clone()),
        send(4, leader_info),
    ];
    assert_eq!(drain(&mut zab), expected);
    assert_eq!(zab.accepted_epoch(), 6);
    assert_eq!(zab.current_epoch(), 3);
}

/// Leader 1 that announced epoch 6 to server 2 and observer 4.
fn announced() -> super::Zab {
    let mut zab = leader();
    zab.on_msg(at(1), sid(2), info(P, 5));
    zab.on_msg(at(1), sid(4), info(O, 0));
    zab.on_epoch_saved(at(2), 6, 3);
    let _ = drain(&mut zab);
    zab
}

// §16.2 step 4: a quorum of ACKEPOCH (the leader's own included) makes the epoch current, saved
// before any sync goes out.
#[test]
fn leader_saves_current_epoch_after_a_quorum_of_epoch_acks() {
    let mut zab = announced();
    let ends = [Zxid::ZERO, z(3, 2)];
    zab.on_msg(at(3), sid(2), ack_epoch(6, 3, &ends));
    assert_eq!(drain(&mut zab), vec![save(6, 6)]);
    assert_eq!(zab.current_epoch(), 3, "not durable yet");
}

// Observers do not count towards the quorum of ACKEPOCH.
#[test]
fn leader_waits_for_voter_epoch_acks_when_an_observer_acks() {
    let mut zab = announced();
    zab.on_msg(at(3), sid(4), ack_epoch(6, 3, &[Zxid::ZERO]));
    assert_eq!(drain(&mut zab), vec![]);
}

// Messages of another epoch are dropped.
#[test]
fn leader_ignores_epoch_acks_of_another_epoch() {
    let mut zab = announced();
    zab.on_msg(at(3), sid(2), ack_epoch(5, 3, &[Zxid::ZERO]));
    assert_eq!(drain(&mut zab), vec![]);
}

// §16.2 (Java's "follower is ahead"): a voter with a newer current epoch must not be led.
#[test]
fn leader_abdicates_when_a_voter_has_a_newer_current_epoch() {
    let mut zab = announced();
    zab.on_msg(at(3), sid(2), ack_epoch(6, 4, &[Zxid::ZERO, z(4, 1)]));
    let expected = back_to_looking(1, &[2, 3, 4], (3, z(3, 2)), 2);
    assert_eq!(drain(&mut zab), expected);
    assert_eq!(zab.role(), Role::Looking);
}

// Same current epoch, longer log: ahead too.
#[test]
fn leader_abdicates_when_a_voter_has_a_longer_log() {
    let mut zab = announced();
    zab.on_msg(at(3), sid(2), ack_epoch(6, 3, &[Zxid::ZERO, z(3, 3)]));
    let expected = back_to_looking(1, &[2, 3, 4], (3, z(3, 2)), 2);
    assert_eq!(drain(&mut zab), expected);
}

// An observer ahead is simply truncated later: it never decides who leads.
#[test]
fn leader_keeps_leading_when_an_observer_is_ahead() {
    let mut zab = announced();
    zab.on_msg(at(3), sid(4), ack_epoch(6, 4, &[Zxid::ZERO, z(4, 1)]));
    assert_eq!(drain(&mut zab), vec![]);
    assert_eq!(zab.role(), Role::Leading);
}

// Seeds 77 (3 voters, heavy faults) and 1392 (5 voters, 1 observer): a learner accepted
// epoch 7 from a leader that never established it, while this leader went on with epoch 6
// without it. The learner refuses LEADERINFO 6 for good and, back in election, finds this
// leader again: it never rejoins. The leader abdicates so that a new discovery goes above 7.
#[test]
fn leader_abdicates_when_a_learner_accepted_a_later_epoch() {
    for (kind, id) in [(P, 3), (O, 4)] {
        let mut zab = announced();
        zab.on_msg(at(3), sid(id), info(kind, 7));
        let expected = back_to_looking(1, &[2, 3, 4], (3, z(3, 2)), 2);
        assert_eq!(drain(&mut zab), expected);
        assert_eq!(zab.role(), Role::Looking);
    }
}

// The same epoch or an older one is fine: the learner takes LEADERINFO 6.
#[test]
fn leader_keeps_leading_when_a_learner_accepted_its_epoch() {
    let mut zab = announced();
    zab.on_msg(at(3), sid(3), info(P, 6));
    assert_eq!(
        drain(&mut zab),
        vec![send(3, ZabMsg::LeaderInfo { epoch: 6 })]
    );
    assert_eq!(zab.role(), Role::Leading);
}

/// Learner 2 (voter) with accepted epoch `accepted`, current 3, log (3,1)–(3,2).
fn learner(accepted: u32) -> super::Zab {
    let h = history(Zxid::ZERO, &[(3, 1), (3, 2)]);
    elected_learner(2, config(3, &[4]), (accepted, 3), h)
}

fn own_ack_epoch(epoch: u32) -> ZabAction {
    send(1, ack_epoch(epoch, 3, &[Zxid::ZERO, z(3, 2)]))
}

// §16.2 step 1: the learner opens with its accepted epoch.
#[test]
fn learner_sends_learner_info_when_it_decides() {
    let h = history(Zxid::ZERO, &[(3, 1)]);
    let mut zab = super::Zab::new(sid(2), config(3, &[4]), TICK_MS, (4, 3), h, at(0));
    let _ = drain(&mut zab);
    let vote = super::super::Vote {
        epoch: 9,
        zxid: z(9, 9),
        leader: sid(1),
    };
    let leading = super::super::Notification {
        state: super::super::PeerState::Leading,
        vote,
        round: 1,
    };
    zab.on_notification(at(1), sid(1), leading);
    assert_eq!(drain(&mut zab), vec![]);
    let following = super::super::Notification {
        state: super::super::PeerState::Following,
        ..leading
    };
    zab.on_notification(at(1), sid(3), following);
    let expected = vec![role(Role::Following, false), send(1, info(P, 4))];
    assert_eq!(drain(&mut zab), expected);
}

// §16.2 step 3: a higher epoch is saved before it is acknowledged.
#[test]
fn learner_saves_a_higher_epoch_before_acking_it() {
    let mut zab = learner(3);
    zab.on_msg(at(1), sid(1), ZabMsg::LeaderInfo { epoch: 5 });
    assert_eq!(drain(&mut zab), vec![save(5, 3)]);
    assert_eq!(zab.accepted_epoch(), 3, "not durable yet");
    zab.on_epoch_saved(at(2), 5, 3);
    assert_eq!(drain(&mut zab), vec![own_ack_epoch(5)]);
    assert_eq!(zab.accepted_epoch(), 5);
}

// §16.2 step 3: an epoch already accepted is durable: acknowledge it at once.
#[test]
fn learner_acks_an_equal_epoch_at_once() {
    let mut zab = learner(5);
    zab.on_msg(at(1), sid(1), ZabMsg::LeaderInfo { epoch: 5 });
    assert_eq!(drain(&mut zab), vec![own_ack_epoch(5)]);
}

// §16.2 step 3: a leader proposing an epoch below the accepted one is stale: elect again.
#[test]
fn learner_goes_looking_on_a_lower_epoch() {
    let mut zab = learner(5);
    zab.on_msg(at(1), sid(1), ZabMsg::LeaderInfo { epoch: 4 });
    let expected = back_to_looking(2, &[1, 3, 4], (3, z(3, 2)), 2);
    assert_eq!(drain(&mut zab), expected);
    assert_eq!(zab.role(), Role::Looking);
}

// Only the chosen leader speaks to a learner.
#[test]
fn learner_ignores_leader_info_from_another_server() {
    let mut zab = learner(3);
    zab.on_msg(at(1), sid(3), ZabMsg::LeaderInfo { epoch: 5 });
    assert_eq!(drain(&mut zab), vec![]);
}

// A LEADERINFO repeated while the first is being saved changes nothing.
#[test]
fn learner_ignores_a_second_leader_info() {
    let mut zab = learner(3);
    zab.on_msg(at(1), sid(1), ZabMsg::LeaderInfo { epoch: 5 });
    let _ = drain(&mut zab);
    zab.on_msg(at(1), sid(1), ZabMsg::LeaderInfo { epoch: 5 });
    assert_eq!(drain(&mut zab), vec![]);
}

// Nothing of the sync is taken before the epoch is acknowledged.
#[test]
fn learner_ignores_sync_while_saving_the_accepted_epoch() {
    let mut zab = learner(3);
    zab.on_msg(at(1), sid(1), ZabMsg::LeaderInfo { epoch: 5 });
    let _ = drain(&mut zab);
    let diff = ZabMsg::Diff {
        epoch: 5,
        from: z(3, 2),
    };
    zab.on_msg(at(2), sid(1), diff);
    zab.on_msg(at(2), sid(1), ZabMsg::NewLeader { epoch: 5 });
    assert_eq!(drain(&mut zab), vec![]);
}

// Seed 1838 (3 voters): server 2 acknowledged NEWLEADER 2 and queued the save of (2, 2), lost
// its leader, won the next election and chose epoch 3 before that save completed. The stale
// completion was taken for the leader's own save of accepted epoch 3, and LEADERINFO 3 went
// out with only epoch 2 durable. Now the leader waits for its own save, which never writes
// the epochs below the ones still queued.
#[test]
fn leader_waits_for_its_own_save_when_a_learner_save_completes_first() {
    let mut zab = elected_learner(2, config(3, &[]), (0, 0), history(Zxid::ZERO, &[]));
    zab.on_msg(at(0), sid(1), ZabMsg::LeaderInfo { epoch: 2 });
    let actions = drain(&mut zab);
    complete_save(&mut zab, at(0), &actions);
    let _ = drain(&mut zab);
    let diff = ZabMsg::Diff {
        epoch: 2,
        from: Zxid::ZERO,
    };
    zab.on_msg(at(0), sid(1), diff);
    zab.on_msg(at(0), sid(1), ZabMsg::NewLeader { epoch: 2 });
    assert_eq!(drain(&mut zab), vec![save(2, 2)]);
    zab.on_disconnected(at(1), sid(1));
    let own = super::super::Vote {
        epoch: 0,
        zxid: Zxid::ZERO,
        leader: sid(2),
    };
    let looking = super::super::Notification {
        state: super::super::PeerState::Looking,
        vote: own,
        round: 2,
    };
    zab.on_notification(at(1), sid(3), looking);
    zab.on_tick(at(500));
    let _ = drain(&mut zab);
    assert_eq!(zab.role(), Role::Leading);
    zab.on_msg(at(502), sid(3), info(P, 2));
    assert_eq!(
        drain(&mut zab),
        vec![save(3, 2)],
        "never below the queued (2, 2)"
    );
    zab.on_epoch_saved(at(503), 2, 2);
    assert_eq!(drain(&mut zab), vec![], "not the leader's save");
    zab.on_epoch_saved(at(504), 3, 2);
    assert_eq!(
        drain(&mut zab),
        vec![send(3, ZabMsg::LeaderInfo { epoch: 3 })]
    );
}
