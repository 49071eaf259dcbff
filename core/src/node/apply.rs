//! The write path after prep: persist in batches, apply in zxid order once durable, notify
//! watchers, answer in FIFO order per connection; and the timers (session expiry, reaping).

use std::time::Duration;

use super::conn::{Entry, Phase, Shape};
use super::{Node, Waiter};
use crate::ids::{ConnId, SessionId, Xid, Zxid};
use crate::output::{CloseReason, Output};
use crate::prep::Prep;
use crate::proto::{MultiResult, ReplyHeader, Response, WatcherEvent, KEEPER_STATE_SYNC_CONNECTED};
use crate::txn::{OpResult, Txn, TxnOp};

impl Node {
    /// Sends the next batch to disk when none is in flight: writes that arrive during an fsync
    /// share the next one (group commit).
    pub(super) fn flush_persist(&mut self) {
        if self.in_flight.is_empty() && !self.unflushed.is_empty() {
            self.in_flight = std::mem::take(&mut self.unflushed);
            self.outbox.push_back(Output::Persist {
                txns: self.in_flight.clone(),
            });
        }
    }

    /// The batch in flight is durable: apply it.
    pub(super) fn on_persisted(&mut self, upto: Zxid) {
        let last = self.in_flight.last().map(|t| t.zxid);
        assert_eq!(
            last,
            Some(upto),
            "Persisted must answer the batch in flight"
        );
        for txn in std::mem::take(&mut self.in_flight) {
            self.apply_committed(&txn);
        }
        // Once per batch, not per txn: nothing consults the overlay while a batch applies, and a
        // retain per txn would cost O(batch²) at high concurrency.
        self.overlay.applied_through(upto);
    }

    /// Applies one durable txn: tree, sessions, watches, then whoever waits for it.
    pub(super) fn apply_committed(&mut self, txn: &Txn) {
        let applied = self.tree.apply(txn);
        assert_eq!(
            self.tree.last_applied(),
            txn.zxid,
            "tree did not advance to {}",
            txn.zxid
        );
        if let TxnOp::CreateSession { timeout_ms } = &txn.op {
            self.sessions.add(txn.session, *timeout_ms, self.now);
            self.pending_sessions.remove(&txn.session);
        }
        for change in &applied.changes {
            for fired in self.watches.trigger(change) {
                let event = WatcherEvent {
                    event_type: fired.event,
                    state: KEEPER_STATE_SYNC_CONNECTED,
                    path: fired.path,
                };
                let (conn, zxid) = (fired.conn, txn.zxid.as_i64());
                self.outbox.push_back(Output::Notify { conn, zxid, event });
            }
        }
        match self.waiting.remove(&txn.zxid) {
            Some(Waiter::Request(conn)) => self.answer_write(conn, txn.zxid, applied.result),
            Some(Waiter::Connect(conn)) => {
                let expected = Phase::CreatingSession { zxid: txn.zxid };
                if self.conns.get(&conn).is_some_and(|c| c.phase == expected) {
                    self.establish(conn, txn.session);
                }
            }
            Some(Waiter::Expiry | Waiter::Reap | Waiter::Remote) => {}
            None if self.zab.is_some() => self.learner_applied(txn, applied.result),
            None => {}
        }
        if matches!(txn.op, TxnOp::CloseSession { .. }) {
            // The session goes only now: a learner answering a forwarded closeSession above
            // finds the client's connection through it. A connection still bound to it ends
            // without a reply: an expiry, or in an ensemble a close decided elsewhere (a client
            // closed or expired, then moved). A client's own close was answered and unbound.
            self.forget_session_routing(txn.session);
            let bound = self.sessions.remove(txn.session).and_then(|s| s.conn);
            if let Some(conn) = bound {
                self.end_session_conn(conn, txn.session);
            }
        }
        // Last: a snapshot at this zxid holds the txn's whole effect (a closed session gone
        // from the session list, not only its ephemerals from the tree).
        self.count_for_snapshot();
    }

