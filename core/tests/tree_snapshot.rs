//! Snapshot restore never panics: random bytes, random bodies behind a valid header, every
//! truncation and byte flips of a real snapshot give an error or a tree that passes every
//! invariant (STYLE.md §4: untrusted input never panics).

use bytes::Bytes;
use quickcheck::{Gen, QuickCheck};
use zoorepl_core::ids::{SessionId, Xid, Zxid};
use zoorepl_core::proto::{Acl, Id};
use zoorepl_core::tree::{path, DataTree};
use zoorepl_core::txn::{CreateTxn, NodeKind, Txn, TxnOp};

/// A tree with every node kind, null and non-empty data, and a non-trivial ACL.
fn populated() -> DataTree {
    let mut tree = DataTree::new();
    let nodes = [
        ("/app", NodeKind::Persistent),
        ("/app/lock", NodeKind::Container),
        ("/app/lock/n-0000000000", NodeKind::Ephemeral(SessionId(9))),
        ("/app/ttl", NodeKind::Ttl { ttl_ms: 60_000 }),
        ("/app/empty", NodeKind::Persistent),
        ("/zookeeper/quota/app", NodeKind::Persistent),
    ];
    for (i, (p, kind)) in nodes.into_iter().enumerate() {
        let n = u32::try_from(i).expect("small") + 1;
        let parent = tree.node(path::parent(p)).expect("parent").create_counter();
        let data = (i % 2 == 0).then(|| Bytes::from(format!("data-{i}")));
        let acl = vec![
            Acl::open_unsafe(),
            Acl {
                perms: 1,
                id: Id::new("digest", "bob:fyVmFCwVbTJYrznoSu1koqYEYF0="),
            },
        ];
        tree.apply(&Txn {
            zxid: Zxid::new(3, n),
            time_ms: 1_700_000_000_000 + i64::from(n),
            session: SessionId(9),
            cxid: Xid(1),
            op: TxnOp::Create(CreateTxn {
                path: p.to_owned(),
                data,
                acl,
                kind,
                parent_cversion: parent + 1,
            }),
        });
    }
    tree.check_invariants();
    tree
}

/// Restores and, when that succeeds, checks the result is a sound tree.
fn restore_is_safe(bytes: Vec<u8>) -> bool {
    if let Ok(tree) = DataTree::restore(&bytes) {
        tree.check_invariants();
    }
    true
}

#[test]
fn snapshot_round_trips() {
    let tree = populated();
    let bytes = tree.snapshot();
    let restored = DataTree::restore(&bytes).expect("own snapshot restores");
    assert_eq!(restored, tree);
    assert_eq!(restored.digest(), tree.digest());
    assert_eq!(restored.last_applied(), Zxid::new(3, 6));
    assert_eq!(
        restored.ephemerals(SessionId(9)).collect::<Vec<_>>(),
        ["/app/lock/n-0000000000"]
    );
    assert_eq!(
        restored.approximate_data_size(),
        tree.approximate_data_size()
    );
    assert_eq!(restored.node_count(), tree.node_count());
    assert_eq!(
        restored.reap_candidates(i64::MAX, None),
        tree.reap_candidates(i64::MAX, None)
    );
    assert_ne!(restored, DataTree::new());
}

#[test]
fn every_truncation_is_refused() {
    let bytes = populated().snapshot();
    for len in 0..bytes.len() {
        assert!(
            DataTree::restore(&bytes[..len]).is_err(),
            "truncated to {len} bytes"
        );
    }
}

#[test]
fn every_single_byte_flip_is_safe() {
    let bytes = populated().snapshot();
    let mut accepted = 0;
    for i in 0..bytes.len() {
        for flip in [0x01u8, 0x80, 0xff] {
            let mut bad = bytes.clone();
            bad[i] ^= flip;
            if DataTree::restore(&bad).is_ok() {
                accepted += 1;
            }
            restore_is_safe(bad);
        }
    }
    // The digest covers data and stats; only ACL bytes (outside the digest) may flip unnoticed.
    assert!(accepted < bytes.len(), "{accepted} flips accepted");
}

#[test]
fn random_bytes_never_panic_quickcheck() {
    QuickCheck::new()
        .tests(2000)
        .rng(Gen::new(300))
        .quickcheck(restore_is_safe as fn(Vec<u8>) -> bool);
}

fn header() -> Vec<u8> {
    DataTree::new().snapshot()[..9].to_vec()
}

#[test]
fn random_body_behind_a_valid_header_never_panics_quickcheck() {
    // The header is the 8-byte magic and the format version (one varint byte).
    assert!(DataTree::restore(&header()).is_err());
    fn prop(body: Vec<u8>) -> bool {
        let mut bytes = header();
        bytes.extend_from_slice(&body);
        restore_is_safe(bytes)
    }
    QuickCheck::new()
        .tests(2000)
        .rng(Gen::new(300))
        .quickcheck(prop as fn(Vec<u8>) -> bool);
}
