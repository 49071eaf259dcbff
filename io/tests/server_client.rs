//! The tokio shell against a real, independent ZooKeeper client (the `zookeeper-client` crate)
//! over real loopback sockets. The disk here is in memory; durability has its own tests.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::net::TcpListener;
use zookeeper_client as zk;
use zoorepl_core::ids::{SessionId, Zxid};
use zoorepl_core::node::{Node, NodeConfig, Recovered};
use zoorepl_core::time::Instant;
use zoorepl_core::tree::DataTree;
use zoorepl_core::txn::Txn;
use zoorepl_io::server::{serve, Disk, DiskError, Parts, ServerOptions, SnapshotSink};

#[derive(Clone, Default)]
struct MemDisk(Arc<Mutex<Vec<Txn>>>);

impl Disk for MemDisk {
    fn persist(&mut self, txns: &[Txn]) -> Result<(), DiskError> {
        self.0.lock().expect("not poisoned").extend_from_slice(txns);
        Ok(())
    }

    fn save_epochs(&mut self, _: u32, _: u32) -> Result<(), DiskError> {
        unreachable!("a standalone server has no epochs")
    }

    fn truncate_after(&mut self, _: Zxid) -> Result<(), DiskError> {
        unreachable!("a standalone server is never truncated")
    }

    fn install_snapshot(
        &mut self,
        _: Zxid,
        _: &DataTree,
        _: &[(SessionId, i32)],
    ) -> Result<(), DiskError> {
        unreachable!("a standalone server installs no snapshot")
    }
}

struct NoSnapshots;

impl SnapshotSink for NoSnapshots {
    fn write(&mut self, _: Zxid, _: &DataTree, _: &[(SessionId, i32)]) -> Result<(), DiskError> {
        Ok(())
    }
}

async fn start() -> (String, MemDisk) {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let addr = listener.local_addr().expect("bound").to_string();
    let config = NodeConfig::default().validate().expect("valid");
    let wall = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970");
    let now = Instant::from_millis(u64::try_from(wall.as_millis()).expect("fits"));
    let node = Node::recover(config, Recovered::default(), now, 7);
    let disk = MemDisk::default();
    let options = ServerOptions {
        four_letter_whitelist: zoorepl_io::fourlw::Whitelist::parse("*").0,
        ..ServerOptions::default()
    };
    let parts = Parts {
        listener,
        metrics: None,
        node,
        disk: Box::new(disk.clone()),
        snapshots: Box::new(NoSnapshots),
        options,
        peers: None,
    };
    let server = serve(parts, std::future::pending());
    tokio::spawn(server);
    (addr, disk)
}

