//! Durable storage of one server: the txn log and snapshots (DESIGN.md §5).
//!
//! - The log is a series of segment files `<data_log_dir>/zoorepl-log/log.<16-hex first zxid>`
//!   of checksummed postcard records (`format.rs` documents the bytes). Appends are buffered; [`sync`]
//!   writes them with one `write` and one `fdatasync` (group commit). Segments are preallocated
//!   with zeros and rolled once they pass `segment_bytes`.
//! - Snapshots are files `<data_dir>/zoorepl-snap/snapshot.<16-hex zxid>`, written by a
//!   [`SnapshotWriter`] on any thread (tmp file, fsync, rename, fsync of the directory).
//! - Recovery ([`FileStorage::open`]) loads the newest valid snapshot and every durable txn
//!   after it. A torn tail of the last segment (what a crash leaves of unsynced writes) is cut;
//!   any other damage is [`RecoveryError::Corrupt`] and the server must not start.
//!
//! A failed write or fsync is returned as an error and leaves the storage unusable: the shell
//! exits and recovers from the files, it never retries (fsync errors may have dropped pages).
//!
//! [`sync`]: Storage::sync

mod ensemble;
mod error;
mod format;
mod log;
mod recover;
mod snapshot;
pub mod tree_codec;

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use zoorepl_core::ids::Zxid;
use zoorepl_core::txn::Txn;

pub use error::{RecoveryError, StorageError};
pub use log::FileStorage;
pub use snapshot::{PurgeReport, SnapshotWriter, StoredSnapshot};

/// The durable txn log of one server, as the node task drives it.
pub trait Storage: Send {
    /// Buffers records for `txns`, which must continue the log in strictly increasing zxid
    /// order (anything else is a bug and panics). Nothing is durable before [`Self::sync`].
    ///
    /// When the current segment is full, the records before are written and fsynced and a new
    /// segment begins (so only the last segment can ever hold unsynced bytes).
    ///
    /// # Errors
    /// When a file operation fails (only when the batch starts a new segment).
    fn append(&mut self, txns: &[Txn]) -> Result<(), StorageError>;

    /// Writes everything appended and fsyncs it. Once it returns `Ok`, those txns survive a
    /// crash or power loss.
    ///
    /// # Errors
    /// When the write or fsync fails; the storage is then unusable and the process must exit.
    fn sync(&mut self) -> Result<(), StorageError>;

    /// Durably drops every txn above `zxid` (a follower told to TRUNC), together with any
    /// snapshot above `zxid`. Must not run while a snapshot above `zxid` is being written.
    ///
    /// # Errors
    /// When a file operation fails.
    fn truncate_after(&mut self, zxid: Zxid) -> Result<(), StorageError>;

    /// The zxid of the last txn in the log (appended, synced or not), `Zxid::ZERO` if none.
    fn last_zxid(&self) -> Zxid;
}

/// Where and how the files are kept.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StorageOptions {
    /// `dataDir`: snapshots go to `<data_dir>/zoorepl-snap/`.
    pub data_dir: PathBuf,
    /// `dataLogDir`: log segments go to `<data_log_dir>/zoorepl-log/`.
    pub data_log_dir: PathBuf,
    /// A segment is rolled once it holds at least this many bytes.
    pub segment_bytes: u64,
    /// Segment files are extended with zeros this many bytes at a time, so that most appends
    /// do not change the file size (0: grow exactly as written).
    pub prealloc_bytes: u64,
}

impl StorageOptions {
    /// The default segment size, 64 MiB.
    pub const SEGMENT_BYTES_DEFAULT: u64 = 64 << 20;
    /// The default preallocation step, 64 MiB (ZooKeeper's `preAllocSize`).
    pub const PREALLOC_BYTES_DEFAULT: u64 = 64 << 20;

    /// Options with the default sizes.
    #[must_use]
    pub fn new(data_dir: impl Into<PathBuf>, data_log_dir: impl Into<PathBuf>) -> Self {
        Self {
            data_dir: data_dir.into(),
            data_log_dir: data_log_dir.into(),
            segment_bytes: Self::SEGMENT_BYTES_DEFAULT,
            prealloc_bytes: Self::PREALLOC_BYTES_DEFAULT,
        }
    }

    /// The directory of log segments.
    #[must_use]
    pub fn log_dir(&self) -> PathBuf {
        self.data_log_dir.join("zoorepl-log")
    }

    /// The directory of snapshots.
    #[must_use]
    pub fn snap_dir(&self) -> PathBuf {
        self.data_dir.join("zoorepl-snap")
    }
}

