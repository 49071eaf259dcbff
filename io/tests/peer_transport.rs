//! The peer transport over real loopback sockets (DESIGN.md §3.3: FIFO links per pair of
//! servers; election connections dialed by the higher id; a broken quorum link reported once).

use std::collections::BTreeMap;
use std::time::Duration;

use bytes::Bytes;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use zoorepl_core::ids::{ServerId, SessionId, Xid, Zxid};
use zoorepl_core::node::{PeerMsg, SnapshotImage};
use zoorepl_core::proto::Acl;
use zoorepl_core::tree::{path, DataTree};
use zoorepl_core::txn::{CreateTxn, NodeKind, Txn, TxnOp};
use zoorepl_core::zab::{Notification, PeerState, Vote, ZabMsg};
use zoorepl_io::peer::{
    PeerEvent, PeerSpec, Transport, TransportConfig, PENDING_HELLOS_MAX, PROTOCOL_VERSION,
};

/// How long any single expected event may take.
const PATIENCE: Duration = Duration::from_secs(5);

/// The node task's event type in these tests.
#[derive(Debug)]
struct Event(PeerEvent);

impl From<PeerEvent> for Event {
    fn from(event: PeerEvent) -> Self {
        Self(event)
    }
}

/// A server's transport and the receiving end of its events.
struct Server {
    id: ServerId,
    transport: Option<Transport>,
    events: mpsc::Receiver<Event>,
}

impl Server {
    fn send(&mut self, to: u64, msg: PeerMsg) {
        self.transport
            .as_mut()
            .expect("running")
            .send(ServerId(to), msg);
    }

    /// The next event, or a panic after `PATIENCE`.
    async fn next(&mut self) -> PeerEvent {
        let event = tokio::time::timeout(PATIENCE, self.events.recv()).await;
        event
            .unwrap_or_else(|_| panic!("server {}: no event in time", self.id.0))
            .expect("transport alive")
            .0
    }

    /// The next event within `wait`, if any.
    async fn poll(&mut self, wait: Duration) -> Option<PeerEvent> {
        match tokio::time::timeout(wait, self.events.recv()).await {
            Ok(event) => event.map(|e| e.0),
            Err(_) => None,
        }
    }
}

/// Listeners on fresh loopback ports for `ids`: (election, quorum) each.
async fn listeners(ids: &[u64]) -> BTreeMap<u64, (TcpListener, TcpListener)> {
    let mut out = BTreeMap::new();
    for &id in ids {
        let election = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let quorum = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        out.insert(id, (election, quorum));
    }
    out
}

/// Binds a port again once its previous owner has let it go.
async fn rebind(port: u16) -> TcpListener {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        match TcpListener::bind(("127.0.0.1", port)).await {
            Ok(listener) => return listener,
            Err(e) if tokio::time::Instant::now() > deadline => panic!("rebind {port}: {e}"),
            Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
        }
    }
}

fn spec(ports: (u16, u16)) -> PeerSpec {
    PeerSpec {
        host: "127.0.0.1".to_owned(),
        election_port: ports.0,
        quorum_port: ports.1,
    }
}

fn config(id: u64, ports: &BTreeMap<u64, (u16, u16)>) -> TransportConfig {
    let peers = ports
        .iter()
        .filter(|(&other, _)| other != id)
        .map(|(&other, &p)| (ServerId(other), spec(p)))
        .collect();
    let mut cfg = TransportConfig::new(ServerId(id), peers);
    cfg.connect_backoff_max = Duration::from_millis(100);
    cfg
}

fn start(cfg: TransportConfig, election: TcpListener, quorum: TcpListener) -> Server {
    let (tx, events) = mpsc::channel(64);
    let id = cfg.my_id;
    let transport = Transport::start(cfg, election, quorum, tx);
    Server {
        id,
        transport: Some(transport),
        events,
    }
}