    /// Emits a snapshot of the state at this exact zxid once enough txns have applied.
    fn count_for_snapshot(&mut self) {
        self.since_snapshot += 1;
        if self.since_snapshot < self.snapshot_after {
            return;
        }
        let snap_count = self.config.config().snap_count;
        self.since_snapshot = 0;
        self.snapshot_after = self.prng.between(snap_count / 2 + 1, snap_count);
        let sessions = self.session_list();
        // An O(1) clone (the tree is persistent): the shell encodes it off this task.
        let tree = Box::new(self.tree.clone());
        let zxid = self.tree.last_applied();
        self.outbox.push_back(Output::TakeSnapshot {
            zxid,
            tree,
            sessions,
        });
    }

    /// On a learner: answers the local client whose forwarded request this txn is; ends the
    /// connection of a session the leader closed.
    fn learner_applied(&mut self, txn: &Txn, result: OpResult) {
        match &txn.op {
            TxnOp::CreateSession { .. } => {
                if let Some(conn) = self.creating.remove(&txn.session) {
                    let creating = Phase::CreatingSession { zxid: Zxid::ZERO };
                    if self.conns.get(&conn).is_some_and(|c| c.phase == creating) {
                        self.establish(conn, txn.session);
                    }
                }
            }
            _ => {
                self.answer_forwarded(txn, result);
            }
        }
    }

    /// Closes the connection of a session that ended, without a reply.
    fn end_session_conn(&mut self, conn: ConnId, session: SessionId) {
        let Some(c) = self.conns.get_mut(&conn) else {
            return;
        };
        if c.session == Some(session) {
            c.session = None;
            self.close(conn, CloseReason::SessionExpired);
        }
    }

    fn answer_write(&mut self, conn: ConnId, zxid: Zxid, result: OpResult) {
        let Some(c) = self.conns.get_mut(&conn) else {
            return;
        };
        let slot = c
            .queue
            .iter_mut()
            .find(|e| matches!(e, Entry::Write { zxid: z, .. } if *z == zxid));
        let slot = slot.expect("a waiting write sits in its connection's queue");
        let Entry::Write { xid, shape, .. } = slot else {
            unreachable!("matched a write")
        };
        let closes = *shape == Shape::CloseSession;
        let close = closes.then_some(CloseReason::SessionClosed);
        let body = reply_body(shape, result);
        *slot = Entry::Done {
            xid: *xid,
            zxid: Some(zxid.as_i64()),
            result: Ok(body),
            close,
        };
        if closes {
            c.session = None;
        }
        self.drain(conn);
    }

    /// Emits every reply at the head of the connection's queue that is ready.
    pub(super) fn drain(&mut self, conn: ConnId) {
        loop {
            let Some(c) = self.conns.get_mut(&conn) else {
                return;
            };
            let applied = self.tree.last_applied();
            let (xid, zxid, result, close) = match c.queue.front() {
                None | Some(Entry::Write { .. } | Entry::Forwarded { .. }) => return,
                Some(Entry::Until { until, .. }) if *until > applied => {
                    self.parked.insert((*until, conn));
                    return;
                }
                Some(Entry::Until { .. }) => {
                    let Some(Entry::Until { xid, result, .. }) = c.queue.pop_front() else {
                        unreachable!("front was held")
                    };
                    (xid, None, result, None)
                }
                Some(Entry::Done { .. }) => {
                    let Some(Entry::Done {
                        xid,
                        zxid,
                        result,
                        close,
                    }) = c.queue.pop_front()
                    else {
                        unreachable!("front was done")
                    };
                    (xid, zxid, result, close)
                }
                Some(Entry::Read { .. }) => {
                    let Some(Entry::Read { xid, req }) = c.queue.pop_front() else {
                        unreachable!("front was a read")
                    };
                    let result = match c.session {
                        Some(session) => self.answer_read(conn, session, req).map_err(|e| e.code()),
                        None => Err(crate::proto::ZkError::SessionExpired.code()),
                    };
                    (xid, None, result, None)
                }
            };
            self.emit_reply(conn, xid, zxid, result);
            if let Some(why) = close {
                self.close(conn, why);
                return;
            }
            if matches!(self.conns.get(&conn), Some(c) if c.queue.is_empty()) {
                return;
            }
        }
    }

