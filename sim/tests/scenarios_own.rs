//! ZAB scenarios for our own tricky cases (not from a Java bug): a learner lost between
//! ACKEPOCH and NEWLEADER, a leader lost after proposing to one follower, an old leader with an
//! uncommitted tail rejoining, and a follower restarted with an empty disk.

use zoorepl_core::ids::Zxid;
use zoorepl_core::zab::ZabMsg;
use zoorepl_sim::script::Cluster;

/// Writes `path` through `client` and waits for success; returns the txn's zxid.
fn write(c: &mut Cluster, client: u64, path: &str) -> Zxid {
    let xid = c.client(client).create(path, "v");
    c.run_until(|c| c.client_reply(client, xid).is_some());
    let reply = c.client_reply(client, xid).expect("answered");
    assert_eq!(reply.err, 0, "create {path} failed: {reply:?}");
    Zxid::from_i64(reply.zxid)
}

/// zab: a learner crashes after ACKEPOCH, before NEWLEADER. B is down, so C's quorum for
/// epoch 2 is C and A; A acknowledges the epoch and crashes before its sync arrives. C must
/// not establish epoch 2 on its own; it gives up after initLimit, and once A and B are back
/// everything committed before is still there.
#[test]
fn zab_learner_crashes_between_ackepoch_and_newleader() {
    let mut c = Cluster::new(3);
    c.settle();
    c.connect(1, 3);
    write(&mut c, 1, "/a");
    c.server(2).crash();
    c.server(3).crash();
    c.server(3).restart();
    c.run_until(|c| {
        c.in_flight(1, 3)
            .iter()
            .any(|m| matches!(m, ZabMsg::AckEpoch { epoch: 2, .. }))
    });
    // The sync (DIFF, NEWLEADER) never reaches A: A crashes with its ACKEPOCH on the wire.
    c.link(3, 1).hold();
    c.run_for(5);
    c.server(1).crash();
    c.link(3, 1).release();
    c.run_for(1_500);
    assert!(
        !c.established_epochs().contains_key(&2),
        "epoch 2 established without a quorum synced"
    );
    assert!(c.leader().is_none(), "C alone does not serve");
    c.server(1).restart();
    c.server(2).restart();
    c.settle();
    assert!((1..=3).all(|id| c.has_znode(id, "/a")));
    c.assert_converged();
}

/// zab: the leader crashes after its proposal reached only one follower. Whether the txn
/// survives depends on whether that follower made it durable before the new election; either
/// way every server ends with the same state, and the unacknowledged write is all or nothing.
#[test]
fn zab_leader_crashes_after_proposing_to_one_follower() {
    for survives in [true, false] {
        let mut c = Cluster::new(3);
        c.settle();
        c.connect(1, 3);
        write(&mut c, 1, "/base");
        // B never sees the proposal; A's ACK never reaches C (so it cannot commit).
        c.link(3, 2).hold();
        c.link(1, 3).hold();
        if !survives {
            c.server(1).disk().hold();
        }
        let xid = c.client(1).create("/p", "v");
        c.run_until(|c| {
            c.observe(1)
                .is_some_and(|o| o.last_logged > c.durable(2).last_logged())
        });
        c.run_for(5);
        let p = c.observe(1).expect("up").last_logged;
        c.server(3).crash();
        if !survives {
            // A's write of p was not durable: it is lost with a crash of A too.
            c.server(1).crash();
            c.server(1).restart();
        }
        c.heal_all();
        c.settle();
        assert!(
            c.client_reply(1, xid).is_none(),
            "the client never got an answer"
        );
        let have: Vec<bool> = [1, 2].iter().map(|id| c.has_znode(*id, "/p")).collect();
        assert_eq!(have, vec![survives; 2], "p at {p} all or nothing");
        c.server(3).restart();
        c.settle();
        assert_eq!(c.has_znode(3, "/p"), survives);
        c.assert_converged();
    }
}

/// zab: an old leader partitioned with an uncommitted proposal rejoins. C logs x durably but no
/// follower gets it; A and B elect B and commit more; C rejoins, is told to TRUNC x, and its
/// durable log ends as a prefix of the new leader's.
#[test]
fn zab_partitioned_old_leader_tail_is_truncated() {
    let mut c = Cluster::new(3);
    c.settle();
    c.connect(1, 3);
    write(&mut c, 1, "/base");
    c.isolate(3);
    let xid = c.client(1).create("/lost", "v");
    c.run_until(|c| c.durable(3).last_logged() > c.durable(1).last_logged());
    let x = c.durable(3).last_logged();
    c.run_until(|c| c.leader() == Some(2));
    c.connect(2, 2);
    write(&mut c, 2, "/after");
    c.heal_all();
    c.settle();
    assert!(
        c.client_reply(1, xid).is_none_or(|r| r.err != 0),
        "x never succeeded"
    );
    assert!(!c.durable(3).has(x), "C's log still holds {x}");
    let truncated = c
        .sent(2, 3)
        .iter()
        .any(|m| matches!(m, ZabMsg::Trunc { after, .. } if *after < x));
    assert!(truncated, "B told C to cut its tail");
    assert!((1..=3).all(|id| !c.has_znode(id, "/lost") && c.has_znode(id, "/after")));
    c.assert_converged();
    c.server(3).crash();
    c.server(3).restart();
    c.settle();
    c.assert_converged();
}

/// zab: a follower restarted with an empty disk is behind the leader's in-memory window and is
/// synced by SNAP; it installs the snapshot durably and serves the same state.
#[test]
fn zab_follower_with_empty_disk_is_synced_by_snap() {
    let mut c = Cluster::with_config(3, |e| e.committed_log_max = 5);
    c.settle();
    c.connect(1, 3);
    for i in 0..20 {
        write(&mut c, 1, &format!("/n{i}"));
    }
    c.settle();
    c.server(1).crash();
    c.server(1).restart_with_empty_disk();
    c.settle();
    let snap = c
        .sent(3, 1)
        .iter()
        .any(|m| matches!(m, ZabMsg::Snap { .. }));
    assert!(snap, "synced by SNAP");
    assert!(c.durable(1).snapshot.is_some(), "the snapshot is installed");
    assert!(c.has_znode(1, "/n19"));
    c.assert_converged();
    // It recovers from the installed snapshot.
    c.server(1).crash();
    c.server(1).restart();
    c.settle();
    c.assert_converged();
}
