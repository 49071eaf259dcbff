//! The task that owns the core `Node`: it steps it with each event and carries out its outputs.
//!
//! Events are taken in batches (everything queued, up to a bound) and the replies of a batch are
//! written with one send per connection, so a busy connection gets few large writes.

use std::collections::{BTreeMap, VecDeque};

use bytes::Bytes;
use tokio::sync::mpsc;
use zoorepl_core::ids::ConnId;
use zoorepl_core::input::Input;
use zoorepl_core::node::Node;
use zoorepl_core::output::Output;
use zoorepl_core::proto::{encode_notification, encode_reply, frame_into};
use zoorepl_core::time::Instant;

use super::conn::{WriterMsg, WriterTx};
use super::disk::DiskOp;
use super::stats::{millis, Arrival, ConnStats};
use super::{Event, ServerOptions, ServerStats};
use crate::peer::PeerEvent;
use zoorepl_core::proto::OpCode;

/// Most events handled before the pending writes are flushed.
const EVENTS_PER_FLUSH_MAX: usize = 512;

pub(super) struct ConnEntry {
    writer: WriterTx,
    pub(super) peer: std::net::SocketAddr,
    /// Requests awaiting their reply, for latency and `cons`.
    pub(super) arrivals: VecDeque<Arrival>,
    /// What `cons` shows of the connection.
    pub(super) stats: ConnStats,
    /// When the connection opened, ms since the Unix epoch (`cons`'s `est`).
    pub(super) established_ms: i64,
    /// Whether the first frame (the ConnectRequest) has arrived.
    pub(super) greeted: bool,
    pub(super) received: u64,
    pub(super) sent: u64,
}

pub(super) struct NodeTask {
    node: Node,
    disk: super::disk::DiskTx,
    snapshots: super::disk::SnapshotTx,
    stats: ServerStats,
    options: ServerOptions,
    conns: BTreeMap<ConnId, ConnEntry>,
    /// Bytes to write per connection, gathered over one batch of events.
    pending: BTreeMap<ConnId, Vec<u8>>,
    /// Connections to close after their pending bytes.
    closing: Vec<ConnId>,
    last_now_ms: u64,
    /// The transport to the other members (ensemble only).
    pub(super) peers: Option<crate::peer::Transport>,
    /// Connections opened while the node does not serve, not yet handed to it.
    parking: super::park::Parking,
}

impl NodeTask {
    pub(super) fn new(
        node: Node,
        disk: super::disk::DiskTx,
        snapshots: super::disk::SnapshotTx,
        stats: ServerStats,
        options: ServerOptions,
    ) -> Self {
        Self {
            node,
            disk,
            snapshots,
            stats,
            options,
            conns: BTreeMap::new(),
            pending: BTreeMap::new(),
            closing: Vec::new(),
            last_now_ms: 0,
            peers: None,
            parking: super::park::Parking::default(),
        }
    }

    /// Wall-clock milliseconds, never going back (the core asserts time is monotonic; ctime and
    /// mtime come from this clock, as ZooKeeper's come from the leader's).
    fn now(&mut self) -> Instant {
        let wall = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
        self.last_now_ms = self.last_now_ms.max(wall);
        Instant::from_millis(self.last_now_ms)
    }

    pub(super) async fn run(mut self, mut events: mpsc::Receiver<Event>) {
        // Recovery may already have effects (an ensemble member starts its election).
        self.drain();
        self.flush();
        loop {
            let deadline = self.node.poll_deadline().map(|d| self.sleep_target(d));
            let deadline = match (deadline, self.parking.deadline()) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            let sleep = async {
                match deadline {
                    Some(at) => tokio::time::sleep_until(at).await,
                    None => std::future::pending().await,
                }
            };
            // Biased, the timer first: a due tick is never starved by a steady stream of
            // events (and the order is deterministic under madsim, see `server::serve`).
            tokio::select! {
                biased;
                () = sleep => self.step(Input::Tick),
                event = events.recv() => {
                    let Some(event) = event else { return };
                    self.handle(event);
                    for _ in 1..EVENTS_PER_FLUSH_MAX {
                        let Ok(event) = events.try_recv() else { break };
                        self.handle(event);
                    }
                }
            }
            self.unpark();
            self.flush();
        }
    }

    /// A client connection opened: known from now on, and handed to the node if it serves
    /// (otherwise held until it does).
    fn on_opened(&mut self, conn: ConnId, peer: std::net::SocketAddr, writer: WriterTx) {
        let entry = ConnEntry {
            writer,
            peer,
            arrivals: VecDeque::new(),
            stats: ConnStats::default(),
            established_ms: i64::try_from(self.now().as_millis()).unwrap_or(i64::MAX),
            greeted: false,
            received: 0,
            sent: 0,
        };
        self.conns.insert(conn, entry);
        let peer_ip = Some(peer.ip().to_string());
        if self.node.observe().serving {
            self.step(Input::ConnOpened { conn, peer_ip });
        } else {
            self.parking
                .park(conn, peer_ip, tokio::time::Instant::now());
        }
    }

