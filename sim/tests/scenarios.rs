//! ZAB scenarios rebuilt from the counterexample traces of the EuroSys '25 multi-grained TLA+
//! specifications of ZooKeeper (Ouyang et al., "Multi-Grained Specifications for Distributed
//! System Model Checking and Verification"; traces in the ZooKeeper JIRA issues and the
//! `Lingzhi-Ouyang/Remix` artifact).
//!
//! The Java traces name the servers A, B, C; here they are 1, 2, 3. C (3) leads first because
//! the election breaks ties by the highest id. Each Java bug comes from a step that the TLA+
//! protocol spec treats as atomic but that Java splits across threads (the QuorumPeer thread,
//! the SyncRequestProcessor thread, the CommitProcessor): logging the synced txns, saving the
//! current epoch and acknowledging NEWLEADER. Our learner has one thread of control and one
//! ordered disk queue: it logs the sync, then saves the current epoch *after* the log on the
//! same queue (so the epoch is never durable before the log), and acknowledges NEWLEADER only
//! once both completed (`learner.rs`, `learner_on_new_leader` / `learner_on_epoch_saved`).
//! Where a Java crash point cannot exist for us, the scenario tries every crash point our
//! ordering allows.

use zoorepl_core::ids::Zxid;
use zoorepl_core::zab::{Role, ZabMsg};
use zoorepl_sim::script::{Cluster, DiskOp};

/// Writes `path` through `client` and waits for success; returns the txn's zxid.
fn write(c: &mut Cluster, client: u64, path: &str) -> Zxid {
    let xid = c.client(client).create(path, "v");
    c.run_until(|c| c.client_reply(client, xid).is_some());
    let reply = c.client_reply(client, xid).expect("answered");
    assert_eq!(reply.err, 0, "create {path} failed: {reply:?}");
    Zxid::from_i64(reply.zxid)
}

/// The start shared by ZOOKEEPER-4643/4646/4685/3023.
///
/// Java: A, B, C are synced in epoch 1 and C leads. A crashes; B and C commit more txns (here
/// `/a1`..`/a3`). A and C restart while B is down (the trace crashes B and restarts C), C has
/// the longer log, so C leads epoch 2 and syncs A by DIFF with the txns A missed, then
/// NEWLEADER. Returns the cluster just after A (1) accepted epoch 2 durably, with A's disk held
/// when `hold` (its later writes are issued but not durable), and the missed zxids.
fn a_misses_committed_txns(hold: bool) -> (Cluster, Vec<Zxid>) {
    let mut c = Cluster::new(3);
    c.settle();
    assert_eq!(c.leader(), Some(3), "C leads epoch 1");
    c.connect(1, 3);
    write(&mut c, 1, "/base");
    c.settle();
    c.server(1).crash();
    let missed: Vec<Zxid> = ["/a1", "/a2", "/a3"]
        .iter()
        .map(|p| write(&mut c, 1, p))
        .collect();
    c.server(2).crash();
    c.server(3).crash();
    c.server(1).restart();
    c.server(3).restart();
    c.run_until(|c| c.observe(1).is_some_and(|o| o.accepted_epoch == 2));
    if hold {
        c.server(1).disk().hold();
    }
    (c, missed)
}

/// Runs until A (1) processed NEWLEADER: its sync is logged in memory and, with the disk held,
/// `[Persist(missed txns).., SaveEpoch(2, 2)]` is pending (the log writes are group-committed
/// in one or more batches). Returns how many operations are pending.
fn until_a_took_newleader(c: &mut Cluster, missed: &[Zxid]) -> usize {
    c.run_until(|c| {
        c.pending_disk(1)
            .iter()
            .any(|op| matches!(op, DiskOp::SaveEpoch(2, 2)))
    });
    let pending = c.pending_disk(1);
    let Some((DiskOp::SaveEpoch(2, 2), writes)) = pending.split_last() else {
        panic!("expected the sync then the epoch on A's disk queue: {pending:?}")
    };
    let mut zxids = Vec::new();
    for op in writes {
        let DiskOp::Persist(txns) = op else {
            panic!("expected only log writes before the epoch: {pending:?}")
        };
        zxids.extend(txns.iter().map(|t| t.zxid));
    }
    assert_eq!(zxids, missed, "the DIFF carries exactly the missed txns");
    pending.len()
}

fn has_all(c: &Cluster, id: u64, paths: &[&str]) -> bool {
    paths.iter().all(|p| c.has_znode(id, p))
}

