//! `zoorepld` as a real process: durability across kill -9, torn tails, corrupt logs, bad input.

mod support;

use std::time::Duration;

use support::{four_letter, free_port, runtime, Server};
use zookeeper_client as zk;

fn open() -> zk::CreateOptions<'static> {
    zk::CreateMode::Persistent.with_acls(zk::Acls::anyone_all())
}

/// Writes in a loop until killed; returns the paths whose create was acknowledged.
async fn write_until_killed(addr: String, stop_after: usize) -> Vec<String> {
    let client = zk::Client::connect(&addr).await.expect("connect");
    client.create("/acked", b"", &open()).await.expect("parent");
    let mut acked = Vec::new();
    for i in 0..stop_after {
        let path = format!("/acked/n{i:05}");
        match client
            .create(&path, format!("v{i}").as_bytes(), &open())
            .await
        {
            Ok(_) => acked.push(path),
            Err(_) => break,
        }
    }
    acked
}

#[test]
fn every_acknowledged_write_survives_kill_9() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut server = Server::start(dir.path(), free_port(), "");
    let rt = runtime();
    let addr = server.addr();
    // Kill the server while a writer is in full flow.
    let writer = rt.spawn(write_until_killed(addr.clone(), 1_000_000));
    std::thread::sleep(Duration::from_millis(1500));
    server.kill9();
    let acked = rt
        .block_on(async { tokio::time::timeout(Duration::from_secs(30), writer).await })
        .expect("writer ends once the server is gone")
        .expect("writer task");
    assert!(
        acked.len() > 50,
        "only {} writes before the kill",
        acked.len()
    );
    server.spawn();
    rt.block_on(async {
        let client = zk::Client::connect(&addr).await.expect("reconnect");
        let children = client.list_children("/acked").await.expect("ls");
        assert!(
            children.len() >= acked.len(),
            "{} acked, {} present",
            acked.len(),
            children.len()
        );
        for (i, path) in acked.iter().enumerate() {
            let (data, _) = client
                .get_data(path)
                .await
                .unwrap_or_else(|e| panic!("{path} lost: {e}"));
            assert_eq!(data, format!("v{i}").into_bytes(), "{path} half-applied");
        }
    });
}

fn log_segments(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut v: Vec<_> = std::fs::read_dir(dir.join("data/zoorepl-log"))
        .expect("log dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("log."))
        })
        .collect();
    v.sort();
    v
}

/// Offset just past the last non-zero byte of a preallocated segment.
fn used_len(bytes: &[u8]) -> usize {
    bytes.iter().rposition(|b| *b != 0).map_or(0, |i| i + 1)
}

fn write_some(addr: &str, n: usize) {
    runtime().block_on(async {
        let client = zk::Client::connect(addr).await.expect("connect");
        for i in 0..n {
            client
                .create(&format!("/n{i}"), &[7u8; 64], &open())
                .await
                .expect("create");
        }
    });
}

#[test]
fn a_torn_tail_is_cut_and_the_server_starts() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut server = Server::start(dir.path(), free_port(), "");
    write_some(&server.addr(), 20);
    server.kill9();
    let seg = log_segments(dir.path()).pop().expect("a segment");
    let mut bytes = std::fs::read(&seg).expect("read segment");
    let end = used_len(&bytes);
    // Tear the last record: keep only half of its bytes.
    bytes.truncate(end - 30);
    std::fs::write(&seg, &bytes).expect("write torn segment");
    server.spawn();
    runtime().block_on(async {
        let client = zk::Client::connect(&server.addr()).await.expect("connect");
        let children = client.list_children("/").await.expect("ls");
        let count = children.iter().filter(|c| c.starts_with('n')).count();
        assert_eq!(
            count, 19,
            "the torn last create is gone, the rest is there: {children:?}"
        );
    });
    assert!(
        server.stderr().contains("torn"),
        "recovery reports the cut: {}",
        server.stderr()
    );
}

#[test]
fn a_flipped_byte_in_the_middle_of_the_log_refuses_to_start() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut server = Server::start(dir.path(), free_port(), "");
    write_some(&server.addr(), 20);
    server.kill9();
    let seg = log_segments(dir.path()).pop().expect("a segment");
    let mut bytes = std::fs::read(&seg).expect("read segment");
    let middle = used_len(&bytes) / 2;
    bytes[middle] ^= 0x55;
    std::fs::write(&seg, &bytes).expect("write corrupt segment");
    let (code, stderr) = server.expect_refusal();
    assert_eq!(
        code, 4,
        "documented exit code for a corrupt data directory: {stderr}"
    );
    assert!(
        stderr.contains("corrupt") && stderr.contains(&seg.display().to_string()),
        "{stderr}"
    );
    assert!(
        stderr.contains("offset"),
        "the message names the offset: {stderr}"
    );
}