    /// A frame from a client: counted, its arrival noted for latency, then handed to the node
    /// (or held with its parked connection).
    fn on_frame(&mut self, conn: ConnId, frame: bytes::Bytes) {
        self.stats.packets_received += 1;
        self.stats.bytes_received += frame.len() as u64 + 4;
        if let Some(c) = self.conns.get_mut(&conn) {
            c.received += 1;
            let now = std::time::Instant::now();
            let arrival = if c.greeted {
                Arrival::of_request(&frame, now)
            } else {
                // The handshake creates (or revalidates) a session: Java counts it as one.
                c.greeted = true;
                self.stats.connection_requests += 1;
                Arrival::handshake(now)
            };
            c.arrivals.push_back(arrival);
        }
        if let Some(frame) = self.parking.frame(conn, frame) {
            self.step(Input::Client { conn, frame });
        }
    }

    fn sleep_target(&mut self, deadline: Instant) -> tokio::time::Instant {
        let now = self.now();
        let wait = deadline.saturating_since(now);
        tokio::time::Instant::now() + wait
    }

    fn handle(&mut self, event: Event) {
        match event {
            Event::Opened { conn, peer, writer } => self.on_opened(conn, peer, writer),
            Event::Frame { conn, frame } => self.on_frame(conn, frame),
            Event::Closed { conn } => {
                if self.conns.remove(&conn).is_some() {
                    self.pending.remove(&conn);
                    if !self.parking.closed(conn) {
                        self.step(Input::ConnClosed { conn });
                    }
                }
            }
            Event::Persisted {
                upto,
                txns,
                took_ms,
            } => {
                self.stats.fsync_time.record(took_ms);
                self.stats.sync_batch_size.record(txns);
                self.step(Input::Persisted { upto });
            }
            Event::SnapshotWritten { took_ms } => {
                self.stats.snapshot_time.record(took_ms);
                self.stats.snap_count += 1;
            }
            Event::Rejected => self.stats.connections_rejected += 1,
            Event::EpochSaved { accepted, current } => self.step(Input::EpochSaved {
                accepted_epoch: accepted,
                current_epoch: current,
            }),
            Event::Truncated { after } => self.step(Input::Truncated { after }),
            Event::SnapshotInstalled { zxid } => self.step(Input::SnapshotInstalled { zxid }),
            Event::FourLetter { cmd, peer, reply } => {
                let _ = reply.send(self.four_letter(cmd, peer));
            }
            Event::Peer(PeerEvent::Message { from, msg }) => {
                self.step(Input::Peer { from, msg });
            }
            Event::Peer(PeerEvent::Disconnected { peer }) => {
                self.step(Input::PeerDisconnected { peer });
            }
            Event::Metrics { reply } => {
                let need = super::report::Need::METRICS;
                let snapshot = super::report::snapshot(
                    &self.node,
                    &self.stats,
                    &self.options,
                    &self.conns,
                    need,
                );
                let _ = reply.send(crate::fourlw::render_metrics(&snapshot));
            }
        }
    }

    /// Hands the node the connections held while it did not serve: all of them once it
    /// serves, else those held too long (`park.rs`).
    fn unpark(&mut self) {
        if self.parking.is_empty() {
            return; // Every batch of events ends here: nothing to ask the node.
        }
        let serving = self.node.observe().serving;
        for (conn, peer_ip, frames) in self.parking.release(serving, tokio::time::Instant::now()) {
            self.step(Input::ConnOpened { conn, peer_ip });
            for frame in frames {
                self.step(Input::Client { conn, frame });
            }
        }
    }

    fn step(&mut self, input: Input) {
        let now = self.now();
        self.node.step(now, input);
        self.drain();
    }

    /// Carries out everything the node emitted, showing each output and then the node to the
    /// observer, if any.
    fn drain(&mut self) {
        // Taken for the loop and put back: no reference counting on every step.
        let observer = self.options.observer.take();
        while let Some(output) = self.node.poll_output() {
            if let Some(o) = &observer {
                o.0.output(&self.node, &output);
            }
            self.execute(output);
        }
        if let Some(o) = &observer {
            o.0.stepped(&self.node);
        }
        self.options.observer = observer;
    }

