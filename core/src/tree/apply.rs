//! Applying txns: the Stat rules of zookeeper-protocol.md §3 (`DataTree.processTxn`,
//! `createNode`, `deleteNode`, `setData`, `setACL`, `killSession`).

use bytes::Bytes;

use super::node::Znode;
use super::{path, DataTree};
use crate::ids::Zxid;
use crate::proto::{Acl, Stat};
use crate::txn::{Change, CreateTxn, NodeKind, OpResult, Txn, TxnOp};

/// Panics for a txn that does not fit the tree: always a bug in prep.
macro_rules! misfit {
    ($zxid:expr, $op:expr, $path:expr, $($why:tt)+) => {
        panic!(
            "txn {} {} {:?} does not fit the tree: {}",
            $zxid, $op, $path, format_args!($($why)+)
        )
    };
}

impl DataTree {
    /// Applies one op (a whole txn, or one sub-op of a multi).
    pub(super) fn apply_op(
        &mut self,
        txn: &Txn,
        op: &TxnOp,
        in_multi: bool,
        changes: &mut Vec<Change>,
    ) -> OpResult {
        let zxid = txn.zxid;
        match op {
            TxnOp::CreateSession { .. } => {
                assert!(!in_multi, "txn {zxid}: CreateSession inside a multi");
                OpResult::SessionCreated
            }
            TxnOp::CloseSession { ephemerals } => {
                assert!(!in_multi, "txn {zxid}: CloseSession inside a multi");
                self.apply_close_session(txn, ephemerals, changes);
                OpResult::SessionClosed
            }
            TxnOp::Create(create) => {
                let stat = self.apply_create(txn, create);
                changes.push(Change::Created(create.path.clone()));
                OpResult::Created {
                    path: create.path.clone(),
                    stat,
                }
            }
            TxnOp::Delete { path } => {
                self.apply_delete(zxid, path, "Delete");
                changes.push(Change::Deleted(path.clone()));
                OpResult::Deleted
            }
            TxnOp::SetData {
                path,
                data,
                version,
            } => {
                let stat = self.apply_set_data(txn, path, data.as_ref(), *version);
                changes.push(Change::DataChanged(path.clone()));
                OpResult::DataSet { stat }
            }
            TxnOp::SetAcl {
                path,
                acl,
                aversion,
            } => OpResult::AclSet {
                stat: self.apply_set_acl(zxid, path, acl, *aversion),
            },
            TxnOp::Check { path } => {
                if !self.contains(path) {
                    misfit!(zxid, "Check", path, "no such node");
                }
                OpResult::Checked
            }
            TxnOp::Multi(ops) => {
                assert!(!in_multi, "txn {zxid}: a multi nested inside a multi");
                let results = ops
                    .iter()
                    .map(|sub| self.apply_op(txn, sub, true, changes))
                    .collect();
                OpResult::Multi(results)
            }
        }
    }

    /// Creates a node: czxid = mzxid = pzxid = zxid, ctime = mtime = time, versions 0; the
    /// parent's create counter becomes `parent_cversion` and its pzxid the zxid.
    fn apply_create(&mut self, txn: &Txn, create: &CreateTxn) -> Stat {
        let zxid = txn.zxid;
        let p = create.path.as_str();
        if path::validate(p).is_err() || p == path::ROOT {
            misfit!(zxid, "Create", p, "invalid path");
        }
        if self.contains(p) {
            misfit!(zxid, "Create", p, "node exists");
        }
        let parent_path = path::parent(p);
        let Some(parent) = self.node(parent_path) else {
            misfit!(zxid, "Create", p, "parent missing");
        };
        if parent.ephemeral_owner().is_some() {
            misfit!(zxid, "Create", p, "parent is ephemeral");
        }
        let expected = parent.cversion.wrapping_add(1);
        if create.parent_cversion != expected {
            misfit!(
                zxid,
                "Create",
                p,
                "parent_cversion {} but the parent's counter is {}",
                create.parent_cversion,
                parent.cversion
            );
        }
        match create.kind {
            NodeKind::Ttl { ttl_ms } if !(1..=super::TTL_MS_MAX).contains(&ttl_ms) => {
                misfit!(zxid, "Create", p, "ttl {ttl_ms} out of range");
            }
            // Java makes the issuing session the owner; a different one is a prep bug.
            NodeKind::Ephemeral(owner) if owner != txn.session => {
                misfit!(
                    zxid,
                    "Create",
                    p,
                    "ephemeral owner {owner} is not the txn's session {}",
                    txn.session
                );
            }
            _ => {}
        }
        let acl = self.intern_acl(&create.acl);
        let node = Znode {
            data: create.data.clone(),
            data_hash: super::digest::data_hash(create.data.as_ref()),
            acl,
            czxid: zxid,
            mzxid: zxid,
            pzxid: zxid,
            ctime: txn.time_ms,
            mtime: txn.time_ms,
            version: 0,
            cversion: 0,
            aversion: 0,
            kind: create.kind,
            children: imbl::OrdSet::new(),
        };
        let stat = node.stat();
        self.update_node(parent_path, |parent| {
            parent.cversion = create.parent_cversion;
            parent.pzxid = zxid;
        });
        self.insert_node(p.to_owned(), node);
        self.link_child(p);
        self.quota_on_create(p, create.data.as_ref().map_or(0, Bytes::len));
        stat
    }