fn open() -> zk::CreateOptions<'static> {
    zk::CreateMode::Persistent.with_acls(zk::Acls::anyone_all())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crud_watches_and_sequential_names_work_with_a_real_client() {
    let (addr, disk) = start().await;
    let client = zk::Client::connect(&addr).await.expect("connect");
    let (stat, _) = client.create("/app", b"v1", &open()).await.expect("create");
    assert_eq!(stat.version, 0);
    let (data, stat) = client.get_data("/app").await.expect("get");
    assert_eq!((data.as_slice(), stat.data_length), (&b"v1"[..], 2));
    let (_, _, watcher) = client.get_and_watch_data("/app").await.expect("watch");
    let stat = client.set_data("/app", b"v2", Some(0)).await.expect("set");
    assert_eq!(stat.version, 1);
    let event = tokio::time::timeout(Duration::from_secs(5), watcher.changed())
        .await
        .expect("event");
    assert_eq!(
        (event.event_type, event.path.as_str()),
        (zk::EventType::NodeDataChanged, "/app")
    );
    let err = client
        .set_data("/app", b"v3", Some(0))
        .await
        .expect_err("stale version");
    assert_eq!(err, zk::Error::BadVersion);
    let seq = zk::CreateMode::PersistentSequential.with_acls(zk::Acls::anyone_all());
    let (_, s1) = client.create("/app/job-", b"", &seq).await.expect("seq");
    let (_, s2) = client.create("/app/job-", b"", &seq).await.expect("seq");
    assert_eq!((s1.into_i64(), s2.into_i64()), (0, 1));
    let mut children = client.list_children("/app").await.expect("ls");
    children.sort();
    assert_eq!(children, vec!["job-0000000000", "job-0000000001"]);
    assert_eq!(
        client.delete("/app", None).await.expect_err("children"),
        zk::Error::NotEmpty
    );
    // createSession, create, setData, two sequential creates; failed writes log nothing.
    assert_eq!(
        disk.0.lock().expect("not poisoned").len(),
        5,
        "every successful write went to the disk"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ephemerals_die_with_their_session_and_watchers_are_told() {
    let (addr, _) = start().await;
    let owner = zk::Client::connect(&addr).await.expect("connect");
    let observer = zk::Client::connect(&addr).await.expect("connect");
    let eph = zk::CreateMode::Ephemeral.with_acls(zk::Acls::anyone_all());
    owner
        .create("/lock", b"", &eph)
        .await
        .expect("create ephemeral");
    let (_, watcher) = observer.check_and_watch_stat("/lock").await.expect("watch");
    let ephemerals = owner.list_ephemerals("/").await.expect("getEphemerals");
    assert_eq!(ephemerals, vec!["/lock"]);
    drop(owner);
    let event = tokio::time::timeout(Duration::from_secs(10), watcher.changed())
        .await
        .expect("event");
    assert_eq!(event.event_type, zk::EventType::NodeDeleted);
    assert!(observer
        .check_stat("/lock")
        .await
        .expect("exists")
        .is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn multi_is_atomic_and_reports_the_failing_op() {
    let (addr, _) = start().await;
    let client = zk::Client::connect(&addr).await.expect("connect");
    let mut writer = client.new_multi_writer();
    writer.add_create("/m", b"", &open()).expect("op");
    writer.add_check_version("/m", 3).expect("op");
    let err = writer.commit().await.expect_err("check fails");
    assert!(
        matches!(
            err,
            zk::MultiWriteError::OperationFailed {
                index: 1,
                source: zk::Error::BadVersion
            }
        ),
        "{err:?}"
    );
    assert!(client.check_stat("/m").await.expect("exists").is_none());
    let mut writer = client.new_multi_writer();
    writer.add_create("/m", b"", &open()).expect("op");
    writer.add_create("/m/c", b"x", &open()).expect("op");
    writer.add_set_data("/m", b"y", None).expect("op");
    let results = writer.commit().await.expect("commit");
    assert_eq!(results.len(), 3);
    assert_eq!(client.get_data("/m").await.expect("get").0, b"y");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_letter_words_and_garbage_do_not_disturb_clients() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (addr, _) = start().await;
    let client = zk::Client::connect(&addr).await.expect("connect");
    let mut s = tokio::net::TcpStream::connect(&addr)
        .await
        .expect("connect");
    s.write_all(b"ruok\n").await.expect("write");
    let mut out = String::new();
    s.read_to_string(&mut out).await.expect("read");
    assert_eq!(out, "imok");
    let mut bad = tokio::net::TcpStream::connect(&addr)
        .await
        .expect("connect");
    bad.write_all(&[0x7f, 0xff, 0xff, 0xff, 1, 2, 3])
        .await
        .expect("write");
    let mut buf = Vec::new();
    let n = tokio::time::timeout(Duration::from_secs(5), bad.read_to_end(&mut buf))
        .await
        .expect("closed");
    assert_eq!(
        n.expect("eof"),
        0,
        "an oversized frame closes that connection with no reply"
    );
    client
        .create("/still-here", b"", &open())
        .await
        .expect("other clients carry on");
}

/// Sends a four-letter word on a fresh connection; returns the answer and that connection's
/// local address.
async fn four_letter(addr: &str, word: &str) -> (String, std::net::SocketAddr) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let me = s.local_addr().expect("bound");
    s.write_all(word.as_bytes()).await.expect("write");
    let mut out = String::new();
    s.read_to_string(&mut out).await.expect("read");
    (out, me)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_letter_words_count_and_list_their_own_connection_as_java_does() {
    let (addr, _) = start().await;
    let (srvr, _) = four_letter(&addr, "srvr").await;
    assert!(srvr.contains("\nConnections: 1\n"), "{srvr}");
    let (cons, me) = four_letter(&addr, "cons").await;
    assert_eq!(
        cons,
        format!(" /{me}[0](queued=0,recved=1,sent=0)\n\n"),
        "a server without clients lists the asking connection"
    );
    let _client = zk::Client::connect(&addr).await.expect("connect");
    let (stat, me) = four_letter(&addr, "stat").await;
    let clients: Vec<&str> = stat.lines().filter(|l| l.starts_with(" /")).collect();
    assert_eq!(clients.len(), 2, "{stat}");
    assert!(clients.contains(&format!(" /{me}[0](queued=0,recved=1,sent=0)").as_str()));
    assert!(stat.contains("\nConnections: 2\n"), "{stat}");
    let (mntr, _) = four_letter(&addr, "mntr").await;
    assert!(mntr.contains("zk_num_alive_connections\t2\n"), "{mntr}");
}

/// The value of `key` in `mntr` output.
fn mntr_value(mntr: &str, key: &str) -> i64 {
    mntr.lines()
        .find_map(|l| l.strip_prefix(key)?.strip_prefix('\t'))
        .unwrap_or_else(|| panic!("mntr lacks {key}: {mntr}"))
        .parse()
        .expect("an integer")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mntr_measures_reads_updates_fsyncs_and_bytes() {
    let (addr, _) = start().await;
    let (before, _) = four_letter(&addr, "mntr").await;
    assert_eq!(mntr_value(&before, "zk_cnt_updatelatency"), 0);
    assert_eq!(mntr_value(&before, "zk_max_client_response_size"), -1);
    let client = zk::Client::connect(&addr).await.expect("connect");
    for i in 0..5 {
        client
            .create(&format!("/m{i}"), b"0123456789", &open())
            .await
            .expect("create");
    }
    for _ in 0..7 {
        client.get_data("/m0").await.expect("get");
    }
    let (mntr, _) = four_letter(&addr, "mntr").await;
    // The handshake (a session created) and the 5 creates are updates; the 7 gets are reads
    // (the client's pings may add more).
    assert_eq!(mntr_value(&mntr, "zk_cnt_updatelatency"), 6, "{mntr}");
    assert!(mntr_value(&mntr, "zk_cnt_readlatency") >= 7, "{mntr}");
    assert!(mntr_value(&mntr, "zk_cnt_fsynctime") >= 1, "{mntr}");
    let batches = mntr_value(&mntr, "zk_cnt_sync_processor_batch_size");
    assert_eq!(
        mntr_value(&mntr, "zk_sum_sync_processor_batch_size"),
        6,
        "every txn in some batch ({batches} batches)"
    );
    assert_eq!(mntr_value(&mntr, "zk_connection_request_count"), 1);
    // A getData reply: header 16 bytes, data 4 + 10, stat 68.
    assert_eq!(
        mntr_value(&mntr, "zk_max_client_response_size"),
        98,
        "{mntr}"
    );
    assert!(mntr_value(&mntr, "zk_min_client_response_size") > 0);
    assert!(
        mntr_value(&mntr, "zk_bytes_received_count")
            > mntr_value(&before, "zk_bytes_received_count")
    );
    assert!(mntr.contains("zk_p99_readlatency\t"), "{mntr}");
    // The client's connection in cons: its last op was a getData; the handshake had xid 0 and
    // the 12 requests after it xids 1..=12 (pings, xid -2, leave lcxid alone).
    let (cons, _) = four_letter(&addr, "cons").await;
    let line = cons
        .lines()
        .find(|l| l.contains("sid=0x"))
        .unwrap_or_else(|| panic!("no session in cons: {cons}"));
    assert!(line.contains(",lop=GETD,"), "{line}");
    assert!(line.contains(",lcxid=0xc,"), "{line}");
    let est: i64 = line
        .split(",est=")
        .nth(1)
        .and_then(|r| r.split(',').next())
        .and_then(|v| v.parse().ok())
        .expect("est");
    assert!(est > 1_700_000_000_000, "est is wall-clock ms: {line}");
    assert!(!line.contains(",lresp=0,"), "{line}");
}