    fn execute(&mut self, output: Output) {
        match output {
            Output::Handshake { conn, response } => {
                let buf = self.pending.entry(conn).or_default();
                let size = frame_into(buf, |out| response.encode(out));
                // The handshake answers the ConnectRequest, whose arrival was recorded.
                let zxid = self.node.last_applied().as_i64();
                self.sent(conn, Some(zxid), size);
            }
            Output::Reply { conn, header, body } => {
                let buf = self.pending.entry(conn).or_default();
                let size = frame_into(buf, |out| encode_reply(&header, &body, out));
                self.sent(conn, Some(header.zxid), size);
            }
            Output::Notify { conn, zxid, event } => {
                let buf = self.pending.entry(conn).or_default();
                let size = frame_into(buf, |out| encode_notification(zxid, &event, out));
                self.sent(conn, None, size);
            }
            Output::Persist { txns } => self.to_disk(DiskOp::Persist(txns)),
            Output::SaveEpoch {
                accepted_epoch,
                current_epoch,
            } => self.to_disk(DiskOp::SaveEpochs {
                accepted: accepted_epoch,
                current: current_epoch,
            }),
            Output::Truncate { after } => self.to_disk(DiskOp::Truncate { after }),
            Output::InstallSnapshot {
                zxid,
                tree,
                sessions,
            } => self.to_disk(DiskOp::Install {
                zxid,
                tree,
                sessions,
            }),
            Output::TakeSnapshot {
                zxid,
                tree,
                sessions,
            } => {
                if self.snapshots.try_send((zxid, tree, sessions)).is_err() {
                    tracing::warn!(
                        "snapshot at {zxid} skipped: the previous one is still being written"
                    );
                }
            }
            Output::CloseConn { conn, why } => {
                tracing::debug!("closing {conn:?}: {why:?}");
                self.closing.push(conn);
            }
            Output::Send { to, msg } => match self.peers.as_mut() {
                Some(peers) => peers.send(to, msg),
                None => unreachable!("a standalone node sends nothing to {to:?}: {msg:?}"),
            },
        }
    }

    fn to_disk(&self, op: DiskOp) {
        self.disk
            .send(op)
            .expect("the disk thread lives as long as the server");
    }

    /// One frame of `size` bytes (after its length prefix) queued for `conn`: a reply carrying
    /// `reply_zxid`, or a notification (`None`).
    fn sent(&mut self, conn: ConnId, reply_zxid: Option<i64>, size: usize) {
        self.stats.packets_sent += 1;
        let Some(c) = self.conns.get_mut(&conn) else {
            return;
        };
        c.sent += 1;
        let Some(zxid) = reply_zxid else { return };
        let Some(request) = c.arrivals.pop_front() else {
            return;
        };
        // Java counts neither auth packets nor the handshake in these figures.
        match request.op {
            Some(OpCode::Auth) => return,
            Some(OpCode::CreateSession) => {}
            _ => self.stats.record_response_size(size),
        }
        // One clock read per reply: it is on every request's path.
        let now = std::time::Instant::now();
        let ms = millis(now - request.at);
        self.stats.record_latency(ms, request.is_update());
        let now_ms = i64::try_from(millis(now - self.stats.started)).unwrap_or(i64::MAX);
        c.stats.answered(request, zxid, ms, now_ms);
    }

    /// Hands each connection its gathered bytes, then closes those the node closed.
    fn flush(&mut self) {
        for (conn, bytes) in std::mem::take(&mut self.pending) {
            let Some(c) = self.conns.get(&conn) else {
                continue;
            };
            if c.writer
                .try_send(WriterMsg::Data(Bytes::from(bytes)))
                .is_err()
            {
                tracing::warn!("{} does not read its replies; closing", c.peer);
                self.closing.push(conn);
                self.step(Input::ConnClosed { conn });
            }
        }
        for conn in std::mem::take(&mut self.closing) {
            if let Some(c) = self.conns.remove(&conn) {
                self.pending.remove(&conn);
                let _ = c.writer.try_send(WriterMsg::Close);
            }
        }
    }

    fn four_letter(
        &mut self,
        cmd: crate::fourlw::FourLetter,
        peer: std::net::SocketAddr,
    ) -> String {
        use crate::fourlw::FourLetter;
        // Java counts the command's bytes as received.
        self.stats.bytes_received += 4;
        if !crate::fourlw::is_allowed(cmd, &self.options.four_letter_whitelist) {
            return crate::fourlw::refusal(cmd);
        }
        match cmd {
            FourLetter::Srst => self.stats.reset(),
            FourLetter::Crst => {
                for c in self.conns.values_mut() {
                    c.received = 0;
                    c.sent = 0;
                    c.stats = ConnStats::default();
                }
            }
            _ => {}
        }
        let need = super::report::Need::of(cmd);
        let mut snapshot =
            super::report::snapshot(&self.node, &self.stats, &self.options, &self.conns, need);
        super::report::add_asking_connection(&mut snapshot, cmd, peer);
        crate::fourlw::render(cmd, &snapshot)
    }
}