    /// Deletes a childless node: the parent's pzxid only rises, its create counter stays.
    fn apply_delete(&mut self, zxid: Zxid, p: &str, op: &str) {
        if path::is_reserved_undeletable(p) {
            misfit!(zxid, op, p, "built-in node");
        }
        let Some(node) = self.node(p) else {
            misfit!(zxid, op, p, "no such node");
        };
        if !node.children.is_empty() {
            misfit!(zxid, op, p, "node has {} children", node.children.len());
        }
        let data_len = i64::try_from(node.data_len()).expect("data fits");
        self.quota_adjust(p, -1, -data_len);
        let parent_path = path::parent(p);
        self.update_node(parent_path, |parent| {
            let removed = parent.children.remove(path::basename(p)).is_some();
            assert!(
                removed,
                "txn {zxid} {op} {p:?}: parent does not list the node"
            );
            parent.pzxid = parent.pzxid.max(zxid);
        });
        self.remove_node(p);
    }

    /// Sets data: version from the txn, mzxid = zxid, mtime = time.
    fn apply_set_data(&mut self, txn: &Txn, p: &str, data: Option<&Bytes>, version: i32) -> Stat {
        let Some(old) = self.node(p) else {
            misfit!(txn.zxid, "SetData", p, "no such node");
        };
        let grown = data.map_or(0, Bytes::len) as i64 - old.data_len() as i64;
        self.quota_adjust(p, 0, grown);
        self.update_node(p, |node| {
            node.set_data(data.cloned());
            node.version = version;
            node.mzxid = txn.zxid;
            node.mtime = txn.time_ms;
            node.stat()
        })
    }

    /// Sets the ACL: aversion from the txn; mzxid and mtime unchanged.
    fn apply_set_acl(&mut self, zxid: Zxid, p: &str, acl: &[Acl], aversion: i32) -> Stat {
        if !self.contains(p) {
            misfit!(zxid, "SetAcl", p, "no such node");
        }
        let acl = self.intern_acl(acl);
        let (old, stat) = self.update_node(p, |node| {
            let old = std::mem::replace(&mut node.acl, acl);
            node.aversion = aversion;
            (old, node.stat())
        });
        self.release_acl(&old);
        stat
    }

    /// Ends a session: deletes the ephemerals prep listed, which must be all it owns.
    fn apply_close_session(&mut self, txn: &Txn, ephemerals: &[String], changes: &mut Vec<Change>) {
        for p in ephemerals {
            let owner = self.node(p).and_then(Znode::ephemeral_owner);
            if owner != Some(txn.session) {
                misfit!(
                    txn.zxid,
                    "CloseSession",
                    p,
                    "not an ephemeral of session {} (owner {owner:?})",
                    txn.session
                );
            }
            self.apply_delete(txn.zxid, p, "CloseSession");
            changes.push(Change::Deleted(p.clone()));
        }
        if let Some(left) = self.ephemerals(txn.session).next() {
            misfit!(
                txn.zxid,
                "CloseSession",
                left,
                "ephemeral of session {} not listed",
                txn.session
            );
        }
    }
}
