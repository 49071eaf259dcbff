//! Which server each session's client is connected to, as the leader knows it (Java's session
//! owner, zookeeper-protocol.md §10 "Session moved"), and the leader's view of which sessions
//! are alive.
//!
//! A learner resumes a session locally and then tells the leader (`Forwarded::Resume`, Java's
//! REVALIDATE); from then on the leader refuses the session's requests from any other server
//! with SESSIONMOVED, and that server closes the connection they came on without a reply. So a
//! client that moved on cannot write through a connection it left behind, and a session's txns
//! come from one server's requests at a time. A resume also starts the session's xids afresh
//! for the duplicate check (`forwarded_xids`): a client on a new connection may count from 1
//! again (kazoo does).

use super::peer::Forwarded;
use super::{Node, PeerMsg};
use crate::ids::{ConnId, ServerId, SessionId, Xid};
use crate::output::CloseReason;

impl Node {
    /// Whether this node leads an established epoch: it decides owners and prepares txns.
    pub(super) fn leads(&self) -> bool {
        self.zab.is_some() && self.prepares()
    }

    fn me(&self) -> ServerId {
        self.config.config().server_id
    }

    /// The leader's view of whether `session` may act. A session whose createSession the
    /// leader prepared for a learner counts before that txn applies here: the learner may
    /// apply it first (the leader's own fsync can lag the quorum's) and its client may already
    /// have sent the next request.
    pub(super) fn leader_session_alive(&self, session: SessionId) -> bool {
        match self.sessions.get(session) {
            Some(s) => !s.closing,
            None => self.pending_sessions.contains(&session),
        }
    }

    /// Whether `from` may act for `session`: the session's owner, or any server while the
    /// owner is unknown (a new leader learns owners as requests come; Java's `checkSession`),
    /// which then becomes the owner.
    pub(super) fn leader_claim(&mut self, session: SessionId, from: ServerId) -> bool {
        assert!(self.leads(), "only the leader decides owners");
        match self.owners.get(&session) {
            Some(owner) => *owner == from,
            None => {
                self.owners.insert(session, from);
                true
            }
        }
    }

    /// A session was created or resumed by a client of this leader.
    pub(super) fn leader_owns(&mut self, session: SessionId) {
        assert!(self.leads(), "only the leader decides owners");
        let me = self.me();
        self.owners.insert(session, me);
    }

    /// A learner created a session for a client: it owns it, and it is alive from now on.
    pub(super) fn leader_on_create_forwarded(&mut self, session: SessionId, from: ServerId) {
        self.pending_sessions.insert(session);
        self.owners.insert(session, from);
    }

    /// A learner asks whether a client may resume `session` there (Java's REVALIDATE). If the
    /// session lives, that learner owns it from now on, the xids of the client's new
    /// connection start afresh, and the session is touched.
    pub(super) fn leader_on_resume(&mut self, from: ServerId, epoch: u32, session: SessionId) {
        // A session whose createSession is not applied here yet cannot be touched, but it
        // lives: its expiry starts when the txn applies.
        let valid = self.leader_session_alive(session);
        if valid {
            self.owners.insert(session, from);
            self.forwarded_xids.remove(&(session, from));
            self.sessions.touch(session, self.now);
        }
        let msg = PeerMsg::Revalidated {
            epoch,
            session,
            valid,
            after: self.last_assigned,
        };
        self.outbox
            .push_back(crate::output::Output::Send { to: from, msg });
    }

    /// On a learner: asks the leader whether a client may resume `session` here.
    pub(super) fn forward_resume(&mut self, session: SessionId) {
        let epoch = self.zab().serving_epoch().expect("a serving learner");
        let leader = self.zab().leader().expect("a serving learner has a leader");
        let msg = PeerMsg::Forward {
            epoch,
            session,
            cxid: Xid(0),
            seen: self.tree.last_applied(),
            what: Forwarded::Resume,
        };
        self.outbox
            .push_back(crate::output::Output::Send { to: leader, msg });
    }

    /// On a learner: the leader refused the request `cxid` of `session` because the session
    /// moved to another server. The connection it came on is closed without a reply.
    pub(super) fn on_session_moved(&mut self, session: SessionId, cxid: Xid) {
        let Some(conn) = self.sessions.get(session).and_then(|s| s.conn) else {
            return;
        };
        if self.has_forwarded(conn, cxid) {
            self.close(conn, CloseReason::SessionMoved);
        }
    }

    fn has_forwarded(&self, conn: ConnId, cxid: Xid) -> bool {
        self.conns.get(&conn).is_some_and(|c| {
            c.queue
                .iter()
                .any(|e| matches!(e, super::conn::Entry::Forwarded { xid, .. } if *xid == cxid))
        })
    }

    /// A session ended (its closeSession applied): the leader forgets where it was.
    pub(super) fn forget_session_routing(&mut self, session: SessionId) {
        self.owners.remove(&session);
        self.pending_sessions.remove(&session);
        let servers: Vec<ServerId> = self
            .forwarded_xids
            .range((session, ServerId(0))..=(session, ServerId(u64::MAX)))
            .map(|((_, from), _)| *from)
            .collect();
        for from in servers {
            self.forwarded_xids.remove(&(session, from));
        }
    }

    /// Owners and pending sessions are the leader's alone.
    pub(super) fn check_owners(&self) {
        if !self.leads() {
            assert!(self.owners.is_empty(), "owners kept while not leading");
            assert!(
                self.pending_sessions.is_empty(),
                "pending sessions kept while not leading"
            );
        }
        for session in &self.pending_sessions {
            assert!(
                self.owners.contains_key(session),
                "pending session {session} has no owner"
            );
        }
    }
}
