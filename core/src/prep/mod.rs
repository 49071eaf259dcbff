//! Request preparation: a write request becomes an idempotent txn or a `ZkError`, checked in
//! the documented order (zookeeper-protocol.md §4 "Check order for writes", §5, §7; after
//! `PrepRequestProcessor.java`) against the committed tree plus every outstanding change.
//!
//! A txn is built only for a write that succeeds. Its resulting state (sequential name, new
//! versions, the parent's new create counter) is decided here, once, so every replica that
//! applies it ends in the same state.

mod overlay;

use std::collections::BTreeMap;

use bytes::Bytes;

pub use overlay::{committed_view, NodeView, Overlay};

use crate::ids::SessionId;
use crate::proto::{perms, Acl, Id, ZkError};
use crate::tree::{acl, path, DataTree};
use crate::txn::{CreateTxn, NodeKind, TxnOp};

pub use crate::tree::TTL_MS_MAX;

/// Switches that change what prep accepts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PrepConfig {
    /// TTL nodes allowed (`extendedTypesEnabled`).
    pub extended_types: bool,
    /// Every ACL check passes (`zookeeper.skipACL=yes`).
    pub skip_acl: bool,
}

/// One write op as prep sees it (a top-level request or a multi member).
#[derive(Clone, Copy, Debug)]
pub enum WriteOp<'r> {
    /// create, create2, createContainer (`container` set), createTTL (`ttl` set).
    Create {
        /// Sent as createContainer (op 19).
        container: bool,
        /// Requested path (before any sequential suffix).
        path: &'r str,
        /// Data; `None` is null.
        data: &'r Option<Bytes>,
        /// Requested ACL.
        acl: &'r [Acl],
        /// Create-mode flags.
        flags: i32,
        /// TTL from createTTL; `None` for other create ops.
        ttl: Option<i64>,
    },
    /// delete.
    Delete {
        /// Node.
        path: &'r str,
        /// Expected version, -1 for any.
        version: i32,
    },
    /// setData.
    SetData {
        /// Node.
        path: &'r str,
        /// New data.
        data: &'r Option<Bytes>,
        /// Expected version, -1 for any.
        version: i32,
    },
    /// setACL.
    SetAcl {
        /// Node.
        path: &'r str,
        /// New ACL.
        acl: &'r [Acl],
        /// Expected ACL version, -1 for any.
        version: i32,
    },
    /// check (multi only).
    Check {
        /// Node.
        path: &'r str,
        /// Expected version, -1 for any.
        version: i32,
    },
}

/// The create mode decoded from flags.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Mode {
    sequential: bool,
    ephemeral: bool,
    container: bool,
    ttl: bool,
}

fn mode_of(flags: i32) -> Option<Mode> {
    let m = |sequential, ephemeral, container, ttl| Mode {
        sequential,
        ephemeral,
        container,
        ttl,
    };
    Some(match flags {
        0 => m(false, false, false, false),
        1 => m(false, true, false, false),
        2 => m(true, false, false, false),
        3 => m(true, true, false, false),
        4 => m(false, false, true, false),
        5 => m(false, false, false, true),
        6 => m(true, false, false, true),
        _ => return None,
    })
}

/// Prepares the writes of one request for one session.
pub struct Prep<'a> {
    tree: &'a DataTree,
    pending: &'a Overlay,
    local: BTreeMap<String, Option<NodeView>>,
    ids: &'a [Id],
    session: SessionId,
    config: PrepConfig,
}

impl<'a> Prep<'a> {
    /// A preparation context for `session`, whose connection holds `ids`.
    #[must_use]
    pub fn new(
        tree: &'a DataTree,
        pending: &'a Overlay,
        ids: &'a [Id],
        session: SessionId,
        config: PrepConfig,
    ) -> Self {
        Self {
            tree,
            pending,
            local: BTreeMap::new(),
            ids,
            session,
            config,
        }
    }

    /// The changes this preparation made, to merge into the overlay once the txn is accepted.
    #[must_use]
    pub fn into_changes(self) -> BTreeMap<String, Option<NodeView>> {
        self.local
    }

    /// A node as it will be once every outstanding txn and this prep's earlier ops apply.
    #[must_use]
    pub fn view(&self, path: &str) -> Option<NodeView> {
        if let Some(v) = self.local.get(path) {
            return v.clone();
        }
        match self.pending.get(path) {
            Some(v) => v.clone(),
            None => committed_view(self.tree, path),
        }
    }

    fn allowed(&self, acl: &[Acl], perm: i32) -> bool {
        self.config.skip_acl || acl::check(acl, perm, self.ids)
    }

