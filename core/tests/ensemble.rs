//! The ensemble in a small deterministic harness (perfect FIFO links, a disk that completes in
//! 1 ms): election, sync by DIFF/TRUNC/SNAP, broadcast, forwarding, observers, failover
//! (DESIGN.md §3.3, zookeeper-protocol.md §16).

mod ensemble_support;

use ensemble_support::{connect, create, data_of, get, settled, Cluster, MEMBERSHIP};
use zoorepl_core::proto::{Request, Response};
use zoorepl_core::zab::Role;

/// `/zookeeper/config` as a client of `server` reads it: (data, version, mzxid, mtime).
fn config_node(c: &mut Cluster, server: u64) -> (String, i32, i64, i64) {
    let conn = connect(c, server);
    c.send(conn, 1, &get("/zookeeper/config"));
    c.run_until(c.now + 50);
    match c.reply(conn, 1) {
        Some((_, 0, Response::GetData { data, stat })) => {
            let text = String::from_utf8(data.expect("data").to_vec()).expect("utf-8");
            (text, stat.version, stat.mzxid, stat.mtime)
        }
        other => panic!("getData /zookeeper/config on {server}: {other:?}"),
    }
}

#[test]
fn config_node_holds_the_membership_on_every_member() {
    let mut c = settled(3, 0);
    for id in 1..=3 {
        let (text, version, mzxid, mtime) = config_node(&mut c, id);
        assert_eq!(text, MEMBERSHIP, "server {id}");
        // Java's initConfigInZKDatabase: version -1, mzxid the config's version, mtime now.
        assert_eq!((version, mzxid), (-1, 0), "server {id}");
        assert!(mtime >= 0 && mtime <= i64::try_from(c.now).expect("small"));
    }
    let digests: Vec<u64> = (1..=3)
        .map(|id| c.observe(id).expect("up").digest)
        .collect();
    assert!(digests.windows(2).all(|w| w[0] == w[1]), "{digests:?}");
}

#[test]
fn election_three_voters_establish_one_leader() {
    let c = settled(3, 0);
    let leaders: Vec<u64> = (1..=3)
        .filter(|id| c.observe(*id).expect("up").role == Role::Leading)
        .collect();
    assert_eq!(leaders.len(), 1, "one leader");
    let epoch = c.observe(leaders[0]).expect("up").established_epoch;
    assert_eq!(epoch, Some(1), "the first epoch");
    for id in 1..=3 {
        assert_eq!(c.observe(id).expect("up").current_epoch, 1);
    }
}

#[test]
fn broadcast_write_on_a_follower_is_read_on_another_after_sync() {
    let mut c = settled(3, 0);
    let leader = c.leader().expect("leader");
    let followers: Vec<u64> = (1..=3).filter(|id| *id != leader).collect();
    let a = connect(&mut c, followers[0]);
    let b = connect(&mut c, followers[1]);
    c.send(a, 1, &create("/x", "one"));
    c.run_until(c.now + 100);
    let (zxid, err, _) = c.reply(a, 1).expect("create answered");
    assert_eq!(err, 0);
    c.send(b, 1, &Request::Sync { path: "/x".into() });
    c.send(b, 2, &get("/x"));
    c.run_until(c.now + 100);
    assert_eq!(c.reply(b, 1).map(|r| r.1), Some(0), "sync answered");
    assert_eq!(data_of(c.reply(b, 2)), Some("one".into()));
    let (read_zxid, _, _) = c.reply(b, 2).expect("read");
    assert!(read_zxid >= zxid, "the read saw the write's zxid");
    let digests: Vec<u64> = (1..=3)
        .map(|id| c.observe(id).expect("up").digest)
        .collect();
    assert!(
        digests.windows(2).all(|w| w[0] == w[1]),
        "equal trees: {digests:?}"
    );
}

/// The followers' acks commit a new session before the leader's own (slow) fsync lets it apply
/// it; the follower answers the handshake, and the client's first request, forwarded, reaches
/// the leader before the leader applied the session. It must wait for it, not call the session
/// expired (it once did: a real client then gives its session up).
#[test]
fn broadcast_request_of_a_session_the_leader_has_not_applied_yet_waits_for_it() {
    let mut c = settled(3, 0);
    let leader = c.leader().expect("leader");
    let follower = (1..=3).find(|id| *id != leader).expect("a follower");
    c.disk_ms.insert(leader, 150);
    let a = c.connect(follower, None);
    c.run_until(c.now + 40);
    assert!(
        c.clients[&a].session.is_some(),
        "the followers' acks committed the session"
    );
    c.send(a, 1, &create("/x", "one"));
    c.run_until(c.now + 400);
    assert_eq!(
        c.reply(a, 1).map(|r| r.1),
        Some(0),
        "created, not SESSIONEXPIRED"
    );
}