/// What recovery found on disk.
#[derive(Debug)]
pub struct Loaded {
    /// The newest snapshot whose checksum verifies (its bytes are read from the file with
    /// [`StoredSnapshot::reader`], e.g. into [`tree_codec::read_state`]).
    pub snapshot: Option<StoredSnapshot>,
    /// Every durable txn after the snapshot's zxid, in order.
    pub log: Vec<Txn>,
    /// The durable (accepted, current) epochs of an ensemble member; (0, 0) when never saved.
    pub epochs: (u32, u32),
    /// What recovery repaired or skipped on the way; worth a log line each.
    pub report: RecoveryReport,
}

impl Loaded {
    /// The snapshot's zxid and its bytes, read whole (for tests and small snapshots; recovery
    /// reads through [`StoredSnapshot::reader`]).
    ///
    /// # Errors
    /// When reading the file fails.
    pub fn snapshot_bytes(&self) -> io::Result<Option<(Zxid, Vec<u8>)>> {
        self.snapshot
            .as_ref()
            .map(|s| Ok((s.zxid, s.read_all()?)))
            .transpose()
    }
}

/// Repairs and oddities met during recovery. None of them loses a synced txn.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct RecoveryReport {
    /// The torn tail cut from the last segment, if any.
    pub torn_tail: Option<TornTail>,
    /// Snapshots newer than the one used that did not verify, newest first.
    pub skipped_snapshots: Vec<SkippedSnapshot>,
    /// Files removed: a last segment holding no complete record, leftover `.tmp` files.
    pub removed: Vec<PathBuf>,
    /// A snapshot install (SNAP sync) cut short by a crash was finished.
    pub finished_install: bool,
}

/// An incomplete or damaged end of the last segment: unsynced writes cut short by a crash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TornTail {
    /// The segment.
    pub file: PathBuf,
    /// Where the file now ends (the end of its last complete record).
    pub offset: u64,
    /// How many non-zero bytes were cut (from `offset` to the last non-zero byte).
    pub bytes_cut: u64,
    /// What was wrong with the first cut record.
    pub reason: String,
}

/// A snapshot file that was not used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedSnapshot {
    /// The file.
    pub file: PathBuf,
    /// Why it did not verify.
    pub reason: String,
}

/// Writes a small file so that after a crash it holds either its old or its new contents:
/// write `<name>.tmp`, fsync it, rename it over `<name>`, fsync the directory. For
/// `currentEpoch`, `acceptedEpoch`, `myid`.
///
/// # Errors
/// When a file operation fails.
pub fn write_atomically(dir: &Path, name: &str, bytes: &[u8]) -> io::Result<()> {
    let tmp = dir.join(format!("{name}.tmp"));
    let mut file = File::create(&tmp)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    drop(file);
    fs::rename(&tmp, dir.join(name))?;
    sync_dir(dir)
}

/// Fsyncs a directory, making file creations, renames and removals in it durable.
fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Creates a directory (and its parents) durably.
fn create_dir_durably(dir: &Path) -> io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    fs::create_dir_all(dir)?;
    if let Some(parent) = dir.parent() {
        sync_dir(parent)?;
    }
    sync_dir(dir)
}

/// The file name `<prefix>.<16-hex zxid>`.
fn zxid_file_name(prefix: &str, zxid: Zxid) -> String {
    format!("{prefix}.{:016x}", format::zxid_to_u64(zxid))
}

/// The files of `dir` named `<prefix>.<16-hex zxid>`, sorted by zxid; other names are ignored.
fn list_zxid_files(dir: &Path, prefix: &str) -> io::Result<Vec<(Zxid, PathBuf)>> {
    let mut found = Vec::new();
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let Some(hex) = name
            .strip_prefix(prefix)
            .and_then(|rest| rest.strip_prefix('.'))
        else {
            continue;
        };
        if hex.len() != 16 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            continue;
        }
        let raw = u64::from_str_radix(hex, 16).expect("16 hex digits fit a u64");
        found.push((format::zxid_from_u64(raw), entry.path()));
    }
    found.sort();
    Ok(found)
}

/// Removes leftover `*.tmp` files of an interrupted atomic write; returns them.
fn remove_tmp_files(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let mut removed = Vec::new();
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        if path.extension().is_some_and(|ext| ext == "tmp") {
            fs::remove_file(&path)?;
            removed.push(path);
        }
    }
    if !removed.is_empty() {
        sync_dir(dir)?;
    }
    Ok(removed)
}

/// Removes a file; one already gone is fine (purge and a snapshot install both remove old
/// files).
pub(crate) fn remove_if_present(path: &Path) -> io::Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        other => other,
    }
}
