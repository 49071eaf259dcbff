//! Builders shared by the unit tests of several modules.

use bytes::Bytes;
use zoorepl_core::ids::{SessionId, Xid, Zxid};
use zoorepl_core::proto::Acl;
use zoorepl_core::tree::{path, DataTree};
use zoorepl_core::txn::{CreateTxn, NodeKind, Txn, TxnOp};

/// A tree of `n` znodes under `/p`, built by applying creates.
pub(crate) fn tree(n: u32) -> DataTree {
    let mut tree = DataTree::new();
    for i in 1..=n {
        let path = if i == 1 {
            "/p".to_owned()
        } else {
            format!("/p/n{i:04}")
        };
        let parent = tree
            .node(path::parent(&path))
            .expect("parent")
            .create_counter();
        tree.apply(&Txn {
            zxid: Zxid::new(4, i),
            time_ms: 1_700_000_000_000,
            session: SessionId(5),
            cxid: Xid(1),
            op: TxnOp::Create(CreateTxn {
                path,
                data: Some(Bytes::from(format!("value of {i}"))),
                acl: vec![Acl::open_unsafe()],
                kind: NodeKind::Persistent,
                parent_cversion: parent + 1,
            }),
        });
    }
    tree
}
