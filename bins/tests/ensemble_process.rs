//! A real ensemble of `zoorepld` processes on loopback, driven by an independent client (the
//! `zookeeper-client` crate): failover of the leader under writes, a rolling restart, a member
//! with an empty disk catching up by SNAP, an observer taking writes.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

mod support;

use support::{runtime, start_ensemble as start};
use zookeeper_client as zk;
use zoorepl::ensemble::LocalEnsemble;
use zoorepl_core::ids::ServerId;

const SERVE_TIMEOUT: Duration = Duration::from_secs(30);
/// Client session timeout: the most a 200 ms tick allows (20 ticks).
const SESSION_TIMEOUT: Duration = Duration::from_secs(4);

fn persistent() -> zk::CreateOptions<'static> {
    zk::CreateMode::Persistent.with_acls(zk::Acls::anyone_all())
}

async fn connect(connect: &str) -> zk::Client {
    zk::Client::connector()
        .with_session_timeout(SESSION_TIMEOUT)
        .connect(connect)
        .await
        .expect("connect")
}

/// Creates `/w/n<i>` one after another until `stop`; returns the acknowledged paths. A create
/// that fails (the connection moved) may or may not have happened: it is not counted, and the
/// next one gets a new name.
async fn write_until(client: zk::Client, stop: Arc<AtomicBool>) -> Vec<String> {
    let mut acked = Vec::new();
    let mut i = 0u32;
    while !stop.load(Ordering::Relaxed) {
        let path = format!("/w/n{i:06}");
        i += 1;
        match client.create(&path, path.as_bytes(), &persistent()).await {
            Ok(_) => acked.push(path),
            Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
        }
    }
    acked
}

/// Every acknowledged write is on every running member (read from each one alone, after a
/// sync), with its data.
async fn assert_all_present(ensemble: &LocalEnsemble, acked: &[String]) {
    for id in ensemble.ids() {
        let addr = ensemble.client_addr(id).expect("member").to_string();
        let client = connect(&addr).await;
        let synced = client.sync("/w").await;
        if synced.is_err() {
            for other in ensemble.ids() {
                eprintln!("== server {} log\n{}", other.0, ensemble.log_tail(other));
            }
            panic!("server {}: sync: {synced:?}", id.0);
        }
        let children: BTreeSet<String> = client
            .list_children("/w")
            .await
            .expect("ls /w")
            .into_iter()
            .collect();
        for path in acked {
            let name = path.trim_start_matches("/w/");
            assert!(children.contains(name), "server {}: {path} lost", id.0);
        }
        let sample = &acked[acked.len() / 2];
        let (data, _) = client.get_data(sample).await.expect("get");
        assert_eq!(data, sample.as_bytes(), "server {}", id.0);
    }
}