/// ZOOKEEPER-4643: committed txns improperly truncated when a follower crashes right after
/// updating its currentEpoch but before persisting the synced txns.
///
/// Java: on NEWLEADER, A writes currentEpoch=2 to its file, then hands the DIFF txns to the
/// SyncRequestProcessor. A crashes in between: its disk says currentEpoch 2, lastZxid (1,3).
/// C crashes, A and B restart. The election orders votes by (currentEpoch, zxid): A's (2, (1,3))
/// beats B's (1, (1,4)), so A leads and TRUNCs B: the committed (1,4) is gone everywhere.
///
/// Ours: the epoch save is queued after the log write on one ordered disk, so "epoch durable,
/// log not" cannot happen. We crash A at each point our order allows (nothing durable; the log
/// durable but not the epoch) and check the invariant 4643 broke (a durable current epoch
/// implies the leader's history is durable) and that no committed txn is lost.
#[test]
fn zab_zookeeper_4643_epoch_saved_before_use() {
    for durable_ops in 0..3 {
        let (mut c, missed) = a_misses_committed_txns(true);
        let pending = until_a_took_newleader(&mut c, &missed);
        assert_eq!(pending, 3, "two group-committed log writes, then the epoch");
        // A crashes with the first `durable_ops` of [Persist, Persist, SaveEpoch] durable.
        c.server(1).disk().complete(durable_ops);
        c.server(1).crash();
        let d = c.durable(1);
        assert!(
            d.epochs.1 < 2 || missed.iter().all(|z| d.has(*z)),
            "current epoch 2 is durable without the history it certifies: {d:?}"
        );
        // Java: C crashes, A and B restart and elect. Ours: B has the longer log (or, with the
        // log durable on A, the same log and the higher id), so it leads and DIFFs A.
        c.server(3).crash();
        c.server(2).restart();
        c.server(1).restart();
        c.settle();
        assert_eq!(c.leader(), Some(2), "B leads: A's current epoch is still 1");
        for id in [1, 2] {
            assert!(
                has_all(&c, id, &["/base", "/a1", "/a2", "/a3"]),
                "server {id}"
            );
        }
        c.assert_converged();
        c.server(3).restart();
        c.settle();
        c.assert_converged();
    }
}

/// ZOOKEEPER-4646: committed txns lost when followers crash after replying ACK of NEWLEADER
/// but before writing the synced txns to disk.
///
/// Java: A's QuorumPeer thread queues the DIFF txns to the SyncRequestProcessor and replies
/// ACK-LD at once; C counts it, establishes epoch 2 and commits new txns with A. A's sync
/// thread had not flushed yet when A and C crash; A and B elect and A (current epoch 2) leads
/// with a log missing what B and C had committed in epoch 1.
///
/// Ours: A acknowledges NEWLEADER only from `on_epoch_saved`, after the log write before it
/// completed. With A's disk held, C cannot establish (A is its only follower); each completion
/// moves A one step; only the second sends the ack. Then the rest of the Java trace: C commits
/// in epoch 2 with A, A and C crash, A and B elect: nothing committed is lost.
#[test]
fn zab_zookeeper_4646_ack_newleader_after_durable() {
    let (mut c, missed) = a_misses_committed_txns(true);
    let pending = until_a_took_newleader(&mut c, &missed);
    let acked = |c: &Cluster| {
        c.sent(1, 3)
            .iter()
            .any(|m| matches!(m, ZabMsg::AckNewLeader { epoch: 2 }))
    };
    c.run_for(300);
    assert!(
        !acked(&c),
        "A acknowledged NEWLEADER before its sync was durable"
    );
    assert_eq!(c.observe(3).expect("up").established_epoch, None);
    for _ in 1..pending {
        c.server(1).disk().complete(1);
        c.run_for(20);
        assert!(
            !acked(&c),
            "A acknowledged NEWLEADER before its epoch was durable"
        );
    }
    c.server(1).disk().complete(1);
    assert!(acked(&c), "A acknowledges once everything is durable");
    c.server(1).disk().release();
    c.run_until(|c| c.observe(3).is_some_and(|o| o.established_epoch == Some(2)));
    c.settle();
    // C commits in epoch 2 with A; then A and C crash together.
    c.connect(2, 3);
    write(&mut c, 2, "/b");
    c.server(1).crash();
    c.server(3).crash();
    c.server(1).restart();
    c.server(2).restart();
    c.settle();
    assert_eq!(c.leader(), Some(1), "A (current epoch 2) leads, as in Java");
    for id in [1, 2] {
        assert!(has_all(&c, id, &["/a1", "/a2", "/a3", "/b"]), "server {id}");
    }
    c.assert_converged();
}