    /// Prepares one write op.
    ///
    /// # Errors
    /// The ZooKeeper error the request fails with, first failing check first.
    pub fn write(&mut self, op: WriteOp<'_>) -> Result<TxnOp, ZkError> {
        match op {
            WriteOp::Create {
                container,
                path,
                data,
                acl,
                flags,
                ttl,
            } => self.create(container, path, data, acl, flags, ttl),
            WriteOp::Delete { path, version } => self.delete(path, version),
            WriteOp::SetData {
                path,
                data,
                version,
            } => self.set_data(path, data, version),
            WriteOp::SetAcl { path, acl, version } => self.set_acl(path, acl, version),
            WriteOp::Check { path, version } => self.check(path, version),
        }
    }

    fn create_mode(&self, container: bool, flags: i32, ttl: Option<i64>) -> Result<Mode, ZkError> {
        let mode = if container {
            mode_of(4)
        } else {
            mode_of(flags)
        };
        let mode = mode.ok_or(ZkError::BadArguments)?;
        if mode.ttl && !self.config.extended_types {
            return Err(ZkError::Unimplemented);
        }
        match (mode.ttl, ttl) {
            (true, Some(t)) if t > 0 && t <= TTL_MS_MAX => Ok(mode),
            (true, _) => Err(ZkError::BadArguments),
            (false, Some(t)) if t >= 0 => Err(ZkError::BadArguments),
            (false, _) => Ok(mode),
        }
    }

