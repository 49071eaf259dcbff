//! Stepping a node and carrying out its outputs.

use zoorepl_core::ids::{ConnId, ServerId, Zxid};
use zoorepl_core::input::Input;
use zoorepl_core::node::{encode_snapshot, PeerMsg};
use zoorepl_core::output::Output;
use zoorepl_core::tree::DataTree;

use super::server::DiskOp;
use super::{Cluster, Event};
use crate::checker::{acks, durable, leader, truncate, Violation};
use crate::disk::Record;
use crate::network::{Endpoint, Fate};
use crate::trace::Target;
use crate::workload::ServerMsg;

/// Ticks at one virtual millisecond after which a node's timer is declared livelocked.
const SAME_TIME_TICKS_MAX: u32 = 1000;

/// A short name and summary word of an input, for the trace.
fn input_kind(input: &Input) -> (u64, u64) {
    match input {
        Input::ConnOpened { conn, .. } => (1, conn.0),
        Input::Client { conn, frame } => (2, conn.0 << 16 | frame.len() as u64),
        Input::ConnClosed { conn } => (3, conn.0),
        Input::Persisted { upto } => (4, upto.as_i64() as u64),
        Input::Tick => (5, 0),
        Input::Peer { from, .. } => (6, from.0),
        Input::EpochSaved {
            accepted_epoch,
            current_epoch,
        } => (
            7,
            u64::from(*accepted_epoch) << 32 | u64::from(*current_epoch),
        ),
        Input::Truncated { after } => (8, after.as_i64() as u64),
        Input::SnapshotInstalled { zxid } => (9, zxid.as_i64() as u64),
        Input::PeerDisconnected { peer } => (10, peer.0),
    }
}

fn output_kind(out: &Output) -> (u64, u64) {
    match out {
        Output::Handshake { conn, response } => (1, conn.0 ^ response.session_id as u64),
        Output::Reply { conn, header, .. } => (
            2,
            conn.0 << 32 ^ header.zxid as u64 ^ u64::from(header.err as u32),
        ),
        Output::Notify { conn, zxid, .. } => (3, conn.0 << 32 ^ *zxid as u64),
        Output::CloseConn { conn, .. } => (4, conn.0),
        Output::Persist { txns } => (5, txns.last().map_or(0, |t| t.zxid.as_i64() as u64)),
        Output::TakeSnapshot { zxid, .. } => (6, zxid.as_i64() as u64),
        Output::Send { to, .. } => (7, to.0),
        Output::SaveEpoch {
            accepted_epoch,
            current_epoch,
        } => (
            8,
            u64::from(*accepted_epoch) << 32 | u64::from(*current_epoch),
        ),
        Output::Truncate { after } => (9, after.as_i64() as u64),
        Output::InstallSnapshot { zxid, .. } => (10, zxid.as_i64() as u64),
    }
}

/// A one-line description of an output (only built when tracing).
fn describe(out: &Output) -> String {
    match out {
        Output::Persist { txns } => format!(
            "Persist {} txns {}..={}",
            txns.len(),
            txns.first().map_or(Zxid::ZERO, |t| t.zxid),
            txns.last().map_or(Zxid::ZERO, |t| t.zxid)
        ),
        Output::TakeSnapshot { zxid, .. } => format!("TakeSnapshot at {zxid}"),
        Output::InstallSnapshot { zxid, .. } => format!("InstallSnapshot at {zxid}"),
        Output::Send { to, msg } => format!("Send to {} {}", to.0, peer_summary(msg)),
        other => format!("{other:?}"),
    }
}

/// A short description of a peer message (never the snapshot image).
pub(crate) fn peer_summary(msg: &PeerMsg) -> String {
    match msg {
        PeerMsg::Snapshot { epoch, zxid, .. } => format!("Snapshot epoch {epoch} at {zxid}"),
        other => {
            let mut s = format!("{other:?}");
            s.truncate(160);
            s
        }
    }
}

impl Cluster {
    /// Steps server `s` with one input at the current virtual time (its local clock), routes
    /// every output, runs the checkers and reschedules its timer.
    pub(crate) fn step(&mut self, s: usize, input: Input) {
        let (kind, summary) = input_kind(&input);
        let keep = self.trace.keeps_lines();
        let text = if keep {
            format!("{input:?}")
        } else {
            String::new()
        };
        self.trace
            .event(self.now, Target::Server(s), kind, summary, || {
                let mut t = text;
                t.truncate(200);
                t
            });
        let server = &mut self.servers[s];
        let Some(node) = server.node.as_mut() else {
            return;
        };
        let now = server.clock.local(self.now);
        node.step(now, input);
        self.stats.steps += 1;
        self.drain_outputs(s);
    }

