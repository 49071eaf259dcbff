//! Request dispatch: decode, order, prepare writes, queue reads (zookeeper-protocol.md §3–5).

use bytes::Bytes;

use super::conn::{Entry, Shape, QUEUE_MAX};
use super::{Node, Waiter};
use crate::ids::{ConnId, SessionId, Xid, Zxid};
use crate::output::CloseReason;
use crate::prep::{Prep, WriteOp};
use crate::proto::{decode_request, MultiOp, MultiResult, OpCode, Request, Response, ZkError};
use crate::tree::acl;
use crate::txn::{Txn, TxnOp};

impl Node {
    /// Handles one request frame of a connection whose session is established.
    pub(super) fn on_request(&mut self, conn: ConnId, frame: &Bytes) {
        let Ok((header, req)) = decode_request(frame) else {
            self.close(conn, CloseReason::Malformed);
            return;
        };
        let c = self.conns.get(&conn).expect("caller checked");
        let session = c.session.expect("a ready connection has a session");
        if c.queue.len() >= QUEUE_MAX {
            self.close(conn, CloseReason::Overloaded);
            return;
        }
        let xid = header.xid;
        if self.leads() && !self.leader_claim(session, self.config.config().server_id) {
            // The session was resumed on another server since: this connection is stale.
            self.close(conn, CloseReason::SessionMoved);
            return;
        }
        if !self.sessions.touch(session, self.now) {
            self.push(conn, done(xid, Err(ZkError::SessionExpired), None));
            return;
        }
        if self.forwards() {
            self.touched.insert(session);
            if refusal(xid, &req).is_none() {
                if let Some(shape) = self.forwarded_shape(&req) {
                    let ids = self.conns[&conn].ids.clone();
                    self.forward(session, xid, frame.clone(), ids);
                    self.push(conn, Entry::Forwarded { xid, shape });
                    return;
                }
            }
        }
        let entry = self.entry_for(conn, session, xid, req);
        self.push(conn, entry);
    }

    /// Decides how a request is answered: now-or-in-turn from current state, or by a txn.
    fn entry_for(&mut self, conn: ConnId, session: SessionId, xid: Xid, req: Request) -> Entry {
        if let Some(refused) = refusal(xid, &req) {
            return refused;
        }
        match req {
            Request::Auth { scheme, auth, .. } => self.on_auth(conn, xid, &scheme, auth.as_deref()),
            Request::CloseSession => {
                let prepared = self.prep_close_session(Some(conn), session);
                self.sessions.mark_closing(session);
                self.write_entry(conn, session, xid, Ok(prepared), Shape::CloseSession)
            }
            Request::Create { .. }
            | Request::Delete { .. }
            | Request::SetData { .. }
            | Request::SetAcl { .. } => {
                let shape = write_shape(&req).expect("a single write");
                let w = single_write(&req).expect("a single write");
                let result = self.prep_write(conn, session, w);
                self.write_entry(conn, session, xid, result, shape)
            }
            Request::Multi(ops) => self.on_multi(conn, session, xid, &ops),
            // An ensemble leader may have committed txns it has not applied yet (its own fsync
            // lags the quorum's): a sync waits for the commit point it arrived at, so the reads
            // after it see every write acknowledged anywhere before it (Java's pending syncs).
            Request::Sync { path } if self.zab.is_some() && self.prepares() => Entry::Until {
                xid,
                until: self.zab().history().committed(),
                result: Ok(Response::Sync { path }),
            },
            read => Entry::Read { xid, req: read },
        }
    }

    /// Prepares the closeSession txn of a session (a client close or an expiry).
    pub(super) fn prep_close_session(
        &self,
        conn: Option<ConnId>,
        session: SessionId,
    ) -> (TxnOp, Changes) {
        let ids = conn
            .and_then(|c| self.conns.get(&c))
            .map_or(&[][..], |c| &c.ids[..]);
        let mut prep = Prep::new(
            &self.tree,
            &self.overlay,
            ids,
            session,
            self.config.config().prep,
        );
        let op = prep.close_session();
        (op, prep.into_changes())
    }

