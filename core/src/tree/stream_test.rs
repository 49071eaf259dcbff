//! Streamed SNAP chunks: any chunk length rebuilds an equal tree, and chunks that are damaged,
//! out of order, missing or inconsistent are errors, never a panic or a different tree.

use bytes::Bytes;
use quickcheck::{QuickCheck, TestResult};
use serde::Serialize;

use super::*;
use crate::ids::{SessionId, Xid, Zxid};
use crate::proto::Acl;
use crate::tree::record::NodeRef;
use crate::tree::{path, Znode};
use crate::txn::{CreateTxn, NodeKind, Txn, TxnOp};

/// A chunk written with serde in one piece: the chunk writer must produce exactly these bytes.
#[derive(Serialize)]
struct ChunkRef<'a> {
    index: u64,
    nodes: Vec<NodeRef<'a>>,
}

/// Creates `p` (its parent must exist) as the next txn.
fn create(tree: &mut DataTree, p: &str, kind: NodeKind, data: Option<Bytes>, acl: Acl) {
    let zxid = Zxid::new(1, tree.last_applied().counter + 1);
    let parent = tree.node(path::parent(p)).expect("parent").create_counter();
    tree.apply(&Txn {
        zxid,
        time_ms: 1_700_000_000_000 + i64::from(zxid.counter),
        // An ephemeral's owner is the session that creates it.
        session: match kind {
            NodeKind::Ephemeral(owner) => owner,
            _ => SessionId(9),
        },
        cxid: Xid(1),
        op: TxnOp::Create(CreateTxn {
            path: p.to_owned(),
            data,
            acl: vec![acl],
            kind,
            parent_cversion: parent + 1,
        }),
    });
}

/// About `n` nodes three levels deep: containers and TTL nodes at the top, ephemerals among the
/// leaves, data from none to a few KiB, two distinct ACLs.
fn big_tree(n: u32) -> DataTree {
    let mut tree = DataTree::new();
    for top in 0..20u32 {
        let kind = match top % 3 {
            0 => NodeKind::Container,
            1 => NodeKind::Ttl { ttl_ms: 60_000 },
            _ => NodeKind::Persistent,
        };
        create(
            &mut tree,
            &format!("/t{top:02}"),
            kind,
            None,
            Acl::open_unsafe(),
        );
    }
    for i in 0..n {
        let (top, mid) = (i % 20, i % 7);
        let mid_path = format!("/t{top:02}/m{mid}");
        if !tree.contains(&mid_path) {
            let data = Some(Bytes::from(vec![b'm'; (i % 3000) as usize]));
            create(
                &mut tree,
                &mid_path,
                NodeKind::Persistent,
                data,
                Acl::read_unsafe(),
            );
        }
        let kind = if i % 5 == 0 {
            NodeKind::Ephemeral(SessionId(i64::from(i % 4) + 1))
        } else {
            NodeKind::Persistent
        };
        let data =
            (i % 4 != 0).then(|| Bytes::from(format!("value {i}").repeat(1 + (i % 9) as usize)));
        create(
            &mut tree,
            &format!("{mid_path}/leaf{i:05}"),
            kind,
            data,
            Acl::open_unsafe(),
        );
    }
    tree
}

fn chunks_of(tree: &DataTree, chunk_len: usize) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    assert!(tree.snapshot_chunks(chunk_len, |c| {
        out.push(c);
        true
    }));
    out
}

/// Feeds every chunk in order, then finishes with `digest`.
fn rebuild(chunks: &[Vec<u8>], last_applied: Zxid, digest: u64) -> Result<DataTree, SnapshotError> {
    let mut builder = TreeBuilder::new(last_applied);
    for chunk in chunks {
        builder.push_chunk(chunk)?;
    }
    builder.finish(digest)
}

fn nodes_of(tree: &DataTree) -> Vec<(String, Znode)> {
    tree.iter_preorder().map(|(p, n)| (p, n.clone())).collect()
}

/// A chunk of the given nodes, as the writer would seal it.
fn chunk(index: u64, nodes: &[(String, Znode)]) -> Vec<u8> {
    let nodes = nodes.iter().map(|(p, n)| NodeRef::new(p, n)).collect();
    postcard::to_allocvec(&ChunkRef { index, nodes }).expect("chunk")
}

#[test]
fn chunks_of_any_length_rebuild_an_equal_tree() {
    let tree = big_tree(3000);
    assert!(tree.znode_count() > 3000);
    for chunk_len in [0, 1, 50, 700, 4096, 64 * 1024, 1 << 30] {
        let chunks = chunks_of(&tree, chunk_len);
        let back = rebuild(&chunks, tree.last_applied(), tree.digest()).expect("rebuilds");
        assert!(back == tree, "chunk_len {chunk_len}: tree differs");
        assert_eq!(back.digest(), tree.digest());
        assert_eq!(back.approximate_data_size(), tree.approximate_data_size());
        assert_eq!(back.all_ephemerals().count(), tree.all_ephemerals().count());
        if chunk_len <= 1 {
            assert_eq!(chunks.len(), tree.znode_count(), "one node per chunk");
        }
        if chunk_len == 1 << 30 {
            assert_eq!(chunks.len(), 1);
        }
    }
}