#[test]
fn bad_frames_close_only_their_connection() {
    use std::io::{Read, Write};
    let dir = tempfile::tempdir().expect("tempdir");
    let server = Server::start(dir.path(), free_port(), "");
    let rt = runtime();
    let client = rt
        .block_on(zk::Client::connect(&server.addr()))
        .expect("connect");
    let attempts: [&[u8]; 4] = [
        &[0xff, 0xff, 0xff, 0xfe],                 // negative length
        &[0x7f, 0, 0, 0, 1, 2, 3],                 // far over the frame limit
        &[0, 0, 0, 12, 0, 0, 0, 1, 0, 0, 0, 4, 0], // truncated handshake, then silence
        &[0, 0, 0, 8, 0, 0, 0, 1, 0, 0, 0, 4],     // a request before any handshake
    ];
    for bytes in attempts {
        let mut s = std::net::TcpStream::connect(server.addr()).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(15)))
            .expect("timeout");
        s.write_all(bytes).expect("write");
        let mut out = Vec::new();
        let _ = s.read_to_end(&mut out);
        assert!(out.is_empty(), "no reply to garbage: {out:?}");
    }
    rt.block_on(client.create("/alive", b"", &open()))
        .expect("other clients carry on");
    assert_eq!(four_letter(server.port, "ruok").as_deref(), Some("imok"));
}

#[test]
fn sessions_and_ephemerals_survive_a_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut server = Server::start(dir.path(), free_port(), "");
    let addr = server.addr();
    // The first client lives on a runtime of its own. The server is killed first, then that
    // runtime is shut down, so the client can neither reconnect nor send a closeSession (which
    // zookeeper-client does when the last handle goes): like a client process that crashed.
    let first = runtime();
    let client = first.block_on(async {
        let client = zk::Client::connect(&addr).await.expect("connect");
        let eph = zk::CreateMode::Ephemeral.with_acls(zk::Acls::anyone_all());
        client.create("/eph", b"", &eph).await.expect("ephemeral");
        client
    });
    let session = client.session().clone();
    server.kill9();
    first.shutdown_background();
    std::mem::forget(client);
    server.spawn();
    let rt = runtime();
    rt.block_on(async {
        let client = zk::Client::connector()
            .with_session(session)
            .connect(&addr)
            .await
            .expect("resume the session after the restart");
        assert!(
            client.check_stat("/eph").await.expect("exists").is_some(),
            "the ephemeral lives on"
        );
    });
}

fn snapshot_count(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir.join("data").join("zoorepl-snap"))
        .expect("snapshot dir")
        .filter(|e| {
            e.as_ref()
                .is_ok_and(|e| e.file_name().to_string_lossy().starts_with("snapshot."))
        })
        .count()
}

#[test]
fn autopurge_keeps_the_newest_snapshots_when_an_interval_is_set() {
    let dir = tempfile::tempdir().expect("tempdir");
    let port = free_port();
    // purgeInterval 0 (the default): snapshots pile up.
    let mut server = Server::start(dir.path(), port, "snapCount=10\n");
    write_some(&server.addr(), 120);
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while snapshot_count(dir.path()) < 6 {
        assert!(std::time::Instant::now() < deadline, "no snapshots written");
        std::thread::sleep(Duration::from_millis(50));
    }
    server.kill9();
    let before = snapshot_count(dir.path());
    drop(server);
    // purgeInterval 1 (hour): the first purge runs at startup, keeping snapRetainCount.
    let server = Server::start(
        dir.path(),
        port,
        "snapCount=100000\nautopurge.purgeInterval=1\nautopurge.snapRetainCount=3\n",
    );
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while snapshot_count(dir.path()) != 3 {
        assert!(
            std::time::Instant::now() < deadline,
            "{} of {before} snapshots left: {}",
            snapshot_count(dir.path()),
            server.stderr()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    runtime().block_on(async {
        let client = zk::Client::connect(&server.addr()).await.expect("connect");
        let children = client.list_children("/").await.expect("ls");
        let count = children.iter().filter(|c| c.starts_with('n')).count();
        assert_eq!(count, 120, "purging lost nothing");
    });
    assert!(server.stderr().contains("autopurge.purgeInterval set to 1"));
}
