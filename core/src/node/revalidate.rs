//! A learner resumes a session through the leader (Java's REVALIDATE, zookeeper-protocol.md
//! §16.3): a learner may not have applied the session's createSession or closeSession yet, so
//! it asks the leader whether the session lives, then waits until it has applied the state the
//! leader answered from before it answers the client. A closed session is refused even by a
//! lagging learner, and a session created a moment ago elsewhere is resumed.

use super::conn::Phase;
use super::Node;
use crate::ids::{ConnId, SessionId, Zxid};
use crate::output::CloseReason;

impl Node {
    /// Starts the resume of `session` on `conn` (the password already matched).
    pub(super) fn revalidate(&mut self, conn: ConnId, session: SessionId) {
        assert!(self.forwards(), "only a learner asks the leader");
        if let Some(old) = self.revalidating.insert(session, conn) {
            // Two connections resume one session here at once: the later one wins.
            self.close(old, CloseReason::SessionMoved);
        }
        let c = self.conns.get_mut(&conn).expect("caller checked");
        c.phase = Phase::Revalidating {
            session,
            until: None,
        };
        self.forward_resume(session);
    }

    /// The leader's answer about `session`.
    pub(super) fn on_revalidated(&mut self, session: SessionId, valid: bool, after: Zxid) {
        let Some(conn) = self.revalidating.remove(&session) else {
            return;
        };
        let waiting = Phase::Revalidating {
            session,
            until: None,
        };
        let Some(c) = self.conns.get_mut(&conn).filter(|c| c.phase == waiting) else {
            return;
        };
        if !valid {
            self.refuse_resume(conn);
            return;
        }
        c.phase = Phase::Revalidating {
            session,
            until: Some(after),
        };
        self.resuming.insert((after, conn));
        self.finish_resumes();
    }

    /// Answers the resumes whose state has been applied here.
    pub(super) fn finish_resumes(&mut self) {
        let applied = self.tree.last_applied();
        while let Some(&(until, conn)) = self.resuming.first() {
            if until > applied {
                break;
            }
            self.resuming.remove(&(until, conn));
            let Some(Phase::Revalidating { session, .. }) = self.conns.get(&conn).map(|c| &c.phase)
            else {
                continue;
            };
            let session = *session;
            // The leader saw the session alive at `until`; a closeSession after that point may
            // have applied here since.
            if self.sessions.touch(session, self.now) {
                self.establish(conn, session);
            } else {
                self.refuse_resume(conn);
            }
        }
    }
}
