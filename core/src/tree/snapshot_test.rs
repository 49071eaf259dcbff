//! Restore refuses snapshots that decode but describe a broken tree.

use bytes::Bytes;

use serde::Serialize;

use super::*;
use crate::ids::{SessionId, Zxid};
use crate::proto::Acl;
use crate::tree::record::NodeRef;
use crate::tree::{path, Znode};
use crate::txn::NodeKind;
use crate::txn::{CreateTxn, Txn, TxnOp};

/// A tree with a few kinds of node: `/a` (persistent), `/a/e` (ephemeral), `/c` (container).
fn sample() -> DataTree {
    let mut tree = DataTree::new();
    for (i, (p, kind)) in [
        ("/a", NodeKind::Persistent),
        ("/a/e", NodeKind::Ephemeral(SessionId(5))),
        ("/c", NodeKind::Container),
    ]
    .into_iter()
    .enumerate()
    {
        let counter = u32::try_from(i).expect("small") + 1;
        let parent = tree.node(path::parent(p)).expect("parent").create_counter();
        tree.apply(&Txn {
            zxid: Zxid::new(1, counter),
            time_ms: 7,
            session: SessionId(5),
            cxid: crate::ids::Xid(1),
            op: TxnOp::Create(CreateTxn {
                path: p.to_owned(),
                data: Some(Bytes::from_static(b"x")),
                acl: vec![Acl::open_unsafe()],
                kind,
                parent_cversion: parent + 1,
            }),
        });
    }
    tree
}

/// Format 1 body, written here with serde in one piece: the streaming writer and reader must
/// produce and accept exactly these bytes.
#[derive(Serialize)]
struct BodyRef<'a> {
    last_applied: Zxid,
    digest: u64,
    nodes: Vec<NodeRef<'a>>,
}

/// Encodes nodes as a format-1 snapshot; `digest: None` records the digest the nodes really
/// have, so the structural checks (not the digest check) are what must refuse them.
fn encode(nodes: &[(String, Znode)], digest: Option<u64>) -> Vec<u8> {
    let refs: Vec<NodeRef<'_>> = nodes.iter().map(|(p, n)| NodeRef::new(p, n)).collect();
    let digest = digest.unwrap_or_else(|| {
        nodes.iter().fold(0u64, |d, (p, n)| {
            d.wrapping_add(super::super::digest::node_hash(p, n))
        })
    });
    let mut out = postcard::to_allocvec(&Header {
        magic: MAGIC,
        format_version: SNAPSHOT_FORMAT_VERSION,
    })
    .expect("header");
    out.extend(
        postcard::to_allocvec(&BodyRef {
            last_applied: Zxid::new(1, 3),
            digest,
            nodes: refs,
        })
        .expect("body"),
    );
    out
}

fn nodes_of(tree: &DataTree) -> Vec<(String, Znode)> {
    tree.iter_preorder()
        .map(|(p, n)| {
            let mut n = n.clone();
            n.children.clear();
            (p, n)
        })
        .collect()
}

fn invalid(bytes: &[u8]) -> String {
    match DataTree::restore(bytes) {
        Err(SnapshotError::Invalid(why)) => why,
        other => panic!("expected Invalid, got {other:?}"),
    }
}

#[test]
fn encode_helper_matches_the_real_format() {
    let tree = sample();
    assert_eq!(encode(&nodes_of(&tree), None), tree.snapshot());
    assert_eq!(DataTree::restore(&tree.snapshot()), Ok(tree));
}

#[test]
fn restore_refuses_broken_structure() {
    let nodes = nodes_of(&sample());
    let find = |p: &str| nodes.iter().position(|(q, _)| q == p).expect("present");

    let mut orphan = nodes.clone();
    orphan.remove(find("/a"));
    assert!(invalid(&encode(&orphan, None)).contains("parent missing"));

    let mut child_first = nodes.clone();
    child_first.swap(find("/a"), find("/a/e"));
    assert!(invalid(&encode(&child_first, None)).contains("parent missing"));

    let mut duplicate = nodes.clone();
    duplicate.push(nodes[find("/c")].clone());
    assert!(invalid(&encode(&duplicate, None)).contains("duplicate"));

    let mut no_root = nodes.clone();
    no_root.remove(0);
    assert!(invalid(&encode(&no_root, None)).contains("root"));
    assert!(invalid(&encode(&[], None)).contains("no nodes"));

    let mut under_ephemeral = nodes.clone();
    let mut child = nodes[find("/c")].1.clone();
    child.kind = NodeKind::Persistent;
    under_ephemeral.push(("/a/e/x".to_owned(), child));
    assert!(invalid(&encode(&under_ephemeral, None)).contains("ephemeral"));

    let mut bad_path = nodes.clone();
    bad_path[find("/c")].0 = "/c/".to_owned();
    assert!(invalid(&encode(&bad_path, None)).contains("bad path"));

    let mut bad_ttl = nodes.clone();
    bad_ttl[find("/c")].1.kind = NodeKind::Ttl { ttl_ms: 0 };
    assert!(invalid(&encode(&bad_ttl, None)).contains("TTL"));

    let mut no_config = nodes.clone();
    no_config.remove(find("/zookeeper/config"));
    assert!(invalid(&encode(&no_config, None)).contains("built-in"));

    let mut low_counter = nodes.clone();
    low_counter[find("/a")].1.cversion = 0;
    assert!(invalid(&encode(&low_counter, None)).contains("create counter"));

    // The root's counter covers its created children, not the built-in /zookeeper, which sorts
    // after them; one created child more than the counter is refused wherever it sorts.
    let created_under_root = nodes
        .iter()
        .filter(|(p, _)| p != "/" && path::parent(p) == "/" && p != "/zookeeper")
        .count();
    let mut exact_root = nodes.clone();
    exact_root[0].1.cversion = i32::try_from(created_under_root).expect("small");
    assert!(DataTree::restore(&encode(&exact_root, None)).is_ok());
    let mut low_root = nodes.clone();
    low_root[0].1.cversion = i32::try_from(created_under_root - 1).expect("small");
    assert!(invalid(&encode(&low_root, None)).contains("create counter"));

    let mut container_config = nodes.clone();
    container_config[find("/zookeeper/config")].1.kind = NodeKind::Container;
    assert!(invalid(&encode(&container_config, None)).contains("not persistent"));

    let mut zxids_out_of_order = nodes.clone();
    let c = &mut zxids_out_of_order[find("/c")].1;
    c.czxid = Zxid::from_i64(c.mzxid.as_i64() + 1);
    assert!(invalid(&encode(&zxids_out_of_order, None)).contains("below czxid"));
}

#[test]
fn restore_refuses_wrong_digest_version_and_trailing_bytes() {
    let nodes = nodes_of(&sample());
    assert!(matches!(
        DataTree::restore(&encode(&nodes, Some(1))),
        Err(SnapshotError::DigestMismatch { recorded: 1, .. })
    ));
    let mut bytes = sample().snapshot();
    bytes.push(0);
    assert_eq!(
        DataTree::restore(&bytes),
        Err(SnapshotError::TrailingBytes(1))
    );
    let mut future = postcard::to_allocvec(&Header {
        magic: MAGIC,
        format_version: 2,
    })
    .expect("header");
    future.extend_from_slice(&[0; 8]);
    assert_eq!(
        DataTree::restore(&future),
        Err(SnapshotError::UnsupportedVersion(2))
    );
    assert_eq!(
        DataTree::restore(b"not a snapshot"),
        Err(SnapshotError::BadMagic)
    );
    assert_eq!(DataTree::restore(&[]), Err(SnapshotError::BadMagic));
}