/// ZOOKEEPER-4685: needless unavailability when a follower sends the ACK of a PROPOSAL before
/// the ACK of NEWLEADER during sync.
///
/// Java: A's SyncRequestProcessor flushes the DIFF txns and sends their ACKs while the
/// QuorumPeer thread has not yet sent ACK-LD. C's LearnerHandler reads the first packet after
/// NEWLEADER expecting ACK-LD, gets an ACK of (1,4), gives up on A, loses its quorum and goes
/// back to election though nothing failed.
///
/// Ours: a learner acknowledges proposals only once NEWLEADER is acknowledged, and only those
/// of the leader's epoch (the sync's old-epoch txns are covered by ACK-NEWLEADER). We complete
/// A's disk operations one at a time and check that nothing but ACK-NEWLEADER reaches C first,
/// and that C establishes epoch 2 once and keeps it.
#[test]
fn zab_zookeeper_4685_no_proposal_ack_before_newleader_ack() {
    let (mut c, missed) = a_misses_committed_txns(true);
    let pending = until_a_took_newleader(&mut c, &missed);
    for _ in 0..pending {
        c.server(1).disk().complete(1);
        c.run_for(20);
    }
    c.server(1).disk().release();
    c.settle();
    c.connect(2, 3);
    write(&mut c, 2, "/b");
    c.run_for(2_000);
    // What A sent C since it rejoined (the log also holds epoch 1).
    let all = c.sent(1, 3);
    let rejoined = all
        .iter()
        .rposition(|m| matches!(m, ZabMsg::LearnerInfo { .. }))
        .expect("A introduced itself");
    let sent = &all[rejoined..];
    let ack_ld = sent
        .iter()
        .position(|m| matches!(m, ZabMsg::AckNewLeader { epoch: 2 }))
        .expect("A acknowledged NEWLEADER");
    for (i, m) in sent.iter().enumerate() {
        if let ZabMsg::Ack { epoch, upto } = m {
            assert!(i > ack_ld, "ACK {upto} sent before ACK-NEWLEADER: {sent:?}");
            assert_eq!((*epoch, upto.epoch), (2, 2), "ACK of an older epoch: {m:?}");
        }
    }
    assert!(
        sent.iter().any(|m| matches!(m, ZabMsg::Ack { .. })),
        "A acknowledges epoch-2 proposals"
    );
    let epochs: Vec<u32> = c.established_epochs().keys().copied().collect();
    assert_eq!(epochs, vec![1, 2], "no needless re-election");
    assert_eq!(c.leader(), Some(3));
    c.assert_converged();
}

/// ZOOKEEPER-3023 (flaky `Zab1_0Test.testNormalFollowerRunWithDiff`): after a DIFF sync the
/// follower replied ACK-LD while the DIFF txns were still queued for asynchronous logging, so
/// its log did not yet hold what its ACK certified (the spec's `messageLegal` invariant).
///
/// Ours, with an ordinary disk: at the moment A's ACK-NEWLEADER is on the wire, A's durable
/// log holds every txn of the DIFF and its durable epochs are (2, 2).
#[test]
fn zab_zookeeper_3023_newleader_ack_certifies_durable_log() {
    let (mut c, missed) = a_misses_committed_txns(false);
    c.run_until(|c| {
        c.in_flight(1, 3)
            .iter()
            .any(|m| matches!(m, ZabMsg::AckNewLeader { epoch: 2 }))
    });
    let d = c.durable(1);
    assert!(missed.iter().all(|z| d.has(*z)), "DIFF not durable: {d:?}");
    assert_eq!(d.epochs, (2, 2), "epochs not durable");
    let a = c.observe(1).expect("up");
    let leader = c.observe(3).expect("up");
    assert_eq!(a.last_logged, leader.last_logged, "A's log matches C's");
    c.settle();
    c.assert_converged();
}