    fn prep_write(
        &mut self,
        conn: ConnId,
        session: SessionId,
        op: WriteOp<'_>,
    ) -> Result<(TxnOp, Changes), ZkError> {
        let ids = &self.conns[&conn].ids;
        let mut prep = Prep::new(
            &self.tree,
            &self.overlay,
            ids,
            session,
            self.config.config().prep,
        );
        let txn = prep.write(op)?;
        Ok((txn, prep.into_changes()))
    }

    fn on_multi(&mut self, conn: ConnId, session: SessionId, xid: Xid, ops: &[MultiOp]) -> Entry {
        if ops.is_empty() {
            return done(xid, Ok(Response::Multi(Vec::new())), None);
        }
        let writes: Vec<WriteOp<'_>> = ops.iter().map(write_op).collect();
        let shapes: Vec<Shape> = ops.iter().map(shape_of).collect();
        let ids = &self.conns[&conn].ids;
        let mut prep = Prep::new(
            &self.tree,
            &self.overlay,
            ids,
            session,
            self.config.config().prep,
        );
        match prep.multi(&writes) {
            Ok(txn) => {
                let changes = prep.into_changes();
                self.write_entry(conn, session, xid, Ok((txn, changes)), Shape::Multi(shapes))
            }
            Err(codes) => {
                let results = codes
                    .into_iter()
                    .map(|err| MultiResult::Error { err })
                    .collect();
                done(xid, Ok(Response::Multi(results)), None)
            }
        }
    }

    /// Turns a prepared write into a pending txn (or a failed reply).
    fn write_entry(
        &mut self,
        conn: ConnId,
        session: SessionId,
        xid: Xid,
        prepared: Result<(TxnOp, Changes), ZkError>,
        shape: Shape,
    ) -> Entry {
        match prepared {
            Err(e) => done(xid, Err(e), None),
            Ok((op, changes)) => {
                let zxid = self.submit(session, xid, op, Waiter::Request(conn));
                self.overlay.merge(changes, zxid);
                Entry::Write { xid, zxid, shape }
            }
        }
    }

    /// Assigns the next zxid to a txn and queues it for the disk.
    pub(super) fn submit(
        &mut self,
        session: SessionId,
        cxid: Xid,
        op: TxnOp,
        waiter: Waiter,
    ) -> Zxid {
        assert!(
            self.prepares(),
            "only a leader or a standalone server prepares txns"
        );
        let zxid = match &self.zab {
            Some(zab) => zab.next_zxid(),
            None => self.last_assigned.next(),
        };
        self.last_assigned = zxid;
        let time_ms = i64::try_from(self.now.as_millis()).expect("time fits in i64");
        let txn = Txn {
            zxid,
            time_ms,
            session,
            cxid,
            op,
        };
        match self.zab.as_mut() {
            Some(zab) => zab.propose(txn),
            None => self.unflushed.push(txn),
        }
        let old = self.waiting.insert(zxid, waiter);
        assert!(old.is_none(), "zxid {zxid} assigned twice");
        zxid
    }

    fn on_auth(&mut self, conn: ConnId, xid: Xid, scheme: &str, auth: Option<&[u8]>) -> Entry {
        let credential = auth.and_then(|a| std::str::from_utf8(a).ok());
        let ok = scheme == "digest" && credential.is_some_and(|c| c.contains(':'));
        if !ok {
            return done(xid, Err(ZkError::AuthFailed), Some(CloseReason::AuthFailed));
        }
        let id = acl::digest_id(credential.expect("checked above"));
        let is_super = self.config.config().super_digest.as_deref() == Some(id.as_str());
        let c = self.conns.get_mut(&conn).expect("caller checked");
        let digest = crate::proto::Id {
            scheme: "digest".into(),
            id,
        };
        if !c.ids.contains(&digest) {
            c.ids.push(digest);
        }
        if is_super && !c.is_super() {
            c.ids.push(crate::proto::Id {
                scheme: "super".into(),
                id: String::new(),
            });
        }
        Entry::Done {
            xid,
            zxid: Some(0),
            result: Ok(Response::Empty),
            close: None,
        }
    }

