//! The file log: round trips, segment roll, torn tails, corruption, truncation.

mod storage_util;

use std::fs::OpenOptions;
use std::io::Write;

use storage_util::*;
use zoorepl_core::ids::Zxid;
use zoorepl_io::storage::{RecoveryError, Storage};

#[test]
fn round_trip_batches_survive_reopen() {
    let dir = tempfile::tempdir().expect("tempdir");
    let opts = opts(dir.path(), 64 << 20, 1 << 20);
    let (mut storage, loaded) = open(&opts);
    assert!(loaded.snapshot.is_none());
    assert!(loaded.log.is_empty());
    assert_eq!(storage.last_zxid(), Zxid::ZERO);
    let all = txns(1, 30);
    append_synced(&mut storage, &all, 7);
    assert_eq!(storage.last_zxid(), Zxid::new(1, 30));
    drop(storage);
    let (storage, loaded) = open(&opts);
    assert_eq!(loaded.log, all);
    assert_eq!(loaded.report, Default::default());
    assert_eq!(storage.last_zxid(), Zxid::new(1, 30));
    // The preallocated segment stays preallocated: zeros after the records end the log.
    assert_eq!(file_len(&segments(&opts)[0]), 1 << 20);
}

#[test]
fn appends_continue_after_reopen_and_epoch_change() {
    let dir = tempfile::tempdir().expect("tempdir");
    let opts = opts(dir.path(), 64 << 20, 0);
    let (mut storage, _) = open(&opts);
    storage.append(&txns(1, 5)).expect("append");
    storage.sync().expect("sync");
    drop(storage);
    let (mut storage, loaded) = open(&opts);
    assert_eq!(loaded.log.len(), 5);
    let next = [txn(Zxid::new(2, 1), 10), txn(Zxid::new(2, 2), 10)];
    storage.append(&next).expect("append");
    storage.sync().expect("sync");
    drop(storage);
    let (_, loaded) = open(&opts);
    let mut expected = txns(1, 5);
    expected.extend(next);
    assert_eq!(loaded.log, expected);
}

#[test]
fn unsynced_appends_are_lost_on_drop() {
    let dir = tempfile::tempdir().expect("tempdir");
    let opts = opts(dir.path(), 64 << 20, 4096);
    let (mut storage, _) = open(&opts);
    storage.append(&txns(1, 3)).expect("append");
    storage.sync().expect("sync");
    storage.append(&txns(4, 6)).expect("append");
    drop(storage);
    let (_, loaded) = open(&opts);
    assert_eq!(loaded.log, txns(1, 3));
}

#[test]
#[should_panic(expected = "append out of order")]
fn append_out_of_order_is_a_bug() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut storage, _) = open(&opts(dir.path(), 1 << 20, 0));
    storage.append(&txns(5, 6)).expect("append");
    let _ = storage.append(&txns(6, 6));
}

#[test]
fn segments_roll_past_segment_bytes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let opts = opts(dir.path(), 300, 128);
    let (mut storage, _) = open(&opts);
    let all = txns(1, 40);
    append_synced(&mut storage, &all, 3);
    drop(storage);
    let segs = segments(&opts);
    assert!(segs.len() >= 5, "only {} segments", segs.len());
    for seg in &segs {
        // Each segment is named after its first record.
        let name = seg.file_name().and_then(|n| n.to_str()).expect("name");
        assert!(name.starts_with("log.00000001"), "{name}");
    }
    let (_, loaded) = open(&opts);
    assert_eq!(loaded.log, all);
}

#[test]
fn snapshot_then_log_loads_only_later_txns() {
    let dir = tempfile::tempdir().expect("tempdir");
    let opts = opts(dir.path(), 500, 0);
    let (mut storage, _) = open(&opts);
    storage.append(&txns(1, 20)).expect("append");
    storage.sync().expect("sync");
    let writer = storage.snapshot_writer();
    let path = writer
        .write(Zxid::new(1, 12), b"tree at 12")
        .expect("snapshot");
    assert!(
        path.ends_with("snapshot.000000010000000c"),
        "{}",
        path.display()
    );
    storage.append(&txns(21, 25)).expect("append");
    storage.sync().expect("sync");
    drop(storage);
    let (storage, loaded) = open(&opts);
    assert_eq!(
        loaded.snapshot_bytes().expect("read"),
        Some((Zxid::new(1, 12), b"tree at 12".to_vec()))
    );
    assert_eq!(loaded.log, txns(13, 25));
    assert_eq!(storage.last_zxid(), Zxid::new(1, 25));
}

