//! Sessions in an ensemble: a session created on a learner is usable at once, a client's xids
//! may start again on a new connection, and a session resumed on another server no longer acts
//! through its old connection (zookeeper-protocol.md §10 "Session moved", §16.3 REVALIDATE).

mod ensemble_support;

use ensemble_support::{connect, create, data_of, get, settled, Cluster};
use zoorepl_core::proto::Request;

const NONODE: i32 = -101;

fn leader_and_followers(c: &Cluster) -> (u64, u64, u64) {
    let leader = c.leader().expect("leader");
    let f: Vec<u64> = (1..=3).filter(|id| *id != leader).collect();
    (leader, f[0], f[1])
}

fn exists(path: &str) -> Request {
    Request::Exists {
        path: path.into(),
        watch: false,
    }
}

/// Resumes `conn`'s session on a new connection to `server`.
fn resume(c: &mut Cluster, conn: u64, server: u64) -> u64 {
    let session = c.clients[&conn].session.clone();
    assert!(session.is_some(), "connection {conn} has a session");
    let moved = c.connect(server, session);
    c.run_until(c.now + 50);
    assert!(!c.clients[&moved].closed, "session resumed on {server}");
    moved
}

#[test]
fn session_created_on_a_follower_writes_at_once_while_the_leaders_disk_lags() {
    let mut c = settled(3, 0);
    let (leader, follower, _) = leader_and_followers(&c);
    // The followers' ACKs make the quorum and they apply the createSession before the leader
    // has it on disk (and so before the leader applies it).
    c.disk_ms.insert(leader, 40);
    let a = c.connect(follower, None);
    while c.clients[&a].session.is_none() {
        assert!(!c.clients[&a].closed, "connection refused");
        c.run_until(c.now + 1);
    }
    c.send(a, 1, &create("/first", "v"));
    c.run_until(c.now + 200);
    assert_eq!(
        c.reply(a, 1).map(|r| r.1),
        Some(0),
        "the leader knows a session it has committed, applied or not"
    );
}

#[test]
fn resumed_session_may_count_xids_from_one_again() {
    let mut c = settled(3, 0);
    let (_, x, y) = leader_and_followers(&c);
    let a = connect(&mut c, x);
    for xid in 1..=3 {
        c.send(a, xid, &create(&format!("/a{xid}"), "v"));
    }
    c.run_until(c.now + 100);
    assert!((1..=3).all(|xid| c.reply(a, xid).is_some_and(|r| r.1 == 0)));
    // kazoo starts every connection at xid 1: on the same server, then on another one.
    let same = resume(&mut c, a, x);
    assert!(c.clients[&a].closed, "the old connection closed");
    c.send(same, 1, &create("/b1", "v"));
    c.run_until(c.now + 100);
    assert_eq!(c.reply(same, 1).map(|r| r.1), Some(0), "answered on {x}");
    let other = resume(&mut c, same, y);
    c.send(other, 1, &create("/c1", "v"));
    c.send(other, 2, &Request::Sync { path: "/".into() });
    c.run_until(c.now + 100);
    assert_eq!(c.reply(other, 1).map(|r| r.1), Some(0), "answered on {y}");
    assert_eq!(c.reply(other, 2).map(|r| r.1), Some(0), "sync answered");
}

#[test]
fn session_moved_between_followers_refuses_the_old_connections_write() {
    let mut c = settled(3, 0);
    let (_, x, y) = leader_and_followers(&c);
    let a = connect(&mut c, x);
    let b = resume(&mut c, a, y);
    assert!(
        !c.clients[&a].closed,
        "another server's connection stays open"
    );
    c.send(a, 5, &create("/moved", "v"));
    c.run_until(c.now + 100);
    assert!(c.clients[&a].closed, "closed by SESSIONMOVED");
    assert!(c.reply(a, 5).is_none(), "without a reply");
    c.send(b, 1, &Request::Sync { path: "/".into() });
    c.send(b, 2, &exists("/moved"));
    c.send(b, 3, &create("/mine", "v"));
    c.run_until(c.now + 100);
    assert_eq!(c.reply(b, 2).map(|r| r.1), Some(NONODE), "not applied");
    assert_eq!(c.reply(b, 3).map(|r| r.1), Some(0), "the new owner writes");
}

#[test]
fn session_moved_off_the_leader_closes_the_leaders_old_connection_on_its_next_request() {
    let mut c = settled(3, 0);
    let (leader, follower, _) = leader_and_followers(&c);
    let a = connect(&mut c, leader);
    let b = resume(&mut c, a, follower);
    c.run_until(c.now + 50);
    // Java's leader checks the owner of every request, reads and pings too.
    c.send(a, 7, &get("/"));
    c.run_until(c.now + 50);
    assert!(c.clients[&a].closed, "closed by SESSIONMOVED");
    assert!(c.reply(a, 7).is_none(), "without a reply");
    c.send(b, 1, &create("/after", "v"));
    c.send(b, 2, &get("/after"));
    c.run_until(c.now + 100);
    assert_eq!(data_of(c.reply(b, 2)), Some("v".into()));
}

#[test]
fn session_moved_to_the_leader_refuses_the_followers_old_connection() {
    let mut c = settled(3, 0);
    let (leader, follower, _) = leader_and_followers(&c);
    let a = connect(&mut c, follower);
    let b = resume(&mut c, a, leader);
    c.send(a, 3, &create("/stale", "v"));
    c.run_until(c.now + 100);
    assert!(c.clients[&a].closed, "closed by SESSIONMOVED");
    assert!(c.reply(a, 3).is_none(), "without a reply");
    c.send(b, 1, &exists("/stale"));
    c.run_until(c.now + 50);
    assert_eq!(c.reply(b, 1).map(|r| r.1), Some(NONODE), "not applied");
}

#[test]
fn closed_session_is_refused_by_a_lagging_follower() {
    let mut c = settled(3, 0);
    let (_, x, y) = leader_and_followers(&c);
    // y's disk is slow: the leader and x make the quorum, y applies everything late.
    c.disk_ms.insert(y, 60);
    let a = connect(&mut c, x);
    let session = c.clients[&a].session.clone();
    c.run_until(c.now + 200);
    c.send(a, 1, &Request::CloseSession);
    while c.reply(a, 1).is_none() {
        c.run_until(c.now + 1);
    }
    let again = c.connect(y, session);
    c.run_until(c.now + 200);
    assert!(c.clients[&again].closed, "refused");
    assert!(
        c.clients[&again].session.is_none(),
        "with the invalid-session answer, though {y} had not applied the close yet"
    );
}

#[test]
fn new_session_resumes_at_once_on_a_lagging_follower() {
    let mut c = settled(3, 0);
    let (_, x, y) = leader_and_followers(&c);
    c.disk_ms.insert(y, 60);
    let a = c.connect(x, None);
    while c.clients[&a].session.is_none() {
        c.run_until(c.now + 1);
    }
    let session = c.clients[&a].session.clone();
    let b = c.connect(y, session.clone());
    c.run_until(c.now + 200);
    assert!(!c.clients[&b].closed, "resumed on {y}");
    assert_eq!(c.clients[&b].session, session);
    c.send(b, 1, &create("/resumed", "v"));
    c.run_until(c.now + 200);
    assert_eq!(c.reply(b, 1).map(|r| r.1), Some(0));
}
