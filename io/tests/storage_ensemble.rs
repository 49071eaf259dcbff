//! An ensemble member's storage: its epochs, and a SNAP sync's snapshot installed in place of
//! its log, atomically across a crash.

mod storage_util;

use std::fs;

use storage_util::{open, open_err, opts, segments, snapshots, txn, txns};
use zoorepl_core::ids::Zxid;
use zoorepl_io::storage::{RecoveryError, Storage};

#[test]
fn epochs_are_zero_until_saved_then_survive_reopen() {
    let dir = tempfile::tempdir().expect("tempdir");
    let o = opts(dir.path(), 1 << 20, 0);
    let (mut s, loaded) = open(&o);
    assert_eq!(loaded.epochs, (0, 0));
    s.save_epochs(3, 2).expect("save");
    s.save_epochs(4, 4).expect("save");
    drop(s);
    let (_, loaded) = open(&o);
    assert_eq!(loaded.epochs, (4, 4));
}

#[test]
fn damaged_epochs_file_refuses_to_start_naming_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let o = opts(dir.path(), 1 << 20, 0);
    drop(open(&o));
    let path = o.snap_dir().join("epochs");
    for bad in [
        "acceptedEpoch=1\n",
        "acceptedEpoch=x\ncurrentEpoch=1\n",
        "acceptedEpoch=1\ncurrentEpoch=2\n",
        "garbage",
    ] {
        fs::write(&path, bad).expect("write");
        match open_err(&o) {
            RecoveryError::Corrupt { file, .. } => assert_eq!(file, path, "{bad:?}"),
            other => panic!("{bad:?}: {other}"),
        }
    }
}

#[test]
fn install_replaces_log_and_snapshots_and_the_log_continues_after_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let o = opts(dir.path(), 2048, 0);
    let (mut s, _) = open(&o);
    s.append(&txns(1, 60)).expect("append");
    s.sync().expect("sync");
    s.snapshot_writer()
        .write(Zxid::new(1, 30), b"old state")
        .expect("snapshot");
    assert!(segments(&o).len() > 1, "several segments to remove");
    let at = Zxid::new(2, 7);
    s.install_snapshot(at, b"leader state").expect("install");
    assert_eq!(s.last_zxid(), at);
    assert!(
        segments(&o).is_empty(),
        "no segment left: {:?}",
        segments(&o)
    );
    assert_eq!(snapshots(&o).len(), 1);
    s.append(&[txn(Zxid::new(2, 8), 10), txn(Zxid::new(2, 9), 10)])
        .expect("append after install");
    s.sync().expect("sync");
    drop(s);
    let (_, loaded) = open(&o);
    assert_eq!(
        loaded.snapshot_bytes().expect("read"),
        Some((at, b"leader state".to_vec()))
    );
    let zxids: Vec<Zxid> = loaded.log.iter().map(|t| t.zxid).collect();
    assert_eq!(zxids, vec![Zxid::new(2, 8), Zxid::new(2, 9)]);
    assert!(!loaded.report.finished_install);
}

/// A crash after the snapshot got its name but before the old log was removed: recovery
/// finishes the install instead of replaying the old log after the new snapshot.
#[test]
fn crash_after_the_snapshot_finishes_the_install_on_open() {
    let dir = tempfile::tempdir().expect("tempdir");
    let o = opts(dir.path(), 1 << 20, 0);
    let (mut s, _) = open(&o);
    s.append(&txns(1, 20)).expect("append");
    s.sync().expect("sync");
    let at = Zxid::new(3, 1);
    // What install_snapshot has done when the crash comes: the intent, then the snapshot.
    fs::write(o.snap_dir().join("install"), "0000000300000001\n").expect("intent");
    s.snapshot_writer().write(at, b"new").expect("snapshot");
    drop(s);
    let (_, loaded) = open(&o);
    assert!(loaded.report.finished_install);
    assert_eq!(
        loaded.snapshot_bytes().expect("read"),
        Some((at, b"new".to_vec()))
    );
    assert!(loaded.log.is_empty());
    assert!(segments(&o).is_empty());
    assert!(!o.snap_dir().join("install").exists());
}

/// A crash before the snapshot was complete: the old state is intact and used.
#[test]
fn crash_before_the_snapshot_keeps_the_old_state() {
    let dir = tempfile::tempdir().expect("tempdir");
    let o = opts(dir.path(), 1 << 20, 0);
    let (mut s, _) = open(&o);
    s.append(&txns(1, 20)).expect("append");
    s.sync().expect("sync");
    drop(s);
    fs::write(o.snap_dir().join("install"), "0000000300000001\n").expect("intent");
    fs::write(o.snap_dir().join("snapshot.0000000300000001.tmp"), b"half").expect("tmp");
    let (_, loaded) = open(&o);
    assert!(!loaded.report.finished_install);
    assert_eq!(loaded.snapshot, None);
    assert_eq!(loaded.log.len(), 20);
    assert!(!o.snap_dir().join("install").exists());
}