    /// Routes everything server `s` has emitted, then checks it and reschedules its timer.
    /// Also called right after `Node::recover` (an ensemble node may start an election there).
    pub(crate) fn drain_outputs(&mut self, s: usize) {
        let mut outputs = Vec::new();
        if let Some(node) = self.servers[s].node.as_mut() {
            while let Some(out) = node.poll_output() {
                outputs.push(out);
            }
        }
        for out in outputs {
            self.route(s, out);
        }
        self.after_step(s);
    }

    /// Runs the per-step checkers on `s` and reschedules its timer.
    pub(crate) fn after_step(&mut self, s: usize) {
        let Some(node) = self.servers[s].node.as_ref() else {
            return;
        };
        let mut found = Vec::new();
        let obs = node.observe();
        if self.checkers.leader.is_new(&obs) {
            let durable_current: Vec<u32> = self
                .servers
                .iter()
                .filter(|x| x.voter)
                .map(|x| x.disk.epochs().1)
                .collect();
            let epoch = obs.established_epoch.expect("is_new");
            found.extend(leader::check_establishment(obs.id, epoch, &durable_current));
        }
        self.checkers.after_step(s, node, &mut found);
        for v in found {
            self.violate(v);
        }
        self.reschedule_timer(s);
    }

    pub(crate) fn reschedule_timer(&mut self, s: usize) {
        let server = &mut self.servers[s];
        let Some(node) = server.node.as_ref() else {
            return;
        };
        match node.poll_deadline() {
            None => {
                if server.timer_at.take().is_some() {
                    server.timer_gen += 1;
                }
            }
            Some(deadline) => {
                let at = server.clock.global_at(deadline, self.now);
                if server.timer_at != Some(at) {
                    server.timer_gen += 1;
                    server.timer_at = Some(at);
                    let gen = server.timer_gen;
                    self.queue.push(at, Event::Tick { server: s, gen });
                }
            }
        }
    }

    pub(crate) fn on_tick(&mut self, s: usize, gen: u64) {
        let server = &mut self.servers[s];
        if gen != server.timer_gen || !server.up() {
            return;
        }
        server.timer_at = None;
        if server.last_tick_ms == self.now {
            server.same_time_ticks += 1;
        } else {
            server.same_time_ticks = 0;
            server.last_tick_ms = self.now;
        }
        if server.same_time_ticks > SAME_TIME_TICKS_MAX {
            let v = Violation::new(
                "timer-progress",
                format!("server {s}: deadline never passes"),
            );
            self.violate(v);
            return;
        }
        self.step(s, Input::Tick);
    }

    pub(crate) fn on_peer(&mut self, to: usize, to_inc: u32, from: usize, msg: PeerMsg) {
        if self.servers[to].incarnation != to_inc {
            self.stats.peer_dropped += 1;
            return;
        }
        if !self.net.deliverable(from, to) {
            self.stats.peer_dropped += 1;
            self.disconnect_both(from, to);
            return;
        }
        if !self.servers[to].up() {
            return;
        }
        let from = self.servers[from].id;
        self.step(to, Input::Peer { from, msg });
    }