/// A forwarded write that waited for the leader's slow fsync is proposed in the very step that
/// fsync completes, not at the leader's next input (on an idle leader, its next ping: the
/// write stalled up to half a tick).
#[test]
fn broadcast_deferred_forward_is_proposed_when_the_leader_catches_up() {
    let mut c = settled(3, 0);
    let leader = c.leader().expect("leader");
    let follower = (1..=3).find(|id| *id != leader).expect("a follower");
    let a = connect(&mut c, follower);
    c.disk_ms.insert(leader, 30);
    // The create is committed by the followers' acks; the leader applies it 30 ms later.
    c.send(a, 1, &create("/x", "one"));
    let sent = c.now;
    while c.reply(a, 1).is_none() && c.now < sent + 200 {
        c.run_until(c.now + 1);
    }
    assert_eq!(c.reply(a, 1).map(|r| r.1), Some(0));
    eprintln!("first create answered after {} ms", c.now - sent);
    // The next write from the follower has seen /x: the leader defers it until it applied /x.
    c.send(a, 2, &create("/y", "two"));
    let sent = c.now;
    let mut answered = None;
    while answered.is_none() && c.now < sent + 200 {
        c.run_until(c.now + 1);
        if c.reply(a, 2).is_some() {
            answered = Some(c.now - sent);
        }
    }
    let took = answered.expect("the second create is answered");
    assert!(
        took <= 36,
        "answered after {took} ms: the deferred forward waited for a ping"
    );
}

#[test]
fn broadcast_failed_write_on_a_follower_gets_the_leaders_error() {
    let mut c = settled(3, 0);
    let leader = c.leader().expect("leader");
    let follower = (1..=3).find(|id| *id != leader).expect("a follower");
    let a = connect(&mut c, follower);
    c.send(a, 1, &create("/x", "one"));
    c.send(a, 2, &create("/x", "two"));
    c.send(a, 3, &create("/nope/child", "z"));
    c.run_until(c.now + 100);
    assert_eq!(c.reply(a, 1).map(|r| r.1), Some(0));
    assert_eq!(c.reply(a, 2).map(|r| r.1), Some(-110), "NODEEXISTS");
    assert_eq!(c.reply(a, 3).map(|r| r.1), Some(-101), "NONODE");
    let xids: Vec<i32> = c.clients[&a].replies.iter().map(|r| r.0 .0).collect();
    assert_eq!(xids, vec![1, 2, 3], "FIFO order");
}

#[test]
fn failover_leader_crash_keeps_acknowledged_writes_and_sessions() {
    let mut c = settled(3, 0);
    let old = c.leader().expect("leader");
    let follower = (1..=3).find(|id| *id != old).expect("a follower");
    let a = connect(&mut c, follower);
    for i in 0..20 {
        c.send(a, i + 1, &create(&format!("/n{i}"), "v"));
    }
    c.run_until(c.now + 200);
    assert!(
        (1..=20).all(|x| c.reply(a, x).is_some_and(|r| r.1 == 0)),
        "all acked"
    );
    let session = c.clients[&a].session.clone();
    c.crash(old);
    // The session (2 s after clamping) must be resumed before it expires: poll for a leader.
    let started = c.now;
    while c.leader().is_none() || (1..=3).any(|id| id != old && !c.observe(id).expect("up").serving)
    {
        assert!(c.now - started < 1_500, "a new leader within 1.5 s");
        c.run_until(c.now + 10);
    }
    let new = c.leader().expect("a new leader");
    assert_ne!(new, old);
    let epoch = c.observe(new).expect("up").established_epoch;
    assert_eq!(epoch, Some(2), "a new epoch");
    let other = (1..=3).find(|id| *id != old && *id != new).expect("third");
    let b = c.connect(other, session);
    c.run_until(c.now + 100);
    assert!(!c.clients[&b].closed, "session resumed after failover");
    for i in 0..20 {
        c.send(b, i + 1, &get(&format!("/n{i}")));
    }
    c.run_until(c.now + 100);
    assert!(
        (1..=20).all(|x| data_of(c.reply(b, x)).as_deref() == Some("v")),
        "writes kept"
    );
    c.start(old);
    c.run_until(c.now + 3_000);
    let o = c.observe(old).expect("restarted");
    assert_eq!(
        o.role,
        Role::Following,
        "the old leader rejoins as follower"
    );
    assert_eq!(
        o.digest,
        c.observe(new).expect("up").digest,
        "and catches up"
    );
}