/// Starts transports for `ids` (all of them members); `tune` adjusts each configuration.
async fn ensemble(
    ids: &[u64],
    tune: impl Fn(&mut TransportConfig),
) -> (BTreeMap<u64, Server>, BTreeMap<u64, (u16, u16)>) {
    let bound = listeners(ids).await;
    let ports: BTreeMap<u64, (u16, u16)> = bound
        .iter()
        .map(|(&id, (e, q))| {
            let port = |l: &TcpListener| l.local_addr().expect("addr").port();
            (id, (port(e), port(q)))
        })
        .collect();
    let mut servers = BTreeMap::new();
    for (id, (election, quorum)) in bound {
        let mut cfg = config(id, &ports);
        tune(&mut cfg);
        servers.insert(id, start(cfg, election, quorum));
    }
    (servers, ports)
}

fn vote(round: u64) -> PeerMsg {
    PeerMsg::Election(Notification {
        state: PeerState::Looking,
        vote: Vote {
            epoch: 1,
            zxid: Zxid::new(1, 2),
            leader: ServerId(3),
        },
        round,
    })
}

fn commit(counter: u32) -> PeerMsg {
    PeerMsg::Zab(ZabMsg::Commit {
        epoch: 1,
        upto: Zxid::new(1, counter),
    })
}

fn touch(n: i64) -> PeerMsg {
    PeerMsg::Touch {
        epoch: 1,
        sessions: vec![SessionId(n)],
    }
}

fn message(from: u64, msg: PeerMsg) -> PeerEvent {
    PeerEvent::Message {
        from: ServerId(from),
        msg,
    }
}

fn disconnected(peer: u64) -> PeerEvent {
    PeerEvent::Disconnected {
        peer: ServerId(peer),
    }
}

/// Sends `msg` from `a` to `b` and waits until `b` has it (the quorum link is then up).
async fn link_up(servers: &mut BTreeMap<u64, Server>, a: u64, b: u64, msg: PeerMsg) {
    servers.get_mut(&a).expect("a").send(b, msg.clone());
    let got = servers.get_mut(&b).expect("b").next().await;
    assert_eq!(got, message(a, msg));
}

