//! The node as a member of an ensemble: routing peer messages to ZAB, turning ZAB's actions into
//! outputs, forwarding a learner's writes to the leader and answering them when their txns
//! apply, the leader's side of forwarded requests, and session touches relayed to the leader.

use std::time::Duration;

use bytes::Bytes;

use super::conn::{Entry, Shape};
use super::peer::{Forwarded, PeerMsg, Refusal, SnapshotImage};
use super::requests::{shape_of, single_write, write_op, write_shape, Changes};
use super::{Node, Waiter};
use crate::ids::{ConnId, ServerId, SessionId, Xid, Zxid};
use crate::output::{CloseReason, Output};
use crate::prep::{Prep, WriteOp};
use crate::proto::{decode_request, encode_request, Id, MultiResult, Request, Response, ZkError};
use crate::txn::{OpResult, Txn};
use crate::zab::{PlantedBug, Role, Zab, ZabAction};

/// A forwarded request waiting for the leader to apply what its learner had applied.
#[derive(Debug)]
pub(super) struct Deferred {
    from: ServerId,
    epoch: u32,
    session: SessionId,
    cxid: Xid,
    seen: Zxid,
    what: Forwarded,
}

impl Node {
    pub(super) fn zab(&self) -> &Zab {
        self.zab.as_ref().expect("an ensemble node")
    }

    pub(super) fn zab_mut(&mut self) -> &mut Zab {
        self.zab.as_mut().expect("an ensemble node")
    }

    /// Whether this node forwards writes to a leader (a serving follower or observer).
    pub(super) fn forwards(&self) -> bool {
        self.zab
            .as_ref()
            .is_some_and(|z| matches!(z.role(), Role::Following | Role::Observing))
    }

    /// Whether this node may prepare txns: standalone, or an established leader.
    pub(super) fn prepares(&self) -> bool {
        self.zab
            .as_ref()
            .is_none_or(|z| z.established_epoch().is_some())
    }

    /// A message from another server.
    pub(super) fn on_peer(&mut self, from: ServerId, msg: PeerMsg) {
        let now = self.now;
        match msg {
            PeerMsg::Election(n) => self.zab_mut().on_notification(now, from, n),
            PeerMsg::Zab(m) => self.zab_mut().on_msg(now, from, m),
            PeerMsg::Snapshot { epoch, zxid, image } => {
                self.on_snapshot_image(from, epoch, zxid, *image)
            }
            PeerMsg::Forward {
                epoch,
                session,
                cxid,
                seen,
                what,
            } => self.on_forward_msg(Deferred {
                from,
                epoch,
                session,
                cxid,
                seen,
                what,
            }),
            PeerMsg::Refused {
                epoch,
                session,
                cxid,
                refusal,
                after,
            } => {
                if self.is_my_leader(from, epoch) {
                    self.on_refused(session, cxid, refusal, after);
                }
            }
            PeerMsg::Synced {
                epoch,
                session,
                cxid,
                zxid,
            } => {
                if self.is_my_leader(from, epoch) {
                    self.resolve_forwarded(session, cxid, zxid, Ok(Response::Empty));
                }
            }
            PeerMsg::Revalidated {
                epoch,
                session,
                valid,
                after,
            } => {
                if self.is_my_leader(from, epoch) {
                    self.on_revalidated(session, valid, after);
                }
            }
            PeerMsg::Touch { epoch, sessions } => {
                if self.zab().established_epoch() == Some(epoch) {
                    for s in sessions {
                        self.sessions.touch(s, now);
                    }
                }
            }
        }
    }

    fn is_my_leader(&self, from: ServerId, epoch: u32) -> bool {
        self.forwards()
            && self.zab().leader() == Some(from)
            && self.zab().serving_epoch() == Some(epoch)
    }

    fn on_snapshot_image(&mut self, from: ServerId, epoch: u32, zxid: Zxid, image: SnapshotImage) {
        if !self.zab().expects_snapshot(from, epoch, zxid) || image.tree.last_applied() != zxid {
            return;
        }
        let cfg = self.config.config();
        self.sessions = super::session_table(cfg, self.now, &image.sessions);
        self.tree = image.tree;
        self.write_membership();
        let now = self.now;
        self.zab_mut().on_snapshot(now, zxid);
    }

