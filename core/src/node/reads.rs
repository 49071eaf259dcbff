//! Requests answered from the committed tree when they reach the head of their connection's
//! queue: reads, sync, watch management, whoami (zookeeper-protocol.md §4, §8).

use super::Node;
use crate::ids::{ConnId, SessionId};
use crate::output::Output;
use crate::proto::{
    perms, ClientInfo, EventType, MultiReadResult, ReadOp, Request, Response, SetWatches,
    WatcherEvent, ZkError, KEEPER_STATE_SYNC_CONNECTED,
};
use crate::tree::acl;
use crate::watch::{WatchKind, WatcherType};

type ReadResult = Result<Response, ZkError>;

impl Node {
    /// Answers a queued read. Watches are registered at the moment the state is read, so no
    /// change between the read and the registration can be missed.
    pub(super) fn answer_read(
        &mut self,
        conn: ConnId,
        session: SessionId,
        req: Request,
    ) -> ReadResult {
        match req {
            Request::Ping => Ok(Response::Empty),
            Request::Exists { path, watch } => self.read_exists(conn, &path, watch),
            Request::GetData { path, watch } => self.read_data(conn, &path, watch),
            Request::GetChildren { path, watch } => {
                let (children, _) = self.read_children(conn, &path, watch)?;
                Ok(Response::GetChildren { children })
            }
            Request::GetChildren2 { path, watch } => {
                let (children, stat) = self.read_children(conn, &path, watch)?;
                Ok(Response::GetChildren2 { children, stat })
            }
            Request::GetAcl { path } => self.read_acl(conn, &path),
            Request::Sync { path } => Ok(Response::Sync { path }),
            Request::MultiRead(ops) => Ok(Response::MultiRead(self.read_multi(conn, &ops))),
            Request::CheckWatches { path, kind } => {
                let ty = WatcherType::from_code(kind).ok_or(ZkError::BadArguments)?;
                let found = self.watches.contains(conn, &path, ty);
                found.then_some(Response::Empty).ok_or(ZkError::NoWatcher)
            }
            Request::RemoveWatches { path, kind } => {
                let ty = WatcherType::from_code(kind).ok_or(ZkError::BadArguments)?;
                let removed = self.watches.remove(conn, &path, ty);
                removed.then_some(Response::Empty).ok_or(ZkError::NoWatcher)
            }
            Request::AddWatch { path, mode } => self.add_watch(conn, &path, mode),
            Request::GetEphemerals { prefix } => {
                Ok(self.read_ephemerals(session, prefix.as_deref()))
            }
            Request::GetAllChildrenNumber { path } => self.read_descendants(conn, &path),
            Request::WhoAmI => Ok(self.who_am_i(conn)),
            Request::SetWatches(sw) => {
                self.set_watches(conn, &sw);
                Ok(Response::Empty)
            }
            other => unreachable!("not a read: {other:?}"),
        }
    }

    fn allowed(&self, conn: ConnId, acl_list: &[crate::proto::Acl], perm: i32) -> bool {
        let ids = &self.conns[&conn].ids;
        self.config.config().prep.skip_acl || acl::check(acl_list, perm, ids)
    }

    fn read_exists(&mut self, conn: ConnId, p: &str, watch: bool) -> ReadResult {
        if p.contains('\0') {
            return Err(ZkError::BadArguments);
        }
        let Some(node) = self.tree.node(p) else {
            if watch {
                self.watches.add(conn, p, WatchKind::Data);
            }
            return Err(ZkError::NoNode);
        };
        if !self.allowed(conn, node.acl(), perms::READ) {
            return Err(ZkError::NoAuth);
        }
        let stat = node.stat();
        if watch {
            self.watches.add(conn, p, WatchKind::Data);
        }
        Ok(Response::Exists { stat })
    }

    fn read_data(&mut self, conn: ConnId, p: &str, watch: bool) -> ReadResult {
        let node = self.tree.node(p).ok_or(ZkError::NoNode)?;
        if !self.allowed(conn, node.acl(), perms::READ) {
            return Err(ZkError::NoAuth);
        }
        let (data, stat) = (node.data().cloned(), node.stat());
        if watch {
            self.watches.add(conn, p, WatchKind::Data);
        }
        Ok(Response::GetData { data, stat })
    }

    fn read_children(
        &mut self,
        conn: ConnId,
        p: &str,
        watch: bool,
    ) -> Result<(Vec<String>, crate::proto::Stat), ZkError> {
        let node = self.tree.node(p).ok_or(ZkError::NoNode)?;
        if !self.allowed(conn, node.acl(), perms::READ) {
            return Err(ZkError::NoAuth);
        }
        let children = node.children().map(str::to_owned).collect();
        let stat = node.stat();
        if watch {
            self.watches.add(conn, p, WatchKind::Child);
        }
        Ok((children, stat))
    }