/// Sends votes from `a` to `b` until one arrives (a vote with no connection is dropped).
async fn vote_through(servers: &mut BTreeMap<u64, Server>, a: u64, b: u64, round: u64) {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        assert!(
            tokio::time::Instant::now() < deadline,
            "vote {a} -> {b} never arrived"
        );
        servers.get_mut(&a).expect("a").send(b, vote(round));
        let receiver = servers.get_mut(&b).expect("b");
        while let Some(event) = receiver.poll(Duration::from_millis(20)).await {
            if event == message(a, vote(round)) {
                return;
            }
            assert!(matches!(event, PeerEvent::Message { .. }), "{event:?}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn election_votes_reach_every_peer_with_the_right_sender() {
    let (mut servers, _) = ensemble(&[1, 2, 3], |_| {}).await;
    for a in 1..=3 {
        for b in (1..=3).filter(|&b| b != a) {
            // The round names the pair, so a vote delivered with a wrong sender is caught.
            vote_through(&mut servers, a, b, a * 10 + b).await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quorum_messages_arrive_in_order_both_ways() {
    let (mut servers, _) = ensemble(&[1, 2], |_| {}).await;
    // 2 dials 1 (as a learner dials its leader); 1 answers on the connection 2 opened.
    link_up(&mut servers, 2, 1, touch(0)).await;
    for i in 1..=1000 {
        servers.get_mut(&1).expect("1").send(2, commit(i));
        servers.get_mut(&2).expect("2").send(1, touch(i64::from(i)));
    }
    for i in 1..=1000 {
        assert_eq!(
            servers.get_mut(&2).expect("2").next().await,
            message(1, commit(i))
        );
    }
    for i in 1..=1000 {
        let got = servers.get_mut(&1).expect("1").next().await;
        assert_eq!(got, message(2, touch(i64::from(i))));
    }
}

/// A tree of `n` znodes under a few parents, built by applying creates.
fn big_tree(n: u32) -> DataTree {
    let mut tree = DataTree::new();
    for i in 1..=n {
        let path = if i <= 10 {
            format!("/p{i}")
        } else {
            format!("/p{}/n{i}", i % 10 + 1)
        };
        let parent = tree
            .node(path::parent(&path))
            .expect("parent exists")
            .create_counter();
        tree.apply(&Txn {
            zxid: Zxid::new(2, i),
            time_ms: 1_700_000_000_000 + i64::from(i),
            session: SessionId(5),
            cxid: Xid(i32::try_from(i).expect("small")),
            op: TxnOp::Create(CreateTxn {
                path,
                data: Some(Bytes::from(format!("value of {i}"))),
                acl: vec![Acl::open_unsafe()],
                kind: NodeKind::Persistent,
                parent_cversion: parent + 1,
            }),
        });
    }
    tree
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn snapshot_image_round_trips_in_order_with_other_messages() {
    let (mut servers, _) = ensemble(&[1, 2], |cfg| cfg.snapshot_chunk_len = 4096).await;
    let tree = big_tree(3000);
    let zxid = tree.last_applied();
    assert_eq!(zxid, Zxid::new(2, 3000));
    let sessions: Vec<(SessionId, i32)> = (1..=5).map(|i| (SessionId(i), 4000)).collect();
    // Many chunks of 4 KiB.
    let mut chunks = 0;
    assert!(tree.snapshot_chunks(4096, |_| {
        chunks += 1;
        true
    }));
    assert!(chunks > 20, "{chunks} chunks");
    let snapshot = PeerMsg::Snapshot {
        epoch: 2,
        zxid,
        image: Box::new(SnapshotImage {
            tree: tree.clone(),
            sessions: sessions.clone(),
        }),
    };
    let snap = PeerMsg::Zab(ZabMsg::Snap { epoch: 2, zxid });
    let leader = servers.get_mut(&1).expect("1");
    leader.send(2, snap.clone());
    leader.send(2, snapshot);
    leader.send(2, commit(7));
    let learner = servers.get_mut(&2).expect("2");
    assert_eq!(learner.next().await, message(1, snap));
    let PeerEvent::Message {
        from,
        msg:
            PeerMsg::Snapshot {
                epoch,
                zxid: got_zxid,
                image,
            },
    } = learner.next().await
    else {
        panic!("expected the snapshot");
    };
    assert_eq!((from, epoch, got_zxid), (ServerId(1), 2, zxid));
    assert_eq!(image.sessions, sessions);
    assert!(image.tree == tree, "the tree differs after the trip");
    assert_eq!(image.tree.digest(), tree.digest());
    assert_eq!(learner.next().await, message(1, commit(7)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_is_one_disconnect_per_link_and_a_restart_is_dialed_again() {
    let (mut servers, ports) = ensemble(&[1, 2, 3], |_| {}).await;
    // A link 2 dialed to 1, and a link 1 dialed to 3.
    link_up(&mut servers, 2, 1, touch(1)).await;
    link_up(&mut servers, 1, 3, touch(2)).await;
    let old = servers.remove(&1).expect("1");
    old.transport.expect("running").shutdown();
    for peer in [2, 3] {
        let server = servers.get_mut(&peer).expect("peer");
        assert_eq!(server.next().await, disconnected(1));
    }

    let (election, quorum) = (rebind(ports[&1].0).await, rebind(ports[&1].1).await);
    servers.insert(1, start(config(1, &ports), election, quorum));
    link_up(&mut servers, 2, 1, touch(3)).await;
    link_up(&mut servers, 1, 2, touch(4)).await;
    link_up(&mut servers, 3, 1, touch(5)).await;
    link_up(&mut servers, 1, 3, touch(6)).await;
    // Nothing else came in between: exactly one disconnect per old link, no stray events.
    for peer in [2, 3] {
        let server = servers.get_mut(&peer).expect("peer");
        assert_eq!(server.poll(Duration::from_millis(50)).await, None);
    }
    // The election connections that 2 and 3 dial are back too.
    vote_through(&mut servers, 1, 2, 12).await;
    vote_through(&mut servers, 1, 3, 13).await;
}

/// Writes `bytes` on a fresh connection to `port` and waits for the server to close it.
async fn refused(port: u16, bytes: &[u8]) {
    let mut stream = TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("connect");
    // A write error means the server closed it already.
    let _ = stream.write_all(bytes).await;
    let mut buf = [0u8; 64];
    let read = tokio::time::timeout(PATIENCE, stream.read(&mut buf)).await;
    match read.expect("the server closes the connection") {
        Ok(0) | Err(_) => {}
        Ok(n) => panic!("the server answered {n} bytes"),
    }
}

fn hello(kind: u8, from: u64) -> Vec<u8> {
    let mut out = vec![0, 0, 0, 15];
    out.extend_from_slice(b"ZRPR");
    out.extend_from_slice(&PROTOCOL_VERSION.to_be_bytes());
    out.push(kind);
    out.extend_from_slice(&from.to_be_bytes());
    out
}

const QUORUM: u8 = 2;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_closes_only_its_own_connection() {
    // Server 3 is a member but not running: the impostors below claim its id.
    let (mut servers, ports) = ensemble(&[1, 2, 3], |_| {}).await;
    drop(servers.remove(&3));
    let quorum_port = ports[&1].1;

    refused(quorum_port, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").await;
    refused(quorum_port, &[0xff, 0xff, 0xff, 0xff, 1, 2, 3]).await;
    refused(quorum_port, &hello(QUORUM, 99)).await;
    refused(quorum_port, &hello(QUORUM, 1)).await;
    refused(ports[&1].0, &hello(QUORUM, 3)).await;
    let first = servers.get_mut(&1).expect("1");
    assert_eq!(first.poll(Duration::from_millis(50)).await, None);

    // A good hello, then an oversized length prefix: that link breaks and is reported.
    let mut oversized = hello(QUORUM, 3);
    oversized.extend_from_slice(&[0x7f, 0xff, 0xff, 0xff]);
    refused(quorum_port, &oversized).await;
    assert_eq!(first.next().await, disconnected(3));
    // A good hello, then a frame that does not decode.
    let mut garbage = hello(QUORUM, 3);
    garbage.extend_from_slice(&[0, 0, 0, 4, 0xee, 0xee, 0xee, 0xee]);
    refused(quorum_port, &garbage).await;
    assert_eq!(first.next().await, disconnected(3));

    link_up(&mut servers, 2, 1, touch(1)).await;
    link_up(&mut servers, 1, 2, touch(2)).await;
    vote_through(&mut servers, 1, 2, 12).await;
    for peer in [1, 2] {
        let server = servers.get_mut(&peer).expect("peer");
        assert_eq!(server.poll(Duration::from_millis(50)).await, None);
    }
}

// A flood of connections that never say hello holds at most PENDING_HELLOS_MAX of them; the
// next is closed at once (well before the handshake timeout), and the peers' own links keep
// working through it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_connections_beyond_the_cap_are_closed_at_once() {
    let (mut servers, ports) = ensemble(&[1, 2], |cfg| {
        cfg.handshake_timeout = Duration::from_secs(30);
    })
    .await;
    let election_port = ports[&2].0;
    let mut silent = Vec::new();
    for _ in 0..PENDING_HELLOS_MAX {
        let stream = TcpStream::connect(("127.0.0.1", election_port))
            .await
            .expect("connect");
        silent.push(stream);
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    refused(election_port, b"").await;
    drop(silent);
    tokio::time::sleep(Duration::from_millis(200)).await;
    vote_through(&mut servers, 2, 1, 7).await;
}

/// A `Touch { epoch: 1, sessions: [SessionId(n)] }` frame as the wire spells it (postcard:
/// wire variant 0, a message; `PeerMsg` variant 6, `Touch`; varint epoch, varint length,
/// zigzag varint id), for `n` below 64.
fn touch_frame(n: u8) -> Vec<u8> {
    assert!(n < 64);
    vec![0, 0, 0, 5, 0, 6, 1, 1, n * 2]
}

/// A frame: the length prefix, then `payload`.
fn frame(payload: &[u8]) -> Vec<u8> {
    let len = u32::try_from(payload.len()).expect("short");
    [&len.to_be_bytes()[..], payload].concat()
}

/// The frames of a snapshot of `tree` at epoch 2 as the wire spells them, in chunks of 512
/// bytes (postcard: `SnapBegin` is wire variant 1 with epoch, zxid and last applied zxid;
/// `SnapChunk` variant 2 with the chunk as a byte string; `SnapEnd` variant 3 with digest,
/// sessions, chunk count and CRC32C). `spoil` may change a chunk (by its index) after the
/// checksum took it in and before it is framed.
fn snapshot_frames(tree: &DataTree, mut spoil: impl FnMut(usize, &mut Vec<u8>)) -> Vec<Vec<u8>> {
    let zxid = tree.last_applied();
    let begin = postcard::to_allocvec(&(1u8, 2u32, zxid, zxid)).expect("begin");
    let mut frames = vec![frame(&begin)];
    let (mut chunks, mut crc) = (0u64, 0u32);
    tree.snapshot_chunks(512, |mut chunk| {
        crc = crc32c::crc32c_append(crc, &chunk);
        spoil(frames.len() - 1, &mut chunk);
        let payload = postcard::to_allocvec(&(2u8, chunk)).expect("chunk");
        frames.push(frame(&payload));
        chunks += 1;
        true
    });
    let sessions: Vec<(SessionId, i32)> = vec![(SessionId(7), 4000)];
    let end = postcard::to_allocvec(&(3u8, tree.digest(), sessions, chunks, crc)).expect("end");
    frames.push(frame(&end));
    frames
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_snapshot_chunk_closes_only_its_own_connection() {
    // Server 3 is a member but not running: the connections below claim its id.
    let (mut servers, ports) = ensemble(&[1, 2, 3], |_| {}).await;
    drop(servers.remove(&3));
    link_up(&mut servers, 2, 1, touch(1)).await;
    let tree = big_tree(300);

    // First the frames unspoiled: they make a snapshot (so the frames below are well formed).
    let mut good = TcpStream::connect(("127.0.0.1", ports[&1].1))
        .await
        .expect("connect");
    let frames = snapshot_frames(&tree, |_, _| {});
    assert!(frames.len() > 10, "many chunks");
    let bytes = [hello(QUORUM, 3), frames.concat()].concat();
    good.write_all(&bytes).await.expect("write");
    let first = servers.get_mut(&1).expect("1");
    let PeerEvent::Message {
        msg: PeerMsg::Snapshot { image, .. },
        ..
    } = first.next().await
    else {
        panic!("expected the snapshot");
    };
    assert!(image.tree == tree);
    drop(good);
    assert_eq!(first.next().await, disconnected(3));

    // Chunk 5 loses its last byte: a well-formed frame whose chunk does not decode.
    let frames = snapshot_frames(&tree, |index, chunk| {
        if index == 5 {
            chunk.pop();
        }
    });
    let bytes = [hello(QUORUM, 3), touch_frame(2), frames.concat()].concat();
    refused(ports[&1].1, &bytes).await;
    assert_eq!(first.next().await, message(3, touch(2)));
    assert_eq!(first.next().await, disconnected(3));

    // The link between 1 and 2 never noticed.
    link_up(&mut servers, 2, 1, touch(3)).await;
    link_up(&mut servers, 1, 2, touch(4)).await;
    for peer in [1, 2] {
        let server = servers.get_mut(&peer).expect("peer");
        assert_eq!(server.poll(Duration::from_millis(50)).await, None);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn newer_link_replaces_older_with_its_disconnect_in_between() {
    let (mut servers, ports) = ensemble(&[1, 2, 3], |_| {}).await;
    drop(servers.remove(&3));
    let quorum_port = ports[&1].1;
    let first = servers.get_mut(&1).expect("1");

    let mut old = TcpStream::connect(("127.0.0.1", quorum_port))
        .await
        .expect("connect");
    old.write_all(&[hello(QUORUM, 3), touch_frame(1)].concat())
        .await
        .expect("write");
    assert_eq!(first.next().await, message(3, touch(1)));
    let mut new = TcpStream::connect(("127.0.0.1", quorum_port))
        .await
        .expect("connect");
    new.write_all(&[hello(QUORUM, 3), touch_frame(2)].concat())
        .await
        .expect("write");
    assert_eq!(first.next().await, disconnected(3));
    assert_eq!(first.next().await, message(3, touch(2)));
    // The older connection was closed by the server.
    let mut buf = [0u8; 8];
    let read = tokio::time::timeout(PATIENCE, old.read(&mut buf))
        .await
        .expect("closed");
    assert!(matches!(read, Ok(0) | Err(_)));
    // Replies go over the newer connection.
    first.send(3, touch(9));
    let mut reply = vec![0u8; touch_frame(9).len()];
    tokio::time::timeout(PATIENCE, new.read_exact(&mut reply))
        .await
        .expect("a reply in time")
        .expect("read");
    assert_eq!(reply, touch_frame(9));
    drop(new);
    assert_eq!(first.next().await, disconnected(3));
    assert_eq!(first.poll(Duration::from_millis(50)).await, None);
}

// Single-threaded, so that no task runs between the two sends that overflow the queue.
#[tokio::test(flavor = "current_thread")]
async fn overflow_and_failed_dial_each_break_the_link_once() {
    // Member 3 is configured on a port nobody listens on.
    let dead = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let dead_port = dead.local_addr().expect("addr").port();
    drop(dead);
    let (mut servers, _) = ensemble(&[1, 2], |cfg| {
        cfg.queue_max = 1;
        cfg.peers.insert(ServerId(3), spec((dead_port, dead_port)));
    })
    .await;
    let first = servers.get_mut(&1).expect("1");
    first.send(2, touch(1));
    first.send(2, touch(2));
    assert_eq!(first.next().await, disconnected(2));
    // Nobody listens for 3: the dial fails, and that is a broken link too.
    first.send(3, touch(3));
    assert_eq!(first.next().await, disconnected(3));
    assert_eq!(first.poll(Duration::from_millis(50)).await, None);
    // The next send dials a new link.
    link_up(&mut servers, 1, 2, touch(4)).await;
    link_up(&mut servers, 2, 1, touch(5)).await;
}

/// A vote sent before the election connection exists is held (the newest one only) and
/// delivered once the higher id has dialed, with no resend.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_vote_sent_before_the_link_is_up_arrives_once_it_is() {
    let mut bound = listeners(&[1, 2]).await;
    let ports: BTreeMap<u64, (u16, u16)> = bound
        .iter()
        .map(|(&id, (e, q))| {
            let port = |l: &TcpListener| l.local_addr().expect("addr").port();
            (id, (port(e), port(q)))
        })
        .collect();
    let (e1, q1) = bound.remove(&1).expect("1");
    let mut low = start(config(1, &ports), e1, q1);
    // Server 2 (the dialer) is not up: server 1 votes twice, the first vote is superseded.
    low.send(2, vote(1));
    low.send(2, vote(2));
    let (e2, q2) = bound.remove(&2).expect("2");
    let mut high = start(config(2, &ports), e2, q2);
    assert_eq!(high.next().await, message(1, vote(2)));
    assert_eq!(high.poll(Duration::from_millis(200)).await, None);
}
