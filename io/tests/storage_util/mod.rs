//! Helpers shared by the storage tests.
#![allow(dead_code, unreachable_pub)]

use std::fs;
use std::path::{Path, PathBuf};

use bytes::Bytes;
use zoorepl_core::ids::{SessionId, Xid, Zxid};
use zoorepl_core::txn::{Txn, TxnOp};
use zoorepl_io::storage::{FileStorage, Loaded, RecoveryError, Storage, StorageOptions};

/// A SetData txn at `zxid` carrying `data_len` bytes.
pub fn txn(zxid: Zxid, data_len: usize) -> Txn {
    let fill = (zxid.counter % 251) as u8;
    Txn {
        zxid,
        time_ms: 1_700_000_000_000 + i64::from(zxid.counter),
        session: SessionId(0x100),
        cxid: Xid(zxid.counter as i32),
        op: TxnOp::SetData {
            path: format!("/node/{}", zxid.counter),
            data: Some(Bytes::from(vec![fill; data_len])),
            version: zxid.counter as i32,
        },
    }
}

/// Txns with counters `from..=to` of epoch 1.
pub fn txns(from: u32, to: u32) -> Vec<Txn> {
    (from..=to).map(|c| txn(Zxid::new(1, c), 20)).collect()
}

/// Appends `txns` in batches of `batch`, each synced.
pub fn append_synced(storage: &mut FileStorage, txns: &[Txn], batch: usize) {
    for chunk in txns.chunks(batch) {
        storage.append(chunk).expect("append");
        storage.sync().expect("sync");
    }
}

/// Options in `dir` with the given segment and preallocation sizes.
pub fn opts(dir: &Path, segment_bytes: u64, prealloc_bytes: u64) -> StorageOptions {
    StorageOptions {
        data_dir: dir.join("data"),
        data_log_dir: dir.join("datalog"),
        segment_bytes,
        prealloc_bytes,
    }
}

/// Opens, expecting success.
pub fn open(opts: &StorageOptions) -> (FileStorage, Loaded) {
    match FileStorage::open(opts.clone()) {
        Ok(opened) => opened,
        Err(e) => panic!("open failed: {e}"),
    }
}

/// Opens, expecting a recovery error.
pub fn open_err(opts: &StorageOptions) -> RecoveryError {
    match FileStorage::open(opts.clone()) {
        Ok((_, loaded)) => panic!("open succeeded with {} txns", loaded.log.len()),
        Err(e) => e,
    }
}

/// The log segments, oldest first.
pub fn segments(opts: &StorageOptions) -> Vec<PathBuf> {
    sorted_files(&opts.log_dir(), "log.")
}

/// The snapshot files, oldest first.
pub fn snapshots(opts: &StorageOptions) -> Vec<PathBuf> {
    sorted_files(&opts.snap_dir(), "snapshot.")
}

fn sorted_files(dir: &Path, prefix: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .expect("read dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(prefix) && !n.ends_with(".tmp"))
        })
        .collect();
    files.sort();
    files
}

/// The length of a file.
pub fn file_len(path: &Path) -> u64 {
    fs::metadata(path).expect("stat").len()
}

/// Flips one bit of the byte at `offset`.
pub fn flip_byte(path: &Path, offset: u64) {
    let mut bytes = fs::read(path).expect("read");
    bytes[offset as usize] ^= 0x10;
    fs::write(path, bytes).expect("write");
}

/// Truncates a file.
pub fn truncate_file(path: &Path, len: u64) {
    fs::OpenOptions::new()
        .write(true)
        .open(path)
        .expect("open")
        .set_len(len)
        .expect("truncate");
}

/// The offsets at which the records of a segment start (parsing the documented format).
pub fn record_offsets(path: &Path) -> Vec<u64> {
    let bytes = fs::read(path).expect("read");
    let mut offsets = Vec::new();
    let mut at = 24usize;
    while at + 8 <= bytes.len() {
        let len = u32::from_le_bytes(bytes[at..at + 4].try_into().expect("4")) as usize;
        if len == 0 {
            break;
        }
        offsets.push(at as u64);
        at += 8 + len;
    }
    offsets
}
