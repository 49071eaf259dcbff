//! Timers (zookeeper-protocol.md §16.3 PING; `initLimit`/`syncLimit`): the leader pings every
//! half tick and gives up without a live quorum; a learner gives up on a silent leader, or on a
//! sync that stopped moving; early and repeated ticks do nothing (STYLE.md §2).

use super::super::test_support::*;
use super::super::{Role, ZabMsg};
use super::ZabAction;
use crate::ids::Zxid;

fn ping(to: u64) -> ZabAction {
    send(
        to,
        ZabMsg::Ping {
            epoch: 1,
            committed: Zxid::ZERO,
        },
    )
}

// §16.3: the leader pings every learner every half tick.
#[test]
fn leader_pings_every_half_tick() {
    let mut zab = established_leader(3, &[4]);
    assert_eq!(zab.deadline(), Some(at(0)));
    zab.on_tick(at(0));
    assert_eq!(drain(&mut zab), vec![ping(2), ping(3), ping(4)]);
    assert_eq!(zab.deadline(), Some(at(TICK_MS / 2)));
    zab.on_tick(at(TICK_MS / 2));
    assert_eq!(drain(&mut zab), vec![ping(2), ping(3), ping(4)]);
}

// STYLE.md §2: a tick before the deadline, or a second one at it, does nothing.
#[test]
fn leader_ignores_early_and_repeated_ticks() {
    let mut zab = established_leader(3, &[]);
    zab.on_tick(at(0));
    let _ = drain(&mut zab);
    zab.on_tick(at(0));
    zab.on_tick(at(TICK_MS / 2 - 1));
    assert_eq!(drain(&mut zab), vec![]);
}

// `syncLimit`: the leader steps down once it has not heard from a quorum (itself included)
// for syncLimit ticks.
#[test]
fn leader_gives_up_without_a_quorum_within_sync_limit() {
    let mut zab = established_leader(3, &[]);
    zab.on_msg(at(400), sid(2), ZabMsg::PingReply { epoch: 1 });
    // Server 3 is silent since 0, server 2 answered at 400: still a quorum at 500.
    zab.on_tick(at(SYNC_MS));
    assert_eq!(drain(&mut zab), vec![ping(2), ping(3)]);
    zab.on_tick(at(400 + SYNC_MS));
    let expected = back_to_looking(1, &[2, 3], (1, Zxid::ZERO), 2);
    assert_eq!(drain(&mut zab), expected);
    assert_eq!(zab.role(), Role::Looking);
}

// `initLimit`: a leader that cannot establish its epoch in initLimit ticks elects again (checked
// every half tick, as Java's `Leader.lead` loop does).
#[test]
fn leader_gives_up_on_establishment_after_init_limit() {
    let mut zab = elected_leader(config(3, &[]), (0, 0), history(Zxid::ZERO, &[]));
    zab.on_tick(at(INIT_MS - 1));
    assert_eq!(drain(&mut zab), vec![]);
    assert_eq!(zab.deadline(), Some(at(INIT_MS - 1 + TICK_MS / 2)));
    zab.on_tick(at(INIT_MS - 1 + TICK_MS / 2));
    let expected = back_to_looking(1, &[2, 3], (0, Zxid::ZERO), 2);
    assert_eq!(drain(&mut zab), expected);
}

// `initLimit`: a learner whose leader never answers gives up.
#[test]
fn learner_gives_up_after_init_limit_before_sync() {
    let mut zab = elected_learner(2, config(3, &[]), (0, 0), history(Zxid::ZERO, &[]));
    assert_eq!(zab.deadline(), Some(at(INIT_MS)));
    zab.on_tick(at(INIT_MS - 1));
    assert_eq!(drain(&mut zab), vec![]);
    zab.on_tick(at(INIT_MS));
    let expected = back_to_looking(2, &[1, 3], (0, Zxid::ZERO), 2);
    assert_eq!(drain(&mut zab), expected);
}

// `syncLimit`: a synced learner gives up syncLimit ticks after it last heard from the leader;
// a PING restarts that wait.
#[test]
fn learner_gives_up_after_sync_limit_once_synced() {
    let mut zab = synced_learner(2);
    assert_eq!(zab.deadline(), Some(at(SYNC_MS)));
    zab.on_msg(
        at(400),
        sid(1),
        ZabMsg::Ping {
            epoch: 1,
            committed: Zxid::ZERO,
        },
    );
    let _ = drain(&mut zab);
    zab.on_tick(at(SYNC_MS));
    assert_eq!(drain(&mut zab), vec![], "heard at 400");
    zab.on_tick(at(400 + SYNC_MS));
    let expected = back_to_looking(2, &[1, 3, 4], (1, Zxid::ZERO), 2);
    assert_eq!(drain(&mut zab), expected);
}