#[test]
fn torn_tail_mid_record_is_cut_and_second_open_is_clean() {
    for prealloc in [0, 4096] {
        let dir = tempfile::tempdir().expect("tempdir");
        let opts = opts(dir.path(), 1 << 20, prealloc);
        let (mut storage, _) = open(&opts);
        storage.append(&txns(1, 10)).expect("append");
        storage.sync().expect("sync");
        drop(storage);
        let seg = &segments(&opts)[0];
        let offsets = record_offsets(seg);
        assert_eq!(offsets.len(), 10);
        // Cut the last record in the middle.
        truncate_file(seg, offsets[9] + 13);
        let (_, loaded) = open(&opts);
        assert_eq!(loaded.log, txns(1, 9));
        let torn = loaded.report.torn_tail.expect("torn tail reported");
        assert_eq!(torn.offset, offsets[9]);
        assert_eq!(torn.bytes_cut, 13);
        assert_eq!(&torn.file, seg);
        assert_eq!(file_len(seg), offsets[9]);
        let (_, loaded) = open(&opts);
        assert_eq!(loaded.log, txns(1, 9));
        assert_eq!(loaded.report, Default::default());
    }
}

#[test]
fn garbage_after_last_record_is_cut() {
    let dir = tempfile::tempdir().expect("tempdir");
    let opts = opts(dir.path(), 1 << 20, 0);
    let (mut storage, _) = open(&opts);
    storage.append(&txns(1, 4)).expect("append");
    storage.sync().expect("sync");
    drop(storage);
    let seg = &segments(&opts)[0];
    let end = file_len(seg);
    let mut file = OpenOptions::new().append(true).open(seg).expect("open");
    // A partial record header and a record whose payload was never written.
    file.write_all(&[0x30, 0, 0, 0, 0xde, 0xad, 0xbe, 0xef, 1, 2, 3])
        .expect("write");
    drop(file);
    let (mut storage, loaded) = open(&opts);
    assert_eq!(loaded.log, txns(1, 4));
    assert_eq!(loaded.report.torn_tail.expect("torn").offset, end);
    // The log continues where the good records end.
    storage.append(&txns(5, 6)).expect("append");
    storage.sync().expect("sync");
    drop(storage);
    let (_, loaded) = open(&opts);
    assert_eq!(loaded.log, txns(1, 6));
    assert!(loaded.report.torn_tail.is_none());
}

#[test]
fn torn_header_of_new_last_segment_is_removed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let opts = opts(dir.path(), 200, 0);
    let (mut storage, _) = open(&opts);
    append_synced(&mut storage, &txns(1, 12), 2);
    drop(storage);
    let segs = segments(&opts);
    let last = segs.last().expect("segments");
    let removed_first = record_offsets(last).len();
    truncate_file(last, 10);
    let (_, loaded) = open(&opts);
    assert_eq!(loaded.log, txns(1, 12 - removed_first as u32));
    assert_eq!(loaded.report.removed, vec![last.clone()]);
    assert_eq!(segments(&opts).len(), segs.len() - 1);
}

#[test]
fn flipped_byte_before_valid_records_is_corruption_at_exact_offset() {
    let dir = tempfile::tempdir().expect("tempdir");
    let opts = opts(dir.path(), 1 << 20, 4096);
    let (mut storage, _) = open(&opts);
    append_synced(&mut storage, &txns(1, 10), 2);
    drop(storage);
    let seg = &segments(&opts)[0];
    let offsets = record_offsets(seg);
    flip_byte(seg, offsets[4] + 20);
    let err = open_err(&opts);
    match &err {
        RecoveryError::Corrupt {
            file,
            offset,
            reason,
        } => {
            assert_eq!(file, seg);
            assert_eq!(*offset, offsets[4]);
            assert!(reason.contains("checksum"), "{reason}");
        }
        other => panic!("expected Corrupt, got {other}"),
    }
    let message = err.to_string();
    assert!(message.contains(&seg.display().to_string()), "{message}");
    assert!(
        message.contains(&format!("offset {}", offsets[4])),
        "{message}"
    );
    // Refusing does not repair: the file is untouched and still refused.
    assert!(matches!(open_err(&opts), RecoveryError::Corrupt { .. }));
}

