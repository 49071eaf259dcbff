//! Snapshots: fallback past invalid ones, purge, atomic small files.

mod storage_util;

use std::fs;

use storage_util::*;
use zoorepl_core::ids::Zxid;
use zoorepl_io::storage::{write_atomically, FileStorage, RecoveryError, Storage};

/// A log of txns 1..=40 in small segments, with snapshots at 10, 20, 30.
fn with_three_snapshots(
    dir: &std::path::Path,
) -> (zoorepl_io::storage::StorageOptions, FileStorage) {
    let opts = opts(dir, 250, 0);
    let (mut storage, _) = open(&opts);
    let writer = storage.snapshot_writer();
    for batch in txns(1, 40).chunks(5) {
        storage.append(batch).expect("append");
        storage.sync().expect("sync");
        let last = batch.last().expect("batch").zxid;
        if last.counter % 10 == 0 && last.counter < 40 {
            writer
                .write(last, format!("tree at {}", last.counter).as_bytes())
                .expect("snapshot");
        }
    }
    (opts, storage)
}

#[test]
fn truncated_newest_snapshot_falls_back_to_previous() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (opts, storage) = with_three_snapshots(dir.path());
    drop(storage);
    let snaps = snapshots(&opts);
    assert_eq!(snaps.len(), 3);
    truncate_file(&snaps[2], file_len(&snaps[2]) - 3);
    let (_, loaded) = open(&opts);
    assert_eq!(
        loaded.snapshot_bytes().expect("read"),
        Some((Zxid::new(1, 20), b"tree at 20".to_vec()))
    );
    assert_eq!(loaded.log, txns(21, 40));
    assert_eq!(loaded.report.skipped_snapshots.len(), 1);
    assert_eq!(loaded.report.skipped_snapshots[0].file, snaps[2]);
}

#[test]
fn bad_checksum_snapshots_fall_back_until_one_verifies() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (opts, storage) = with_three_snapshots(dir.path());
    drop(storage);
    let snaps = snapshots(&opts);
    flip_byte(&snaps[2], 26);
    flip_byte(&snaps[1], 30);
    let (_, loaded) = open(&opts);
    assert_eq!(
        loaded.snapshot_bytes().expect("read"),
        Some((Zxid::new(1, 10), b"tree at 10".to_vec()))
    );
    assert_eq!(loaded.log, txns(11, 40));
    let skipped: Vec<_> = loaded
        .report
        .skipped_snapshots
        .iter()
        .map(|s| s.file.clone())
        .collect();
    assert_eq!(skipped, vec![snaps[2].clone(), snaps[1].clone()]);
    assert!(loaded.report.skipped_snapshots[0]
        .reason
        .contains("checksum"));
}

#[test]
fn leftover_tmp_snapshot_is_removed_and_ignored() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (opts, storage) = with_three_snapshots(dir.path());
    drop(storage);
    let tmp = opts.snap_dir().join("snapshot.0000000100000028.tmp");
    fs::write(&tmp, b"half a snapshot").expect("write");
    let (_, loaded) = open(&opts);
    assert_eq!(loaded.snapshot.expect("snapshot").zxid, Zxid::new(1, 30));
    assert_eq!(loaded.report.removed, vec![tmp.clone()]);
    assert!(!tmp.exists());
}

#[test]
fn purge_keeps_newest_snapshots_and_the_segments_they_need() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (opts, mut storage) = with_three_snapshots(dir.path());
    let writer = storage.snapshot_writer();
    // Three snapshots and retain 3: no snapshot goes, only segments entirely below 10.
    let first = writer.purge(3).expect("purge");
    assert!(first.snapshots.is_empty());
    assert_eq!(first.segments.len(), 1, "{first:?}");
    writer
        .write(Zxid::new(1, 40), b"tree at 40")
        .expect("snapshot");
    let segs_before = segments(&opts);
    let report = writer.purge(3).expect("purge");
    let snaps = snapshots(&opts);
    assert_eq!(report.snapshots.len(), 1);
    assert_eq!(snaps.len(), 3);
    assert!(snaps[0].ends_with("snapshot.0000000100000014"));
    assert!(!report.segments.is_empty());
    let segs_after = segments(&opts);
    assert_eq!(segs_after.len(), segs_before.len() - report.segments.len());
    // Each kept snapshot still recovers: the oldest kept one (20) needs txns from 21 on.
    let first_kept = segs_after[0]
        .file_name()
        .and_then(|n| n.to_str())
        .expect("name")
        .to_owned();
    let first_kept = u64::from_str_radix(&first_kept["log.".len()..], 16).expect("hex");
    assert!(first_kept <= (1u64 << 32 | 21), "{first_kept:x}");
    // The log keeps going into the segment being written.
    storage.append(&txns(41, 45)).expect("append");
    storage.sync().expect("sync");
    drop(storage);
    for damaged in [2, 1] {
        flip_byte(&snaps[damaged], 27);
    }
    let (_, loaded) = open(&opts);
    assert_eq!(loaded.snapshot.expect("snapshot").zxid, Zxid::new(1, 20));
    assert_eq!(loaded.log, txns(21, 45));
}