    fn route(&mut self, s: usize, out: Output) {
        let (kind, summary) = output_kind(&out);
        self.trace.output(kind, summary, || describe(&out));
        match out {
            Output::Handshake { conn, response } => {
                self.note_session(s, response.session_id, response.timeout_ms);
                self.send_to_client(s, conn, ServerMsg::Handshake(response));
            }
            Output::Reply { conn, header, body } => {
                if header.err == zoorepl_core::proto::ZkError::SessionExpired.code() {
                    // The session is closing here already: frames heard from now on came
                    // after the decision to close it.
                    self.forget_heard(s, conn);
                }
                self.check_shown(s, "reply", header.zxid);
                self.send_to_client(s, conn, ServerMsg::Reply(header, body));
            }
            Output::Notify { conn, zxid, event } => {
                self.check_shown(s, "notification", zxid);
                self.send_to_client(s, conn, ServerMsg::Notify(zxid, event));
            }
            Output::CloseConn { conn, .. } => {
                self.send_to_client(s, conn, ServerMsg::Closed);
                self.servers[s].conns.remove(&conn);
            }
            Output::Persist { txns } => self.route_persist(s, txns),
            Output::TakeSnapshot {
                zxid,
                tree,
                sessions,
            } => {
                self.take_snapshot(s, zxid, &tree, sessions);
            }
            Output::Send { to, msg } => self.send_peer(s, to, msg),
            Output::SaveEpoch {
                accepted_epoch,
                current_epoch,
            } => {
                let op = DiskOp::SaveEpoch {
                    accepted: accepted_epoch,
                    current: current_epoch,
                };
                self.disk_enqueue(s, op);
            }
            Output::Truncate { after } => {
                let found = truncate::on_truncate(&mut self.checkers.ledger, s, after, "truncates");
                found.into_iter().for_each(|v| self.violate(v));
                self.disk_enqueue(s, DiskOp::Truncate { after });
            }
            Output::InstallSnapshot {
                zxid,
                tree,
                sessions,
            } => {
                let found = truncate::on_install(&mut self.checkers.ledger, s, zxid);
                found.into_iter().for_each(|v| self.violate(v));
                let bytes = encode_snapshot(&tree, sessions);
                self.checkers.monotonic.on_image(s);
                self.disk_enqueue(s, DiskOp::Install { zxid, bytes });
            }
        }
    }

    /// A session is expired (a closeSession with xid 0, decided by the leader `s`) only if `s`
    /// has not heard from its client for about its timeout. A session whose client `s` itself
    /// answered less than half a timeout ago (on `s`'s own clock, so pauses and clock jumps
    /// count as time passing) cannot have lapsed.
    fn check_expiries(&mut self, s: usize, txns: &[zoorepl_core::txn::Txn]) {
        use zoorepl_core::zab::Role;
        let deciding = self.servers[s]
            .node
            .as_ref()
            .is_some_and(|n| matches!(n.observe().role, Role::Leading | Role::Standalone));
        if !deciding {
            return; // Learners log the leader's decisions.
        }
        for txn in txns {
            if txn.cxid != zoorepl_core::ids::Xid(0)
                || !matches!(txn.op, zoorepl_core::txn::TxnOp::CloseSession { .. })
            {
                continue;
            }
            let local_now = self.servers[s].clock.local(self.now).as_millis();
            let Some(&(answered, timeout_ms)) = self.servers[s].answered.get(&txn.session.0) else {
                continue;
            };
            let since_ms = local_now.saturating_sub(answered);
            if since_ms * 2 < u64::try_from(timeout_ms).unwrap_or(0) {
                self.violate(Violation::new(
                    "expiry-after-timeout",
                    format!(
                        "server {s} expired session {} whose client it answered {since_ms} ms \
                         ago (timeout {timeout_ms} ms)",
                        txn.session
                    ),
                ));
            }
        }
    }

    fn route_persist(&mut self, s: usize, txns: Vec<zoorepl_core::txn::Txn>) {
        self.check_expiries(s, &txns);
        let upto = txns.last().expect("a Persist holds txns").zxid;
        let records: Vec<Record> = txns.iter().map(Record::encode).collect();
        for r in &records {
            self.checkers.ledger.on_logged(s, r.zxid, r.hash);
        }
        // witness hook: keep the txns for the end-of-run witness check.
        if let Some(store) = self.checkers.txns.as_mut() {
            store.on_persist(txns, &records);
        }
        self.disk_enqueue(s, DiskOp::Persist { records, upto });
    }

    /// `s` answered a handshake for `session`: its client was just heard.
    fn note_session(&mut self, s: usize, session: i64, timeout_ms: i32) {
        if session != 0 {
            let local = self.servers[s].clock.local(self.now).as_millis();
            self.servers[s]
                .answered
                .insert(session, (local, timeout_ms));
        }
    }

    /// `s` received a frame on `conn`: its session's client was heard (on `s`'s clock).
    pub(crate) fn note_heard(&mut self, s: usize, conn: ConnId) {
        let local = self.servers[s].clock.local(self.now).as_millis();
        let server = &mut self.servers[s];
        let Some(node) = server.node.as_ref() else {
            return;
        };
        let Some(session) = node.session_of(conn) else {
            return;
        };
        if node.sessions().get(session).is_some_and(|x| x.closing) {
            // Heard after the decision to close it: says nothing about that decision.
            server.answered.remove(&session.0);
        } else if let Some(entry) = server.answered.get_mut(&session.0) {
            entry.0 = local;
        }
    }