#[test]
fn corrupt_length_field_before_valid_records_is_corruption() {
    let dir = tempfile::tempdir().expect("tempdir");
    let opts = opts(dir.path(), 1 << 20, 0);
    let (mut storage, _) = open(&opts);
    storage.append(&txns(1, 6)).expect("append");
    storage.sync().expect("sync");
    drop(storage);
    let seg = &segments(&opts)[0];
    let offsets = record_offsets(seg);
    flip_byte(seg, offsets[2] + 2);
    match open_err(&opts) {
        RecoveryError::Corrupt { offset, .. } => assert_eq!(offset, offsets[2]),
        other => panic!("expected Corrupt, got {other}"),
    }
}

#[test]
fn damage_in_a_segment_that_is_not_the_last_is_corruption() {
    let dir = tempfile::tempdir().expect("tempdir");
    let opts = opts(dir.path(), 200, 0);
    let (mut storage, _) = open(&opts);
    append_synced(&mut storage, &txns(1, 20), 2);
    drop(storage);
    let segs = segments(&opts);
    assert!(segs.len() >= 3);
    // The last record of the first segment: nothing valid follows it in that file.
    let offsets = record_offsets(&segs[0]);
    let last = *offsets.last().expect("records");
    flip_byte(&segs[0], last + 12);
    match open_err(&opts) {
        RecoveryError::Corrupt {
            file,
            offset,
            reason,
        } => {
            assert_eq!(file, segs[0]);
            assert_eq!(offset, last);
            assert!(reason.contains("not the last"), "{reason}");
        }
        other => panic!("expected Corrupt, got {other}"),
    }
}

// Segments wholly before the snapshot are not read (as Java reads logs from the snapshot's
// zxid on), so damage there no longer stops startup once a snapshot covers them (without the
// snapshot the same damage is corruption: the test above).
#[test]
fn segments_wholly_before_the_snapshot_are_not_read() {
    let dir = tempfile::tempdir().expect("tempdir");
    let opts = opts(dir.path(), 200, 0);
    let (mut storage, _) = open(&opts);
    append_synced(&mut storage, &txns(1, 20), 2);
    storage
        .snapshot_writer()
        .write(Zxid::new(1, 18), b"tree at 18")
        .expect("snapshot");
    drop(storage);
    let segs = segments(&opts);
    assert!(segs.len() >= 3);
    let offsets = record_offsets(&segs[0]);
    flip_byte(&segs[0], *offsets.last().expect("records") + 12);
    let (storage, loaded) = open(&opts);
    assert_eq!(loaded.snapshot.expect("snapshot").zxid, Zxid::new(1, 18));
    assert_eq!(loaded.log, txns(19, 20));
    assert_eq!(storage.last_zxid(), Zxid::new(1, 20));
}

#[test]
fn damaged_header_of_a_middle_segment_is_corruption() {
    let dir = tempfile::tempdir().expect("tempdir");
    let opts = opts(dir.path(), 200, 0);
    let (mut storage, _) = open(&opts);
    append_synced(&mut storage, &txns(1, 20), 2);
    drop(storage);
    let segs = segments(&opts);
    flip_byte(&segs[1], 9);
    match open_err(&opts) {
        RecoveryError::Corrupt { file, offset, .. } => {
            assert_eq!(file, segs[1]);
            assert_eq!(offset, 0);
        }
        other => panic!("expected Corrupt, got {other}"),
    }
}

#[test]
fn missing_middle_segment_is_a_gap() {
    let dir = tempfile::tempdir().expect("tempdir");
    let opts = opts(dir.path(), 200, 0);
    let (mut storage, _) = open(&opts);
    append_synced(&mut storage, &txns(1, 20), 2);
    drop(storage);
    let segs = segments(&opts);
    std::fs::remove_file(&segs[1]).expect("remove");
    match open_err(&opts) {
        RecoveryError::Gap { file, .. } => assert_eq!(file, segs[2]),
        other => panic!("expected Gap, got {other}"),
    }
}

#[test]
fn truncate_after_drops_later_txns_durably() {
    let dir = tempfile::tempdir().expect("tempdir");
    let opts = opts(dir.path(), 300, 256);
    let (mut storage, _) = open(&opts);
    append_synced(&mut storage, &txns(1, 40), 4);
    let before = segments(&opts).len();
    storage.truncate_after(Zxid::new(1, 17)).expect("truncate");
    assert_eq!(storage.last_zxid(), Zxid::new(1, 17));
    assert!(segments(&opts).len() < before);
    // A new epoch continues the truncated log.
    let next = [txn(Zxid::new(2, 1), 5), txn(Zxid::new(2, 2), 5)];
    storage.append(&next).expect("append");
    storage.sync().expect("sync");
    drop(storage);
    let (mut storage, loaded) = open(&opts);
    let mut expected = txns(1, 17);
    expected.extend(next);
    assert_eq!(loaded.log, expected);
    assert_eq!(loaded.report, Default::default());
    // Truncating everything leaves an empty log.
    storage.truncate_after(Zxid::ZERO).expect("truncate");
    assert_eq!(storage.last_zxid(), Zxid::ZERO);
    drop(storage);
    let (_, loaded) = open(&opts);
    assert!(loaded.log.is_empty());
    assert!(segments(&opts).is_empty());
}