#[test]
fn purge_never_removes_the_segment_being_written() {
    let dir = tempfile::tempdir().expect("tempdir");
    let opts = opts(dir.path(), 1 << 20, 0);
    let (mut storage, _) = open(&opts);
    storage.append(&txns(1, 10)).expect("append");
    storage.sync().expect("sync");
    let writer = storage.snapshot_writer();
    for c in [7, 8, 9, 10] {
        writer.write(Zxid::new(1, c), b"x").expect("snapshot");
    }
    let report = writer.purge(3).expect("purge");
    assert_eq!(report.snapshots.len(), 1);
    assert!(report.segments.is_empty());
    storage.append(&txns(11, 12)).expect("append");
    storage.sync().expect("sync");
    drop(storage);
    let (_, loaded) = open(&opts);
    assert_eq!(loaded.log, txns(11, 12));
}

#[test]
#[should_panic(expected = "at least 3")]
fn purge_below_three_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (storage, _) = open(&opts(dir.path(), 1 << 20, 0));
    let _ = storage.snapshot_writer().purge(2);
}

#[test]
fn snapshot_without_log_coverage_is_a_gap() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (opts, storage) = with_three_snapshots(dir.path());
    let writer = storage.snapshot_writer();
    writer
        .write(Zxid::new(1, 40), b"tree at 40")
        .expect("snapshot");
    writer.purge(3).expect("purge");
    drop(storage);
    // All kept snapshots damaged but the oldest: 20 is still covered.
    let snaps = snapshots(&opts);
    flip_byte(&snaps[2], 27);
    flip_byte(&snaps[1], 27);
    flip_byte(&snaps[0], 27);
    // No snapshot verifies: replay from nothing needs the purged start of the log.
    match FileStorage::open(opts.clone()) {
        Err(RecoveryError::Gap { after, .. }) => assert_eq!(after, Zxid::ZERO),
        Err(other) => panic!("expected Gap, got {other}"),
        Ok(_) => panic!("expected Gap, got success"),
    }
}

#[test]
fn snapshot_writer_works_from_another_thread_while_the_log_appends() {
    let dir = tempfile::tempdir().expect("tempdir");
    let opts = opts(dir.path(), 400, 0);
    let (mut storage, _) = open(&opts);
    let writer = storage.snapshot_writer();
    let background = std::thread::spawn(move || {
        for c in 1..=6 {
            writer
                .write(Zxid::new(1, c * 10), &vec![c as u8; 5000])
                .expect("snapshot");
            writer.purge(3).expect("purge");
        }
    });
    append_synced(&mut storage, &txns(1, 200), 3);
    background.join().expect("snapshot thread");
    drop(storage);
    let (_, loaded) = open(&opts);
    assert_eq!(loaded.snapshot.expect("snapshot").zxid, Zxid::new(1, 60));
    assert_eq!(loaded.log, txns(61, 200));
}

#[test]
fn write_atomically_replaces_whole_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    write_atomically(dir.path(), "currentEpoch", b"4").expect("write");
    write_atomically(dir.path(), "currentEpoch", b"17").expect("write");
    assert_eq!(
        fs::read(dir.path().join("currentEpoch")).expect("read"),
        b"17"
    );
    assert!(!dir.path().join("currentEpoch.tmp").exists());
}

// The server's path: the state streamed into the file, read back through the file's reader.
#[test]
fn streamed_state_plus_later_log_rebuilds_the_tree() {
    use bytes::Bytes;
    use zoorepl_core::ids::{SessionId, Xid};
    use zoorepl_core::proto::Acl;
    use zoorepl_core::tree::DataTree;
    use zoorepl_core::txn::{CreateTxn, NodeKind, Txn, TxnOp};
    use zoorepl_io::storage::tree_codec::{read_state, write_state};

    let op = |counter: u32| match counter {
        1 => TxnOp::Create(CreateTxn {
            path: "/a".to_owned(),
            data: Some(Bytes::from_static(b"v1")),
            acl: vec![Acl::open_unsafe()],
            kind: NodeKind::Persistent,
            parent_cversion: 1,
        }),
        c => TxnOp::SetData {
            path: "/a".to_owned(),
            data: Some(Bytes::from(format!("v{c}"))),
            version: c as i32 - 1,
        },
    };
    let all: Vec<Txn> = (1..=6)
        .map(|c| Txn {
            zxid: Zxid::new(0, c),
            time_ms: 1000 + i64::from(c),
            session: SessionId(1),
            cxid: Xid(c as i32),
            op: op(c),
        })
        .collect();
    let dir = tempfile::tempdir().expect("tempdir");
    let opts = opts(dir.path(), 1 << 20, 0);
    let (mut storage, _) = open(&opts);
    let mut live = DataTree::new();
    for txn in &all {
        storage.append(std::slice::from_ref(txn)).expect("append");
        storage.sync().expect("sync");
        live.apply(txn);
        if txn.zxid == Zxid::new(0, 3) {
            let sessions = [(SessionId(1), 30_000)];
            storage
                .snapshot_writer()
                .write_with(txn.zxid, |out| write_state(out, &live, &sessions))
                .expect("snapshot");
        }
    }
    drop(storage);
    let (_, loaded) = open(&opts);
    let snapshot = loaded.snapshot.as_ref().expect("snapshot");
    assert_eq!(snapshot.zxid, Zxid::new(0, 3));
    let mut reader = snapshot.reader().expect("opens");
    let mut recovered = read_state(&mut reader).expect("decodes");
    assert_eq!(recovered.sessions, vec![(SessionId(1), 30_000)]);
    assert_eq!(loaded.log, all[3..]);
    for txn in &loaded.log {
        recovered.tree.apply(txn);
    }
    assert_eq!(recovered.tree.digest(), live.digest());
    assert_eq!(recovered.tree.snapshot(), live.snapshot());
}