    #[allow(
        clippy::too_many_lines,
        reason = "the checks read best in the documented order"
    )]
    fn create(
        &mut self,
        container: bool,
        req_path: &str,
        data: &Option<Bytes>,
        req_acl: &[Acl],
        flags: i32,
        ttl: Option<i64>,
    ) -> Result<TxnOp, ZkError> {
        let mode = self.create_mode(container, flags, ttl)?;
        if !req_path.contains('/') || req_path.contains('\0') {
            return Err(ZkError::BadArguments);
        }
        let acl = acl::fixup(req_acl, self.ids)?;
        let parent_path = path::parent(req_path);
        let mut parent = self.view(parent_path).ok_or(ZkError::NoNode)?;
        if !self.allowed(&parent.acl, perms::CREATE) {
            return Err(ZkError::NoAuth);
        }
        let full = if mode.sequential {
            format!("{req_path}{:010}", parent.create_counter)
        } else {
            req_path.to_owned()
        };
        path::validate(&full)?;
        if self.view(&full).is_some() {
            return Err(ZkError::NodeExists);
        }
        if matches!(parent.kind, NodeKind::Ephemeral(_)) {
            return Err(ZkError::NoChildrenForEphemerals);
        }
        let kind = match mode {
            Mode {
                ephemeral: true, ..
            } => NodeKind::Ephemeral(self.session),
            Mode {
                container: true, ..
            } => NodeKind::Container,
            Mode { ttl: true, .. } => NodeKind::Ttl {
                ttl_ms: ttl.expect("validated TTL"),
            },
            _ => NodeKind::Persistent,
        };
        parent.create_counter = parent.create_counter.wrapping_add(1);
        parent.num_children += 1;
        let parent_cversion = parent.create_counter;
        self.local.insert(parent_path.to_owned(), Some(parent));
        let view = NodeView {
            version: 0,
            aversion: 0,
            create_counter: 0,
            num_children: 0,
            kind,
            acl: acl.as_slice().into(),
        };
        self.local.insert(full.clone(), Some(view));
        let data = data.clone();
        Ok(TxnOp::Create(CreateTxn {
            path: full,
            data,
            acl,
            kind,
            parent_cversion,
        }))
    }

    /// Java checks only that the path has a `/` and no NUL and is not built in; anything else
    /// that is malformed simply names no node (`delete /a/` is NONODE, as the compat suite saw).
    fn delete(&mut self, target: &str, version: i32) -> Result<TxnOp, ZkError> {
        if !target.contains('/') || target.contains('\0') || path::is_reserved_undeletable(target) {
            return Err(ZkError::BadArguments);
        }
        let parent_path = path::parent(target);
        let mut parent = self.view(parent_path).ok_or(ZkError::NoNode)?;
        if !self.allowed(&parent.acl, perms::DELETE) {
            return Err(ZkError::NoAuth);
        }
        let node = self.view(target).ok_or(ZkError::NoNode)?;
        if version != -1 && version != node.version {
            return Err(ZkError::BadVersion);
        }
        if node.num_children > 0 {
            return Err(ZkError::NotEmpty);
        }
        parent.num_children -= 1;
        self.local.insert(parent_path.to_owned(), Some(parent));
        self.local.insert(target.to_owned(), None);
        Ok(TxnOp::Delete {
            path: target.to_owned(),
        })
    }

    fn set_data(
        &mut self,
        target: &str,
        data: &Option<Bytes>,
        version: i32,
    ) -> Result<TxnOp, ZkError> {
        path::validate(target)?;
        let mut node = self.view(target).ok_or(ZkError::NoNode)?;
        if !self.allowed(&node.acl, perms::WRITE) {
            return Err(ZkError::NoAuth);
        }
        if version != -1 && version != node.version {
            return Err(ZkError::BadVersion);
        }
        node.version = node.version.wrapping_add(1);
        let new_version = node.version;
        self.local.insert(target.to_owned(), Some(node));
        let (path, data) = (target.to_owned(), data.clone());
        Ok(TxnOp::SetData {
            path,
            data,
            version: new_version,
        })
    }

    fn set_acl(&mut self, target: &str, req_acl: &[Acl], version: i32) -> Result<TxnOp, ZkError> {
        path::validate(target)?;
        let acl = acl::fixup(req_acl, self.ids)?;
        let mut node = self.view(target).ok_or(ZkError::NoNode)?;
        if !self.allowed(&node.acl, perms::ADMIN) {
            return Err(ZkError::NoAuth);
        }
        if version != -1 && version != node.aversion {
            return Err(ZkError::BadVersion);
        }
        node.aversion = node.aversion.wrapping_add(1);
        node.acl = acl.as_slice().into();
        let aversion = node.aversion;
        self.local.insert(target.to_owned(), Some(node));
        Ok(TxnOp::SetAcl {
            path: target.to_owned(),
            acl,
            aversion,
        })
    }

    fn check(&mut self, target: &str, version: i32) -> Result<TxnOp, ZkError> {
        path::validate(target)?;
        let node = self.view(target).ok_or(ZkError::NoNode)?;
        if !self.allowed(&node.acl, perms::READ) {
            return Err(ZkError::NoAuth);
        }
        if version != -1 && version != node.version {
            return Err(ZkError::BadVersion);
        }
        Ok(TxnOp::Check {
            path: target.to_owned(),
        })
    }

    /// Prepares a multi: every op in order, each seeing the earlier ones. On failure returns
    /// the per-op codes as §5 encodes them: 0 before the failing op, its code, then -2
    /// (RUNTIMEINCONSISTENCY) after it; nothing of the multi is kept.
    ///
    /// # Errors
    /// The per-op result codes when any op fails.
    pub fn multi(&mut self, ops: &[WriteOp<'_>]) -> Result<TxnOp, Vec<i32>> {
        let mut txns = Vec::with_capacity(ops.len());
        for (i, op) in ops.iter().enumerate() {
            match self.write(*op) {
                Ok(txn) => txns.push(txn),
                Err(e) => {
                    self.local.clear();
                    let mut codes = vec![0; i];
                    codes.push(e.code());
                    codes.resize(ops.len(), ZkError::RuntimeInconsistency.code());
                    return Err(codes);
                }
            }
        }
        Ok(TxnOp::Multi(txns))
    }

    /// Prepares the closeSession txn of this prep's session: it deletes every ephemeral the
    /// session will own once outstanding txns apply. Each delete changes its parent's count.
    pub fn close_session(&mut self) -> TxnOp {
        let ephemerals = self.pending.ephemerals(self.tree, self.session);
        for p in &ephemerals {
            let parent_path = path::parent(p);
            let mut parent = self
                .view(parent_path)
                .expect("an ephemeral's parent exists");
            parent.num_children -= 1;
            self.local.insert(parent_path.to_owned(), Some(parent));
            self.local.insert(p.clone(), None);
        }
        TxnOp::CloseSession { ephemerals }
    }

    /// Prepares the reaping of an empty container or an expired TTL node (an internal delete
    /// without ACL or version checks). `None` when the node is gone or has gained a child
    /// through an outstanding txn since it became a candidate.
    pub fn reap(&mut self, target: &str) -> Option<TxnOp> {
        let node = self.view(target)?;
        if node.num_children > 0 || !matches!(node.kind, NodeKind::Container | NodeKind::Ttl { .. })
        {
            return None;
        }
        let parent_path = path::parent(target);
        let mut parent = self.view(parent_path).expect("a live node's parent exists");
        parent.num_children -= 1;
        self.local.insert(parent_path.to_owned(), Some(parent));
        self.local.insert(target.to_owned(), None);
        Some(TxnOp::Delete {
            path: target.to_owned(),
        })
    }
}

#[cfg(test)]
mod tests;