    /// Turns ZAB's actions into outputs and applies what it delivers.
    pub(super) fn drain_zab(&mut self) {
        let mut delivered = false;
        while let Some(action) = self.zab.as_mut().and_then(Zab::poll_action) {
            match action {
                ZabAction::Send { to, msg } => self.send_peer(to, PeerMsg::Zab(msg)),
                ZabAction::Notify { to, notification } => {
                    self.send_peer(to, PeerMsg::Election(notification));
                }
                ZabAction::Persist(txns) => self.outbox.push_back(Output::Persist { txns }),
                ZabAction::SaveEpoch {
                    accepted_epoch,
                    current_epoch,
                } => self.outbox.push_back(Output::SaveEpoch {
                    accepted_epoch,
                    current_epoch,
                }),
                ZabAction::Truncate { after } => self.outbox.push_back(Output::Truncate { after }),
                ZabAction::SendSnapshot { to, epoch, zxid } => {
                    assert_eq!(self.tree.last_applied(), zxid, "SNAP of the applied state");
                    let image = Box::new(SnapshotImage {
                        tree: self.tree.clone(),
                        sessions: self.session_list(),
                    });
                    self.send_peer(to, PeerMsg::Snapshot { epoch, zxid, image });
                }
                ZabAction::InstallSnapshot { zxid } => {
                    let tree = Box::new(self.tree.clone());
                    let sessions = self.session_list();
                    let out = Output::InstallSnapshot {
                        zxid,
                        tree,
                        sessions,
                    };
                    self.outbox.push_back(out);
                }
                ZabAction::Deliver(txn) => {
                    self.apply_committed(&txn);
                    delivered = true;
                }
                ZabAction::RoleChanged { role, serving } => self.on_role_changed(role, serving),
            }
        }
        if delivered {
            self.overlay.applied_through(self.tree.last_applied());
            self.unpark();
            self.finish_resumes();
            // Forwards checked now propose: flush and send in this step, not at the next input
            // (on an idle leader that was the next ping, up to half a tick later).
            if self.run_deferred() {
                self.zab_mut().end_step();
                self.drain_zab();
            }
        }
        self.send_touches();
    }

    /// On a learner: the leader refused a forwarded request.
    fn on_refused(&mut self, session: SessionId, cxid: Xid, refusal: Refusal, after: Zxid) {
        if refusal == Refusal::Error(ZkError::SessionMoved.code()) {
            self.on_session_moved(session, cxid);
            return;
        }
        let result = match refusal {
            Refusal::Error(code) => Err(code),
            Refusal::Multi(codes) => Ok(Response::Multi(
                codes
                    .into_iter()
                    .map(|err| MultiResult::Error { err })
                    .collect(),
            )),
        };
        self.resolve_forwarded(session, cxid, after, result);
    }

    /// A learner's forwarded request: checked once this leader applied what the learner had.
    fn on_forward_msg(&mut self, forward: Deferred) {
        // A learner cannot have applied more than this leader proposed.
        if self.zab().established_epoch() == Some(forward.epoch)
            && forward.seen <= self.last_assigned
        {
            self.deferred.push_back(forward);
            let _ = self.run_deferred();
        }
    }

    /// Checks the forwarded requests whose learner's view this leader has applied, in arrival
    /// order (a later one never overtakes an earlier one). Returns whether it checked any.
    fn run_deferred(&mut self) -> bool {
        let applied = self.tree.last_applied();
        let mut ran = false;
        while self.deferred.front().is_some_and(|d| d.seen <= applied) {
            let d = self.deferred.pop_front().expect("front checked");
            ran = true;
            if self.zab().established_epoch() == Some(d.epoch) {
                self.leader_on_forward(d.from, d.epoch, d.session, d.cxid, d.what);
            }
        }
        ran
    }

    /// Writes the membership into `/zookeeper/config` (at start and after a SNAP), as Java
    /// does on each member.
    pub(super) fn write_membership(&mut self) {
        if let Some(text) = &self.config.config().membership {
            let data = Bytes::from(text.clone().into_bytes());
            let time_ms = i64::try_from(self.now.as_millis()).unwrap_or(i64::MAX);
            self.tree.set_config(data, time_ms);
        }
    }

    fn send_peer(&mut self, to: ServerId, msg: PeerMsg) {
        self.outbox.push_back(Output::Send { to, msg });
    }

    pub(super) fn session_list(&self) -> Vec<(SessionId, i32)> {
        self.sessions
            .iter()
            .map(|(id, s)| (id, s.timeout_ms))
            .collect()
    }

    /// Leaving a serving role drops every client (they reconnect elsewhere) and every pending
    /// write; a new leader starts its sessions' expiry afresh.
    fn on_role_changed(&mut self, role: Role, serving: bool) {
        // ZAB reports every role change; only leaving a serving role leaves anything to undo.
        let was_serving = std::mem::replace(&mut self.serving, serving);
        if !serving && !was_serving {
            return;
        }
        if serving {
            if role == Role::Leading {
                self.last_assigned = self.zab().history().last_logged();
                self.sessions.restart_expiry(self.now);
            }
            return;
        }
        let conns: Vec<ConnId> = self.conns.keys().copied().collect();
        for conn in conns {
            self.close(conn, CloseReason::NotServing);
        }
        self.waiting.clear();
        self.overlay = crate::prep::Overlay::default();
        self.creating.clear();
        self.revalidating.clear();
        self.resuming.clear();
        self.parked.clear();
        self.forwarded_xids.clear();
        self.deferred.clear();
        self.owners.clear();
        self.pending_sessions.clear();
        self.touched.clear();
        self.sessions.restart_expiry(self.now);
        self.last_assigned = self.tree.last_applied();
    }