/// kill -9 of the leader while a client writes: another leader within a few seconds, the
/// client keeps its session (and its ephemeral), every acknowledged write is on every member.
#[test]
fn leader_killed_under_writes_fails_over_and_loses_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ensemble = start(dir.path(), 3, 0);
    let rt = runtime();
    let connect_string = ensemble.connect_string();
    let client = rt.block_on(connect(&connect_string));
    let session = client.session_id();
    let watcher = rt.block_on(async {
        client.create("/w", b"", &persistent()).await.expect("/w");
        let eph = zk::CreateMode::Ephemeral.with_acls(zk::Acls::anyone_all());
        client.create("/eph", b"", &eph).await.expect("/eph");
        client
            .create("/watched", b"0", &persistent())
            .await
            .expect("/watched");
        let (_, _, watcher) = client.get_and_watch_data("/watched").await.expect("watch");
        watcher
    });
    let stop = Arc::new(AtomicBool::new(false));
    let writer = rt.spawn(write_until(client.clone(), stop.clone()));
    std::thread::sleep(Duration::from_millis(1500));
    let old = ensemble.leader().expect("a leader");
    ensemble.kill9(old).expect("kill -9 the leader");
    let killed_at = Instant::now();
    let new = loop {
        if let Some(id) = ensemble.leader().filter(|id| *id != old) {
            break id;
        }
        assert!(
            killed_at.elapsed() < Duration::from_secs(10),
            "no new leader"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    eprintln!(
        "leader {} killed; server {} leads after {:?}",
        old.0,
        new.0,
        killed_at.elapsed()
    );
    std::thread::sleep(Duration::from_millis(1500));
    stop.store(true, Ordering::Relaxed);
    let acked = rt.block_on(writer).expect("writer");
    assert!(acked.len() > 20, "only {} writes acknowledged", acked.len());
    rt.block_on(async {
        assert_eq!(client.session_id(), session, "the client kept its session");
        let (_, stat) = client
            .get_data("/eph")
            .await
            .expect("the ephemeral survives");
        assert_eq!(stat.ephemeral_owner, session.0);
        let after = format!("/after-{}", acked.len());
        client
            .create(&after, b"", &persistent())
            .await
            .expect("writes go on");
        // The watch set before the failover was carried over (setWatches) and fires once.
        let other = connect(&connect_string).await;
        other.set_data("/watched", b"1", None).await.expect("set");
        let event = tokio::time::timeout(Duration::from_secs(10), watcher.changed())
            .await
            .expect("the watch fires after the failover");
        assert_eq!(event.event_type, zk::EventType::NodeDataChanged);
        assert_eq!(event.path, "/watched");
    });
    ensemble.start(old).expect("the old leader comes back");
    ensemble.wait_serving(SERVE_TIMEOUT).expect("all serving");
    rt.block_on(assert_all_present(&ensemble, &acked));
}

/// Every member is restarted in turn (SIGTERM, start, serving again) while a client writes: no
/// acknowledged write is lost.
#[test]
fn rolling_restart_loses_no_acknowledged_write() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ensemble = start(dir.path(), 3, 0);
    let rt = runtime();
    let client = rt.block_on(connect(&ensemble.connect_string()));
    rt.block_on(client.create("/w", b"", &persistent()))
        .expect("/w");
    let stop = Arc::new(AtomicBool::new(false));
    let writer = rt.spawn(write_until(client, stop.clone()));
    for id in ensemble.ids() {
        std::thread::sleep(Duration::from_millis(500));
        ensemble.stop(id).expect("stop");
        ensemble
            .wait_serving(SERVE_TIMEOUT)
            .expect("the others serve");
        ensemble.start(id).expect("start");
        ensemble.wait_serving(SERVE_TIMEOUT).expect("all serve");
    }
    std::thread::sleep(Duration::from_millis(500));
    stop.store(true, Ordering::Relaxed);
    let acked = rt.block_on(writer).expect("writer");
    assert!(acked.len() > 20, "only {} writes acknowledged", acked.len());
    rt.block_on(assert_all_present(&ensemble, &acked));
}

/// A follower restarted with an empty data directory, further behind than the leader keeps
/// txns in memory, is sent the leader's snapshot (SNAP) and then serves everything.
#[test]
fn member_with_an_empty_disk_catches_up_by_snap() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ensemble = start(dir.path(), 3, 0);
    let rt = runtime();
    let client = rt.block_on(connect(&ensemble.connect_string()));
    // More txns than the leader keeps for DIFF (500).
    let acked: Vec<String> = rt.block_on(async {
        client.create("/w", b"", &persistent()).await.expect("/w");
        let mut acked = Vec::new();
        for i in 0..600 {
            let path = format!("/w/n{i:06}");
            client
                .create(&path, path.as_bytes(), &persistent())
                .await
                .expect("create");
            acked.push(path);
        }
        acked
    });
    let follower = ensemble
        .ids()
        .into_iter()
        .find(|&id| ensemble.mode(id).as_deref() == Some("follower"))
        .expect("a follower");
    ensemble.kill9(follower).expect("kill -9");
    ensemble.wipe(follower).expect("wipe");
    ensemble.start(follower).expect("start");
    ensemble.wait_serving(SERVE_TIMEOUT).expect("all serving");
    let log = ensemble.log_tail(follower);
    assert!(
        log.contains("installed the leader's snapshot"),
        "no SNAP in the log of server {}: {log}",
        follower.0
    );
    rt.block_on(assert_all_present(&ensemble, &acked));
}