/// ZOOKEEPER-4394: a follower syncing with an established leader receives, in order, DIFF,
/// PROPOSAL, COMMIT, PROPOSAL(p), NEWLEADER, COMMIT(p), UPTODATE. Java's follower logs and
/// forgets its pending proposals when it takes NEWLEADER, so the late COMMIT(p) finds nothing
/// (NullPointerException) and the follower drops out of the quorum.
///
/// Ours: the leader sends COMMIT only to learners it sent UPTODATE; a proposal made while a
/// learner syncs is sent to it as a PROPOSAL after its NEWLEADER, and UPTODATE carries the
/// commit point. We hold A's disk while it saves its current epoch, commit p with B and C,
/// then let A finish: it logs p, acknowledges, learns p is committed from UPTODATE, applies
/// it once durable and serves.
#[test]
fn zab_zookeeper_4394_commit_during_sync() {
    let mut c = Cluster::new(3);
    c.settle();
    c.connect(1, 3);
    write(&mut c, 1, "/base");
    c.server(1).crash();
    write(&mut c, 1, "/a");
    // A rejoins C's established epoch 1: no epoch to accept, so its first disk write is the
    // sync; hold it from the start.
    c.server(1).restart();
    c.server(1).disk().hold();
    c.run_until(|c| {
        c.pending_disk(1)
            .iter()
            .any(|op| matches!(op, DiskOp::SaveEpoch(1, 1)))
    });
    // p is proposed and committed by B and C while A saves its epoch.
    let p = write(&mut c, 1, "/p");
    let a = c.observe(1).expect("up");
    assert_eq!(a.last_logged, p, "A took p's PROPOSAL after NEWLEADER");
    assert!(
        !a.serving && a.last_applied < p,
        "A neither serves nor applied p"
    );
    let to_a = c.sent(3, 1);
    let newleader = to_a
        .iter()
        .rposition(|m| matches!(m, ZabMsg::NewLeader { .. }));
    let proposal = to_a
        .iter()
        .rposition(|m| matches!(m, ZabMsg::Proposal { txn, .. } if txn.zxid == p));
    assert!(proposal > newleader, "p follows NEWLEADER: {to_a:?}");
    assert!(
        !to_a[newleader.expect("sent")..]
            .iter()
            .any(|m| matches!(m, ZabMsg::Commit { .. })),
        "no COMMIT to a learner before UPTODATE"
    );
    c.server(1).disk().release();
    c.settle();
    assert!(c.has_znode(1, "/p"), "A applied p");
    c.assert_converged();
}

/// ZOOKEEPER-4712: `Follower.shutdown()` did not stop the SyncRequestProcessor, so when a
/// follower went back to LOOKING its old sync thread could still write txns of the previous
/// epoch to the log after the server had synced with a new leader (and been told to TRUNC
/// them): the log on disk then disagrees with the leader's (the spec's `prefixConsistency`).
///
/// Ours has no sync thread, but the same shape exists: a log write issued in one role
/// completes after the server changed role. A receives a proposal x that only it and the
/// leader C see; neither makes it durable (disks held) and C crashes. A is cut off and goes
/// LOOKING with x's write still in flight. B and C form epoch 2 without x and commit more.
/// A rejoins: x's stale write completes first, then A accepts epoch 2, reports x, is told to
/// TRUNC it, and does. Its durable log must end up a prefix of the leader's.
#[test]
fn zab_zookeeper_4712_stale_write_after_role_change() {
    let mut c = Cluster::new(3);
    c.settle();
    c.connect(1, 3);
    write(&mut c, 1, "/base");
    c.server(1).disk().hold();
    c.server(3).disk().hold();
    c.link(3, 2).hold();
    let xid = c.client(1).create("/x", "v");
    c.run_until(|c| {
        c.pending_disk(1)
            .iter()
            .any(|op| matches!(op, DiskOp::Persist(_)))
    });
    let x = c.observe(1).expect("up").last_logged;
    c.server(3).crash();
    assert!(!c.durable(3).has(x), "C lost x with its crash");
    c.link(3, 2).release();
    c.isolate(1);
    c.run_until(|c| c.observe(1).is_some_and(|o| o.role == Role::Looking));
    assert!(c.client_reply(1, xid).is_none(), "x was never acknowledged");
    // B and C form epoch 2 without x and commit in it.
    c.server(3).restart();
    c.run_until(|c| c.leader() == Some(3));
    c.connect(2, 3);
    write(&mut c, 2, "/after");
    // A rejoins; its stale write of x is still pending and completes first.
    c.heal_all();
    c.server(1).disk().release();
    c.settle();
    let truncated = c
        .sent(3, 1)
        .iter()
        .any(|m| matches!(m, ZabMsg::Trunc { epoch: 2, after } if *after < x));
    assert!(truncated, "C told A to cut x: {:?}", c.sent(3, 1));
    let d = c.durable(1);
    assert!(!d.has(x), "A's log still holds the truncated {x}: {d:?}");
    assert!(
        !c.committed_txns().contains_key(&x),
        "x was never committed"
    );
    assert!(!c.has_znode(1, "/x") && c.has_znode(1, "/after"));
    c.assert_converged();
    // What A recovers from its disk agrees with the others.
    c.server(1).crash();
    c.server(1).restart();
    c.settle();
    c.assert_converged();
}
