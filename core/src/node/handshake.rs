//! The connect handshake (zookeeper-protocol.md §2): new sessions, resumed sessions, refusals.

use bytes::Bytes;

use super::conn::{Phase, BACKLOG_MAX};
use super::{Node, Waiter};
use crate::ids::{ConnId, SessionId, Xid, Zxid};
use crate::output::{CloseReason, Output};
use crate::proto::ConnectResponse;
use crate::session::{PASSWORD_LEN, SESSIONS_MAX};
use crate::txn::TxnOp;

impl Node {
    /// Routes a frame by the connection's phase.
    pub(super) fn on_frame(&mut self, conn: ConnId, frame: Bytes) {
        let Some(c) = self.conns.get_mut(&conn) else {
            return;
        };
        match c.phase {
            Phase::AwaitingConnect => self.on_connect(conn, &frame),
            Phase::CreatingSession { .. } | Phase::Revalidating { .. } => {
                if c.backlog.len() >= BACKLOG_MAX {
                    self.close(conn, CloseReason::Overloaded);
                } else {
                    c.backlog.push_back(frame);
                }
            }
            Phase::Ready => self.on_request(conn, &frame),
        }
    }

    fn on_connect(&mut self, conn: ConnId, frame: &[u8]) {
        let Ok(req) = crate::proto::ConnectRequest::decode(frame) else {
            self.close(conn, CloseReason::Malformed);
            return;
        };
        let c = self.conns.get_mut(&conn).expect("caller checked");
        c.read_only_byte = req.read_only.is_some();
        if req.last_zxid_seen > self.tree.last_applied().as_i64() {
            self.close(conn, CloseReason::ZxidAhead);
            return;
        }
        let (min, max) = self.config.session_timeout_range_ms();
        let timeout_ms = req.timeout_ms.clamp(min, max);
        if req.session_id == 0 {
            self.create_session(conn, timeout_ms);
        } else {
            self.resume_session(conn, SessionId(req.session_id), &req.passwd);
        }
    }

    fn create_session(&mut self, conn: ConnId, timeout_ms: i32) {
        if self.sessions.len() + self.waiting.len() >= SESSIONS_MAX {
            self.close(conn, CloseReason::Overloaded);
            return;
        }
        let session = self.sessions.allocate_id();
        if self.forwards() {
            self.forward_create_session(conn, session, timeout_ms);
            let c = self.conns.get_mut(&conn).expect("caller checked");
            c.phase = Phase::CreatingSession { zxid: Zxid::ZERO };
            return;
        }
        let zxid = self.submit(
            session,
            Xid(0),
            TxnOp::CreateSession { timeout_ms },
            Waiter::Connect(conn),
        );
        let c = self.conns.get_mut(&conn).expect("caller checked");
        c.phase = Phase::CreatingSession { zxid };
    }

    fn resume_session(&mut self, conn: ConnId, session: SessionId, passwd: &[u8]) {
        if !self.sessions.password_matches(session, passwd) {
            self.refuse_resume(conn);
            return;
        }
        if self.forwards() {
            // A learner may lag: only the leader knows whether the session still lives.
            self.revalidate(conn, session);
            return;
        }
        let alive = self.sessions.get(session).is_some_and(|s| !s.closing);
        if !alive {
            self.refuse_resume(conn);
            return;
        }
        self.sessions.touch(session, self.now);
        self.establish(conn, session);
    }

    /// The invalid-session answer (timeout 0, id 0, a zero password), then a close.
    pub(super) fn refuse_resume(&mut self, conn: ConnId) {
        let read_only = self.conns[&conn].read_only_byte.then_some(false);
        let response = ConnectResponse {
            protocol_version: 0,
            timeout_ms: 0,
            session_id: 0,
            passwd: vec![0; PASSWORD_LEN],
            read_only,
        };
        self.outbox.push_back(Output::Handshake { conn, response });
        self.close(conn, CloseReason::InvalidSession);
    }

    /// Binds a live session to the connection, answers the handshake and serves the backlog.
    pub(super) fn establish(&mut self, conn: ConnId, session: SessionId) {
        if self.leads() {
            self.leader_owns(session);
        }
        if let Some(old) = self.sessions.bind(session, conn) {
            if self.conns.contains_key(&old) {
                self.conns.get_mut(&old).expect("checked").session = None;
                self.close(old, CloseReason::SessionMoved);
            }
        }
        let timeout_ms = self.sessions.get(session).expect("bound above").timeout_ms;
        let c = self.conns.get_mut(&conn).expect("caller checked");
        c.session = Some(session);
        c.phase = Phase::Ready;
        let response = ConnectResponse {
            protocol_version: 0,
            timeout_ms,
            session_id: session.0,
            passwd: self.sessions.password(session).to_vec(),
            read_only: c.read_only_byte.then_some(false),
        };
        self.outbox.push_back(Output::Handshake { conn, response });
        while let Some(frame) = self
            .conns
            .get_mut(&conn)
            .and_then(|c| c.backlog.pop_front())
        {
            self.on_request(conn, &frame);
        }
    }

    /// Forgets a connection and tells the shell to close it after what was already emitted.
    pub(super) fn close(&mut self, conn: ConnId, why: CloseReason) {
        if self.conns.contains_key(&conn) {
            self.forget_conn(conn);
            self.outbox.push_back(Output::CloseConn { conn, why });
        }
    }
}