    fn forget_heard(&mut self, s: usize, conn: ConnId) {
        let server = &mut self.servers[s];
        let session = server.node.as_ref().and_then(|n| n.session_of(conn));
        if let Some(session) = session {
            server.answered.remove(&session.0);
        }
    }

    fn check_shown(&mut self, s: usize, what: &str, zxid: i64) {
        let voters = self.servers.iter().filter(|x| x.voter);
        let quorum = durable::quorum_durable(voters.map(|x| x.disk.durable_zxid()).collect());
        if let Some(v) = durable::check_shown(s, what, zxid, quorum) {
            self.violate(v);
        }
    }

    fn send_to_client(&mut self, s: usize, conn: ConnId, msg: ServerMsg) {
        let Some(&client) = self.servers[s].conns.get(&conn) else {
            return;
        };
        let at = self.net.send_conn(
            self.now,
            Endpoint::Server(s),
            Endpoint::Conn(conn.0),
            &mut self.rng_net,
        );
        self.queue.push(at, Event::ToClient { client, conn, msg });
    }

    fn send_peer(&mut self, s: usize, to: ServerId, msg: PeerMsg) {
        if let PeerMsg::Zab(m) = &msg {
            let disk = &self.servers[s].disk;
            let backing = acks::Backing {
                epochs: disk.epochs(),
                durable: disk.durable_zxid(),
            };
            if let Some(v) = acks::check(s, m, backing) {
                self.violate(v);
            }
        }
        let Some(t) = self.index_of(to) else {
            self.violate(Violation::new(
                "peer-known",
                format!("server {s} sent to unknown {to:?}"),
            ));
            return;
        };
        self.stats.peer_sent += 1;
        if !self.servers[t].up() {
            self.stats.peer_dropped += 1; // Connection refused: nobody listens.
            self.disconnect(s, t);
            return;
        }
        let to_inc = self.servers[t].incarnation;
        match self.net.send_peer(self.now, s, t, &mut self.rng_net) {
            Fate::Deliver { at_ms, twice } => {
                if twice {
                    self.stats.peer_duplicated += 1;
                    let copy = msg.clone();
                    self.queue.push(
                        at_ms,
                        Event::Peer {
                            to: t,
                            to_inc,
                            from: s,
                            msg: copy,
                        },
                    );
                }
                self.queue.push(
                    at_ms,
                    Event::Peer {
                        to: t,
                        to_inc,
                        from: s,
                        msg,
                    },
                );
            }
            Fate::Partitioned | Fate::Broken => {
                self.stats.peer_dropped += 1;
                self.disconnect_both(s, t);
            }
        }
    }

    /// Tells `server` (now) that its connection to `peer` broke.
    fn disconnect(&mut self, server: usize, peer: usize) {
        let inc = self.servers[server].incarnation;
        self.queue
            .push(self.now, Event::Disconnect { server, inc, peer });
    }

    /// Both ends of a broken connection notice (the far end one network delay later).
    fn disconnect_both(&mut self, a: usize, b: usize) {
        self.disconnect(a, b);
        if self.servers[b].up() {
            let inc = self.servers[b].incarnation;
            let at = self.now + 1;
            self.queue.push(
                at,
                Event::Disconnect {
                    server: b,
                    inc,
                    peer: a,
                },
            );
        }
    }

    pub(crate) fn on_disconnect(&mut self, server: usize, inc: u32, peer: usize) {
        if self.servers[server].incarnation != inc || !self.servers[server].up() {
            return;
        }
        let peer = self.servers[peer].id;
        self.step(server, Input::PeerDisconnected { peer });
    }

    fn take_snapshot(
        &mut self,
        s: usize,
        zxid: Zxid,
        tree: &DataTree,
        sessions: Vec<(zoorepl_core::ids::SessionId, i32)>,
    ) {
        let server = &mut self.servers[s];
        if server.snapshot_busy {
            return; // As the real shell: skipped while the previous one is being written.
        }
        server.snapshot_busy = true;
        let bytes = encode_snapshot(tree, sessions);
        let (lo, hi) = self.faults.fsync_ms;
        let at = self.now + 2 * self.rng_disk.range(lo, hi) + 1;
        let inc = server.incarnation;
        self.queue.push(
            at,
            Event::SnapshotDone {
                server: s,
                inc,
                zxid,
                bytes,
            },
        );
    }
}