#[test]
fn truncate_after_removes_snapshots_above() {
    let dir = tempfile::tempdir().expect("tempdir");
    let opts = opts(dir.path(), 1 << 20, 0);
    let (mut storage, _) = open(&opts);
    storage.append(&txns(1, 10)).expect("append");
    storage.sync().expect("sync");
    let writer = storage.snapshot_writer();
    writer.write(Zxid::new(1, 4), b"four").expect("snapshot");
    writer.write(Zxid::new(1, 8), b"eight").expect("snapshot");
    storage.truncate_after(Zxid::new(1, 6)).expect("truncate");
    drop(storage);
    let (_, loaded) = open(&opts);
    assert_eq!(
        loaded.snapshot_bytes().expect("read"),
        Some((Zxid::new(1, 4), b"four".to_vec()))
    );
    assert_eq!(loaded.log, txns(5, 6));
}

#[test]
fn checksummed_records_out_of_zxid_order_are_corruption() {
    let dir = tempfile::tempdir().expect("tempdir");
    let opts = opts(dir.path(), 1 << 20, 0);
    let (mut storage, _) = open(&opts);
    storage.append(&txns(1, 6)).expect("append");
    storage.sync().expect("sync");
    drop(storage);
    let seg = &segments(&opts)[0];
    let offsets = record_offsets(seg);
    // Records 3 and 4 have the same size: swap them, checksums and all.
    let mut bytes = std::fs::read(seg).expect("read");
    let (a, b, end) = (
        offsets[2] as usize,
        offsets[3] as usize,
        offsets[4] as usize,
    );
    assert_eq!(b - a, end - b);
    let third = bytes[a..b].to_vec();
    bytes.copy_within(b..end, a);
    bytes[b..end].copy_from_slice(&third);
    std::fs::write(seg, bytes).expect("write");
    match open_err(&opts) {
        RecoveryError::Corrupt { offset, reason, .. } => {
            assert_eq!(offset, offsets[3]);
            assert!(reason.contains("does not increase"), "{reason}");
        }
        other => panic!("expected Corrupt, got {other}"),
    }
}

#[test]
fn flushed_records_survive_a_process_crash() {
    let dir = tempfile::tempdir().expect("tempdir");
    let opts = opts(dir.path(), 1 << 20, 4096);
    let (mut storage, _) = open(&opts);
    storage.append(&txns(1, 3)).expect("append");
    storage.flush_unsynced().expect("flush");
    assert_eq!(record_offsets(&segments(&opts)[0]).len(), 3);
    drop(storage);
    // The page cache still holds them: open reads them back and makes them durable.
    let (_, loaded) = open(&opts);
    assert_eq!(loaded.log, txns(1, 3));
}

#[test]
fn handles_are_send_and_the_writer_is_clone() {
    fn check<S: Send, W: Send + Sync + Clone>() {}
    check::<zoorepl_io::storage::FileStorage, zoorepl_io::storage::SnapshotWriter>();
}

#[test]
fn a_failed_operation_leaves_the_storage_unusable() {
    let dir = tempfile::tempdir().expect("tempdir");
    let opts = opts(dir.path(), 100, 0);
    let (mut storage, _) = open(&opts);
    storage.append(&txns(1, 2)).expect("append");
    storage.sync().expect("sync");
    // The next segment cannot be created: the append fails, naming the file.
    std::fs::remove_dir_all(opts.log_dir()).expect("remove log dir");
    let err = storage.append(&txns(3, 3)).expect_err("roll must fail");
    assert!(
        matches!(
            &err,
            zoorepl_io::storage::StorageError::Io {
                op: "create segment",
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("log.0000000100000003"), "{err}");
    // Never retried: every later call fails.
    let later = storage.sync().expect_err("poisoned");
    assert!(
        matches!(later, zoorepl_io::storage::StorageError::Failed(_)),
        "{later}"
    );
    assert!(storage.append(&txns(4, 4)).is_err());
}