#[test]
fn sync_empty_follower_catches_up_by_snap() {
    let mut c = settled(3, 0);
    let leader = c.leader().expect("leader");
    let victim = (1..=3).find(|id| *id != leader).expect("a follower");
    let a = connect(&mut c, leader);
    for i in 0..120 {
        c.send(a, i + 1, &create(&format!("/s{i}"), "v"));
    }
    c.run_until(c.now + 500);
    c.crash(victim);
    *c.disks.get_mut(&victim).expect("disk") = ensemble_support::Disk::default();
    c.start(victim);
    c.run_until(c.now + 3_000);
    let o = c.observe(victim).expect("up");
    assert!(o.serving, "synced: {o:?}");
    assert_eq!(o.digest, c.observe(leader).expect("up").digest, "same tree");
    assert!(c.disks[&victim].snapshot.is_some(), "installed a SNAP");
    let (text, version, _, mtime) = config_node(&mut c, victim);
    assert_eq!(
        (text.as_str(), version),
        (MEMBERSHIP, -1),
        "written again after the SNAP"
    );
    assert!(
        mtime >= 3_000,
        "by the synced member itself, not copied from the leader"
    );
}

#[test]
fn sync_learner_with_an_uncommitted_tail_is_truncated() {
    let mut c = settled(3, 0);
    let leader = c.leader().expect("leader");
    let others: Vec<u64> = (1..=3).filter(|id| *id != leader).collect();
    let a = connect(&mut c, leader);
    c.send(a, 1, &create("/base", "v"));
    c.run_until(c.now + 100);
    // Cut the leader off: its next proposals reach only its own log.
    for f in &others {
        c.link_down.insert((leader, *f));
        c.link_down.insert((*f, leader));
    }
    c.send(a, 2, &create("/lost", "v"));
    c.run_until(c.now + 50);
    assert!(c.reply(a, 2).is_none(), "no quorum, no answer");
    let tail = c.observe(leader).expect("up").last_logged;
    c.run_until(c.now + 3_000);
    let new = c.leader().expect("the others elect");
    assert_ne!(new, leader);
    let b = connect(&mut c, new);
    c.send(b, 1, &create("/after", "v"));
    c.run_until(c.now + 100);
    c.link_down.clear();
    c.run_until(c.now + 3_000);
    let o = c.observe(leader).expect("up");
    assert_eq!(o.role, Role::Following);
    assert!(
        c.truncations
            .iter()
            .any(|(id, after)| *id == leader && *after < tail),
        "the old leader cut its tail {tail}: {:?}",
        c.truncations
    );
    assert_eq!(o.digest, c.observe(new).expect("up").digest);
    let d = connect(&mut c, leader);
    c.send(
        d,
        1,
        &Request::Exists {
            path: "/lost".into(),
            watch: false,
        },
    );
    c.run_until(c.now + 50);
    assert_eq!(
        c.reply(d, 1).map(|r| r.1),
        Some(-101),
        "the uncommitted create is gone"
    );
}

#[test]
fn observer_serves_reads_and_forwards_writes() {
    let mut c = settled(3, 1);
    let observer = 4;
    assert_eq!(c.observe(observer).expect("up").role, Role::Observing);
    let a = connect(&mut c, observer);
    c.send(a, 1, &create("/o", "seen"));
    c.send(a, 2, &get("/o"));
    c.run_until(c.now + 100);
    assert_eq!(c.reply(a, 1).map(|r| r.1), Some(0));
    assert_eq!(data_of(c.reply(a, 2)), Some("seen".into()));
    // Losing the observer does not cost the voters their quorum.
    c.crash(observer);
    let leader = c.leader().expect("leader");
    let b = connect(&mut c, leader);
    c.send(b, 1, &create("/p", "v"));
    c.run_until(c.now + 100);
    assert_eq!(c.reply(b, 1).map(|r| r.1), Some(0));
}

#[test]
fn broadcast_close_session_on_a_follower_is_answered() {
    let mut c = settled(3, 0);
    let leader = c.leader().expect("leader");
    let follower = (1..=3).find(|id| *id != leader).expect("a follower");
    let a = connect(&mut c, follower);
    c.send(a, 1, &create("/e", "v"));
    c.send(a, 2, &Request::CloseSession);
    c.run_until(c.now + 100);
    assert_eq!(c.reply(a, 1).map(|r| r.1), Some(0));
    assert_eq!(c.reply(a, 2).map(|r| r.1), Some(0), "closeSession answered");
    assert!(c.clients[&a].closed, "then the connection closes");
}