    /// Forwards a learner's write, closeSession or sync to the leader.
    pub(super) fn forward(&mut self, session: SessionId, xid: Xid, frame: Bytes, ids: Vec<Id>) {
        let epoch = self.zab().serving_epoch().expect("a serving learner");
        let leader = self.zab().leader().expect("a serving learner has a leader");
        let what = Forwarded::Request { frame, ids };
        let msg = PeerMsg::Forward {
            epoch,
            session,
            cxid: xid,
            seen: self.tree.last_applied(),
            what,
        };
        self.send_peer(leader, msg);
    }

    /// A learner asks the leader to create the session it allocated.
    pub(super) fn forward_create_session(
        &mut self,
        conn: ConnId,
        session: SessionId,
        timeout_ms: i32,
    ) {
        let epoch = self.zab().serving_epoch().expect("a serving learner");
        let leader = self.zab().leader().expect("a serving learner has a leader");
        self.creating.insert(session, conn);
        let msg = PeerMsg::Forward {
            epoch,
            session,
            cxid: Xid(0),
            seen: self.tree.last_applied(),
            what: Forwarded::CreateSession { timeout_ms },
        };
        self.send_peer(leader, msg);
    }

    /// The leader's side of a forwarded request.
    fn leader_on_forward(
        &mut self,
        from: ServerId,
        epoch: u32,
        session: SessionId,
        cxid: Xid,
        what: Forwarded,
    ) {
        if what == Forwarded::Resume {
            self.leader_on_resume(from, epoch, session);
            return;
        }
        let first = match self.forwarded_xids.get(&(session, from)) {
            None => true,
            Some(last) => matches!(what, Forwarded::Request { .. }) && cxid > *last,
        };
        if !first {
            return;
        }
        let (frame, ids) = match what {
            Forwarded::CreateSession { timeout_ms } => {
                self.forwarded_xids.insert((session, from), Xid(i32::MIN));
                if self.sessions.get(session).is_none() && timeout_ms > 0 {
                    let op = crate::txn::TxnOp::CreateSession { timeout_ms };
                    self.submit(session, Xid(0), op, Waiter::Remote);
                    self.leader_on_create_forwarded(session, from);
                }
                return;
            }
            Forwarded::Request { frame, ids } => (frame, ids),
            Forwarded::Resume => unreachable!("handled above"),
        };
        let Ok((_, req)) = decode_request(&frame) else {
            return;
        };
        self.forwarded_xids.insert((session, from), cxid);
        let after = self.last_assigned;
        let refuse = |refusal| PeerMsg::Refused {
            epoch,
            session,
            cxid,
            refusal,
            after,
        };
        if !self.leader_session_alive(session) {
            let msg = refuse(Refusal::Error(ZkError::SessionExpired.code()));
            self.send_peer(from, msg);
            return;
        }
        // Java checks the owner of every request but a sync (which skips its prep stage).
        let is_sync = matches!(req, Request::Sync { .. });
        if !is_sync && !self.leader_claim(session, from) {
            let msg = refuse(Refusal::Error(ZkError::SessionMoved.code()));
            self.send_peer(from, msg);
            return;
        }
        if is_sync {
            let msg = PeerMsg::Synced {
                epoch,
                session,
                cxid,
                zxid: after,
            };
            self.send_peer(from, msg);
            return;
        }
        match self.prepare_forwarded(&ids, session, &req) {
            Ok((op, changes)) => {
                if matches!(req, Request::CloseSession) {
                    self.sessions.mark_closing(session);
                }
                let zxid = self.submit(session, cxid, op, Waiter::Remote);
                self.overlay.merge(changes, zxid);
            }
            Err(refusal) => self.send_peer(from, refuse(refusal)),
        }
    }

    fn prepare_forwarded(
        &self,
        ids: &[Id],
        session: SessionId,
        req: &Request,
    ) -> Result<(crate::txn::TxnOp, Changes), Refusal> {
        let cfg = self.config.config().prep;
        let mut prep = Prep::new(&self.tree, &self.overlay, ids, session, cfg);
        let code = |e: ZkError| Refusal::Error(e.code());
        let op = match req {
            Request::CloseSession => Ok(prep.close_session()),
            Request::Multi(ops) => {
                let writes: Vec<WriteOp<'_>> = ops.iter().map(write_op).collect();
                prep.multi(&writes).map_err(Refusal::Multi)
            }
            single => match single_write(single) {
                Some(w) => prep.write(w).map_err(code),
                None => Err(Refusal::Error(ZkError::Unimplemented.code())),
            },
        }?;
        Ok((op, prep.into_changes()))
    }