    /// Queues an entry and answers whatever is at the head.
    fn push(&mut self, conn: ConnId, entry: Entry) {
        self.conns
            .get_mut(&conn)
            .expect("caller checked")
            .queue
            .push_back(entry);
        self.drain(conn);
    }
}

pub(super) type Changes = std::collections::BTreeMap<String, Option<crate::prep::NodeView>>;

/// The answer to a request the node refuses outright, if it is one.
fn refusal(xid: Xid, req: &Request) -> Option<Entry> {
    let unimplemented = Some(CloseReason::Unimplemented);
    Some(match req {
        // Java answers an unknown opcode with zxid -1 (golden capture `kazoo_raw_ops`).
        Request::Unknown { .. } => Entry::Done {
            xid,
            zxid: Some(-1),
            result: Err(ZkError::Unimplemented.code()),
            close: unimplemented,
        },
        // A check outside multi: 3.8.6+ and 3.9.3+ answer UNIMPLEMENTED and close.
        Request::Check { .. } => done(xid, Err(ZkError::Unimplemented), unimplemented),
        Request::Malformed { .. } => done(xid, Err(ZkError::MarshallingError), None),
        // reconfigEnabled is false (the default), which Java checks first (`zkcli_quota_reconfig`).
        Request::Reconfig { .. } => done(xid, Err(ZkError::ReconfigDisabled), None),
        Request::Sasl { .. } => done(xid, Err(ZkError::AuthFailed), Some(CloseReason::AuthFailed)),
        _ => return None,
    })
}

/// A finished reply, in turn.
fn done(xid: Xid, result: Result<Response, ZkError>, close: Option<CloseReason>) -> Entry {
    Entry::Done {
        xid,
        zxid: None,
        result: result.map_err(ZkError::code),
        close,
    }
}

/// The prep operation of a single write request (create in any mode, delete, setData, setACL).
pub(super) fn single_write(req: &Request) -> Option<WriteOp<'_>> {
    Some(match req {
        Request::Create { op, req, ttl } => WriteOp::Create {
            container: *op == OpCode::CreateContainer,
            path: &req.path,
            data: &req.data,
            acl: &req.acl,
            flags: req.flags,
            ttl: *ttl,
        },
        Request::Delete { path, version } => WriteOp::Delete {
            path,
            version: *version,
        },
        Request::SetData {
            path,
            data,
            version,
        } => WriteOp::SetData {
            path,
            data,
            version: *version,
        },
        Request::SetAcl { path, acl, version } => WriteOp::SetAcl {
            path,
            acl,
            version: *version,
        },
        _ => return None,
    })
}

/// How the reply to a single write request is shaped.
pub(super) fn write_shape(req: &Request) -> Option<Shape> {
    Some(match req {
        Request::Create { op, .. } if *op == OpCode::Create => Shape::Create,
        Request::Create { .. } => Shape::Create2,
        Request::Delete { .. } => Shape::Delete,
        Request::SetData { .. } => Shape::SetData,
        Request::SetAcl { .. } => Shape::SetAcl,
        _ => return None,
    })
}

pub(super) fn write_op(op: &MultiOp) -> WriteOp<'_> {
    match op {
        MultiOp::Create { op, req, ttl } => WriteOp::Create {
            container: *op == OpCode::CreateContainer,
            path: &req.path,
            data: &req.data,
            acl: &req.acl,
            flags: req.flags,
            ttl: *ttl,
        },
        MultiOp::Delete { path, version } => WriteOp::Delete {
            path,
            version: *version,
        },
        MultiOp::SetData {
            path,
            data,
            version,
        } => WriteOp::SetData {
            path,
            data,
            version: *version,
        },
        MultiOp::Check { path, version } => WriteOp::Check {
            path,
            version: *version,
        },
    }
}

pub(super) fn shape_of(op: &MultiOp) -> Shape {
    match op {
        MultiOp::Create {
            op: OpCode::Create, ..
        } => Shape::Create,
        MultiOp::Create { .. } => Shape::Create2,
        MultiOp::Delete { .. } => Shape::Delete,
        MultiOp::SetData { .. } => Shape::SetData,
        MultiOp::Check { .. } => Shape::Check,
    }
}