    fn read_acl(&self, conn: ConnId, p: &str) -> ReadResult {
        let node = self.tree.node(p).ok_or(ZkError::NoNode)?;
        let admin = self.allowed(conn, node.acl(), perms::ADMIN);
        if !admin && !self.allowed(conn, node.acl(), perms::READ) {
            return Err(ZkError::NoAuth);
        }
        let acl_list = if admin {
            node.acl().to_vec()
        } else {
            acl::mask_digest(node.acl())
        };
        Ok(Response::GetAcl {
            acl: acl_list,
            stat: node.stat(),
        })
    }

    fn read_multi(&mut self, conn: ConnId, ops: &[ReadOp]) -> Vec<MultiReadResult> {
        let mut out = Vec::with_capacity(ops.len());
        for op in ops {
            let result = match op {
                ReadOp::GetChildren { path, watch } => self
                    .read_children(conn, path, *watch)
                    .map(|(children, _)| MultiReadResult::GetChildren { children }),
                ReadOp::GetData { path, watch } => match self.read_data(conn, path, *watch) {
                    Ok(Response::GetData { data, stat }) => {
                        Ok(MultiReadResult::GetData { data, stat })
                    }
                    Ok(other) => unreachable!("read_data answered {other:?}"),
                    Err(e) => Err(e),
                },
            };
            out.push(result.unwrap_or_else(|e| MultiReadResult::Error { err: e.code() }));
        }
        out
    }

    fn add_watch(&mut self, conn: ConnId, p: &str, mode: i32) -> ReadResult {
        let kind = match mode {
            0 => WatchKind::Persistent,
            1 => WatchKind::PersistentRecursive,
            _ => return Err(ZkError::BadArguments),
        };
        self.watches.add(conn, p, kind);
        Ok(Response::AddWatch)
    }

    fn read_ephemerals(&self, session: SessionId, prefix: Option<&str>) -> Response {
        let prefix = prefix.filter(|p| !p.is_empty() && *p != "/");
        let paths = self
            .tree
            .ephemerals(session)
            .filter(|p| prefix.is_none_or(|pre| p.starts_with(pre)))
            .map(str::to_owned)
            .collect();
        Response::GetEphemerals { paths }
    }

    fn read_descendants(&self, conn: ConnId, p: &str) -> ReadResult {
        let node = self.tree.node(p).ok_or(ZkError::NoNode)?;
        if !self.allowed(conn, node.acl(), perms::READ) {
            return Err(ZkError::NoAuth);
        }
        let count = self.tree.descendant_count(p).expect("node exists");
        Ok(Response::AllChildrenNumber { count })
    }

    /// The connection's ids as Java lists them (golden capture `kazoo_unicode`): authenticated
    /// ids first, then the ip id; a digest id shows only its user name.
    fn who_am_i(&self, conn: ConnId) -> Response {
        let ids = &self.conns[&conn].ids;
        let authenticated = ids.iter().filter(|id| id.scheme != "ip");
        let ip = ids.iter().filter(|id| id.scheme == "ip");
        let clients = authenticated
            .chain(ip)
            .map(|id| {
                let user = match id.scheme.as_str() {
                    "digest" => id.id.split(':').next().unwrap_or_default().to_owned(),
                    _ => id.id.clone(),
                };
                ClientInfo {
                    auth_scheme: id.scheme.clone(),
                    user,
                }
            })
            .collect();
        Response::WhoAmI { clients }
    }

    /// Re-registers watches after a reconnect, firing at once (zxid -1) what the client missed
    /// since `relative_zxid` (zookeeper-protocol.md §8.4).
    fn set_watches(&mut self, conn: ConnId, sw: &SetWatches) {
        let rel = sw.relative_zxid;
        let mut fire = Vec::new();
        for p in &sw.data {
            match self.tree.node(p) {
                None => fire.push((EventType::NodeDeleted, p)),
                Some(n) if n.stat().mzxid > rel => fire.push((EventType::NodeDataChanged, p)),
                Some(_) => drop(self.watches.add(conn, p, WatchKind::Data)),
            }
        }
        for p in &sw.exist {
            match self.tree.node(p) {
                None => drop(self.watches.add(conn, p, WatchKind::Data)),
                Some(_) => fire.push((EventType::NodeCreated, p)),
            }
        }
        for p in &sw.child {
            match self.tree.node(p) {
                None => fire.push((EventType::NodeDeleted, p)),
                Some(n) if n.stat().pzxid > rel => fire.push((EventType::NodeChildrenChanged, p)),
                Some(_) => drop(self.watches.add(conn, p, WatchKind::Child)),
            }
        }
        for p in &sw.persistent {
            self.watches.add(conn, p, WatchKind::Persistent);
        }
        for p in &sw.persistent_recursive {
            self.watches.add(conn, p, WatchKind::PersistentRecursive);
        }
        for (event_type, p) in fire {
            let event = WatcherEvent {
                event_type,
                state: KEEPER_STATE_SYNC_CONNECTED,
                path: p.clone(),
            };
            self.outbox.push_back(Output::Notify {
                conn,
                zxid: -1,
                event,
            });
        }
    }
}
