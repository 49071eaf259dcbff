//! The streamed SNAP pieces: a whole sequence gives the image back, and any sequence that does
//! not add up is an error (which ends the connection), never a panic.

use bytes::Bytes;
use zoorepl_core::ids::SessionId;
use zoorepl_core::tree::DataTree;

use super::*;
use crate::test_support::tree;

const LIMIT: u64 = 1 << 20;

fn sessions() -> Vec<(SessionId, i32)> {
    vec![(SessionId(3), 5000)]
}

/// The frames a sender writes for `tree` in chunks of 256 bytes: begin, chunks, end.
async fn pieces(tree: &DataTree) -> Vec<Wire> {
    let (tx, mut rx) = mpsc::channel(1 << 16);
    let walked = tree.clone();
    // `produce` blocks, so it may not run on the runtime's thread.
    let produced = tokio::task::spawn_blocking(move || produce(&walked, 256, &tx))
        .await
        .expect("the walk ran")
        .expect("receiver alive");
    let mut out = vec![Wire::SnapBegin {
        epoch: 4,
        zxid: tree.last_applied(),
        last_applied: tree.last_applied(),
    }];
    while let Ok(chunk) = rx.try_recv() {
        out.push(Wire::SnapChunk(chunk));
    }
    assert_eq!(out.len() as u64, produced.chunks + 1);
    out.push(Wire::SnapEnd {
        digest: tree.digest(),
        sessions: sessions(),
        chunks: produced.chunks,
        crc32c: produced.crc32c,
    });
    out
}

/// Feeds `wires` in order; the outcome of the last one (or the first error).
async fn feed(wires: Vec<Wire>, limit: u64) -> Result<Option<PeerMsg>, LinkError> {
    let mut assembler = Assembler::default();
    let mut last = Ok(None);
    for wire in wires {
        last = assembler.accept(wire, limit).await;
        if last.is_err() {
            break;
        }
    }
    last
}

#[tokio::test]
async fn whole_sequence_gives_the_image_back() {
    let sent = tree(100);
    let wires = pieces(&sent).await;
    assert!(wires.len() > 10, "several chunks");
    let Ok(Some(PeerMsg::Snapshot { epoch, zxid, image })) = feed(wires, LIMIT).await else {
        panic!("a snapshot message");
    };
    assert_eq!((epoch, zxid), (4, sent.last_applied()));
    assert_eq!(image.sessions, sessions());
    assert!(image.tree == sent);
}

#[tokio::test]
async fn messages_pass_between_snapshots() {
    let touch = Wire::Msg(PeerMsg::Touch {
        epoch: 1,
        sessions: vec![],
    });
    let mut assembler = Assembler::default();
    let got = assembler
        .accept(touch.clone(), LIMIT)
        .await
        .expect("a message");
    assert_eq!(got, touch.clone().into_msg());
    for wire in pieces(&tree(3)).await {
        assembler.accept(wire, LIMIT).await.expect("accepted");
    }
    let got = assembler
        .accept(touch.clone(), LIMIT)
        .await
        .expect("a message");
    assert_eq!(got, touch.into_msg());
}

/// Every way `all` can be spoiled, each a sequence that must be refused.
fn spoiled(all: &[Wire]) -> Vec<Vec<Wire>> {
    let n = all.len();
    let (begin, end) = (all[0].clone(), all[n - 1].clone());
    let touch = Wire::Msg(PeerMsg::Touch {
        epoch: 1,
        sessions: vec![],
    });
    let with = |at: usize, wire: Wire| {
        let mut v = all.to_vec();
        v[at] = wire;
        v
    };
    let Wire::SnapEnd {
        digest,
        chunks,
        crc32c,
        ..
    } = end.clone()
    else {
        panic!("the last piece is the end");
    };
    let end_with = |digest, chunks, crc32c| Wire::SnapEnd {
        digest,
        sessions: sessions(),
        chunks,
        crc32c,
    };
    let mut corrupt = all[n / 2].clone();
    if let Wire::SnapChunk(bytes) = &mut corrupt {
        let mut b = bytes.to_vec();
        b.truncate(b.len() / 2);
        *bytes = Bytes::from(b);
    }
    let mut cases = vec![
        // A chunk or an end with no begin; a begin or a message inside a snapshot.
        vec![all[1].clone()],
        vec![end.clone()],
        vec![begin.clone(), begin.clone()],
        vec![begin.clone(), all[1].clone(), touch],
        // A chunk missing, a chunk twice.
        [&all[..2], &all[3..]].concat(),
        [&all[..3], &all[2..]].concat(),
        // A chunk cut short in the middle; an end that does not match.
        with(n / 2, corrupt),
        with(n - 1, end_with(digest, chunks - 1, crc32c)),
        with(n - 1, end_with(digest, chunks + 1, crc32c)),
        with(n - 1, end_with(digest, chunks, crc32c ^ 1)),
        with(n - 1, end_with(digest ^ 1, chunks, crc32c)),
    ];
    // Two chunks swapped, the last chunk missing.
    let mut swapped = all.to_vec();
    swapped.swap(1, 2);
    cases.push(swapped);
    let mut no_last = all.to_vec();
    no_last.remove(n - 2);
    cases.push(no_last);
    cases
}

#[tokio::test]
async fn sequences_that_do_not_add_up_are_refused() {
    let all = pieces(&tree(60)).await;
    for (i, case) in spoiled(&all).into_iter().enumerate() {
        let outcome = feed(case, LIMIT).await;
        assert!(outcome.is_err(), "case {i} accepted: {outcome:?}");
        assert!(outcome.expect_err("refused").is_bad_input(), "case {i}");
    }
    let bytes: usize = all
        .iter()
        .map(|w| match w {
            Wire::SnapChunk(c) => c.len(),
            _ => 0,
        })
        .sum();
    assert!(feed(all.clone(), bytes as u64).await.is_ok());
    assert!(
        feed(all, bytes as u64 - 1).await.is_err(),
        "over the byte cap"
    );
}

#[tokio::test]
async fn a_bad_chunk_is_a_snapshot_error() {
    let all = pieces(&tree(20)).await;
    let wires = vec![all[0].clone(), Wire::SnapChunk(Bytes::from_static(b"junk"))];
    assert!(matches!(
        feed(wires, LIMIT).await,
        Err(LinkError::Snapshot(_))
    ));
}

#[test]
fn the_walk_stops_when_the_link_ends() {
    let (tx, rx) = mpsc::channel(1);
    drop(rx);
    assert_eq!(produce(&tree(50), 64, &tx), None);
}