#[test]
fn a_chunk_is_no_longer_than_asked_unless_it_holds_one_node() {
    let tree = big_tree(500);
    let chunk_len = 4096;
    let chunks = chunks_of(&tree, chunk_len);
    assert!(chunks.len() > 10);
    let nodes = nodes_of(&tree);
    let mut at = 0;
    for (index, bytes) in chunks.iter().enumerate() {
        let ((got, count), _) = postcard::take_from_bytes::<(u64, u64)>(bytes).expect("header");
        assert_eq!(got, index as u64);
        let count = usize::try_from(count).expect("small");
        // Exactly the serde encoding of the chunk's nodes, in pre-order.
        assert_eq!(*bytes, chunk(got, &nodes[at..at + count]));
        let header = postcard::to_allocvec(&(got, count as u64))
            .expect("header")
            .len();
        assert!(
            count == 1 || bytes.len() - header <= chunk_len,
            "chunk {index} too long"
        );
        at += count;
    }
    assert_eq!(at, nodes.len());
}

#[test]
fn emit_returning_false_stops_the_walk() {
    let tree = big_tree(200);
    let mut calls = 0;
    let done = tree.snapshot_chunks(10, |_| {
        calls += 1;
        calls < 3
    });
    assert!(!done);
    assert_eq!(calls, 3);
}

#[test]
fn chunks_out_of_place_are_refused() {
    let tree = big_tree(300);
    let chunks = chunks_of(&tree, 1024);
    assert!(chunks.len() > 4);
    let zxid = tree.last_applied();
    let order = |expected, got| Err(SnapshotError::ChunkOrder { expected, got });

    let mut swapped = chunks.clone();
    swapped.swap(1, 2);
    assert_eq!(rebuild(&swapped, zxid, tree.digest()), order(1, 2));

    let mut repeated = chunks.clone();
    repeated.insert(2, chunks[1].clone());
    assert_eq!(rebuild(&repeated, zxid, tree.digest()), order(2, 1));

    let mut missing = chunks.clone();
    missing.remove(1);
    assert_eq!(rebuild(&missing, zxid, tree.digest()), order(1, 2));

    // The last chunk missing: what arrived is a smaller tree with another digest.
    let cut = &chunks[..chunks.len() - 1];
    assert!(matches!(
        rebuild(cut, zxid, tree.digest()),
        Err(SnapshotError::DigestMismatch { .. })
    ));
}

#[test]
fn damaged_chunks_are_refused() {
    let tree = big_tree(300);
    let chunks = chunks_of(&tree, 1024);
    let (zxid, digest) = (tree.last_applied(), tree.digest());
    let middle = chunks.len() / 2;

    let mut truncated = chunks.clone();
    truncated[middle].pop();
    assert!(matches!(
        rebuild(&truncated, zxid, digest),
        Err(SnapshotError::Decode(_))
    ));

    let mut trailing = chunks.clone();
    trailing[middle].push(0);
    assert_eq!(
        rebuild(&trailing, zxid, digest),
        Err(SnapshotError::TrailingBytes(1))
    );

    // Every single-byte change of one chunk is caught, except in an ACL (which the digest
    // leaves out, as ZooKeeper's does; the transport's checksum covers those): a damaged chunk
    // that is accepted changed nothing else.
    let mut accepted = 0;
    for at in 0..chunks[middle].len() {
        let mut damaged = chunks.clone();
        damaged[middle][at] ^= 0x40;
        if let Ok(back) = rebuild(&damaged, zxid, digest) {
            accepted += 1;
            assert_eq!(back.znode_count(), tree.znode_count());
            for (p, n) in tree.iter_preorder() {
                let m = back.node(&p).expect("same paths");
                assert_eq!(
                    (m.stat(), &m.data, m.kind),
                    (n.stat(), &n.data, n.kind),
                    "{p}"
                );
            }
        }
    }
    assert!(
        accepted * 4 < chunks[middle].len(),
        "{accepted} damaged chunks accepted"
    );

    assert!(matches!(
        rebuild(&[], zxid, digest),
        Err(SnapshotError::Invalid(_))
    ));
    assert!(matches!(
        rebuild(&[vec![]], zxid, digest),
        Err(SnapshotError::Decode(_))
    ));
    let empty = postcard::to_allocvec(&(0u64, 0u64)).expect("header");
    assert!(matches!(
        rebuild(&[empty], zxid, digest),
        Err(SnapshotError::Invalid(_))
    ));
}