    fn emit_reply(
        &mut self,
        conn: ConnId,
        xid: Xid,
        zxid: Option<i64>,
        result: Result<Response, i32>,
    ) {
        let c = self.conns.get_mut(&conn).expect("caller checked");
        // Auth replies carry zxid 0 and unknown-opcode replies -1, as Java's do; clients ignore
        // zxids that are not positive, so these do not count toward the monotonic rule.
        let zxid = if xid == Xid::AUTH {
            0
        } else if let Some(z @ ..=-1) = zxid {
            z
        } else {
            let z = zxid
                .unwrap_or(self.tree.last_applied().as_i64())
                .max(c.last_zxid_sent);
            c.last_zxid_sent = z;
            z
        };
        let (err, body) = match result {
            Ok(body) => (0, body),
            Err(code) => (code, Response::Empty),
        };
        let header = ReplyHeader { xid, zxid, err };
        self.outbox.push_back(Output::Reply { conn, header, body });
    }

    /// Timers: expire sessions whose bucket is due, reap containers and TTL nodes.
    pub(super) fn on_tick(&mut self) {
        if let Some(zab) = self.zab.as_mut() {
            zab.on_tick(self.now);
            self.follower_expiry();
            if !self.prepares() {
                return;
            }
        }
        for session in self.sessions.expired(self.now) {
            let (op, changes) = self.prep_close_session(None, session);
            self.sessions.mark_closing(session);
            let zxid = self.submit(session, Xid(0), op, Waiter::Expiry);
            self.overlay.merge(changes, zxid);
        }
        if self.now >= self.next_reap {
            self.reap();
            let interval = Duration::from_millis(self.config.config().container_check_interval_ms);
            self.next_reap = self.now + interval;
        }
    }

    fn reap(&mut self) {
        let cfg = self.config.config();
        let now_ms = i64::try_from(self.now.as_millis()).expect("time fits in i64");
        let per_run =
            u64::from(cfg.container_max_per_minute) * cfg.container_check_interval_ms / 60_000;
        let limit = usize::try_from(per_run.max(1)).unwrap_or(usize::MAX);
        let candidates = self
            .tree
            .reap_candidates(now_ms, cfg.container_max_never_used_ms);
        for path in candidates.into_iter().take(limit) {
            let prep_cfg = self.config.config().prep;
            let mut prep = Prep::new(&self.tree, &self.overlay, &[], SessionId(0), prep_cfg);
            let Some(op) = prep.reap(&path) else { continue };
            let changes = prep.into_changes();
            let zxid = self.submit(SessionId(0), Xid(0), op, Waiter::Reap);
            self.overlay.merge(changes, zxid);
        }
    }
}

/// The reply body of an applied write, shaped by the request that asked for it.
pub(super) fn reply_body(shape: &Shape, result: OpResult) -> Response {
    match (shape, result) {
        (Shape::Create, OpResult::Created { path, .. }) => Response::Create { path },
        (Shape::Create2, OpResult::Created { path, stat }) => Response::Create2 { path, stat },
        (Shape::Delete, OpResult::Deleted) | (Shape::CloseSession, OpResult::SessionClosed) => {
            Response::Empty
        }
        (Shape::SetData, OpResult::DataSet { stat }) => Response::SetData { stat },
        (Shape::SetAcl, OpResult::AclSet { stat }) => Response::SetAcl { stat },
        (Shape::Multi(shapes), OpResult::Multi(results)) => {
            assert_eq!(shapes.len(), results.len(), "one result per multi op");
            Response::Multi(
                shapes
                    .iter()
                    .zip(results)
                    .map(|(s, r)| multi_result(s, r))
                    .collect(),
            )
        }
        (shape, result) => unreachable!("txn result {result:?} does not fit request {shape:?}"),
    }
}

fn multi_result(shape: &Shape, result: OpResult) -> MultiResult {
    match (shape, result) {
        (Shape::Create, OpResult::Created { path, .. }) => MultiResult::Create { path },
        (Shape::Create2, OpResult::Created { path, stat }) => MultiResult::Create2 { path, stat },
        (Shape::Delete, OpResult::Deleted) => MultiResult::Delete,
        (Shape::SetData, OpResult::DataSet { stat }) => MultiResult::SetData { stat },
        (Shape::Check, OpResult::Checked) => MultiResult::Check,
        (shape, result) => unreachable!("multi result {result:?} does not fit op {shape:?}"),
    }
}