/// Five voters: one leader, four followers; a write through one is read on every other.
#[test]
fn five_voters_elect_and_replicate() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ensemble = start(dir.path(), 5, 0);
    let modes: Vec<String> = ensemble
        .ids()
        .into_iter()
        .filter_map(|id| ensemble.mode(id))
        .collect();
    let leaders = modes.iter().filter(|m| *m == "leader").count();
    let followers = modes.iter().filter(|m| *m == "follower").count();
    assert_eq!((leaders, followers), (1, 4), "{modes:?}");
    let rt = runtime();
    rt.block_on(async {
        let client = connect(&ensemble.connect_string()).await;
        client.create("/w", b"", &persistent()).await.expect("/w");
        let acked = vec!["/w/five".to_owned()];
        client
            .create(&acked[0], acked[0].as_bytes(), &persistent())
            .await
            .expect("create");
        assert_all_present(&ensemble, &acked).await;
    });
}

/// A client of the observer alone: its writes are forwarded to the leader and its reads served
/// by the observer.
#[test]
fn observer_serves_reads_and_forwards_writes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ensemble = start(dir.path(), 3, 1);
    let observer = ServerId(4);
    assert_eq!(ensemble.mode(observer).as_deref(), Some("observer"));
    let rt = runtime();
    let addr = ensemble
        .client_addr(observer)
        .expect("observer")
        .to_string();
    rt.block_on(async {
        let client = connect(&addr).await;
        client.create("/w", b"", &persistent()).await.expect("/w");
        let mut acked = Vec::new();
        for i in 0..50 {
            let path = format!("/w/n{i:06}");
            client
                .create(&path, path.as_bytes(), &persistent())
                .await
                .expect("create through the observer");
            let (data, _) = client.get_data(&path).await.expect("read it back");
            assert_eq!(data, path.as_bytes());
            acked.push(path);
        }
        assert_all_present(&ensemble, &acked).await;
    });
    // The leader's mntr shows its learners; every member shows its peer state and epoch.
    let leader = ensemble.leader().expect("a leader");
    let mntr = ensemble.four_letter(leader, "mntr").expect("mntr");
    for line in [
        "zk_peer_state\tleading - broadcast",
        "zk_learners\t3",
        "zk_synced_followers\t2",
        "zk_synced_observers\t1",
        "zk_pending_syncs\t0",
        "zk_current_epoch\t1",
    ] {
        assert!(mntr.contains(line), "leader mntr lacks {line:?}:\n{mntr}");
    }
    let mntr = ensemble.four_letter(observer, "mntr").expect("mntr");
    assert!(
        mntr.contains("zk_peer_state\tobserving - broadcast"),
        "{mntr}"
    );
}

/// A client connecting while its server has no quorum is held, not closed at once (so a
/// client whose server is electing is answered as soon as it serves), but not for ever: after
/// about a second the server closes it, and the client can try another server.
#[test]
fn a_connection_to_a_server_without_quorum_is_held_then_closed() {
    use std::io::{Read, Write};

    let dir = tempfile::tempdir().expect("tempdir");
    let ensemble = start(dir.path(), 3, 0);
    let ids = ensemble.ids();
    ensemble.kill9(ids[0]).expect("kill -9");
    ensemble.kill9(ids[1]).expect("kill -9");
    let survivor = ensemble.client_addr(ids[2]).expect("address");
    // Until the survivor notices it lost its quorum it may still answer; wait for that.
    let deadline = Instant::now() + SERVE_TIMEOUT;
    while ensemble.mode(ids[2]).is_some() {
        assert!(
            Instant::now() < deadline,
            "the survivor never stopped serving"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let mut stream = std::net::TcpStream::connect(survivor).expect("connect");
    let request = zoorepl_core::proto::ConnectRequest {
        protocol_version: 0,
        last_zxid_seen: 0,
        timeout_ms: 4000,
        session_id: 0,
        passwd: vec![0; 16],
        read_only: Some(false),
    };
    let mut payload = Vec::new();
    request.encode(&mut payload);
    let len = u32::try_from(payload.len()).expect("small");
    stream.write_all(&len.to_be_bytes()).expect("write");
    stream.write_all(&payload).expect("write");
    let sent = Instant::now();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let mut buf = [0u8; 64];
    let n = stream.read(&mut buf).unwrap_or(0);
    let held = sent.elapsed();
    assert_eq!(
        n, 0,
        "no quorum, so no session: the server closes the connection"
    );
    assert!(
        held >= Duration::from_millis(700) && held < Duration::from_secs(5),
        "held for {held:?}"
    );
}