#[test]
fn nodes_that_do_not_fit_are_refused() {
    let nodes = nodes_of(&big_tree(50));
    let zxid = Zxid::new(1, 70);
    let find = |p: &str| nodes.iter().position(|(q, _)| q == p).expect("present");
    let invalid = |chunks: &[Vec<u8>]| match rebuild(chunks, zxid, 0) {
        Err(SnapshotError::Invalid(why)) => why,
        other => panic!("expected Invalid, got {other:?}"),
    };

    // A child before its parent, across two chunks and within one.
    let parent = find("/t00/m0");
    let child = parent + 1;
    assert!(nodes[child].0.starts_with("/t00/m0/"));
    let mut swapped = nodes.clone();
    swapped.swap(parent, child);
    let split = vec![
        chunk(0, &swapped[..parent + 1]),
        chunk(1, &swapped[parent + 1..]),
    ];
    assert!(invalid(&split).contains("parent missing"));
    assert!(invalid(&[chunk(0, &swapped)]).contains("parent missing"));

    // The root somewhere else than first, twice, or not persistent.
    assert!(invalid(&[chunk(0, &nodes[1..])]).contains("root"));
    let twice = vec![chunk(0, &nodes), chunk(1, &nodes[..1])];
    assert!(invalid(&twice).contains("bad path"));
    let mut ephemeral_root = nodes.clone();
    ephemeral_root[0].1.kind = NodeKind::Ephemeral(SessionId(1));
    assert!(invalid(&[chunk(0, &ephemeral_root)]).contains("root"));

    let duplicate = vec![chunk(0, &nodes), chunk(1, &nodes[child..=child])];
    assert!(invalid(&duplicate).contains("duplicate"));
}

#[test]
fn a_wrong_digest_or_a_failed_builder_is_refused() {
    let tree = big_tree(100);
    let chunks = chunks_of(&tree, 512);
    let wrong = tree.digest() ^ 1;
    assert_eq!(
        rebuild(&chunks, tree.last_applied(), wrong),
        Err(SnapshotError::DigestMismatch {
            recorded: wrong,
            computed: tree.digest()
        })
    );
    // Another last applied zxid: the rebuilt tree is not the sender's.
    let other = rebuild(&chunks, Zxid::new(9, 9), tree.digest()).expect("rebuilds");
    assert!(other != tree);

    // After one bad chunk, good chunks are refused too.
    let mut builder = TreeBuilder::new(tree.last_applied());
    builder.push_chunk(&chunks[0]).expect("first chunk");
    let bad = builder.push_chunk(&chunks[2]).expect_err("out of order");
    assert_eq!(builder.push_chunk(&chunks[1]), Err(bad.clone()));
    assert_eq!(builder.chunk_count(), 1);
    assert_eq!(builder.finish(tree.digest()), Err(bad));
}

/// Junk alone is never a tree, and junk spliced into a real chunk is refused or changes nothing
/// (never a panic). It can change nothing: `0x80` before the chunk's one-byte index 0 makes the
/// two-byte varint of the same index, which postcard reads as the same value.
fn junk_is_refused(junk: Vec<u8>, at: usize) -> TestResult {
    if junk.is_empty() {
        return TestResult::discard();
    }
    let mut builder = TreeBuilder::new(Zxid::ZERO);
    let junk_alone = builder.push_chunk(&junk);
    let tree = big_tree(20);
    let mut spliced = chunks_of(&tree, 1 << 20).remove(0);
    let at = at % spliced.len();
    spliced.splice(at..at, junk);
    let mut builder = TreeBuilder::new(tree.last_applied());
    let spliced_ok = builder.push_chunk(&spliced).is_ok();
    let rebuilt = if spliced_ok {
        builder.finish(tree.digest()).ok()
    } else {
        None
    };
    TestResult::from_bool(junk_alone.is_err() && rebuilt.is_none_or(|t| t == tree))
}

#[test]
fn arbitrary_bytes_are_refused_without_a_panic() {
    QuickCheck::new()
        .tests(300)
        .quickcheck(junk_is_refused as fn(Vec<u8>, usize) -> TestResult);
}

#[test]
fn a_longer_varint_of_the_same_index_changes_nothing() {
    // The case quickcheck found: 0x80 spliced before the first chunk's index.
    let tree = big_tree(20);
    let mut chunk = chunks_of(&tree, 1 << 20).remove(0);
    chunk.insert(0, 0x80);
    let mut builder = TreeBuilder::new(tree.last_applied());
    builder
        .push_chunk(&chunk)
        .expect("the same chunk, index spelled longer");
    assert_eq!(builder.finish(tree.digest()), Ok(tree));
    assert!(!junk_is_refused(vec![0x80], 0).is_failure());
}