// Pings from the leader do not keep a stalled sync alive: a lost DIFF is never sent again, so
// a learner still waiting for it after initLimit ticks must elect again (and resync).
#[test]
fn learner_gives_up_on_a_stalled_sync_despite_pings() {
    let mut zab = elected_learner(2, config(3, &[]), (1, 0), history(Zxid::ZERO, &[]));
    zab.on_msg(at(0), sid(1), ZabMsg::LeaderInfo { epoch: 1 });
    let _ = drain(&mut zab);
    for t in [400, 800] {
        zab.on_msg(
            at(t),
            sid(1),
            ZabMsg::Ping {
                epoch: 1,
                committed: Zxid::ZERO,
            },
        );
    }
    assert_eq!(
        drain(&mut zab),
        vec![send(1, ZabMsg::PingReply { epoch: 1 }); 2]
    );
    zab.on_tick(at(INIT_MS));
    let expected = back_to_looking(2, &[1, 3], (0, Zxid::ZERO), 2);
    assert_eq!(drain(&mut zab), expected);
}

// Proposals of the running epoch do not keep a learner that lost UPTODATE waiting forever
// (it ACKs them, but would never apply a COMMIT).
#[test]
fn learner_gives_up_waiting_for_up_to_date_despite_proposals() {
    let mut zab = elected_learner(2, config(3, &[]), (1, 0), history(Zxid::ZERO, &[]));
    zab.on_msg(at(0), sid(1), ZabMsg::LeaderInfo { epoch: 1 });
    let diff = ZabMsg::Diff {
        epoch: 1,
        from: Zxid::ZERO,
    };
    zab.on_msg(at(0), sid(1), diff);
    zab.on_msg(at(0), sid(1), ZabMsg::NewLeader { epoch: 1 });
    zab.on_epoch_saved(at(0), 1, 1);
    let _ = drain(&mut zab);
    for (t, c) in [(400, 1), (800, 2)] {
        zab.on_msg(at(t), sid(1), proposal(1, txn(1, c)));
    }
    zab.on_tick(at(INIT_MS));
    let mut expected = vec![ZabAction::Persist(vec![txn(1, 1), txn(1, 2)])];
    expected.extend(back_to_looking(2, &[1, 3], (1, z(1, 2)), 2));
    assert_eq!(drain(&mut zab), expected);
}

// A lost NEWLEADER is not papered over by the proposals that follow it on the link.
#[test]
fn learner_gives_up_on_a_lost_new_leader_despite_proposals() {
    let mut zab = elected_learner(2, config(3, &[]), (1, 0), history(Zxid::ZERO, &[]));
    zab.on_msg(at(0), sid(1), ZabMsg::LeaderInfo { epoch: 1 });
    let diff = ZabMsg::Diff {
        epoch: 1,
        from: Zxid::ZERO,
    };
    zab.on_msg(at(0), sid(1), diff);
    for (t, c) in [(400, 1), (800, 2)] {
        zab.on_msg(at(t), sid(1), proposal(1, txn(1, c)));
    }
    let _ = drain(&mut zab);
    zab.on_tick(at(INIT_MS));
    let mut expected = vec![ZabAction::Persist(vec![txn(1, 1), txn(1, 2)])];
    expected.extend(back_to_looking(2, &[1, 3], (0, z(1, 2)), 2));
    assert_eq!(drain(&mut zab), expected);
}

// The SNAP image itself shows the sync moving on.
#[test]
fn learner_restarts_its_wait_on_the_snapshot_image() {
    let mut zab = elected_learner(2, config(3, &[]), (1, 0), history(Zxid::ZERO, &[]));
    zab.on_msg(at(0), sid(1), ZabMsg::LeaderInfo { epoch: 1 });
    let snap = ZabMsg::Snap {
        epoch: 1,
        zxid: z(0, 5),
    };
    zab.on_msg(at(0), sid(1), snap);
    zab.on_snapshot(at(700), z(0, 5));
    assert_eq!(zab.deadline(), Some(at(700 + INIT_MS)));
}