    /// The shape of a learner's request that goes to the leader, if it is one.
    pub(super) fn forwarded_shape(&self, req: &Request) -> Option<Shape> {
        let local_sync = self
            .zab
            .as_ref()
            .is_some_and(|z| z.config_planted(PlantedBug::LocalSync));
        if let Some(shape) = write_shape(req) {
            return Some(shape);
        }
        Some(match req {
            Request::Multi(ops) if !ops.is_empty() => {
                Shape::Multi(ops.iter().map(shape_of).collect())
            }
            Request::CloseSession => Shape::CloseSession,
            Request::Sync { path } if !local_sync => Shape::Sync(path.clone()),
            _ => return None,
        })
    }

    /// A forwarded request's txn applied here: answer it.
    pub(super) fn answer_forwarded(&mut self, txn: &Txn, result: OpResult) -> bool {
        let Some(conn) = self.sessions.get(txn.session).and_then(|s| s.conn) else {
            return false;
        };
        let Some(c) = self.conns.get_mut(&conn) else {
            return false;
        };
        let slot = c.queue.iter_mut().find(|e| {
            matches!(e, Entry::Forwarded { xid, shape }
                if *xid == txn.cxid && !matches!(shape, Shape::Sync(_)))
        });
        let Some(slot) = slot else { return false };
        let Entry::Forwarded { xid, shape } = slot else {
            unreachable!("matched a forwarded entry")
        };
        let closes = *shape == Shape::CloseSession;
        let body = super::apply::reply_body(shape, result);
        *slot = Entry::Done {
            xid: *xid,
            zxid: Some(txn.zxid.as_i64()),
            result: Ok(body),
            close: closes.then_some(CloseReason::SessionClosed),
        };
        if closes {
            c.session = None;
        }
        self.drain(conn);
        true
    }

    /// The leader refused a forwarded write, or answered a sync: reply once `after` applied.
    fn resolve_forwarded(
        &mut self,
        session: SessionId,
        cxid: Xid,
        after: Zxid,
        result: Result<Response, i32>,
    ) {
        let Some(conn) = self.sessions.get(session).and_then(|s| s.conn) else {
            return;
        };
        let Some(c) = self.conns.get_mut(&conn) else {
            return;
        };
        let slot = c
            .queue
            .iter_mut()
            .find(|e| matches!(e, Entry::Forwarded { xid, .. } if *xid == cxid));
        let Some(slot) = slot else { return };
        let Entry::Forwarded { xid, shape } = slot else {
            unreachable!("matched a forwarded entry")
        };
        let result = match (shape, result) {
            (Shape::Sync(path), Ok(_)) => Ok(Response::Sync { path: path.clone() }),
            (_, r) => r,
        };
        *slot = Entry::Until {
            xid: *xid,
            until: after,
            result,
        };
        self.drain(conn);
    }

    /// Drains connections whose held replies became due.
    fn unpark(&mut self) {
        let applied = self.tree.last_applied();
        while let Some(&(until, conn)) = self.parked.first() {
            if until > applied {
                break;
            }
            self.parked.remove(&(until, conn));
            self.drain(conn);
        }
    }

    /// A learner tells the leader which of its sessions were active, every half tick.
    fn send_touches(&mut self) {
        if self.touched.is_empty() || self.now < self.next_touch || !self.forwards() {
            return;
        }
        let (Some(epoch), Some(leader)) = (self.zab().serving_epoch(), self.zab().leader()) else {
            return;
        };
        let sessions: Vec<SessionId> = std::mem::take(&mut self.touched).into_iter().collect();
        self.send_peer(leader, PeerMsg::Touch { epoch, sessions });
        let half_tick = Duration::from_millis(self.config.config().tick_ms / 2);
        self.next_touch = self.now + half_tick;
    }

    /// A planted bug: a follower expires sessions by its own clock and asks the leader to close
    /// them.
    pub(super) fn follower_expiry(&mut self) {
        let serving = self.zab.as_ref().is_some_and(Zab::serving);
        if !self.forwards() || !serving || !self.zab().config_planted(PlantedBug::FollowerExpiry) {
            return;
        }
        for session in self.sessions.expired(self.now) {
            self.sessions.mark_closing(session);
            let mut frame = Vec::new();
            encode_request(Xid(0), &Request::CloseSession, &mut frame);
            self.forward(session, Xid(0), Bytes::from(frame), Vec::new());
        }
    }
}
